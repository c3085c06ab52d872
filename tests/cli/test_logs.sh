#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Function logs of the eBPF tiers without kfaasd (docs/sdk.md, "Logging";
# kfaas logs in docs/cli.md): kfaas_log() records of XDP functions run by
# 'kfaas invoke' and by real UDP clients over a veth pair (native XDP),
# of a socket-tier function answering a real TCP client; 'kfaas logs'
# looking at the ring (text, -j, --since) and following it as its one
# reader (-f); a function logging in a tight loop: another function's
# latency (the same measurement without the flood, a generous factor) and
# another's log stream stay intact, and its records are all accounted
# for, written or counted as dropped; a pin root made before the log maps
# gets them from its next fn load.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../sk/sk_lib.sh"
require_root
require_tools socat jq python3
ktap_plan 42

use_pin_root logs
K() { "$KFAAS" "$@"; }
sandbox_up logs 65 || ktap_skip_all "cannot build the veth/netns sandbox"
tmp=$(mktemp -d)
cleanup_add "rm -rf $tmp"
FLOOD=$B/tests/bpf/log_flood.bpf.o

K fn load "$B/bpf/hello.bpf.o" hello >/dev/null &&
K fn load "$FLOOD" flood >/dev/null &&
K fn load "$FLOOD" quiet >/dev/null &&
K fn load "$B/bpf/echo.bpf.o" calm >/dev/null &&
K fn load "$B/tests/bpf/log_sk.bpf.o" lsk >/dev/null
check "load hello, flood and quiet (kfaas_log), calm (echo), lsk (socket tier)" test $? = 0
K route add udp 7001 fn hello >/dev/null && K route add udp 7002 fn flood >/dev/null &&
K route add udp 7003 fn quiet >/dev/null && K route add udp 7005 fn calm >/dev/null &&
K route add tcp 7004 fn lsk >/dev/null
check "routes: udp 7001-7003, 7005, tcp 7004" test $? = 0

# ---- kfaas invoke: what the ring holds ---------------------------------------
check_eq "kfaas logs of a function that said nothing: nothing" "" "$(K logs hello)"
K invoke hello --data world >/dev/null
out=$(K logs hello)
check_match "the record: time, function, tier, 5-tuple, message" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} hello\[xdp\] udp 192\.0\.2\.1:40000 > 192\.0\.2\.2:7001: greeted world$' \
	"$out"
check_eq "looking does not consume: the same again" "$out" "$(K logs hello)"
j=$(K -j logs hello)
check "-j: every line is a JSON object" jq -e -s 'length == 1 and (.[0] | type == "object")' <<< "$j"
check_eq "-j: function, tier, protocol, ends, message" \
	"hello xdp udp 192.0.2.1:40000 192.0.2.2:7001 greeted world" \
	"$(echo "$j" | jq -r '"\(.fn) \(.tier) \(.proto) \(.src) \(.dst) \(.msg)"')"
check_match "-j: RFC 3339 time in UTC, nanoseconds" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$' "$(echo "$j" | jq -r .time)"
K invoke hello --data 'no-name-is-longer-than-thirty-two-bytes' >/dev/null
check_eq "the refused name is logged too (KFAAS_DROP path)" \
	"no greeting for a name of 39 bytes" "$(K -j logs hello | jq -r .msg | tail -1)"

# --since: between two records
K invoke quiet --data first >/dev/null
mid=@$(date +%s.%N)
K invoke quiet --data second >/dev/null
check_eq "--since @SECONDS: only the later record" "second" \
	"$(K -j logs quiet --since "$mid" | jq -r .msg | tr '\n' ' ' | sed 's/ $//')"
check_eq "--since 1h: both" "first second" \
	"$(K -j logs quiet --since 1h | jq -r .msg | tr '\n' ' ' | sed 's/ $//')"
