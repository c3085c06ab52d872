#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CLI of budgets' enforcement and of the reflection and loop defences:
# 'budget show' says who enforces each budget, route options (guard,
# ratio, loops) and what a function's declared ratio makes of them,
# 'config set guard-*', refusals in 'stats', kfaas.conf(5) keys carried by
# apply and export; every error one clear line, nothing changed.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq
ktap_plan 35

use_pin_root guard
K() { "$KFAAS" "$@"; }
err() { "$@" 2>&1 >/dev/null | tail -n 1; }
T=$(mktemp -d /tmp/kfaas-guard-XXXXXX)
cleanup_add "rm -rf $T"
rt() { K -j route list | jq -c ".[] | select(.port == $1) | $2"; }

K fn load "$B/bpf/echo.bpf.o" echo >/dev/null
K fn load "$B/tests/bpf/amp.bpf.o" amp >/dev/null
K fn load "$B/bpf/lineecho.bpf.o" lines >/dev/null

# ---- budget show: who enforces ----
check_eq "without a budget: not enforced, by nobody" "false null" \
	"$(K -j budget show echo | jq -c '[.enforced, .enforced_by]' | tr -d '[]' | tr , ' ')"
check_match "budget set says who enforces it (XDP without kfaas.ko)" \
	"budget of 'echo' set: enforced by BPF maps" "$(K budget set echo --rps 10)"
check_eq "budget show -j: XDP tier, enforced by the BPF maps" "xdp true BPF maps" \
	"$(K -j budget show echo | jq -r '"\(.tier) \(.enforced) \(.enforced_by)"')"
K budget set lines --rps 10 >/dev/null
check_eq "a socket-tier function: by the BPF maps" "sk true BPF maps" \
	"$(K -j budget show lines | jq -r '"\(.tier) \(.enforced) \(.enforced_by)"')"
check_match "plain show has the enforcer column" "^echo +[0-9]+ +xdp .* BPF maps$" \
	"$(K budget show | grep '^echo')"

# ---- route options ----
K route add udp 7 fn echo >/dev/null
K route add udp 5000 fn amp >/dev/null
check_eq "a function declaring ratio 1: guard off, cap 1 (auto)" \
	'[false,true,"1",true,"refuse"]' "$(rt 7 '[.guard, .guard_auto, .ratio, .ratio_auto, .loops]')"
check_eq "one declaring none: guard on, cap 3 (auto)" '[true,true,"3"]' \
	"$(rt 5000 '[.guard, .guard_auto, .ratio]')"
check_eq "a route of a function with a budget carries the budget flag" true "$(rt 7 .budget)"
check "route add ... guard on ratio 2.5 loops allow" \
	K route add udp 5001 fn amp guard off ratio 2.5 loops allow
check_eq "... stored as chosen" '[false,false,"2.5",false,"allow"]' \
	"$(rt 5001 '[.guard, .guard_auto, .ratio, .ratio_auto, .loops]')"
check_match "route list plain shows GUARD RATIO LOOPS" \
	"^udp 5000 +amp +xdp +drop +- +on\(auto\) +3\(auto\) +refuse" \
	"$(K route list | grep '^udp 5000 ')"
check "ratio any: no cap" K route add udp 5002 fn amp ratio any
check_eq "... shown as any" '"any"' "$(rt 5002 .ratio)"
n=$(K -j route list | jq length)
check_match "a bad guard value is refused" "bad guard 'maybe': use on, off or auto" \
	"$(err K route add udp 5003 fn amp guard maybe)"
check_match "a ratio of 0 is refused (say any)" "bad ratio '0'" \
	"$(err K route add udp 5003 fn amp ratio 0)"
check_match "a ratio with 3 decimals is refused" "bad ratio '1.234'" \
	"$(err K route add udp 5003 fn amp ratio 1.234)"
check_match "guard on a TCP (socket-tier) route is refused" "'guard' and 'ratio' are for routes to XDP-tier functions" \
	"$(err K route add tcp 6000 fn lines guard on)"
