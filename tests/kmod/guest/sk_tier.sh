# SPDX-License-Identifier: GPL-2.0
#
# Every example and the socket tier on the guest's kernel (Debian 12's
# 6.1), sourced INSIDE the test guest by stock61.sh (tests/kmod/
# test_stock61.sh): sk_tier_run, 22 cases.
# Each example object loads (6.1's verifier is stricter than the host's:
# it refused lineecho, http, kvtcp, upper, dns and kv until they bounded
# their lengths in a way it follows), and the socket tier answers real
# TCP clients (busybox nc and wget, over loopback) in the kernel:
# lineecho, http and kvtcp.  The HTTP cases also catch 6.1 running a
# bpf_loop() callback differently (it verifies it once, and removed the
# header scan's ':' check as dead until the state carried between bytes
# was made opaque: kfaas_opaque).  No kfaas.ko: the socket tier has no
# kfunc hook on 6.1.
sk_tier_run() {
	local root=/sys/fs/bpf/kfaas-sk-tier o out p
	export KFAAS_PIN_ROOT=$root

	for o in echo hello upper dns kv lineecho http kvtcp; do
		check "the $o example loads on $(uname -r)" \
			"$K" fn load "$B/bpf/$o.bpf.o" "$o"
	done
	check "... and with it the socket-tier dispatcher (sk_dispatch)" \
		test -e "$root/sk_dispatch"
	check "routes: tcp 7000 lineecho, 8080 http, 11211 kvtcp" sh -c "
		$K route add tcp 7000 fn lineecho && $K route add tcp 8080 fn http &&
		$K route add tcp 11211 fn kvtcp"
	check "a page (kfaas-http) and a cache entry (kfaas-kv)" sh -c "
		$B/kfaas-http --fn http set /hello --data 'hello world' &&
		$B/kfaas-kv --fn kvtcp set greeting 'hello there' 7"
	out=$("$K" -j sk serve 2>&1)
	check_match "kfaas sk serve: the listener starts" '"pid":[1-9]' "$out"
	p=$(jnum pid "$out")

	check_eq "lineecho: pipelined lines come back, QUIT closes" \
		"one|two|BYE| closed" "$(printf 'one\ntwo\nQUIT\n' | sk_ask 7000)"
	check_eq "... every line accounted as an invocation" 3 \
		"$(jnum invocations "$("$K" -j stats lineecho)")"
	out=$(timeout 20 wget -q -O - http://127.0.0.1:8080/hello 2>&1)
	check_eq "http: wget gets the page" "hello world" "$out"
	out=$(printf 'GET /hello?x=1 HTTP/1.1\r\nHost: k\r\n\r\nGET /no HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n' |
		sk_ask 8080 | tr '|' '\n' | grep -oE 'HTTP/1.1 [0-9]+|hello world|closed$' | tr '\n' '|')
	check_eq "http: keep-alive, pipelined: 200 and the page (a query is not part of the path), 404, closed" \
		"HTTP/1.1 200|hello world|HTTP/1.1 404|closed|" "$out"
	out=$({ printf 'GET /hello HTTP/1.1\r\nX: '; head -c 9000 /dev/zero | tr '\0' a; } |
		sk_ask 8080 | cut -d'|' -f1)
	check_eq "http: a request over what a connection holds: 431" \
		"HTTP/1.1 431 Request Header Fields Too Large" "$out"
	check_eq "http: three requests and the 431's error accounted" "3 1" \
		"$(out=$("$K" -j stats http); echo "$(jnum invocations "$out") $(jnum errors "$out")")"
	check_eq "kvtcp: memcached get, then quit closes" \
		"VALUE greeting 7 11|hello there|END| closed" \
		"$(printf 'get greeting\r\nquit\r\n' | sk_ask 11211)"
	check "kfaas sk stop" "$K" sk stop --timeout 10
	check_fail "... the listener is gone" kill -0 "$p"
	check_match "... and no connection is left" '"connections":0,"sockets":0' \
		"$("$K" -j sk show)"

	rm -rf "$root"
}

# sk_ask PORT <REQUEST: what a busybox nc client to 127.0.0.1:PORT got, CR
# dropped, "|" for each newline, then " closed" when the server closed the
# connection (nc exits) within 20 s, or " exit N".  The client's sending
# side stays open until then (a FIFO held by this shell): the server, not
# the client's FIN, ends the exchange.
sk_ask() {
	local f=/tmp/sk-ask.fifo res=/tmp/sk-ask.out pid rc
	rm -f $f
	mkfifo $f
	timeout 20 nc 127.0.0.1 "$1" <$f >$res 2>&1 &
	pid=$!
	exec 3>$f
	cat >&3
	wait $pid
	rc=$?
	exec 3>&-
	rm -f $f
	printf '%s' "$(tr -d '\r' <$res | tr '\n' '|')"
	[ $rc = 0 ] && echo " closed" || echo " exit $rc"
}
