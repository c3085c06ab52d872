#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Line-based socket-tier functions: memcached 'get' over TCP (kvtcp) and
# the line echo with its DROP, PASS and close verdicts; routing by local
# address (exact, then wildcard) and IPv6; data sent before the listener
# accepted; a listener that dies and the one that follows.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
require_root
require_tools socat jq python3
ktap_plan 28

use_pin_root sk-lines
sandbox_up skl 67 || { echo "# sandbox failed"; exit 1; }
CL="$here/sk_client.py"
tmp=$(mktemp -d)
cleanup_add "rm -rf $tmp"

# ask ADDR PORT REQUEST: the reply and whether the server closed
ask() {
	printf "$3" > "$tmp/req"
	in_cli "$CL" "$1" "$2" < "$tmp/req" 2>"$tmp/state" | tr -d '\r' | tr '\n' '|'
	echo " $(cat "$tmp/state")"
}

check "load kvtcp and lineecho" sh -c "
	'$KFAAS' fn load '$B/bpf/kvtcp.bpf.o' kv >/dev/null &&
	'$KFAAS' fn load '$B/bpf/lineecho.bpf.o' echo >/dev/null"
check "routes: 11211 to kv, 7000 to echo" sh -c "
	'$KFAAS' route add tcp 11211 fn kv >/dev/null &&
	'$KFAAS' route add tcp 7000 fn echo >/dev/null"
check "fill the cache (kfaas-kv --fn kv)" sh -c "
	'$B/kfaas-kv' --fn kv set greeting 'hello there' 7 &&
	'$B/kfaas-kv' --fn kv set empty ''"
sk_serve
check "the listener starts" sk_alive

# ---- memcached text get over TCP ----
check_eq "get of a cached key: VALUE, flags, data, END" \
	"VALUE greeting 7 11|hello there|END| open" \
	"$(ask $SRV4 11211 'get greeting\r\n')"
check_eq "get of an empty value" "VALUE empty 0 0||END| open" \
	"$(ask $SRV4 11211 'get empty\r\n')"
check_eq "a miss, an unknown command, a bare-LF get, pipelined" \
	"END|ERROR|VALUE greeting 7 11|hello there|END| open" \
	"$(ask $SRV4 11211 'get nothing\r\nset x 0 0 1\r\nget greeting\n')"
check_eq "quit closes the connection" " closed" "$(ask $SRV4 11211 'quit\r\n')"
out=$(printf 'get greeting\r\n' | in_cli timeout 3 socat -t 1 - TCP:$SRV4:11211 |
	tr -d '\r' | head -2 | tail -1)
check_eq "socat gets the value" "hello there" "$out"

# ---- the line echo and its verdicts ----
check_eq "lines come back, pipelined" "one|two|three| open" \
	"$(ask $SRV4 7000 'one\ntwo\nthree\n')"
printf 'one\ntw' > "$tmp/req"
out=$(in_cli "$CL" --chunk 2 $SRV4 7000 < "$tmp/req" 2>/dev/null | tr '\n' '|')
check_eq "an incomplete last line waits" "one|" "$out"
drops=$(fn_stat echo drops)
check_eq "DROP: no reply, the connection goes on" "a|b| open" \
	"$(ask $SRV4 7000 'a\nDROP it\nb\n')"
check_eq "DROP is counted" "$((drops + 1))" "$(fn_stat echo drops)"
check_eq "QUIT: BYE, then the connection closes" "BYE| closed" \
	"$(ask $SRV4 7000 'QUIT\nlost\n')"
passed=$(fn_stat echo passed)
check_eq "PASS: handed to the listener, which closes it (no fallback)" \
	"a| closed" "$(ask $SRV4 7000 'a\nPASS\nb\n')"
check_eq "PASS is counted" "$((passed + 1))" "$(fn_stat echo passed)"
check_eq "PASS as the first request of a segment: passed up at once, closed" \
	" closed $((passed + 2))" "$(ask $SRV4 7000 'PASS\nb\n') $(fn_stat echo passed)"

# ---- routing by local address, IPv6 ----
check "port 7100: echo for any address, kv for $SRV4 only" sh -c "
	'$KFAAS' route add tcp 7100 fn echo >/dev/null &&
	'$KFAAS' route add tcp 7100 addr $SRV4 fn kv >/dev/null"
check "the listener follows (one dual-stack socket)" wait_until 30 \
	in_cli sh -c "echo | timeout 1 socat -t 0.2 - TCP:[$SRV6]:7100"
check_eq "the exact route wins: kv on $SRV4" "ERROR| open" \
	"$(ask $SRV4 7100 'hello\n')"
check_eq "the wildcard for the others: echo on [$SRV6]" "hello| open" \
	"$(ask $SRV6 7100 'hello\n')"

# ---- bytes that arrive before the listener accepts ----
# pending PORT STATE: a connection to PORT not accepted yet, in STATE with data
pending() {
	in_srv ss -Htn state "$2" "( sport = :$1 )" | awk '$1 > 0 {f=1} END {exit !f}'
}
kill -STOP $SK_PID
printf 'early\n' > "$tmp/req"
in_cli "$CL" --idle 3 $SRV4 7000 < "$tmp/req" > "$tmp/out" 2>/dev/null &
wait_until 100 pending 7000 established
kill -CONT $SK_PID
wait
check_eq "a request sent before the connection was accepted is answered" \
	"early" "$(cat "$tmp/out")"

kill -STOP $SK_PID
printf 'get greeting\r\nget greeting\r\n' |
	in_cli timeout 8 socat -t 3 - TCP:$SRV4:11211 > "$tmp/out" 2>/dev/null &
wait_until 100 pending 11211 close-wait
kill -CONT $SK_PID
wait
check_eq "requests sent, and the sending side shut, before the accept: answered" \
	"2" "$(grep -c 'hello there' "$tmp/out")"
check "... through the listener, which then closes it" wait_until 30 sk_idle

# ---- a listener that dies, and the next one ----
printf 'x\n' > "$tmp/req"
in_cli "$CL" --idle 5 $SRV4 7000 < "$tmp/req" > /dev/null 2>"$tmp/state" &
wait_until 100 sh -c "[ \"\$('$KFAAS' -j sk show | jq -r .connections)\" = 1 ]"
kill -9 $SK_PID
wait
check_eq "killed: its connections close with it" "closed" "$(cat "$tmp/state")"
check "nothing of them stays in the sockhash" wait_until 30 sh -c \
	"[ \"\$('$KFAAS' -j sk show | jq -r '.sockets')\" = 0 ]"
sk_serve
check "a new listener starts on the same pin root" sk_alive
check_eq "... sweeps the records the dead one left, and serves" \
	"0 one|" "$(sk_show records) $(ask $SRV4 7000 'one\n' | cut -d' ' -f1)"
ktap_finish
