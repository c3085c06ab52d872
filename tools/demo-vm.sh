#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM tier in the demo: kfaasd in the server's network namespace, one
# VM-tier function (build/vmfn/hello, a static executable) behind a UDP
# route of the shared route table, one answer to a real client (socat).
#
#   tools/demo-vm.sh BUILD PIN_ROOT NETNS [CLIENT_NETNS SERVER_ADDR] [PORT]
#
# NETNS is where kfaasd serves (the namespace of the interface the XDP
# dispatcher is attached to); the client runs in CLIENT_NETNS and sends to
# SERVER_ADDR, or, without them, inside NETNS to 127.0.0.1.  Everything it
# starts is stopped and removed when it exits.
set -u
B=$(cd "${1:?usage: $0 BUILD PIN_ROOT NETNS [CLIENT_NETNS SERVER_ADDR] [PORT]}" && pwd)
export KFAAS_PIN_ROOT=${2:?pin root}
NS=${3:?netns}
CLI_NS=${4:-$NS}
ADDR=${5:-127.0.0.1}
PORT=${6:-7070}
K="$B/kfaas"
export KFAAS_RUN_DIR=/run/kfaasd-demo-$$
log=$(mktemp /tmp/kfaasd-demo.XXXXXX)
dpid=

cleanup() {
	# KFAAS_DEMO_KEEP=1 (tools/demo.sh): the function and its counters
	# stay registered for the demo's last 'kfaas stats'; the demo removes
	# the whole pin root afterwards
	if [ -z "${KFAAS_DEMO_KEEP:-}" ]; then
		"$K" route del udp "$PORT" 2>/dev/null
		"$K" fn unload hello >/dev/null 2>&1
	fi
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	# a clean stop keeps what kfaasd learnt (RUNDIR/lifecycle)
	rm -rf "$log" "$KFAAS_RUN_DIR"
}
trap cleanup EXIT
fail() { echo "demo-vm: $*" >&2; sed 's/^/  kfaasd: /' "$log" >&2; exit 1; }

echo "== VM tier: kfaasd, a general function in a QEMU microVM"
# nsenter --net, not "ip netns exec": that one remounts /sys, and kfaasd
# must see the same bpffs (the pinned route table) as the CLI
nsenter --net=/run/netns/"$NS" "$B/kfaasd" >"$log" 2>&1 &
dpid=$!
for _ in $(seq 100); do
	"$K" daemon status >/dev/null 2>&1 && break
	kill -0 "$dpid" 2>/dev/null || fail "kfaasd did not start"
	sleep 0.2
done
"$K" fn create hello --vm "$B/vmfn/hello" --min-warm 1 --max 2 ||
	fail "cannot create the function"
"$K" route add udp "$PORT" fn hello || fail "cannot add the route"
echo "\$ echo -n kfaas | socat - UDP:$ADDR:$PORT"
# UDP: ask again if the first datagram came before kfaasd bound the
# route's port, or the machine is too busy for a quick first answer
for _ in 1 2 3 4 5; do
	reply=$(printf kfaas | nsenter --net=/run/netns/"$CLI_NS" \
		socat -t 3 - "UDP:$ADDR:$PORT" 2>/dev/null)
	[ -n "$reply" ] && break
done
[ -n "$reply" ] || fail "no reply from the VM-tier function"
echo "$reply"
"$K" invoke hello --data "invoke" | sed -n 2p
"$K" stats hello
