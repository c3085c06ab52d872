#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Smoke of the libFuzzer targets (tests/fuzz/fuzz_*.c): a short
# deterministic run of each must find nothing.  `make fuzz` runs them long.
. "$(dirname "$0")/../lib.sh"
targets=("$B"/fuzz/fuzz_*)
[ -x "${targets[0]}" ] || ktap_skip_all "fuzz targets not built (make fuzz-build)"
ktap_plan ${#targets[@]}
for t in "${targets[@]}"; do
	out=$("$t" -runs=${FUZZ_RUNS:-500000} -seed=1 -max_len=2048 2>&1); rc=$?
	check_eq "$(basename "$t"): ${FUZZ_RUNS:-500000} runs, no crash" 0 $rc ||
		printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
done
ktap_finish
