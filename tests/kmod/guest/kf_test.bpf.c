// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that call kfaas.ko's kfuncs directly, for the module tests
 * (run in the guest with BPF_PROG_TEST_RUN).  fn_id and the amounts are
 * set through .rodata by the test before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <kfaas/kfuncs.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 fn_id;
const volatile __u64 charge_ns;		/* CPU ns charged per run */
const volatile __u32 req_bytes;		/* request bytes asked at admission */
const volatile __u32 charge_after;	/* charge what was admitted */

__u64 admitted, throttled, failed;
/*
 * The rate tests' own clock: a guest under TCG on a busy host stops for
 * longer than a bucket takes to fill, and what accrues past a full
 * bucket is lost by design.  window_ns (set by the test) is that fill
 * time; stall_ns sums, over the gaps between runs, the time beyond it,
 * for which no admission can be expected; first_ns and last_ns bound
 * the time the runs took.  One CPU runs the tests.
 */
__u64 window_ns, first_ns, last_ns, stall_ns;

/* One invocation, charged: 3 ns (or charge_ns), 5 bytes in, 7 out. */
SEC("xdp")
int kf_charge(struct xdp_md *ctx)
{
	if (kfaas_kf_charge(fn_id, charge_ns ? charge_ns : 3, 5, 7,
			    KFAAS_OUTCOME_REPLY))
		__sync_fetch_and_add(&failed, 1);
	return XDP_PASS;
}

/* Admission, then (charge_after) the charge of what ran. */
SEC("xdp")
int kf_admit(struct xdp_md *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	int a;

	if (!first_ns)
		first_ns = now;
	if (window_ns && last_ns && now - last_ns > window_ns)
		stall_ns += now - last_ns - window_ns;
	last_ns = now;
	a = kfaas_kf_admit(fn_id, req_bytes);
	if (a == KFAAS_THROTTLE) {
		__sync_fetch_and_add(&throttled, 1);
		return XDP_DROP;
	}
	if (a != KFAAS_ADMIT) {
		__sync_fetch_and_add(&failed, 1);
		return XDP_ABORTED;
	}
	__sync_fetch_and_add(&admitted, 1);
	if (charge_after)
		kfaas_kf_charge(fn_id, charge_ns, req_bytes, 0,
				KFAAS_OUTCOME_REPLY);
	return XDP_TX;
}

/* The same charge from a TC program. */
SEC("tc")
int kf_charge_tc(struct __sk_buff *skb)
{
	if (kfaas_kf_charge(fn_id, 3, 5, 7, KFAAS_OUTCOME_PASS))
		__sync_fetch_and_add(&failed, 1);
	return 0;	/* TC_ACT_OK */
}
