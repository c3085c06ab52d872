#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kfaas cost without kfaasd (the accounting alone) and the keep-alive
# options of fn create (docs/cli.md): the numbers are the accounting's,
# priced with the default sheet or a price file; bad input is one clear
# line and a non-zero exit.  With kfaasd: tests/vm/test_lifecycle.sh.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq
ktap_plan 19

use_pin_root cost
K() { "$KFAAS" "$@"; }
err() { "$@" 2>&1 >/dev/null | tail -n 1; }
d=$(mktemp -d /tmp/kfaas-cost.XXXXXX)
cleanup_add "rm -rf $d"
# no kfaasd for this pin root: a run directory nobody serves
export KFAAS_RUN_DIR=$d/run

K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
K route add udp 7 fn echo >/dev/null
K config set cpu-sample 1 >/dev/null	# time every invocation
K invoke echo --data hello --repeat 500 >/dev/null
st=$(K -j stats echo)
c=$(K -j cost)
row() { echo "$c" | jq -c '.functions[] | select(.name == "echo")'; }
check_eq "cost without kfaasd: the accounting's requests and bytes (500 invocations)" \
	"$(echo "$st" | jq -c '[500, .bytes_in, .bytes_out]')" \
	"$(row | jq -c '[.requests, .bytes_in, .bytes_out]')"
check_eq "... and its CPU time (eBPF tier: the accounting's CPU ns, > 0)" \
	"$(echo "$st" | jq '.cpu_ns / 1e9') true" "$(row | jq -r '"\(.cpu_s) \(.cpu_s > 0)"')"
check_eq "... no memory held by the eBPF tier" "0 xdp accounting" \
	"$(row | jq -r '[.mem_gib_s, .tier, .cpu_from] | join(" ")')"
check_eq "priced: requests / 1e6 x 0.40 + CPU-s x 0.000024 (Cloud Run's list prices)" true \
	"$(row | jq --argjson s "$st" '(.cost.total - ($s.invocations / 1e6 * 0.4 + $s.cpu_ns / 1e9 * 0.000024)) | fabs < 1e-15')"
check_match "the sheet says where its figures come from" "cloud.google.com/run/pricing" \
	"$(echo "$c" | jq -r .prices.source)"
check_eq "the total adds the functions up" true \
	"$(echo "$c" | jq '(.total.total - ([.functions[].cost.total] | add)) | fabs < 1e-15')"
check_eq "per tier: the eBPF tier's cost per million requests" true \
	"$(echo "$c" | jq '.tiers[] | select(.tier == "xdp") | .per_million > 0 and .per_million < 1')"
diag "xdp tier here: $(echo "$c" | jq -r '.tiers[] | select(.tier == "xdp") | "\(.per_million) USD per million requests"')"
check_eq "a price file (AWS Lambda's: no CPU price)" true \
	"$(K -j cost --prices "$(dirname "$0")/../../tools/prices/aws-lambda.json" |
	   jq --argjson s "$st" '(.functions[0].cost.total - $s.invocations / 1e6 * 0.2) | fabs < 1e-15')"
check_match "the table names the function, tier and the total" "^echo +xdp +${st:+$(echo "$st" | jq .invocations)} " \
	"$(K cost | sed -n 2p)"
check_match "--prometheus: kfaas_cost by item" '^kfaas_cost\{function="echo",tier="xdp",item="total",currency="USD"\} [0-9.e+-]+$' \
	"$(K cost --prometheus | grep 'item="total"')"
echo '{"source": "s", "currency": "USD", "per_million_requests": 1}' >"$d/bad.json"
check_match "a price file missing a price is refused, saying which" "no \"per_gib_second\"" \
	"$(err K cost --prices "$d/bad.json")"
check_match "--since needs kfaasd (it keeps the history)" "needs kfaasd" \
	"$(err K cost --since 1h)"
check_match "a bad --since is refused" "bad --since 'yesterday'" "$(err K cost --since yesterday)"
check_match "cost of an unknown function fails" "no function 'nope'" "$(K -j cost nope | jq -r .error)"

# ---- fn create: the keep-alive, checked before kfaasd is asked ----------------
check_match "--keep-alive takes auto, none or fixed:SECONDS" "unknown keep-alive 'sometimes'" \
	"$(err K fn create f --vm /bin/true --keep-alive sometimes)"
check_match "fixed:0 is refused" "give 1 to 2592000 seconds" \
	"$(err K fn create f --vm /bin/true --keep-alive fixed:0)"
check_match "--keep-alive and --idle-ttl together are refused" "give one" \
	"$(err K fn create f --vm /bin/true --keep-alive auto --idle-ttl 5)"
# ... and in kfaas.conf(5), with the file's line, before anything changes
printf 'functions:\n  f:\n    vm: /bin/true\n    keep-alive: fixed:30\n    idle-ttl: 5\n' >$d/both.yaml
printf 'functions:\n  f:\n    vm: /bin/true\n    keep-alive: warm\n' >$d/bad.yaml
check_match "kfaas.conf: keep-alive and idle-ttl together are refused, with the line" \
	"both.yaml:3: function 'f' has both 'keep-alive' and 'idle-ttl'" "$(err K apply --dry-run $d/both.yaml)"
check_match "kfaas.conf: an unknown keep-alive is refused, with the line" \
	"bad.yaml:4: unknown keep-alive 'warm'" "$(err K apply --dry-run $d/bad.yaml)"
ktap_finish
