// SPDX-License-Identifier: GPL-2.0
/*
 * The registered functions: a table of RCU-protected pointers indexed by
 * function id (KFAAS_MOD_MAX_FUNCS entries, 512 KiB), so the fast path is
 * one load.  Each function has its counters per CPU (struct kfaas_stats,
 * updated with this_cpu ops: no lock, no atomic) and an optional budget.
 * Writers (the control device) serialise on kfaas_fns_lock.
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include "kfaas.h"

static struct kfaas_fn __rcu **kfaas_fns;
static DEFINE_MUTEX(kfaas_fns_lock);
static u32 kfaas_nr_fns;

static struct kfaas_fn *fn_locked(u32 id)
{
	return rcu_dereference_protected(kfaas_fns[id],
					 lockdep_is_held(&kfaas_fns_lock));
}

struct kfaas_fn *kfaas_fn_lookup(u32 id)
{
	if (!kfaas_id_valid(id))
		return NULL;
	return kfaas_rcu_deref(kfaas_fns[id]);
}

static void fn_free(struct kfaas_fn *fn)
{
	kfree(rcu_dereference_protected(fn->budget, true));
	free_percpu(fn->stats);
	kfree(fn);
}

static void fn_free_rcu(struct rcu_head *head)
{
	fn_free(container_of(head, struct kfaas_fn, rcu));
}

int kfaas_fn_register(u32 id, const struct kfaas_limits *l)
{
	struct kfaas_budget *b;
	struct kfaas_fn *fn;
	int rc = 0;

	if (!kfaas_id_valid(id) ||
	    kfaas_limits_validate(l) != KFAAS_LIMITS_VALID)
		return -EINVAL;
	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	if (!fn)
		return -ENOMEM;
	fn->id = id;
	fn->stats = alloc_percpu(struct kfaas_stats);
	b = kfaas_budget_new(l);
	if (!fn->stats || IS_ERR(b)) {
		if (!IS_ERR(b))
			kfree(b);
		free_percpu(fn->stats);
		kfree(fn);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(fn->budget, b);
	mutex_lock(&kfaas_fns_lock);
	if (fn_locked(id)) {
		rc = -EEXIST;
	} else {
		rcu_assign_pointer(kfaas_fns[id], fn);
		kfaas_nr_fns++;
	}
	mutex_unlock(&kfaas_fns_lock);
	if (rc)
		fn_free(fn);
	return rc;
}

int kfaas_fn_unregister(u32 id)
{
	struct kfaas_fn *fn;

	if (!kfaas_id_valid(id))
		return -EINVAL;
	mutex_lock(&kfaas_fns_lock);
	fn = fn_locked(id);
	if (fn) {
		RCU_INIT_POINTER(kfaas_fns[id], NULL);
		kfaas_nr_fns--;
	}
	mutex_unlock(&kfaas_fns_lock);
	if (!fn)
		return -ENOENT;
	call_rcu(&fn->rcu, fn_free_rcu);
	return 0;
}

int kfaas_fn_set_limits(u32 id, const struct kfaas_limits *l)
{
	struct kfaas_budget *b, *old;
	struct kfaas_fn *fn;

	if (!kfaas_id_valid(id) ||
	    kfaas_limits_validate(l) != KFAAS_LIMITS_VALID)
		return -EINVAL;
	b = kfaas_budget_new(l);
	if (IS_ERR(b))
		return PTR_ERR(b);
	mutex_lock(&kfaas_fns_lock);
	fn = fn_locked(id);
	if (!fn) {
		mutex_unlock(&kfaas_fns_lock);
		kfree(b);
		return -ENOENT;
	}
	old = rcu_replace_pointer(fn->budget, b,
				  lockdep_is_held(&kfaas_fns_lock));
	mutex_unlock(&kfaas_fns_lock);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

int kfaas_fn_get_limits(u32 id, struct kfaas_limits *l)
{
	struct kfaas_budget *b;
	struct kfaas_fn *fn;
	int rc = 0;

	if (!kfaas_id_valid(id))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	mutex_lock(&kfaas_fns_lock);
	fn = fn_locked(id);
	if (fn) {
		b = rcu_dereference_protected(fn->budget,
					      lockdep_is_held(&kfaas_fns_lock));
		if (b)
			*l = b->limits;
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&kfaas_fns_lock);
	return rc;
}

/*
 * The per-CPU counters summed.  Each counter is a 64-bit per-CPU word that
 * only its CPU writes (it only grows, modulo 2^64), so every value read is
 * exact at some instant; once traffic stops the totals are exact.
 */
static void stats_sum(const struct kfaas_fn *fn, struct kfaas_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct kfaas_stats *s = per_cpu_ptr(fn->stats, cpu);

		out->invocations += READ_ONCE(s->invocations);
		out->throttled += READ_ONCE(s->throttled);
		out->passed += READ_ONCE(s->passed);
		out->drops += READ_ONCE(s->drops);
		out->errors += READ_ONCE(s->errors);
		out->bytes_in += READ_ONCE(s->bytes_in);
		out->bytes_out += READ_ONCE(s->bytes_out);
		out->cpu_ns += READ_ONCE(s->cpu_ns);
	}
}

