#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-kernel HTTP/1.1 responder end to end: a client namespace talks to
# the server namespace over a veth pair, with curl, wrk and raw clients,
# through the socket-tier listener ('kfaas sk serve').
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
require_root
require_tools curl wrk socat jq python3
ktap_plan 42

use_pin_root sk-http
sandbox_up skh 66 || { echo "# sandbox failed"; exit 1; }
CL="$here/sk_client.py"
URL=http://$SRV4:8080
HOST=$'\r\nHost: kfaas\r\n'
tmp=$(mktemp -d)
cleanup_add "rm -rf $tmp"

check "load the http example (socket tier)" \
	"$KFAAS" fn load "$B/bpf/http.bpf.o" http
check "route tcp 8080 to it" "$KFAAS" route add tcp 8080 fn http
head -c 8000 /dev/urandom | base64 -w 0 | head -c 8000 > "$tmp/big"
check "fill pages with kfaas-http" sh -c "
	'$B/kfaas-http' set /hello --data 'hello world' &&
	'$B/kfaas-http' set /index.html --data '<h1>kfaas</h1>' &&
	'$B/kfaas-http' set /big --file '$tmp/big'"
sk_serve
check "the listener starts" sk_alive

# ---- curl: the status codes ----
out=$(in_cli curl -s --max-time 5 -w ' %{http_code} %{content_type}' $URL/hello)
check_eq "curl GET /hello: 200 and the page" "hello world 200 text/plain" "$out"
out=$(in_cli curl -s --max-time 5 -w ' %{http_code} %{content_type}' $URL/index.html)
check_eq "curl GET /index.html: its type" "<h1>kfaas</h1> 200 text/html" "$out"
out=$(in_cli curl -s --max-time 5 -o /dev/null -w '%{http_code}' $URL/nothing)
check_eq "curl GET of an unknown path: 404" "404" "$out"
out=$(in_cli curl -s --max-time 5 -I $URL/hello | tr -d '\r' | grep -ci '^content-length: 11$')
check_eq "curl HEAD: headers of the page, no body" "1" "$out"
out=$(in_cli curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST $URL/hello)
check_eq "curl POST: 405" "405" "$out"
out=$(in_cli curl -s --max-time 5 $URL/big | md5sum)
check_eq "an 8000-byte page arrives whole" "$(md5sum < "$tmp/big")" "$out"

# ---- malformed requests: 400, and the connection closes ----
for req in $'BAD\r\n\r\n' $'GET  /hello HTTP/1.1\r\nHost: x\r\n\r\n' \
	   $'get /hello HTTP/1.1\r\nHost: x\r\n\r\n' \
	   $'GET /hello HTTP/1.1\r\n\r\n' \
	   $'GET /hello HTTP/2.0\r\nHost: x\r\n\r\n' \
	   $'GET hello HTTP/1.1\r\nHost: x\r\n\r\n' \
	   $'GET /hello HTTP/1.1\r\nno colon here\r\n\r\n' \
	   $'\x01\x02\x03\x04\r\n\r\n'; do
	printf '%s' "$req" > "$tmp/req"
	out=$(in_cli "$CL" $SRV4 8080 < "$tmp/req" 2>"$tmp/state" | head -1 | tr -d '\r')
	check_eq "400 for $(printf '%q' "$req" | cut -c1-40)" \
		"HTTP/1.1 400 Bad Request closed" "$out $(cat "$tmp/state")"
done

out=$(printf 'GET /hello HTTP/1.0\r\n\r\n' | in_cli timeout 4 socat -t 2 - \
	TCP:$SRV4:8080 | tr -d '\r' | grep -c -e '^HTTP/1.1 200 OK$' -e '^Connection: close$')
check_eq "HTTP/1.0 from a client that shuts its side at once: 200, then close" \
	"2" "$out"

# ---- keep-alive, pipelining, split requests ----
out=$(in_cli curl -s --max-time 5 -o /dev/null -o /dev/null \
	-w '%{num_connects}' $URL/hello $URL/hello)
check_eq "keep-alive: curl's second request reuses the connection" "10" "$out"
printf 'GET /hello HTTP/1.1%s\r\nGET /nothing HTTP/1.1%s\r\nGET /index.html HTTP/1.1%s\r\n' \
	"$HOST" "$HOST" "$HOST" > "$tmp/req"
out=$(in_cli "$CL" $SRV4 8080 < "$tmp/req" 2>"$tmp/state" |
	grep -ao 'HTTP/1.1 [0-9]*' | tr '\n' ',')
check_eq "three pipelined requests in one segment: three replies in order" \
	"HTTP/1.1 200,HTTP/1.1 404,HTTP/1.1 200,open" \
	"$out$(cat "$tmp/state")"
printf 'GET /hello HTTP/1.1%s\r\n' "$HOST" > "$tmp/req"
out=$(in_cli "$CL" --chunk 3 $SRV4 8080 < "$tmp/req" 2>/dev/null | tail -c 11)
check_eq "a request split into 3-byte segments" "hello world" "$out"
printf 'GET /hello HTTP/1.1%sX-Pad: %s\r\n\r\n' "$HOST" \
	"$(head -c 5000 /dev/zero | tr '\0' a)" > "$tmp/req"
