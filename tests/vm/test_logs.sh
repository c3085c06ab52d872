#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Function logs with kfaasd (docs/kfaasd.md, FUNCTION LOGS): a VM-tier
# function's stderr with its exit status or signal and its run time; the
# eBPF tiers' records (kfaas invoke, a real TCP client) collected from
# the ring into kfaasd's history; 'kfaas logs' and -f over that history;
# a log flood kept under --log-size by rotation, its drops in the stream,
# another function's stream intact, from an XDP function and from a VM
# function spewing stderr (each entry its head); the journal, when systemd-journald
# exists: kfaasd runs beside a journald of its own in a private mount
# namespace (tests/vm/journal_ns.sh) with $INVOCATION_ID set, as under
# systemd, and journalctl reads the fields it sent.  Not exercised here:
# systemd as PID 1 and kfaasd.service itself (this machine has none).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"
. "$here/../sk/sk_lib.sh"

vm_require jq python3 nsenter unshare
ktap_plan 35

FN=$B/tests/vm/fn/kfn
CACHE=/var/cache/kfaasd-test
LOG=$(mktemp /tmp/kfaasd-logs.XXXXXX)
# the daemon is given --run-dir: the CLI finds its history through
# PINROOT/kfaasd, as it finds the daemon
unset KFAAS_RUN_DIR
RUN=/run/kfaasd-t$$-logs
CAP=16384
use_pin_root vmlogs
sandbox_up vmlogs 81 || { echo "Bail out! no sandbox"; exit 1; }
tmp=$(mktemp -d)
K() { "$KFAAS" "$@"; }
cleanup_add "rm -rf $tmp $LOG"
cleanup_add "daemon_stop; kill_qemus; rm -rf $RUN"

# ---- kfaasd, beside a journald of its own when there is one -------------------
JOURNALD=/lib/systemd/systemd-journald
if [ -x "$JOURNALD" ] && command -v journalctl >/dev/null; then
	journal=(unshare --mount --propagation private "$here/journal_ns.sh" "$tmp")
	cleanup_add "[ -f $tmp/journald.pid ] && kill \$(cat $tmp/journald.pid)"
else
	journal=()
fi
"${journal[@]}" nsenter --net=/run/netns/"$NS_SRV" \
	env INVOCATION_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') \
	"$B/kfaasd" --run-dir "$RUN" --cache-dir "$CACHE" --config none --refresh 500 \
	--log-size $CAP >>"$LOG" 2>&1 &
DPID=$!
daemon_wait_ready 100
check "kfaasd starts" test $? = 0
check_match "it keeps function logs in its run directory, to the journal too (\$INVOCATION_ID)" \
	"function logs: history in $RUN/logs \\($CAP bytes a function\\), sent to the journal" \
	"$(cat "$LOG")"
out=$(K -j fn create kfn --vm "$FN" --min-warm 1 --max 1 2>&1)
check_eq "a VM-tier function (kfn)" "kfn vm" "$(echo "$out" | jq -r '"\(.name) \(.tier)"')"

# ---- the VM tier: stderr, exit status, signal, run time ---------------------------
check_eq "kfn says something on stderr" said "$(K invoke kfn --data 'say hello from the guest' |
	sed -n 's/^reply ([0-9]* bytes): //p')"
check_match "kfaas logs: its stderr with the exit status and run time" \
	'^[0-9-]{10} [0-9:.]{15} kfn\[vm\] exit 0 after [0-9.]+ ms: hello from the guest$' \
	"$(K logs kfn)"
K invoke kfn --data stderr >/dev/null 2>&1
e=$(K -j logs kfn | tail -1)
check_eq "-j: exit 3, its stderr, the error" \
	"3|something went wrong
|function 'kfn' exited with status 3: something went wrong" \
	"$(echo "$e" | jq -r '"\(.exit)|\(.msg)|\(.error)"')"
check "... and its run time in the guest" test "$(echo "$e" | jq .duration_ns)" -gt 0
K invoke kfn --data crash >/dev/null 2>&1
check_eq "a function killed by a signal: SEGV" SEGV "$(K -j logs kfn | tail -1 | jq -r .signal)"
n=$(K -j logs kfn | wc -l)
K invoke kfn --data 'echo quiet' >/dev/null
check_eq "an invocation without stderr that succeeds leaves no entry" "$n" \
	"$(K -j logs kfn | wc -l)"

