#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a script of the tree inside a QEMU guest and return its output and
# exit status:
#   tools/vm/run.sh SCRIPT [ARG]
# SCRIPT (relative to the tree) runs as root in the guest with the tree
# mounted read-only over 9p at the same path as here.  Its output (KTAP)
# is printed on stdout; the exit status is the script's.  The run fails
# (exit 3) when the guest's kernel log has a WARNING, BUG, KASAN, lockdep
# or kmemleak report, and (exit 2) when the guest does not finish within
# VM_TIMEOUT seconds, VM_RETRIES + 1 times.  TCG guests hang once in a
# while (the microvm machine more than most): a hung guest is retried, but
# never silently: each hang is said on stdout (a KTAP diagnostic, with the
# console's tail) and counted in $B/vmtest/hangs beside every boot in
# $B/vmtest/boots, and the count so far is printed.
#
# Environment:
#   B            build directory (default build/)
#   KVER         guest kernel release (default: the newest Debian headers)
#   KERNEL       guest kernel image (default /boot/vmlinuz-$KVER)
#   KMODS        1: insmod virtio/9p modules of KVER (default 1 for
#                /boot kernels, 0 otherwise: built-in, like the debug one)
#   VM_APPEND    extra kernel command line words
#   VM_ACPI      on, off, ht (CPUs only) or nopci (on, but no PCI interrupt
#                routing through ACPI: pci=noacpi) (default: on for /boot
#                kernels, else nopci: the debug kernel spends ~60 s of each
#                boot in two ACPI loop timeouts of the PCI root's _PRT with
#                ACPI on, and even with acpi=ht; with acpi=off it sees one
#                CPU and its IO-APIC timer check can panic under load)
#   VM_MEM, VM_SMP, VM_TIMEOUT (MiB, vCPUs, seconds; 1024, 2, 300)
#   VM_RETRIES   boots after a hung one (default 1; 0: a hang fails at once)
#   VM_ACCEL     kvm or tcg (default: tools/vm/accel.sh decides, cached)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${B:-$top/build}
mkdir -p "$B/vmtest"
B=$(cd "$B" && pwd)
script=${1:?usage: tools/vm/run.sh SCRIPT [ARG]}
arg=${2:-}
die() { echo "vm: $*" >&2; exit 2; }

if [ -z "${KVER:-}" ]; then
	KVER=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -1)