out=$(in_cli "$CL" $SRV4 8080 < "$tmp/req" 2>/dev/null | tail -c 11)
check_eq "a 5 KB request over the 1500-byte MTU" "hello world" "$out"
( for i in $(seq 1 30); do printf 'GET /hello HTTP/1.1%s\r\n' "$HOST"; done ) > "$tmp/req"
out=$(in_cli "$CL" --chunk 100 --delay 0 $SRV4 8080 < "$tmp/req" 2>/dev/null |
	grep -c 'hello world')
check_eq "30 pipelined requests cut at random places: 30 replies" "30" "$out"
printf 'GET /hello HTTP/1.1%sX-Pad: %s\r\n\r\n' "$HOST" \
	"$(head -c 9000 /dev/zero | tr '\0' a)" > "$tmp/req"
out=$(in_cli "$CL" --chunk 1400 $SRV4 8080 < "$tmp/req" 2>"$tmp/state" | head -1 | tr -d '\r')
check_eq "a request larger than a connection holds (9 KB in segments): 431, closed" \
	"HTTP/1.1 431 Request Header Fields Too Large closed" "$out $(cat "$tmp/state")"
out=$(in_cli curl -s --max-time 5 -o "$tmp/body" -w '%{http_code}' \
	-H "X-Pad: $(head -c 20000 /dev/zero | tr '\0' a)" $URL/hello)
check_eq "curl with a 20 KB header: 431 and its body, like a server" \
	"431 request header fields too large" "$out $(cat "$tmp/body")"

# ---- accounting: every request counted once ----
inv=$(fn_stat http invocations)
seq 1 20 | in_cli xargs -P 4 -I{} curl -s -o /dev/null --max-time 5 $URL/hello
check_eq "20 requests: 20 invocations" "$((inv + 20))" "$(fn_stat http invocations)"
out=$(in_cli "$CL" $SRV4 8080 < /dev/null 2>&1; fn_stat http invocations)
check_eq "a connection without a request: no invocation" \
	"open$((inv + 20))" "$(echo $out | tr -d ' ')"

# ---- many concurrent connections ----
out=$(seq 1 200 | in_cli xargs -P 64 -I{} curl -s -o /dev/null --max-time 10 \
	-w '%{http_code}\n' $URL/hello | sort | uniq -c | tr -s ' ')
check_eq "200 curls, 64 at a time: all 200" " 200 200" "$out"
in_cli wrk -t 2 -c 100 -d 2s --timeout 2s $URL/hello > "$tmp/wrk" 2>&1
reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk")
diag "$(grep -E 'Requests/sec|Latency' "$tmp/wrk")"
check "wrk, 100 connections for 2 s: requests answered" test "${reqs:-0}" -gt 1000
check_fail "wrk: no socket errors and no non-2xx replies" \
	grep -Eq 'Socket errors|Non-2xx' "$tmp/wrk"

# ---- closing connections leaves nothing behind ----
check "all closed: no sockets, links or records left" wait_until 50 sk_idle
check_eq "the listener closed every connection it accepted" \
	"$(sk_show accepted)" "$(sk_show closed)"

# ---- kfaas invoke: a loopback connection through the listener ----
inv=$(fn_stat http invocations)
out=$(in_srv "$KFAAS" -j invoke http --data "GET /hello HTTP/1.1${HOST}"$'\r\n')
check_match "invoke: REPLY with the page" '"verdict":"REPLY".*hello world' "$out"
out=$(in_srv "$KFAAS" -j invoke http --data "GET /hello HTTP/1.1${HOST}"$'\r\n' \
	--repeat 300 | jq -r '[.repeat, .batches, (.ns_per_invocation > 0)] | @csv')
check_eq "invoke --repeat 300: statistics over 100 batches" "300,100,true" "$out"
check_eq "invoke is accounted like traffic (1 + 1 + 300)" "$((inv + 302))" \
	"$(fn_stat http invocations)"

# ---- a route removed under an open connection ----
nr=$(sk_show dispatch.no_route)
printf 'GET /hello HTTP/1.1%s\r\n' "$HOST" > "$tmp/req"
in_cli "$CL" --again 3 $SRV4 8080 < "$tmp/req" > "$tmp/out" 2>"$tmp/state" &
wait_until 100 grep -q 'hello world' "$tmp/out"
"$KFAAS" route del tcp 8080
wait
check_eq "route deleted under a connection: its next request is passed up, closed" \
	"1 closed" "$(grep -c 'hello world' "$tmp/out") $(cat "$tmp/state")"
check_eq "the sk dispatcher counted it: no route" "$((nr + 1))" \
	"$(sk_show dispatch.no_route)"
check "route deleted: the listener stops listening" \
	wait_until 30 sh -c "! nsenter --net=/run/netns/$NS_CLI curl -s -o /dev/null --max-time 1 $URL/hello"
"$KFAAS" route add tcp 8080 fn http >/dev/null
check "route back: served again within a second" wait_until 30 \
	in_cli curl -sf -o /dev/null --max-time 1 $URL/hello

# ---- stopping ----
check "kfaas sk stop stops the listener" "$KFAAS" sk stop
check_eq "stopped: not running, nothing left" "false" \
	"$(sk_show running)$(sk_idle || echo ' left')"
ktap_finish
