#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic split at the VM tier: kfaasd picks a split route's version per
# request, from the route as it is in the table at that moment.  The
# route comes from kfaasd's kfaas.conf(5) (versions and weights); each
# version's accounting is its own; weights changed while a client sends
# lose no request.
#
# The versions: hello (a: "hello, ...") and the test function kfn (b:
# "nothing", its answer to "get").  Tolerance: picks per request are
# independent, so the b replies out of N = 60 at 50/50 are
# binomial(60, 0.5): mean 30, standard deviation 3.9; the test accepts
# 30 +- 15 (3.9 standard deviations: a correct split fails it with
# probability about 1e-4); one version only (0 or 60) is far outside.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"
. "$here/../e2e/split_lib.sh"

vm_require jq python3 nsenter
[ -x "$B/vmfn/hello" ] || ktap_skip_all "the hello function is not built: make"
ktap_plan 8

use_pin_root vmsplit
sandbox_up vmsplit 76 || { echo "Bail out! no sandbox"; exit 1; }
export KFAAS_RUN_DIR=/run/kfaasd-s$$
K() { "$KFAAS" "$@"; }
T=$(mktemp -d /tmp/kfaas-vmsplit-XXXXXX)
LOG=$T/kfaasd.log
cleanup_add "daemon_stop; rm -rf $KFAAS_RUN_DIR $T"
CL="$here/../e2e/split_client.py"

cat > "$T/kfaas.yaml" <<EOF
functions:
  hello:
    vm: $B/vmfn/hello
    min-warm: 1
  kfn:
    vm: $B/tests/vm/fn/kfn
    min-warm: 1
routes:
  - { trigger: udp 7071, versions: { hello: 50, kfn: 50 } }
EOF
nsenter --net=/run/netns/"$NS_SRV" "$B/kfaasd" --cache-dir /var/cache/kfaasd-test \
	--refresh 500 --config "$T/kfaas.yaml" >>"$LOG" 2>&1 &
DPID=$!
ok=1
for i in $(seq 150); do
	K daemon status >/dev/null 2>&1 && K fn show kfn >/dev/null 2>&1 && { ok=0; break; }
	sleep 0.2
done
check_eq "kfaasd applied a configuration with a split route" \
	'[{"fn":"hello","weight":50},{"fn":"kfn","weight":50}]' \
	"$(K -j route list | jq -c '.[0].versions | map({fn, weight})')" ||
	sed 's/^/# /' "$LOG" | tail -20

N=60
out=$(in_cli python3 "$CL" udp $SRV4 7071 $N 1 --a hello --timeout 30)
diag "$N requests: $out"
j() { printf '%s' "$out" | jq -r "$1"; }
check_eq "every request answered" $N "$(j .answered)"
b=$(j .replies_b)
check "kfn answered $b of $N: within 30 +- 15 (binomial, 3.9 sd)" \
	test "$b" -ge 15 -a "$b" -le 45
check_eq "hello's invocations are its replies" "$(j .replies_a)" \
	"$(K -j stats hello | jq .invocations)"
check_eq "kfn's invocations are its replies" "$b" "$(K -j stats kfn | jq .invocations)"

# ---- weights changed while a client sends ----
in_cli python3 "$CL" udp $SRV4 7071 10 1 --a hello --timeout 30 --until "$T/stop" \
	> "$T/out" &
cpid=$!
cleanup_add "kill $cpid"
SPLIT_ROUTE="udp 7071" SPLIT_A=hello SPLIT_B=kfn
split_changes 10 60 "100 0" "0 100" "20 80"
ok=$?
touch "$T/stop"
wait $cpid
out=$(cat "$T/out")
diag "under weight changes: $out"
check_eq "3 weight changes, each after 10 requests served: all made" 0 $ok
check_eq "... and every request sent was answered" "$(j .sent)" "$(j .answered)"
check "... by both versions" test "$(j .replies_a)" -gt 0 -a "$(j .replies_b)" -gt 0
ktap_finish
