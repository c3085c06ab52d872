#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kfaas.ko suite, run INSIDE the test guest by tests/kmod/test_kmod.sh
# (tools/vm/run.sh): busybox sh, the tree read-only at its host path.
#   suite.sh BUILD_DIR
# Prints one flat KTAP list, its plan first: this script's cases, and for
# each C program its cases (it says how many: PROG --ktap-plan), renumbered
# into the list, and one more for its exit status.
#
# The C programs and the module run from a copy in the guest's tmpfs, so
# that the fault-injection runs never touch the 9p share: a task whose
# allocations fail in the 9p client leaves the share unusable (every later
# exec from it fails with -EINVAL).
#
# The sizes of the reliability runs come from the kernel command line
# (test_kmod.sh turns KMOD_IOCTLS=... into kfaas_ioctls=...; the kernel
# hands such words to init as variables).  The defaults are the smoke of
# 'make check'; 'make check-debug' and 'make soak-kmod' run the full ones.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
B=${1:-$top/build}
. "$top/tests/lib.sh"
export KFAAS_PIN_ROOT=/sys/fs/bpf/kfaas-kmod
K="$B/kfaas"
G=/tmp/kmod-guest
KO=$G/kfaas.ko
PROGS="kmod_abi kmod_kfunc kmod_fuzz kmod_conc kmod_charge kmod_budget kmod_cycles kmod_fault"
IOCTLS=${kfaas_ioctls:-30000}		# random ioctls (kmod_fuzz)
FAILSLAB=${kfaas_failslab:-10}		# % of allocations failing in a 2nd run
INVOCATIONS=${kfaas_invocations:-1000000}	# through the kfunc dispatcher
CYCLES=${kfaas_cycles:-50}		# module load/unload cycles
FULL_EVERY=${kfaas_full_every:-25}	# ... every Nth a 'kfaas module load'
SEED=${kfaas_seed:-$(date +%s)}
PROG_TIMEOUT=${kfaas_prog_timeout:-900}	# seconds, per program
SHELL_CASES=56				# this script's own check/skip calls

exec 2>&1
SUITE_T0=$(date +%s)
mkdir -p $G
for p in $PROGS; do
	cp "$B/kmod-guest/$p" $G/ || { echo "Bail out! cannot copy $p to $G"; exit 2; }
done
cp "$B/kmod/$(uname -r)/kfaas.ko" $KO || { echo "Bail out! cannot copy kfaas.ko"; exit 2; }
FAULTS=
[ -w /sys/kernel/debug/failslab/probability ] &&
	[ -w /proc/thread-self/fail-nth ] && FAULTS=1

# the plan: each program's cases, and one for its exit status
plan=$SHELL_CASES
for p in $PROGS; do
	n=$("$G/$p" --ktap-plan)
	case "$n" in
	''|*[!0-9]*) echo "Bail out! $p --ktap-plan: '$n'"; exit 2 ;;
	esac
	eval "cases_$p=\$n"
	plan=$((plan + n + 1))
done
if [ -n "$FAULTS" ]; then	# a 2nd kmod_fuzz run, with failing allocations
	plan=$((plan + cases_kmod_fuzz + 1))
else				# instead of kmod_fault and that run: a skip each
	plan=$((plan - (cases_kmod_fault + 1) + 2))
fi
ktap_plan $plan

# Re-emit the cases of a KTAP program as cases of this list: as many as it
# plans (the ones it did not get to fail; or skip, when it skipped them
# all), then whether it exited as its cases say.
run_ktap() {	# prefix program args...
	local prefix=$1 prog=$2 want n=0 rc failed=0 line desc why='' t0
	shift 2
	eval "want=\$cases_$prog"
	t0=$(date +%s)
	timeout -s KILL "$PROG_TIMEOUT" "$G/$prog" "$@" >/tmp/prog.ktap 2>&1
	rc=$?
	diag "time: $prefix ($prog) took $(($(date +%s) - t0)) s"
	while IFS= read -r line; do
		desc=${line#ok * }
		case "$line" in
		"ok "*" # SKIP"*) n=$((n + 1))
			skip "$prefix: ${desc%% # SKIP*}" "${desc#* # SKIP }" ;;
		"ok "*)	n=$((n + 1)); _result 0 "$prefix: $desc" ;;
		"not ok "*) n=$((n + 1)); failed=1
			_result 1 "$prefix: ${line#not ok * }" ;;
		"1..0 # SKIP "*) why=${line#1..0 # SKIP } ;;
		"#"*)	echo "$line" ;;
		esac
	done </tmp/prog.ktap
	while [ $n -lt "$want" ]; do
		n=$((n + 1))
		if [ -n "$why" ]; then
			skip "$prefix: case $n of $want" "$why"
		else
			_result 1 "$prefix: case $n of $want: not run (exit $rc)"
		fi
	done
	if [ $rc = 0 ] || [ $rc = 4 ] || { [ $rc = 1 ] && [ $failed = 1 ]; }; then
		_result 0 "$prefix: exits as its cases say (exit $rc)"
	else
		_result 1 "$prefix: exits as its cases say (exit $rc)"
		tail -5 /tmp/prog.ktap | sed 's/^/# /'
	fi
}

