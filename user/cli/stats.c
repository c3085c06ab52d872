// SPDX-License-Identifier: GPL-2.0
/* kfaas stats [NAME] [--watch [SEC]] [--count N] | --prometheus */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <kfaas_ctlproto.h>
#include "cli.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

json_object *stats_json(const struct kfaas_stats *s)
{
	json_object *o = json_object_new_object();

#define F(x) json_object_object_add(o, #x, json_object_new_int64((int64_t)s->x))
	F(invocations);
	F(throttled);
	F(passed);
	F(drops);
	F(errors);
	F(bytes_in);
	F(bytes_out);
	F(cpu_ns);
#undef F
	return o;
}

/* Every function's counters at once: one batch read from kfaas.ko. */
static int read_all(struct kfaas_state *st, const struct kfaas_fn_info *arr,
		    size_t n, struct kfaas_stats **out)
{
	__u32 *ids = calloc(n + 1, sizeof(*ids));
	size_t i;
	int rc = 0;

	*out = calloc(n + 1, sizeof(**out));
	for (i = 0; ids && i < n; i++)
		ids[i] = arr[i].id;
	if (!ids || !*out)
		rc = p_err("out of memory");
	else if (kfaas_stats_read_list(st, ids, n, *out))
		rc = p_lib_err();
	free(ids);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * The lifecycle's counters of VM-tier functions, from kfaasd's status
 * (NULL when it does not run): pre-warms and evictions beside the
 * accounting.
 */
static json_object *daemon_functions(void)
{
	json_object *req = kfaas_ctl_req_new(KFAAS_CTL_STATUS, NULL), *resp, *fa;
	struct kfaas_daemon d;

	if (kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt))) {
		json_object_put(req);
		return NULL;
	}
	if (kfaas_daemon_call(&d, req, &resp) ||
	    !json_object_object_get_ex(resp, "functions", &fa)) {
		kfaas_daemon_close(&d);
		json_object_put(resp);
		return NULL;
	}
	kfaas_daemon_close(&d);
	json_object_get(fa);
	json_object_put(resp);
	return fa;
}

/* The lifecycle counter k of the function, -1 when unknown. */
static long long lc_counter(json_object *fa, const char *name, const char *k)
{
	size_t i;

	for (i = 0; fa && i < json_object_array_length(fa); i++) {
		json_object *f = json_object_array_get_idx(fa, i), *v, *p, *l;

		if (json_object_object_get_ex(f, "name", &v) &&
		    !strcmp(json_object_get_string(v), name) &&
		    json_object_object_get_ex(f, "pool", &p) &&
		    json_object_object_get_ex(p, "lifecycle", &l) &&
		    json_object_object_get_ex(l, k, &v))
			return json_object_get_int64(v);
	}
	return -1;
}

static const char *count_str(long long v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", v);
	return buf;
}

static void print_row(const struct kfaas_fn_info *f, const struct kfaas_stats *s,
		      json_object *fa)
{
	char pw[24], ev[24];

	printf("%-20s %-4s %12llu %10llu %9llu %8llu %8llu %12llu "
	       "%12llu %12llu %8.0f %8s %6s\n", f->name, kfaas_tier_name(f->tier),
	       (unsigned long long)s->invocations,
	       (unsigned long long)s->throttled,
	       (unsigned long long)s->passed,
	       (unsigned long long)s->drops,
	       (unsigned long long)s->errors,
	       (unsigned long long)s->bytes_in,
	       (unsigned long long)s->bytes_out,
	       (unsigned long long)s->cpu_ns,
	       s->invocations ? (double)s->cpu_ns / s->invocations : 0.0,
	       count_str(lc_counter(fa, f->name, "prewarms"), pw, sizeof(pw)),
	       count_str(lc_counter(fa, f->name, "evictions"), ev, sizeof(ev)));
}

