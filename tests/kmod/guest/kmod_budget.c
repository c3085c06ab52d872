// SPDX-License-Identifier: GPL-2.0
/*
 * Budgets with kfaas.ko loaded, through the kfunc dispatcher:
 *   - 'kfaas budget show' says the module enforces an XDP function's
 *     budget when the dispatcher calls it and it knows the function,
 *   - a function the module does not know is never admitted silently:
 *     the dispatcher counts it (km_unknown) and its budget in the BPF
 *     maps applies, exactly (and show then says "BPF maps"),
 *   - re-registered (kfaas module sync), the module's budget applies again.
 *   kmod_budget PINROOT FUNCTION   (FUNCTION: an echo with a UDP route)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include "ktap.h"
#include "libkfaas.h"

#define CASES	8	/* the KTAP cases (--ktap-plan tells) */

static struct kfaas_state st;
static __u8 frame[256];
static size_t frame_len;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * n requests through the pinned dispatcher: how many were answered; *most
 * is what a bucket of burst 5 at 1/s can admit in the time they took (a
 * guest under TCG on a busy host may take longer than a second: one more
 * a second is the bucket's refill, not a leak).
 */
static int run(int n, int *most)
{
	double t0 = now_s();
	__u8 out[512];
	int i, tx = 0;

	for (i = 0; i < n; i++) {
		size_t outlen = sizeof(out);
		__u32 v = 0;

		if (kfaas_invoke_run(&st, frame, frame_len, out, &outlen, 1, &v,
				     NULL))
			ktap_print_msg("%s", kfaas_errmsg());
		tx += v == XDP_TX;
	}
	*most = 5 + (int)(now_s() - t0);
	return tx;
}

static __u64 km_unknown(void)
{
	__u64 d[KFAAS_DSTAT_MAX];

	kfaas_dstats_read(&st, d);
	return d[KFAAS_DSTAT_KM_UNKNOWN];
}

static int enforcer(const struct kfaas_fn_info *f)
{
	struct kfaas_limits l;

	kfaas_budget_get(&st, f->id, &l);
	return kfaas_budget_enforcer(&st, f, &l, false);
}

int main(int argc, char **argv)
{
	struct kfaas_invoke_opts io = { .data = "hi", .len = 2, .vlan = -1 };
	struct kfaas_limits l = { .rps = 1, .rps_burst = 5 }, had;
	struct kfaas_stats a, b;
	struct kfaas_fn_info f;
	__u64 u0;
	int fd, tx, most;

	ktap_plan_query(argc, argv, CASES);
	if (argc != 3) {
		fprintf(stderr, "usage: kmod_budget PINROOT FUNCTION\n");
		return 2;
	}
	ktap_print_header();
	ktap_set_plan(CASES);
	if (kfaas_state_open(&st, argv[1], KFAAS_OPEN_LOCK) ||
	    kfaas_fn_find(&st, argv[2], &f) ||
	    kfaas_invoke_frame(&st, &f, &io, frame, sizeof(frame), &frame_len) ||
	    kfaas_budget_get(&st, f.id, &had) || kfaas_budget_set(&st, f.id, &l)) {
		ktap_print_msg("%s", kfaas_errmsg());
		return KSFT_FAIL;
	}
	fd = kfaas_state_mod_fd(&st);
	KTAP_EXPECT_EQ(enforcer(&f), KFAAS_ENF_MODULE,
		       "budget set with the module: enforced by its kfuncs");
	KTAP_EXPECT_EQ(kfaas_mod_fn_unregister(fd, f.id), 0,
		       "the function unregistered from the module behind "
		       "kfaas's back");
	KTAP_EXPECT_EQ(enforcer(&f), KFAAS_ENF_MAPS,
		       "budget show now says: the BPF maps");
	u0 = km_unknown();
	kfaas_stats_read(&st, f.id, &a);
	tx = run(100, &most);
	kfaas_stats_read(&st, f.id, &b);
	ktap_test_result(tx >= 5 && tx <= most, "rps 1 burst 5: %d of 100 "
			 "answered (5 to %d in the time taken), by the maps' "
			 "budget (not silently admitted)", tx, most);
	KTAP_EXPECT_EQ(km_unknown() - u0, 100,
		       "the dispatcher counted every request the module did "
		       "not know (km_unknown)");
	ktap_test_result(b.invocations - a.invocations == (__u64)tx &&
			 b.throttled - a.throttled == 100 - (__u64)tx,
			 "counted in the maps: %d invocations, %d throttled", tx,
			 100 - tx);
	if (kfaas_module_sync(&st))
		ktap_print_msg("%s", kfaas_errmsg());
	KTAP_EXPECT_EQ(enforcer(&f), KFAAS_ENF_MODULE,
		       "registered again (module sync): the module's kfuncs");
	u0 = km_unknown();
	tx = run(20, &most);
	ktap_test_result(tx >= 5 && tx <= most && km_unknown() == u0,
			 "its budget (full again) applies: %d of 20 (5 to %d), "
			 "none unknown", tx, most);
	kfaas_budget_set(&st, f.id, &had);	/* as it was */
	kfaas_state_close(&st);
	return ktap_finished();
}
