// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-bench: BPF_PROG_TEST_RUN measurements of the XDP tier, each
 * beside its alternative in the same rounds (see bench.h):
 *
 *   kfaas-bench dispatch   dispatcher + tail call + accounting vs the
 *                          same echo run bare (issue 6, item 1)
 *   kfaas-bench routes     dispatch cost with 1 .. 100000 routes, beside
 *                          libxdp-style chains of 1 and 10 programs (2)
 *   kfaas-bench live       Mpps with BPF_F_TEST_XDP_LIVE_FRAMES (4)
 *   kfaas-bench accounting kfaas.ko's admission + charge kfuncs vs map
 *                          accounting vs none, through the dispatcher (8;
 *                          run in a guest that can load the module)
 *   kfaas-bench frame      write the request frame `kfaas invoke --repeat`
 *                          runs, for the bpftool comparison (5)
 *
 * Each prints one JSON object (docs/performance.md) on stdout.  Every
 * kfaas state it makes lives under PREFIX-* (--pin-root) and is removed
 * before it exits.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"

#ifndef KFAAS_BENCH_BPF_DIR
#define KFAAS_BENCH_BPF_DIR "build/bench/bpf"
#endif
/* The project's objects (echo, dispatcher, ...): beside bench/bpf. */
#ifndef KFAAS_BPF_DIR
#define KFAAS_BPF_DIR "build/bpf"
#endif
#define MAX_ROOTS	8
#define ECHO_PORT	7
#define PAYLOAD		32

static struct {
	const char	*prefix;
	const char	*bench_dir;
	struct bopts	o;
	int		time_shift;
	const char	*counts;
	const char	*ifname;
	const char	*out;
	const char	*fn;
	const char	*data;
	int		libxdp[2];	/* prog ids of libxdp dispatchers: 1, 10 */
} opt = {
	.o = { .repeat = 1000000, .rounds = 7 },
	.time_shift = 6,
	.counts = "1,10,1000,100000",
	.fn = "echo",
	.data = "kfaas-bench",
};

static const char *core_dir(void)
{
	return getenv("KFAAS_BPF_DIR") ?: KFAAS_BPF_DIR;
}

/* kfaas states made by this run, removed at exit */
static struct kfaas_state roots[MAX_ROOTS];
static int nroots;

static void roots_destroy(void)
{
	int i;

	/* close keeps the root's name */
	for (i = 0; i < nroots; i++) {
		kfaas_state_close(&roots[i]);
		kfaas_state_destroy(roots[i].root);
	}
	nroots = 0;
}

static int die_lib(const char *what)
{
	fprintf(stderr, "kfaas-bench: %s: %s\n", what, kfaas_errmsg());
	return -1;
}

/* A fresh kfaas state PREFIX-tag with the function obj loaded as name;
 * its route is added by the caller. */
static struct kfaas_state *root_new_fn(const char *tag, const char *obj,
				       const char *name)
{
	struct kfaas_state *st;
	struct kfaas_fn_info fi;
	char path[KFAAS_PIN_ROOT_MAX];

	if (nroots == MAX_ROOTS)
		return NULL;
	st = &roots[nroots];
	snprintf(path, sizeof(path), "%s-%s", opt.prefix, tag);
	kfaas_state_destroy(path);	/* a leftover of a killed run */
	if (kfaas_state_open(st, path, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK)) {
		die_lib(path);
		return NULL;
	}
	nroots++;
	if (kfaas_fn_load(st, obj, name, &fi)) {
		die_lib(obj);
		return NULL;
	}
	return st;
}

/* ... with the echo example loaded as "echo". */
static struct kfaas_state *root_new(const char *tag)
{
	char obj[512];

	snprintf(obj, sizeof(obj), "%s/echo.bpf.o", core_dir());
	return root_new_fn(tag, obj, "echo");
}

/* Route udp [addr:]port to the function fn, through the library like
 * the CLI. */
static int route_to(struct kfaas_state *st, const char *fn, const char *addr,
		    uint16_t port)
{
	static struct kfaas_state *cached;
	static char cached_fn[KFAAS_NAME_LEN];
	static __u32 id;
	struct kfaas_route_key k;
	struct kfaas_route r = { .tier = KFAAS_TIER_XDP };
	struct kfaas_fn_info fi;
	char p[8];

	if (cached != st || strcmp(cached_fn, fn)) {
		if (kfaas_fn_find(st, fn, &fi))
			return die_lib(fn);
		cached = st;
		snprintf(cached_fn, sizeof(cached_fn), "%s", fn);
		id = fi.id;
	}
	snprintf(p, sizeof(p), "%u", port);
	if (kfaas_route_key_make(&k, "udp", p, addr))
		return die_lib("route");
	r.fn_id = id;
	/*
	 * The bench's frames are symmetric (source = destination: each
	 * run's reply is the next run's request), which is a loop the
	 * dispatcher refuses (bpf/kfaas_guard.h): allow it.  Without the
	 * guard, the ratio cap or a budget this measures what every route
	 * that asks for none of them costs: one flag test.
	 */
	r.flags = KFAAS_ROUTE_F_LOOP_OK |
		  KFAAS_ROUTE_F_GUARD_SET |	/* guard: off, as chosen */
		  KFAAS_ROUTE_F_RATIO_SET;	/* max_ratio 0: no cap, as chosen */
	if (kfaas_route_add(st, &k, &r))
		return die_lib("route add");
	return 0;
}

static int route_to_echo(struct kfaas_state *st, const char *addr, uint16_t port)
{
	return route_to(st, "echo", addr, port);
}

static int bench_obj(const char *name, struct bpf_object **obj)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.bpf.o", opt.bench_dir, name);
	return bench_prog_load(path, obj);
}

static int core_obj(const char *name, struct bpf_object **obj)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.bpf.o", core_dir(), name);
	return bench_prog_load(path, obj);
}

static json_object *result_new(const char *id)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(p, "repeat", json_object_new_int64(opt.o.repeat));
	json_object_object_add(p, "rounds", json_object_new_int(opt.o.rounds));
	json_object_object_add(p, "frame", json_object_new_string(
		"Ethernet/IPv4/UDP, 32-byte payload, source = destination"));
	json_object_object_add(o, "params", p);
	json_object_object_add(o, "rows", json_object_new_array());
	return o;
}

