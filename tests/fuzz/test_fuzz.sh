#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Smoke of the libFuzzer targets (tests/fuzz/fuzz_*.c): a short
# deterministic run of each (from its seed corpus in tests/fuzz/corpus/
# when it has one) must find nothing.  `make fuzz` runs them long.
#   FUZZ_RUNS (500000) runs at most, FUZZ_SMOKE_SECONDS (6) at most.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
targets=("$B"/fuzz/fuzz_*)
[ -x "${targets[0]}" ] || ktap_skip_all "fuzz targets not built (make fuzz-build)"
ktap_plan ${#targets[@]}
runs=${FUZZ_RUNS:-500000}; secs=${FUZZ_SMOKE_SECONDS:-6}
for t in "${targets[@]}"; do
	name=$(basename "$t")
	work=$(mktemp -d)
	seeds=()
	[ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
	out=$("$t" -runs=$runs -max_total_time=$secs -seed=1 -max_len=2048 \
		"$work" "${seeds[@]}" 2>&1); rc=$?
	n=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
	check_eq "$name: ${n:-?} runs (${runs} or ${secs} s), no crash" 0 $rc ||
		printf '%s\n' "$out" | grep -v '^#' | tail -20 | sed 's/^/# /'
	rm -rf "$work"
done
ktap_finish