static json_object *fn_stats_json(const struct kfaas_fn_info *f,
				  const struct kfaas_stats *s, json_object *fa)
{
	json_object *o = stats_json(s);
	long long pw = lc_counter(fa, f->name, "prewarms");
	long long ev = lc_counter(fa, f->name, "evictions");

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "tier",
			       json_object_new_string(kfaas_tier_name(f->tier)));
	if (pw >= 0)
		json_object_object_add(o, "prewarms", json_object_new_int64(pw));
	if (ev >= 0)
		json_object_object_add(o, "evictions", json_object_new_int64(ev));
	return o;
}

/*
 * The function's own counters (its xstats map, docs/sdk.md): into o
 * (JSON) or as an indented line under its row.
 */
static int show_extra(struct kfaas_state *st, const char *fn, json_object *o)
{
	struct kfaas_xstat x[KFAAS_XSTATS_MAX];
	json_object *e;
	size_t n, i;

	if (kfaas_fn_xstats(st, fn, x, KFAAS_XSTATS_MAX, &n))
		return p_lib_err();
	if (!n)
		return 0;
	if (o) {
		e = json_object_new_object();
		for (i = 0; i < n; i++)
			json_object_object_add(e, x[i].name,
					       json_object_new_int64((int64_t)x[i].value));
		json_object_object_add(o, "extra", e);
		return 0;
	}
	printf("  %s:", fn);
	for (i = 0; i < n; i++)
		printf(" %s %llu", x[i].name, (unsigned long long)x[i].value);
	printf("\n");
	return 0;
}

/* The refusals of the reflection and loop defences, JSON. */
static json_object *refused_json(const struct kfaas_guard_stats *g)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "loop", json_object_new_int64((int64_t)g->loop));
	json_object_object_add(o, "guard", json_object_new_int64((int64_t)g->guard));
	json_object_object_add(o, "ratio", json_object_new_int64((int64_t)g->ratio));
	return o;
}

/* After the table: the functions the defences refused requests of. */
static void print_refused(const struct kfaas_fn_info *arr,
			  const struct kfaas_guard_stats *g, size_t n,
			  const char *name)
{
	size_t i;
	int head = 0;

	for (i = 0; i < n; i++) {
		if ((name && strcmp(arr[i].name, name)) ||
		    !(g[i].loop || g[i].guard || g[i].ratio))
			continue;
		if (!head++)
			printf("refused by the reflection and loop defences "
			       "(docs/reliability.md):\n");
		printf("  %-20s loop %llu, guard %llu, ratio %llu\n",
		       arr[i].name, (unsigned long long)g[i].loop,
		       (unsigned long long)g[i].guard,
		       (unsigned long long)g[i].ratio);
	}
}

static int show_once(const char *name)
{
	struct kfaas_guard_stats *g = NULL;
	struct kfaas_stats *all = NULL;
	struct kfaas_fn_info *arr;
	struct kfaas_state st;
	json_object *a = NULL, *fa;
	size_t n, i;
	int rc, shown = 0;

	if (state_open(&st, 0))
		return -1;
	if (kfaas_fn_list(&st, &arr, &n)) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	rc = read_all(&st, arr, n, &all);
	g = calloc(n + 1, sizeof(*g));
	if (!rc && !g)
		rc = p_err("out of memory");
	for (i = 0; !rc && i < n; i++)
		if (kfaas_guard_stats_read(&st, arr[i].id, &g[i]))
			rc = p_lib_err();
	if (rc) {
		kfaas_state_close(&st);
		free(arr);
		free(all);
		free(g);
		return rc;
	}
	fa = daemon_functions();
	if (json_output)
		a = json_object_new_array();
	else
		printf("%-20s %-4s %12s %10s %9s %8s %8s %12s %12s %12s %8s %8s "
		       "%6s\n", "FUNCTION", "TIER", "INVOCATIONS", "THROTTLED",
		       "PASSED", "DROPS", "ERRORS", "BYTES_IN", "BYTES_OUT",
		       "CPU_NS", "NS/INV", "PREWARM", "EVICT");
	for (i = 0; i < n; i++) {
		if (name && strcmp(arr[i].name, name))
			continue;
		shown++;
		if (json_output) {
			json_object *o = fn_stats_json(&arr[i], &all[i], fa);

			json_object_object_add(o, "refused", refused_json(&g[i]));
			json_object_array_add(a, o);
			if (show_extra(&st, arr[i].name, o))
				rc = -1;
		} else {
			print_row(&arr[i], &all[i], fa);
			if (show_extra(&st, arr[i].name, NULL))
				rc = -1;
		}
	}
	json_object_put(fa);
	kfaas_state_close(&st);
	if (!rc && !json_output)
		print_refused(arr, g, n, name);
	free(arr);
	free(all);
	free(g);
	if (rc) {
		json_object_put(a);
		return rc;
	}
	rc = listing_end(a, name, shown);
	fflush(stdout);
	return rc;
}