static void add_variants(json_object *res, struct bvar *v, int n)
{
	json_object *vs = json_object_new_object();
	int i;

	for (i = 0; i < n; i++)
		json_object_object_add(vs, v[i].name,
				       bench_var_json(&v[i], opt.o.rounds));
	json_object_object_add(res, "variants", vs);
}

static void add_row(json_object *res, json_object *row)
{
	json_object *rows;

	json_object_object_get_ex(res, "rows", &rows);
	json_object_array_add(rows, row);
}

static double med(const struct bvar *v)
{
	return bench_median(v->ns, opt.o.rounds);
}

/* A row comparing two variants measured in the same rounds. */
static json_object *pair_row(const char *bench, const char *what,
			     const struct bvar *a, const struct bvar *b,
			     const char *target, double max_added)
{
	double d = bench_delta(a, b, opt.o.rounds);
	json_object *row = bench_row(bench, what, med(a), med(b), "ns",
				     bench_ratio(a, b, opt.o.rounds), target,
				     max_added > 0 ? d <= max_added : -1);

	json_object_object_add(row, "added", bench_num(d));
	return row;
}

static int emit(json_object *res)
{
	const char *s = json_object_to_json_string_ext(res,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f = opt.out ? fopen(opt.out, "w") : stdout;

	if (!f) {
		fprintf(stderr, "kfaas-bench: cannot write %s: %s\n", opt.out,
			strerror(errno));
		return -1;
	}
	fprintf(f, "%s\n", s);
	if (f != stdout)
		fclose(f);
	return 0;
}

/* ---- 1: dispatcher overhead ------------------------------------------ */
/* exp_tail: the tail-calling program, its slots filled with the target */
static int tail_obj(struct bpf_object **obj)
{
	struct bpf_program *from, *to;
	struct bpf_map *arr;
	char path[512];
	__u32 k;
	int fd;

	snprintf(path, sizeof(path), "%s/exp_tail.bpf.o", opt.bench_dir);
	if (bench_prog_load(path, obj) < 0)
		return -1;
	from = bpf_object__find_program_by_name(*obj, "bench_tail");
	to = bpf_object__find_program_by_name(*obj, "bench_target");
	arr = bpf_object__find_map_by_name(*obj, "bench_progs");
	if (!from || !to || !arr)
		return -1;
	fd = bpf_program__fd(to);
	for (k = 0; k < 2; k++)
		if (bpf_map_update_elem(bpf_map__fd(arr), &k, &fd, BPF_ANY))
			return -1;
	return bpf_program__fd(from);
}

/* exp_tail's program whose tail call has a constant key (tail_fd: of
 * tail_obj(), which loaded obj) */
static int tail_direct_fd(struct bpf_object *obj, int tail_fd)
{
	struct bpf_program *p;

	if (tail_fd < 0)
		return -1;
	p = bpf_object__find_program_by_name(obj, "bench_tail_direct");
	return p ? bpf_program__fd(p) : -1;
}

/*
 * A dispatcher variant sharing st's pinned maps, as the loader does: its
 * first program (the one without kfaas.ko's kfuncs).
 */
static int shared_obj(const char *name, struct kfaas_state *st,
		      struct bpf_object **obj)
{
	struct bpf_program *p;
	struct bpf_map *m;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.bpf.o", opt.bench_dir, name);
	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return -1;
	bpf_object__for_each_map(m, *obj) {
		const char *mn = bpf_map__name(m);
		int fd;

		if (strncmp(mn, "kfaas_", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->root, mn + 6);
		fd = bpf_obj_get(path);
		if (fd < 0 || bpf_map__reuse_fd(m, fd)) {
			fprintf(stderr, "kfaas-bench: %s: cannot share %s\n",
				name, path);
			return -1;
		}
		close(fd);
	}
	bpf_object__for_each_program(p, *obj)
		bpf_program__set_autoload(p, p == bpf_object__next_program(*obj, NULL));
	if (bpf_object__load(*obj)) {
		fprintf(stderr, "kfaas-bench: cannot load %s: %s\n", name,
			strerror(errno));
		return -1;
	}
	p = bpf_object__next_program(*obj, NULL);
	return p ? bpf_program__fd(p) : -1;
}

/* Split the added ns of the sampled configuration into its parts. */
static json_object *breakdown(struct bvar *v)
{
	enum { FLOOR, BARE, SDK, NOROUTE, T0, TS, PARSE, TAIL, EXPH, NOACCT,
	       EXPP, TAILD };
	int R = opt.o.rounds;
	double added = bench_delta(&v[TS], &v[BARE], R);
	double lookup = bench_delta(&v[NOROUTE], &v[PARSE], R);
	double tail = bench_delta(&v[TAILD], &v[FLOOR], R);
	double timing = bench_delta(&v[T0], &v[TS], R) /
			(1.0 - 1.0 / (1 << opt.time_shift));
	double sampled = timing / (1 << opt.time_shift);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "parse_ns", bench_num(bench_delta(&v[PARSE], &v[FLOOR], R)));
	json_object_object_add(o, "route_lookup_and_counters_ns", bench_num(lookup));
	json_object_object_add(o, "tail_call_ns", bench_num(tail));
	json_object_object_add(o, "tail_call_runtime_key_ns",
			       bench_num(bench_delta(&v[TAIL], &v[FLOOR], R)));
	json_object_object_add(o, "timing_two_ktime_calls_ns", bench_num(timing));
	json_object_object_add(o, "timing_sampled_ns", bench_num(sampled));
	json_object_object_add(o, "sdk_handover_and_accounting_ns",
			       bench_num(added - lookup - tail - sampled));
	json_object_object_add(o, "added_sampled_ns", bench_num(added));
	json_object_object_add(o, "dispatch_tail_call_handover_ns",
			       bench_num(bench_delta(&v[NOACCT], &v[BARE], R)));
	json_object_object_add(o, "timing_and_accounting_sampled_ns",
			       bench_num(bench_delta(&v[TS], &v[NOACCT], R)));
	json_object_object_add(o, "port_index_saved_ns",
			       bench_num(bench_delta(&v[EXPH], &v[EXPP], R)));
	json_object_object_add(o, "direct_jump_saved_ns",
			       bench_num(bench_delta(&v[EXPP], &v[TS], R)));
	json_object_object_add(o, "how", json_object_new_string(
		"parse = parse_only - floor; route lookup and counters = "
		"dispatch_noroute - parse_only; tail call = tailcall_direct - "
		"floor (the dispatcher's, for ids below KFAAS_DIRECT_IDS), "
		"tail call with a run-time key = tailcall - floor; "
		"timing = (dispatch_t0 - dispatch_ts) / (1 - 2^-time_shift); "
		"the rest of (dispatch_ts - bare) is the hand-over through the "
		"scratch map and the SDK's accounting (the sampling's xorshift "
		"included); second split: dispatch_noacct - bare = dispatcher, "
		"tail call and hand-over; dispatch_ts - dispatch_noacct = the "
		"sampled timing and the accounting; what the changes of issue 16 "
		"bought: port index = exp_hash_indirect_ts - exp_port_indirect_ts, "
		"direct jump = exp_port_indirect_ts - dispatch_ts"));
	return o;
}

/*
 * The kfaas_log() variants' states: echo_log as "log" (its rate limit),
 * echo_log_all as "log" twice (no limit: nobody reading, a reader).
 */
static int log_roots(struct kfaas_state *sl[3])
{
	static const char *const tags[] = { "dl", "dlf", "dlw" };
	char obj[512];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(obj, sizeof(obj), "%s/echo_log%s.bpf.o", opt.bench_dir,
			 i ? "_all" : "");
		sl[i] = root_new_fn(tags[i], obj, "log");
		if (!sl[i] || route_to(sl[i], "log", NULL, ECHO_PORT))
			return -1;
	}
	return 0;
}

