#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kfaas apply is all or nothing (user/lib/apply.c, journal.c): an apply
# with every kind of step (function added, program replaced, budget
# changed, route deleted, changed and added, function deleted) is killed
# with SIGKILL at every step (KFAAS_CRASH_AT) and made to fail at every
# step (KFAAS_FAIL_AT); after each, once the next writer repaired the pin
# root, the state is exactly the old one or exactly the new one: the
# same `kfaas export`, and the same program ids for every function the
# apply did not replace.  An undo that fails, and a deletion after the
# commit that fails, are said loudly (exit status 3) and finished by the
# next writer.  kfaas export writes YAML with libyaml's emitter: hostile
# paths survive a round trip.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq

use_pin_root apply
K() { "$KFAAS" "$@"; }
T=$(mktemp -d /tmp/kfaas-apply-XXXXXX)
cleanup_add "rm -rf $T"

cat > "$T/old.yaml" <<EOF
functions:
  keep: { object: $B/bpf/echo.bpf.o }
  swap: { object: $B/bpf/echo.bpf.o }
  lim: { object: $B/bpf/upper.bpf.o, budget: { rps: 10, burst: 5 } }
  gone: { object: $B/bpf/echo.bpf.o }
routes:
  - { trigger: udp 7, fn: keep }
  - { trigger: udp 8, fn: lim }
  - { trigger: udp 9, fn: gone }
  - { trigger: udp 11, fn: swap }
EOF
cat > "$T/new.yaml" <<EOF
functions:
  keep: { object: $B/bpf/echo.bpf.o }
  swap: { object: $B/bpf/upper.bpf.o }
  lim: { object: $B/bpf/upper.bpf.o, budget: { rps: 20, burst: 5 } }
  fresh: { object: $B/bpf/upper.bpf.o }
routes:
  - { trigger: udp 7, fn: keep }
  - { trigger: udp 8, fn: fresh }
  - { trigger: udp 10, fn: lim }
  - { trigger: udp 11, fn: swap }
EOF

ids() { K -j fn list | jq -r '[.[] | "\(.name)=\(.prog_id)"] | sort | join(" ")'; }
# the configuration, and the loop ports (a deleted UDP route's port is
# no loop port any more, a route put back is one again)
state() { K export; K -j config show | jq -c .loop_ports; }
# the state of old.yaml, and its program ids in $OLD_IDS
reset_old() {
	K apply "$T/old.yaml" >/dev/null || return 1
	K route del udp 1 >/dev/null 2>&1	# takes the lock: any repair
	OLD_STATE=$(state); OLD_IDS=$(ids)
}
# after a repair: exactly old (every program id the same) or exactly new
# (the ids of keep and lim unchanged): prints "old" or "new"
judge() {
	local now ids_now
	K route del udp 1 >/dev/null 2>&1
	now=$(state); ids_now=$(ids)
	if [ "$now" = "$OLD_STATE" ] && [ "$ids_now" = "$OLD_IDS" ]; then
		echo old
	elif [ "$now" = "$NEW_STATE" ] &&
	     [ "$(echo "$ids_now" | grep -o 'keep=[0-9]*')" = \
	       "$(echo "$OLD_IDS" | grep -o 'keep=[0-9]*')" ] &&
	     [ "$(echo "$ids_now" | grep -o 'lim=[0-9]*')" = \
	       "$(echo "$OLD_IDS" | grep -o 'lim=[0-9]*')" ] &&
	     [ ! -e "$KFAAS_PIN_ROOT/fn/swap/prog_old" ]; then
		echo new
	else
		echo "neither: ids $ids_now (old $OLD_IDS)"
		diff <(echo "$OLD_STATE") <(echo "$now") | head -20
	fi
}

reset_old
plan=$(K -j apply --dry-run "$T/new.yaml")
actions=$(echo "$plan" | jq -r '[.changes[].action] | join(" ")')
npre=$(echo "$plan" | jq '[.changes[] | select(.action != "fn_del")] | length')
ndel=$(echo "$plan" | jq '[.changes[] | select(.action == "fn_del")] | length')
points="apply-journal $(seq -f 'apply-step-%g' 1 "$npre" | xargs) apply-ready \
apply-committed $(seq -f 'apply-del-%g' 1 "$ndel" | xargs) apply-done"
npoints=$(echo $points | wc -w)
ktap_plan $((16 + 2 * npoints))

check_eq "the plan has every kind of step, in order" \
	"fn_add fn_replace budget route_del route_set route_set fn_del" "$actions"