# ---- the eBPF tiers through kfaasd's history ------------------------------------
K fn load "$B/tests/bpf/log_flood.bpf.o" quiet >/dev/null &&
K fn load "$B/tests/bpf/log_flood.bpf.o" flood >/dev/null &&
K fn load "$B/tests/bpf/log_sk.bpf.o" lsk >/dev/null &&
K route add udp 7102 fn flood >/dev/null && K route add udp 7103 fn quiet >/dev/null &&
K route add tcp 7104 fn lsk >/dev/null
check "load quiet, flood (XDP) and lsk (socket tier), with routes" test $? = 0
K invoke quiet --data xdp-via-kfaasd >/dev/null
check "kfaasd collects an XDP function's record into its history" \
	wait_until 50 grep -q xdp-via-kfaasd "$RUN/logs/quiet.log"
check_eq "kfaas logs shows it from there, with the request's ends" \
	"xdp 192.0.2.1:40000 192.0.2.2:7103 xdp-via-kfaasd" \
	"$(K -j logs quiet | jq -r '"\(.tier) \(.src) \(.dst) \(.msg)"')"
check "kfaasd's socket-tier listener serves lsk" \
	wait_until 300 in_cli sh -c "printf 'x\n' | timeout 2 python3 $here/../sk/sk_client.py $SRV4 7104"
printf 'over-tcp\n' | in_cli python3 "$here/../sk/sk_client.py" $SRV4 7104 >/dev/null 2>&1
wait_until 100 grep -q over-tcp "$RUN/logs/lsk.log"
check_match "a TCP client's request: the socket tier's record, from kfaasd" \
	"^tcp $CLI4:[0-9]+ $SRV4:7104 line of 9 bytes: over-tcp\$" \
	"$(K -j logs lsk | jq -r '"\(.proto) \(.src) \(.dst) \(.msg)"' | tail -1)"
check_eq "every tier in one stream" "kfn lsk quiet" \
	"$(K -j logs | jq -r .fn | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ---- -f over the history ----------------------------------------------------------
K -j logs -f > "$tmp/follow" 2>"$tmp/follow.err" &
fpid=$!
cleanup_add "kill $fpid"
wait_until 100 grep -q over-tcp "$tmp/follow"
check "-f prints the history first" grep -q '"hello from the guest' "$tmp/follow"
K invoke kfn --data 'say while following' >/dev/null
check "-f prints a VM-tier entry while it runs" \
	wait_until 100 grep -q '"while following' "$tmp/follow"

# ---- a flood: bounded on disk, counted, another stream intact ---------------------
flood_run() {
	for i in $(seq 10); do K invoke flood --data flood --repeat 2000 >/dev/null; done
}
flood_run &
floodpid=$!
cleanup_add "kill $floodpid"
for i in $(seq 10); do K invoke quiet --data "seq-$i" >/dev/null; done
wait $floodpid
# a rotation is a rename; the cap holds between two writes
check "the flood's history rotated (flood.log.1)" wait_until 50 test -f "$RUN/logs/flood.log.1"
size=$(( $(stat -c %s "$RUN/logs/flood.log") + $(stat -c %s "$RUN/logs/flood.log.1") ))
diag "flood's history: $size bytes (cap $CAP)"
check "... and stays under --log-size ($CAP bytes)" test "$size" -le $CAP
check "its drops are in the stream (kfaasd reports them every second)" \
	wait_until 30 sh -c "'$KFAAS' -j logs flood | grep -q '\"reason\":\"rate limit\"'"
check_eq "another function's stream is intact: seq-1 to seq-10, in order" \
	"$(seq -f 'seq-%g' 1 10 | tr '\n' ' ')" \
	"$(K -j logs quiet | jq -r 'select(.msg | startswith("seq-")) | .msg' | tr '\n' ' ')"
K invoke flood --data after-the-flood >/dev/null
check "-f goes on through the flood's rotations" \
	wait_until 100 grep -q '"after-the-flood"' "$tmp/follow"
kill $fpid; wait $fpid 2>/dev/null
check_eq "-f ended by SIGTERM left nothing on its stderr" "" "$(cat "$tmp/follow.err")"
check "every entry -f printed is a JSON object" jq -e -s 'all(type == "object")' "$tmp/follow"

