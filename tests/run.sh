#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kfaas test suite: runs every test program as a KTAP subtest and
# ends with the line "N passed, N failed" (leaf test cases).
#   tests/run.sh [BUILD_DIR]        all tests
#   TESTS="cli e2e" tests/run.sh    only these groups (unit prog cli e2e ... cluster)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export B=${1:-$here/../build}
B=$(cd "$B" && pwd)
GROUPS_ALL="unit prog cli e2e admin asan fuzz bench sk cluster vm kmod"
GROUPS_RUN=${TESTS:-$GROUPS_ALL}

# bpffs: the tests pin under /sys/fs/bpf; tracefs helps debugging
if ! stat -f -c %T /sys/fs/bpf 2>/dev/null | grep -q bpf; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
fi

# Lanes, then a quiet end.  TESTS_BG holds background lanes separated by
# commas (default: "kmod asan,fuzz e2e bench": functional tests that need
# no quiet machine, kmod's in a TCG guest, and the benchmarks' smoke,
# which judges no timing); each lane runs its groups' tests one after
# the other, each into its own file, while the other groups run in the
# foreground.  The groups and tests (GROUP/TEST) in TESTS_QUIET run after
# every lane is done, in their own lanes (commas separate them too), so
# that each shares the machine with one other at most.  Its default: the
# cluster group (leases of 3 s renewed under load) beside the vm tests
# whose cases compare timings of VMs booting or serving (the queue bound
# against requests that sleep, the lifecycle's pre-warm ahead of a
# request, a neighbour's service during a misbehaving function or a
# flood), which run one after the other.  The output is in that order:
# the foreground's tests as they end, each lane's, each quiet lane's.
# TESTS_BG= TESTS_QUIET= runs everything serially.
bg_lanes=${TESTS_BG-kmod asan,fuzz e2e bench}
quiet_lanes=${TESTS_QUIET-cluster,vm/test_kfaasd.sh vm/test_lifecycle.sh vm/test_reliability.sh vm/test_flood.sh}
# is_bg GROUP/TEST: its group runs in a background lane
is_bg() { case " ${bg_lanes//,/ } " in *" ${1%%/*} "*) return 0;; esac; return 1; }
# quiet_lane GROUP/TEST:PATH: the quiet lane of the test or of its group
# (0-based) on stdout, rc 0; rc 1 if it is not quiet
IFS=, read -r -a qlanes <<<"$quiet_lanes"
quiet_lane() {
	local q
	for q in "${!qlanes[@]}"; do
		case " ${qlanes[$q]} " in
		*" ${1%%/*} "*|*" ${1%%:*} "*) echo "$q"; return 0;;
		esac
	done
	return 1
}