check_match "loops on a TCP route is refused" "'loops' is for UDP routes" \
	"$(err K route add tcp 6000 fn lines loops allow)"
check_eq "... none of them added a route" "$n" "$(K -j route list | jq length)"

# ---- a replaced function's declared ratio moves its automatic routes ----
K route add udp 5004 fn echo guard off >/dev/null
K fn replace echo "$B/tests/bpf/amp.bpf.o" >/dev/null
check_eq "replace echo by an object declaring no ratio: auto route now guarded, cap 3" \
	'[true,"3"]' "$(rt 7 '[.guard, .ratio]')"
check_eq "... a route that chose 'guard off' keeps it" false "$(rt 5004 .guard)"
K fn replace echo "$B/bpf/echo.bpf.o" >/dev/null
check_eq "... and back to ratio 1: guard off, cap 1 again" '[false,"1"]' "$(rt 7 '[.guard, .ratio]')"

# ---- config: the guard and the loop ports ----
check_eq "config show -j: the guard's defaults" '{"rate":1000,"burst":1000,"prefix4":24,"prefix6":56}' \
	"$(K -j config show | jq -c .guard)"
check_eq "loop ports: the well-known services and every UDP route's port" \
	"7 11 13 17 19 37 53 69 111 123 137 161 389 520 1900 5000 5001 5002 5004 5353 11211" \
	"$(K -j config show | jq -r '.loop_ports | join(" ")')"
K route del udp 5004 >/dev/null
check_eq "a deleted route's port is no loop port any more" "" \
	"$(K -j config show | jq -r '.loop_ports[] | select(. == 5004)')"
check "config set guard-rate 50, guard-burst 20, guard-prefix4 16, guard-prefix6 48" sh -c \
	"'$KFAAS' config set guard-rate 50 && '$KFAAS' config set guard-burst 20 &&
	 '$KFAAS' config set guard-prefix4 16 && '$KFAAS' config set guard-prefix6 48"
check_eq "... shown" '{"rate":50,"burst":20,"prefix4":16,"prefix6":48}' \
	"$(K -j config show | jq -c .guard)"
check_match "guard-rate 0 is refused" "guard-rate 0: use 1 to" "$(err K config set guard-rate 0)"
check_match "guard-prefix4 33 is refused" "bad value '33' for guard-prefix4: expected a number from 0 to 32" \
	"$(err K config set guard-prefix4 33)"
check_eq "... nothing changed" 50 "$(K -j config show | jq .guard.rate)"

# ---- refusals in stats ----
K config set guard-burst 1 >/dev/null
K invoke amp --data 1x >/dev/null	# the token: not counted
check_eq "stats -j has the refusals of the defences" '{"loop":0,"guard":0,"ratio":0}' \
	"$(K -j stats amp | jq -c .refused)"

# ---- kfaas.conf: the route keys through apply and export ----
K export > "$T/cur.yaml"
check_match "export writes the route's choices" \
	'trigger: "udp 5001" fn: amp guard: off ratio: 2.5 loops: allow' \
	"$(tr '\n' ' ' < "$T/cur.yaml" | sed 's/  */ /g; s/ - / /g')"
cat > "$T/bad.yaml" <<EOF
functions:
  amp: { object: $B/tests/bpf/amp.bpf.o }
routes:
  - { trigger: udp 5000, fn: amp, ratio: lots }
EOF
check_match "a bad ratio in kfaas.conf is an error with its line" "bad.yaml:4: bad ratio 'lots'" \
	"$(err K apply "$T/bad.yaml")"
sed -i 's/ratio: 2.5/ratio: 4/' "$T/cur.yaml"
check_eq "apply of the export with ratio 4: one route changed" "1" \
	"$(K -j apply "$T/cur.yaml" | jq '[.changes[] | select(.action | startswith("route"))] | length')"
check_eq "... the route has ratio 4 and kept guard off, loops allow" '[false,"4","allow"]' \
	"$(rt 5001 '[.guard, .ratio, .loops]')"
ktap_finish
