/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kf_test.bpf.c and its tests (kmod_kfunc.c) share: the log of
 * admissions the rate tests replay against include/kfaas/bucket.h.
 */
#ifndef KF_TEST_H
#define KF_TEST_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define KF_LOG_MAX	8192	/* records; a power of two */

/*
 * One call of kfaas_kf_admit() by kf_admit: the module read its clock
 * (ktime_get_ns()) somewhere in [before, after], and, with charge_after,
 * kfaas_kf_charge()'s in [after, charged].  Every admission is logged;
 * of a run of refusals only the last, the one the bucket had the most
 * time to refill for (the others are implied by it: the bucket did not
 * change in between), with how many it stands for.
 */
struct kf_rec {
	__u64	before;		/* bpf_ktime_get_ns() right before the kfunc */
	__u64	after;		/* right after it */
	__u64	charged;	/* right after the charge, or 0 */
	__u32	admitted;	/* the module's decision */
	__u32	refusals;	/* refusals this record stands for */
};

#endif /* KF_TEST_H */
