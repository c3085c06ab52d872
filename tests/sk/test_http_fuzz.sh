#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Random and mutated HTTP request streams (pipelined, cut at random points)
# through the real in-kernel socket tier over loopback, each reply checked
# byte for byte against a userspace model of the HTTP example
# (tests/sk/http_fuzz.py): never a wrong reply; malformed input answered
# 400 (or 405) and the connection closed.
#   HTTP_FUZZ_CONNS (300) connections; `make soak` runs many more.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
require_root
require_tools python3 jq
ktap_plan 6

use_pin_root sk-hfuzz
NS_SRV=khf-$$
ip netns add "$NS_SRV" || { echo "Bail out! no netns"; exit 1; }
cleanup_add "ip netns del $NS_SRV"
ip -n "$NS_SRV" link set lo up
tmp=$(mktemp -d)
cleanup_add "rm -rf $tmp"

check "load the http example, route tcp 8080 to it" sh -c \
	"'$KFAAS' fn load '$B/bpf/http.bpf.o' http && '$KFAAS' route add tcp 8080 fn http"
# the pages, as the model knows them: path -> [type, body]
cat > "$tmp/pages.json" <<'JSON'
{"/hello": ["text/plain", "hello world"],
 "/index.html": ["text/html", "<h1>kfaas</h1>"],
 "/a.json": ["application/json", "{\"a\":1}"],
 "/x": ["text/x-k", ""],
 "/deep/path/p": ["text/plain", "deeper\r\n\r\nwith blank lines"]}
JSON
check "fill the pages" sh -c "jq -r 'to_entries[] | [.key, .value[0], .value[1]] | @tsv' \
	'$tmp/pages.json' | while IFS=\$(printf '\t') read -r p t d; do
		'$B/kfaas-http' set \"\$p\" --type \"\$t\" --data \"\$(printf '%b' \"\$d\")\" || exit 1
	done"
sk_serve
check "the listener starts in a private namespace" sk_alive

inv0=$(fn_stat http invocations)
n=${HTTP_FUZZ_CONNS:-300}
out=$(in_srv python3 "$here/http_fuzz.py" --conns "$n" --seed "${HTTP_FUZZ_SEED:-1}" \
	"$tmp/pages.json" 2>&1); rc=$?
diag "$out"
check_eq "$n connections of random/mutated requests: every reply as the model says" 0 $rc
answered=$(printf '%s' "$out" | sed -n 's/.* \([0-9]*\) requests answered.*/\1/p')
check_eq "every request the model answers is one invocation, no more" \
	"${answered:-?}" "$(( $(fn_stat http invocations) - inv0 ))"
check "all connections closed: nothing left behind" wait_until 50 sk_idle
ktap_finish
