#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo-cluster: one kfaas across three nodes on etcd (docs/cluster.md),
# in throwaway network namespaces.
#   tools/demo-cluster.sh [BUILD_DIR]
# Starts a 3-member etcd with TLS client certificates on loopback and
# three nodes (each a network namespace with its own pin root and kfaasd
# --cluster, tests/cluster/cluster_lib.sh), applies one configuration to
# the cluster, asks every node with socat, kills the node running the
# VM-tier function (kill -9) and shows it answering on another node,
# then the cluster-wide counters; removes everything it made.
set -u
B=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "make demo-cluster needs root (BPF, XDP, netns)" >&2; exit 1; }
for t in etcd etcdctl openssl socat jq nsenter; do
	command -v $t >/dev/null || { echo "$t is missing: run tools/deps.sh" >&2; exit 1; }
done
export B
KFAAS=$B/kfaas
CLEANUP=""
cleanup_add() { CLEANUP="$1; $CLEANUP"; }
trap 'eval "$CLEANUP" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
. "$top/tests/cluster/etcd_lib.sh"
. "$top/tests/cluster/cluster_lib.sh"
CLUSTER_PREFIX=/kfaas-demo-$$/
BOOT_WAIT=${BOOT_WAIT:-300}	# seconds a VM-tier function may take to answer

fail() { echo "demo-cluster: $*" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ kfaas --cluster ... %s\n' "$*"; kc "$@"; }
ask() {	# I PORT PAYLOAD
	printf '$ echo -n %q | socat - UDP:%s:%s\n' "$3" "$(cluster_addr "$1")" "$2"
	echo -n "$3" | timeout 6 socat -T3 -t3 - "UDP:$(cluster_addr "$1"):$2"
	echo
}
placed() { kc -j cluster status | jq -r '.placements[] | select(.fn == "hello") | .nodes[0] // empty'; }
wait_for() {	# SECONDS CMD...: until CMD prints something
	local end=$((SECONDS + $1)) out
	shift
	while [ $SECONDS -lt $end ]; do
		out=$("$@" 2>/dev/null)
		[ -n "$out" ] && { echo "$out"; return 0; }
		sleep 0.3
	done
	return 1
}
hello_at() { echo -n demo | timeout 4 socat -T2 -t2 - "UDP:$(cluster_addr "$1"):7070" 2>/dev/null | grep 'hello, demo'; }

step "etcd: three members on loopback, TLS client certificates (own CA, openssl)"
ETCD_PEER_TLS=1 etcd_cluster_start || fail "etcd did not start"
echo "endpoints $ETCD_ENDPOINTS"

step "three nodes: network namespaces, each its own pin root and kfaasd --cluster"
for i in 1 2 3; do
	cluster_node_up "$i" --node-mem 1024 || fail "node $i did not start"
	echo "n$i: $(cluster_addr "$i"), kfaasd --cluster ... --node n$i --label rack=r$i --lease-ttl $CLUSTER_TTL"
done
alive3() { kc -j cluster status | jq -e '[.nodes[] | select(.alive)] | length == 3' >/dev/null && echo up; }
wait_for 30 alive3 >/dev/null || fail "the nodes did not register"

step "one configuration for the whole cluster"
conf=$(mktemp /tmp/kfaas-demo-cluster.XXXXXX.yaml)
cleanup_add "rm -f $conf"
cat >"$conf" <<EOF
functions:
  echo:  { object: $B/bpf/echo.bpf.o }
  upper: { object: $B/bpf/upper.bpf.o, selector: { rack: r1 } }
  hello: { vm: $B/vmfn/hello, min-warm: 1 }
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: udp 9, fn: upper }
  - { trigger: udp 7070, fn: hello }
EOF
sed "s|$B|BUILD|" "$conf"
show apply "$conf" || fail "apply"
CLUSTER_NODES=3 cluster_wait_gen 1 60 || fail "the nodes did not converge"
show cluster status

step "every node serves: the XDP tier everywhere, upper on rack r1 only"
for i in 1 2 3; do ask "$i" 7 "hello node $i"; done
ask 1 9 "upper case on n1"
v=$(wait_for 30 placed) || fail "hello is not placed"
echo "hello (VM tier) is placed on $v; its template boots (seconds under KVM or"
echo "on an idle machine under TCG, minutes under TCG on a loaded one):"
wait_for "$BOOT_WAIT" hello_at "${v#n}" || fail "hello does not answer on $v after $BOOT_WAIT s"

step "failover: kill -9 of $v's kfaasd"
t0=$SECONDS
cluster_node_kill "${v#n}"
echo "\$ kill -9 <kfaasd of $v>"
moved() { local p; p=$(placed); [ -n "$p" ] && [ "$p" != "$v" ] && echo "$p"; }
w=$(wait_for 60 moved) || fail "hello was not placed elsewhere"
echo "$v's lease expired (TTL $CLUSTER_TTL s): the scheduler placed hello on $w after $((SECONDS - t0)) s"
wait_for "$BOOT_WAIT" hello_at "${w#n}" || fail "hello does not answer on $w after $BOOT_WAIT s"
echo "hello answers on $w $((SECONDS - t0)) s after the kill"
show cluster status

step "the cluster-wide view: counters summed per function and per node"
for i in 1 2 3; do
	[ "n$i" = "$v" ] && continue
	for r in 1 2 3; do echo -n "r$r" | timeout 4 socat -T2 -t2 - "UDP:$(cluster_addr "$i"):7" >/dev/null; done
done
sleep 1	# the nodes publish their counters every 0.5 s (--stats-interval)
show stats
show top --delay 1 --count 1
step "done: etcd, the nodes and their namespaces are removed"
