// SPDX-License-Identifier: GPL-2.0
/*
 * Token buckets for function budgets, as GCRA ("virtual scheduling"): a
 * bucket is the time tat at which it is full again.  Tokens available at
 * now = (tau - max(0, tat - now)) / cost of one unit.  Taking tokens moves
 * tat forward by their cost in ns; time refills the bucket by itself.
 * Admission and charging are a cmpxchg loop on tat: no lock, and no
 * per-CPU state that could hand out more than the configured rate.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include "kfaas.h"

/* Rates above this are refused: 1e15 units/s keeps mult >= 4096. */
#define KFAAS_RATE_MAX	1000000000000000ULL

int kfaas_limits_check(const struct kfaas_limits *l)
{
	if (l->rps > KFAAS_RATE_MAX || l->cpu_ns_per_sec > KFAAS_RATE_MAX ||
	    l->bytes_per_sec > KFAAS_RATE_MAX)
		return -EINVAL;
	/* a burst without a rate means nothing: refuse it */
	if ((!l->rps && l->rps_burst) ||
	    (!l->cpu_ns_per_sec && l->cpu_burst_ns) ||
	    (!l->bytes_per_sec && l->bytes_burst))
		return -EINVAL;
	return 0;
}

static void bucket_init(struct kfaas_bucket *b, u64 rate, u64 burst)
{
	atomic64_set(&b->tat, 0);	/* full */
	if (!rate) {
		b->mult = 0;
		b->tau = 0;
		return;
	}
	b->mult = div64_u64((u64)NSEC_PER_SEC << 32, rate);
	b->tau = mul_u64_u64_shr(burst ? burst : rate, b->mult, 32);
}

struct kfaas_budget *kfaas_budget_new(const struct kfaas_limits *l)
{
	struct kfaas_budget *b;

	if (!l->rps && !l->cpu_ns_per_sec && !l->bytes_per_sec)
		return NULL;	/* unlimited */
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->limits = *l;
	bucket_init(&b->rps, l->rps, l->rps_burst);
	bucket_init(&b->cpu, l->cpu_ns_per_sec, l->cpu_burst_ns);
	bucket_init(&b->bytes, l->bytes_per_sec, l->bytes_burst);
	return b;
}

static inline u64 bucket_cost(const struct kfaas_bucket *b, u64 amount)
{
	return mul_u64_u64_shr(amount, b->mult, 32);
}

/* Take cost ns worth of tokens if all of them are there. */
static bool bucket_take(struct kfaas_bucket *b, u64 now, u64 cost)
{
	s64 tat = atomic64_read(&b->tat);
	u64 base;

	do {
		base = max_t(u64, (u64)tat, now);
		if (base - now + cost > b->tau)
			return false;
	} while (!atomic64_try_cmpxchg(&b->tat, &tat, (s64)(base + cost)));
	return true;
}

/* Charge cost ns of tokens unconditionally (the bucket may go in debt). */
static void bucket_charge(struct kfaas_bucket *b, u64 now, u64 cost)
{
	s64 tat = atomic64_read(&b->tat);
	u64 base, next;

	do {
		base = max_t(u64, (u64)tat, now);
		next = base + cost;
		if (next < base || next > (u64)S64_MAX)	/* saturate */
			next = S64_MAX;
	} while (!atomic64_try_cmpxchg(&b->tat, &tat, (s64)next));
}

/*
 * Admit one invocation carrying bytes of request: the CPU bucket must not
 * be empty, the bytes and the invocation must fit their buckets.
 */
bool kfaas_budget_admit(struct kfaas_budget *b, u64 now, u64 bytes)
{
	u64 bcost = 0;

	if (b->cpu.mult && (u64)atomic64_read(&b->cpu.tat) >= now + b->cpu.tau)
		return false;
	if (b->bytes.mult && bytes) {
		bcost = bucket_cost(&b->bytes, bytes);
		if (!bucket_take(&b->bytes, now, bcost))
			return false;
	}
	if (b->rps.mult &&
	    !bucket_take(&b->rps, now, bucket_cost(&b->rps, 1))) {
		if (bcost)
			atomic64_sub(bcost, &b->bytes.tat);	/* refund */
		return false;
	}
	return true;
}

/* After an invocation: its CPU time and reply bytes drain the budget. */
void kfaas_budget_charge(struct kfaas_budget *b, u64 now, u64 cpu_ns,
			 u64 bytes)
{
	if (b->cpu.mult && cpu_ns)
		bucket_charge(&b->cpu, now, bucket_cost(&b->cpu, cpu_ns));
	if (b->bytes.mult && bytes)
		bucket_charge(&b->bytes, now, bucket_cost(&b->bytes, bytes));
}