/* v[LOGV..LOGV+2]: kfaas_log()'s cost beside the same echo without it (v[5]). */
/* where cmd_dispatch() lists log_rate, log_ring_full, log_written */
#define LOGV	12

static void log_rows(json_object *res, struct bvar *v, double written)
{
	char what[160];

	add_row(res, pair_row("1 dispatch", "kfaas_log() per request, over its "
			      "rate: dropped, counted (vs echo without it)",
			      &v[LOGV], &v[5], NULL, 0));
	add_row(res, pair_row("1 dispatch", "kfaas_log() per request, nobody "
			      "reading: ring full, dropped, counted (vs echo "
			      "without it)", &v[LOGV + 1], &v[5], NULL, 0));
	snprintf(what, sizeof(what), "kfaas_log() per request, a reader draining "
		 "the ring: %.0f%% of calls written (vs echo without it)",
		 written * 100);
	add_row(res, pair_row("1 dispatch", what, &v[LOGV + 2], &v[5], NULL, 0));
}

static int cmd_dispatch(void)
{
	struct bpf_object *o_pass = NULL, *o_bare = NULL, *o_parse = NULL,
			  *o_tail = NULL, *o_exp[2] = {};
	uint8_t f7[256], f9[256];
	size_t l7, l9;
	struct kfaas_state *st, *sn, *sl[3];
	double written = -1;
	char obj[512];
	json_object *res;
	char what[160];
	int fn_fd = -1, tail_fd, rc = -1;

	st = root_new("d");
	if (!st || route_to_echo(st, NULL, ECHO_PORT))
		goto out;
	snprintf(obj, sizeof(obj), "%s/echo_noacct.bpf.o", opt.bench_dir);
	sn = root_new_fn("dn", obj, "noacct");
	if (!sn || route_to(sn, "noacct", NULL, ECHO_PORT) || log_roots(sl) ||
	    bench_log_reader_start(sl[2]))
		goto out;
	l7 = bench_frame(f7, sizeof(f7), ECHO_PORT, PAYLOAD);
	l9 = bench_frame(f9, sizeof(f9), 9, PAYLOAD);
	fn_fd = kfaas_fn_prog_fd(st, "echo");
	if (fn_fd < 0) {
		fprintf(stderr, "kfaas-bench: no echo program: %s\n", strerror(-fn_fd));
		goto out;
	}
	tail_fd = tail_obj(&o_tail);
	{
		struct bvar v[] = {
			{ "floor", "XDP_PASS and nothing else: the test-run loop itself",
			  core_obj("xdp_pass", &o_pass), f7, l7, XDP_PASS },
			{ "bare", "bare echo: the SDK's parse + reply code, no dispatcher, no accounting",
			  bench_obj("bare_echo", &o_bare), f7, l7, XDP_TX },
			{ "sdk_alone", "echo function run on its own: SDK parses, times and accounts "
			  "(without the dispatcher's hand-over time_shift does not apply: every run timed)",
			  fn_fd, f7, l7, XDP_TX, 0, st, 0 },
			{ "dispatch_noroute", "dispatcher, frame without a route: parse + lookup, XDP_PASS",
			  st->disp_fd, f9, l9, XDP_PASS, 0, st, 0 },
			{ "dispatch_t0", "dispatcher -> echo, every invocation timed (time_shift 0, cpu-sample 1)",
			  st->disp_fd, f7, l7, XDP_TX, 0, st, 0 },
			{ "dispatch_ts", "dispatcher -> echo, 1 in 2^time_shift invocations timed "
			  "(at random; 6, 1 in 64, is the default configuration)",
			  st->disp_fd, f7, l7, XDP_TX, 0, st, (uint32_t)opt.time_shift },
			{ "parse_only", "the frame parser alone, then XDP_PASS",
			  bench_obj("exp_parse", &o_parse), f7, l7, XDP_PASS },
			{ "tailcall", "one tail call (run-time key) to a program returning XDP_PASS",
			  tail_fd, f7, l7, XDP_PASS },
			{ "exp_hash_indirect_ts", "EXPERIMENT: the dispatcher as before issue 16 "
			  "(routes in the hash only, tail call with a run-time key) -> echo, "
			  "1 in 2^time_shift timed",
			  shared_obj("exp_disp_hash", st, &o_exp[0]), f7, l7, XDP_TX, 0, st,
			  (uint32_t)opt.time_shift },
			{ "dispatch_noacct", "dispatcher -> an echo that neither times nor accounts "
			  "(tools/bench/bpf/echo_noacct.bpf.c)",
			  sn->disp_fd, f7, l7, XDP_TX, 0, sn, (uint32_t)opt.time_shift },
			{ "exp_port_indirect_ts", "EXPERIMENT: port-indexed routes, tail call with "
			  "a run-time key -> echo, 1 in 2^time_shift timed",
			  shared_obj("exp_disp_port", st, &o_exp[1]), f7, l7, XDP_TX, 0, st,
			  (uint32_t)opt.time_shift },
			{ "tailcall_direct", "one tail call (constant key: a direct jump) to a "
			  "program returning XDP_PASS",
			  tail_direct_fd(o_tail, tail_fd), f7, l7, XDP_PASS },
			{ "log_rate", "dispatcher -> echo with kfaas_log() per request, "
			  "over its rate: dropped, counted (tools/bench/bpf/echo_log.bpf.c)",
			  sl[0]->disp_fd, f7, l7, XDP_TX, 0, sl[0], (uint32_t)opt.time_shift },
			{ "log_ring_full", "the same, rate limit off, nobody reading: "
			  "the ring full, dropped, counted",
			  sl[1]->disp_fd, f7, l7, XDP_TX, 0, sl[1], (uint32_t)opt.time_shift },
			{ "log_written", "the same, rate limit off, a thread draining the "
			  "ring: the record formatted and written",
			  sl[2]->disp_fd, f7, l7, XDP_TX, 0, sl[2], (uint32_t)opt.time_shift },
		};
		int n = sizeof(v) / sizeof(v[0]), i;

		if (n < LOGV + 3 || strcmp(v[LOGV].name, "log_rate")) {
			fprintf(stderr, "kfaas-bench: internal: the log variants "
				"are not at LOGV\n");
			goto out_v;
		}
		for (i = 0; i < n; i++)
			if (v[i].prog_fd < 0)
				goto out_v;
		if (bench_validate(v, n) || bench_measure(v, n, &opt.o))
			goto out_v;
		bench_log_reader_stop();
		written = bench_log_written(sl[2], "log");
		res = result_new("dispatch");
		json_object_object_add(json_object_object_get(res, "params"),
				       "time_shift", json_object_new_int(opt.time_shift));
		add_variants(res, v, n);
		json_object_object_add(res, "breakdown", breakdown(v));
		add_row(res, pair_row("1 dispatch", "dispatcher+tail call+accounting, every "
				      "invocation timed, cpu-sample 1 (vs bare echo)", &v[4], &v[1],
				      "<= 15 ns added", 15));
		snprintf(what, sizeof(what), "dispatcher+tail call+accounting, 1/%d timed%s "
			 "(vs bare echo)", 1 << opt.time_shift,
			 opt.time_shift == KFAAS_TIME_SHIFT_DEFAULT ? " (default)" : "");
		add_row(res, pair_row("1 dispatch", what, &v[5], &v[1],
				      "<= 15 ns added", 15));
		snprintf(what, sizeof(what), "EXPERIMENT before issue 16: hash routes, "
			 "run-time tail call, 1/%d timed (vs bare echo)",
			 1 << opt.time_shift);
		add_row(res, pair_row("1 dispatch", what, &v[8], &v[1],
				      "<= 15 ns added", 15));
		snprintf(what, sizeof(what), "EXPERIMENT port-indexed routes, run-time "
			 "tail call, 1/%d timed (vs bare echo)", 1 << opt.time_shift);
		add_row(res, pair_row("1 dispatch", what, &v[10], &v[1],
				      "<= 15 ns added", 15));
		add_row(res, pair_row("1 dispatch", "tail call, run-time key (vs constant "
				      "key)", &v[7], &v[11], NULL, 0));
		add_row(res, pair_row("1 dispatch", "dispatcher+tail call+hand-over, no timing, "
				      "no accounting (vs bare echo)", &v[9], &v[1], NULL, 0));
		add_row(res, pair_row("1 dispatch", "echo alone: SDK parse+timing+accounting "
				      "(vs bare echo)", &v[2], &v[1], NULL, 0));
		add_row(res, pair_row("1 dispatch", "dispatcher, no route: parse+lookup "
				      "(vs XDP_PASS floor)", &v[3], &v[0], NULL, 0));
		log_rows(res, v, written);
		rc = emit(res);
		json_object_put(res);
out_v:
		bench_free(v, n);
	}
out:
	bench_log_reader_stop();
	if (fn_fd >= 0)
		close(fn_fd);
	bpf_object__close(o_pass);
	bpf_object__close(o_bare);
	bpf_object__close(o_parse);
	bpf_object__close(o_tail);
	bpf_object__close(o_exp[0]);
	bpf_object__close(o_exp[1]);
	roots_destroy();
	return rc;
}

