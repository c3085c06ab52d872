#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench inside the Debian test guest (tools/vm/run.sh; busybox sh, the
# tree read-only at its host path): the parts the host cannot run.
#   guest.sh BUILD_DIR
# Kernel command line words (VM_APPEND):
#   kfb_parts=LIST   comma-separated, in this order: routes kmod (default kmod)
#   kfb_repeat=N kfb_rounds=N kfb_shift=N   kfaas-bench --repeat, --rounds,
#                    --time-shift (both parts)
#   kfb_counts=LIST  routes: kfaas-bench --counts (default 1,100000)
# routes (item 2): kfaas-bench routes beside xdp-loader's libxdp dispatcher
#   with 1 and 10 programs, where the host kernel refuses freplace.  The
#   host's run.sh copies xdp-loader and libxdp's dispatcher objects to
#   BUILD_DIR/bench/libxdp/ (the guest sees only the tree).
# kmod (item 8): kfaas-bench accounting without, then with kfaas.ko.
# Each result is printed between "KFAAS-BENCH-JSON NAME" and
# "KFAAS-BENCH-END"; a part that cannot run prints "KFAAS-BENCH-UNAVAILABLE
# PART REASON" (the environment lacks something) or "KFAAS-BENCH-FAILED
# PART REASON", and the exit status is 1 when a part failed.
set -u
B=${1:?usage: guest.sh BUILD_DIR}
export KFAAS_BENCH_BPF_DIR=$B/bench/bpf KFAAS_BPF_DIR=$B/bpf
set -- --repeat "${kfb_repeat:-100000}" --rounds "${kfb_rounds:-5}" \
	--time-shift "${kfb_shift:-6}"
rc=0

section() {	# NAME FILE
	echo "KFAAS-BENCH-JSON $1"
	cat "$2"
	echo "KFAAS-BENCH-END"
}
failed() { echo "KFAAS-BENCH-FAILED $1 $2"; rc=1; }

# ---- 2: route scale beside xdp-loader ----------------------------------
# xdp-loader loads 1 program (port1) on xa0 and 10 (port1..port10) on xb0,
# all in one call: each object's run config (bare_echo.bpf.c) gives it
# priority i, so libxdp builds its dispatcher once, port10 last.  busybox's
# ip names the veth peers itself.  The dispatcher's program id comes from
# xdp-loader status; a program that is not xdp_dispatcher means libxdp
# fell back to attaching it alone.
libxdp_load() {	# DEV N -> dispatcher id on stdout
	dev=$1 n=$2
	ip link add "$dev" type veth peer "${dev%0}1" || return 1
	# shellcheck disable=SC2046
	"$X/xdp-loader" load -v -m native "$dev" $(for i in $(seq 1 "$n"); do
		echo "$B/bench/bpf/port$i.bpf.o"; done) >>/tmp/xdp-loader.log 2>&1 || {
		echo "xdp-loader load $dev (port1..port$n) failed: $(tail -n 2 /tmp/xdp-loader.log | tr '\n' ' ')" >&2
		return 1; }
	"$X/xdp-loader" status "$dev" >/tmp/xdp-status 2>&1
	id=$(awk -v d="$dev" '$1 == d && $2 == "xdp_dispatcher" { print $4 }' /tmp/xdp-status)
	[ "$(awk '$1 == "=>" { printf "%s ", $2 }' /tmp/xdp-status)" = "$(seq -s ' ' 1 "$n") " ] &&
	[ -n "$id" ] || {
		msg=$(grep -m1 -i 'compatibility\|dispatcher.*fail\|error' /tmp/xdp-loader.log)
		echo "libxdp did not load its dispatcher with $n program(s) in priority order on $dev: xdp-loader status: $(grep -v '^-\|^CURRENT\|^Interface\|^$' /tmp/xdp-status |
			tr -s ' \n' ' ')${msg:+; xdp-loader: $msg} (the guest's kernel log: $B/vmtest/last/dmesg.log)" >&2
		return 1; }
	echo "$id"
}
part_routes() {
	X=$B/bench/libxdp
	if [ ! -x "$X/xdp-loader" ] || [ ! -f "$X/xdp-dispatcher.o" ]; then
		echo "KFAAS-BENCH-UNAVAILABLE routes no xdp-loader and xdp-dispatcher.o in $X (tools/bench/run.sh copies them from xdp-tools and libxdp1)"
		return 0
	fi
	export LIBXDP_OBJECT_PATH=$X
	[ -d "$X/lib" ] && export LD_LIBRARY_PATH=$X/lib
	if ! a=$(libxdp_load xa0 1 2>/tmp/libxdp.err) || ! b=$(libxdp_load xb0 10 2>/tmp/libxdp.err); then
		echo "KFAAS-BENCH-UNAVAILABLE routes $(tr '\n' ' ' </tmp/libxdp.err)"
	elif "$B/bench/kfaas-bench" routes --pin-root /sys/fs/bpf/kfaas-bench-routes "$@" \
		--counts "${kfb_counts:-1,100000}" --libxdp "1:$a" --libxdp "10:$b" \
		>/tmp/routes.json; then
		section routes /tmp/routes.json
	else
		failed routes "kfaas-bench routes exited $?"
	fi
	for d in xa0 xb0; do
		"$X/xdp-loader" unload --all "$d" >/dev/null 2>&1
		ip link del "$d" 2>/dev/null
	done
}

# ---- 8: module accounting cost -----------------------------------------
part_kmod() {
	ko="$B/kmod/$(uname -r)/kfaas.ko"
	set -- --pin-root /sys/fs/bpf/kfaas-bench-acct "$@"
	[ -f "$ko" ] || { failed kmod "no $ko: run make kmod"; return; }
	"$B/bench/kfaas-bench" accounting "$@" >/tmp/without.json ||
		{ failed kmod "kfaas-bench accounting (without the module) exited $?"; return; }
	section without /tmp/without.json
	"$B/kfaas" module load --ko "$ko" >/dev/null || { failed kmod "kfaas module load failed"; return; }
	if [ ! -f /sys/kernel/btf/kfaas ]; then
		failed kmod "kfaas.ko has no kfuncs (no /sys/kernel/btf/kfaas)"
	elif "$B/bench/kfaas-bench" accounting "$@" >/tmp/with.json; then
		section with /tmp/with.json
	else
		failed kmod "kfaas-bench accounting (with the module) exited $?"
	fi
	"$B/kfaas" module unload >/dev/null
}

for p in $(echo "${kfb_parts:-kmod}" | tr ',' ' '); do
	case "$p" in
	routes) part_routes "$@" ;;
	kmod) part_kmod "$@" ;;
	*) failed "$p" "unknown part (routes, kmod)" ;;
	esac
done
exit $rc