jnum() {	# KEY JSON: a number field
	printf '%s' "$2" | sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p"
}

verdict() {	# FN [invoke args]: the verdict of one invocation
	"$K" invoke "$@" 2>&1 | sed -n 's/^[^:]*: \(XDP_[A-Z]*\) in .*/\1/p'
}

stat_of() {	# FN KEY
	jnum "$2" "$("$K" -j stats "$1")"
}

proc_inv() {	# ID: invocations kfaas.ko holds for it (/proc/kfaas)
	awk -v id="$1" '$1 == id { print $2 }' /proc/kfaas
}

# ---- the module, its device, the ABI, the kfuncs ---------------------------
check "kfaas module load --ko inserts kfaas.ko" "$K" module load --ko "$KO"
check "its kfuncs exist (/sys/kernel/btf/kfaas)" test -f /sys/kernel/btf/kfaas
check_match "module status: kfuncs, accounting in the module" \
	'"kfuncs":true.*"accounting":"module"' "$("$K" -j module status)"
run_ktap abi kmod_abi
run_ktap kfunc kmod_kfunc

# ---- reliability: random ioctls, exact accounting under concurrency -------
diag "random ioctls: $IOCTLS, seed $SEED"
run_ktap fuzz kmod_fuzz -n "$IOCTLS" -s "$SEED"
if [ -n "$FAULTS" ]; then
	run_ktap "fuzz, $FAILSLAB% of allocations failing" kmod_fuzz \
		-n $((IOCTLS / 10)) -s $((SEED + 1)) -f "$FAILSLAB"
else
	skip "random ioctls with failing allocations" \
		"no fault injection in this kernel (make check-debug has it)"
fi
run_ktap concurrency kmod_conc "$B" "$INVOCATIONS"

# ---- the dispatcher enforcing budgets set with the CLI ---------------------
check "load echo (policy pass) and echod (policy drop)" sh -c "
	$K fn load $B/bpf/echo.bpf.o echo && $K fn load $B/bpf/echo.bpf.o echod &&
	$K route add udp 7 fn echo policy pass &&
	$K route add udp 9 fn echod policy drop"
check "attach the dispatcher to lo (generic XDP, a pinned link)" \
	"$K" net attach lo generic
link_prog() { jnum prog_id "$("$K" -j net show)"; }
p1=$(link_prog)
id=$(jnum id "$("$K" -j fn show echo)")
idd=$(jnum id "$("$K" -j fn show echod)")
check_match "the dispatcher and functions hold the module (refcnt)" '^[3-9]' \
	"$(cat /sys/module/kfaas/refcnt)"
check_eq "echo answers" XDP_TX "$(verdict echo --data hi)"
"$K" invoke echo --data hi --repeat 999 >/dev/null 2>&1
check_eq "1000 invocations counted" 1000 "$(stat_of echo invocations)"
check_eq "... by kfaas.ko (/proc/kfaas)" 1000 "$(proc_inv "$id")"
check_eq "bytes counted" 2000 "$(stat_of echo bytes_in)"
check "kfaas budget set echo --rps 1 --burst 5" \
	"$K" budget set echo --rps 1 --burst 5
check_eq "budget show" 1 "$(jnum rps "$("$K" -j budget show echo)")"
t0=$(date +%s)
v=$(verdict echo --data hi --repeat 3000)
t1=$(date +%s)
inv=$(( $(stat_of echo invocations) - 1000 ))
thr=$(stat_of echo throttled)
diag "3000 offered in ~$((t1 - t0)) s: $inv ran, $thr throttled"
check "over budget: most invocations throttled" \
	test "$thr" -ge 2990 -a $((inv + thr)) = 3000
