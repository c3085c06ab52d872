#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The etcd client and the artifact store of libkfaas (user/lib/etcd.h,
# artifact.h) against a real 3-member etcd cluster with TLS client
# certificates (etcd_lib.sh): kv, transactions, leases, watches (history,
# progress, compaction, a member killed under them), elections, failover,
# loss and return of the quorum, refused certificates, artifacts (chunked,
# tampered), and the cluster reached from a network namespace.
# Each scenario is one run of build/tests/cluster/bin/test_etcd, whose
# checks are nested below its line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/etcd_lib.sh"

T=$B/tests/cluster/bin/test_etcd
require_root
[ -x "$T" ] || ktap_skip_all "$T is not built: make tests"
command -v etcd >/dev/null || ktap_skip_all "etcd is not installed: tools/deps.sh"

ETCD_PEER_TLS=${ETCD_PEER_TLS:-1}	# peers on TLS too, as in production
ktap_plan 22
t_start=$SECONDS
errs=$(mktemp)
cleanup_add "rm -f $errs"

# step DESC CMD...: one check run in this shell (CMD may start or stop
# members: their pids must stay known here)
step() {
	local desc=$1 rc
	shift
	"$@" 2>"$errs"; rc=$?
	_result $([ $rc = 0 ] && echo 0 || echo 1) "$desc"
	[ $rc = 0 ] || diag "$(cat "$errs")"
	return $rc
}

# scenario DESC CASE [ARGS]: one run of the scenario program (under
# $WRAP, a command that runs another, e.g. nsenter); its KTAP nested
# below; what it reports as "# NAME VALUE" for the next steps: got NAME
scenario() {
	local desc=$1 rc t0=$SECONDS
	shift
	SCENARIO_OUT=$(KFAAS_ETCD_PIDS="${ETCD_PID[*]}" ${WRAP:-} "$T" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$SCENARIO_OUT" | sed 's/^/    /'
	echo "    # $((SECONDS - t0)) s"
	_result $([ $rc = 0 ] && echo 0 || echo 1) "$desc"
}
got() { printf '%s\n' "$SCENARIO_OUT" | sed -n "s/^# $1 //p"; }

step "a $ETCD_MEMBERS-member etcd cluster with client TLS is up" \
	etcd_cluster_start || ktap_finish
export KFAAS_ETCD_ENDPOINTS=$ETCD_ENDPOINTS KFAAS_ETCD_CA=$ETCD_CA \
	KFAAS_ETCD_CERT=$ETCD_CERT KFAAS_ETCD_KEY=$ETCD_KEY \
	KFAAS_ETCD_ROGUE_CERT=$ETCD_ROGUE_CERT \
	KFAAS_ETCD_ROGUE_KEY=$ETCD_ROGUE_KEY \
	KFAAS_ETCD_PREFIX=/kfaas-test-$$/
diag "endpoints $ETCD_ENDPOINTS; up in $((SECONDS - t_start)) s"

scenario "kv: put, get, range (prefix, revision, limit, keys/count only), delete" kv
scenario "txn: a MOD-guarded txn succeeds once, then is a conflict" txn
scenario "leases: unrenewed expires with its key, renewed stays, revoke" lease
scenario "watch: history from a start revision, progress, interrupt, idle" watch

scenario "compaction: three revisions of a key" compact-setup
revs=$(got revs)
check "etcdctl compact at the last of three revisions (${revs:-none})" \
	etcdctl_run compact "${revs#* }"
# shellcheck disable=SC2086
scenario "watch: a compacted start revision is -ESTALE, the fall-back works" \
	compact-check $revs

scenario "election: B leads only after A resigns, C after B's lease expires; a scheduler that lost its election writes nothing (-EPERM)" \
	election
# (bash reports the killed member on stderr: not part of the results)
scenario "watch: a member killed under a watch, events once each" \
	watch-resume 2>/dev/null
restart_dead() {
	local i
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		[ -n "${ETCD_PID[$i]}" ] || continue
		! kill -0 "${ETCD_PID[$i]}" 2>/dev/null || continue
		wait "${ETCD_PID[$i]}" 2>/dev/null
		etcd_member_start "$i"
	done
	etcd_wait_healthy
}
step "the killed member restarts and the cluster is healthy" restart_dead \
	2>/dev/null

etcd_member_stop 1
scenario "failover: member 1 stopped, requests go to the next endpoint" \
	failover "${ETCD_EP[1]}"
etcd_member_start 1
step "member 1 restarts and rejoins" etcd_wait_healthy

etcd_quorum_stop
scenario "quorum lost: requests fail with a clear error, in bounded time" \
	no-quorum
step "the quorum restarts and the cluster is healthy" etcd_quorum_start
scenario "kv again once the quorum is back" kv

scenario "TLS: other CA's certificate, none, untrusted servers: refused" tls
scenario "artifacts: 5000 B, 4 MiB and 3 MiB+17 B round trips, delete" artifact

scenario "artifacts: store one of 3 chunks to tamper with" tamper-put
hash=$(got hash)
head -c 1048576 /dev/urandom >"$ETCD_DIR/chunk"
check "etcdctl replaces chunk 1 of artifact ${hash:-none}" etcdctl_run put \
	"${KFAAS_ETCD_PREFIX}tamper/chunks/sha256/$hash/000001" \
	<"$ETCD_DIR/chunk"
scenario "artifacts: a chunk changed behind the store's back is refused" \
	tamper-check "$hash"

ns=kfe-ns-$$
ip netns add "$ns" && cleanup_add "ip netns del $ns"
etcd_netns_attach "$ns" 1
KFAAS_ETCD_ENDPOINTS=$ETCD_NETNS_ENDPOINTS KFAAS_ETCD_PREFIX=/kfaas-test-$$/netns/ \
	WRAP="nsenter --net=/run/netns/$ns" \
	scenario "kv from a network namespace, over the bridge to $ETCD_NET.1" kv
diag "the group took $((SECONDS - t_start)) s"
ktap_finish
