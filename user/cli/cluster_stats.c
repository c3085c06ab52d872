// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas --cluster EPS stats [NAME]   every node's counters (stats/NODE,
 *                                    published by each kfaasd), summed per
 *                                    function, and per node
 * kfaas --cluster EPS top [--delay S] [--count N]
 *                                    rates over two readings, per function
 *                                    and per node, from the counters' own
 *                                    timestamps
 * A dead node's counters leave with its lease.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include <kfaas_cluster.h>

static const char *const counters[] = {
	"invocations", "throttled", "passed", "drops", "errors", "bytes_in",
	"bytes_out", "cpu_ns",
};
#define NCOUNTERS	(sizeof(counters) / sizeof(counters[0]))

/* One (function, node) reading. */
struct cell {
	char	fn[KFAAS_NAME_LEN];
	char	node[KFAAS_NODE_LEN];
	char	tier[8];
	__u64	v[NCOUNTERS];
	__u64	at_ns;
};

struct reading {
	struct cell	*c;
	size_t		n;
};

static __u64 u64_of(json_object *o, const char *key)
{
	json_object *x;

	return json_object_object_get_ex(o, key, &x) ? (__u64)json_object_get_int64(x) : 0;
}

static int cell_add(struct reading *r, const char *node, const char *fn,
		    json_object *o, __u64 at)
{
	struct cell *c = realloc(r->c, (r->n + 1) * sizeof(*c));
	json_object *t;
	size_t k;

	if (!c)
		return p_err("out of memory");
	r->c = c;
	c = &r->c[r->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->fn, sizeof(c->fn), "%s", fn);
	snprintf(c->node, sizeof(c->node), "%s", node);
	snprintf(c->tier, sizeof(c->tier), "%s", json_object_object_get_ex(o, "tier", &t) ?
		 json_object_get_string(t) : "?");
	for (k = 0; k < NCOUNTERS; k++)
		c->v[k] = u64_of(o, counters[k]);
	c->at_ns = at;
	return 0;
}

static int by_fn_node(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;

	return strcmp(x->fn, y->fn) ?: strcmp(x->node, y->node);
}

/* Every node's counters now (stats/), sorted by function then node. */
static int reading_take(struct kfaas_cluster *c, const char *only, struct reading *r)
{
	json_object *all, *fns;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (kfaas_cluster_get_dir(c, "stats", &all))
		return p_lib_err();
	json_object_object_foreach(all, node, st) {
		__u64 at = u64_of(st, "at-ns");

		if (!json_object_object_get_ex(st, "functions", &fns))
			continue;
		json_object_object_foreach(fns, fn, o)
			if (!rc && (!only || !strcmp(only, fn)))
				rc = cell_add(r, node, fn, o, at);
	}
	json_object_put(all);
	if (r->n)
		qsort(r->c, r->n, sizeof(*r->c), by_fn_node);
	return rc;
}

static json_object *cell_json(const struct cell *c, const double *v)
{
	json_object *o = json_object_new_object();
	size_t k;

	json_object_object_add(o, "tier", json_object_new_string(c->tier));
	for (k = 0; k < NCOUNTERS; k++)
		json_object_object_add(o, counters[k], v ?
			json_object_new_double(v[k]) : json_object_new_int64((int64_t)c->v[k]));
	return o;
}

static void row(const char *fn, const char *node, const char *tier, const double *v)
{
	printf("%-20s %-12s %-4s %12.0f %10.0f %10.0f %8.0f %8.0f %12.0f %12.0f %10.1f\n",
	       fn, node, tier, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] / 1e6);
}

static void header(const char *unit)
{
	printf("%-20s %-12s %-4s %12s %10s %10s %8s %8s %12s %12s %10s\n",
	       "FUNCTION", "NODE", "TIER", "INVOCATIONS", "THROTTLED", "PASSED",
	       "DROPS", "ERRORS", "BYTES_IN", "BYTES_OUT", unit);
}

/*
 * Print values per (function, node) and their sum per function: v(i, k)
 * gives the value of counter k of cell i (a count or a rate).
 */
