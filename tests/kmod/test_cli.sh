#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module and budget commands on a host without kfaas.ko (the host
# kernel cannot load modules): status says so, budgets are kept in the
# pinned state for a later 'kfaas module load' and enforced meanwhile by
# the BPF maps (and show says so), bad input is refused with a message
# and changes nothing.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
require_root
[ -d /sys/module/kfaas ] && ktap_skip_all "kfaas.ko is loaded on this host"
ktap_plan 14
use_pin_root kmodcli
K="$KFAAS"

check_match "module status -j: not loaded, map accounting" \
	'"loaded":false.*"accounting":"maps"' "$("$K" -j module status)"
check_match "module status: plain text" "not loaded" "$("$K" module status)"
out=$("$K" module load --ko "$B/kmod/nonexistent.ko" 2>&1)
check_match "module load of a missing file says which" \
	"cannot read $B/kmod/nonexistent.ko" "$out"
check "load echo, route udp 7" sh -c "'$K' fn load '$B/bpf/echo.bpf.o' echo &&
	'$K' route add udp 7 fn echo policy pass"
check "budget set without the module" \
	"$K" budget set echo --rps 100 --burst 10 --cpu-ns-per-sec 5000000
check_match "budget show -j" \
	'"rps":100,"rps_burst":10,"cpu_ns_per_sec":5000000,.*"enforced":true,"enforced_by":"BPF maps"' \
	"$("$K" -j budget show echo)"
check_match "budget show: table, enforced by the BPF maps" \
	'echo .* xdp .* 100 .* 10 .* 5000000 .* BPF maps' \
	"$("$K" budget show | tr '\n' ' ')"
check_fail "--burst without --rps is refused" \
	"$K" budget set echo --burst 5 --bytes-per-sec 10
check_match "... and nothing changed" '"rps":100,"rps_burst":10' \
	"$("$K" -j budget show echo)"
check_fail "a budget for an unknown function is refused" \
	"$K" budget set nosuch --rps 1
check_match "a bad number says which option" "bad value 'x' for --rps" \
	"$("$K" budget set echo --rps x 2>&1)"
check "budget clear" "$K" budget clear echo
check_match "cleared: unlimited" '"rps":0,"rps_burst":0' \
	"$("$K" -j budget show echo)"
check_eq "the invoker still runs echo (map accounting)" XDP_TX \
	"$("$K" invoke echo --data hi 2>&1 | sed -n 's/^[^:]*: \(XDP_[A-Z]*\) in .*/\1/p')"
ktap_finish
