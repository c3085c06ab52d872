#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Function chains over a veth pair, dispatcher in native XDP mode: a real
# client (socat) gets the reply the whole chain composed; each hop is
# accounted and budgeted as its own function; a chain replaced while a
# client sends never gives a reply of half the old chain and half the new.
#
# The links are tests/bpf/chain_tag.bpf.c: tag_a appends "a" and the
# number of links the request ran (from the chain's shared state), ...:
# "ping" through tag_a,tag_b,tag_c comes back "pinga1b2c3".
. "$(dirname "$0")/../lib.sh"
require_root
require_tools socat python3 jq
ktap_plan 15

use_pin_root chain
K() { "$KFAAS" "$@"; }
sandbox_up chain 71 || ktap_skip_all "cannot build the veth/netns sandbox"
T=$(mktemp -d)
cleanup_add "rm -rf $T"

for t in a b c; do K fn load "$B/tests/bpf/tag_$t.bpf.o" tag_$t >/dev/null; done
K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
check "route add udp 9000 chain tag_a,tag_b,tag_c" \
	K route add udp 9000 chain tag_a,tag_b,tag_c guard off
check "attach the dispatcher (native)" in_srv "$KFAAS" net attach "$SRV_IF" native

udp() {	# host port payload -> reply
	printf '%s' "$3" | in_cli timeout 5 socat -t 2 - "UDP:$1:$2" 2>/dev/null
}
check_eq "socat over IPv4: the chain's composed reply" "pinga1b2c3" \
	"$(udp $SRV4 9000 ping)"
check_eq "socat over IPv6" "ping6a1b2c3" "$(udp "[$SRV6]" 9000 ping6)"
s() { K -j stats "$1" | jq -r "$2"; }
check_eq "each hop counted as its own invocation (2 each)" "2 2 2" \
	"$(s tag_a .invocations) $(s tag_b .invocations) $(s tag_c .invocations)"
check_eq "tag_b's bytes: what tag_a handed on (6+7) in, 8+9 out" "13 17" \
	"$(s tag_b .bytes_in) $(s tag_b .bytes_out)"

# a function may answer at once: the rest of the chain does not run
K route add udp 9001 chain tag_a,echo,tag_b guard off >/dev/null
check_eq "a chain link that replies ends the chain" "pinga1" "$(udp $SRV4 9001 ping)"
check_eq "... the link after it did not run" 2 "$(s tag_b .invocations)"

# each hop's own budget, without kfaas.ko: tag_b's bytes (1 a second,
# 10 at most) cover one request of 6 bytes, whose 8 out leave a debt
K budget set tag_b --bytes-per-sec 1 --bytes-burst 10 >/dev/null
udp $SRV4 9000 ping >/dev/null
a0=$(s tag_a .invocations) c0=$(s tag_c .invocations)
check_eq "over tag_b's budget (policy drop): no reply" "" "$(udp $SRV4 9000 ping)"
check_eq "... tag_a ran, tag_b was throttled, tag_c never ran" \
	"$((a0 + 1)) 1 $c0" \
	"$(s tag_a .invocations) $(s tag_b .throttled) $(s tag_c .invocations)"
K budget clear tag_b >/dev/null

# ---- the chain replaced while a client sends ----
in_cli python3 "$(dirname "$0")/chain_client.py" $SRV4 9000 --until "$T/stop" \
	--want a1b2c3 --want c1b2a3 --progress "$T/n" > "$T/out" &
cpid=$!
cleanup_add "kill $cpid"
served() { cat "$T/n" 2>/dev/null || echo 0; }
wait_served() {	# until N more replies came (at most 20 s)
	local want=$(($(served) + $1)) i
	for i in $(seq 200); do
		[ "$(served)" -ge "$want" ] && return 0
		kill -0 $cpid 2>/dev/null || return 1
		timeout 0.1 tail -f /dev/null
	done
	return 1
}
ok=0
for i in $(seq 10); do
	wait_served 50 || ok=1
	K route set udp 9000 chain tag_c,tag_b,tag_a >/dev/null || ok=1
	wait_served 50 || ok=1
	K route set udp 9000 chain tag_a,tag_b,tag_c >/dev/null || ok=1
done
touch "$T/stop"
wait $cpid
out=$(cat "$T/out")
diag "under chain replacements: $out"
j() { printf '%s' "$out" | jq -r "$1"; }
check_eq "20 replacements, each after 50 replies: all made" 0 $ok
check "... the client sent requests" test "$(j .sent)" -gt 1000
check_eq "... and every one was answered" "$(j .sent)" "$(j .answered)"
check_eq "... no reply mixed the old chain and the new" 0 "$(j .mixed)"
check "... both chains answered" \
	test "$(j .replies.a1b2c3)" -gt 0 -a "$(j .replies.c1b2a3)" -gt 0
ktap_finish
