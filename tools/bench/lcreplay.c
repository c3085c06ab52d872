// SPDX-License-Identifier: GPL-2.0
/*
 * lcreplay: a time-compressed replay of an Azure Functions 2019 trace
 * through kfaasd, for make bench item 11 (tools/bench/run.sh
 * bench_lcreplay, docs/lifecycle.md "Live replay").
 *
 *   lcreplay pick DAY_CSV --count N --start MIN --minutes M --out DIR
 *	The first N functions of one invocations_per_function_md day file
 *	(ids are hashes, so at random) with 2 to 40 calls in minutes
 *	[START, START + M): written to DIR/sub.csv in the same format, the
 *	window moved to minute 0 and nothing after it (what kfaas sim
 *	replays), and printed as JSON (trigger, calls, periodic).
 *
 *   lcreplay run SUB_CSV --scale S --prefix P [--minutes M] [--until U]
 *		 [--pin-root R]
 *	SUB_CSV's calls of functions P0, P1, ... (its rows in order)
 *	through kfaasd's control socket (invoke, data "echo I": the test
 *	function tests/vm/fn/kfn answers I), one trace minute in S seconds,
 *	a minute's count spread evenly over it as the simulator spreads it
 *	(lifecycle_sim.c).  Every request on its own connection and thread,
 *	so they overlap as the trace says.  With --until, returns once every
 *	call is answered and trace minute U has passed (what is held after
 *	the last call is then measured to the minute kfaas sim --until
 *	counts to).  Prints JSON: requests, seconds, ok, errors, wrong,
 *	p50_ms, p99_ms, max_ms, and per function the same.
 *
 * The trace is read by libkfaas' reader, the one kfaas sim uses.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include <kfaas_lifecycle.h>

#define MIN_CALLS	2
#define MAX_CALLS	40

static struct {
	long		count, start, minutes, until;
	double		scale;
	const char	*out, *prefix, *pin_root;
} opt = { .minutes = KFAAS_TRACE_MINUTES, .pin_root = KFAAS_PIN_ROOT_DEFAULT };

static void usage(FILE *f)
{
	fprintf(f, "usage: lcreplay pick DAY_CSV --count N --start MIN --minutes M --out DIR\n"
		"       lcreplay run SUB_CSV --scale S --prefix P [--minutes M] [--until U]\n"
		"                    [--pin-root ROOT]\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int trace_load(struct kfaas_trace *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	if (kfaas_trace_read(t, &path, 1)) {
		fprintf(stderr, "lcreplay: %s\n", kfaas_errmsg());
		return -1;
	}
	return 0;
}

/* ---- pick --------------------------------------------------------------- */

/* The counts of f's minutes [start, start + minutes), from 0. */
static long window(const struct kfaas_trace_fn *f, uint32_t *c)
{
	long n = 0;
	uint32_t i;

	memset(c, 0, sizeof(*c) * KFAAS_TRACE_MINUTES);
	for (i = 0; i < f->nmin; i++) {
		if (f->minute[i] < opt.start || f->minute[i] >= opt.start + opt.minutes)
			continue;
		c[f->minute[i] - opt.start] = f->count[i];
		n += f->count[i];
	}
	return n;
}

/* Calls at one constant distance in minutes (3 or more). */
static bool periodic(const uint32_t *c)
{
	long last = -1, gap = -1, n = 0, m;

	for (m = 0; m < opt.minutes; m++) {
		if (!c[m])
			continue;
		if (last >= 0 && gap >= 0 && m - last != gap)
			return false;
		if (last >= 0)
			gap = m - last;
		last = m;
		n++;
	}
	return n >= 3;
}