# ---- a VM-tier function spewing stderr: each entry its head, the disk bounded ----
n0=$(K -j logs quiet | wc -l)
out=$(K -j invoke kfn --data 'spew 20000' --repeat 12 2>&1)
[ "$(echo "$out" | jq -r .errors)" = 0 ] || diag "$(K -j logs kfn | tail -2)"
check_eq "12 invocations each writing 20 000 bytes to stderr all succeed" "12 0" \
	"$(echo "$out" | jq -r '"\(.repeat) \(.errors)"')"
K invoke quiet --data after-the-spew >/dev/null
wait_until 50 grep -q after-the-spew "$RUN/logs/quiet.log"
long=$(K -j logs kfn | jq -rs --argjson max $(awk '/define KFAAS_AGENT_STDERR_MAX/ {print $3}' \
	"$here/../../include/kfaas/agent.h") '[.[] | select(.msg | startswith("eeee")) | .msg | length] |
	"\(length > 0) \(all(. <= $max))"')
check_eq "kfaas logs: a spewing invocation's entry holds only its stderr's head" "true true" "$long"
size=$(( $(stat -c %s "$RUN/logs/kfn.log") + $(stat -c %s "$RUN/logs/kfn.log.1" 2>/dev/null || echo 0) ))
diag "kfn's history after the spew: $size bytes (cap $CAP)"
check "... its history rotated and stays under --log-size ($CAP bytes)" \
	test -f "$RUN/logs/kfn.log.1" -a "$size" -le $CAP
check_eq "another function's stream is intact: one new entry" "$((n0 + 1)) after-the-spew" \
	"$(K -j logs quiet | wc -l) $(K -j logs quiet | tail -1 | jq -r .msg)"

# ---- the journal -------------------------------------------------------------------
jctl() {	# journalctl in kfaasd's mount namespace
	nsenter --mount=/proc/$DPID/ns/mnt journalctl --no-pager -o json "$@"
}
if [ ${#journal[@]} -gt 0 ]; then
	check "journald has kfn's entries" wait_until 50 sh -c \
		"nsenter --mount=/proc/$DPID/ns/mnt journalctl -o json KFAAS_FUNCTION=kfn | grep -q 'hello from the guest'"
	check_eq "a VM-tier entry: identifier, function, tier, exit status, run time, priority" \
		"kfn kfn vm 0 true 6" \
		"$(jctl KFAAS_FUNCTION=kfn | jq -r 'select(.MESSAGE == "hello from the guest") |
			"\(.SYSLOG_IDENTIFIER) \(.KFAAS_FUNCTION) \(.KFAAS_TIER) \(.KFAAS_EXIT_STATUS) \((.KFAAS_DURATION_NS | tonumber) > 0) \(.PRIORITY)"')"
	check_eq "a failed invocation: exit 3, warning priority" "3 4" \
		"$(jctl KFAAS_FUNCTION=kfn KFAAS_EXIT_STATUS=3 | jq -r '"\(.KFAAS_EXIT_STATUS) \(.PRIORITY)"' | head -1)"
	check_eq "an XDP record: tier, protocol, the request's ends" \
		"xdp udp 192.0.2.1:40000 192.0.2.2:7103" \
		"$(jctl KFAAS_FUNCTION=quiet | jq -r 'select(.MESSAGE == "xdp-via-kfaasd") |
			"\(.KFAAS_TIER) \(.KFAAS_PROTO) \(.KFAAS_SRC) \(.KFAAS_DST)"')"
	check_match "the flood's drops: KFAAS_DROPPED" "^[0-9]+$" \
		"$(jctl KFAAS_FUNCTION=flood | jq -r 'select(.KFAAS_DROPPED) | .KFAAS_DROPPED' | head -1)"
else
	for c in "journald has kfn's entries" "a VM-tier entry's fields" \
		 "a failed invocation's fields" "an XDP record's fields" \
		 "the flood's drops"; do
		skip "$c" "no systemd-journald on this machine"
	done
fi

# ---- kfaasd stops: its history goes ---------------------------------------------
daemon_stop
check_eq "kfaasd stops cleanly" 0 $?
# what the lifecycle policy learnt (RUNDIR/lifecycle) stays for the next
# start (docs/lifecycle.md); everything else of the run directory goes
left=$(ls -A "$RUN" 2>/dev/null | tr '\n' ' ')
check "its history goes with the rest of its run directory (left: '${left% }')" \
	test "${left% }" = "" -o "${left% }" = lifecycle
ktap_finish
