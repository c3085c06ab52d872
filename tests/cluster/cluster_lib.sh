# SPDX-License-Identifier: GPL-2.0
# kfaas nodes for the cluster tests, the benchmark and the demo (sourced
# after tests/lib.sh and etcd_lib.sh, once etcd_cluster_start ran): node I
# is a network namespace on the etcd bridge (address $ETCD_NET.(10+I)),
# with its own pin root, run directory and artifact directory, the XDP
# dispatcher attached (generic mode) to its interface, and a kfaasd
# --cluster with the label rack=rI.  Everything is removed on exit.
#
#   cluster_node_up I [KFAASD_ARGS...]  make node I and start its kfaasd
#   cluster_node_start I [ARGS...]      start its kfaasd again (after a kill)
#   cluster_node_kill I                 kill -9 of its kfaasd
#   cluster_node_stop I                 SIGTERM, and wait
#   nk I ARGS...                        kfaas on node I's pin root
#   kc ARGS...                          kfaas --cluster on the cluster
#   cluster_wait_gen GEN [SECONDS]      every live node applied generation
#                                       GEN (and converged)
#   cluster_addr I                      node I's address
#
# CLUSTER_PREFIX: the etcd key prefix (unique to the test's PID).
# CLUSTER_TTL (3): the nodes' lease TTL in seconds.

CLUSTER_PREFIX=${CLUSTER_PREFIX:-/kfaas-test-$$/}
CLUSTER_TTL=${CLUSTER_TTL:-3}
CLUSTER_DIR=${CLUSTER_DIR:-}
declare -a NODE_PID NODE_NS NODE_ROOT NODE_RUN NODE_ARGS

cluster_addr() { echo "$ETCD_NET.$((10 + $1))"; }

kc() {
	"$KFAAS" --cluster "$ETCD_ENDPOINTS" --etcd-ca "$ETCD_CA" \
		--etcd-cert "$ETCD_CERT" --etcd-key "$ETCD_KEY" \
		--cluster-prefix "$CLUSTER_PREFIX" "$@"
}

nk() {	# I ARGS...
	local i=$1
	shift
	KFAAS_RUN_DIR=${NODE_RUN[$i]} nsenter --net=/run/netns/"${NODE_NS[$i]}" \
		"$KFAAS" --pin-root "${NODE_ROOT[$i]}" "$@"
}

_cluster_cleanup() {
	local i
	for i in "${!NODE_NS[@]}"; do
		[ -n "${NODE_PID[$i]:-}" ] && kill -KILL "${NODE_PID[$i]}" 2>/dev/null &&
			wait "${NODE_PID[$i]}" 2>/dev/null
		ip netns del "${NODE_NS[$i]}" 2>/dev/null
		rm -rf "${NODE_ROOT[$i]}" "${NODE_RUN[$i]}"
	done
	[ -n "$CLUSTER_DIR" ] && rm -rf "$CLUSTER_DIR"
	return 0
}

cluster_node_start() {	# I [ARGS...]
	local i=$1
	shift
	[ $# -gt 0 ] && NODE_ARGS[$i]="$*"
	# shellcheck disable=SC2086
	nsenter --net=/run/netns/"${NODE_NS[$i]}" "$B/kfaasd" \
		--pin-root "${NODE_ROOT[$i]}" --run-dir "${NODE_RUN[$i]}" \
		--cache-dir /var/cache/kfaasd-test \
		--artifact-dir "$CLUSTER_DIR/n$i/artifacts" --accel tcg \
		--refresh 500 --metrics "127.0.0.1:$((9500 + i))" \
		--cluster "$ETCD_NETNS_ENDPOINTS" --etcd-ca "$ETCD_CA" \
		--etcd-cert "${NODE_CERT:-$ETCD_CERT}" --etcd-key "${NODE_KEY:-$ETCD_KEY}" \
		--cluster-prefix "$CLUSTER_PREFIX" --node "n$i" \
		--node-addr "$(cluster_addr "$i")" --label "rack=r$i" \
		--lease-ttl "$CLUSTER_TTL" --stats-interval 500 \
		${NODE_ARGS[$i]:-} >>"$CLUSTER_DIR/n$i/kfaasd.log" 2>&1 &
	NODE_PID[$i]=$!
}

cluster_node_up() {	# I [ARGS...]
	local i=$1 ns
	if [ -z "$CLUSTER_DIR" ]; then
		CLUSTER_DIR=$(mktemp -d "/tmp/kfaas-cluster-$$.XXXXXX") || return 1
		cleanup_add _cluster_cleanup
	fi
	ns=kfc$$n$i
	NODE_NS[$i]=$ns
	NODE_ROOT[$i]=/sys/fs/bpf/kfaas-test-cl$$-n$i
	NODE_RUN[$i]=/run/kfaasd-cl$$-n$i
	mkdir -p "$CLUSTER_DIR/n$i"
	ip netns add "$ns" && etcd_netns_attach "$ns" "$i" &&
	nk "$i" net attach etcd0 generic >/dev/null || return 1
	cluster_node_start "$@"
}

cluster_node_kill() {
	kill -KILL "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
	NODE_PID[$1]=""
}

cluster_node_stop() {
	kill -TERM "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
	NODE_PID[$1]=""
}

# Every registered node applied generation GEN and converged; the nodes
# that must be there: $CLUSTER_NODES (a count), else any.
cluster_wait_gen() {	# GEN [SECONDS]
	local want=$1 until=$((SECONDS + ${2:-60})) st
	while [ $SECONDS -lt $until ]; do
		st=$(kc -j cluster status 2>/dev/null)
		if [ -n "$st" ] && echo "$st" | jq -e --argjson g "$want" \
			--argjson n "${CLUSTER_NODES:-0}" '
			[.nodes[] | select(.alive)] as $a |
			($a | length) >= $n and
			all($a[]; .generation == $g and .state == "converged" and
				 .health == "ok")' >/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	echo "cluster: not every node at generation $want after ${2:-60} s:" >&2
	kc cluster status >&2
	return 1
}
