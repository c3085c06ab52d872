#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Resident VM-tier functions (kfaas fn create --resident) on real QEMU:
# one process per VM serves request after request (its pid and its count
# of requests are in every reply of the test function rfn), a failed
# request keeps it, a crash mid-request is an error for that request and
# the next one is served by a restarted process in the same VM, a hung
# request loses its VM, accounting counts as for the same function run a
# process per request, export and apply keep the flag.  Timings are
# diagnostics only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq
RFN=$B/tests/vm/fn/rfn
[ -x "$RFN" ] || ktap_skip_all "the resident test function is not built ($RFN): make"

ktap_plan 20

CACHE=/var/cache/kfaasd-test
LOG=$(mktemp /tmp/kfaasd-res.XXXXXX)
export KFAAS_RUN_DIR=/run/kfaasd-r$$
RUN=$KFAAS_RUN_DIR
use_pin_root res
"$B/kfaasd" --cache-dir "$CACHE" --config none >>"$LOG" 2>&1 &
DPID=$!
cleanup_add "daemon_stop; kill_qemus; rm -rf $RUN; rm -f $LOG $LOG.*"
check "kfaasd starts" daemon_wait_ready 150

inv() { "$KFAAS" -j invoke "$@"; }
# "PID N" of a reply of rfn
pid_n() { inv "$1" --data "$2" | jq -r '.reply // .error' | cut -d' ' -f1,2; }
vm_pids() { pool_get "$1" '[.vms[] | select(.template == false) | .pid] | sort | join(",")'; }

# ---- create ----------------------------------------------------------------
out=$("$KFAAS" -j fn create r --vm "$RFN" --resident --min-warm 1 --max 1 \
	--timeout 2000 2>&1)
check_eq "fn create --resident: a resident VM-tier function" "vm true" \
	"$("$KFAAS" -j fn show r | jq -r '[.tier, .vm.resident] | map(tostring) | join(" ")')"
# the same executable, a process per request (the helper's fork mode)
"$KFAAS" -j fn create f --vm "$RFN" --min-warm 1 --max 1 >"$LOG.f" 2>&1
check_eq "... beside the same executable without --resident" "true false" \
	"$(st | jq -r '[.functions[] | select(.name == "r" or .name == "f") | .resident] | sort | reverse | map(tostring) | join(" ")')"

# ---- one process, many requests --------------------------------------------
# the clone's first request starts the process and translates the guest's
# code again: on a loaded machine it may outlast --timeout (its VM is then
# replaced), so it is repeated until one is served
for i in 1 2 3 4 5; do
	w=$(pid_n r "echo warm-up")
	[[ "$w" =~ ^[0-9]+\ [0-9]+$ ]] && break
	diag "warm-up request $i: $w"
done
first=${w% *}; c0=${w#* }
seen=$(for i in $(seq 10); do pid_n r "echo $i"; done)
check_eq "10 requests: one process served them all, counting on" \
	"$(seq $((c0 + 1)) $((c0 + 10)) | sed "s/^/$first /")" "$seen"
rep=$(inv r --data "echo x" --repeat 200)
check_eq "--repeat 200: all replies" "200 0" "$(echo "$rep" | jq -r '[.repeat, .errors // 0] | map(tostring) | join(" ")')"
check_eq "... by the same process: the next one is its 211th request after the warm-up" "$first $((c0 + 211))" \
	"$(pid_n r 'echo after')"
ff=$(pid_n f "echo 1"); fs=$(pid_n f "echo 2")
check "without --resident every request is a new process (its request 1)" \
	test "${ff#* }" = 1 -a "${fs#* }" = 1 -a "${ff% *}" != "${fs% *}"
diag "warm p50/p99 (ms): resident $(echo "$rep" | jq '[.p50_ns, .p99_ns] | map(. / 1e6)' -c)," \
	"a process per request $(inv f --data 'echo x' --repeat 50 | jq '[.p50_ns, .p99_ns] | map(. / 1e6)' -c)"

# ---- failures --------------------------------------------------------------
out=$(inv r --data "fail 3"); rc=$?
check_eq "status 3 from the handler: an error, exit status 3, exit 1" "1 ERROR 3" \
	"$rc $(echo "$out" | jq -r '[.verdict, .exit_status] | map(tostring) | join(" ")')"
check_eq "... the process stays" "$first $((c0 + 213))" "$(pid_n r 'echo again')"
vm=$(vm_pids r)
out=$(inv r --data crash)
check_match "a crash mid-request: that request gets an error naming the signal" \
	"resident process of function 'r' was killed by a signal.*signal 11" \
	"$(echo "$out" | jq -r .error)"
next=$(pid_n r "echo next")
check "the next request is served by a restarted process (its request 1)" \
	test "${next#* }" = 1 -a "${next% *}" != "$first"
check_eq "... in the same VM: restarts 1, no VM crash" "$vm 1 0" \
	"$(vm_pids r) $(pool_get r .restarts) $(pool_get r .crashes)"
out=$(inv r --data garbage)
check_match "output that is not a frame: an error, the process killed" \
	"not a response frame" "$(echo "$out" | jq -r .error)"
check_eq "... and replaced" "1" "$(pid_n r 'echo x' | cut -d' ' -f2)"

# ---- a hung request loses its VM --------------------------------------------
out=$(inv r --data loop)
check_match "a request over --timeout: an error" "timed out after 2000 ms" \
	"$(echo "$out" | jq -r .error)"
wait_pool r '.timeouts == 1 and .idle == 1' 30 >/dev/null
check "... its VM replaced, the next request served by a new process" \
	test "$(vm_pids r)" != "$vm" -a "$(pid_n r 'echo y' | cut -d' ' -f2)" = 1

# ---- accounting: as for a process per request -----------------------------
charge() {	# fn -> the counters the same requests must change alike
	local s0 s1 i
	s0=$("$KFAAS" -j stats "$1")
	for i in 1 2 3; do inv "$1" --data "echo abc" >/dev/null; done
	inv "$1" --data "fail 2" >/dev/null
	s1=$("$KFAAS" -j stats "$1")
	jq -rn --argjson a "$s0" --argjson b "$s1" '[$b.invocations - $a.invocations,
		$b.errors - $a.errors, $b.bytes_in - $a.bytes_in,
		($b.cpu_ns > $a.cpu_ns)] | map(tostring) | join(" ")'
}
check_eq "stats of 3 replies and 1 failure: invocations, errors, bytes in, CPU" \
	"4 1 30 true" "$(charge r)"
check_eq "... the same as the function run a process per request" \
	"4 1 30 true" "$(charge f)"

# ---- export / apply ----------------------------------------------------------
"$KFAAS" export >"$LOG.yaml"
# one line per function: "  r:     vm: ...     resident: true"
fns=$(awk '/^  [a-z]/ { printf "\n" } { printf "%s ", $0 }' "$LOG.yaml")
check_eq "export writes resident: true for r, not for f" "1 0" \
	"$(echo "$fns" | grep '^  r:' | grep -c 'resident: true') $(echo "$fns" | grep '^  f:' | grep -c 'resident: true')"
check_eq "... and applying it changes nothing" 0 \
	"$("$KFAAS" -j apply "$LOG.yaml" | jq '.changes | length')"

"$KFAAS" fn unload r >/dev/null
"$KFAAS" fn unload f >/dev/null
daemon_stop
ktap_finish
