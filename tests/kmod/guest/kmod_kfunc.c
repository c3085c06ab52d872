// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.ko's kfuncs from real BPF programs (run in the guest with the
 * module loaded): exact accounting under concurrent BPF_PROG_TEST_RUN on
 * every CPU, from XDP and TC programs; each token bucket (invocations,
 * CPU time, bytes) deciding every admission as include/kfaas/bucket.h,
 * replayed here over the program's clock, says it must.  Prints the cost
 * of an admission (measured, not asserted).
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
#include <kfaas/bucket.h>
#include "kf_test.h"
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
 * The rate tests replay a budget's bucket over kf_admit's log
 * (kf_test.h) with the arithmetic the module runs (include/kfaas/bucket.h)
 * and check every decision the module made against it.  The module read
 * its clock at a time in [before, after] of a record (widened by
 * CLOCK_SLACK_NS: bpf_ktime_get_ns() is the kernel's fast monotonic
 * accessor, which may differ from ktime_get_ns() by a few ns around a
 * clock adjustment), so the bucket's full time (tat) is known to lie in
 * [lo, hi]: a decision is wrong when no tat in [lo, hi] and no time in
 * the record's window gives it, and open (not checked) when both answers
 * are possible.  Each decision checked narrows [lo, hi], so a long clock
 * window (the guest stopped inside a kfunc call) leaves few open.
 * However long the guest stands still between runs, the replay is exact:
 * the test has no tolerance on the host's speed.
 */
#define CLOCK_SLACK_NS	1000

struct replay {
	struct kfaas_buckets m;		/* the budget, as the module builds it */
	__u32 bytes;			/* request bytes per admission */
	__u64 cpu_ns;			/* CPU ns charged per admission */
	__u64 lo, hi;			/* the limited bucket's tat */
	__u64 t0, full_ns;		/* first clock read; time the bucket was full */
	unsigned long checked, open, wrong, refusals_checked, refills;
	int refused;			/* a refusal was checked */
};

/* The case's one limited bucket. */
static struct kfaas_bucket *limited(struct kfaas_buckets *m)
{
	return m->rps.mult ? &m->rps : m->cpu.mult ? &m->cpu : &m->bytes;
}

/* Would the module admit at now if the bucket's tat were x? */
static int model_admits(const struct replay *r, __u64 x, __u64 now)
{
	struct kfaas_buckets m = r->m;

	kfaas_tat_set(&limited(&m)->tat, x);
	return kfaas_buckets_admit(&m, now, r->bytes);
}

/*
 * The tat after an admission at now with tat x, and the charge at
 * charge_now: what admission took is max(x, now) + cost, as a take that
 * succeeds (kfaas_gcra_charge() is that without the check).
 */
static __u64 model_admit(const struct replay *r, __u64 x, __u64 now,
			 __u64 charge_now)
{
	struct kfaas_buckets m = r->m;
	struct kfaas_bucket *b = limited(&m);

	kfaas_tat_set(&b->tat, x);
	if (b == &m.rps)
		kfaas_gcra_charge(&b->tat, now, kfaas_bucket_cost(b, 1));
	else if (b == &m.bytes)
		kfaas_gcra_charge(&b->tat, now, kfaas_bucket_cost(b, r->bytes));
	if (r->cpu_ns)
		kfaas_buckets_charge(&m, charge_now, r->cpu_ns, 0);
	return kfaas_tat_read(&b->tat);
}

/*
 * The edge of the tats in [lo, hi] the decision allows at now (the
 * module admits for every tat up to some value): admit, the largest tat
 * admitted (model_admits(lo) holds); else the smallest refused
 * (model_admits(hi) does not).
 */
static __u64 model_edge(const struct replay *r, __u64 lo, __u64 hi,
			__u64 now, int admit)
{
	__u64 mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2 + (admit ? (hi - lo) % 2 : 0);
		if (model_admits(r, mid, now) == admit) {
			if (admit)
				lo = mid;
			else
				hi = mid;
		} else if (admit) {
			hi = mid - 1;
		} else {
			lo = mid + 1;
		}
	}
	return lo;
}

static void replay_rec(struct replay *r, const struct kf_rec *e, __u32 i)
{
	__u64 b = e->before - CLOCK_SLACK_NS, a = e->after + CLOCK_SLACK_NS;
	int may_admit = model_admits(r, r->lo, a);
	int may_refuse = !model_admits(r, r->hi, b);

	if (!r->t0)
		r->t0 = e->before;
	if (e->admitted ? !may_admit : !may_refuse) {
		if (r->wrong++ < 5)
			ktap_print_msg("  record %u: %s at [%llu, %llu] ns, the "
				       "bucket full at [%llu, %llu] ns %s", i,
				       e->admitted ? "admitted" : "refused",
				       (unsigned long long)e->before,
				       (unsigned long long)e->after,
				       (unsigned long long)r->lo,
				       (unsigned long long)r->hi,
				       e->admitted ? "has no token" : "has one");
	} else if (may_admit && may_refuse) {
		r->open++;
	} else {
		r->checked++;
		if (!e->admitted) {
			r->refused = 1;
			r->refusals_checked++;
		} else if (r->refused) {
			r->refills++;
		}
	}
	if (e->admitted && may_admit)
		r->hi = model_edge(r, r->lo, r->hi, a, 1);
	else if (!e->admitted && may_refuse)
		r->lo = model_edge(r, r->lo, r->hi, b, 0);
	if (!e->admitted)
		return;
	if (b > r->lo)	/* full since lo (or since the first run) */
		r->full_ns += b - (r->lo > r->t0 ? r->lo : r->t0);
	r->lo = model_admit(r, r->lo, b, e->after - CLOCK_SLACK_NS);
	r->hi = model_admit(r, r->hi, a, e->charged + CLOCK_SLACK_NS);
}

