// SPDX-License-Identifier: GPL-2.0
/*
 * Budgets: a function's limits turned into its three token buckets.  The
 * bucket arithmetic (GCRA, lock-free, saturating) is include/kfaas/bucket.h,
 * the one implementation that the BPF programs and libkfaas compile too,
 * so a budget means the same with and without this module; the kfuncs
 * (kfunc.c) admit and charge through it.
 */
#include <linux/err.h>
#include <linux/slab.h>
#include "kfaas.h"

struct kfaas_budget *kfaas_budget_new(const struct kfaas_limits *l)
{
	struct kfaas_budget *b;

	if (!l->rps && !l->cpu_ns_per_sec && !l->bytes_per_sec)
		return NULL;	/* unlimited */
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->limits = *l;
	kfaas_buckets_init(&b->b, l->rps, l->rps_burst, l->cpu_ns_per_sec,
			   l->cpu_burst_ns, l->bytes_per_sec, l->bytes_burst);
	return b;
}