/* ---- 2: route scale --------------------------------------------------- */
/* n routes: the measured one (udp 192.0.2.2:7) and n - 1 others */
static int fill_routes(struct kfaas_state *st, long n)
{
	long i;

	if (route_to_echo(st, "192.0.2.2", ECHO_PORT))
		return -1;
	for (i = 1; i < n; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.%ld.%ld.%ld", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		if (route_to_echo(st, a, ECHO_PORT))
			return -1;
	}
	return 0;
}

static int cmd_routes(void)
{
	struct bpf_object *o_bare = NULL, *o_c1 = NULL, *o_c10 = NULL;
	struct bvar v[MAX_ROOTS + 8] = {};
	long counts[MAX_ROOTS];
	char names[MAX_ROOTS][32], descs[MAX_ROOTS][96];
	uint8_t f7[256], f7001[256], f7010[256];
	size_t l7, l7001, l7010;
	int nc = 0, n = 0, i, rc = -1, fd_x[2] = { -1, -1 }, c10_fd;
	char *list = strdup(opt.counts), *tok, *save = NULL;
	json_object *res, *cj;
	char what[160];

	l7 = bench_frame(f7, sizeof(f7), ECHO_PORT, PAYLOAD);
	l7001 = bench_frame(f7001, sizeof(f7001), 7001, PAYLOAD);
	l7010 = bench_frame(f7010, sizeof(f7010), 7010, PAYLOAD);
	for (tok = strtok_r(list, ",", &save); tok && nc < MAX_ROOTS - 1;
	     tok = strtok_r(NULL, ",", &save)) {
		long c = strtol(tok, NULL, 10);
		struct kfaas_state *st;
		char tag[32];

		if (c < 1 || c > KFAAS_MAX_ROUTES) {
			fprintf(stderr, "kfaas-bench: bad route count '%s': use "
				"1..%d\n", tok, KFAAS_MAX_ROUTES);
			goto out;
		}
		snprintf(tag, sizeof(tag), "r%ld", c);
		st = root_new(tag);
		if (!st || fill_routes(st, c))
			goto out;
		counts[nc] = c;
		snprintf(names[nc], sizeof(names[nc]), "routes_%ld", c);
		snprintf(descs[nc], sizeof(descs[nc]), "dispatcher -> echo, %ld "
			 "address route%s, 1 in %d invocations timed", c,
			 c == 1 ? "" : "s", 1 << opt.time_shift);
		v[n++] = (struct bvar){ names[nc], descs[nc], st->disp_fd, f7,
					l7, XDP_TX, 0, st, (uint32_t)opt.time_shift };
		nc++;
	}
	v[n++] = (struct bvar){ "bare", "bare echo (reference)",
				bench_obj("bare_echo", &o_bare), f7, l7, XDP_TX };
	v[n++] = (struct bvar){ "chain1", "libxdp-style chain of 1 program, in one program",
				bench_obj("chain1", &o_c1), f7001, l7001, XDP_TX };
	c10_fd = bench_obj("chain10", &o_c10);
	v[n++] = (struct bvar){ "chain10_first", "libxdp-style chain of 10, request for the first",
				c10_fd, f7001, l7001, XDP_TX };
	v[n++] = (struct bvar){ "chain10_last", "libxdp-style chain of 10, request for the last",
				c10_fd, f7010, l7010, XDP_TX };
	for (i = 0; i < 2; i++) {
		if (!opt.libxdp[i])
			continue;
		fd_x[i] = bpf_prog_get_fd_by_id(opt.libxdp[i]);
		if (fd_x[i] < 0) {
			fprintf(stderr, "kfaas-bench: libxdp dispatcher id %d: %s\n",
				opt.libxdp[i], strerror(errno));
			goto out;
		}
		v[n++] = (struct bvar){ i ? "libxdp10_last" : "libxdp1",
			i ? "xdp-loader: libxdp dispatcher, 10 programs, request for the last"
			  : "xdp-loader: libxdp dispatcher, 1 program",
			fd_x[i], i ? f7010 : f7001, i ? l7010 : l7001, XDP_TX };
	}
	for (i = 0; i < n; i++)
		if (v[i].prog_fd < 0)
			goto out;
	if (bench_validate(v, n) || bench_measure(v, n, &opt.o))
		goto out_v;
	res = result_new("routes");
	cj = json_object_new_array();
	for (i = 0; i < nc; i++)
		json_object_array_add(cj, json_object_new_int64(counts[i]));
	json_object_object_add(json_object_object_get(res, "params"), "counts", cj);
	json_object_object_add(json_object_object_get(res, "params"), "time_shift",
			       json_object_new_int(opt.time_shift));
	json_object_object_add(json_object_object_get(res, "params"), "libxdp",
			       json_object_new_boolean(opt.libxdp[0] || opt.libxdp[1]));
	add_variants(res, v, n);
	for (i = 1; i < nc; i++) {
		snprintf(what, sizeof(what), "dispatch with %ld routes (vs 1 route)",
			 counts[i]);
		add_row(res, bench_row("2 routes", what, med(&v[i]), med(&v[0]), "ns",
				       bench_ratio(&v[i], &v[0], opt.o.rounds),
				       "flat (<= 1.10x)",
				       bench_ratio(&v[i], &v[0], opt.o.rounds) <= 1.10));
	}
	{
		struct bvar *c1 = &v[nc + 1], *c10 = &v[nc + 3];

		add_row(res, bench_row("2 routes", "kfaas, 1 route (vs libxdp-style chain of 1)",
				       med(&v[0]), med(c1), "ns",
				       bench_ratio(&v[0], c1, opt.o.rounds), NULL, -1));
		snprintf(what, sizeof(what), "kfaas, 1 of %ld routes (vs libxdp-style "
			 "chain of 10, request for the last)", counts[nc - 1]);
		add_row(res, bench_row("2 routes", what, med(&v[nc - 1]), med(c10), "ns",
				       bench_ratio(&v[nc - 1], c10, opt.o.rounds), NULL, -1));
		for (i = 0; i < 2; i++) {
			struct bvar *x = NULL;
			int j;

			for (j = nc + 4; j < n; j++)
				if (!strcmp(v[j].name, i ? "libxdp10_last" : "libxdp1"))
					x = &v[j];
			if (!x)
				continue;
			if (i)
				snprintf(what, sizeof(what), "kfaas, 1 of %ld routes (vs "
					 "xdp-loader, 10 programs, request for the last)",
					 counts[nc - 1]);
			else
				snprintf(what, sizeof(what), "kfaas, 1 route (vs "
					 "xdp-loader, 1 program)");
			add_row(res, bench_row("2 routes", what,
				med(i ? &v[nc - 1] : &v[0]), med(x), "ns",
				bench_ratio(i ? &v[nc - 1] : &v[0], x, opt.o.rounds),
				NULL, -1));
		}
	}
	rc = emit(res);
	json_object_put(res);
out_v:
	bench_free(v, n);
out:
	for (i = 0; i < 2; i++)
		if (fd_x[i] >= 0)
			close(fd_x[i]);
	bpf_object__close(o_bare);
	bpf_object__close(o_c1);
	bpf_object__close(o_c10);
	roots_destroy();
	free(list);
	return rc;
}

