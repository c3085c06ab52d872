#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Budgets in the socket tier: kernel 6.1 has no kfunc hook for sk_skb
# programs, so the SDK admits every request against its function's
# budget in the BPF maps (bpf/kfaas_sk.h), with kfaas.ko's arithmetic.
# Over budget the request does not run (counted throttled) and the
# route's policy decides: drop closes the connection after the replies
# before it, pass hands it to the listener.  Requests are pipelined in one
# segment, so the bucket (1/s) cannot refill: the counts are exact.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
require_root
require_tools socat jq python3
ktap_plan 8

use_pin_root sk-budget
sandbox_up skb 69 || { echo "# sandbox failed"; exit 1; }
CL="$here/sk_client.py"
tmp=$(mktemp -d)
cleanup_add "rm -rf $tmp"
ask() {	# PORT REQUEST: the replies and whether the server closed
	printf "$2" > "$tmp/req"
	in_cli "$CL" "$SRV4" "$1" < "$tmp/req" 2>"$tmp/state" | tr '\n' '|'
	echo " $(cat "$tmp/state")"
}
lines="l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n"

check "lineecho on tcp 7000 (policy drop) and 7001 (policy pass)" sh -c "
	'$KFAAS' fn load '$B/bpf/lineecho.bpf.o' echo >/dev/null &&
	'$KFAAS' route add tcp 7000 fn echo >/dev/null &&
	'$KFAAS' route add tcp 7001 fn echo policy pass >/dev/null"
sk_serve
check "the listener starts" test -n "$SK_PID"
check_eq "without a budget: 10 pipelined lines, 10 replies" \
	"l0|l1|l2|l3|l4|l5|l6|l7|l8|l9| open" "$(ask 7000 "$lines")"
"$KFAAS" budget set echo --rps 1 --burst 5 >/dev/null
i0=$(fn_stat echo invocations)
check_eq "rps 1 burst 5, policy drop: 5 replies, then the connection closes" \
	"l0|l1|l2|l3|l4| closed" "$(ask 7000 "$lines")"
check_eq "5 invocations, the 6th request throttled (not run)" "5 1" \
	"$(( $(fn_stat echo invocations) - i0 )) $(fn_stat echo throttled)"
"$KFAAS" budget set echo --rps 1 --burst 3 >/dev/null
p0=$(fn_stat echo passed); t0=$(fn_stat echo throttled)
check_eq "policy pass: 3 replies, the rest handed to the listener (which closes: no fallback)" \
	"l0|l1|l2| closed" "$(ask 7001 "$lines")"
check_eq "... counted as throttled, not as passed by the function" "$((t0 + 1)) $p0" \
	"$(fn_stat echo throttled) $(fn_stat echo passed)"
"$KFAAS" budget clear echo >/dev/null
check_eq "budget clear: all 10 again" "l0|l1|l2|l3|l4|l5|l6|l7|l8|l9| open" \
	"$(ask 7000 "$lines")"
ktap_finish