static int pick(const char *day)
{
	struct kfaas_trace t;
	json_object *fns = json_object_new_array(), *o, *top;
	uint32_t c[KFAAS_TRACE_MINUTES];
	char path[4096];
	FILE *f;
	long n, m, picked = 0;
	size_t i;

	if (trace_load(&t, day))
		return 1;
	snprintf(path, sizeof(path), "%s/sub.csv", opt.out);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "lcreplay: %s: %s\n", path, strerror(errno));
		kfaas_trace_free(&t);
		return 1;
	}
	fprintf(f, "HashOwner,HashApp,HashFunction,Trigger");
	for (m = 1; m <= KFAAS_TRACE_MINUTES; m++)
		fprintf(f, ",%ld", m);
	fputc('\n', f);
	for (i = 0; i < t.nfns && picked < opt.count; i++) {
		n = window(&t.fns[i], c);
		if (n < MIN_CALLS || n > MAX_CALLS)
			continue;
		fprintf(f, "%s,%s,%s,%s", t.fns[i].owner, t.fns[i].app,
			t.fns[i].func, t.fns[i].trigger);
		for (m = 0; m < KFAAS_TRACE_MINUTES; m++)
			fprintf(f, ",%u", c[m]);
		fputc('\n', f);
		o = json_object_new_object();
		json_object_object_add(o, "trigger", json_object_new_string(t.fns[i].trigger));
		json_object_object_add(o, "calls", json_object_new_int64(n));
		json_object_object_add(o, "periodic", json_object_new_boolean(periodic(c)));
		json_object_array_add(fns, o);
		picked++;
	}
	kfaas_trace_free(&t);
	if (fclose(f)) {
		fprintf(stderr, "lcreplay: %s: %s\n", path, strerror(errno));
		json_object_put(fns);
		return 1;
	}
	top = json_object_new_object();
	json_object_object_add(top, "functions", fns);
	printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN));
	json_object_put(top);
	return 0;
}

/* ---- run ---------------------------------------------------------------- */

enum outcome { PENDING, OK, WRONG, FAILED };

struct call {
	double		at;	/* s from the replay's start */
	long		fn;	/* row: function PREFIXfn */
	long		seq;	/* its data: "echo seq" */
	enum outcome	res;
	double		ms;
	pthread_t	th;
};

static int call_cmp(const void *a, const void *b)
{
	const struct call *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

static void *call_run(void *arg)
{
	struct call *c = arg;
	struct kfaas_vm_result r;
	struct kfaas_daemon d;
	char name[64], data[32], want[32];
	double t0 = now_s();

	snprintf(name, sizeof(name), "%s%ld", opt.prefix, c->fn);
	snprintf(data, sizeof(data), "echo %ld", c->seq);
	snprintf(want, sizeof(want), "%ld", c->seq);
	c->res = FAILED;
	if (kfaas_daemon_open(&d, opt.pin_root)) {
		fprintf(stderr, "lcreplay: %s: %s\n", name, kfaas_errmsg());
		return NULL;
	}
	if (kfaas_daemon_invoke(&d, name, data, strlen(data), &r))
		fprintf(stderr, "lcreplay: %s: %s\n", name, kfaas_errmsg());
	else if (!r.ok)
		fprintf(stderr, "lcreplay: %s: %s\n", name, r.error);
	else {
		c->ms = (now_s() - t0) * 1000;
		c->res = r.reply_len == strlen(want) && !memcmp(r.reply, want, r.reply_len) ?
			 OK : WRONG;
	}
	free(r.reply);
	kfaas_daemon_close(&d);
	return NULL;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* x with one decimal, printed so */
static json_object *dbl1(double x)
{
	char s[32];

	snprintf(s, sizeof(s), "%.1f", x);
	return json_object_new_double_s(x, s);
}

/* Counts and latency percentiles of the calls of function fn (-1: all). */
static json_object *summary(const struct call *c, size_t n, long fn, double *lat)
{
	json_object *o = json_object_new_object();
	long cnt[FAILED + 1] = { 0 }, req = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (fn >= 0 && c[i].fn != fn)
			continue;
		req++;
		cnt[c[i].res]++;
		if (c[i].res == OK)
			lat[k++] = c[i].ms;
	}
	json_object_object_add(o, "requests", json_object_new_int64(req));
	json_object_object_add(o, "ok", json_object_new_int64(cnt[OK]));
	json_object_object_add(o, "errors", json_object_new_int64(cnt[FAILED] + cnt[PENDING]));
	json_object_object_add(o, "wrong", json_object_new_int64(cnt[WRONG]));
	qsort(lat, k, sizeof(*lat), dbl_cmp);
	/* the value at rank k * p (of k sorted), none without a reply */
#define PCT(key, p) json_object_object_add(o, key, !k ? NULL : \
		dbl1(lat[(size_t)(k * (p)) < k ? (size_t)(k * (p)) : k - 1]))
	PCT("p50_ms", 0.5);
	PCT("p99_ms", 0.99);
	PCT("max_ms", 1.0);
#undef PCT
	return o;
}

static struct call *events(const struct kfaas_trace *t, size_t *n)
{
	struct call *c = NULL, *p;
	size_t k = 0, cap = 0, i;
	uint32_t j, x;