check_eq "--since a date in the future: none" "" "$(K logs quiet --since '2999-01-01 00:00')"
out=$(K -j logs quiet --since yesterday-ish)
check_match "a bad --since: a JSON error saying what to give" "bad --since.*@SECONDS" \
	"$(echo "$out" | jq -r .error)"
check_fail "... and exit 1" K logs quiet --since yesterday-ish
check_match "an unknown function: error" "no function 'nosuch'" "$(K logs nosuch 2>&1)"
check_match "all functions in one stream" "hello\[xdp\].*quiet\[xdp\].*quiet\[xdp\]" \
	"$(K logs | tr '\n' ' ')"

# ---- real traffic: UDP clients through the dispatcher on the veth -------------
check "attach the dispatcher (native) to the server end" in_srv "$KFAAS" net attach "$SRV_IF" native
udp() {	# host port payload -> reply
	printf '%s' "$3" | in_cli timeout 5 socat -t 2 - "UDP:$1:$2,sourceport=$4" 2>/dev/null
}
check_eq "a UDP client over IPv4 gets its greeting" "hello, traffic" "$(udp $SRV4 7001 traffic 41001)"
check_eq "... over IPv6" "hello, traffic6" "$(udp "[$SRV6]" 7001 traffic6 41002)"
check_eq "the records carry the clients' addresses and ports" \
	"$CLI4:41001 $SRV4:7001 greeted traffic|[$CLI6]:41002 [$SRV6]:7001 greeted traffic6" \
	"$(K -j logs hello | jq -r 'select(.msg | startswith("greeted traffic")) | "\(.src) \(.dst) \(.msg)"' | tr '\n' '|' | sed 's/|$//')"

# ---- the socket tier: a real TCP client ----------------------------------------
sk_serve
check "the socket tier's listener runs" test -n "$SK_PID"
out=$(printf 'ping-sk\n' | in_cli python3 "$here/../sk/sk_client.py" $SRV4 7004 2>/dev/null)
check_eq "a TCP client gets its line back" "ping-sk" "$out"
check_match "the socket tier's record: tcp, client and listener ends, message" \
	"^tcp $CLI4:[0-9]+ $SRV4:7004 line of 8 bytes: ping-sk\$" \
	"$(K -j logs lsk | jq -r '"\(.proto) \(.src) \(.dst) \(.msg)"')"
out=$(printf 'ping6\n' | in_cli python3 "$here/../sk/sk_client.py" $SRV6 7004 2>/dev/null)
check_match "... over IPv6" "^tcp \\[$CLI6\\]:[0-9]+ \\[$SRV6\\]:7004 line of 6 bytes: ping6\$" \
	"$(K -j logs lsk | jq -r '"\(.proto) \(.src) \(.dst) \(.msg)"' | tail -1)"
# socat shuts its side down at once: the listener may accept the connection
# after that, and serve it itself (docs/socket-tier.md); no client address then
out=$(printf 'socat-sk\n' | in_cli timeout 5 socat -t 1 - "TCP:$SRV4:7004")
check_eq "socat, which closes its side at once, gets its line back" "socat-sk" "$out"
check_match "... and its record: the listener's end at least" \
	"^tcp $SRV4:7004 line of 9 bytes: socat-sk\$" \
	"$(K -j logs lsk | jq -r '"\(.proto) \(.dst) \(.msg)"' | tail -1)"

# ---- -f: the ring's one reader -------------------------------------------------
K -j logs -f > "$tmp/follow" 2>"$tmp/follow.err" &
fpid=$!
cleanup_add "kill $fpid"
# ready once it has printed what the ring held (the records above)
wait_until 100 grep -q 'socat-sk' "$tmp/follow"
check "-f prints what the ring holds first" grep -q '"greeted world"' "$tmp/follow"
K invoke quiet --data while-following >/dev/null
check "-f prints a new record while it runs" wait_until 100 grep -q '"while-following"' "$tmp/follow"
out=$(K logs -f 2>&1)
check_match "a second reader is refused, saying who to stop or to run kfaasd" \
	"another reader consumes the log ring.*run kfaasd" "$out"