/* ---- 4: live frames ---------------------------------------------------- */
static int cmd_live(void)
{
	struct bpf_object *o_bare = NULL, *o_tx = NULL;
	struct kfaas_state *st;
	uint8_t f7[256];
	size_t l7;
	json_object *res, *row;
	int ifindex, rc = -1, i;

	ifindex = opt.ifname ? (int)if_nametoindex(opt.ifname) : 0;
	if (ifindex <= 0) {
		fprintf(stderr, "kfaas-bench: live needs --ifname DEV of this "
			"network namespace (a veth whose peer runs XDP)\n");
		return -1;
	}
	st = root_new("l");
	if (!st || route_to_echo(st, NULL, ECHO_PORT))
		goto out;
	l7 = bench_frame(f7, sizeof(f7), ECHO_PORT, PAYLOAD);
	{
		struct bvar v[] = {
			{ "dispatch", "dispatcher -> echo (1/2^time_shift timed)",
			  st->disp_fd, f7, l7, XDP_TX, 0, st, (uint32_t)opt.time_shift },
			{ "bare", "bare echo: parse + reply + XDP_TX",
			  bench_obj("bare_echo", &o_bare), f7, l7, XDP_TX },
			{ "tx", "minimal XDP_TX: swap MACs only",
			  bench_obj("bare_tx", &o_tx), f7, l7, XDP_TX },
		};
		int n = sizeof(v) / sizeof(v[0]);

		for (i = 0; i < n; i++)
			if (v[i].prog_fd < 0)
				goto out_v;
		/* correctness first, in copy mode; then live */
		if (bench_validate(v, n))
			goto out_v;
		for (i = 0; i < n; i++)
			v[i].ifindex = ifindex;
		if (bench_measure(v, n, &opt.o))
			goto out_v;
		res = result_new("live");
		json_object_object_add(json_object_object_get(res, "params"),
				       "ifname", json_object_new_string(opt.ifname));
		json_object_object_add(json_object_object_get(res, "params"),
				       "time_shift", json_object_new_int(opt.time_shift));
		add_variants(res, v, n);
		for (i = 1; i < n; i++) {
			double a = 1e3 / med(&v[0]), b = 1e3 / med(&v[i]);

			row = bench_row("4 live", i == 1 ?
					"Mpps/core, dispatcher->echo (vs bare echo)" :
					"Mpps/core, dispatcher->echo (vs MAC-swap XDP_TX)",
					a, b, "Mpps", 1.0 / bench_ratio(&v[0], &v[i], opt.o.rounds),
					NULL, -1);
			add_row(res, row);
		}
		rc = emit(res);
		json_object_put(res);
out_v:
		bench_free(v, n);
	}
out:
	bpf_object__close(o_bare);
	bpf_object__close(o_tx);
	roots_destroy();
	return rc;
}

