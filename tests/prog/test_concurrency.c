// SPDX-License-Identifier: GPL-2.0
/*
 * Exact accounting under concurrency: 10^7 invocations through the real
 * dispatcher from threads on every CPU at once (BPF_PROG_TEST_RUN), and
 * not one increment lost in the per-CPU fallback counters.
 * INVOCATIONS=N sets the total (default 10^7).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "ktap.h"
#include <libkfaas.h>

static struct kfaas_state st;
static uint8_t frame[256];
static size_t frame_len;
static long per_thread;
static int failures;

static void *worker(void *arg)
{
	uint8_t out[512];
	long left = per_thread;

	(void)arg;
	while (left > 0) {
		__u32 n = left > 1000000 ? 1000000 : (__u32)left, verdict;
		size_t outlen = sizeof(out);

		if (kfaas_invoke_run(&st, frame, frame_len, out, &outlen, n,
				     &verdict, NULL) || verdict != XDP_TX)
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		left -= n;
	}
	return NULL;
}

int main(void)
{
	long total = getenv("INVOCATIONS") ? atol(getenv("INVOCATIONS")) : 10000000;
	struct kfaas_invoke_opts io = { .data = "count", .len = 5, .vlan = -1,
					.symmetric = true };
	int nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN) * 2, i;
	__u64 d0[KFAAS_DSTAT_MAX], d1[KFAAS_DSTAT_MAX];
	struct kfaas_route r = { .tier = KFAAS_TIER_XDP };
	struct kfaas_stats a, b;
	struct kfaas_fn_info fi;
	struct kfaas_route_key key;
	pthread_t *th;
	char root[128], path[512];

	ktap_print_header();
	if (getuid() != 0)
		ktap_exit_skip("needs root");
	kfaas_set_verbose(false);
	snprintf(root, sizeof(root), "/sys/fs/bpf/kfaas-test-conc-%d", getpid());
	if (kfaas_state_open(&st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK))
		ktap_exit_skip("cannot create kfaas state");
	ktap_set_plan(4);
	snprintf(path, sizeof(path), "%s/bpf/echo.bpf.o",
		 getenv("B") ? getenv("B") : "build");
	kfaas_fn_load(&st, path, "echo", &fi);
	r.fn_id = fi.id;
	kfaas_route_key_make(&key, "udp", "7", NULL);
	kfaas_route_add(&st, &key, &r);
	kfaas_invoke_frame(&st, &fi, &io, frame, sizeof(frame), &frame_len);

	per_thread = total / nthreads;
	total = per_thread * nthreads;
	th = calloc((size_t)nthreads, sizeof(*th));
	kfaas_stats_read(&st, fi.id, &a);
	kfaas_dstats_read(&st, d0);
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	kfaas_stats_read(&st, fi.id, &b);
	kfaas_dstats_read(&st, d1);
	ktap_print_msg("%ld invocations from %d threads on %d CPUs", total,
		       nthreads, st.ncpus);
	KTAP_EXPECT_EQ(failures, 0, "every run replied");
	KTAP_EXPECT_EQ(b.invocations - a.invocations, total,
		       "no invocation lost in the per-CPU counters");
	KTAP_EXPECT_EQ(b.bytes_in - a.bytes_in, total * 5, "no byte lost");
	KTAP_EXPECT_EQ(d1[KFAAS_DSTAT_DISPATCHED] - d0[KFAAS_DSTAT_DISPATCHED],
		       total, "the dispatcher counted each one");
	free(th);
	kfaas_state_close(&st);
	kfaas_state_destroy(root);
	return ktap_finished();
}