/* The counters since the last reset: the sums less the reset's baseline. */
int kfaas_fn_read(u32 id, struct kfaas_stats *s)
{
	struct kfaas_fn *fn;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!kfaas_id_valid(id))
		return -EINVAL;
	mutex_lock(&kfaas_fns_lock);
	fn = fn_locked(id);
	if (fn) {
		stats_sum(fn, s);
		s->invocations -= fn->base.invocations;
		s->throttled -= fn->base.throttled;
		s->passed -= fn->base.passed;
		s->drops -= fn->base.drops;
		s->errors -= fn->base.errors;
		s->bytes_in -= fn->base.bytes_in;
		s->bytes_out -= fn->base.bytes_out;
		s->cpu_ns -= fn->base.cpu_ns;
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&kfaas_fns_lock);
	return rc;
}

/*
 * A reset writes no per-CPU counter: zeroing another CPU's word while that
 * CPU adds to it loses the reset or the addition.  It records the sums as
 * the baseline reads subtract, so every addition counts on exactly one
 * side of the reset: before it if the reset's read of its word saw it,
 * after it otherwise.  Resets and reads serialise on kfaas_fns_lock.
 */
static void fn_reset(struct kfaas_fn *fn)
{
	stats_sum(fn, &fn->base);
}

/* Zero one function's counters, or every function's (id 0). */
int kfaas_fn_reset(u32 id)
{
	struct kfaas_fn *fn;
	u32 i;

	if (id && !kfaas_id_valid(id))
		return -EINVAL;
	mutex_lock(&kfaas_fns_lock);
	if (id) {
		fn = fn_locked(id);
		if (fn)
			fn_reset(fn);
	} else {
		for (i = 1; i < KFAAS_MOD_MAX_FUNCS; i++) {
			fn = fn_locked(i);
			if (fn)
				fn_reset(fn);
		}
		fn = NULL;
	}
	mutex_unlock(&kfaas_fns_lock);
	return id && !fn ? -ENOENT : 0;
}

/* Usage measured outside BPF: add it on this CPU, drain the budget. */
int kfaas_fn_charge(u32 id, const struct kfaas_stats *d)
{
	struct kfaas_budget *b;
	struct kfaas_fn *fn;
	u64 bytes;
	int rc = 0;

	if (!kfaas_id_valid(id))
		return -EINVAL;
	if (check_add_overflow(d->bytes_in, d->bytes_out, &bytes))
		bytes = U64_MAX;	/* the bucket saturates anyway */
	rcu_read_lock();
	fn = rcu_dereference(kfaas_fns[id]);
	if (!fn) {
		rc = -ENOENT;
		goto out;
	}
	this_cpu_add(fn->stats->invocations, d->invocations);
	this_cpu_add(fn->stats->throttled, d->throttled);
	this_cpu_add(fn->stats->passed, d->passed);
	this_cpu_add(fn->stats->drops, d->drops);
	this_cpu_add(fn->stats->errors, d->errors);
	this_cpu_add(fn->stats->bytes_in, d->bytes_in);
	this_cpu_add(fn->stats->bytes_out, d->bytes_out);
	this_cpu_add(fn->stats->cpu_ns, d->cpu_ns);
	b = rcu_dereference(fn->budget);
	if (b)
		kfaas_buckets_charge(&b->b, ktime_get_ns(), d->cpu_ns, bytes);
out:
	rcu_read_unlock();
	return rc;
}

u32 kfaas_fn_count(void)
{
	u32 n;

	mutex_lock(&kfaas_fns_lock);
	n = kfaas_nr_fns;
	mutex_unlock(&kfaas_fns_lock);
	return n;
}

/* The first registered id >= start, or 0. */
u32 kfaas_fn_next(u32 start)
{
	u32 id;

	if (!start)
		start = 1;
	rcu_read_lock();
	for (id = start; id < KFAAS_MOD_MAX_FUNCS; id++)
		if (rcu_access_pointer(kfaas_fns[id]))
			break;
	rcu_read_unlock();
	return id < KFAAS_MOD_MAX_FUNCS ? id : 0;
}

int kfaas_fns_init(void)
{
	kfaas_fns = kvcalloc(KFAAS_MOD_MAX_FUNCS, sizeof(*kfaas_fns),
			     GFP_KERNEL);
	return kfaas_fns ? 0 : -ENOMEM;
}

/* Module exit: no program can call a kfunc any more (they hold us). */
void kfaas_fns_exit(void)
{
	struct kfaas_fn *fn;
	u32 id;

	mutex_lock(&kfaas_fns_lock);
	for (id = 1; id < KFAAS_MOD_MAX_FUNCS; id++) {
		fn = fn_locked(id);
		if (!fn)
			continue;
		RCU_INIT_POINTER(kfaas_fns[id], NULL);
		call_rcu(&fn->rcu, fn_free_rcu);
	}
	kfaas_nr_fns = 0;
	mutex_unlock(&kfaas_fns_lock);
	rcu_barrier();	/* every fn_free_rcu (module code) has run */
	kvfree(kfaas_fns);
	kfaas_fns = NULL;
}
