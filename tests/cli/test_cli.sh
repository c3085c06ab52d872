#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kfaas CLI: every command, its error paths (one clear line, non-zero
# exit, state untouched) and its -j output, checked with jq.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq
ktap_plan 81

use_pin_root cli
R=$KFAAS_PIN_ROOT
K() { "$KFAAS" "$@"; }
BPF=$B/bpf

# the last line printed on stderr by a failing command
err() { "$@" 2>&1 >/dev/null | tail -n 1; }

# ---- help, version, prefixes ----
check "help exits 0" K help
ABI=$(sed -n 's/^#define KFAAS_ABI_VERSION[[:space:]]*//p' "$(dirname "$0")/../../include/kfaas/abi.h")
check_eq "version -j reports the ABI of include/kfaas/abi.h" "$ABI" "$(K -j version | jq .abi)"
check_fail "an unknown object fails" K frobnicate
check_match "... and says what to do" "unknown command 'frobnicate': see 'kfaas help'" \
	"$(err K frobnicate)"
check_match "an ambiguous prefix is refused" "ambiguous" "$(err K fn l)"
check "every object has help" sh -c "K() { $KFAAS \"\$@\"; }; for o in fn route net invoke stats; do K \$o help 2>/dev/null || exit 1; done"

# ---- fn ----
# bad input on an empty pin root: one clear line, and nothing made (the
# object is read before any state; a verifier rejection takes back the
# pin root it needed)
out=$(err K fn load /nonexistent.o x)
check_eq "fn load of a missing file on an empty pin root: clear error, no pin root made" \
	"Error: cannot read /nonexistent.o: No such file or directory|absent" \
	"$out|$([ -e "$R" ] && echo present || echo absent)"
bad=0
for args in "/etc/hostname x" "$BPF/dispatcher.bpf.o x" "$BPF/echo.bpf.o a.b" \
	    "$B/tests/bpf/bad_oob.bpf.o bad"; do
	# shellcheck disable=SC2086
	if K fn load $args >/dev/null 2>&1 || [ -e "$R" ]; then
		bad=$((bad + 1)); diag "fn load $args: exit 0 or $R made"; rm -rf "$R"
	fi
done
check_eq "not BPF, two functions, a bad name, a verifier rejection: each fails, no pin root made" 0 $bad
out=$(K -j fn load "$BPF/echo.bpf.o" echo)
check_eq "fn load -j names the function and tier" "echo xdp" \
	"$(echo "$out" | jq -r '.name + " " + .tier')"
check "fn load upper (prefix 'f lo')" K f lo "$BPF/upper.bpf.o" upper
check_fail "fn load of an existing name fails" K fn load "$BPF/echo.bpf.o" echo
check_match "... and says how to replace it" "already exists .*kfaas fn replace echo FILE" \
	"$(err K fn load "$BPF/echo.bpf.o" echo)"
check_match "a bad function name is refused" "may only hold letters" \
	"$(err K fn load "$BPF/echo.bpf.o" a.b)"
check_match "a missing object file is refused" "cannot read /nonexistent.o" \
	"$(err K fn load /nonexistent.o x)"
check_match "a file that is not BPF is refused" "not a BPF object" \
	"$(err K fn load /etc/hostname x)"
n_before=$(K -j fn list | jq length)
out=$(K fn load "$B/tests/bpf/bad_oob.bpf.o" bad 2>&1); rc=$?
check_match "a verifier rejection fails and says so" "verifier rejected kfaas_fn_bad_oob" "$out"
check_match "... with the tail of the verifier log" "invalid access to packet" "$out"
check_eq "... exit status 1" 1 $rc
check_eq "... and registers nothing" "$n_before" "$(K -j fn list | jq length)"
check_fail "... and leaves no pins behind" test -e "$R/fn/bad"
out=$(K -j fn load "$B/tests/bpf/bad_oob.bpf.o" bad)
check_match "-j verifier rejection: error and verifier_log" "invalid access to packet" \
	"$(echo "$out" | jq -r '.error + " " + .verifier_log')"
out=$(K -j fn list)
check_eq "fn list -j: two functions with ids, tags, programs" "1:echo:xdp 2:upper:xdp" \
	"$(echo "$out" | jq -r '[.[] | select(.prog_id > 0 and (.tag | length) == 16) | "\(.id):\(.name):\(.tier)"] | join(" ")')"
check_match "fn list plain has a header" "^ID +NAME +TIER" "$(K fn list | head -1)"
check "bpftool sees the function program by name" sh -c \
	"bpftool prog show name kfaas_fn_echo | grep -q kfaas_fn_echo"