/* ---- 8: accounting cost: kfaas.ko's kfuncs vs the maps vs none -------- */
/* "DISPATCHER -> FUNCTION": the programs a state's dispatcher runs, by
 * their kernel names (15 characters: kfaas_dispatch_km is kfaas_dispatch_). */
static void prog_names(struct kfaas_state *st, const char *fn, char *buf,
		       size_t len)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	int fd = kfaas_fn_prog_fd(st, fn);

	bpf_obj_get_info_by_fd(st->disp_fd, &a, &la);
	if (fd >= 0) {
		bpf_obj_get_info_by_fd(fd, &b, &lb);
		close(fd);
	}
	snprintf(buf, len, "%s -> %s", a.name, b.name);
}

static int cmd_accounting(void)
{
	struct bpf_object *o_bare = NULL;
	struct kfaas_state *sm, *sn, *sk = NULL;
	struct kfaas_fn_info fi;
	struct kfaas_stats ms0 = {}, ms1 = {};
	bool km = kfaas_module_present();
	char obj[512], what[200], names[3][96] = {};
	uint8_t f7[256];
	size_t l7;
	json_object *res, *params, *progs;
	int rc = -1, mfd = -1, n, i;
	struct bvar v[4];

	/* maps and none: the plain programs, even when the module is there */
	kfaas_module_force_flag(0);
	sm = root_new("am");
	if (!sm || route_to_echo(sm, NULL, ECHO_PORT))
		goto out;
	snprintf(obj, sizeof(obj), "%s/echo_noacct.bpf.o", opt.bench_dir);
	sn = root_new_fn("an", obj, "noacct");
	if (!sn || route_to(sn, "noacct", NULL, ECHO_PORT))
		goto out;
	kfaas_module_force_flag(-1);
	if (km) {
		sk = root_new("ak");
		if (!sk || route_to_echo(sk, NULL, ECHO_PORT))
			goto out;
		mfd = kfaas_state_mod_fd(sk);
		if (mfd < 0 || kfaas_fn_find(sk, "echo", &fi) ||
		    kfaas_mod_stats(mfd, fi.id, &ms0)) {
			die_lib("kfaas.ko");
			goto out;
		}
	}
	l7 = bench_frame(f7, sizeof(f7), ECHO_PORT, PAYLOAD);
	n = 0;
	v[n++] = (struct bvar){ "bare", "bare echo: no dispatcher, no accounting (reference)",
				bench_obj("bare_echo", &o_bare), f7, l7, XDP_TX };
	v[n++] = (struct bvar){ "none", "dispatcher -> echo that neither times nor accounts",
				sn->disp_fd, f7, l7, XDP_TX, 0, sn,
				(uint32_t)opt.time_shift };
	v[n++] = (struct bvar){ "maps", "dispatcher -> echo, accounting in the maps "
				"(plain variants), 1 in 2^time_shift timed",
				sm->disp_fd, f7, l7, XDP_TX, 0, sm,
				(uint32_t)opt.time_shift };
	if (km)
		v[n++] = (struct bvar){ "module", "dispatcher with admission kfunc -> echo "
					"with charge kfunc (kfaas.ko), 1 in 2^time_shift timed",
					sk->disp_fd, f7, l7, XDP_TX, 0, sk,
					(uint32_t)opt.time_shift };
	for (i = 0; i < n; i++)
		if (v[i].prog_fd < 0)
			goto out;
	if (bench_validate(v, n) || bench_measure(v, n, &opt.o))
		goto out_v;
	if (km) {
		/* the kfunc variant really charged the module */
		if (kfaas_mod_stats(mfd, fi.id, &ms1)) {
			die_lib("kfaas.ko");
			goto out_v;
		}
		if (ms1.invocations - ms0.invocations <
		    (uint64_t)opt.o.repeat * opt.o.rounds) {
			fprintf(stderr, "kfaas-bench: kfaas.ko counted %llu "
				"invocations of %u x %d: the kfunc variant did not "
				"charge the module\n",
				(unsigned long long)(ms1.invocations - ms0.invocations),
				opt.o.repeat, opt.o.rounds);
			goto out_v;
		}
	}
	res = result_new("kmod");
	params = json_object_object_get(res, "params");
	json_object_object_add(params, "time_shift", json_object_new_int(opt.time_shift));
	json_object_object_add(params, "module", json_object_new_boolean(km));
	if (km)
		json_object_object_add(params, "module_invocations",
			json_object_new_int64((int64_t)(ms1.invocations - ms0.invocations)));
	progs = json_object_new_object();
	prog_names(sn, "noacct", names[0], sizeof(names[0]));
	prog_names(sm, "echo", names[1], sizeof(names[1]));
	json_object_object_add(progs, "none", json_object_new_string(names[0]));
	json_object_object_add(progs, "maps", json_object_new_string(names[1]));
	if (km) {
		prog_names(sk, "echo", names[2], sizeof(names[2]));
		json_object_object_add(progs, "module", json_object_new_string(names[2]));
	}
	json_object_object_add(params, "programs", progs);
	add_variants(res, v, n);
	snprintf(what, sizeof(what), "accounting in the maps, 1/%d timed (vs none), "
		 "ns/invocation", 1 << opt.time_shift);
	add_row(res, pair_row("8 kmod", what, &v[2], &v[1], NULL, 0));
	if (km) {
		snprintf(what, sizeof(what), "kfaas.ko admission + charge kfuncs, 1/%d "
			 "timed (vs none), ns/invocation", 1 << opt.time_shift);
		add_row(res, pair_row("8 kmod", what, &v[3], &v[1], NULL, 0));
		add_row(res, pair_row("8 kmod", "kfaas.ko kfuncs (vs accounting in the "
				      "maps), ns/invocation", &v[3], &v[2], NULL, 0));
	}
	rc = emit(res);
	json_object_put(res);
out_v:
	bench_free(v, n);
out:
	kfaas_module_force_flag(-1);
	bpf_object__close(o_bare);
	roots_destroy();
	return rc;
}

