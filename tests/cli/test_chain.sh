#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Function chains from the CLI, through the real dispatcher with
# BPF_PROG_TEST_RUN (no network): route add/set/list of a chain, kfaas
# invoke showing each hop (plain and JSON), per-hop counters, export and
# apply of a chain route, and the refusals: each one says what is wrong,
# exits non-zero and changes nothing (routes, chains); a chain replaced
# while a request is half-way through it; no chain element left behind by
# its route, even with the CLI killed between the two.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq bpftool
ktap_plan 33

use_pin_root chain
K() { "$KFAAS" "$@"; }
T=$(mktemp -d)
cleanup_add "rm -rf $T"
for t in a b c; do K fn load "$B/tests/bpf/tag_$t.bpf.o" tag_$t >/dev/null; done
K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
chains() { bpftool -j map dump pinned "$KFAAS_PIN_ROOT/chains" | jq length; }

check "route add udp 9000 chain tag_a,tag_b,tag_c" \
	K route add udp 9000 chain tag_a,tag_b,tag_c
check_match "route list shows the chain in order" "udp 9000 +tag_a>tag_b>tag_c +xdp" \
	"$(K route list)"
check_eq "... and as JSON" '["tag_a","tag_b","tag_c"]' \
	"$(K -j route list | jq -c '.[0].chain')"
check_match "fn show of a middle link lists the chain route and its place" \
	"routes: \[udp 9000 chain link 2 of 3\]" "$(K fn show tag_b)"
check_eq "fn show -j of every link: the route, its place in the chain" \
	"udp 9000:1/3 udp 9000:2/3 udp 9000:3/3" \
	"$(for t in a b c; do K -j fn show tag_$t | jq -r '"\(.routes | join(",")):\(.chains[0].place)/\(.chains[0].of)"'; done | tr '\n' ' ' | sed 's/ $//')"

out=$(K invoke tag_a --data ping)
check_match "invoke: the chain's reply" "reply \(10 bytes\): pinga1b2c3" "$out"
check_match "invoke shows each hop: bytes in and out, what it did" \
	"1 tag_a +4 -> 6 +bytes +next.*2 tag_b +6 -> 8 +bytes +next.*3 tag_c +8 -> 10 +bytes +reply" \
	"$(echo $out)"
j=$(K -j invoke tag_a --data ping)
check_eq "invoke -j: hops with functions and outcomes" \
	"tag_a:next tag_b:next tag_c:reply" \
	"$(printf '%s' "$j" | jq -r '[.hops[] | "\(.fn):\(.outcome)"] | join(" ")')"
check_eq "invoke -j: the reply" "pinga1b2c3" "$(printf '%s' "$j" | jq -r .reply)"
check_eq "each hop accounted on its own: 2 invocations each, bytes of its hop" \
	"2 8 12 2 12 16 2 16 20" \
	"$(for t in a b c; do K -j stats tag_$t | jq -r '"\(.invocations) \(.bytes_in) \(.bytes_out)"'; done | tr '\n' ' ' | sed 's/ $//')"

check "route set udp 9000 chain tag_c,tag_b,tag_a (one update)" \
	K route set udp 9000 chain tag_c,tag_b,tag_a
check_eq "the replaced chain answers" "pingc1b2a3" \
	"$(K -j invoke tag_c --data ping | jq -r .reply)"
check_eq "a function alone: kfaas_next() replies" "pinga1" \
	"$(K route add udp 9001 fn tag_a >/dev/null; K -j invoke tag_a --dst 192.0.2.2:9001 --data ping | jq -r .reply)"
K route del udp 9001 >/dev/null

# ---- refusals: clear error, non-zero exit, nothing changed ----
before=$(K -j route list) nb=$(chains)
refused() {	# desc regex args...
	local desc=$1 re=$2 out rc
	shift 2
	out=$(K "$@" 2>&1); rc=$?
	if [ $rc != 0 ] && printf '%s' "$out" | grep -Eq -- "$re" &&
	   [ "$(K -j route list)" = "$before" ] && [ "$(chains)" = "$nb" ]; then
		_result 0 "$desc"
	else
		_result 1 "$desc"
		diag "exit $rc: $out"
	fi
}
refused "an unknown function in a chain" "'nope' is not loaded" \
	route add udp 9100 chain tag_a,nope
refused "an empty chain" "chain is empty" route add udp 9100 chain ""
refused "a chain of one" "2 to 8 functions" route add udp 9100 chain tag_a
refused "an empty link" "empty name" route add udp 9100 chain tag_a,,tag_b
refused "a chain too long (9)" "at most 8" \
	route add udp 9100 chain tag_a,tag_b,tag_a,tag_b,tag_a,tag_b,tag_a,tag_b,tag_a