struct stats_opts {
	const char *name;
	unsigned long long interval;	/* --watch SEC, 0: once */
	unsigned long long count;	/* --count N, 0: until interrupted */
	bool	prometheus;
};

/* 0, 1 when help was printed, -1 on a bad argument (printed). */
static int parse_args(int argc, char **argv, struct stats_opts *o)
{
	unsigned long long v;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "help")) {
			if (help_json())
				return 1;
			fprintf(stderr,
				"Usage: %s stats [NAME] [--watch [SEC]] [--count N]\n"
				"       %s stats --prometheus\n"
				"\n"
				"Per-function counters summed over CPUs, and the\n"
				"function's own ones (its xstats map: kv's hits,\n"
				"misses, fills...) on a line below its row, or as\n"
				"\"extra\" in JSON; --watch prints them every SEC\n"
				"seconds (default 1) until interrupted or N times;\n"
				"--prometheus prints every function in the\n"
				"Prometheus text format.\n",
				bin_name, bin_name);
			return 1;
		} else if (!strcmp(argv[0], "--watch") || !strcmp(argv[0], "-w")) {
			o->interval = 1;
			if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
				if (parse_u64("--watch", argv[1], 3600, &v))
					return -1;
				o->interval = v ? v : 1;
				argc--, argv++;
			}
		} else if (!strcmp(argv[0], "--prometheus")) {
			o->prometheus = true;
		} else if (!strcmp(argv[0], "--count") && argc > 1) {
			if (parse_u64("--count", argv[1], 1ULL << 32, &o->count))
				return -1;
			argc--, argv++;
		} else if (argv[0][0] == '-') {
			return p_err("unknown option '%s': see '%s stats help'",
				     argv[0], bin_name);
		} else if (!o->name) {
			o->name = argv[0];
		} else {
			return p_err("unexpected argument '%s': see '%s stats "
				     "help'", argv[0], bin_name);
		}
	}
	return 0;
}

static int print_prometheus(void)
{
	struct kfaas_state st;
	int rc;

	if (state_open(&st, 0))
		return -1;
	rc = kfaas_prometheus_write(&st, stdout);
	kfaas_state_close(&st);
	return rc ? p_lib_err() : 0;
}

int do_stats(int argc, char **argv)
{
	struct stats_opts o = { 0 };
	unsigned long long i;
	int rc;

	if (cluster_on())
		return cluster_stats(argc, argv);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : rc;
	if (o.prometheus) {
		if (o.name || o.interval)
			return p_err("--prometheus prints every function once");
		return print_prometheus();
	}
	if (!o.interval)
		return show_once(o.name);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (i = 0; !stop && (!o.count || i < o.count); i++) {
		if (i)
			sleep((unsigned int)o.interval);
		if (stop)
			break;
		if (!json_output) {
			time_t t = time(NULL);
			char buf[32];

			strftime(buf, sizeof(buf), "%H:%M:%S", localtime(&t));
			printf("%s--- %s ---\n", i ? "\n" : "", buf);
		}
		rc = show_once(o.name);
		if (rc)
			return rc;
	}
	return 0;
}