# the tests of group $1, as GROUP/NAME:PATH
group_tests() {
	local t
	for t in "$B"/tests/"$1"/test_* "$here"/"$1"/test_*.sh; do
		[ -x "$t" ] || continue
		case "$t" in *.d|*.o) continue;; esac
		echo "$1/$(basename "$t"):$t"
	done
}
# the foreground's tests, each lane's (in TESTS_BG's order), each quiet
# lane's; lane_of[N]: the lane of the Nth test of the list (1-based), the
# quiet lanes numbered after the background ones
fg=() bgl=() quiet=() lane_of=() qtests=()
IFS=, read -r -a lanes <<<"$bg_lanes"
nbg=${#lanes[@]}
for q in "${!qlanes[@]}"; do qtests[$q]=""; done
for g in $GROUPS_RUN; do
	is_bg "$g/" && continue
	while read -r e; do
		if q=$(quiet_lane "$e"); then qtests[$q]+="$e"$'\n'; else fg+=("$e"); fi
	done < <(group_tests "$g")
done
for l in "${!lanes[@]}"; do
	for g in ${lanes[$l]}; do
		case " $GROUPS_RUN " in *" $g "*) ;; *) continue;; esac
		while read -r e; do
			if q=$(quiet_lane "$e"); then
				qtests[$q]+="$e"$'\n'
			else
				bgl+=("$e"); lane_of[${#fg[@]} + ${#bgl[@]}]=$l
			fi
		done < <(group_tests "$g")
	done
done
bg_end=$(( ${#fg[@]} + ${#bgl[@]} ))
for q in "${!qlanes[@]}"; do
	while read -r e; do
		[ -n "$e" ] || continue
		quiet+=("$e"); lane_of[$bg_end + ${#quiet[@]}]=$((nbg + q))
	done <<<"${qtests[$q]}"
done
list=("${fg[@]}" "${bgl[@]}" "${quiet[@]}")
fg_end=${#fg[@]}	# indexes in list

# run_test PATH OUT: one test, bounded, its output to OUT, the CPU seconds
# (user + system) of its processes that were waited for to OUT.cpu; its
# exit status.  The CPU is what a 2-core machine's wall time is made of.
run_test() {
	(
		B="$B" timeout --foreground -k 10 ${TEST_TIMEOUT:-600} "$1" >"$2" 2>&1
		rc=$?
		times >"$2.cpu"	# a builtin: no fork, these are its children
		awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) {
			split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
			printf "%d\n", t + 0.5 }' "$2.cpu" >"$2.cpu.s"
		mv "$2.cpu.s" "$2.cpu"
		exit $rc
	)
}
# cpu_of OUT: the CPU seconds run_test recorded for OUT
cpu_of() { cat "$1.cpu" 2>/dev/null || echo "?"; }
bgdir=$(mktemp -d /tmp/kfaas-tests-bg.XXXXXX)
lane_pid=()
# lane_start L FIRST LAST: lane L's tests among the list's FIRST..LAST,
# one after the other, in the background, each into its own file
lane_start() {
	(
		for ((i = $2; i <= $3; i++)); do
			[ "${lane_of[$i]}" = "$1" ] || continue
			s=$(date +%s)
			run_test "${list[$((i - 1))]#*:}" "$bgdir/$i.out" </dev/null
			echo "$? $(( $(date +%s) - s )) $(cpu_of "$bgdir/$i.out")" >"$bgdir/$i.rc"
		done
	) &
	lane_pid[$1]=$!
}
for l in "${!lanes[@]}"; do lane_start "$l" $((fg_end + 1)) "$bg_end"; done

echo "KTAP version 1"
echo "1..${#list[@]}"
n=0; passed=0; failed=0; skipped=0; bad=0
for e in "${list[@]}"; do
	name=${e%%:*}; path=${e#*:}
	n=$((n + 1))
	out=$(mktemp)
	start=$(date +%s)
	if [ $n = $((bg_end + 1)) ]; then	# the quiet end: every lane done
		wait "${lane_pid[@]}" 2>/dev/null
		for q in "${!qlanes[@]}"; do
			lane_start $((nbg + q)) "$n" ${#list[@]}
		done
	fi
	if [ $n -gt $fg_end ]; then
		wait "${lane_pid[${lane_of[$n]}]}" 2>/dev/null	# its lane is done
		rc=1; took=0; cpu="?"
		[ -e "$bgdir/$n.rc" ] && read -r rc took cpu <"$bgdir/$n.rc"
		if [ -e "$bgdir/$n.out" ]; then
			mv "$bgdir/$n.out" "$out"
		else
			echo "# $name did not run in the background" >"$out"
		fi
		start=$(( $(date +%s) - took ))
	else
		run_test "$path" "$out"
		rc=$?
		cpu=$(cpu_of "$out")
	fi
	sed 's/^/    /' "$out"
	p=$(grep -cE '^ok [0-9]+' "$out" | head -1)
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out" | head -1)
	f=$(grep -cE '^not ok [0-9]+' "$out" | head -1)
	passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + f))
	took=$(( $(date +%s) - start ))
	if [ $rc = 0 ]; then
		echo "ok $n $name # ${took}s, ${cpu}s CPU"
	elif [ $rc = 4 ]; then
		echo "ok $n $name # SKIP"
		[ "$p$f" = 00 ] && skipped=$((skipped + 1))
	else
		echo "not ok $n $name # exit $rc, ${took}s, ${cpu}s CPU"
		bad=$((bad + 1))
		# a crash or timeout without a failing case still counts as one
		[ "$f" = 0 ] && failed=$((failed + 1))
	fi
	rm -f "$out" "$out.cpu"
done
rm -rf "$bgdir"
echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ $failed = 0 ] && [ $bad = 0 ]
