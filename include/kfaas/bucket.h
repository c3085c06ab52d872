/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * Token buckets for function budgets, as GCRA ("virtual scheduling"): the
 * one implementation, compiled by kfaas.ko (kmod/budget.c), by the BPF
 * programs (bpf/kfaas_budget.h: budgets in the maps without the module,
 * and the dispatcher's per-source-prefix buckets) and by libkfaas (the
 * budgets it writes into the maps, kfaasd's VM tier).  docs/module.md
 * describes the semantics.
 *
 * A bucket is the time tat at which it is full again.  Tokens available
 * at now = (tau - max(0, tat - now)) / cost of one unit.  Taking tokens
 * moves tat forward by their cost in ns; time refills the bucket by
 * itself.  An amount costs amount * mult >> 32 ns (mult: ns per unit in
 * 32.32 fixed point); every division is made when a budget is set
 * (kfaas_bucket_init()), never per request.  Costs saturate instead of
 * wrapping: a burst longer than KFAAS_TAU_MAX is "no limit", a charge too
 * large for 64 bits empties the bucket for good.
 *
 * Taking and charging are a compare-and-swap loop on tat: no lock, no
 * per-CPU state that could hand out more than the configured rate.  The
 * loop is bounded (BPF needs it): after KFAAS_BUCKET_TRIES lost races a
 * take refuses (it never admits beyond the budget) and a charge adds its
 * cost with one atomic add (the charge is never lost).
 *
 * Environments, as in abi.h: __KERNEL__ (tat is an atomic64_t), __bpf__
 * (after "vmlinux.h"; needs -mcpu=v3 for the compare-and-swap, kernel
 * 5.12 or later), and userspace.
 */
#ifndef KFAAS_BUCKET_H
#define KFAAS_BUCKET_H

#if defined(__KERNEL__)
#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/types.h>
#elif !defined(__bpf__)
#include <linux/types.h>
#endif

/* A bucket's full time, ns: an atomic64_t in the kernel, a u64 elsewhere. */
struct kfaas_tat {
#if defined(__KERNEL__)
	atomic64_t	v;
#else
	__u64		v;
#endif
};

#if defined(__KERNEL__)
static inline __u64 kfaas_tat_read(struct kfaas_tat *t)
{
	return (__u64)atomic64_read(&t->v);
}

static inline void kfaas_tat_set(struct kfaas_tat *t, __u64 v)
{
	atomic64_set(&t->v, (s64)v);
}

/* The value *t held: the swap happened if it is o. */
static inline __u64 kfaas_tat_cmpxchg(struct kfaas_tat *t, __u64 o, __u64 n)
{
	return (__u64)atomic64_cmpxchg(&t->v, (s64)o, (s64)n);
}

static inline void kfaas_tat_add(struct kfaas_tat *t, __u64 v)
{
	atomic64_add((s64)v, &t->v);
}

static inline __u64 kfaas_div64(__u64 a, __u64 b)
{
	return div64_u64(a, b);
}
#else
static inline __u64 kfaas_tat_read(struct kfaas_tat *t)
{
#if defined(__bpf__)
	return t->v;	/* one load; the compare-and-swap checks it */
#else
	return __atomic_load_n(&t->v, __ATOMIC_RELAXED);
#endif
}

static inline void kfaas_tat_set(struct kfaas_tat *t, __u64 v)
{
#if defined(__bpf__)
	t->v = v;
#else
	__atomic_store_n(&t->v, v, __ATOMIC_RELAXED);
#endif
}

static inline __u64 kfaas_tat_cmpxchg(struct kfaas_tat *t, __u64 o, __u64 n)
{
	return __sync_val_compare_and_swap(&t->v, o, n);
}

static inline void kfaas_tat_add(struct kfaas_tat *t, __u64 v)
{
	__sync_fetch_and_add(&t->v, v);
}

static inline __u64 kfaas_div64(__u64 a, __u64 b)
{
	return a / b;
}
#endif

#define KFAAS_NSEC_PER_SEC	1000000000ULL
/* Longest burst in ns of bucket time (146 years): more is "no limit". */
#define KFAAS_TAU_MAX		0x4000000000000000ULL
#define KFAAS_TAT_MAX		0x7fffffffffffffffULL	/* saturated: empty for good */
/* Lost compare-and-swap races before a take refuses. */
#define KFAAS_BUCKET_TRIES	16

/*
 * One bucket.  The map budgets (struct kfaas_budget_rec in abi.h) hold
 * three of them; their layout crosses BPF and userspace.
 */
struct kfaas_bucket {
	struct kfaas_tat tat;		/* full again at this time, ns */
	__u64		mult;		/* ns per unit, 32.32; 0: unlimited */
	__u64		tau;		/* burst, ns */
	__u64		max_amount;	/* more costs ~0 (saturated) */
};

/* A budget's buckets: invocations, CPU ns, bytes (kfaas_limits). */
struct kfaas_buckets {
	struct kfaas_bucket	rps;
	struct kfaas_bucket	cpu;
	struct kfaas_bucket	bytes;
};

/*
 * a * b >> 32 without 128-bit arithmetic (BPF has none), exact whenever
 * the result fits 64 bits, which max_amount guarantees.
 */
static inline __u64 kfaas_mul_shr32(__u64 a, __u64 b)
{
	__u64 ah = a >> 32, al = a & 0xffffffffULL;
	__u64 bh = b >> 32, bl = b & 0xffffffffULL;

	return ((ah * bh) << 32) + ah * bl + al * bh + ((al * bl) >> 32);
}

/* Cost in ns of amount units, saturated at ~0. */
static inline __u64 kfaas_bucket_cost(const struct kfaas_bucket *b,
				      __u64 amount)
{
	return amount > b->max_amount ? ~0ULL : kfaas_mul_shr32(amount, b->mult);
}

/*
 * A full bucket for rate units per second (0: unlimited) and a burst of
 * burst units (0: one second's worth).  When the budget is set: the only
 * place that divides.
 */
static inline void kfaas_bucket_init(struct kfaas_bucket *b, __u64 rate,
				     __u64 burst)
{
	__u64 q, tau;

	kfaas_tat_set(&b->tat, 0);
	b->mult = 0;
	b->tau = 0;
	b->max_amount = 0;
	if (!rate)
		return;
	b->mult = kfaas_div64(KFAAS_NSEC_PER_SEC << 32, rate);
	/* amount * mult < 2^96 for every amount <= max_amount */
	q = kfaas_div64(~0ULL, b->mult);
	b->max_amount = q >> 32 ? ~0ULL : q << 32;
	tau = kfaas_bucket_cost(b, burst ? burst : rate);
	b->tau = tau < KFAAS_TAU_MAX ? tau : KFAAS_TAU_MAX;
}

/*
 * Take cost ns worth of tokens from the bucket whose full time is *tat
 * and burst tau, if all of them are there: 1, else 0.
 */
static inline int kfaas_gcra_take(struct kfaas_tat *tat, __u64 now,
				  __u64 cost, __u64 tau)
{
	__u64 t, base, seen;
	int i;

	if (cost > tau)
		return 0;
	t = kfaas_tat_read(tat);
	for (i = 0; i < KFAAS_BUCKET_TRIES; i++) {
		base = t > now ? t : now;
		if (base - now > tau - cost)
			return 0;
		seen = kfaas_tat_cmpxchg(tat, t, base + cost);
		if (seen == t)
			return 1;
		t = seen;
	}
	return 0;
}

/* Charge cost ns of tokens unconditionally: the bucket may go in debt. */
static inline void kfaas_gcra_charge(struct kfaas_tat *tat, __u64 now,
				     __u64 cost)
{
	__u64 t, base, next, seen;
	int i;

	t = kfaas_tat_read(tat);
	for (i = 0; i < KFAAS_BUCKET_TRIES; i++) {
		base = t > now ? t : now;
		next = base + cost;
		if (next < base || next > KFAAS_TAT_MAX)	/* saturate */
			next = KFAAS_TAT_MAX;
		seen = kfaas_tat_cmpxchg(tat, t, next);
		if (seen == t)
			return;
		t = seen;
	}
	/* raced beyond reason: the cost is added all the same */
	kfaas_tat_add(tat, cost < KFAAS_TAU_MAX ? cost : KFAAS_TAU_MAX);
}

static inline int kfaas_bucket_take(struct kfaas_bucket *b, __u64 now,
				    __u64 cost)
{
	return kfaas_gcra_take(&b->tat, now, cost, b->tau);
}

/* The three buckets of limits (struct kfaas_limits), full. */
static inline void kfaas_buckets_init(struct kfaas_buckets *b,
				      __u64 rps, __u64 rps_burst,
				      __u64 cpu, __u64 cpu_burst,
				      __u64 bytes, __u64 bytes_burst)
{
	kfaas_bucket_init(&b->rps, rps, rps_burst);
	kfaas_bucket_init(&b->cpu, cpu, cpu_burst);
	kfaas_bucket_init(&b->bytes, bytes, bytes_burst);
}

/*
 * Admit one invocation carrying bytes of request: the CPU bucket must not
 * be empty (it may be in debt), the bytes and the invocation must fit
 * their buckets.  When the bytes fit but the invocation does not, the
 * bytes taken are given back.  1: admitted, 0: over budget.
 */
static inline int kfaas_buckets_admit(struct kfaas_buckets *b,
				      __u64 now, __u64 bytes)
{
	__u64 bcost = 0;

	if (b->cpu.mult && kfaas_tat_read(&b->cpu.tat) >= now + b->cpu.tau)
		return 0;
	if (b->bytes.mult && bytes) {
		bcost = kfaas_bucket_cost(&b->bytes, bytes);
		if (!kfaas_bucket_take(&b->bytes, now, bcost))
			return 0;
	}
	if (b->rps.mult &&
	    !kfaas_bucket_take(&b->rps, now, kfaas_bucket_cost(&b->rps, 1))) {
		if (bcost)
			kfaas_tat_add(&b->bytes.tat, 0 - bcost);	/* refund */
		return 0;
	}
	return 1;
}

/* After an invocation: its CPU time and reply bytes drain the budget. */
static inline void kfaas_buckets_charge(struct kfaas_buckets *b,
					__u64 now, __u64 cpu_ns,
					__u64 bytes)
{
	if (b->cpu.mult && cpu_ns)
		kfaas_gcra_charge(&b->cpu.tat, now,
				  kfaas_bucket_cost(&b->cpu, cpu_ns));
	if (b->bytes.mult && bytes)
		kfaas_gcra_charge(&b->bytes.tat, now,
				  kfaas_bucket_cost(&b->bytes, bytes));
}

#endif /* KFAAS_BUCKET_H */
