#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the test guest for tests/kmod/test_harness.sh: logs a kernel
# report line the way the kernel would, then succeeds.  The harness must
# still fail the run (exit 3) and name the line.
echo "<4>WARNING: CPU: 0 PID: $$ at kfaas harness self-test" >/dev/kmsg
echo "reported"
