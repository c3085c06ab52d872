#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kfaas sim and kfaas-tracegen driven as a user would (docs/lifecycle.md):
# a generated trace is deterministic from its seed and has the Azure
# format, the simulator reads it and reports every policy in both output
# forms, bad input is a clear error that names what to fix.
. "$(dirname "$0")/../lib.sh"
GEN=$B/tools/kfaas-tracegen
[ -x "$GEN" ] || ktap_skip_all "kfaas-tracegen not built (make all)"
require_tools jq
ktap_plan 18

d=$(mktemp -d /tmp/kfaas-sim.XXXXXX)
cleanup_add "rm -rf $d"
trap cleanup_run EXIT
err() { "$@" 2>&1 >/dev/null | tail -n 1; }

"$GEN" --out "$d/a" --seed 7 --days 2 --apps 30 >"$d/a.json" &&
"$GEN" --out "$d/b" --seed 7 --days 2 --apps 30 >/dev/null &&
"$GEN" --out "$d/c" --seed 8 --days 2 --apps 30 >/dev/null
check_eq "tracegen: the three file kinds per day" \
	"app_memory_percentiles.anon.d01.csv app_memory_percentiles.anon.d02.csv function_durations_percentiles.anon.d01.csv function_durations_percentiles.anon.d02.csv invocations_per_function_md.anon.d01.csv invocations_per_function_md.anon.d02.csv" \
	"$(ls "$d/a" | tr '\n' ' ' | sed 's/ $//')"
check "tracegen: the same seed writes the same files" diff -r "$d/a" "$d/b"
check_fail "tracegen: another seed writes others" diff -q "$d/a/invocations_per_function_md.anon.d01.csv" \
	"$d/c/invocations_per_function_md.anon.d01.csv"
inv=$d/a/invocations_per_function_md.anon.d01.csv
check_eq "tracegen: invocations header and rows of 1444 fields" "1444" \
	"$(awk -F, '{print NF}' "$inv" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_match "tracegen: ids of 64 hex digits, a trigger group" \
	'^[0-9a-f]{64},[0-9a-f]{64},[0-9a-f]{64},(http|timer|queue|event|storage|orchestration|others),' \
	"$(sed -n 2p "$inv")"
check_eq "tracegen: its summary counts what the files hold" \
	"$(jq .invocations "$d/a.json")" \
	"$(awk -F, 'FNR > 1 { for (i = 5; i <= NF; i++) s += $i } END { print s }' \
		"$d"/a/invocations_per_function_md.anon.d0*.csv)"
check_match "tracegen: bad options are refused" "give --out DIR" "$("$GEN" --days 0 2>&1 | head -n 1)"

days=("$d"/a/invocations_per_function_md.anon.d0*.csv)
out=$("$KFAAS" -j sim --policy none,fixed:600,fixed:3600,auto "${days[@]}" \
	--durations "$d/a/function_durations_percentiles.anon.d01.csv" \
	--memory "$d/a/app_memory_percentiles.anon.d01.csv")
check_eq "sim -j: every policy, the trace's invocations each" \
	"none fixed:600 fixed:3600 auto|$(jq .invocations "$d/a.json")" \
	"$(echo "$out" | jq -r '"\([.policies[].policy] | join(" "))|\([.policies[].invocations] | unique | join(","))"')"
# (none: only a call arriving while the last one runs finds the VM)
check_eq "sim -j: none is cold but for calls meeting a running one, no idle memory; a longer keep-alive, fewer cold starts, more memory" \
	"true" "$(echo "$out" | jq '.policies as $p | $p[0].cold_pct > 95 and $p[0].wasted_gib_s == 0
		and $p[1].cold_pct >= $p[2].cold_pct and $p[1].wasted_gib_s <= $p[2].wasted_gib_s')"
check_eq "sim -j: warm + restored + cold = invocations, for each policy" "true" \
	"$(echo "$out" | jq '[.policies[] | .warm + .restored + .cold == .invocations] | all')"
check_eq "sim -j: auto's decisions are counted and timed" "true" \
	"$(echo "$out" | jq '.policies[3] | .decisions > 0 and .decide_ns_mean > 0')"
half=$("$KFAAS" -j sim --policy fixed:600 --until 720 "${days[0]}" | jq '.policies[0].invocations')
check_eq "sim --until 720: the calls of the first 12 hours of day 1, not after" \
	"$(awk -F, 'NR > 1 {for (i = 5; i <= 724; i++) n += $i} END {print n}' "${days[0]}")" "$half"
check_match "sim --until: a bad value is refused, named" "bad value 'x' for --until" \
	"$(err "$KFAAS" sim --until x "${days[@]}")"
plain=$("$KFAAS" sim --policy fixed:60,fixed:600,fixed:3600,auto "${days[@]}")
check_match "sim: a table line per policy and where auto stands" \
	'fixed:600 .*fixed:3600 .*auto .*auto at [0-9.]+ GiB-s' "$(echo "$plain" | tr '\n' ' ')"

check_match "sim without a trace says what to give" "give the trace" "$(err "$KFAAS" sim)"
check_match "sim: an unknown policy" "unknown policy 'lru'" \
	"$(err "$KFAAS" sim --policy lru "${days[@]}")"
printf 'HashOwner,HashApp,HashFunction,Trigger,1\nx,y,z,http,1\n' >"$d/short.csv"
check_match "sim: a malformed trace names file and line" \
	"short.csv:1: the header has 5 fields" "$(err "$KFAAS" sim "$d/short.csv")"
check_eq "sim -j: the error as JSON" "true" \
	"$("$KFAAS" -j sim --mem-limit -5 "${days[@]}" | jq '.error | test("--mem-limit")')"
ktap_finish
