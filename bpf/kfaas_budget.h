/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Budgets enforced from the maps: the XDP dispatcher and SDK, and the
 * socket tier's SDK, admit and charge a function through its record in
 * kfaas_budgets when kfaas.ko does not (module absent, the function
 * unknown to it, or a program type without its kfuncs: sk_skb on 6.1).
 * The arithmetic is include/kfaas/bucket.h, the module's own, so a budget
 * means the same either way (docs/module.md).  Only routes carrying
 * KFAAS_ROUTE_F_BUDGET come here: a function without a budget costs its
 * callers one flag test.
 */
#ifndef KFAAS_BUDGET_BPF_H
#define KFAAS_BUDGET_BPF_H

#include "kfaas_maps.h"
#include <kfaas/kfuncs.h>

/*
 * Admit one invocation of fn carrying bytes of request: 1, or 0 when it
 * is over budget (counted as throttled; the caller must not run fn).  A
 * function without a record is admitted.  A global function, verified
 * once: its bounded compare-and-swap loops would multiply the verifier's
 * work by every path of its callers.
 */
__attribute__((noinline))
int kfaas_budget_admit(__u32 fn, __u32 bytes)
{
	struct kfaas_budget_rec *rec = bpf_map_lookup_elem(&kfaas_budgets, &fn);
	struct kfaas_stats *st;

	if (!rec || kfaas_buckets_admit(&rec->b, bpf_ktime_get_ns(), bytes))
		return 1;
	st = bpf_map_lookup_elem(&kfaas_stats, &fn);
	if (st)
		st->throttled += 1;
	return 0;
}

/* After fn ran: its CPU time and reply bytes drain its budget. */
__attribute__((noinline))
int kfaas_budget_charge(__u32 fn, __u64 cpu_ns, __u64 bytes_out)
{
	struct kfaas_budget_rec *rec;

	if (!cpu_ns && !bytes_out)
		return 0;
	rec = bpf_map_lookup_elem(&kfaas_budgets, &fn);
	if (rec)
		kfaas_buckets_charge(&rec->b, bpf_ktime_get_ns(), cpu_ns,
				     bytes_out);
	return 0;
}

/*
 * The budget's answer for fn, as the XDP dispatcher asks it before the
 * first function and the SDK before each next function of a chain: 1 run
 * it, 0 over budget (counted).  km: ask kfaas.ko first; a function it
 * does not know is counted and, with a budget, admitted by the maps'
 * buckets: never admitted silently.
 */
static __always_inline int kfaas_admit(__u32 fn, __u32 bytes, __u16 flags,
				       const int km)
{
	int rc;

	if (km) {
		rc = kfaas_kf_admit(fn, bytes);
		if (rc == KFAAS_ADMIT)
			return 1;
		if (rc == KFAAS_THROTTLE)
			return 0;
		kfaas_dstat_inc(KFAAS_DSTAT_KM_UNKNOWN);
	}
	return !(flags & KFAAS_ROUTE_F_BUDGET) || kfaas_budget_admit(fn, bytes);
}

#endif /* KFAAS_BUDGET_BPF_H */
