#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a sysadmin relies on: make install/uninstall into a DESTDIR (CLI, SDK
# headers a function builds against, man pages, completion, systemd unit,
# the DKMS source built by dkms against the installed kernel headers),
# kfaas apply/export (round trip, --dry-run, all or nothing), Prometheus
# output read by the Prometheus client's own parser, bash completion of
# every object and command, kfaas top.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq go-md2man
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ktap_plan 50
use_pin_root admin
K() { "$KFAAS" "$@"; }
T=$(mktemp -d /tmp/kfaas-admin-XXXXXX)
cleanup_add "rm -rf $T"

# ---- install ----
check "make install DESTDIR=... PREFIX=/usr" make -s -C "$SRC" BUILD="$B" \
	install DESTDIR="$T/root" PREFIX=/usr
for f in usr/bin/kfaas usr/bin/kfaas-kv usr/bin/kfaas-dns \
	 usr/lib/kfaas/bpf/echo.bpf.o usr/include/kfaas/kfaas.h \
	 usr/include/kfaas/abi.h usr/share/man/man8/kfaas.8 \
	 usr/share/man/man7/kfaas-sdk.7 usr/share/man/man5/kfaas.conf.5 \
	 usr/share/bash-completion/completions/kfaas usr/sbin/kfaasd \
	 usr/lib/kfaas/vm/guest.cpio usr/share/man/man8/kfaasd.8 \
	 usr/lib/systemd/system/kfaasd.service usr/src/kfaas-0.1/dkms.conf \
	 usr/src/kfaas-0.1/Kbuild usr/src/kfaas-0.1/kmod/build.sh \
	 usr/lib/systemd/system/kfaas-attach@.service; do
	[ -e "$T/root/$f" ] || { diag "missing: $f"; missing=$((missing + 1)); }
done
check_eq "... installs the CLI, daemon, objects, SDK, man pages, completion, units, DKMS source" \
	0 "${missing:-0}"
check_eq "the installed kfaas runs: same version and ABI as the build" \
	"$("$KFAAS" -j version | jq -c '[.version, .abi]')" \
	"$("$T/root/usr/bin/kfaas" -j version | jq -c '[.version, .abi]')"
check_eq "... and carries no test hook (KFAAS_CRASH_AT, _FAIL_AT, _PAUSE_AT are in the test build only)" 0 \
	"$(cat "$T"/root/usr/bin/kfaas* "$T/root/usr/sbin/kfaasd" | grep -cE "KFAAS_(CRASH|FAIL|PAUSE)_AT")"
bad=0
for m in "$T"/root/usr/share/man/man*/*; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>/dev/null | grep -q '^NAME' || bad=$((bad + 1))
done
check_eq "every man page renders with a NAME section" 0 $bad
sed "s|/usr/bin/kfaas|$KFAAS|" "$T/root/usr/lib/systemd/system/kfaas-attach@.service" \
	> "$T/kfaas-attach@.service"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the attach unit" \
		systemd-analyze verify --man=no "$T/kfaas-attach@.service"
else
	skip "systemd-analyze verify accepts the attach unit" "no systemd-analyze"
fi
cat > "$T/hello.bpf.c" <<'C'
#include "vmlinux.h"
#include <kfaas/kfaas.h>

KFAAS_XDP_FUNCTION(hello)(struct kfaas_req *req)
{
	kfaas_log(req, "asked with %u bytes", kfaas_payload_len(req));
	if (kfaas_reply_reserve(req, 5) || kfaas_store(req, 0, "hello", 5))
		return KFAAS_ERROR;
	return 5;
}
C
check "a function (kfaas_log() too) builds against the installed SDK headers alone" \
	clang -g -O2 -target bpf -mcpu=v3 -I"$B" -I"$T/root/usr/include" \
	-c "$T/hello.bpf.c" -o "$T/hello.bpf.o"
K fn load "$T/hello.bpf.o" hello >/dev/null && K route add udp 5 fn hello >/dev/null
# five bytes asked, five answered: within the reply cap of a function
# that declares no ratio (docs/reliability.md)
check_eq "... loads and answers" "hello" "$(K -j invoke hello --data xxxxx | jq -r .reply)"
check_eq "... and logs" "asked with 5 bytes" "$(K -j logs hello | jq -r .msg)"
K route del udp 5 >/dev/null; K fn unload hello >/dev/null
# ---- DKMS: the installed source builds against the installed headers ----
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' |
	sort -V | tail -1)
dsrc=$(ls -d "$T"/root/usr/src/kfaas-* | head -1)
dver=${dsrc##*/kfaas-}
if ! command -v dkms >/dev/null; then
	for i in 1 2; do skip "dkms build of the installed source" "no dkms (tools/deps.sh)"; done
elif [ -z "$kver" ] || [ ! -e "/lib/modules/$kver/build" ]; then
	for i in 1 2; do
		skip "dkms build of the installed source" "no kernel headers (linux-headers-amd64: tools/deps.sh)"
	done
