#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM tier end to end: kfaasd running real QEMU microVMs (TCG here),
# real UDP/TCP clients in a veth/netns sandbox, a private pin root and run
# directory.  Two functions are created once and used by every case (each
# costs one template boot).  Timings are printed as diagnostics, never
# asserted.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq socat python3 nsenter

ktap_plan 68

FN=$B/tests/vm/fn/kfn
UDP="python3 $here/udp.py"
# unpacked guest kernel, kept between runs; outside the checkout, which
# may sit in a directory (mktemp -d: 0700) QEMU's own uid cannot enter
CACHE=/var/cache/kfaasd-test
LOG=$(mktemp /tmp/kfaasd-test.XXXXXX)
# the daemon is given --run-dir: the CLI finds it through PINROOT/kfaasd
unset KFAAS_RUN_DIR
RUN=/run/kfaasd-t$$

use_pin_root vm
sandbox_up vm 77 || { echo "Bail out! no sandbox"; exit 1; }
PORT=7000; XPORT=7100

# ---- helpers -----------------------------------------------------------------
daemon_start() {
	nsenter --net=/run/netns/"$NS_SRV" "$B/kfaasd" --run-dir "$RUN" \
		--cache-dir "$CACHE" --queue 2 --refresh 500 --config none "$@" \
		>>"$LOG" 2>&1 &
	DPID=$!
	daemon_wait_ready 100
}
cleanup_add "daemon_stop; kill_qemus; rm -rf $RUN; rm -f $LOG"
udp() { in_cli $UDP "$SRV4" "$PORT" "$@"; }
vm_pid() { pool_get "$1" "[.vms[] | select(.state==\"$2\" and .template==false)][0].pid"; }

# ---- without a daemon: clear errors, nothing changes -------------------------
out=$("$KFAAS" -j fn create kfn --vm "$FN" 2>&1)
check_match "fn create without kfaasd: JSON error says to start it" \
	"kfaasd is not running" "$(echo "$out" | jq -r .error)"
check_fail "daemon status without kfaasd fails" "$KFAAS" daemon status

# ---- start -------------------------------------------------------------------
daemon_start
check_eq "kfaasd starts (private pin root and run dir)" 0 $?
check_eq "it serves our pin root" "$KFAAS_PIN_ROOT" "$(st | jq -r .daemon.pin_root)"
check_eq "the CLI finds it by its --run-dir, recorded in the pin root" "$RUN" \
	"$(readlink "$KFAAS_PIN_ROOT/kfaasd")"
check_eq "a second kfaasd on the same pin root is refused" 1 \
	"$("$B/kfaasd" --run-dir /run/kfaasd-t$$-b --cache-dir "$CACHE" \
	   >/dev/null 2>&1; echo $?)"
diag "accelerator: $(st | jq -r '.daemon.accel + " (" + .daemon.accel_why + ")"')"

# both templates boot at once; create answers when min-warm VMs are ready
"$KFAAS" -j fn create kfn2 --vm "$FN" --min-warm 1 --max 1 >"$LOG.kfn2" 2>&1 &
c2=$!
out=$("$KFAAS" -j fn create kfn --vm "$FN" --min-warm 1 --max 2 --idle-ttl 3 \
	--timeout 3000)
check_eq "fn create --vm: a VM-tier function" "vm 2 3000" \
	"$(echo "$out" | jq -r '[.tier, .vm.max, .vm.timeout_ms] | join(" ")')"
wait $c2
check_eq "a second function is created alongside" "vm" "$(jq -r .tier "$LOG.kfn2")"
rm -f "$LOG.kfn2"
check_eq "fn list shows both in the registry" "kfn:vm kfn2:vm" \
	"$("$KFAAS" -j fn list | jq -r 'sort_by(.name) | map(.name + ":" + .tier) | join(" ")')"
check_eq "template saved, min-warm VM up" "ready 1" \
	"$(pool_get kfn '[.template, .live] | join(" ")')"
diag "template $(pool_get kfn .template_ms) ms; clone ready in $(pool_get kfn .last_clone_ms) ms"
check_eq "QEMU runs as the function's own uid" \
	"$(st | jq -r '.functions[] | select(.name=="kfn") | .qemu_uid')" \
	"$(stat -c %u /proc/"$(vm_pid kfn idle)")"

# ---- bad input: clear errors, no state changed ---------------------------------
check_match "--mem 64 is refused (96 MiB at least)" "96" \
	"$("$KFAAS" -j fn create bad --vm "$FN" --mem 64 | jq -r .error)"
check_match "a dynamically linked executable is refused" "dynamically linked" \
	"$("$KFAAS" -j fn create bad --vm "$B/kfaas" | jq -r .error)"