fi
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
[ -r "$KERNEL" ] || die "no guest kernel $KERNEL: install linux-image-amd64 (tools/deps.sh) or set KERNEL"
# a distribution kernel has virtio/9p as modules and boots fine with
# ACPI; the debug kernel has them built in and boots with pci=noacpi (VM_ACPI)
case "$KERNEL" in
/boot/*) KMODS=${KMODS:-1}; VM_ACPI=${VM_ACPI:-on} ;;
*)	 KMODS=${KMODS:-0}; VM_ACPI=${VM_ACPI:-nopci} ;;
esac
command -v qemu-system-x86_64 >/dev/null || die "needs qemu-system-x86 (tools/deps.sh)"

# the initramfs: rebuilt when its inputs change (the shared libraries of
# kfaas, kfaas-bench (make bench, issue 6 item 8) and the guest tests,
# memcached for guest/kv.sh)
bins=""
for t in "$B/kfaas" "$B/bench/kfaas-bench" "$B"/kmod-guest/*; do
	[ -x "$t" ] && [ -f "$t" ] && bins="$bins $t"
done
modkver=none
[ "$KMODS" = 1 ] && modkver=$KVER
initrd=$B/vmtest/initramfs-$modkver.cpio
key=$(ls -l --time-style=+%s "$here/init" "$here/initramfs.sh" $bins \
	$(command -v memcached) 2>/dev/null | md5sum)
if [ ! -f "$initrd" ] || [ "$(cat "$initrd.key" 2>/dev/null)" != "$key" ]; then
	"$here/initramfs.sh" "$initrd" "$modkver" $bins || die "cannot build the initramfs"
	echo "$key" >"$initrd.key"
fi

accel=${VM_ACCEL:-$("$here/accel.sh" "$KERNEL" "$initrd")}
# no_timer_check under TCG: on a loaded host the kernel's check that the
# IO-APIC timer ticks can miss its window and panic the boot ("IO-APIC +
# timer doesn't work!"): seen with the debug kernel, with ACPI on and off
case "$accel" in
kvm) accel_args="-accel kvm -cpu host"; timer_check="" ;;
*)   accel_args="-accel tcg -cpu max"; timer_check=no_timer_check ;;
esac

case "$VM_ACPI" in
on)	acpi="" ;;
nopci)	acpi="pci=noacpi" ;;
*)	acpi="acpi=$VM_ACPI" ;;
esac
# a large log buffer: a report early in a long run must still be there at
# the end, when the log is scanned
append="console=ttyS0 quiet panic=-1 log_buf_len=8M $acpi $timer_check kfaas_root=$top kfaas_cmd=$script ${arg:+kfaas_arg=$arg} ${VM_APPEND:-}"
timeout=${VM_TIMEOUT:-300}
# per-run files: several guests may run at once
run=$(mktemp -d "$B/vmtest/run.XXXXXX")
outf=$run/guest.out
logf=$run/console.log
dmesgf=$run/dmesg.log

boot() {
	rm -f "$outf"
	# shellcheck disable=SC2086
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 $accel_args \
		-m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}" -nodefaults \
		-no-user-config -display none -no-reboot -serial "file:$logf" \
		-kernel "$KERNEL" -initrd "$initrd" -append "$append" \
		-virtfs "local,path=$top,mount_tag=host,security_model=none,readonly=on" \
		-device virtio-serial-pci -chardev "file,id=kout,path=$outf" \
		-device virtconsole,chardev=kout </dev/null
	qrc=$?
	grep -q '^KFAAS-DMESG-END' "$outf" 2>/dev/null
}

# Boot until the guest finishes; every hang is reported and counted.
retries=${VM_RETRIES:-1}
hung=0
while :; do
	echo "$(date -u +%FT%TZ) $script $accel" >>"$B/vmtest/boots"
	boot && break
	hung=$((hung + 1))
	echo "$(date -u +%FT%TZ) $script $accel ${timeout}s" >>"$B/vmtest/hangs"
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		why="did not finish within ${timeout}s"
	else
		why="stopped before the end (QEMU exit $qrc: a panic reboots it)"
	fi
	echo "# vm: HUNG: the guest $why ($accel, boot $hung of $((retries + 1))); console tail:"
	tail -5 "$logf" | tr -d '\r' | sed 's/^/#   /'
	cp "$logf" "$logf.$hung" 2>/dev/null
	echo "# vm: $(wc -l <"$B/vmtest/hangs") hung of $(wc -l <"$B/vmtest/boots") guest boots so far ($B/vmtest/hangs, boots)"
	if [ $hung -gt "$retries" ]; then
		rm -rf "$B/vmtest/last"
		mv "$run" "$B/vmtest/last"
		die "guest did not finish, $hung times; console log: $B/vmtest/last/console.log"
	fi
	echo "# vm: retrying (retry $hung of $retries)"
done

# the script's output, its status, the kernel log
sed -n '/^KFAAS-GUEST-BEGIN/,/^KFAAS-GUEST-EXIT/p' "$outf" | sed '1d;$d' | tr -d '\r'
rc=$(sed -n 's/^KFAAS-GUEST-EXIT \([0-9]*\).*/\1/p' "$outf")
sed -n '/^KFAAS-DMESG-BEGIN/,/^KFAAS-DMESG-END/p' "$outf" | sed '1d;$d' >"$dmesgf"
# Reports are judged from the moment init starts the script (its kernel
# log marker): one logged while the kernel booted, before any test or
# kfaas.ko ran, is the kernel's own and is shown, not counted.  Without
# the marker (the guest died first) every line counts.
reports='WARNING:|BUG:|KASAN|possible recursive locking|inconsistent lock state|possible circular locking|suspicious RCU usage|unreferenced object|kmemleak: [0-9]+ new suspected|Oops|Kernel panic|general protection fault|UBSAN'
mark='kfaas-guest: tests begin'
after_mark() { if grep -q "$mark" "$1"; then sed -n "/$mark/,\$p" "$1"; else cat "$1"; fi; }
before_mark() { if grep -q "$mark" "$1"; then sed "/$mark/,\$d" "$1"; fi; }
bad=$( { after_mark "$dmesgf"; after_mark "$logf"; } | grep -E "$reports" | head -20)
boot=$( { before_mark "$dmesgf"; before_mark "$logf"; } | grep -E "$reports" | sort -u | head -5)
# the last run's logs stay for a look: $B/vmtest/last/
rm -rf "$B/vmtest/last"
mv "$run" "$B/vmtest/last"
if [ -n "$boot" ]; then
	echo "# vm: the guest kernel reported problems while it booted, before any test ran (not counted; logs in $B/vmtest/last):"
	echo "$boot" | sed 's/^/#   /'
fi
if [ -n "$bad" ]; then
	echo "# vm: the guest kernel reported problems (logs in $B/vmtest/last):"
	echo "$bad" | sed 's/^/#   /'
	exit 3
fi
exit "${rc:-2}"