check "bpftool sees the route table by name" sh -c \
	"bpftool map show name kfaas_routes | grep -q kfaas_routes"
check "the route table is pinned under the pin root" \
	bpftool map show pinned "$R/routes"

# ---- route ----
check "route add udp 7 fn echo" K route add udp 7 fn echo
check "route add udp 9 fn upper xdp (explicit tier)" K route add udp 9 fn upper xdp
check "route add with an address" K route add udp 7 addr 192.0.2.99 fn upper
snap=$(K -j route list)
check_eq "route list -j" "udp:7:null:echo udp:7:192.0.2.99:upper udp:9:null:upper" \
	"$(echo "$snap" | jq -r '[.[] | "\(.proto):\(.port):\(.addr):\(.fn)"] | join(" ")')"
check_match "a route conflict fails and names the holder" \
	"route udp 7 already exists \(function 'echo'\): delete it first with 'kfaas route del udp 7'" \
	"$(err K route add udp 7 fn upper)"
check_match "a route to an unknown function fails" "no function 'nope'" \
	"$(err K route add udp 70 fn nope)"
check_match "a TCP route to an XDP function fails" "serves UDP only" \
	"$(err K route add tcp 80 fn echo)"
check_match "a bad port fails" "bad port '70000'" "$(err K route add udp 70000 fn echo)"
check_match "a bad protocol fails" "unknown protocol 'sctp'" "$(err K route add sctp 7 fn echo)"
check_match "a bad address fails" "bad address '1.2.3'" "$(err K route add udp 7 addr 1.2.3 fn echo)"
check_match "a tier that is not the function's fails" "runs in the xdp tier, not vm" \
	"$(err K route add udp 71 fn echo vm)"
check_eq "failed route commands changed nothing" "$snap" "$(K -j route list)"
check_match "route del of a missing route fails" "no route udp 72" "$(err K route del udp 72)"
check "route del with an address" K route del udp 7 addr 192.0.2.99
check_eq "... and it is gone" 2 "$(K -j route list | jq length)"
check_match "fn unload of a routed function is refused" "serves 1 route\(s\) \('udp 9'\)" \
	"$(err K fn unload upper)"

# ---- invoke ----
out=$(K -j invoke echo --data hello)
check_eq "invoke --data -j: XDP_TX and the reply" "XDP_TX hello" \
	"$(echo "$out" | jq -r '.verdict + " " + .reply')"
check_eq "invoke --hex" "6869" "$(K -j invoke echo --hex 6869 | jq -r .reply_hex)"
printf 'from a file' > "/tmp/kfaas-cli-$$"
cleanup_add "rm -f /tmp/kfaas-cli-$$"
check_eq "invoke --file" "FROM A FILE" "$(K -j invoke upper --file /tmp/kfaas-cli-$$ | jq -r .reply)"
check_eq "invoke --src IPv6 goes over IPv6" "XDP_TX" \
	"$(K -j invoke echo --data v6 --src '[2001:db8::9]:5353' | jq -r .verdict)"
check_match "invoke plain output" "^echo: XDP_TX in [0-9]+ ns" "$(K invoke echo --data x)"
out=$(K -j invoke echo --data rep --repeat 1000)
check_eq "invoke --repeat: count, ns/invocation, p50 <= p99" "1000 true true" \
	"$(echo "$out" | jq -r '"\(.repeat) \(.ns_per_invocation > 0) \(.p50_ns <= .p99_ns)"')"
K route del udp 9 >/dev/null
check_match "invoke of a function without a route fails" "has no UDP route" \
	"$(err K invoke upper --data x)"
check_match "invoke with two payloads fails" "give the request once" \
	"$(err K invoke echo --data x --hex 00)"
check_match "invoke with a bad option fails" "unknown or incomplete option" \
	"$(err K invoke echo --bogus)"
check_match "invoke of an unknown function fails" "no function 'zzz'" "$(err K invoke zzz)"

# ---- stats ----
check_eq "stats -j counts the invocations (1 + 1 + 1 + 1 + 1000)" 1004 \
	"$(K -j stats | jq '.[] | select(.name == "echo") | .invocations')"
check_eq "stats NAME -j is one object" "echo xdp" \
	"$(K -j stats echo | jq -r '.name + " " + .tier')"
check_eq "stats --watch 1 --count 2 prints two JSON documents" 2 \
	"$(K -j stats echo --watch 1 --count 2 | jq -s length)"
