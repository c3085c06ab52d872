// SPDX-License-Identifier: GPL-2.0
/*
 * What the real dispatcher checks before a function runs, on the host
 * kernel without kfaas.ko, through BPF_PROG_TEST_RUN of frames as they
 * come from a network (no invoke token in their metadata):
 *   - budgets from the maps: invocations, bytes and CPU buckets, exact
 *     counts, the route's policy, the routes' budget flag following
 *     'budget set' and 'clear'
 *   - the reply ratio cap of the SDK: the route's cap, 'ratio any'
 *   - loop ports: well-known services, ports of kfaas routes (and not
 *     once their route is gone), 'loops allow'
 *   - the source prefix buckets: per /24 and /56, exact, and the prefix
 *     lengths as configured
 *   - kfaas invoke's frames (the token) pass the loop and prefix checks
 * Every refusal is counted where docs/reliability.md says.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "ktap.h"
#include <libkfaas.h>
#include <kfaas_frame.h>

static struct kfaas_state st;

/* A request frame to dport from saddr:sport (IPv4 or IPv6 by saddr). */
static size_t frame(uint8_t *buf, const char *saddr, uint16_t sport,
		    uint16_t dport, const char *payload)
{
	struct kfaas_frame_spec s = { .vlan = -1, .sport = sport, .dport = dport,
				      .payload = payload, .len = strlen(payload) };
	static const uint8_t cm[6] = { 2, 0, 0, 0, 0, 1 }, sm[6] = { 2, 0, 0, 0, 0, 2 };
	ssize_t n;

	memcpy(s.src_mac, cm, 6);
	memcpy(s.dst_mac, sm, 6);
	s.family = strchr(saddr, ':') ? 6 : 4;
	inet_pton(s.family == 6 ? AF_INET6 : AF_INET, saddr, s.saddr);
	inet_pton(s.family == 6 ? AF_INET6 : AF_INET,
		  s.family == 6 ? "2001:db8::2" : "192.0.2.2", s.daddr);
	n = kfaas_frame_build(&s, buf, 2048);
	if (n < 0) {
		ktap_print_msg("frame build failed");
		exit(KSFT_FAIL);
	}
	return (size_t)n;
}

/* The dispatcher's verdict on a frame from the wire (no metadata). */
static __u32 wire(const char *saddr, uint16_t sport, uint16_t dport,
		  const char *payload, size_t *outlen)
{
	uint8_t in[2048], out[4096];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	t.data_size_in = (__u32)frame(in, saddr, sport, dport, payload);
	if (bpf_prog_test_run_opts(st.disp_fd, &t)) {
		ktap_print_msg("test run failed");
		return ~0U;
	}
	if (outlen)
		*outlen = t.data_size_out;
	return t.retval;
}

/* n frames from the wire: how many got each verdict. */
static void wire_n(int n, const char *saddr, uint16_t sport, uint16_t dport,
		   const char *payload, int *tx, int *other)
{
	int i;

	*tx = *other = 0;
	for (i = 0; i < n; i++) {
		if (wire(saddr, sport, dport, payload, NULL) == XDP_TX)
			(*tx)++;
		else
			(*other)++;
	}
}

static __u32 invoked(const char *saddr, uint16_t sport, uint16_t dport,
		     const char *payload)
{
	uint8_t in[2048], out[4096];
	size_t n = frame(in, saddr, sport, dport, payload), outlen = sizeof(out);
	__u32 v = ~0U;

	if (kfaas_invoke_run(&st, in, n, out, &outlen, 1, &v, NULL))
		ktap_print_msg("invoke run: %s", kfaas_errmsg());
	return v;
}

static struct kfaas_fn_info load(const char *path, const char *name)
{
	struct kfaas_fn_info fi = { 0 };

	if (kfaas_fn_load(&st, path, name, &fi)) {
		ktap_print_msg("load %s: %s", name, kfaas_errmsg());
		exit(KSFT_FAIL);
	}
	return fi;
}

/* route udp port -> fn with route options o (policy -1: default). */
static int route(int port, const char *fn, int policy,
		 struct kfaas_route_opts o)
{
	struct kfaas_route_key key;
	struct kfaas_route r;
	char p[8];