check_match "--min-warm above --max is refused" "above --max" \
	"$("$KFAAS" -j fn create bad --vm "$FN" --min-warm 3 --max 2 | jq -r .error)"
check_match "an existing name is refused" "already exists" \
	"$("$KFAAS" -j fn create kfn --vm "$FN" | jq -r .error)"
check_match "a missing --vm is refused" "--vm EXEC" \
	"$("$KFAAS" -j fn create bad | jq -r .error)"
check_eq "none of that changed the registry" 2 "$("$KFAAS" -j fn list | jq length)"
check_match "invoke of an unknown function fails clearly" "no function 'nope'" \
	"$("$KFAAS" -j invoke nope --data x | jq -r .error)"

# ---- serving through the shared route table ----------------------------------
check "route add udp/tcp to the VM-tier function" \
	sh -c "'$KFAAS' route add udp $PORT fn kfn && '$KFAAS' route add tcp $PORT fn kfn"
check_eq "a UDP client (socat) gets the function's reply" "hello" \
	"$(printf 'echo hello' | in_cli socat -t 2 - UDP:$SRV4:$PORT)"
check_eq "a TCP client (socat) gets the function's reply" "over tcp" \
	"$(printf 'echo over tcp' | in_cli socat -t 10 - TCP:$SRV4:$PORT)"
check_match "a UDP client over IPv6 too" "^[0-9]+ v6$" \
	"$(in_cli $UDP "$SRV6" $PORT "echo v6")"
check_eq "kfaas invoke of a VM function prints the reply" "reply (5 bytes): hi yo" \
	"$("$KFAAS" invoke kfn --data 'echo hi yo' | sed -n 2p)"
out=$("$KFAAS" -j invoke kfn --data 'echo r' --repeat 20)
check_eq "invoke --repeat: per-invocation statistics" "REPLY 20 0 true" \
	"$(echo "$out" | jq -r '[.verdict, .repeat, .errors, (.p99_ns >= .p50_ns and .p50_ns > 0)] | map(tostring) | join(" ")')"
diag "warm invoke: p50 $(echo "$out" | jq .p50_ns) ns, p99 $(echo "$out" | jq .p99_ns) ns"
out=$("$KFAAS" -j invoke kfn --data 'exit 3'); rc=$?
check_eq "a failing function: exit 1, verdict ERROR, its status" "1 ERROR 3" \
	"$rc $(echo "$out" | jq -r '[.verdict, .exit_status] | map(tostring) | join(" ")')"
check_eq "the function's environment is clean" "HOME=/tmp KFAAS=1 LANG=C PATH=/bin:/usr/bin" \
	"$("$KFAAS" -j invoke kfn --data env | jq -r .reply | sort | xargs)"
check_match "it runs unprivileged inside the guest" "^1000 1000 " \
	"$("$KFAAS" -j invoke kfn --data id | jq -r .reply)"
check_match "a reply over the response limit is an error" "wrote more than" \
	"$("$KFAAS" -j invoke kfn --data 'big 2000000' | jq -r .error)"
check_match "an error reaches a UDP client as a clear line" \
	"kfaasd: error: .*signal 11" "$(udp crash)"
s0=$("$KFAAS" -j stats kfn)
udp "echo abc" >/dev/null; udp "echo abc" >/dev/null; udp "echo abc" >/dev/null
s1=$("$KFAAS" -j stats kfn)
check_eq "kfaas stats charges invocations and bytes of the VM tier" "3 24 9" \
	"$(jq -rn --argjson a "$s0" --argjson b "$s1" \
	   '[$b.invocations - $a.invocations, $b.bytes_in - $a.bytes_in, $b.bytes_out - $a.bytes_out] | map(tostring) | join(" ")')"
check_eq "... in the one stats table, tier vm" "vm true" \
	"$("$KFAAS" -j stats | jq -r '.[] | select(.name=="kfn") | [.tier, (.cpu_ns > 0)] | map(tostring) | join(" ")')"

# ---- the warm pool: max, queue, idle TTL -------------------------------------
# one VM runs, two wait in the queue while a second VM starts; the pool's
# size is watched for as long as the requests run
udp -n 3 "sleep 600" > "$LOG.live" &
up=$!
maxlive=0
while kill -0 $up 2>/dev/null; do
	l=$(pool_get kfn .live)
	[ "${l:-0}" -gt $maxlive ] 2>/dev/null && maxlive=$l
done
wait $up
check_eq "3 concurrent requests, 1 warm VM, max 2, queue 2: all answered" 3 \
	"$(grep -c ' slept 600' "$LOG.live")"
