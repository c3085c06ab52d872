#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: kfaas end to end in a throwaway veth/netns sandbox.
#   tools/demo.sh [BUILD_DIR]
# Loads the example functions, routes them, attaches the dispatcher to the
# server end of a veth pair in native XDP mode, asks with stock clients
# (socat, dig) from the client namespace, prints the replies and the
# per-function accounting, and removes everything it made.
set -u
B=$(cd "${1:-build}" && pwd)
KFAAS="$B/kfaas"
[ "$(id -u)" = 0 ] || { echo "make demo needs root (BPF, XDP, netns)" >&2; exit 1; }

CLEANUP=""
cleanup_add() { CLEANUP="$1; $CLEANUP"; }
trap 'eval "$CLEANUP" >/dev/null 2>&1' EXIT
. "$(dirname "$0")/sandbox.sh"

export KFAAS_PIN_ROOT=/sys/fs/bpf/kfaas-demo-$$
cleanup_add "rm -rf $KFAAS_PIN_ROOT"
fail() { echo "demo: $*" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "a sandbox: two network namespaces joined by a veth pair"
sandbox_up demo 77 || fail "cannot create the sandbox"
echo "server $NS_SRV: $SRV_IF $SRV4 $SRV6    client $NS_CLI: $CLI_IF $CLI4 $CLI6"

step "load the example functions and route UDP ports to them"
for f in echo upper kv dns; do
	run "$KFAAS" fn load "$B/bpf/$f.bpf.o" $f || fail "fn load $f"
done
# a handful of requests: time every one (the default samples 1 in 64)
run "$KFAAS" config set cpu-sample 1
run "$KFAAS" route add udp 7 fn echo
run "$KFAAS" route add udp 9 fn upper
run "$KFAAS" route add udp 11211 fn kv
run "$KFAAS" route add udp 53 fn dns
run "$B/kfaas-dns" add www.example.com A 10.1.2.3
run "$B/kfaas-dns" add www.example.com AAAA fd00::3
run "$KFAAS" fn list
run "$KFAAS" route list

step "attach the dispatcher to $SRV_IF (native XDP)"
run in_srv "$KFAAS" net attach "$SRV_IF" native || fail "net attach"
ip -n "$NS_SRV" link show "$SRV_IF" | grep prog/xdp

step "memcached behind the kv cache (docs/kv.md)"
# nsenter execs memcached: $! is memcached itself
printf '$ memcached -u nobody -l %s -p 11211 -U 11211 &\n' "$SRV4"
nsenter --net=/run/netns/"$NS_SRV" memcached -u nobody -l "$SRV4" -p 11211 \
	-U 11211 >/dev/null 2>&1 &
cleanup_add "kill $!"
mc_tcp() {	# memcached's TCP reply to $1, read until it has answered
	printf '$ printf %q | socat - TCP:%s:11211\n' "$1" "$SRV4"
	printf "$1"'mn\r\n' | in_cli timeout 5 socat -t 5 - TCP:$SRV4:11211 |
		sed '/^MN/q' | grep -v '^MN'
}
for i in $(seq 100); do
	[ "$(printf 'version\r\n' | in_cli timeout 1 socat - TCP:$SRV4:11211 2>/dev/null |
	     head -c 7)" = VERSION ] && break
	sleep 0.05
done
run in_srv "$B/kfaas-kv" attach || fail "kfaas-kv attach"
mc_tcp 'set greeting 0 0 14\r\nhello from XDP\r\n'

ask() {	# host port payload
	printf '$ echo %q | socat - UDP:%s:%s\n' "$3" "$1" "$2"
	printf '%s' "$3" | in_cli timeout 5 socat -t 2 - "UDP:$1:$2"
	echo
}
step "ask with stock clients from $NS_CLI"
ask $SRV4 7 "hello, echo"
ask "[$SRV6]" 9 "make me upper case over ipv6"
uget() {
	printf '$ memcached UDP get %s -> port 11211\n' "$1"
	printf '\x00\x01\x00\x00\x00\x01\x00\x00get %s\r\n' "$1" |
		in_cli timeout 5 socat -t 2 - UDP:$SRV4:11211 | tail -c +9
}
uget greeting	# a miss: memcached answers, its reply fills the cache
uget greeting	# a hit: answered in XDP
mc_tcp 'set greeting 0 0 9\r\nrewritten\r\n'
uget greeting	# the write invalidated the entry: memcached answers
run "$B/kfaas-kv" stats
run in_cli dig +norecurse +time=2 +tries=1 @$SRV4 www.example.com A
run in_cli dig +norecurse +short +time=2 +tries=1 @$SRV6 www.example.com AAAA
run in_cli dig +norecurse +time=2 +tries=1 @$SRV4 nope.example.com | grep -E 'status|QUESTION'

step "run a function from userspace through the real dispatcher"
run "$KFAAS" invoke upper --data "invoked with BPF_PROG_TEST_RUN"
run "$KFAAS" invoke echo --data x --repeat 1000000

# the socket tier: TCP answered in the kernel (curl, wrk)
export KFAAS_DEMO_KEEP=1	# their functions stay for the last 'kfaas stats'
"$(dirname "$0")"/demo-sk.sh "$B" "$NS_SRV" "$KFAAS_PIN_ROOT" ||
	fail "the socket-tier demo failed"
# the VM tier: kfaasd beside the XDP tier, answering the client namespace
"$(dirname "$0")"/demo-vm.sh "$B" "$KFAAS_PIN_ROOT" "$NS_SRV" "$NS_CLI" "$SRV4" ||
	fail "the VM-tier demo failed"

step "per-function accounting of every tier, and the dispatcher's counters"
run "$KFAAS" stats
run in_srv "$KFAAS" net show

step "clean up"
echo "removing the sandbox and $KFAAS_PIN_ROOT"
