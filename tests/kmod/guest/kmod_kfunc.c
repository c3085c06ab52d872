// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.ko's kfuncs from real BPF programs (run in the guest with the
 * module loaded): exact accounting under concurrent BPF_PROG_TEST_RUN on
 * every CPU, from XDP and TC programs; each token bucket (invocations,
 * CPU time, bytes) admitting within 5% of its configured rate over a few
 * seconds.  Prints the cost of an admission (measured, not asserted).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kf_test.skel.h"

#define RUNS		20000	/* per BPF_PROG_TEST_RUN call */
#define ROUNDS		5	/* calls per CPU */

static int dev;
static unsigned char pkt[64] = { [12] = 0x08, [13] = 0x00 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct kf_test_bpf *open_load(__u32 id, __u64 ns, __u32 bytes, __u32 after)
{
	struct kf_test_bpf *skel = kf_test_bpf__open();

	if (!skel)
		return NULL;
	skel->rodata->fn_id = id;
	skel->rodata->charge_ns = ns;
	skel->rodata->req_bytes = bytes;
	skel->rodata->charge_after = after;
	if (kf_test_bpf__load(skel)) {
		kf_test_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int reg(__u32 id, const struct kfaas_limits *l)
{
	struct kfaas_limits none = {};

	kfaas_mod_fn_unregister(dev, id);
	return kfaas_mod_fn_register(dev, id, l ? l : &none);
}

struct worker {
	int prog_fd;
	int cpu;
	int err;
};

static void *run_on_cpu(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		w->err = -errno;
		return NULL;
	}
	for (i = 0; i < ROUNDS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = RUNS);

		if (bpf_prog_test_run_opts(w->prog_fd, &t)) {
			w->err = -errno;
			return NULL;
		}
	}
	return NULL;
}

static void test_concurrent(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), i, err = 0;
	struct worker w[64];
	pthread_t th[64];
	struct kf_test_bpf *skel;
	struct kfaas_stats s;
	__u64 want;

	if (ncpu > 64)
		ncpu = 64;
	ktap_print_msg("%d CPUs, %d x %d runs each", ncpu, ROUNDS, RUNS);
	KTAP_EXPECT_EQ(reg(7, NULL), 0, "register function 7");
	skel = open_load(7, 0, 0, 0);
	KTAP_EXPECT_EQ(skel != NULL, 1, "XDP and TC programs calling the kfuncs load");
	if (!skel)
		return;
	for (i = 0; i < ncpu; i++) {
		w[i].prog_fd = bpf_program__fd(skel->progs.kf_charge);
		w[i].cpu = i;
		w[i].err = 0;
		pthread_create(&th[i], NULL, run_on_cpu, &w[i]);
	}
	for (i = 0; i < ncpu; i++) {
		pthread_join(th[i], NULL);
		if (w[i].err)
			err = w[i].err;
	}
	KTAP_EXPECT_EQ(err, 0, "PROG_TEST_RUN on every CPU at once");
	want = (__u64)ncpu * ROUNDS * RUNS;
	memset(&s, 0, sizeof(s));
	kfaas_mod_stats(dev, 7, &s);
	KTAP_EXPECT_EQ(s.invocations, want, "invocations exact under concurrency");
	KTAP_EXPECT_EQ(s.cpu_ns, 3 * want, "cpu_ns exact");
	KTAP_EXPECT_EQ(s.bytes_in, 5 * want, "bytes_in exact");
	KTAP_EXPECT_EQ(s.bytes_out, 7 * want, "bytes_out exact");
	KTAP_EXPECT_EQ(s.passed + s.drops + s.errors + s.throttled, 0,
		       "no other counter moved");
	KTAP_EXPECT_EQ(skel->bss->failed, 0, "every charge succeeded");

	/* a TC program charges the same way */
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1000);
		struct kfaas_stats s2;
		int rc = bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.kf_charge_tc), &t);

		kfaas_mod_stats(dev, 7, &s2);
		KTAP_EXPECT_EQ(rc == 0 && t.retval == 0 &&
			       s2.invocations == want + 1000 && s2.passed == 1000,
			       1, "a TC program's charges count (outcome pass)");
	}
	kf_test_bpf__destroy(skel);
	kfaas_mod_fn_unregister(dev, 7);
}

