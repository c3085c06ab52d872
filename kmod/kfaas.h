/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas.ko internals: the function table, budgets, kfuncs, the control
 * device and the /proc view.  The ABI is include/kfaas/abi.h.
 */
#ifndef KFAAS_KMOD_H
#define KFAAS_KMOD_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <kfaas/abi.h>
#include <kfaas/bucket.h>

/*
 * A function's budget: the three token buckets of include/kfaas/bucket.h
 * (GCRA, lock-free: one cmpxchg per bucket an admission consumes),
 * replaced as a whole (RCU) when limits change.
 */
struct kfaas_budget {
	struct kfaas_limits	limits;
	struct kfaas_buckets	b;
	struct rcu_head		rcu;
};

/*
 * A registered function.  Its counters are per CPU, each written only by
 * its CPU; base holds their sums at the last reset (kfaas_fns_lock).
 */
struct kfaas_fn {
	u32				id;
	struct kfaas_stats __percpu	*stats;
	struct kfaas_stats		base;
	struct kfaas_budget __rcu	*budget;	/* NULL: unlimited */
	struct rcu_head			rcu;
};

/* The function ids the module accepts: 1 .. KFAAS_MOD_MAX_FUNCS - 1. */
static inline bool kfaas_id_valid(u32 id)
{
	return id > 0 && id < KFAAS_MOD_MAX_FUNCS;
}

/* BPF programs run under rcu_read_lock(), or with BH or preemption off. */
#define kfaas_rcu_deref(p)						\
	rcu_dereference_check(p, rcu_read_lock_bh_held() ||		\
				 rcu_read_lock_sched_held())

/* fn.c: the registered functions, by id */
int kfaas_fns_init(void);
void kfaas_fns_exit(void);
struct kfaas_fn *kfaas_fn_lookup(u32 id);	/* in an RCU read section */
int kfaas_fn_register(u32 id, const struct kfaas_limits *l);
int kfaas_fn_unregister(u32 id);
int kfaas_fn_set_limits(u32 id, const struct kfaas_limits *l);
int kfaas_fn_get_limits(u32 id, struct kfaas_limits *l);
int kfaas_fn_read(u32 id, struct kfaas_stats *s);
int kfaas_fn_reset(u32 id);
int kfaas_fn_charge(u32 id, const struct kfaas_stats *d);
u32 kfaas_fn_count(void);
u32 kfaas_fn_next(u32 start);

/* budget.c: a budget from limits (checked by kfaas_limits_validate()) */
struct kfaas_budget *kfaas_budget_new(const struct kfaas_limits *l);

/* kfunc.c: the kfuncs (include/kfaas/kfuncs.h) and their registration */
int kfaas_kfuncs_init(void);

/* dev.c: /dev/kfaas */
int kfaas_dev_init(void);
void kfaas_dev_exit(void);

/* proc.c: /proc/kfaas */
int kfaas_proc_init(void);
void kfaas_proc_exit(void);

#endif /* KFAAS_KMOD_H */
