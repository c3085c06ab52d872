#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The userspace tests again, against the ASan + UBSan build of libkfaas,
# the CLI and the test programs (make asan -> BUILD/asan): every suite
# must pass with no sanitizer report.
. "$(dirname "$0")/../lib.sh"
A=$B/asan
[ -x "$A/kfaas" ] || ktap_skip_all "no sanitizer build: run 'make asan'"
suites=()
# test_agent drives the sanitizer build of the guest agent (--stdio)
for t in "$A"/tests/unit/test_* "$A"/tests/prog/test_* "$A"/tests/vm/test_agent \
	 "$(dirname "$0")"/../cli/test_*.sh; do
	case "$t" in *.d) ;; *) [ -e "$t" ] && suites+=("$t");; esac
done
ktap_plan ${#suites[@]}
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${suites[@]}"; do
	out=$(B="$A" FRAMES=100000 INVOCATIONS=1000000 "$t" 2>&1); rc=$?
	reports=$(printf '%s\n' "$out" | grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:')
	name=${t#"$A"/tests/}
	name=${name##*/../}
	if [ $rc = 0 ] && [ "$reports" = 0 ]; then
		_result 0 "$name under ASan+UBSan"
	else
		_result 1 "$name under ASan+UBSan (exit $rc, $reports reports)"
		printf '%s\n' "$out" | grep -vE '^ok ' | tail -40 | sed 's/^/# /'
	fi
done
ktap_finish
