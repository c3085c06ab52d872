#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench, item 8: runs INSIDE the test guest (tools/vm/run.sh; busybox
# sh, the tree read-only at its host path), where kfaas.ko can load.
#   kmod-guest.sh BUILD_DIR
# Kernel command line words (VM_APPEND) kfb_repeat=N kfb_rounds=N
# kfb_shift=N pass kfaas-bench's --repeat, --rounds and --time-shift.
# Prints kfaas-bench accounting's JSON without the module, then with it,
# each after a line "KFAAS-BENCH-JSON without|with".
set -u
B=${1:?usage: kmod-guest.sh BUILD_DIR}
KO=$B/kmod/$(uname -r)/kfaas.ko
export KFAAS_BENCH_BPF_DIR=$B/bench/bpf KFAAS_BPF_DIR=$B/bpf
set -- --pin-root /sys/fs/bpf/kfaas-bench-acct --repeat "${kfb_repeat:-100000}" \
	--rounds "${kfb_rounds:-5}" --time-shift "${kfb_shift:-6}"
[ -f "$KO" ] || { echo "kmod-guest: no $KO: run make kmod" >&2; exit 1; }

echo "KFAAS-BENCH-JSON without"
"$B/bench/kfaas-bench" accounting "$@" || exit 1
"$B/kfaas" module load --ko "$KO" >/dev/null || exit 1
[ -f /sys/kernel/btf/kfaas ] || { echo "kmod-guest: kfaas.ko has no kfuncs" >&2; exit 1; }
echo "KFAAS-BENCH-JSON with"
"$B/bench/kfaas-bench" accounting "$@" || exit 1
"$B/kfaas" module unload >/dev/null