	snprintf(p, sizeof(p), "%d", port);
	if (kfaas_route_key_make(&key, "udp", p, NULL) ||
	    kfaas_route_make(&st, &key, fn, 0, NULL, policy, &r) ||
	    kfaas_route_opts_set(&st, &r, &o) || kfaas_route_add(&st, &key, &r)) {
		ktap_print_msg("route %d: %s", port, kfaas_errmsg());
		return -1;
	}
	return 0;
}

static void unroute(int port)
{
	struct kfaas_route_key key;
	char p[8];

	snprintf(p, sizeof(p), "%d", port);
	kfaas_route_key_make(&key, "udp", p, NULL);
	kfaas_route_del(&st, &key);
}

/* The route of port again, with other options. */
static void reroute(int port, const char *fn, int policy,
		    struct kfaas_route_opts o)
{
	unroute(port);
	route(port, fn, policy, o);
}

static struct kfaas_route route_get(int port)
{
	struct kfaas_route_key key;
	struct kfaas_route r = { 0 };
	char p[8];

	snprintf(p, sizeof(p), "%d", port);
	kfaas_route_key_make(&key, "udp", p, NULL);
	kfaas_route_get(&st, &key, &r);
	return r;
}

static struct kfaas_stats stats(__u32 id)
{
	struct kfaas_stats s;

	kfaas_stats_read(&st, id, &s);
	return s;
}

static struct kfaas_guard_stats refusals(__u32 id)
{
	struct kfaas_guard_stats g;

	kfaas_guard_stats_read(&st, id, &g);
	return g;
}