check_match "stats of an unknown function fails" "no function 'zzz'" "$(err K stats zzz)"

# ---- an object alone shows what it holds (ip route, bpftool prog) ----
check_eq "'kfaas route' alone is 'route list'" "$(K -j route list)" "$(K -j route)"
check_eq "'kfaas fn' alone is 'fn list'" "$(K -j fn list)" "$(K -j fn)"
check_eq "'kfaas budget' alone is 'budget show'" "$(K -j budget show)" "$(K -j budget)"

# ---- config ----
check_eq "config show -j: CPU time sampled 1 in 64 by default" 64 \
	"$(K -j config show | jq .cpu_sample)"
check_match "cpu-sample must be a power of two" "use a power of two" \
	"$(err K config set cpu-sample 3)"
check "config set cpu-sample 1: time every invocation" K config set cpu-sample 1
before=$(K -j stats echo | jq .cpu_ns)
K invoke echo --data t >/dev/null
check_eq "... so one invocation adds CPU time" true \
	"$([ "$(K -j stats echo | jq .cpu_ns)" -gt "$before" ] && echo true)"

# ---- net ----
sandbox_up cli 61 || diag "sandbox setup failed"
check "net attach (native) in a netns" in_srv "$KFAAS" net attach "$SRV_IF"
check_match "ip link shows the dispatcher by name" "prog/xdp id [0-9]+ name kfaas_dispatch" \
	"$(ip -n "$NS_SRV" -d link show "$SRV_IF")"
check_match "attaching twice fails" "already attached to $SRV_IF" \
	"$(err in_srv "$KFAAS" net attach "$SRV_IF")"
check_eq "net show -j" "$SRV_IF native true" \
	"$(in_srv "$KFAAS" -j net show | jq -r '.interfaces[0] | "\(.ifname) \(.mode) \(.attached)"')"
check "net detach" in_srv "$KFAAS" net detach "$SRV_IF"
check_fail "... and ip link shows no XDP program" sh -c \
	"ip -n $NS_SRV link show $SRV_IF | grep -q prog/xdp"
check_match "detaching again fails" "not attached to $SRV_IF" \
	"$(err in_srv "$KFAAS" net detach "$SRV_IF")"
check_match "attaching to a missing interface fails" "no interface 'nosuch0'" \
	"$(err in_srv "$KFAAS" net attach nosuch0)"
in_srv "$KFAAS" net attach "$SRV_IF" generic >/dev/null
check_eq "net attach generic" "generic" \
	"$(in_srv "$KFAAS" -j net show | jq -r '.interfaces[0].mode')"

# ---- pin root, privilege, persistence ----
check_match "a missing pin root is one clear line" "no kfaas state at /sys/fs/bpf/kfaas-none-$$" \
	"$(err K --pin-root /sys/fs/bpf/kfaas-none-$$ fn list)"
check_match "a pin root off bpffs is refused" "/tmp is not a BPF filesystem" \
	"$(err K --pin-root /tmp/kfaas-x-$$ fn load "$BPF/echo.bpf.o" e)"
check_fail "... and not created" test -e /tmp/kfaas-x-$$
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KFAAS" fn list 2>&1); rc=$?
check_match "an unprivileged user gets a clear permission error" "permission denied: kfaas needs root" \
	"$out (exit $rc)"
check_eq "pinned state outlives the CLI: routes readable with bpftool" 1 \
	"$(bpftool -j map dump pinned "$R/routes" | jq length)"

# A pin root made by a kfaas of another ABI: refused whole, left alone.
cfg_hex() { bpftool -j map lookup pinned "$R/config" key 0 0 0 0 | jq -r '.value | join(" ")'; }
cfg=$(cfg_hex)
routes=$(bpftool -j map dump pinned "$R/routes")
bpftool map update pinned "$R/config" key 0 0 0 0 value 0x63 0 0 0 ${cfg#* * * * }
out=$(K route list 2>&1); rc=$?
check_match "a pin root of another ABI version is refused" \
	"has ABI version 99, this kfaas speaks $ABI: unload it with the kfaas that made it" "$out"
check_eq "... exit status 1" 1 $rc
check_match "... and changes are refused too" "has ABI version 99" \
	"$(err K route add udp 9 fn echo)"
check_eq "... leaving the routes as they were" "$routes" "$(bpftool -j map dump pinned "$R/routes")"
bpftool map update pinned "$R/config" key 0 0 0 0 value $cfg

ktap_finish
