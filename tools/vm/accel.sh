#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the accelerator for test guests, "kvm" or "tcg":
#   tools/vm/accel.sh KERNEL INITRD
# /dev/kvm alone proves nothing (a nested host may only run special
# guests), so KVM is used only when a timed probe boot of the real guest
# reaches its init.  The answer is cached in $B/vmtest/accel per kernel.
set -u

kernel=${1:?}
initrd=${2:?}
here=$(cd "$(dirname "$0")" && pwd)
B=${B:-$here/../../build}
cache=$B/vmtest/accel
key="$(uname -r) $kernel"
if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$key" ]; then
	sed -n 2p "$cache"
	exit 0
fi
answer=tcg
if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] &&
   grep -qwE 'vmx|svm' /proc/cpuinfo; then
	# init of a probe guest prints a marker and powers off
	out=$(timeout -k 2 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial stdio -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 acpi=off kfaas_probe=1" \
		</dev/null 2>/dev/null)
	case "$out" in *KFAAS-PROBE-OK*) answer=kvm ;; esac
fi
mkdir -p "$(dirname "$cache")"
printf '%s\n%s\n' "$key" "$answer" >"$cache"
echo "$answer"
