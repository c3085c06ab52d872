#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End to end over a veth pair between two network namespaces, dispatcher
# attached in native XDP mode: real clients (socat, dig) in the client
# namespace get their replies from the XDP tier; what the tier does not
# answer reaches a userspace server behind it.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools socat dig python3 jq
ktap_plan 21

use_pin_root e2e
K() { "$KFAAS" "$@"; }
sandbox_up e2e 62 || ktap_skip_all "cannot build the veth/netns sandbox"

for f in echo upper kv dns; do K fn load "$B/bpf/$f.bpf.o" $f >/dev/null; done
K route add udp 7 fn echo >/dev/null
K route add udp 9 fn upper >/dev/null
K route add udp 11211 fn kv >/dev/null
K route add udp 53 fn dns >/dev/null
# the cache's hooks (docs/kv.md) watch whatever serves UDP 11211 behind it
in_srv "$B/kfaas-kv" attach --max-age 600
"$B/kfaas-dns" add www.example.com A 10.1.2.3
"$B/kfaas-dns" add www.example.com AAAA fd00::3 120
check "attach the dispatcher (native) to the server end" in_srv "$KFAAS" net attach "$SRV_IF" native

udp() {	# host port payload -> reply
	printf '%s' "$3" | in_cli timeout 5 socat -t 2 - "UDP:$1:$2" 2>/dev/null
}
check_eq "echo over IPv4 (socat)" "ping" "$(udp $SRV4 7 ping)"
check_eq "echo over IPv6 (socat)" "ping6" "$(udp "[$SRV6]" 7 ping6)"
check_eq "upper over IPv4" "MAKE ME LOUD" "$(udp $SRV4 9 'make me loud')"
check_eq "upper over IPv6" "ABC-123" "$(udp "[$SRV6]" 9 'abc-123')"

check_eq "dig A" "10.1.2.3" "$(in_cli dig +short +time=2 +tries=1 @$SRV4 www.example.com A)"
check_eq "dig AAAA over IPv6" "fd00::3" \
	"$(in_cli dig +short +time=2 +tries=1 @$SRV6 www.example.com AAAA)"
out=$(in_cli dig +time=2 +tries=1 @$SRV4 WWW.Example.COM A)
check_match "dig: NOERROR, authoritative, one answer" \
	"status: NOERROR.*flags: qr aa rd; QUERY: 1, ANSWER: 1" "$(echo $out)"
check_match "dig NXDOMAIN for an unknown name" "status: NXDOMAIN" \
	"$(in_cli dig +time=2 +tries=1 @$SRV4 nope.example.com A)"
check_match "dig NOERROR with no answer for a missing type" "status: NOERROR.*ANSWER: 0" \
	"$(in_cli dig +time=2 +tries=1 @$SRV4 www.example.com MX | tr '\n' ' ')"
check_eq "a garbage datagram to the DNS port gets no reply" "" "$(udp $SRV4 53 xx)"

# userspace servers behind the tier: the kv cache's misses (11211), and
# a port no route names (4242), whose replies say they came from the stack
cat > /tmp/kfaas-e2e-srv-$$.py <<'PY'
import select, socket, sys
kv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
kv.bind((sys.argv[1], 11211))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind((sys.argv[1], 4242))
while True:
    for s in select.select([kv, other], [], [])[0]:
        data, peer = s.recvfrom(2048)
        if s is kv:
            s.sendto(data[:8] + b"SERVER MISS\r\nEND\r\n", peer)
        else:
            s.sendto(b"stack: " + data, peer)
PY
# nsenter execs python: $! is the server itself
nsenter --net=/run/netns/"$NS_SRV" python3 /tmp/kfaas-e2e-srv-$$.py $SRV4 \
	>/dev/null 2>&1 &
srv=$!
cleanup_add "kill $srv; rm -f /tmp/kfaas-e2e-srv-$$.py"
for i in $(seq 100); do	# until both ports are bound
	[ "$(in_srv ss -Hlun | awk '{ print $4 }' | grep -cE ':(11211|4242)$')" = 2 ] && break
	sleep 0.05
done
hdr='\x00\x07\x00\x00\x00\x01\x00\x00'
"$B/kfaas-kv" set greeting "hello from XDP" 3	# a warm-up entry
kv() { printf "$hdr%s\r\n" "$1" | in_cli timeout 5 socat -t 2 - "UDP:$SRV4:11211" | tail -c +9; }
before=$(K -j stats kv | jq .passed)
check_eq "kv hit answered by XDP" "$(printf 'VALUE greeting 3 14\r\nhello from XDP\r\nEND\r\n')" "$(kv 'get greeting')"
check_eq "kv miss answered by the server behind" "$(printf 'SERVER MISS\r\nEND\r\n')" "$(kv 'get other')"
check_eq "... and counted as passed" $((before + 1)) "$(K -j stats kv | jq .passed)"

# accounting and dispatcher counters
check_eq "echo invocations counted (2)" 2 "$(K -j stats echo | jq .invocations)"
check_eq "upper bytes in/out counted" "19 19" "$(K -j stats upper | jq -r '"\(.bytes_in) \(.bytes_out)"')"
check_match "dispatcher saw traffic and routed it" '"dispatched": [1-9]' \
	"$(in_srv "$KFAAS" -p net show)"

# generic mode works the same
in_srv "$KFAAS" net detach "$SRV_IF" >/dev/null
check "attach in generic mode" in_srv "$KFAAS" net attach "$SRV_IF" generic
check_eq "echo in generic mode" "generic" "$(udp $SRV4 7 generic)"
check_eq "dig in generic mode" "10.1.2.3" "$(in_cli dig +short +time=2 +tries=1 @$SRV4 www.example.com)"

# no route: the datagram is passed up, and the server behind answers it
nr=$(in_srv "$KFAAS" -j net show | jq .dispatcher.no_route)
check_eq "an unrouted port reaches the stack, not the tier: its server answers" \
	"stack: nobody $((nr + 1))" \
	"$(udp $SRV4 4242 nobody) $(in_srv "$KFAAS" -j net show | jq .dispatcher.no_route)"

ktap_finish
