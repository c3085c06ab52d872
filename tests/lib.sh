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

KTAP_N=0; KTAP_PASS=0; KTAP_FAIL=0; KTAP_SKIP=0; KTAP_PLAN=0
B=${B:-$(cd "$(dirname "$0")/../.." && pwd)/build}
KFAAS="$B/kfaas"

ktap_plan() {
	KTAP_PLAN=$1
	echo "KTAP version 1"
	echo "1..$1"
}

_result() {	# ok(0|1) desc
	KTAP_N=$((KTAP_N + 1))
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

# Two namespaces joined by a veth pair:
#   $NS_SRV: $SRV_IF 10.X.0.1/24 fd00:X::1/64   (the kfaas side)
#   $NS_CLI: $CLI_IF 10.X.0.2/24 fd00:X::2/64   (the clients)
# The client end runs an XDP_PASS program so that native XDP_TX replies
# from the server end are delivered (veth needs XDP on the peer).
sandbox_up() {	# name octet
	NS_SRV=kfs-$1-$$; NS_CLI=kfc-$1-$$; SRV_IF=kfs$2; CLI_IF=kfc$2
	SRV4=10.$2.0.1; CLI4=10.$2.0.2; SRV6=fd00:$2::1; CLI6=fd00:$2::2
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || return 1
	cleanup_add "ip netns del $NS_SRV; ip netns del $NS_CLI"
	ip link add "$SRV_IF" netns "$NS_SRV" type veth peer name "$CLI_IF" \
		netns "$NS_CLI" || return 1
	ip -n "$NS_SRV" addr add $SRV4/24 dev "$SRV_IF"
	ip -n "$NS_CLI" addr add $CLI4/24 dev "$CLI_IF"
	ip -n "$NS_SRV" addr add $SRV6/64 dev "$SRV_IF" nodad
	ip -n "$NS_CLI" addr add $CLI6/64 dev "$CLI_IF" nodad
	for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_SRV" link set "$SRV_IF" up
	ip -n "$NS_CLI" link set "$CLI_IF" up
	ip -n "$NS_CLI" link set dev "$CLI_IF" xdpdrv obj "$B/bpf/xdp_pass.bpf.o" \
		sec xdp || return 1
}

# Run in the server / client namespace (network only: bpffs stays visible).
in_srv() { nsenter --net=/run/netns/"$NS_SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$NS_CLI" "$@"; }
