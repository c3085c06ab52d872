# SPDX-License-Identifier: GPL-2.0
# KTAP helpers and sandboxes for the shell tests (sourced).
#
#   ktap_plan N                 print the header and plan
#   check DESC CMD...           ok if CMD exits 0
#   check_fail DESC CMD...      ok if CMD exits non-zero
#   check_eq DESC WANT GOT      ok if the strings are equal
#   check_match DESC REGEX STR  ok if STR matches the extended REGEX
#   skip DESC WHY
#   ktap_finish                 totals; exit 0, 1 (failures) or 4 (skipped)
#   require_root, require_tools TOOL...   or the whole test is skipped
#   wait_until TENTHS CMD...    readiness: CMD every 0.1 s until it succeeds

KTAP_N=0; KTAP_PASS=0; KTAP_FAIL=0; KTAP_SKIP=0; KTAP_PLAN=0
B=${B:-$(cd "$(dirname "$0")/../.." && pwd)/build}
KFAAS="$B/kfaas"
CRASH_KFAAS="$B/crash/kfaas"	# the test build: crash, pause and failure points (user/lib/internal.h)

ktap_plan() {
	KTAP_PLAN=$1
	echo "KTAP version 1"
	echo "1..$1"
}

# KTAP_TIMES=1: each result is followed by the seconds since the previous
# one (where a slow test spends its time)
KTAP_T0=$(date +%s.%N)
_result() {	# ok(0|1) desc
	KTAP_N=$((KTAP_N + 1))
	if [ -n "${KTAP_TIMES:-}" ]; then
		local t; t=$(date +%s.%N)
		awk -v a="$KTAP_T0" -v b="$t" 'BEGIN { printf "# %.1f s\n", b - a }'
		KTAP_T0=$t
	fi
	if [ "$1" = 0 ]; then
		KTAP_PASS=$((KTAP_PASS + 1))
		echo "ok $KTAP_N $2"
	else
		KTAP_FAIL=$((KTAP_FAIL + 1))
		echo "not ok $KTAP_N $2"
	fi
}

diag() { echo "$*" | sed 's/^/# /'; }

check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	_result $([ $rc = 0 ] && echo 0 || echo 1) "$desc"
	[ $rc = 0 ] || diag "command: $* (exit $rc)" "$out"
	return $rc
}

check_fail() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	_result $([ $rc != 0 ] && echo 0 || echo 1) "$desc"
	[ $rc != 0 ] || diag "command unexpectedly succeeded: $*" "$out"
	[ $rc != 0 ]
}

check_eq() {
	_result $([ "$2" = "$3" ] && echo 0 || echo 1) "$1"
	[ "$2" = "$3" ] || diag "expected: $2" "got:      $3"
	[ "$2" = "$3" ]
}

check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		_result 0 "$1"
	else
		_result 1 "$1"
		diag "expected to match: $2" "got: $3"
		return 1
	fi
}

skip() {
	KTAP_N=$((KTAP_N + 1)); KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

ktap_finish() {
	if [ "$KTAP_PLAN" != "$KTAP_N" ]; then
		echo "# planned $KTAP_PLAN tests, ran $KTAP_N"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	echo "# totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	[ $KTAP_FAIL = 0 ] || exit 1
	[ $KTAP_PASS != 0 ] || [ $KTAP_SKIP = 0 ] || exit 4
	exit 0
}

ktap_skip_all() {
	echo "KTAP version 1"
	echo "1..0 # SKIP $1"
	exit 4
}

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# require_tools TOOL...: the whole test is skipped, saying which is missing
require_tools() {
	local t
	for t; do
		command -v "$t" >/dev/null || ktap_skip_all "$t is missing: run tools/deps.sh"
	done
}

require_root() {
	[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (BPF, XDP, netns)"
}

# A private pin root for this test, removed on exit.
use_pin_root() {
	export KFAAS_PIN_ROOT=/sys/fs/bpf/kfaas-test-$1-$$
	"$B/kfaas" --pin-root "$KFAAS_PIN_ROOT" version >/dev/null
	cleanup_add "rm -rf $KFAAS_PIN_ROOT"
}

CLEANUP=""
cleanup_add() { CLEANUP="$1; $CLEANUP"; }
cleanup_run() { eval "$CLEANUP" >/dev/null 2>&1; CLEANUP=""; }
trap cleanup_run EXIT

# The veth/netns sandbox (shared with the demo); bash only: the kfaas.ko
# suite sources this file in its guest's busybox sh and needs no sandbox.
if [ -n "${BASH_VERSION:-}" ]; then
	eval '. "$(dirname "${BASH_SOURCE[0]}")/../tools/sandbox.sh"'
fi