check_eq "the pool grows to --max for them, never beyond" 2 $maxlive
check "idle VMs above min-warm are reclaimed after the TTL" wait_pool kfn \
	'.live == 1 and .reclaimed >= 1' 15
th0=$(stats_get kfn .throttled); of0=$(pool_get kfn .overflows)
out=$(udp -n 6 "sleep 1500")
check_eq "over the queue bound: a clear error at once, the rest served" "3 3" \
	"$(echo "$out" | grep -c 'is busy') $(echo "$out" | grep -c ' slept 1500')"
check_eq "refusals are counted (status and stats throttled)" "3 3" \
	"$(( $(pool_get kfn .overflows) - of0 )) $(( $(stats_get kfn .throttled) - th0 ))"

# ---- timeout, crashes, isolation ---------------------------------------------
"$KFAAS" -j invoke kfn --data loop > "$LOG.loop" &
lp=$!
wait_pool kfn '.busy >= 1' 5 >/dev/null
out=$("$KFAAS" -j invoke kfn2 --data 'echo still here')
check_eq "a looping function does not stall another one" "still here running" \
	"$(echo "$out" | jq -r .reply) $(kill -0 $lp 2>/dev/null && echo running)"
wait $lp
check_match "over its timeout: the client gets an error" "timed out after 3000 ms" \
	"$(jq -r .error "$LOG.loop")"
check_eq "... its VM was killed and replaced" "1 ok" \
	"$(pool_get kfn .timeouts) $(udp 'echo ok' | cut -d' ' -f2)"
rm -f "$LOG.loop" "$LOG.live"
wait_pool kfn '.live == 1 and .idle == 1' 15 >/dev/null	# TTL settled
old=$(vm_pid kfn idle)
kill -9 "$old"
check "a crashed VM is replaced" wait_pool kfn \
	".crashes == 1 and .idle == 1 and ([.vms[].pid] | index($old) | not)" 15
check_eq "... and serves" "after crash" "$(udp 'echo after crash' | cut -d' ' -f2-)"
"$KFAAS" -j invoke kfn --data 'sleep 2500' > "$LOG.busy" &
bp=$!
wait_pool kfn '.busy == 1' 5 >/dev/null
kill -9 "$(vm_pid kfn busy)"
wait $bp
check_match "a VM dying mid-request: the client gets an error" "died while serving" \
	"$(jq -r .error "$LOG.busy")"
rm -f "$LOG.busy"
# every fresh clone comes from the same snapshot: each must be reseeded
r=()
for i in 1 2; do
	p=$(vm_pid kfn2 idle)
	kill -9 "$p"
	wait_pool kfn2 ".idle == 1 and ([.vms[].pid] | index($p) | not)" 15 >/dev/null
	r+=("$("$KFAAS" -j invoke kfn2 --data rand | jq -r .reply)")
done
check "two fresh clones of one snapshot draw different random numbers" \
	test -n "${r[0]}" -a "${r[0]}" != "${r[1]}"
t=$("$KFAAS" -j invoke kfn2 --data time | jq -r .reply)
check "a clone's clock is set on restore" test "$(( t - $(date +%s) ))" -le 5 -a \
	"$(( $(date +%s) - t ))" -le 5
diag "kfn2 pool: $(pool kfn2 | jq -c '{clone, cold, crashes, template_ms, last_clone_ms}')"

# ---- overflow from an XDP function to its VM fallback ------------------------
check "an XDP function and the dispatcher on the server's interface" sh -c \
	"'$KFAAS' fn load '$B/tests/vm/fn/xsplit.bpf.o' xsplit &&
	 nsenter --net=/run/netns/$NS_SRV '$KFAAS' net attach $SRV_IF"
check "route: XDP function with the VM function as fallback" \
	"$KFAAS" route add udp $XPORT fn xsplit fallback kfn
check_eq "kfaasd listens on the fallback's route" true \
	"$(st | jq -r ".routes[] | select(.route==\"udp $XPORT\") | .listening")"
x0=$(stats_get xsplit .passed); v0=$(stats_get kfn .invocations)
check_eq "the XDP function answers what it can" "xdp-side" \
	"$(in_cli $UDP "$SRV4" $XPORT xdp-side | cut -d' ' -f2)"
check_eq "what it passes is answered by the VM fallback" "from the vm" \
	"$(in_cli $UDP "$SRV4" $XPORT 'echo from the vm' | cut -d' ' -f2-)"
check_eq "both tiers charged: XDP passed, VM invoked" "1 1" \
	"$(( $(stats_get xsplit .passed) - x0 )) $(( $(stats_get kfn .invocations) - v0 ))"

