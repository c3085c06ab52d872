#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic split from the CLI: routes with versions and weights, 'route
# set ... weights', the refusals that keep a rollback safe (a version not
# loaded, a version unloaded while it has weight), and kfaas.conf(5)
# export/apply carrying the weights.  Every refusal leaves the state as
# it was.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq
ktap_plan 22

use_pin_root split-cli
K() { "$KFAAS" "$@"; }
T=$(mktemp -d)
cleanup_add "rm -rf $T"
routes() { K -j route list | jq -c '[.[] | {port, fn, versions}]'; }

K fn load "$B/bpf/echo.bpf.o" dns-v1 >/dev/null
K fn load "$B/bpf/upper.bpf.o" dns-v2 >/dev/null
K fn load "$B/bpf/echo.bpf.o" dns-v3 >/dev/null
check_eq "route add udp 53 fn dns-v1 90 fn dns-v2 10" \
	"route udp 53 -> dns-v1 90, dns-v2 10 of 100 (xdp)" \
	"$(K route add udp 53 fn dns-v1 90 fn dns-v2 10)"
check_eq "route list shows the split" "udp 53 dns-v1:90,dns-v2:10" \
	"$(K route list | awk 'NR == 2 { print $1, $2, $3 }')"
check_eq "... and its JSON the versions" '[{"fn":"dns-v1","weight":90},{"fn":"dns-v2","weight":10}]' \
	"$(K -j route list | jq -c '.[0].versions | map({fn, weight})')"
check_match "fn show of a version lists the route with its weight" "\\[udp 53 weight 10 of 100\\]" \
	"$(K fn show dns-v2)"
check_eq "... and its JSON the weights" '[{"route":"udp 53","weight":10,"total":100}]' \
	"$(K -j fn show dns-v2 | jq -c .weights)"

before=$(routes)
check_match "route set refuses a version that is not loaded, naming it" \
	"version 'dns-v9' is not loaded" \
	"$(K route set udp 53 weights dns-v1 50 dns-v9 50 2>&1)"
check_eq "... and the route is unchanged" "$before" "$(routes)"
check_fail "route set refuses a version named twice" \
	K route set udp 53 weights dns-v1 50 dns-v1 50
check_fail "route set refuses all weights 0" K route set udp 53 weights dns-v1 0 dns-v2 0
check_fail "route set refuses a weight that is not a number" \
	K route set udp 53 weights dns-v1 ninety
check_fail "route add refuses a version without weight among several" \
	K route add udp 54 fn dns-v1 90 fn dns-v2
check_eq "... and adds nothing" "$before" "$(routes)"

out=$(K fn unload dns-v2 2>&1)
check_match "fn unload of a version with weight is refused, naming the route" \
	"'dns-v2' serves 1 route\(s\) \('udp 53 with weight 10 of 100'\)" "$out"
check_eq "... and dns-v2 stays loaded" dns-v2 "$(K -j fn show dns-v2 | jq -r .name)"

check_eq "route set moves the weights in one update" \
	"route udp 53 -> dns-v1 20, dns-v2 70, dns-v3 10 of 100 (xdp)" \
	"$(K route set udp 53 weights dns-v1 20 dns-v2 70 dns-v3 10)"

before=$(routes)
id=$(K -j fn show dns-v2 | jq .id)
check_eq "fn replace of a version swaps its program: same id, same split" \
	"$id $before" "$(K fn replace dns-v2 "$B/bpf/echo.bpf.o" >/dev/null &&
			  echo "$(K -j fn show dns-v2 | jq .id) $(routes)")"

# ---- kfaas.conf(5): export, apply ----
K export > "$T/a.yaml"
check_match "export writes the versions and weights" \
	"versions: dns-v1: 20 dns-v2: 70 dns-v3: 10" "$(tr -s ' \n' ' ' < "$T/a.yaml")"
sed 's/dns-v1: 20/dns-v1: 95/; s/dns-v2: 70/dns-v2: 5/; /dns-v3: 10/d' "$T/a.yaml" > "$T/b.yaml"
check_match "apply of other weights is one route update" "^~ route udp 53 -> dns-v1 .and other versions." \
	"$(K apply "$T/b.yaml" --dry-run)"
K apply "$T/b.yaml" >/dev/null
check_eq "... applied" '[{"fn":"dns-v1","weight":95},{"fn":"dns-v2","weight":5}]' \
	"$(K -j route list | jq -c '.[0].versions | map({fn, weight})')"
check_eq "dns-v3, out of the split, can be unloaded" 0 \
	"$(K fn unload dns-v3 >/dev/null 2>&1; echo $?)"

# round trip: from nothing, the exported file makes the same state
K export > "$T/c.yaml"
K route del udp 53 >/dev/null
K fn unload dns-v1 >/dev/null
K fn unload dns-v2 >/dev/null
K apply "$T/c.yaml" >/dev/null
check_eq "export, unload everything, apply: the same routes and weights" \
	"$(cat "$T/c.yaml")" "$(K export)"
sed 's/dns-v2: 5/dns-v9: 5/' "$T/c.yaml" > "$T/d.yaml"
check_match "apply refuses a version that 'functions' does not define" \
	"version 'dns-v9', which 'functions' does not define" \
	"$(K apply "$T/d.yaml" 2>&1)"
ktap_finish