/* Runs of kf_admit for secs seconds, or until its log is full. */
static void offer(struct kf_test_bpf *skel, double secs)
{
	int fd = bpf_program__fd(skel->progs.kf_admit);
	double t0 = now_s();

	do {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1000);

		if (bpf_prog_test_run_opts(fd, &t))
			break;
	} while (now_s() - t0 < secs && !skel->bss->log_full);
}

/*
 * Offer far more than the rate for secs seconds, with a pause of three
 * fill times in the middle (a full bucket holds no more than its burst),
 * and replay the log.  Asserted: every decision the module made agrees
 * with the bucket; the run saw the bucket refuse and refill.  Printed:
 * admitted against burst + rate x (the time the bucket was not full).
 */
static void rate_case(const char *what, __u32 id, const struct kfaas_limits *l,
		      __u64 ns, __u32 bytes, __u64 rate, __u64 burst,
		      double secs)
{
	struct kf_test_bpf *skel = open_load(id, ns, bytes, ns != 0);
	struct replay r = { .bytes = bytes, .cpu_ns = ns };
	struct timespec pause;
	__u64 got, thr, window;
	double ran, expect;
	__u32 i, n;

	if (!skel || reg(id, l)) {
		ktap_test_result(0, "%s: setup", what);
		ktap_test_result(0, "%s: the bucket refused and refilled", what);
		if (skel)
			kf_test_bpf__destroy(skel);
		return;
	}
	kfaas_buckets_init(&r.m, l->rps, l->rps_burst, l->cpu_ns_per_sec,
			   l->cpu_burst_ns, l->bytes_per_sec, l->bytes_burst);
	window = burst * 1000000000ULL / rate;
	skel->bss->window_ns = window;
	skel->bss->log_calls = 1;
	offer(skel, secs / 2);
	pause.tv_sec = 3 * window / 1000000000ULL;
	pause.tv_nsec = 3 * window % 1000000000ULL;
	nanosleep(&pause, NULL);
	offer(skel, secs / 2);
	got = skel->bss->admitted;
	thr = skel->bss->throttled;
	n = skel->bss->log_n;
	for (i = 0; i < n; i++)
		replay_rec(&r, &skel->bss->recs[i], i);
	if (skel->bss->refused.refusals)
		replay_rec(&r, &skel->bss->refused, n);
	ran = (skel->bss->last_ns - skel->bss->first_ns) / 1e9;
	expect = burst + rate * (ran - r.full_ns / 1e9);
	ktap_print_msg("%s: %llu admitted, %llu refused in %.2f s; the bucket "
		       "was full %.2f s (gaps past the fill time: %.2f s): "
		       "burst + rate x %.2f s = %.0f", what,
		       (unsigned long long)got, (unsigned long long)thr, ran,
		       r.full_ns / 1e9, skel->bss->stall_ns / 1e9,
		       ran - r.full_ns / 1e9, expect);
	ktap_print_msg("%s: %lu decisions checked, %lu open (within the "
		       "clock reads' window), %lu wrong%s", what, r.checked,
		       r.open, r.wrong,
		       skel->bss->log_full ? "; the log filled up" : "");
	ktap_test_result(r.wrong == 0 && r.checked + r.open > 0 &&
			 skel->bss->failed == 0,
			 "%s: every decision agrees with the bucket replayed",
			 what);
	ktap_test_result(r.refusals_checked > 0 && r.refills > 0,
			 "%s: the bucket refused and refilled", what);
	kf_test_bpf__destroy(skel);
	kfaas_mod_fn_unregister(dev, id);
}

static void test_rates(void)
{
	/*
	 * 500 admissions/s each, bursts of 0.1 s: the guest offers more
	 * than that (several thousand runs/s even in the debug kernel on a
	 * busy host), so that the bucket refuses.
	 */
	struct kfaas_limits rps = { .rps = 500, .rps_burst = 50 };
	struct kfaas_limits cpu = { .cpu_ns_per_sec = 750000,
				    .cpu_burst_ns = 75000 };
	struct kfaas_limits bytes = { .bytes_per_sec = 100000,
				      .bytes_burst = 10000 };

	rate_case("invocations/s", 20, &rps, 0, 0, 500, 50, 2.0);
	/* 1500 ns charged per run */
	rate_case("cpu ns/s", 21, &cpu, 1500, 0, 500, 75000 / 1500, 2.0);
	/* 200 bytes per request */
	rate_case("bytes/s", 22, &bytes, 0, 200, 500, 50, 2.0);
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

#define CASES	18	/* the KTAP cases (--ktap-plan tells) */

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
