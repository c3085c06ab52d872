#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kill -9 of the CLI at every step of loading, replacing and unloading a
# function (KFAAS_CRASH_AT, see user/lib/function.c), then at random
# moments: the pinned state is consistent afterwards — a function is
# either fully there (registry, pins, dispatch slot, working) or not at all.
# The crash points exist only in the test build of the CLI (BUILD/crash/kfaas,
# -DKFAAS_CRASH_POINTS); the kfaas that is installed ignores KFAAS_CRASH_AT.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq
[ -x "$CRASH_KFAAS" ] || ktap_skip_all "no test build of the CLI: run 'make tests'"
ktap_plan 20

use_pin_root crash
R=$KFAAS_PIN_ROOT
K() { "$KFAAS" "$@"; }
K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
K route add udp 7 fn echo >/dev/null

# Repair (any locked command runs it) and compare every view of the state.
consistent() {
	local reg dirs slots want
	K route del udp 1 >/dev/null 2>&1	# takes the lock: repairs
	reg=$(K -j fn list) || return 1
	dirs=$(ls "$R/fn" 2>/dev/null | sort | xargs)
	[ "$(echo "$reg" | jq -r '[.[].name] | sort | join(" ")')" = "$dirs" ] ||
		{ echo "registry vs fn/: $(echo "$reg" | jq -c '[.[].name]') / $dirs"; return 1; }
	slots=$(bpftool -j map dump pinned "$R/progs" |
		jq -r '[.[] | "\(.formatted.key):\(.formatted.value)"] | sort | join(" ")')
	want=$(echo "$reg" | jq -r '[.[] | "\(.id):\(.prog_id)"] | sort | join(" ")')
	[ "$slots" = "$want" ] || { echo "slots $slots vs registry $want"; return 1; }
	for n in $(echo "$reg" | jq -r '.[].name'); do
		[ "$(bpftool -j prog show pinned "$R/fn/$n/prog" | jq .id)" = \
		  "$(echo "$reg" | jq ".[] | select(.name == \"$n\") | .prog_id")" ] ||
			{ echo "pin of $n is not the registered program"; return 1; }
	done
	[ "$(bpftool -j map dump pinned "$R/config" | jq '.[0].formatted.value.busy')" = 0 ] ||
		{ echo "busy flag left set"; return 1; }
}

crash() {	# point cmd... : the command must die by SIGKILL at point
	KFAAS_CRASH_AT=$1 "${@:2}" >/dev/null 2>&1
	[ $? = 137 ]
}
C() { "$CRASH_KFAAS" "$@"; }

# the product: no crash point compiled in, KFAAS_CRASH_AT changes nothing
check_eq "the kfaas that is installed has no crash points" 0 \
	"$(grep -c KFAAS_CRASH_AT "$KFAAS")"
out=$(KFAAS_CRASH_AT=load-maps K fn load "$B/bpf/upper.bpf.o" nocrash 2>&1); rc=$?
check_eq "... it ignores KFAAS_CRASH_AT: fn load completes" "0 ok" \
	"$rc $(consistent && K fn show nocrash >/dev/null && echo ok)"
K fn unload nocrash >/dev/null
check_eq "the test build has them" 1 "$(grep -c KFAAS_CRASH_AT "$CRASH_KFAAS")"

absent() { consistent && ! K fn show "$1" >/dev/null 2>&1; }

for p in load-maps load-pinned load-slot; do
	check "kill -9 at $p of fn load" crash $p C fn load "$B/bpf/upper.bpf.o" up
	check "... state consistent, function absent" absent up
done
check "kill -9 after the commit of fn load" crash load-committed C fn load "$B/bpf/upper.bpf.o" up
K route add udp 9 fn up >/dev/null
check_eq "... state consistent, function present and answering" "ok XDP_TX" \
	"$(consistent && echo ok) $(K -j invoke up --data x | jq -r .verdict)"

for p in replace-pinned replace-swapped; do
	check "kill -9 at $p of fn replace" crash $p C fn replace up "$B/bpf/echo.bpf.o"
	check_eq "... consistent, the old program still serves" "ok X" \
		"$(consistent && echo ok) $(K -j invoke up --data x | jq -r .reply)"
done
check "kill -9 at replace-renamed of fn replace" crash replace-renamed C fn replace up "$B/bpf/echo.bpf.o"
check_eq "... consistent, the new program serves" "ok x" \
	"$(consistent && echo ok) $(K -j invoke up --data x | jq -r .reply)"

K route del udp 9 >/dev/null
check "kill -9 after the commit of fn unload" crash unload-committed C fn unload up
check "... consistent, function gone" absent up

# random moments, many operations
bad=0
for i in $(seq 1 30); do
	# "$KFAAS" itself in the background, so that $! is the CLI
	case $((i % 3)) in
	0) "$KFAAS" fn load "$B/bpf/upper.bpf.o" r$i >/dev/null 2>&1 & ;;
	1) "$KFAAS" fn replace echo "$B/bpf/upper.bpf.o" >/dev/null 2>&1 & ;;
	2) "$KFAAS" fn unload r$((i - 2)) >/dev/null 2>&1 & ;;
	esac
	sleep "0.00$((RANDOM % 10))"
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	out=$(consistent) || { bad=$((bad + 1)); diag "after op $i: $out"; }
done
check_eq "30 operations killed at random moments: always consistent" 0 $bad

ktap_finish