refused "a chain on TCP" "UDP only" route add tcp 9100 chain tag_a,tag_b
refused "'set chain' of a route that does not exist" "no route" \
	route set udp 9101 chain tag_a,tag_b
refused "unloading a function a chain runs" "serves 1 route" fn unload tag_b
cat >"$T/vmpass" <<EOC
functions:
  tag_a: { object: $B/tests/bpf/tag_a.bpf.o }
  vmend: { vm: $B/tests/vm/fn/kfn }
routes:
  - { trigger: udp 9102, chain: [tag_a, vmend], policy: pass }
EOC
refused "apply: policy pass on a chain ending in a vm function, refused at its line" \
	"vmpass:5: a chain ending in the vm function 'vmend' takes 'policy: drop'" \
	apply "$T/vmpass"

# ---- export and apply: nothing lost in a round trip ----
K export > "$T/conf"
check_match "export writes the chain" "chain: \[tag_c, tag_b, tag_a\]" "$(cat "$T/conf")"
K route set udp 9000 chain tag_a,tag_b >/dev/null
K apply "$T/conf" >/dev/null
check_eq "apply of the export puts the chain back; the old one collected" \
	"pingc1b2a3 1" "$(K -j invoke tag_c --data ping | jq -r .reply) $(chains)"
K route del udp 9000 >/dev/null
check_eq "route del takes its chain with it" 0 "$(chains)"

# ---- a chain replaced in the middle of a request ----
# swap (tests/bpf/chain_swap.bpf.c) reverses the chain in the map while
# the request that runs it is at its second hop: the request still ends
# with the chain it arrived with, the next request runs the reversed one
K fn load "$B/tests/bpf/chain_swap.bpf.o" swap >/dev/null
K route add udp 9000 chain tag_a,swap,tag_b,tag_c >/dev/null
check_eq "a request finishes the chain it arrived with (replaced at its 2nd hop)" \
	"pinga1b2c3 tag_c>tag_b>swap>tag_a" \
	"$(K -j invoke tag_a --data ping | jq -r .reply) $(K -j route list | jq -r '.[0].chain | join(">")')"
check_eq "... and the next runs the new chain whole (which swaps it back)" \
	"pingc1b2a3 tag_a>swap>tag_b>tag_c" \
	"$(K -j invoke tag_a --data ping | jq -r .reply) $(K -j route list | jq -r '.[0].chain | join(">")')"

# ---- no chain element outlives its route, even with the CLI killed ----
# kill -9 (KFAAS_CRASH_AT, the test build of the CLI) between a chain
# route's two writes: the element stays behind, and the next command that
# takes the lock repairs the state (route del of a route that is not
# there: it fails, after the repair)
K route del udp 9000 >/dev/null
C() { "$CRASH_KFAAS" "$@"; }
crash() { KFAAS_CRASH_AT=$1 "${@:2}" >/dev/null 2>&1; [ $? = 137 ]; }
busy() { bpftool -j map dump pinned "$KFAAS_PIN_ROOT/config" | jq '.[0].formatted.value.busy'; }
repaired() { K route del udp 1 >/dev/null 2>&1; echo "$(chains) $(busy)"; }
routes() { K -j route list | jq length; }
if [ -x "$CRASH_KFAAS" ]; then
	crash route-add-chain C route add udp 9200 chain tag_a,tag_b
	check_eq "kill -9 after a new chain route's element, before the route: 1 chain, 0 routes" \
		"1 0" "$(chains) $(routes)"
	check_eq "... the next writer deletes the element no route names (busy cleared)" \
		"0 0" "$(repaired)"
	K route add udp 9000 chain tag_a,tag_b >/dev/null
	crash route-del-chain C route del udp 9000
	check_eq "kill -9 after a chain route's delete, before its element's: 0 routes, 1 chain" \
		"0 1" "$(routes) $(chains)"
	check_eq "... the next writer deletes the element" "0 0" "$(repaired)"
	K route add udp 9000 chain tag_a,tag_b >/dev/null
	K export >"$T/ab"
	K route set udp 9000 chain tag_c,tag_b >/dev/null
	crash apply-committed C apply "$T/ab"
	check_eq "kill -9 after an apply committed a new chain, before it collected the old: 2 chains" \
		2 "$(chains)"
	check_eq "... the next writer finishes the apply and deletes the old element: the new chain answers" \
		"1 0 pinga1b2" "$(repaired) $(K -j invoke tag_a --data ping | jq -r .reply)"
else
	for i in 1 2 3 4 5 6; do
		skip "chain elements after kill -9 ($i)" "no test build of the CLI: run 'make tests'"
	done
fi
ktap_finish
