// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs BPF programs call (declared once, in include/kfaas/kfuncs.h):
 *
 *   int kfaas_kf_admit(u32 fn_id, u32 bytes)
 *	Before running function fn_id on a request of bytes payload bytes:
 *	KFAAS_ADMIT, or KFAAS_THROTTLE (over budget; counted as throttled
 *	here, the caller must not run the function), or -ENOENT (not
 *	registered with the module) / -EINVAL (bad id).
 *
 *   int kfaas_kf_charge(u32 fn_id, u64 cpu_ns, u32 bytes_in,
 *			 u32 bytes_out, u32 outcome)
 *	After the function ran: one invocation with its CPU time, request
 *	and reply bytes and enum kfaas_outcome.  0, or -ENOENT / -EINVAL
 *	(nothing counted: the caller accounts in its fallback map).
 *
 * Both run in the program's RCU read section, on the program's CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <kfaas/kfuncs.h>
#include "kfaas.h"

noinline int kfaas_kf_admit(u32 fn_id, u32 bytes)
{
	struct kfaas_budget *b;
	struct kfaas_fn *fn;

	if (!kfaas_id_valid(fn_id))
		return -EINVAL;
	fn = kfaas_fn_lookup(fn_id);
	if (!fn)
		return -ENOENT;
	b = kfaas_rcu_deref(fn->budget);
	if (!b || kfaas_buckets_admit(&b->b, ktime_get_ns(), bytes))
		return KFAAS_ADMIT;
	this_cpu_inc(fn->stats->throttled);
	return KFAAS_THROTTLE;
}

noinline int kfaas_kf_charge(u32 fn_id, u64 cpu_ns, u32 bytes_in,
			     u32 bytes_out, u32 outcome)
{
	struct kfaas_budget *b;
	struct kfaas_fn *fn;

	if (!kfaas_id_valid(fn_id) || outcome >= KFAAS_OUTCOME_MAX)
		return -EINVAL;
	fn = kfaas_fn_lookup(fn_id);
	if (!fn)
		return -ENOENT;
	this_cpu_inc(fn->stats->invocations);
	this_cpu_add(fn->stats->cpu_ns, cpu_ns);
	this_cpu_add(fn->stats->bytes_in, bytes_in);
	this_cpu_add(fn->stats->bytes_out, bytes_out);
	switch (outcome) {
	case KFAAS_OUTCOME_PASS:
		this_cpu_inc(fn->stats->passed);
		break;
	case KFAAS_OUTCOME_DROP:
		this_cpu_inc(fn->stats->drops);
		break;
	case KFAAS_OUTCOME_ERROR:
		this_cpu_inc(fn->stats->errors);
		break;
	default:
		break;
	}
	b = kfaas_rcu_deref(fn->budget);
	if (b && (cpu_ns || bytes_out))
		kfaas_buckets_charge(&b->b, ktime_get_ns(), cpu_ns, bytes_out);
	return 0;
}

BTF_SET8_START(kfaas_kfunc_ids)
BTF_ID_FLAGS(func, kfaas_kf_admit)
BTF_ID_FLAGS(func, kfaas_kf_charge)
BTF_SET8_END(kfaas_kfunc_ids)

static const struct btf_kfunc_id_set kfaas_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &kfaas_kfunc_ids,
};

/*
 * There is no unregister: the sets live as long as the module's BTF.
 * SK_SKB first: kernels without a kfunc hook for it (6.1) fail it with
 * -EINVAL and drop every set registered so far, which is none yet.
 */
int kfaas_kfuncs_init(void)
{
	int rc;

	rc = register_btf_kfunc_id_set(BPF_PROG_TYPE_SK_SKB, &kfaas_kfunc_set);
	if (rc == -EINVAL)
		pr_info("this kernel has no kfuncs for sk_skb programs: the socket tier accounts in its maps\n");
	else if (rc)
		return rc;
	rc = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &kfaas_kfunc_set);
	if (!rc)
		rc = register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
					       &kfaas_kfunc_set);
	return rc;
}