/* ---- 5: the invoker's frame ------------------------------------------- */
static int cmd_frame(void)
{
	struct kfaas_invoke_opts io = { .vlan = -1, .symmetric = true };
	struct kfaas_fn_info fn;
	struct kfaas_state st;
	uint8_t buf[4096];
	size_t len;
	FILE *f;
	int rc = -1;

	if (!opt.out) {
		fprintf(stderr, "kfaas-bench: frame needs -o FILE\n");
		return -1;
	}
	io.data = opt.data;
	io.len = strlen(opt.data);
	if (kfaas_state_open(&st, kfaas_pin_root(opt.prefix), 0))
		return die_lib("state");
	if (kfaas_fn_find(&st, opt.fn, &fn) ||
	    kfaas_invoke_frame(&st, &fn, &io, buf, sizeof(buf), &len)) {
		die_lib(opt.fn);
		goto out;
	}
	f = fopen(opt.out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "kfaas-bench: cannot write %s\n", opt.out);
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	rc = 0;
out:
	kfaas_state_close(&st);
	return rc;
}

/* ---- 13: function chains --------------------------------------------- */
/* route udp port to the chain list ("f1,f2,..."), defences off as route_to */
static int chain_route(struct kfaas_state *st, const char *list, uint16_t port)
{
	char names[KFAAS_CHAIN_MAX][KFAAS_NAME_LEN], p[8];
	const char *ptrs[KFAAS_CHAIN_MAX];
	struct kfaas_route r = { .flags = KFAAS_ROUTE_F_LOOP_OK |
				 KFAAS_ROUTE_F_GUARD_SET | KFAAS_ROUTE_F_RATIO_SET };
	struct kfaas_route_key k;
	struct kfaas_chain c;
	size_t n, i;

	snprintf(p, sizeof(p), "%u", port);
	if (kfaas_chain_parse(list, names, &n))
		return die_lib(list);
	for (i = 0; i < n; i++)
		ptrs[i] = names[i];
	if (kfaas_route_key_make(&k, "udp", p, NULL) ||
	    kfaas_chain_make(st, ptrs, n, &c) ||
	    kfaas_route_chain_set(st, &r, &c) ||
	    kfaas_route_add_chain(st, &k, &r, &c))
		return die_lib("chain route");
	return 0;
}

/* The links of tests/bpf/chain_tag.bpf.c (TAG_OVERWRITE) as o*. */
static int chain_fns(struct kfaas_state *st)
{
	static const char *const t[] = { "a", "b", "c", "abc" };
	char obj[512], name[16];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(obj, sizeof(obj), "%s/otag_%s.bpf.o", opt.bench_dir, t[i]);
		snprintf(name, sizeof(name), "o%s", t[i]);
		if (kfaas_fn_load(st, obj, name, NULL))
			return die_lib(obj);
	}
	return 0;
}

/*
 * A chain of 3 functions against the same work in one function and
 * against one of its links alone (a client calling 3 functions one after
 * the other pays that 3 times, and 3 round trips).  Each link writes its
 * tag and place over the payload's head, so a reply is again a request:
 * the frames start with what the reply must carry ("c3": the chain's
 * last link ran third), which bench_validate() checks.
 */