else
	# its own trees and signing key under $T: nothing of the machine's
	# DKMS is touched; resolve_btfids the one make built with kmod/tools.sh
	# (when there is one) rather than built again from linux-source
	mkdir -p "$T/dkms"
	[ -x "$B/kmod/tools/resolve_btfids" ] && export KTOOLS=$B/kmod/tools
	out=$(mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub dkms build -m kfaas \
		-v "$dver" -k "$kver" --sourcetree "$T/root/usr/src" --dkmstree "$T/dkms" 2>&1)
	rc=$?
	unset KTOOLS
	ko=$T/dkms/kfaas/$dver/$kver/$(uname -m)/module/kfaas.ko
	check_eq "dkms build of the installed source against the installed $kver headers" \
		"0 built" "$rc $([ -f "$ko" ] && echo built)" || diag "$(echo "$out" | tail -20)"
	check_eq "... kfaas.ko for $kver, with its BTF and resolved BTF ids, signed" \
		"$kver .BTF .BTF_ids DKMS" \
		"$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1) $(readelf -SW "$ko" 2>/dev/null |
		   grep -oE '\.BTF(_ids)? ' | sort -u | xargs) $(modinfo -F signer "$ko" 2>/dev/null | cut -d' ' -f1)"
fi
check "make uninstall" make -s -C "$SRC" BUILD="$B" uninstall DESTDIR="$T/root" PREFIX=/usr
check_eq "... removes every installed file" "" "$(find "$T/root" -type f -o -type l)"

# ---- apply / export ----
cat > "$T/a.yaml" <<EOF2
functions:
  echo:
    object: $B/bpf/echo.bpf.o
  up:
    object: $B/bpf/upper.bpf.o
routes:
  - trigger: udp 7
    fn: echo
  - { trigger: "udp 10.0.0.1:9", fn: up }
  - { trigger: "udp [fd00::1]:9", fn: up, policy: pass }
EOF2
out=$(K apply "$T/a.yaml" --dry-run)
check_match "--dry-run lists the changes" "\+ fn echo.*\+ fn up.*\+ route udp 7 -> echo" "$(echo $out)"
check_fail "... and applies none" K fn show echo
check_eq "apply -j reports 5 changes applied" "5 true" \
	"$(K -j apply "$T/a.yaml" | jq -r '"\(.changes | length) \(.applied)"')"
check_eq "... and the functions answer" "X" "$(K -j invoke up --data x --dst 10.0.0.1:9 | jq -r .reply)"
check_eq "applying again changes nothing" "0" "$(K -j apply "$T/a.yaml" | jq '.changes | length')"
K export > "$T/exported.yaml"
check_eq "export then apply of the export changes nothing" "0" \
	"$(K -j apply "$T/exported.yaml" | jq '.changes | length')"
check_eq "export is stable" "$(cat "$T/exported.yaml")" "$(K export)"
cat > "$T/b.yaml" <<EOF2
functions:
  echo:
    object: $B/bpf/upper.bpf.o
routes:
  - { trigger: udp 7, fn: echo }
EOF2
check_eq "a changed file: replace echo, drop up and its routes" \
	"fn_replace route_del route_del fn_del" \
	"$(K -j apply "$T/b.yaml" | jq -r '[.changes[].action] | join(" ")')"
check_eq "... echo now runs the new object" "X" "$(K -j invoke echo --data x | jq -r .reply)"
before=$(K export)
cat > "$T/bad.yaml" <<EOF2
functions:
  echo:
    object: $B/bpf/echo.bpf.o
  good:
    object: $B/bpf/upper.bpf.o
  bad:
    object: $B/tests/bpf/bad_oob.bpf.o
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: udp 8, fn: good }
EOF2
out=$(K apply "$T/bad.yaml" 2>&1); rc=$?
check_match "a verifier rejection fails the whole apply" "failed, nothing was changed: the verifier rejected" "$out"
check_eq "... exit status 1" 1 $rc
check_eq "... the state is exactly as before" "$before" "$(K export)"
check_eq "... the replaced function runs its old program again" "X" \
	"$(K -j invoke echo --data x | jq -r .reply)"
printf 'functions:\n  echo:\n    objct: x\n' > "$T/c.yaml"
check_match "an unknown key is an error with its line" "c.yaml:3: unknown key 'objct' in function 'echo'" \
	"$(K apply "$T/c.yaml" 2>&1)"
printf 'functions: [\n' > "$T/d.yaml"
check_match "invalid YAML is an error with its line" "d.yaml:2: not valid YAML" "$(K apply "$T/d.yaml" 2>&1)"
printf 'routes:\n  - { trigger: udp 7, fn: ghost }\n' > "$T/e.yaml"
check_match "a route to an undefined function is an error" "e.yaml:2: route to 'ghost'" \
	"$(K apply "$T/e.yaml" 2>&1)"
check_eq "... none of them changed anything" "$before" "$(K export)"

# ---- budgets in the file ----
cat > "$T/bud.yaml" <<EOF2
functions:
  echo:
    object: $B/bpf/echo.bpf.o
    budget: { rps: 100, burst: 10, bytes-per-sec: 5000 }
routes:
  - { trigger: udp 7, fn: echo }
