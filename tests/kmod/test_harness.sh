#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest harness (tools/vm/run.sh) every kfaas.ko test relies on: a
# kernel report logged while a test runs fails the run (exit 3) and is
# named, even when the test itself succeeds; a clean run passes its exit
# status and output through.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
require_root
command -v qemu-system-x86_64 >/dev/null || ktap_skip_all "qemu-system-x86 missing (tools/deps.sh)"
ktap_plan 4

out=$("$top/tools/vm/run.sh" tests/kmod/guest/report.sh 2>&1); rc=$?
check_eq "a WARNING logged during a test fails the run: exit 3" 3 "$rc"
check_match "... and the harness names it" "reported problems.*#   .*WARNING: CPU: 0 PID: [0-9]+ at kfaas harness self-test" \
	"$(echo "$out" | tr '\n' ' ')"
check_match "... while the test's own output still comes through" "^reported" "$out"
check_fail "... and it is not taken for a report of the kernel's boot" \
	sh -c "echo \"\$1\" | grep -q 'while it booted.*self-test'" _ "$(echo "$out" | tr '\n' ' ')"
ktap_finish