static int cmd_chain(void)
{
	uint8_t fc[256], f1[256], fl[256], fe[256];
	size_t lc, l1, ll, le;
	struct kfaas_state *st = root_new("c");
	json_object *res;
	int rc = -1;

	if (!st || route_to_echo(st, NULL, ECHO_PORT) || chain_fns(st) ||
	    chain_route(st, "oa,ob,oc", 9000) || route_to(st, "oabc", NULL, 9001) ||
	    route_to(st, "oa", NULL, 9002))
		goto out;
	lc = bench_frame_head(fc, sizeof(fc), 9000, PAYLOAD, "c3");
	l1 = bench_frame_head(f1, sizeof(f1), 9001, PAYLOAD, "a1b2c3");
	ll = bench_frame_head(fl, sizeof(fl), 9002, PAYLOAD, "a1");
	le = bench_frame(fe, sizeof(fe), ECHO_PORT, PAYLOAD);
	{
		uint32_t ts = (uint32_t)opt.time_shift;
		struct bvar v[] = {
			{ "chain3", "dispatcher -> a chain of 3 functions (oa > ob > oc, "
			  "each handing on with kfaas_next()), one request",
			  st->disp_fd, fc, lc, XDP_TX, 0, st, ts },
			{ "one_fn", "dispatcher -> one function doing the 3 links' work (oabc)",
			  st->disp_fd, f1, l1, XDP_TX, 0, st, ts },
			{ "one_link", "dispatcher -> one link alone (oa): one of 3 separate calls",
			  st->disp_fd, fl, ll, XDP_TX, 0, st, ts },
			{ "echo", "dispatcher -> echo, for scale",
			  st->disp_fd, fe, le, XDP_TX, 0, st, ts },
		};
		int n = sizeof(v) / sizeof(v[0]);
		double r3;

		if (bench_validate(v, n) || bench_measure(v, n, &opt.o))
			goto out_v;
		res = result_new("chain");
		json_object_object_add(json_object_object_get(res, "params"),
				       "time_shift", json_object_new_int(opt.time_shift));
		add_variants(res, v, n);
		add_row(res, pair_row("13 chain", "a chain of 3 functions, one request "
				      "(vs the same work in one function)", &v[0], &v[1],
				      NULL, 0));
		r3 = bench_ratio(&v[0], &v[2], opt.o.rounds) / 3;
		add_row(res, bench_row("13 chain", "a chain of 3 functions, one request "
				       "(vs 3 separate calls of one function: the kernel's "
				       "part, 3 x one link, no round trips)",
				       med(&v[0]), 3 * med(&v[2]), "ns", r3, NULL, -1));
		add_row(res, pair_row("13 chain", "2 hops more: a chain of 3 (vs its "
				      "first link alone)", &v[0], &v[2], NULL, 0));
		rc = emit(res);
		json_object_put(res);
out_v:
		bench_free(v, n);
	}
out:
	roots_destroy();
	return rc;
}

static int usage(void)
{
	fprintf(stderr,
		"Usage: kfaas-bench dispatch|routes|live|accounting|chain [OPTIONS]\n"
		"       kfaas-bench frame --pin-root ROOT [--fn NAME] [--data STR] -o FILE\n"
		"Options:\n"
		"  --pin-root PREFIX  kfaas states go to PREFIX-* (default\n"
		"                     /sys/fs/bpf/kfaas-bench-PID); frame: the root\n"
		"  --repeat N         runs per BPF_PROG_TEST_RUN (default 1000000)\n"
		"  --rounds N         rounds, round-robin over variants (default 7)\n"
		"  --time-shift N     sampled timing: 1 in 2^N invocations (default 6)\n"
		"  --counts LIST      routes: route counts (default 1,10,1000,100000)\n"
		"  --libxdp N:ID      routes: a libxdp dispatcher with N (1 or 10)\n"
		"                     port programs, by program id\n"
		"  --ifname DEV       live: the veth to send on (peer runs XDP)\n"
		"  --bench-bpf DIR    the benchmark's BPF objects\n"
		"  -o FILE            write the JSON (frame: the frame) to FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "time-shift", required_argument, NULL, 't' },
		{ "counts", required_argument, NULL, 'c' },
		{ "libxdp", required_argument, NULL, 'x' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "bench-bpf", required_argument, NULL, 'b' },
		{ "fn", required_argument, NULL, 'f' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char prefix[128];
	const char *cmd;
	int c, n, id;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	snprintf(prefix, sizeof(prefix), "/sys/fs/bpf/kfaas-bench-%d", getpid());
	opt.prefix = prefix;
	opt.bench_dir = getenv("KFAAS_BENCH_BPF_DIR") ?: KFAAS_BENCH_BPF_DIR;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': opt.prefix = optarg; break;
		case 'r': opt.o.repeat = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'R': opt.o.rounds = atoi(optarg); break;
		case 't': opt.time_shift = atoi(optarg); break;
		case 'c': opt.counts = optarg; break;
		case 'i': opt.ifname = optarg; break;
		case 'b': opt.bench_dir = optarg; break;
		case 'f': opt.fn = optarg; break;
		case 'd': opt.data = optarg; break;
		case 'o': opt.out = optarg; break;
		case 'x':
			if (sscanf(optarg, "%d:%d", &n, &id) != 2 ||
			    (n != 1 && n != 10) || id <= 0) {
				fprintf(stderr, "kfaas-bench: bad --libxdp '%s': "
					"use 1:PROG_ID or 10:PROG_ID\n", optarg);
				return 2;
			}
			opt.libxdp[n == 10] = id;
			break;
		default:
			return usage();
		}
	}
	if (opt.o.repeat < 1 || opt.o.rounds < 1 || opt.o.rounds > 1000 ||
	    opt.time_shift < 0 || opt.time_shift > 31) {
		fprintf(stderr, "kfaas-bench: --repeat >= 1, --rounds 1..1000, "
			"--time-shift 0..31\n");
		return 2;
	}
	kfaas_set_verbose(false);
	libbpf_set_print(NULL);
	if (!strcmp(cmd, "dispatch"))
		return cmd_dispatch() ? 1 : 0;
	if (!strcmp(cmd, "routes"))
		return cmd_routes() ? 1 : 0;
	if (!strcmp(cmd, "live"))
		return cmd_live() ? 1 : 0;
	if (!strcmp(cmd, "accounting"))
		return cmd_accounting() ? 1 : 0;
	if (!strcmp(cmd, "frame"))
		return cmd_frame() ? 1 : 0;
	if (!strcmp(cmd, "chain"))
		return cmd_chain() ? 1 : 0;
	return usage();
}