/*
 * Offer far more than the rate for `secs` seconds; the bucket starts
 * full, so expect burst + rate * elapsed admissions (within 5% of the
 * rate's share), elapsed without the time the guest stood still beyond
 * the bucket's fill time (stall_ns, kf_test.bpf.c): a full bucket holds
 * no more, however long the stop.
 */
static void rate_case(const char *what, __u32 id, const struct kfaas_limits *l,
		      __u64 ns, __u32 bytes, __u64 rate, __u64 burst,
		      double secs)
{
	struct kf_test_bpf *skel = open_load(id, ns, bytes, ns != 0);
	double t0, t1, expect, err, stalled, ran;
	__u64 got, thr;
	int fd;

	if (!skel || reg(id, l)) {
		ktap_test_result(0, "%s: setup", what);
		if (skel)
			kf_test_bpf__destroy(skel);
		return;
	}
	fd = bpf_program__fd(skel->progs.kf_admit);
	skel->bss->window_ns = burst * 1000000000ULL / rate;
	t0 = now_s();
	t1 = t0;
	do {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1000);

		if (bpf_prog_test_run_opts(fd, &t))
			break;
		t1 = now_s();
	} while (t1 - t0 < secs);
	got = skel->bss->admitted;
	thr = skel->bss->throttled;
	/* the runs' own span, from the program's clock (not the syscalls') */
	ran = (skel->bss->last_ns - skel->bss->first_ns) / 1e9;
	stalled = skel->bss->stall_ns / 1e9;
	expect = burst + rate * (ran - stalled);
	err = (got - expect) / (rate * (ran - stalled));
	ktap_print_msg("%s: %llu admitted, %llu throttled in %.2f s (runs %.2f s, "
		       "%.2f s stalled past a full bucket); expected %.0f "
		       "(error %+.2f%%)", what, (unsigned long long)got,
		       (unsigned long long)thr, t1 - t0, ran, stalled, expect,
		       err * 100);
	ktap_test_result(err > -0.05 && err < 0.05 && thr > got &&
			 skel->bss->failed == 0,
			 "%s: admitted within 5%% of the rate", what);
	kf_test_bpf__destroy(skel);
	kfaas_mod_fn_unregister(dev, id);
}

static void test_rates(void)
{
	/*
	 * Bursts of 0.25 s: a guest under TCG on a busy host stalls for tens
	 * of ms at times, and a bucket that fills up during a stall (by its
	 * definition) drops the tokens past its burst.
	 */
	struct kfaas_limits rps = { .rps = 2000, .rps_burst = 500 };
	struct kfaas_limits cpu = { .cpu_ns_per_sec = 3000000,
				    .cpu_burst_ns = 750000 };
	struct kfaas_limits bytes = { .bytes_per_sec = 400000,
				      .bytes_burst = 100000 };

	rate_case("invocations/s", 20, &rps, 0, 0, 2000, 500, 3.0);
	/* 1500 ns charged per run: 2000 runs/s */
	rate_case("cpu ns/s", 21, &cpu, 1500, 0, 2000, 750000 / 1500, 2.0);
	/* 200 bytes per request: 2000 runs/s */
	rate_case("bytes/s", 22, &bytes, 0, 200, 2000, 500, 2.0);
}