static __u64 dstat(unsigned int idx)
{
	__u64 d[KFAAS_DSTAT_MAX];

	kfaas_dstats_read(&st, d);
	return d[idx];
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_budgets(const struct kfaas_fn_info *echo)
{
	struct kfaas_limits l = { .rps = 1, .rps_burst = 5 };
	struct kfaas_stats a, b;
	__u64 d0 = dstat(KFAAS_DSTAT_THROTTLED);
	int tx, other;
	double t0, t;

	ktap_test_result(!(route_get(7).flags & KFAAS_ROUTE_F_BUDGET),
			 "a function without a budget: its route has no budget "
			 "flag (one flag test per request)");
	kfaas_budget_set(&st, echo->id, &l);
	ktap_test_result(route_get(7).flags & KFAAS_ROUTE_F_BUDGET,
			 "budget set: the route carries the budget flag");
	a = stats(echo->id);
	t0 = now_s();
	wire_n(100, "192.0.2.1", 40000, 7, "hello", &tx, &other);
	t = now_s() - t0;
	b = stats(echo->id);
	/* 1/s: one more token per whole second the 100 runs took */
	ktap_test_result(tx >= 5 && tx <= 5 + (int)t,
			 "rps 1 burst 5, without kfaas.ko: the burst of 100 "
			 "answered (%d in %.2f s)", tx, t);
	ktap_test_result(b.invocations - a.invocations == (__u64)tx &&
			 b.throttled - a.throttled == (__u64)other &&
			 dstat(KFAAS_DSTAT_THROTTLED) - d0 == (__u64)other,
			 "invocations + throttled = 100 exactly, in the function's "
			 "and the dispatcher's counters");
	ktap_test_result(other > 0 && wire("192.0.2.1", 40000, 7, "x", NULL) ==
			 XDP_DROP, "over budget: dropped (policy drop)");
	reroute(7, "echo", KFAAS_POLICY_PASS, KFAAS_ROUTE_OPTS_AUTO);
	ktap_test_result(wire("192.0.2.1", 40000, 7, "x", NULL) == XDP_PASS,
			 "policy pass: passed up to the next tier");
	kfaas_budget_clear(&st, echo->id);
	ktap_test_result(!(route_get(7).flags & KFAAS_ROUTE_F_BUDGET) &&
			 wire("192.0.2.1", 40000, 7, "x", NULL) == XDP_TX,
			 "budget clear: flag gone, answered again");

	/* bytes: 1 B/s; each answer takes 10 bytes in and 10 out */
	l = (struct kfaas_limits){ .bytes_per_sec = 1, .bytes_burst = 3 * 20 };
	kfaas_budget_set(&st, echo->id, &l);
	wire_n(10, "192.0.2.1", 40000, 7, "0123456789", &tx, &other);
	KTAP_EXPECT_EQ(tx, 3, "bytes 1/s burst 60: three 10-byte echoes "
		       "(request taken at admission, reply charged after)");
	/* CPU: charged after the run, every run timed (cpu-sample 1) */
	{
		struct kfaas_globals g;

		kfaas_globals_get(&st, &g);
		g.time_shift = 0;
		kfaas_globals_set(&st, &g);
	}
	l = (struct kfaas_limits){ .cpu_ns_per_sec = 1, .cpu_burst_ns = 1 };
	kfaas_budget_set(&st, echo->id, &l);
	wire_n(10, "192.0.2.1", 40000, 7, "x", &tx, &other);
	KTAP_EXPECT_EQ(tx, 1, "CPU 1 ns/s: the first run is admitted, its "
		       "CPU time puts the bucket in debt for the rest");
	kfaas_budget_clear(&st, echo->id);
}

static void test_ratio(const struct kfaas_fn_info *amp)
{
	struct kfaas_route_opts o = KFAAS_ROUTE_OPTS_AUTO;
	struct kfaas_stats a, b;
	struct kfaas_guard_stats g0, g1;
	__u64 d0 = dstat(KFAAS_DSTAT_RATIO);
	size_t out = 0;

	route(5000, "amp", -1, o);
	ktap_test_result(route_get(5000).max_ratio == KFAAS_RATIO_DEFAULT &&
			 (route_get(5000).flags & KFAAS_ROUTE_F_GUARD),
			 "a function declaring no ratio: cap 3, guard on");
	a = stats(amp->id);
	g0 = refusals(amp->id);
	ktap_test_result(wire("192.0.2.1", 40000, 5000, "3abc", &out) == XDP_TX &&
			 out > 12 && wire("192.0.2.1", 40000, 5000, "4abc", NULL) ==
			 XDP_DROP, "cap 3: a reply of 3x the request is sent, 4x "
			 "is not");
	b = stats(amp->id);
	g1 = refusals(amp->id);
	ktap_test_result(b.invocations - a.invocations == 2 &&
			 b.drops - a.drops == 1 && g1.ratio - g0.ratio == 1 &&
			 dstat(KFAAS_DSTAT_RATIO) - d0 == 1,
			 "the refused reply: one invocation dropped, counted per "
			 "function and by the dispatcher");
	o.ratio = 500;
	reroute(5000, "amp", -1, o);
	ktap_test_result(wire("192.0.2.1", 40000, 5000, "5abc", NULL) == XDP_TX &&
			 wire("192.0.2.1", 40000, 5000, "6abc", NULL) == XDP_DROP,
			 "ratio 5: 5x sent, 6x not");
	o.ratio = 0;
	reroute(5000, "amp", -1, o);
	ktap_test_result(wire("192.0.2.1", 40000, 5000, "9abc", NULL) == XDP_TX,
			 "ratio any: 9x sent");
	unroute(5000);
}

static void test_loops(const struct kfaas_fn_info *echo)
{
	struct kfaas_route_opts o = KFAAS_ROUTE_OPTS_AUTO;
	struct kfaas_guard_stats g0 = refusals(echo->id), g1;
	__u64 d0 = dstat(KFAAS_DSTAT_LOOP);

	ktap_test_result(wire("192.0.2.1", 53, 7, "x", NULL) == XDP_DROP &&
			 wire("192.0.2.1", 19, 7, "x", NULL) == XDP_DROP &&
			 wire("192.0.2.1", 11211, 7, "x", NULL) == XDP_DROP,
			 "from domain, chargen, memcached: not answered");
	ktap_test_result(wire("192.0.2.1", 7, 7, "x", NULL) == XDP_DROP,
			 "from the route's own port: not answered");
	route(23456, "amp", -1, o);
	ktap_test_result(wire("192.0.2.1", 23456, 7, "x", NULL) == XDP_DROP,
			 "from the port of another kfaas route: not answered");
	unroute(23456);
	ktap_test_result(wire("192.0.2.1", 23456, 7, "x", NULL) == XDP_TX &&
			 wire("192.0.2.1", 40000, 7, "x", NULL) == XDP_TX,
			 "... once that route is gone, answered; so is an "
			 "ephemeral port");
	g1 = refusals(echo->id);
	ktap_test_result(g1.loop - g0.loop == 5 &&
			 dstat(KFAAS_DSTAT_LOOP) - d0 == 5,
			 "5 loop refusals counted per function and by the dispatcher");
	ktap_test_result(invoked("192.0.2.1", 53, 7, "x") == XDP_TX,
			 "kfaas invoke's frame (the token in its metadata) passes");
	o.loops = 1;
	reroute(7, "echo", -1, o);
	ktap_test_result(wire("192.0.2.1", 53, 7, "x", NULL) == XDP_TX,
			 "loops allow: answered");
	reroute(7, "echo", -1, KFAAS_ROUTE_OPTS_AUTO);
}

static void guard_config(__u64 rate, __u64 burst, int plen4, int plen6)
{
	struct kfaas_globals g;

	kfaas_globals_get(&st, &g);
	g.guard_rate = rate;
	g.guard_burst = burst;
	g.guard_plen4 = (__u8)plen4;
	g.guard_plen6 = (__u8)plen6;
	if (kfaas_guard_derive(&g) || kfaas_globals_set(&st, &g))
		ktap_print_msg("guard config: %s", kfaas_errmsg());
}

/* Answers to n requests from n addresses of fmt (an %d for 1..n). */
static int spoofed(const char *fmt, int n, uint16_t port)
{
	char a[64];
	int i, tx = 0;

	for (i = 1; i <= n; i++) {
		snprintf(a, sizeof(a), fmt, i);
		tx += wire(a, 40000, port, "1abc", NULL) == XDP_TX;
	}
	return tx;
}

static void test_guard(const struct kfaas_fn_info *amp)
{
	struct kfaas_guard_stats g0, g1;
	__u64 d0;

	route(5001, "amp", -1, KFAAS_ROUTE_OPTS_AUTO);
	guard_config(1, 4, 24, 56);
	g0 = refusals(amp->id);
	d0 = dstat(KFAAS_DSTAT_GUARD);
	KTAP_EXPECT_EQ(spoofed("10.9.8.%d", 200, 5001), 4,
		       "guard 1/s burst 4: 200 sources of one /24 get 4 answers");
	KTAP_EXPECT_EQ(spoofed("10.9.9.%d", 200, 5001), 4,
		       "another /24 has its own bucket: 4 more");
	g1 = refusals(amp->id);
	ktap_test_result(g1.guard - g0.guard == 392 &&
			 dstat(KFAAS_DSTAT_GUARD) - d0 == 392,
			 "392 refusals counted per function and by the dispatcher");
	KTAP_EXPECT_EQ(spoofed("2001:db8:1:2%02x::1", 100, 5001) +
		       spoofed("2001:db8:1:3%02x::1", 100, 5001), 8,
		       "IPv6: 200 sources in two /56 prefixes get 4 answers each");
	ktap_test_result(invoked("10.9.8.1", 40000, 5001, "1abc") == XDP_TX,
			 "kfaas invoke's frame is not limited");
	guard_config(1, 4, 32, 128);
	KTAP_EXPECT_EQ(spoofed("10.9.7.%d", 20, 5001), 20,
		       "guard-prefix4 32: every address its own bucket");
	guard_config(KFAAS_GUARD_RATE_DEFAULT, KFAAS_GUARD_BURST_DEFAULT,
		     KFAAS_GUARD_PLEN4_DEFAULT, KFAAS_GUARD_PLEN6_DEFAULT);
	unroute(5001);
}

int main(void)
{
	struct kfaas_fn_info echo, amp;
	const char *b = getenv("B") ? getenv("B") : "build";
	char root[128], path[512];

	ktap_print_header();
	if (getuid() != 0)
		ktap_exit_skip("needs root");
	kfaas_set_verbose(false);
	snprintf(root, sizeof(root), "/sys/fs/bpf/kfaas-test-admit-%d", getpid());
	if (kfaas_state_open(&st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK))
		ktap_exit_skip("cannot create kfaas state");
	ktap_set_plan(28);
	snprintf(path, sizeof(path), "%s/bpf/echo.bpf.o", b);
	echo = load(path, "echo");
	snprintf(path, sizeof(path), "%s/tests/bpf/amp.bpf.o", b);
	amp = load(path, "amp");
	route(7, "echo", -1, KFAAS_ROUTE_OPTS_AUTO);
	ktap_test_result(echo.reply_ratio == 100 && amp.reply_ratio == 0 &&
			 !(route_get(7).flags & KFAAS_ROUTE_F_GUARD) &&
			 route_get(7).max_ratio == 100,
			 "echo declares ratio 1 (no guard, cap 1), amp none");
	test_budgets(&echo);
	test_ratio(&amp);
	test_loops(&echo);
	test_guard(&amp);
	kfaas_state_close(&st);
	kfaas_state_destroy(root);
	return ktap_finished();
}
