#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The reflection and loop defences against real traffic over a veth pair
# (native XDP): a flood with spoofed sources in one prefix from the client
# namespace (raw socket) is answered at the configured rate; the DNS
# example under a flood of small queries stays within its amplification
# bound, on the wire too; two kfaas echo routes pointed at each other do
# not ping-pong (and do, at once, when both allow loops); a datagram from
# a well-known service port is not answered.  docs/reliability.md.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools python3 jq
ktap_plan 21

use_pin_root guard
K() { "$KFAAS" "$@"; }
SPOOF="python3 $(dirname "$0")/spoof.py"
sandbox_up guard 63 || ktap_skip_all "cannot build the veth/netns sandbox"
T=$(mktemp -d /tmp/kfaas-guard-XXXXXX)
cleanup_add "rm -rf $T"

K fn load "$B/bpf/dns.bpf.o" dns >/dev/null
K fn load "$B/tests/bpf/amp.bpf.o" amp >/dev/null
K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
"$B/kfaas-dns" add www.example.com A 10.1.2.3 >/dev/null
"$B/kfaas-dns" add www.example.com AAAA fd00::3 >/dev/null
check "attach the dispatcher (native) to the server end" in_srv "$KFAAS" net attach "$SRV_IF" native

dstat() { in_srv "$KFAAS" -j net show | jq ".dispatcher.$1"; }
st() { K -j stats "$1" | jq "$2"; }
# wait until the command's output equals $1 (up to 10 s)
wait_eq() {
	local want=$1 i
	shift
	for i in $(seq 100); do
		[ "$("$@" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
# a capture of the replies on the client end: count FILE of source port PORT
capture() {
	in_cli $SPOOF count "$CLI_IF" "$1" "$T/cap.$1" 2>/dev/null &
	cleanup_add "kill $!"
	wait_eq "0 0" cat "$T/cap.$1"
}
# the frames of a flood that reached the dispatcher (a veth ring full
# drops some before XDP): its rx count once it stops growing, minus $1
# (UDP ones: ARP and neighbour discovery are counted as not_udp)
udp_rx() { in_srv "$KFAAS" -j net show | jq '.dispatcher | .rx - .not_udp'; }
stable() { local a=$("$@"); sleep 0.1; [ "$a" = "$("$@")" ] && echo "$a"; }
arrived() {
	local i n
	for i in $(seq 100); do
		n=$(stable udp_rx) && [ -n "$n" ] && break
	done
	echo $((n - $1))
}

# ---- a spoofed flood is answered at the configured rate ----
K route add udp 5000 fn amp >/dev/null
K config set guard-rate 1 >/dev/null && K config set guard-burst 100 >/dev/null
capture 5000
rx0=$(udp_rx); g0=$(dstat guard_refused)
out=$(in_cli $SPOOF send "$SRV4" 5000 10.77.5.0/24 2000 1abcdefgh)
secs=$(echo "$out" | jq .seconds)
n=$(arrived "$rx0")
diag "2000 spoofed frames from 10.77.5.0/24 in $secs s, $n reached the dispatcher"
check "most of the flood reached the dispatcher" test "$n" -ge 1000
inv=$(st amp .invocations); refused=$(( $(dstat guard_refused) - g0 ))
# at most one more token per second begun
ceil() { awk -v x="$1" 'BEGIN { n = int(x); print (x > n) ? n + 1 : n }'; }
check "rate 1/s burst 100: 100 answered (1 more per second begun: $inv in $secs s)" \
	test "$inv" -ge 100 -a "$inv" -le "$((100 + $(ceil "$secs")))"
check_eq "the rest refused and counted: answered + refused = all that arrived" "$n" $((inv + refused))
check_eq "... per function too" "$refused" "$(st amp .refused.guard)"
check "the answers reach the network: the client end captured them all" \
	wait_eq "$inv $((inv * (42 + 9)))" cat "$T/cap.5000"
rx0=$(udp_rx)
in_cli $SPOOF send "$SRV4" 5000 10.77.6.0/24 500 1abcdefgh >/dev/null
arrived "$rx0" >/dev/null
check "another /24 has its own bucket: 100 more answered" \
	test "$(st amp .invocations)" -ge "$((inv + 100))" -a \
	"$(st amp .invocations)" -le "$((inv + 101))"

# ---- DNS under a flood of small queries: its amplification bound ----
K config set guard-rate 1000 >/dev/null && K config set guard-burst 1000 >/dev/null
K route add udp 53 fn dns >/dev/null
check_eq "the DNS route: guarded, capped at its declared ratio (auto)" '[true,"2.65"]' \
	"$(K -j route list | jq -c '.[] | select(.port == 53) | [.guard, .ratio]')"
# www.example.com AAAA: a 33-byte query, a 61-byte answer
q=12340100000100000000000003777777076578616d706c6503636f6d00001c0001
capture 53
rx0=$(udp_rx)
out=$(in_cli $SPOOF send "$SRV4" 53 10.77.7.0/24 3000 "$q" --hex)
n=$(arrived "$rx0")
check "most of the 3000 queries reached the dispatcher" test "$n" -ge 1500
inv=$(st dns .invocations); bin=$(st dns .bytes_in); bout=$(st dns .bytes_out)
diag "3000 AAAA queries in $(echo "$out" | jq .seconds) s ($n arrived): $inv answered, $bin bytes in, $bout out"
check_eq "every answer 61 bytes for 33: within the declared 2.65" "$((inv * 33)) $((inv * 61))" "$bin $bout"
secs=$(echo "$out" | jq .seconds)
check "the burst (1000) plus at most 1000/s answered" test "$inv" -ge 1000 -a \
	"$inv" -le "$(awk -v s="$secs" 'BEGIN { print int(1000 + 1000 * (s + 1)) }')"
check "on the wire: the client end got exactly the answers, 103-byte frames" \
	wait_eq "$inv $((inv * (42 + 61)))" cat "$T/cap.53"
diag "wire: $((3000 * (42 + 33))) bytes of queries sent, $(cut -d' ' -f2 "$T/cap.53") bytes of answers: $(awk -v a="$(cut -d' ' -f2 "$T/cap.53")" -v b=$((3000 * 75)) 'BEGIN { printf "%.3f", a / b }') x"
K route del udp 53 >/dev/null && K route add udp 53 fn dns ratio 1.5 >/dev/null
r0=$(st dns .refused.ratio); i0=$(st dns .invocations)
rx0=$(udp_rx)
in_cli $SPOOF send "$SRV4" 53 10.77.8.0/24 100 "$q" --hex >/dev/null
arrived "$rx0" >/dev/null
check_eq "ratio 1.5: the 100 AAAA answers (1.85x) are refused and counted" \
	"100 100" "$(( $(st dns .invocations) - i0 )) $(( $(st dns .refused.ratio) - r0 ))"
qa=12340100000100000000000003777777076578616d706c6503636f6d0000010001
b0=$(st dns .bytes_out)
rx0=$(udp_rx)
in_cli $SPOOF send "$SRV4" 53 10.77.8.0/24 100 "$qa" --hex >/dev/null
arrived "$rx0" >/dev/null
check_eq "... the A answers (49 for 33: 1.48x) are sent" $((100 * 49)) $(( $(st dns .bytes_out) - b0 ))

# ---- loops ----
K route add udp 7001 fn echo >/dev/null && K route add udp 7002 fn echo >/dev/null
# the client end runs the dispatcher too: two kfaas hosts facing each other
ip -n "$NS_CLI" link set dev "$CLI_IF" xdpdrv off
check "the dispatcher on the client end too" in_cli "$KFAAS" net attach "$CLI_IF" native
send_from() {	# SPORT DPORT: one datagram from the client's port SPORT
	in_cli python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'$CLI4'", int(sys.argv[1])))
s.sendto(b"ping", ("'$SRV4'", int(sys.argv[2])))' "$1" "$2"
}
l0=$(dstat loop_refused); e0=$(st echo .invocations)
send_from 7001 7002
check "echo on 7002 does not answer a datagram from kfaas route port 7001" \
	wait_eq $((l0 + 1)) dstat loop_refused
check_eq "... no echo ran on either side" "$e0" "$(st echo .invocations)"
send_from 19 7002
check "nor one from chargen's port 19" wait_eq $((l0 + 2)) dstat loop_refused
check_eq "the refusals counted per function" 2 "$(st echo .refused.loop)"
# the same two routes allowing loops: the datagram ping-pongs, until
# echo's budget (burst 2000, then 1/s, policy drop) drops it
K route del udp 7001 >/dev/null && K route add udp 7001 fn echo loops allow >/dev/null
K route del udp 7002 >/dev/null && K route add udp 7002 fn echo loops allow >/dev/null
K budget set echo --rps 1 --burst 2000 >/dev/null
send_from 7001 7002
check "with 'loops allow' on both, one datagram ping-pongs: 2000 echoes, until the budget stops it" \
	wait_eq 1 st echo .throttled
check "... 2000 of them (plus 1 a second)" test "$(st echo .invocations)" -ge $((e0 + 2000)) -a \
	"$(st echo .invocations)" -le $((e0 + 2010))
diag "ping-pong: $(( $(st echo .invocations) - e0 )) echoes from one datagram"
in_cli "$KFAAS" net detach "$CLI_IF" >/dev/null
ktap_finish