# ---- unload ------------------------------------------------------------------
check_match "unload of a function with routes is refused" "serves 3 route" \
	"$("$KFAAS" -j fn unload kfn | jq -r .error)"
id2=$("$KFAAS" -j fn list | jq -r '.[] | select(.name=="kfn2") | .id')
check "unload of kfn2 through kfaasd" "$KFAAS" fn unload kfn2
check_eq "its QEMU processes and files are gone" "0 gone" \
	"$(live_qemus "$id2:" | wc -l) $([ -e "$RUN/fn/$id2" ] || echo gone)"

# ---- kill -9 and restart: nothing leaked, nothing lost -----------------------
# a function whose executable will be gone when kfaasd restarts
tmpfn=$(mktemp /tmp/kfn.XXXXXX)
cp "$FN" "$tmpfn" && chmod 0755 "$tmpfn"
check_eq "min-warm 0: created at once" "0 0" \
	"$("$KFAAS" -j fn create gone --vm "$tmpfn" --min-warm 0 | jq -r .vm.min_warm) $(pool_get gone .live)"
rm -f "$tmpfn"
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
for i in $(seq 25); do [ -z "$(live_qemus)" ] && break; sleep 0.2; done
check_eq "kill -9 of kfaasd: its QEMU processes die with it" "" "$(live_qemus)"
# a leftover it must clean: a QEMU carrying its tag, a stray file
mkdir -p "$RUN/fn/999" && touch "$RUN/fn/999/junk"
fake=$(setsid sh -c 'echo $$; exec qemu-system-x86_64 -name "$0" -M microvm \
	-S -display none -nodefaults </dev/null >/dev/null 2>&1' \
	"guest=kfaasd:$RUN:999:0" &)
for i in $(seq 50); do	# until it runs as QEMU with the tag
	{ tr '\0' ' ' < "/proc/$fake/cmdline"; } 2>/dev/null |
		grep -q "guest=kfaasd:$RUN:999:0" && break
	sleep 0.1
done
daemon_start
check_eq "restart after kill -9" 0 $?
check_eq "it killed the leftover QEMU and removed stale files" "gone gone" \
	"$(alive "$fake" || echo gone) $([ -e "$RUN/fn/999" ] || echo gone)"
check_eq "it serves the registered function again" "back" \
	"$(udp -t 40 'echo back' | cut -d' ' -f2-)"
check_match "a function it cannot rebuild answers with a clear error" \
	"cannot read .*recreate it" "$("$KFAAS" -j invoke gone --data x | jq -r .error)"
check "... and can be unloaded" "$KFAAS" fn unload gone
check_eq "the accounting survived" true \
	"$([ "$(stats_get kfn .invocations)" -gt 30 ] && echo true)"
daemon_stop
check_eq "SIGTERM: kfaasd stops cleanly" 0 $?
check_eq "nothing stays behind: no QEMU, no link to the run directory, which keeps only what was learnt" "0 gone lifecycle" \
	"$(live_qemus | wc -l) $([ -L "$KFAAS_PIN_ROOT/kfaasd" ] || echo gone) $(ls "$RUN" 2>/dev/null | xargs)"

# ---- accelerator probe, cold boots -------------------------------------------
pcache=$(mktemp -d /tmp/kfaasd-probe.XXXXXX)
cleanup_add "rm -rf $pcache"
cp "$CACHE"/vmlinux-* "$pcache"/ 2>/dev/null
out=$("$B/kfaasd" --run-dir "$RUN" --cache-dir "$pcache" --accel tcg 2>&1); rc=$?
check_match "a guest kernel QEMU's uid cannot read is refused at start" \
	"^1 .*cannot read the guest kernel" "$rc $out"
chmod 0755 "$pcache"
CACHE=$pcache daemon_start --accel probe --probe-timeout 3000 --no-snapshot
check_eq "--accel probe: a timed probe boot of the real guest" 0 $?
a=$(st | jq -r '.daemon.accel + ": " + .daemon.accel_why')
diag "$a"
check_match "... decides" "^(kvm: a probe boot answered|tcg: .*probe)" "$a"
check_eq "... and caches the answer" 1 "$(grep -c . "$pcache/accel")"
check_match "--no-snapshot: VMs boot cold and serve" "^[0-9]+ hi cold 0$" \
	"$(udp -t 40 'echo hi') cold $(pool_get kfn .clone)"
diag "cold boot: $(pool_get kfn .last_cold_ms) ms"
daemon_stop
[ $KTAP_FAIL = 0 ] || diag "kfaasd log (tail):" "$(tail -40 "$LOG")"
ktap_finish