static void print(const struct reading *r, double (*v)(const struct reading *, size_t,
						       size_t, void *), void *arg,
		  bool rates)
{
	json_object *a = json_object_new_array(), *fo = NULL, *per = NULL;
	double sum[NCOUNTERS], one[NCOUNTERS];
	size_t i, k;

	if (!json_output)
		header(rates ? "CPU_MS/S" : "CPU_MS");
	for (i = 0; i < r->n; i++) {
		bool first = !i || strcmp(r->c[i].fn, r->c[i - 1].fn);
		bool last = i + 1 == r->n || strcmp(r->c[i].fn, r->c[i + 1].fn);

		if (first) {
			memset(sum, 0, sizeof(sum));
			fo = json_object_new_object();
			per = json_object_new_object();
		}
		for (k = 0; k < NCOUNTERS; k++) {
			one[k] = v(r, i, k, arg);
			sum[k] += one[k];
		}
		json_object_object_add(per, r->c[i].node, cell_json(&r->c[i], one));
		if (!json_output)
			row(first ? r->c[i].fn : "", r->c[i].node, r->c[i].tier, one);
		if (!last)
			continue;
		json_object_object_add(fo, "name", json_object_new_string(r->c[i].fn));
		json_object_object_add(fo, "total", cell_json(&r->c[i], sum));
		json_object_object_add(fo, "nodes", per);
		json_object_array_add(a, fo);
		if (!json_output)
			row("", "(all)", r->c[i].tier, sum);
	}
	if (json_output)
		json_print(a);
	else
		json_object_put(a);
}

static double count_of(const struct reading *r, size_t i, size_t k, void *arg)
{
	(void)arg;
	return (double)r->c[i].v[k];
}

static int parse_name(int argc, char **argv, const char **name)
{
	*name = NULL;
	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		return p_err("unexpected '%s': usage: %s --cluster EPS stats [NAME]",
			     argv[argc - 1], bin_name);
	if (argc == 1)
		*name = argv[0];
	return 0;
}

int cluster_stats(int argc, char **argv)
{
	struct kfaas_cluster *c;
	struct reading r;
	const char *name;
	int rc;

	if (parse_name(argc, argv, &name) || cluster_open(&c))
		return -1;
	rc = reading_take(c, name, &r);
	kfaas_cluster_close(c);
	if (rc)
		return rc;
	if (name && !r.n)
		rc = p_err("no node reports function '%s'", name);
	else
		print(&r, count_of, NULL, false);
	free(r.c);
	return rc;
}

/* ---- top ---- */

static double rate_of(const struct reading *r, size_t i, size_t k, void *arg)
{
	const struct reading *then = arg;
	size_t j;

	for (j = 0; j < then->n; j++) {
		const struct cell *a = &r->c[i], *b = &then->c[j];

		if (strcmp(a->fn, b->fn) || strcmp(a->node, b->node))
			continue;
		if (a->at_ns <= b->at_ns || a->v[k] < b->v[k])
			return 0;
		return (double)(a->v[k] - b->v[k]) * 1e9 / (double)(a->at_ns - b->at_ns);
	}
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int cluster_top(int argc, char **argv)
{
	unsigned long long delay = 2, count = 0, i;
	struct reading then = { 0 }, now;
	struct kfaas_cluster *c;
	int rc = 0;

	for (; argc > 0; argc--, argv++) {
		if (argc > 1 && !strcmp(argv[0], "--delay")) {
			if (parse_u64("--delay", argv[1], 3600, &delay) || !delay)
				return p_err("--delay: give 1 to 3600 seconds");
		} else if (argc > 1 && !strcmp(argv[0], "--count")) {
			if (parse_u64("--count", argv[1], 1000000, &count))
				return -1;
		} else {
			return p_err("unexpected '%s': usage: %s --cluster EPS top "
				     "[--delay S] [--count N]", argv[0], bin_name);
		}
		argc--;
		argv++;
	}
	if (cluster_open(&c))
		return -1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = reading_take(c, NULL, &then);
	for (i = 0; !rc && !stop && (!count || i < count); i++) {
		sleep((unsigned int)delay);
		if (stop || (rc = reading_take(c, NULL, &now)))
			break;
		if (!json_output)
			printf("%skfaas top --cluster: rates per second, every %llu s\n",
			       i ? "\n" : "", delay);
		print(&now, rate_of, &then, true);
		free(then.c);
		then = now;
	}
	free(then.c);
	kfaas_cluster_close(c);
	return rc;
}