K apply "$T/new.yaml" >/dev/null
NEW_STATE=$(state)
check_eq "a clean apply reaches the new state" "new" "$(judge)"
check_eq "... and applying it again changes nothing" 0 \
	"$(K -j apply "$T/new.yaml" | jq '.changes | length')"

# the apply's own points, then points inside its steps (user/lib/function.c)
for p in $points load-slot replace-swapped unload-committed; do
	reset_old
	{ KFAAS_CRASH_AT=$p "$CRASH_KFAAS" apply "$T/new.yaml" >/dev/null 2>&1; } 2>/dev/null
	rc=$?
	got=$(judge)
	case $p in
	apply-committed|apply-del-*|apply-done|unload-*) want=new ;;
	*) want=old ;;
	esac
	check_eq "kill -9 at $p (exit $rc): repaired to the $want state" "$want" "$got"
done

for p in $points; do
	reset_old
	out=$(KFAAS_FAIL_AT=$p "$CRASH_KFAAS" apply "$T/new.yaml" 2>&1)
	rc=$?
	got=$(judge)
	case $p in
	apply-committed|apply-done)
		check_eq "failure at $p: too late to fail, the apply completes" \
			"0 new" "$rc $got" ;;
	apply-del-*)
		check_eq "failure at $p (after the commit): exit 3, finished by the next writer" \
			"3 new" "$rc $got" ;;
	*)
		check_eq "failure at $p: exit 1, nothing changed" "1 old" "$rc $got"
		[ "$rc $got" = "1 old" ] || diag "$out" ;;
	esac
done

reset_old
out=$(KFAAS_FAIL_AT=apply-step-5,apply-undo-3 "$CRASH_KFAAS" apply "$T/new.yaml" 2>&1)
check_eq "an undo that fails too: exit status 3" 3 $?
check_match "... the message says the state is neither and what happens next" \
	"undoing '~ budget lim' failed too.*neither the old nor the new.*next kfaas command" \
	"$out"
check "... the journal is kept" test -e "$KFAAS_PIN_ROOT/journal"
check_eq "... and the next writer finishes the undo: the old state" old "$(judge)"

reset_old
out=$(KFAAS_FAIL_AT=apply-del-1 "$CRASH_KFAAS" -j apply "$T/new.yaml")
check_match "a deletion that fails after the commit says so (JSON)" \
	"applied, but '- fn gone' failed" "$(echo "$out" | jq -r .error)"

# a real failure half-way: the verifier rejects a replacement program
reset_old
sed "s|swap: { object: $B/bpf/upper.bpf.o }|swap: { object: $B/tests/bpf/bad_oob.bpf.o }|" \
	"$T/new.yaml" > "$T/bad.yaml"
out=$(K apply "$T/bad.yaml" 2>&1)
check_match "a verifier rejection mid-apply: nothing changed, the step named" \
	"'~ fn swap .*bad_oob.bpf.o' failed, nothing was changed" "$out"
check_eq "... exactly the old state" old "$(judge)"

# ---- kfaas export: libyaml's emitter, hostile strings ----
mkdir -p "$T/h"
weird=("$T/h/new
line.o" "$T/h/quote\"d.o" "$T/h/col: on.o" "$T/h/ lead # hash.o" "$T/h/yes"
       "$T/h/null" "$T/h/ünïcödé ✓.o" "$T/h/back\\slash'single.o" "$T/h/- dash")
i=0
for w in "${weird[@]}"; do
	cp "$B/bpf/echo.bpf.o" "$w"
	K fn load "$w" "w$i" >/dev/null || diag "cannot load '$w'"
	i=$((i + 1))
done
K export > "$T/weird.yaml"
check_eq "export of hostile paths reads back: applying it changes nothing" 0 \
	"$(K -j apply "$T/weird.yaml" | jq '.changes | length')"
want=$(jq -nc '$ARGS.positional' --args "${weird[@]}")
check_eq "... and every path is the same string after the round trip" "$want" \
	"$(K -j fn list | jq -c '[.[] | select(.name | startswith("w")) | .source]')"
python3 -c 'import yaml' 2>/dev/null &&
	check_eq "... PyYAML (YAML 1.1) reads the same paths" "$want" \
		"$(python3 -c 'import yaml, json, sys
d = yaml.safe_load(open(sys.argv[1]))
print(json.dumps([d["functions"]["w%d" % i]["object"] for i in range(9)],
                 ensure_ascii=False, separators=(",", ":")))' "$T/weird.yaml")" ||
	skip "... PyYAML (YAML 1.1) reads the same paths" "no python3-yaml"
ktap_finish