check "the ones admitted fit burst + rate" \
	test "$inv" -ge 5 -a "$inv" -le $((5 + (t1 - t0 + 1)))
check_eq "a throttled request is passed up (policy pass)" XDP_PASS "$v"
check "kfaas budget set echod --rps 1 --burst 1" \
	"$K" budget set echod --rps 1 --burst 1
check_eq "echod answers within its burst" XDP_TX "$(verdict echod --data x)"
check_eq "then drops over budget (policy drop)" XDP_DROP \
	"$(verdict echod --data x --repeat 2)"
check "stats: echod throttled" test "$(stat_of echod throttled)" -ge 1
check_match "/proc/kfaas shows the budget" "^$id .* 1 5 0 0 0 0\$" \
	"$(grep "^$id " /proc/kfaas)"

run_ktap charge kmod_charge "$KFAAS_PIN_ROOT" echod
run_ktap budget kmod_budget "$KFAAS_PIN_ROOT" echo

# ---- over budget -> the next tier, end to end, with the module ------------
# The host test (tests/vm/test_budget.sh) in this kernel, through the
# kfunc path: a client in a network namespace sends 30 requests at once
# over a veth pair to an XDP echo with kfaas.ko's budget of 10; the
# other 20 pass up the stack to the next tier's UDP socket.  That tier is
# a stand-in here (kmod_udp serve): kfaasd needs ~7.5 min to boot a
# microVM under TCG inside this TCG guest (docs/reliability.md).
UDP=$B/kmod-guest/kmod_udp
# The client's namespace: the pid of 'unshare -n sleep' is in it only once
# unshare(2) ran; moving veth0 "into" it before that is a no-op, and the
# nsenter below then cannot find veth0 (a check-debug run failed so, under
# load).  Wait until its namespace is not ours.
unshare -n sleep 600 &
CLI=$!
check "the client's namespace exists (unshare -n ran)" wait_until 600 sh -c \
	"[ \"\$(readlink /proc/$CLI/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add name kfs0 type veth peer name veth0 &&
	ip link set veth0 netns $CLI &&
	ip addr add 10.90.0.1/24 dev kfs0 && ip link set kfs0 up &&
	nsenter -t $CLI -n sh -c "ip addr add 10.90.0.2/24 dev veth0 &&
		ip link set veth0 up && ip link set lo up"
check "a veth pair to a client namespace (busybox ip)" test $? = 0
check "the kfunc dispatcher on both ends (native XDP)" sh -c "
	$K net attach kfs0 native && nsenter -t $CLI -n $K net attach veth0 native"
check "echo on udp 7300 (policy pass), budget 10 (1/s: no refill in ms)" sh -c "
	$K fn load $B/bpf/echo.bpf.o echoe && $K route add udp 7300 fn echoe policy pass &&
	$K budget set echoe --rps 1 --burst 10"
ide=$(jnum id "$("$K" -j fn show echoe)")
check_match "budget show: enforced by kfaas.ko's kfuncs" '"enforced_by":"kfaas.ko kfuncs"' \
	"$("$K" -j budget show echoe)"
"$UDP" serve 7300 >/tmp/udp-serve.log 2>&1 &
SRVPID=$!
i=0
while ! grep -q serving /tmp/udp-serve.log && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
d0=$(jnum throttled "$("$K" -j net show)")
out=$(nsenter -t $CLI -n "$UDP" send 10.90.0.1 7300 30)
check_eq "exactly 10 answered by XDP (the reply is the request)" 10 \
	"$(printf '%s\n' "$out" | grep -c '^r[0-9][0-9]$')"
check_eq "the other 20 answered by the next tier, each its own request" 20 \
	"$(printf '%s\n' "$out" | awk '$0 == "fallback:" sprintf("r%02d", NR - 1)' | wc -l)"
check_eq "kfaas.ko counted 10 invocations, 20 throttled (/proc/kfaas)" "10 20" \
	"$(awk -v id="$ide" '$1 == id { print $2, $3 }' /proc/kfaas)"
check_eq "the dispatcher counted 20 throttled" 20 \
	"$(( $(jnum throttled "$("$K" -j net show)") - d0 ))"