EOF2
K apply "$T/bud.yaml" >/dev/null
check_eq "apply sets a function's budget" "100 10 5000" \
	"$(K -j budget show echo | jq -r '"\(.rps) \(.rps_burst) \(.bytes_per_sec)"')"
check_match "export writes it back" "budget:.*rps: 100.*burst: 10.*bytes-per-sec: 5000" \
	"$(K export | tr '\n' ' ')"
sed -i '/budget/d' "$T/bud.yaml"
check_eq "a file without it clears it" "budget" \
	"$(K -j apply "$T/bud.yaml" | jq -r '.changes[].action')"

# ---- metrics ----
K invoke echo --data hi --repeat 1000 >/dev/null
prom=$(K stats --prometheus)
if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
	parsed=$(printf '%s\n' "$prom" | /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        if s.name == "kfaas_function_invocations_total":
            print(s.labels["function"], s.labels["tier"], int(s.value))
')
	check_eq "stats --prometheus parses and agrees with stats -j" \
		"echo xdp $(K -j stats echo | jq .invocations)" "$parsed"
else
	skip "stats --prometheus parses" "python3-prometheus-client missing"
fi
check_match "... with HELP/TYPE for every family" "# TYPE kfaas_function_cpu_seconds_total counter" "$prom"

# ---- top ----
out=$(K -j top --delay 1 --count 1)
check_eq "top -j: one report with the function's rates" "echo" "$(echo "$out" | jq -r '.[0].name')"
check_match "top plain output has a header" "FUNCTION +TIER +INV/S" "$(K top --delay 1 --count 1)"
# rates are over the interval top measured: a top stopped between its two
# samples (the 2 s are the scenario, not a wait for anything) still reports
# the true rate of 3000 invocations made meanwhile
"$KFAAS" -j top --delay 1 --count 1 > "$T/top.json" &
tp=$!
nr=$(printf '#include <sys/syscall.h>\nSYS_clock_nanosleep\n' | cpp -P | tail -1)
for i in $(seq 200); do	# its first sample is taken once it sleeps
	{ read -r s _ < "/proc/$tp/syscall"; } 2>/dev/null; [ "$s" = "$nr" ] && break
	sleep 0.05
done
kill -STOP $tp
K invoke echo --data x --repeat 3000 >/dev/null
sleep 2
kill -CONT $tp; wait $tp
check_eq "top -j: rate x measured interval = the invocations made (interval over 2 s)" "3000 true" \
	"$(jq -r '.[0] | "\(.invocations_per_s * .interval_s | round) \(.interval_s > 2)"' "$T/top.json")"
if command -v strace >/dev/null; then
	# the bpf(2) calls up to the first sample, then every later one fails
	strace -qq -o "$T/top.trace" -e trace=bpf,clock_nanosleep \
		"$KFAAS" top --delay 1 --count 1 >/dev/null 2>&1
	n=$(awk '/clock_nanosleep/ { print NR - 1; exit }' "$T/top.trace")
	out=$(strace -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EIO:when=$((n + 1))+ \
		"$KFAAS" top --delay 1 --count 1 2>&1 >/dev/null); rc=$?
	check_eq "a failed sample ends top with exit 1 and the error" \
		"1 Error: cannot read the registry: Input/output error" "$rc $out"
else
	skip "a failed sample ends top with exit 1 and the error" "no strace (tools/deps.sh)"
fi

# ---- bash completion ----
if [ -r /usr/share/bash-completion/bash_completion ]; then
	comp() {	# words... -> completions of the last word
		bash -c '. /usr/share/bash-completion/bash_completion
			 . '"$SRC"'/tools/completion/kfaas
			 PATH='"$B"':$PATH
			 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			 COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			 _kfaas kfaas "${@: -1}" "${@: -2:1}"
			 printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$@"
	}
	check_eq "complete objects" "apply budget config cost daemon export fn help invoke logs module net route sim sk stats top version" "$(comp kfaas '')"
	check_eq "complete daemon commands" "help reload status" "$(comp kfaas daemon '')"
	check_eq "complete sk commands" "help serve show stop" "$(comp kfaas sk '')"
	check_eq "complete fn commands" "create help list load replace show unload" "$(comp kfaas fn '')"
	check_eq "complete route commands" "add del help list" "$(comp kfaas route '')"
	check_eq "complete net commands" "attach detach help show" "$(comp kfaas net '')"
	check_eq "complete function names" "echo" "$(comp kfaas fn show '')"
	check_eq "complete route protocols" "tcp udp" "$(comp kfaas route add '')"
	check_match "complete interfaces" "(^| )lo( |$)" "$(comp kfaas net attach '')"
	check_eq "complete invoke options" "--batches --data --dst --file --hex --repeat --src --vlan" \
		"$(comp kfaas invoke echo -- | tr ' ' '\n' |
		   grep -E '^--(data|hex|file|src|dst|vlan|repeat|batches)$' | sort | xargs)"
	check_eq "complete logs: function names, then its options" "echo help --follow --since" \
		"$(comp kfaas logs '') $(comp kfaas logs echo -- | tr ' ' '\n' |
		   grep -E '^--(follow|since)$' | sort | xargs)"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "bash completion" "bash-completion missing"; done
fi

ktap_finish
