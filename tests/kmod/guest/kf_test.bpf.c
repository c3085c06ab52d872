// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that call kfaas.ko's kfuncs directly, for the module tests
 * (run in the guest with BPF_PROG_TEST_RUN).  fn_id and the amounts are
 * set through .rodata by the test before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <kfaas/kfuncs.h>
#include "kf_test.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 fn_id;
const volatile __u64 charge_ns;		/* CPU ns charged per run */
const volatile __u32 req_bytes;		/* request bytes asked at admission */
const volatile __u32 charge_after;	/* charge what was admitted */

__u64 admitted, throttled, failed;
/*
 * The rate tests' log (kf_test.h), kept while log_calls is set: every
 * admission, and the last refusal before it; refused holds the refusals
 * not logged yet.  Once the log has no room for two more records
 * (log_full), kf_admit stops calling the kfuncs, so that the log holds
 * every decision the bucket made.  One CPU runs the rate tests.
 */
__u32 log_calls, log_n, log_full;
struct kf_rec recs[KF_LOG_MAX], refused;
/*
 * Printed by the rate tests for comparison, not asserted: the time the
 * runs took (first_ns, last_ns) and, over the gaps between runs longer
 * than the bucket's fill time window_ns, the time past it (stall_ns).
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

static void log_put(const struct kf_rec *r)
{
	__u32 n = log_n;

	if (n >= KF_LOG_MAX)
		return;
	recs[n & (KF_LOG_MAX - 1)] = *r;
	log_n = n + 1;
}

/* An admission at [before, after], charged until charged (or 0). */
static void log_admission(__u64 before, __u64 after, __u64 charged)
{
	struct kf_rec r = { before, after, charged, 1, 0 };

	if (refused.refusals) {
		log_put(&refused);
		refused.refusals = 0;
	}
	log_put(&r);
}

/* Admission, then (charge_after) the charge of what ran. */
SEC("xdp")
int kf_admit(struct xdp_md *ctx)
{
	__u64 now, after, charged = 0;
	int a;

	if (log_calls && log_n + 2 > KF_LOG_MAX) {
		log_full = 1;
		return XDP_PASS;
	}
	now = bpf_ktime_get_ns();
	if (!first_ns)
		first_ns = now;
	if (window_ns && last_ns && now - last_ns > window_ns)
		stall_ns += now - last_ns - window_ns;
	last_ns = now;
	a = kfaas_kf_admit(fn_id, req_bytes);
	after = bpf_ktime_get_ns();
	if (a == KFAAS_THROTTLE) {
		__sync_fetch_and_add(&throttled, 1);
		if (log_calls) {
			refused.before = now;
			refused.after = after;
			refused.refusals++;
		}
		return XDP_DROP;
	}
	if (a != KFAAS_ADMIT) {
		__sync_fetch_and_add(&failed, 1);
		return XDP_ABORTED;
	}
	__sync_fetch_and_add(&admitted, 1);
	if (charge_after) {
		kfaas_kf_charge(fn_id, charge_ns, req_bytes, 0,
				KFAAS_OUTCOME_REPLY);
		charged = bpf_ktime_get_ns();
	}
	if (log_calls)
		log_admission(now, after, charged);
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