kill $SRVPID
"$K" route del udp 7300 >/dev/null; "$K" fn unload echoe >/dev/null
"$K" net detach kfs0 >/dev/null; nsenter -t $CLI -n "$K" net detach veth0 >/dev/null
kill $CLI; ip link del kfs0

# ---- kfaas_log() on this kernel, in both variants (include/kfaas/kfuncs.h) -
# no jq in the guest: the message of the last -j entry by sed
last_msg() { "$K" -j logs "$1" | tail -1 | sed -n 's/.*"msg":"\([^"]*\)".*/\1/p'; }
check "a function calling kfaas_log() loads with the module: its kfunc variant" \
	sh -c "$K fn load $B/tests/bpf/log_flood.bpf.o logf && $K route add udp 11 fn logf"
lid=$(jnum id "$("$K" -j fn show logf)")
check_eq "it answers" XDP_TX "$(verdict logf --data from-the-kfunc-variant)"
check_eq "... counted by kfaas.ko: the kfunc variant ran" 1 "$(proc_inv "$lid")"
check_eq "its record is in the ring, for kfaas logs" from-the-kfunc-variant \
	"$(last_msg logf)"

# ---- lifecycle --------------------------------------------------------------
check_fail "rmmod is refused while programs use the kfuncs" rmmod kfaas
check "... and the module stays" test -d /sys/module/kfaas
before_inv=$(stat_of echo invocations)
before_thr=$(stat_of echo throttled)
check "kfaas module unload" "$K" module unload
check_fail "the module is gone" test -d /sys/module/kfaas
p2=$(link_prog)
check "lo's XDP link now runs the new (plain) dispatcher" \
	test -n "$p2" -a "$p2" != 0 -a "$p2" != "$p1"
check_eq "invocations kept across the unload" "$before_inv" \
	"$(stat_of echo invocations)"
check_eq "throttled kept across the unload" "$before_thr" \
	"$(stat_of echo throttled)"
check_eq "without the module echo runs unthrottled" XDP_TX \
	"$(verdict echo --data hi)"
check_eq "... counted in the maps" $((before_inv + 1)) \
	"$(stat_of echo invocations)"
check_match "module status: accounting in maps" '"loaded":false.*"maps"' \
	"$("$K" -j module status)"
check_eq "logf runs its plain variant after the unload" XDP_TX \
	"$(verdict logf --data from-the-plain-variant)"
check_eq "... and logs on this kernel too" from-the-plain-variant "$(last_msg logf)"

check "kfaas module load (the build's kfaas.ko)" "$K" module load
p3=$(link_prog)
check "... and lo's link the kfunc dispatcher again" \
	test -n "$p3" -a "$p3" != 0 -a "$p3" != "$p2"
check_match "functions re-registered with their budget" \
	"^$id .* 1 5 0 0 0 0\$" "$(grep "^$id " /proc/kfaas)"
check_match "... every one of them" "^$idd " "$(grep "^$idd " /proc/kfaas)"
"$K" invoke echo --data hi --repeat 200 >/dev/null 2>&1
check "the budget is enforced again" \
	test "$(stat_of echo throttled)" -ge $((before_thr + 190))

check_eq "counters continue" $((before_inv + 1 + 200)) \
	"$(( $(stat_of echo invocations) + $(stat_of echo throttled) - before_thr ))"

# load/unload cycles, traffic through the dispatcher and kfunc programs
check "kfaas module unload (for the cycles)" "$K" module unload
run_ktap cycles kmod_cycles "$B" "$KO" "$CYCLES" "$FULL_EVERY"
check "kfaas module load after the cycles" "$K" module load
check_eq "echo served after the reload" XDP_TX "$(verdict echo --data hi)"
check "kfaas module unload, rmmod succeeds" "$K" module unload

# allocation failures across the module load and every ioctl (fail-nth)
if [ -n "$FAULTS" ]; then
	run_ktap fault kmod_fault "$KO"
else
	skip "fault: allocation failures in the load and every ioctl" \
		"no fault injection in this kernel (make check-debug has it)"
fi

if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak reports objects unreferenced for 5 s or more
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	check_eq "kmemleak: no leaks" "" "$(cat /sys/kernel/debug/kmemleak)"
else
	skip "kmemleak: no leaks" "this kernel has no kmemleak (KERNEL=debug)"
fi

diag "time: the whole suite took $(($(date +%s) - SUITE_T0)) s (guest uptime $(cut -d' ' -f1 /proc/uptime) s)"
cleanup_run
ktap_finish