	for (i = 0; i < t->nfns; i++)
		for (j = 0; j < t->fns[i].nmin && t->fns[i].minute[j] < opt.minutes; j++)
			for (x = 0; x < t->fns[i].count[j]; x++) {
				if (k == cap) {
					cap = cap ? cap * 2 : 256;
					p = realloc(c, cap * sizeof(*c));
					if (!p) {
						free(c);
						return NULL;
					}
					c = p;
				}
				memset(&c[k], 0, sizeof(c[k]));
				c[k].at = (t->fns[i].minute[j] + (2.0 * x + 1) /
					   (2.0 * t->fns[i].count[j])) * opt.scale;
				c[k++].fn = (long)i;
			}
	qsort(c, k, sizeof(*c), call_cmp);
	for (i = 0; i < k; i++)
		c[i].seq = (long)i;
	*n = k;
	return c;
}

static int run(const char *sub)
{
	struct kfaas_trace t;
	struct call *c;
	pthread_attr_t attr;
	json_object *top, *per;
	double t0, d, *lat;
	size_t n = 0, i, started = 0;
	char name[64];
	int rc = 0;

	if (trace_load(&t, sub))
		return 1;
	c = events(&t, &n);
	lat = calloc(n + 1, sizeof(*lat));
	if (!c || !lat) {
		fprintf(stderr, "lcreplay: out of memory\n");
		rc = 1;
		goto out;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		d = t0 + c[i].at - now_s();
		if (d > 0)
			nanosleep(&(struct timespec){ (time_t)d, (long)((d - (time_t)d) * 1e9) }, NULL);
		if (pthread_create(&c[i].th, &attr, call_run, &c[i])) {
			fprintf(stderr, "lcreplay: cannot start a thread for call %zu\n", i);
			rc = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(c[i].th, NULL);
	pthread_attr_destroy(&attr);
	d = t0 + opt.until * opt.scale - now_s();
	if (!rc && d > 0)
		nanosleep(&(struct timespec){ (time_t)d, (long)((d - (time_t)d) * 1e9) }, NULL);
	top = summary(c, n, -1, lat);
	json_object_object_add(top, "seconds", dbl1(now_s() - t0));
	per = json_object_new_object();
	for (i = 0; i < t.nfns; i++) {
		snprintf(name, sizeof(name), "%s%zu", opt.prefix, i);
		json_object_object_add(per, name, summary(c, n, (long)i, lat));
	}
	json_object_object_add(top, "functions", per);
	printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN));
	json_object_put(top);
out:
	free(lat);
	free(c);
	kfaas_trace_free(&t);
	return rc;
}

static int number(const char *name, const char *arg, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || end == arg || *end || *v < lo || *v > hi) {
		fprintf(stderr, "lcreplay: %s wants a number from %g to %g, not '%s'\n",
			name, lo, hi, arg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count",    required_argument, NULL, 'c' },
		{ "start",    required_argument, NULL, 's' },
		{ "minutes",  required_argument, NULL, 'm' },
		{ "until",    required_argument, NULL, 'u' },
		{ "out",      required_argument, NULL, 'o' },
		{ "scale",    required_argument, NULL, 'S' },
		{ "prefix",   required_argument, NULL, 'p' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help",     no_argument,	 NULL, 'h' },
		{}
	};
	const char *what = argc > 1 ? argv[1] : "";
	double v;
	int o;

	while ((o = getopt_long(argc - 1, argv + 1, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'c':
			if (number("--count", optarg, 1, 10000, &v))
				return 2;
			opt.count = (long)v;
			break;
		case 's':
			if (number("--start", optarg, 0, KFAAS_TRACE_MINUTES - 1, &v))
				return 2;
			opt.start = (long)v;
			break;
		case 'm':
			if (number("--minutes", optarg, 1, KFAAS_TRACE_MINUTES, &v))
				return 2;
			opt.minutes = (long)v;
			break;
		case 'u':
			if (number("--until", optarg, 0, KFAAS_TRACE_MINUTES, &v))
				return 2;
			opt.until = (long)v;
			break;
		case 'S':
			if (number("--scale", optarg, 0.01, 3600, &v))
				return 2;
			opt.scale = v;
			break;
		case 'o': opt.out = optarg; break;
		case 'p': opt.prefix = optarg; break;
		case 'r': opt.pin_root = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(what, "pick") && opt.count && opt.out && opt.minutes &&
	    opt.start + opt.minutes <= KFAAS_TRACE_MINUTES)
		return pick(argv[optind + 1]);
	if (!strcmp(what, "run") && opt.scale > 0 && opt.prefix)
		return run(argv[optind + 1]);
	usage(stderr);
	return 2;
}
