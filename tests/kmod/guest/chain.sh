# SPDX-License-Identifier: GPL-2.0
#
# A function chain's hops admitted and charged by kfaas.ko, run INSIDE
# the test guest (Debian 12's 6.1), sourced by stock61.sh (tests/kmod/
# test_stock61.sh): chain_run, 21 cases.
# With the module, the kfunc dispatcher asks it for the chain's first
# function and the SDK asks it before each next one (kfaas_chain.h): each
# hop is an invocation of its own in /proc/kfaas, and a hop over its
# kfaas.ko budget does not run (policy drop: no reply; policy pass: the
# request goes up the stack), the hops after it neither.  Then the same
# budget without the module, enforced by the maps: the same outcome.
verdict() {	# FN [invoke args]: the verdict of one invocation
	"$K" invoke "$@" 2>&1 | sed -n 's/^[^:]*: \(XDP_[A-Z]*\) in .*/\1/p'
}
stat_of() { jnum "$2" "$("$K" -j stats "$1")"; }	# FN KEY
proc_of() {	# FN: "invocations throttled" kfaas.ko holds for it
	awk -v id="$(jnum id "$("$K" -j fn show "$1")")" \
		'$1 == id { print $2, $3 }' /proc/kfaas
}
dstat() { jnum "$1" "$("$K" -j net show)"; }	# KEY of the dispatcher's

chain_run() {
	export KFAAS_PIN_ROOT=/sys/fs/bpf/kfaas-kmod-chain
	check "kfaas module load" "$K" module load
	check "tag_a, tag_b, tag_c load (their kfunc variants)" sh -c "
		$K fn load $B/tests/bpf/tag_a.bpf.o tag_a &&
		$K fn load $B/tests/bpf/tag_b.bpf.o tag_b &&
		$K fn load $B/tests/bpf/tag_c.bpf.o tag_c"
	check "route add udp 9000 chain tag_a,tag_b,tag_c (policy drop), 9001 (policy pass)" sh -c "
		$K route add udp 9000 chain tag_a,tag_b,tag_c policy drop &&
		$K route add udp 9001 chain tag_a,tag_b,tag_c policy pass"
	check "the kfunc dispatcher on lo" "$K" net attach lo generic
	check_match "the chain's reply through kfaas.ko's dispatcher" \
		"reply \(10 bytes\): pinga1b2c3" "$("$K" invoke tag_a --data ping 2>&1)"
	check_eq "each hop one invocation counted by kfaas.ko (/proc/kfaas)" \
		"1 0|1 0|1 0" "$(proc_of tag_a)|$(proc_of tag_b)|$(proc_of tag_c)"
	check_eq "... and every hop known to it (no km_unknown), 2 hand-overs" \
		"0 2" "$(dstat km_unknown) $(dstat chain_hops)"

	# tag_b's budget in the module: 1 a second, a burst of 3.  200 requests
	# (one BPF_PROG_TEST_RUN repeat) run tag_a 200 times; tag_b runs the
	# burst and what refilled while they ran, tag_c after each of those only
	hop_budget() {	# what: the checks of a burst-3 budget on the middle hop
		local what=$1 t0 t1 a0 b0 c0 tb0 v a b c tb
		a0=$(stat_of tag_a invocations) b0=$(stat_of tag_b invocations)
		c0=$(stat_of tag_c invocations) tb0=$(stat_of tag_b throttled)
		t0=$(date +%s)
		v=$(verdict tag_a --data ping --repeat 200)
		t1=$(date +%s)
		a=$(($(stat_of tag_a invocations) - a0))
		b=$(($(stat_of tag_b invocations) - b0))
		c=$(($(stat_of tag_c invocations) - c0))
		tb=$(($(stat_of tag_b throttled) - tb0))
		diag "$what: 200 offered in ~$((t1 - t0)) s: tag_a $a, tag_b $b ran $tb throttled, tag_c $c"
		check "$what: tag_b ran its burst and no more than the refill (3 .. 3 + s + 1)" \
			test "$b" -ge 3 -a "$b" -le $((3 + t1 - t0 + 1))
		check_eq "$what: tag_a ran every request, tag_b's others throttled, tag_c ran after tag_b only" \
			"200 $((200 - b)) $b" "$a $tb $c"
		check_eq "$what: the last request, over budget, is dropped (policy drop)" XDP_DROP "$v"
	}
	check "budget set tag_b --rps 1 --burst 3" "$K" budget set tag_b --rps 1 --burst 3
	check_match "... enforced by kfaas.ko's kfuncs" '"enforced_by":"kfaas.ko kfuncs"' \
		"$("$K" -j budget show tag_b)"
	pb=$(proc_of tag_b)
	hop_budget "kfaas.ko"
	check_eq "... kfaas.ko counted tag_b's runs and throttles (/proc/kfaas)" \
		"$(stat_of tag_b invocations) $(stat_of tag_b throttled)" "$(proc_of tag_b)"
	check "... its record grew from '$pb'" test "$(proc_of tag_b)" != "$pb"
	# 10 at once: its bucket (3 at most, 1 a second) refuses the last
	check_eq "over tag_b's budget, policy pass: the request goes up the stack" \
		XDP_PASS "$(verdict tag_a --dst 127.0.0.1:9001 --data ping --repeat 10)"

	check "kfaas module unload: the maps enforce the same budget" "$K" module unload
	check_match "... budget show says so" '"enforced_by":"BPF maps"' \
		"$("$K" -j budget show tag_b)"
	# the maps' bucket starts full: the same burst of 3 again
	check "budget set tag_b --rps 1 --burst 3 (a full bucket, as the module's was)" \
		"$K" budget set tag_b --rps 1 --burst 3
	hop_budget "maps"

	"$K" net detach lo >/dev/null 2>&1
	rm -rf "$KFAAS_PIN_ROOT"
}
