#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Over budget -> VM tier, end to end, on the host without kfaas.ko: a real
# UDP client in the client namespace sends N requests at once to a route
# whose XDP function (echo) has a budget of B invocations and whose
# fallback is a VM-tier function served by kfaasd (real QEMU, TCG here).
# The dispatcher enforces the budget from the BPF maps: exactly B are
# answered by XDP (the reply is the request), the other N - B are passed
# up to kfaasd, whose own budget for the VM function (V invocations)
# admits exactly V (the reply is the VM's) and sheds the rest with a
# clear error that is not the queue-full one.  The requests arrive within
# milliseconds, so neither bucket (1/s) refills during the test: the
# counts are exact.  The accounting adds up: XDP's throttled = the VM's
# invocations + its throttled (shed); 'kfaas budget show' says who
# enforces each budget, also once kfaasd is gone.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq python3 nsenter
ktap_plan 16

N=30; B_XDP=10; V=12; PORT=7300
K() { "$KFAAS" "$@"; }
vm_sandbox_daemon vmbudget vmb 78
check "kfaasd runs in the server namespace" test $? = 0
check "the VM-tier function (one warm VM)" \
	K fn create kfn --vm "$B/tests/vm/fn/kfn" --min-warm 1 --max 2 --timeout 20000
check "echo (XDP) with the VM function as its fallback, the dispatcher attached" sh -c \
	"'$KFAAS' fn load '$B/bpf/echo.bpf.o' echo >/dev/null &&
	 '$KFAAS' route add udp $PORT fn echo fallback kfn >/dev/null &&
	 nsenter --net=/run/netns/$NS_SRV '$KFAAS' net attach $SRV_IF native >/dev/null"
check_eq "kfaasd listens on the route for the fallback" true \
	"$(st | jq -r ".routes[] | select(.route==\"udp $PORT\") | .listening")"
check "budgets: echo $B_XDP invocations, kfn $V (1/s: no refill in milliseconds)" sh -c \
	"'$KFAAS' budget set echo --rps 1 --burst $B_XDP >/dev/null &&
	 '$KFAAS' budget set kfn --rps 1 --burst $V >/dev/null"
check_eq "budget show: echo by the BPF maps, kfn by kfaasd" "echo:BPF maps kfn:kfaasd" \
	"$(K -j budget show | jq -r '[.[] | select(.rps > 0) | "\(.name):\(.enforced_by)"] | sort | join(" ")')"

d0=$(nsenter --net=/run/netns/"$NS_SRV" "$KFAAS" -j net show | jq .dispatcher.throttled)
# N requests at once, each from its own socket, each with its number
out=$(in_cli python3 -c '
import select, socket, sys, time
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    socks.append(s)
for i, s in enumerate(socks):
    s.send(b"echo r%02d" % i)
got, deadline = {}, time.monotonic() + 60
while len(got) < n and time.monotonic() < deadline:
    r, _, _ = select.select([s for s in socks if s not in got], [], [], 1)
    for s in r:
        got[s] = s.recv(65536).decode(errors="replace").replace("\n", "\\n")
for s in socks:
    print(got.get(s, "timeout"))
' "$N" "$SRV4" "$PORT")
xdp=$(echo "$out" | grep -c '^echo r[0-9][0-9]$')
vm=$(echo "$out" | grep -c '^r[0-9][0-9]$')
shed=$(echo "$out" | grep -c "^kfaasd: error: function 'kfn' is over its budget: request shed")
diag "replies: $xdp by XDP, $vm by the VM, $shed shed, $(echo "$out" | grep -c timeout) timeouts"
check_eq "exactly $B_XDP answered by the XDP function (its reply: the request)" "$B_XDP" "$xdp"
check_eq "exactly $V of the other $((N - B_XDP)) answered by the VM (its reply: the text)" "$V" "$vm"
check_eq "the other $((N - B_XDP - V)) shed by kfaasd with the over-budget error" \
	"$((N - B_XDP - V))" "$shed"
check_eq "every reply the right one for its request (r00..r$((N - 1)) in order)" "$N" \
	"$(echo "$out" | awk '{ sub(/^echo /, ""); sub(/^kfaasd.*/, "shed") } $0 == sprintf("r%02d", NR - 1) || $0 == "shed"' | wc -l)"
check_eq "echo: $B_XDP invocations, $((N - B_XDP)) throttled, none passed by the function" \
	"$B_XDP $((N - B_XDP)) 0" \
	"$(K -j stats echo | jq -r '"\(.invocations) \(.throttled) \(.passed)"')"
check_eq "the dispatcher counted $((N - B_XDP)) throttled" "$((N - B_XDP))" \
	"$(( $(nsenter --net=/run/netns/"$NS_SRV" "$KFAAS" -j net show | jq .dispatcher.throttled) - d0 ))"
check_eq "kfn: $V invocations, $((N - B_XDP - V)) throttled (shed), no errors" \
	"$V $((N - B_XDP - V)) 0" \
	"$(K -j stats kfn | jq -r '"\(.invocations) \(.throttled) \(.errors)"')"
check_eq "it adds up: echo's throttled = kfn's invocations + throttled" \
	"$(stats_get echo .throttled)" "$(( $(stats_get kfn .invocations) + $(stats_get kfn .throttled) ))"
check_eq "kfaasd status: $((N - B_XDP - V)) shed, no queue overflow" "$((N - B_XDP - V)) 0" \
	"$(st | jq -r '.functions[] | select(.name == "kfn") | "\(.shed) \(.pool.overflows)"')"
daemon_stop
check_eq "without kfaasd: kfn's budget is not enforced, and show says so" "false kfaasd not running" \
	"$(K -j budget show kfn | jq -r '"\(.enforced) \(.enforced_by)"')"
ktap_finish