check_eq "records consumed by -f are gone from the ring" "" "$(K logs quiet)"

# ---- a flood: one function logging 64 records per request, in a tight loop ------
lat() {	# ns per invocation of calm (echo: it logs nothing), 20000 invocations
	K -j invoke calm --data x --repeat 20000 | jq -r .ns_per_invocation
}
base=$(lat)
flood_run() {
	for i in $(seq 15); do K invoke flood --data flood --repeat 2000 >/dev/null; done
}
flood_run &
floodpid=$!
cleanup_add "kill $floodpid"
during=$(lat)
for i in $(seq 20); do K invoke quiet --data "seq-$i" >/dev/null; done
wait $floodpid
diag "calm: $base ns/invocation alone, $during during the flood"
check "another function's latency during the flood: under 3x its own without it" \
	awk -v a="$base" -v b="$during" 'BEGIN { exit !(a > 0 && b < 3 * a) }'
wait_until 100 grep -q '"seq-20"' "$tmp/follow"
check_eq "another function's stream is intact: seq-1 to seq-20, in order" \
	"$(seq -f 'seq-%g' 1 20 | tr '\n' ' ')" \
	"$(jq -r 'select(.fn == "quiet" and (.msg | startswith("seq-"))) | .msg' "$tmp/follow" | tr '\n' ' ')"
check "... none of its records dropped" \
	test -z "$(jq -r 'select(.fn == "quiet" and .dropped)' "$tmp/follow")"
inv=$(K -j stats flood | jq .invocations)
# the reader reports drops every second: wait until every record is counted
flood_total() {
	jq -s '[.[] | select(.fn == "flood") | if .dropped then .dropped else 1 end] | add' \
		"$tmp/follow"
}
wait_until 50 test "$(flood_total)" = $((inv * 64))
check_eq "the flood's records: written plus counted as dropped = 64 per invocation" \
	$((inv * 64)) "$(flood_total)"
check_match "its drops are in the stream: rate limit" '"dropped":[0-9]+,"reason":"rate limit"' \
	"$(grep '"flood"' "$tmp/follow" | grep dropped | head -1)"
written=$(jq -s '[.[] | select(.fn == "flood" and .msg)] | length' "$tmp/follow")
diag "flood: $inv invocations, $((inv * 64)) records asked, $written written"
check "... most of them: its rate is bounded" test "$written" -lt $((inv * 64 / 10))
check_match "text: a drop line says how many and why" \
	"flood\[xdp\] [0-9]+ records dropped \(rate limit\)" \
	"$(kill $fpid; wait $fpid 2>/dev/null; K logs flood)"
check_eq "-f ended by SIGTERM left nothing on its stderr" "" "$(cat "$tmp/follow.err")"

# ---- unloading resets the counters; the name's records go with it --------------
K route del udp 7002 >/dev/null
K fn unload flood >/dev/null
check_match "an unloaded function has no logs to show" "no function 'flood'" \
	"$(K logs flood 2>&1)"

# ---- a pin root made before the log maps: its next writer adds them -----------
rm "$KFAAS_PIN_ROOT/logs" "$KFAAS_PIN_ROOT/log_state"
check_match "a pin root without the log maps: kfaas logs says what adds them" \
	"has no function logs.*the next 'kfaas fn load' adds them" "$(K logs 2>&1)"
K fn load "$B/bpf/hello.bpf.o" hello2 >/dev/null && K route add udp 7006 fn hello2 >/dev/null
check "... the next fn load adds them" \
	test -e "$KFAAS_PIN_ROOT/logs" -a -e "$KFAAS_PIN_ROOT/log_state"
K invoke hello2 --data again >/dev/null
check_eq "... and a function loaded since logs there" "greeted again" \
	"$(K -j logs hello2 | jq -r .msg)"

ktap_finish
