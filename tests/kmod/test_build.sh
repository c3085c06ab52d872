#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfaas.ko's build on the host: Linux coding style (checkpatch --strict
# from linux-source, shown to run), sparse clean (C=2), module BTF with both kfuncs and
# resolved ids, and a build that fails, saying why, when it cannot
# produce module BTF.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"

# always the default build (Debian's headers), whatever kernel the guest
# tests were pointed at
unset KDIR
KVER=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | sort -V | tail -1)
KO=$B/kmod/$KVER/kfaas.ko
TOOLS=$B/kmod/tools
export KTOOLS=$TOOLS
ktap_plan 10

check "linux-source tools (resolve_btfids, checkpatch) are built" \
	"$top/kmod/tools.sh" "$TOOLS"
# checkpatch must really run: a clean pass is its exit status 0 with no
# report, and a planted error must be found (a missing tool or perl
# module fails both, it does not pass for silence)
checkpatch() {
	(cd "$TOOLS/checkpatch" && perl ./checkpatch.pl --strict --no-tree \
		--terse -f "$@") 2>&1
}
[ -f "$TOOLS/checkpatch/checkpatch.pl" ] && command -v perl >/dev/null ||
	diag "no checkpatch.pl or perl: tools/deps.sh installs linux-source-6.1 and perl"
planted=$(mktemp --suffix=.c)
cleanup_add "rm -f $planted"
printf '// SPDX-License-Identifier: GPL-2.0\nint kfaas_planted; \n' >"$planted"
out=$(checkpatch "$planted")
check_match "checkpatch runs: it finds a planted error" \
	"^1 .*ERROR: trailing whitespace" "$? $(printf '%s' "$out" | tr '\n' ' ')"
out=$(checkpatch "$top"/kmod/*.c "$top"/kmod/*.h "$top"/include/kfaas/bucket.h)
check_eq "checkpatch --strict (kmod/, and include/kfaas/bucket.h it compiles): no errors, warnings or checks" "0 " "$? $out"

rm -rf "$B/kmod/sparse"
command -v sparse >/dev/null || diag "no sparse: tools/deps.sh installs it"
KVER=$KVER "$top/kmod/build.sh" "$B/kmod/sparse" C=2 >/dev/null 2>&1
rc=$?
log=$(cat "$B/kmod/sparse/build.log" 2>/dev/null)
check_match "sparse ran on every source file" \
	'^0 .*(CHECK.*){6}' "$rc $(printf '%s' "$log" | grep CHECK | tr '\n' ' ')"
check_eq "sparse (C=2): no warnings" "" \
	"$(printf '%s\n' "$log" | grep -E 'warning:|error:')"

check "kfaas.ko for $KVER has a .BTF section" \
	sh -c "readelf -S '$KO' | grep -q ' \.BTF '"
btf=$(bpftool -B "$B/kmod/$KVER/vmlinux.btf" btf dump file "$KO" 2>&1)
check_match "its BTF has both kfuncs" \
	"FUNC 'kfaas_kf_admit'.*FUNC 'kfaas_kf_charge'|FUNC 'kfaas_kf_charge'.*FUNC 'kfaas_kf_admit'" \
	"$(printf '%s' "$btf" | grep "FUNC 'kfaas_kf_" | tr '\n' ' ')"
check_match "modinfo: GPL, vermagic $KVER" "GPL.*$KVER" \
	"$(modinfo -F license "$KO") $(modinfo -F vermagic "$KO")"

# no usable BTF for the kernel: a clear failure, no module
out=$(BTF_BASE=/dev/null KVER=$KVER "$top/kmod/build.sh" "$B/kmod/nobtf" 2>&1)
rc=$?
check_match "without the kernel's BTF the build fails saying why" \
	"^1 .*(no BTF|cannot get the BTF)" "$rc $(printf '%s' "$out" | tr '\n' ' ')"
fake=$(mktemp -d)
cleanup_add "rm -rf $fake $B/kmod/nobtf $B/kmod/nocfg"
echo 'all:' >"$fake/Makefile"
echo 'CONFIG_DEBUG_INFO_BTF=y' >"$fake/.config"
out=$(KVER=fake KDIR=$fake "$top/kmod/build.sh" "$B/kmod/nocfg" 2>&1)
rc=$?
check_match "a kernel without CONFIG_DEBUG_INFO_BTF_MODULES is refused" \
	"^1 .*lacks CONFIG_DEBUG_INFO_BTF_MODULES" "$rc $out"
ktap_finish
