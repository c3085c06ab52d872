// SPDX-License-Identifier: GPL-2.0
/*
 * Token buckets for function budgets, as GCRA ("virtual scheduling"): a
 * bucket is the time tat at which it is full again.  Tokens available at
 * now = (tau - max(0, tat - now)) / cost of one unit.  Taking tokens moves
 * tat forward by their cost in ns; time refills the bucket by itself.
 * Admission and charging are a cmpxchg loop on tat: no lock, and no
 * per-CPU state that could hand out more than the configured rate.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include "kfaas.h"

/* Longest burst in ns of bucket time (146 years): more is "no limit". */
#define KFAAS_TAU_MAX	BIT_ULL(62)

/*
 * Cost in ns of amount units: amount * mult >> 32, saturated at U64_MAX
 * (charges and bursts come from userspace and may be any u64).
 */
static u64 bucket_cost(const struct kfaas_bucket *b, u64 amount)
{
	return amount > b->max_amount ? U64_MAX :
	       mul_u64_u64_shr(amount, b->mult, 32);
}

static void bucket_init(struct kfaas_bucket *b, u64 rate, u64 burst)
{
	u64 q;

	atomic64_set(&b->tat, 0);	/* full */
	if (!rate) {
		b->mult = 0;
		b->tau = 0;
		b->max_amount = 0;
		return;
	}
	b->mult = div64_u64((u64)NSEC_PER_SEC << 32, rate);
	/* amount * mult < 2^96 for every amount <= max_amount */
	q = div64_u64(U64_MAX, b->mult);
	b->max_amount = q >> 32 ? U64_MAX : q << 32;
	b->tau = min(bucket_cost(b, burst ? burst : rate), KFAAS_TAU_MAX);
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

/* Take cost ns worth of tokens if all of them are there. */
static bool bucket_take(struct kfaas_bucket *b, u64 now, u64 cost)
{
	s64 tat = atomic64_read(&b->tat);
	u64 base;

	if (cost > b->tau)
		return false;
	do {
		base = max_t(u64, (u64)tat, now);
		if (base - now > b->tau - cost)
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