/* Admissions of function id by kf_admit: admitted, throttled. */
static void admit_runs(__u32 id, int runs, __u64 *adm, __u64 *thr)
{
	struct kf_test_bpf *skel = open_load(id, 0, 0, 0);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = runs);

	*adm = *thr = ~0ULL;
	if (!skel)
		return;
	if (!bpf_prog_test_run_opts(bpf_program__fd(skel->progs.kf_admit), &t)) {
		*adm = skel->bss->admitted;
		*thr = skel->bss->throttled;
	}
	kf_test_bpf__destroy(skel);
}

/*
 * Bursts and charges are any u64 from userspace: their cost in bucket
 * time saturates instead of wrapping around (2^55 invocations at 1/s is
 * 2^64 x 10^9 / 2^9 ns: exactly 0 modulo 2^64).
 */
static void test_saturation(void)
{
	struct kfaas_limits huge_burst = { .rps = 1, .rps_burst = 1ULL << 55 };
	struct kfaas_limits cpu = { .cpu_ns_per_sec = 1, .cpu_burst_ns = 1000 };
	struct kfaas_stats d = { .cpu_ns = 1ULL << 63 };
	__u64 adm, thr;

	reg(40, &huge_burst);
	admit_runs(40, 1000, &adm, &thr);
	KTAP_EXPECT_EQ(adm == 1000 && thr == 0, 1,
		       "a burst of 2^55 at 1/s admits (it does not wrap to 0)");
	reg(41, &cpu);
	admit_runs(41, 10, &adm, &thr);
	kfaas_mod_charge(dev, 41, &d);
	{
		__u64 adm2, thr2;

		admit_runs(41, 10, &adm2, &thr2);
		KTAP_EXPECT_EQ(adm == 10 && adm2 == 0 && thr2 == 10, 1,
			       "a charge of 2^63 ns empties the CPU bucket (no wrap)");
	}
	kfaas_mod_fn_unregister(dev, 40);
	kfaas_mod_fn_unregister(dev, 41);
}

/* The cost of admission with and without a budget (reported only). */
static void bench(void)
{
	struct kfaas_limits big = { .rps = 1000000000ULL };
	struct kf_test_bpf *skel = open_load(30, 0, 0, 0);
	__u32 d1 = 0, d2 = 0;
	int fd;

	if (!skel)
		return;
	fd = bpf_program__fd(skel->progs.kf_admit);
	reg(30, NULL);
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 100000);
		if (!bpf_prog_test_run_opts(fd, &t))
			d1 = t.duration;
	}
	reg(30, &big);
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 100000);
		if (!bpf_prog_test_run_opts(fd, &t))
			d2 = t.duration;
	}
	ktap_print_msg("bench: admission run %u ns without a budget, %u ns with "
		       "one, per XDP test run on one CPU", d1, d2);
	{
		/* every CPU admitting against the same budget at once */
		int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), i;
		struct worker w[64];
		pthread_t th[64];
		double t0, t1;

		if (ncpu > 64)
			ncpu = 64;
		t0 = now_s();
		for (i = 0; i < ncpu; i++) {
			w[i].prog_fd = fd;
			w[i].cpu = i;
			w[i].err = 0;
			pthread_create(&th[i], NULL, run_on_cpu, &w[i]);
		}
		for (i = 0; i < ncpu; i++)
			pthread_join(th[i], NULL);
		t1 = now_s();
		ktap_print_msg("bench: %d CPUs admitting against one budget: "
			       "%.0f ns wall per run per CPU (incl. syscalls)",
			       ncpu, (t1 - t0) * 1e9 / (ROUNDS * RUNS));
	}
	kf_test_bpf__destroy(skel);
	kfaas_mod_fn_unregister(dev, 30);
}

#define CASES	15	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	ktap_plan_query(argc, argv, CASES);
	ktap_print_header();
	ktap_set_plan(CASES);
	dev = kfaas_mod_open();
	if (dev < 0) {
		ktap_print_msg("%s", kfaas_errmsg());
		return KSFT_FAIL;
	}
	test_concurrent();
	test_rates();
	test_saturation();
	bench();
	close(dev);
	return ktap_finished();
}
