#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the table of a results.json (tools/bench/run.sh): one line per
# figure, kfaas beside its alternative, the ratio and the target; the
# reasons of figures that could not be measured follow the table.
set -eu
json=${1:?usage: table.sh results.json}
jq -r '"kfaas benchmarks (\(.mode)) \(.started)",
	"machine: \(.machine.cpu), \(.machine.cores) cores, kernel \(.machine.kernel), load \(.machine.loadavg_start) -> \(.machine.loadavg_end)",
	""' "$json"
{
	printf '#\tmeasurement\tkfaas\talternative\tunit\tratio\ttarget\tmet\n'
	jq -r '
	def n: if . == null then "-" elif (type == "number") then
		(if . >= 1000 then (. | round | tostring) else (. * 100 | round / 100 | tostring) end)
		else tostring end;
	.rows[] | [ (.bench | split(" ")[0]), .what,
		(if .status == "ok" then (.kfaas | n) else .status end),
		(.alt | n), (.unit // "-"), (if .ratio == null then "-" else "\(.ratio | n)x" end),
		(.target // "-"),
		(if .met == null then "-" elif .met then "yes" else "NO" end)] | @tsv' "$json"
} | column -t -s $'\t'
jq -r '[.rows[] | select(.status != "ok")] | if length > 0 then "",
	(.[] | "* \(.bench | split(" ")[0]) \(.what): \(.status): \(.reason)") else empty end' "$json"
