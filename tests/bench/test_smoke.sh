#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark machinery (make bench) in its seconds-long smoke mode:
# every benchmark runs end to end against the real kernel, its results
# are well-formed JSON, the table and the plots are made, the traffic
# benchmarks really were answered by the tier they claim, and nothing is
# left behind.  Timings are never judged here: docs/performance.md.
. "$(dirname "$0")/../lib.sh"
require_root
for t in jq gnuplot nsenter ethtool python3; do
	command -v $t >/dev/null || ktap_skip_all "$t missing (tools/deps.sh)"
done
top=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$B/bench/kfaas-bench" ] || ktap_skip_all "bench tools not built (make all)"
ktap_plan 22

out=$(mktemp -d /tmp/kfaas-bench-smoke.XXXXXX)
cleanup_add "rm -rf $out"
pins() { ls -d /sys/fs/bpf/kfaas-bench-* 2>/dev/null | wc -l; }
nets() { ip netns list | grep -cE '^(kfb|kfs-bench|kfc-bench|kfs-benchs|kfc-benchs)-'; }
pins0=$(pins); nets0=$(nets)

check_fail "an unknown option is refused" "$top/tools/bench/run.sh" --build "$B" --bogus
"$top/tools/bench/run.sh" --build "$B" --smoke --out "$out" >"$out/table.txt" 2>"$out/stderr.txt"
rc=$?
check_eq "run.sh --smoke succeeds" 0 $rc
[ $rc = 0 ] || diag "$(tail -n 20 "$out/stderr.txt")"
R=$out/results.json
check "results.json is JSON" jq -e . "$R"
q() { jq -r "$1" "$R" 2>/dev/null; }
check_eq "schema and mode" "kfaas-bench/1 smoke" "$(q '"\(.schema) \(.mode)"')"
check_match "the machine is recorded (CPU, cores, kernel)" '^.+ [1-9][0-9]* [0-9]+\.' \
	"$(q '"\(.machine.cpu) \(.machine.cores) \(.machine.kernel)"')"
check_eq "all eight benchmarks, once each" "dispatch invoker kmod live routes socket udp vm" \
	"$(q '[.benchmarks[].id] | sort | join(" ")')"
check_eq "each is ok or not available, none failed" "" \
	"$(q '.benchmarks[] | select(.status != "ok" and .status != "not available") | .id')"
check_eq "what is not available says why and has no number" "" \
	"$(q '.rows[] | select(.status != "ok") | select((.reason // "") == "" or .kfaas != null) | .what')"
check_eq "every measured figure is a positive number with a unit" "" \
	"$(q '.rows[] | select(.status == "ok") |
	       select((.kfaas | type) != "number" or .kfaas <= 0 or (.alt | type) != "number" or
		      .alt <= 0 or (.ratio | type) != "number" or .ratio <= 0 or .unit == null) | .what')"
check_eq "the ratio of a met target agrees with the target" "" \
	"$(q '.rows[] | select(.met == true and (.target | test("^>="))) |
	       select(.ratio < (.target | capture("(?<n>[0-9.]+)").n | tonumber)) | .what')"
check_eq "dispatch: every variant measured in every round" "9 3" \
	"$(q '.benchmarks[] | select(.id == "dispatch") | .variants as $v |
	       "\($v | length) \([$v[].ns_rounds | length] | unique | join(","))"')"
check_eq "routes: 1, 10 and 1000 routes measured" "routes_1 routes_10 routes_1000" \
	"$(q '[.benchmarks[] | select(.id == "routes") | .variants | keys[] |
	       select(startswith("routes_"))] | sort_by(ltrimstr("routes_") | tonumber) | join(" ")')"
check_eq "udp: every reply was right (no bad replies)" 0 \
	"$(q '[.benchmarks[] | select(.id == "udp") | .runs[].bad] | add')"
check_eq "udp: the XDP tier answered its runs itself" "" \
	"$(q '.benchmarks[] | select(.id == "udp") | .runs[] | select(.tier == "xdp") |
	       select(.replies < 1 or .xdp_invocations < .replies) | "\(.mode) \(.window)"')"
check_eq "udp: the userspace server answered its runs, XDP saw none" "" \
	"$(q '.benchmarks[] | select(.id == "udp") | .runs[] | select(.tier == "user") |
	       select(.replies < 1 or .xdp_invocations != 0) | "\(.mode) \(.window)"')"
check_eq "live: every frame reached the peer" true \
	"$(q '.benchmarks[] | select(.id == "live") |
	       .params.peer_received >= (.params.repeat * .params.rounds * 3)')"
check_eq "invoker: both tools ran in every round" "2 2" \
	"$(q '.benchmarks[] | select(.id == "invoker") | "\(.runs | length) \([.runs[] | select(.kfaas_ns > 0 and .bpftool_ns > 0)] | length)"')"
check_eq "the table has a line per figure" "$(q '.rows | length')" \
	"$(grep -cE '^[0-9]+ ' "$out/table.txt")"
svgs=$(cd "$out" && ls dispatch.svg routes.svg udp.svg live.svg invoker.svg 2>&1 | tr '\n' ' ')
check_eq "a plot per measured benchmark" "dispatch.svg invoker.svg live.svg routes.svg udp.svg " "$svgs"
check "the plots are well-formed SVG" python3 -c '
import sys, xml.etree.ElementTree as E
for f in sys.argv[1:]:
    assert E.parse(f).getroot().tag.endswith("svg"), f' "$out"/*.svg
check_eq "no pin root or network namespace left behind" "$pins0 $nets0" "$(pins) $(nets)"
check "the default results folder is not tracked by git" git -C "$top" check-ignore -q results/latest
ktap_finish
