// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas cost [NAME] [--since T] [--prices FILE] [--prometheus]
 *
 * What every function cost, per function and tier: requests, CPU time,
 * memory GiB-seconds held for it, bytes in and out, priced with a price
 * sheet (kfaas_cost.h; the default one says whose list prices, and when).
 *   CPU      eBPF tiers: the accounting's CPU ns (sampled and weighted,
 *            docs/architecture.md); VM tier: the CPU time of the
 *            function's QEMU processes (every thread: boot, restores, the
 *            guest's run time, TCG), not the wall time of its requests
 *   memory   VM tier: the VMs and templates held for the function, idle
 *            or serving, as kfaasd measured them (the idle part shown
 *            apart); the eBPF tiers hold none per request
 * With kfaasd running the numbers come from it (its ledger); without, the
 * accounting alone (no VM CPU or memory, no --since).  Then what a
 * function would cost at another tier where it runs there too: a route
 * whose eBPF function hands what it cannot answer to a VM-tier fallback
 * serves the same requests at both tiers, each at its measured price.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <kfaas_cost.h>
#include <kfaas_ctlproto.h>
#include "cli.h"

static const char *obj_name = "cost";

struct row {
	char		name[KFAAS_NAME_LEN];
	__u32		id;
	int		tier;
	uint64_t	requests, errors, bytes_in, bytes_out, from;
	double		cpu_s;		/* priced: see the top of the file */
	double		acct_cpu_s;	/* the accounting's */
	double		gib_s, idle_gib_s, tpl_gib_s;
	bool		vm_known;	/* kfaasd measured CPU and memory */
	bool		partial;	/* history starts after --since */
	struct kfaas_price p;
};

struct cost {
	struct row	*rows;
	size_t		n;
	uint64_t	since, now;
	bool		daemon;
	struct kfaas_prices prices;
};

/* "90s", "15m", "2h", "1d" ago; "@EPOCH"; "YYYY-MM-DDTHH:MM[:SS]" local */
static int parse_since(const char *s, uint64_t *out)
{
	time_t now = time(NULL);
	unsigned long long v;
	struct tm tm = { 0 };
	char unit = 0, *end;

	if (s[0] == '@') {
		errno = 0;
		v = strtoull(s + 1, &end, 10);
		if (s[1] < '0' || s[1] > '9' || *end || errno)
			goto bad;
		*out = v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end && (*end == '\0' || (*end == ':' && strptime(end + 1, "%S", &tm) &&
				     strlen(end) == 3))) {
		tm.tm_isdst = -1;
		*out = (uint64_t)mktime(&tm);
		return 0;
	}
	if (sscanf(s, "%llu%c", &v, &unit) == 2 && strchr("smhd", unit) &&
	    strlen(s) > 1 && s[strspn(s, "0123456789") + 1] == '\0') {
		v *= unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
		*out = v >= (unsigned long long)now ? 1 : (uint64_t)now - v;
		return 0;
	}
bad:
	return p_err("bad --since '%s': give a time ago (90s, 15m, 2h, 1d), "
		     "@EPOCH_SECONDS or YYYY-MM-DDTHH:MM[:SS]", s);
}

static uint64_t u64(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static double dbl(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static void row_from_json(struct row *r, json_object *o)
{
	json_object *v;

	snprintf(r->name, sizeof(r->name), "%s", json_object_object_get_ex(o,
		 "name", &v) ? json_object_get_string(v) : "?");
	r->id = (__u32)u64(o, "id");
	r->tier = kfaas_tier_parse(json_object_object_get_ex(o, "tier", &v) ?
				   json_object_get_string(v) : "?");
	r->requests = u64(o, "requests");
	r->errors = u64(o, "errors");
	r->bytes_in = u64(o, "bytes_in");
	r->bytes_out = u64(o, "bytes_out");
	r->from = u64(o, "from");
	r->partial = json_object_object_get_ex(o, "partial", &v) &&
		     json_object_get_boolean(v);
	r->acct_cpu_s = u64(o, "acct_cpu_ns") / 1e9;
	r->vm_known = r->tier == KFAAS_TIER_VM;
	r->cpu_s = r->vm_known ? u64(o, "vm_cpu_ns") / 1e9 : r->acct_cpu_s;
	r->gib_s = dbl(o, "mem_gib_s");
	r->idle_gib_s = dbl(o, "idle_gib_s");
	r->tpl_gib_s = dbl(o, "template_gib_s");
}

/* kfaasd's ledger: 0, 1 when no kfaasd runs, -1 on an error (printed) */
static int from_daemon(struct cost *c)
{
	json_object *req = kfaas_ctl_req_new(KFAAS_CTL_COST, NULL), *resp, *co, *a;
	struct kfaas_daemon d;
	size_t i;
	int rc;

	rc = kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt));
	if (rc) {
		json_object_put(req);
		return rc == -ENOENT || rc == -ECONNREFUSED ? 1 : p_lib_err();
	}
	json_object_object_add(req, "since", json_object_new_int64((int64_t)c->since));
	rc = kfaas_daemon_call(&d, req, &resp);
	kfaas_daemon_close(&d);
	if (rc) {
		json_object_put(resp);
		return p_lib_err();
	}
	if (!json_object_object_get_ex(resp, "cost", &co) ||
	    !json_object_object_get_ex(co, "functions", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(resp);
		return p_err("kfaasd sent a cost answer without functions");
	}
	c->n = json_object_array_length(a);
	c->rows = calloc(c->n + 1, sizeof(*c->rows));
	for (i = 0; c->rows && i < c->n; i++)
		row_from_json(&c->rows[i], json_object_array_get_idx(a, i));
	c->now = u64(co, "now");
	c->daemon = true;
	json_object_put(resp);
	return c->rows ? 0 : p_err("out of memory");
}

/* The accounting alone: every function since its load. */
static int from_accounting(struct cost *c)
{
	struct kfaas_fn_info *f;
	struct kfaas_state st;
	size_t i;

	if (state_open(&st, 0))
		return -1;
	if (kfaas_fn_list(&st, &f, &c->n)) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	c->rows = calloc(c->n + 1, sizeof(*c->rows));
	for (i = 0; c->rows && i < c->n; i++) {
		struct row *r = &c->rows[i];
		struct kfaas_stats s;

		if (kfaas_stats_read(&st, f[i].id, &s)) {
			free(f);
			kfaas_state_close(&st);
			return p_lib_err();
		}
		snprintf(r->name, sizeof(r->name), "%s", f[i].name);
		r->id = f[i].id;
		r->tier = f[i].tier;
		r->requests = s.invocations;
		r->errors = s.errors;
		r->bytes_in = s.bytes_in;
		r->bytes_out = s.bytes_out;
		r->from = f[i].load_time;
		r->acct_cpu_s = s.cpu_ns / 1e9;
		r->cpu_s = r->tier == KFAAS_TIER_VM ? 0 : r->acct_cpu_s;
	}
	free(f);
	kfaas_state_close(&st);
	c->now = (uint64_t)time(NULL);
	return c->rows ? 0 : p_err("out of memory");
}

static void price_all(struct cost *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct row *r = &c->rows[i];
		struct kfaas_usage u = { r->requests, r->cpu_s, r->gib_s };

		kfaas_cost_price(&c->prices, &u, &r->p);
	}
}

/* ---- what it would cost at another tier --------------------------------- */

struct alt {
	const struct row	*fn, *like;	/* priced like `like`'s requests */
	double			there;
};

/* Pairs of one route: an eBPF function and its VM-tier fallback. */
static size_t alternatives(const struct cost *c, struct alt *out, size_t cap)
{
	struct kfaas_route_ent *rt;
	struct kfaas_state st;
	size_t n = 0, nr, i, a, b;

	if (kfaas_state_open(&st, kfaas_pin_root(pin_root_opt), 0))
		return 0;
	if (kfaas_route_list(&st, &rt, &nr)) {
		kfaas_state_close(&st);
		return 0;
	}
	kfaas_state_close(&st);
	for (i = 0; i < nr && n + 2 <= cap; i++) {
		const struct row *x = NULL, *v = NULL;

		if (!(rt[i].val.flags & KFAAS_ROUTE_F_FALLBACK) || !rt[i].val.fallback_id)
			continue;
		for (a = 0; a < c->n; a++) {
			if (c->rows[a].id == rt[i].val.fn_id)
				x = &c->rows[a];
			if (c->rows[a].id == rt[i].val.fallback_id)
				v = &c->rows[a];
		}
		if (!x || !v || !x->requests || !v->requests)
			continue;
		for (b = 0; b < n; b++)	/* one pair per two functions */
			if (out[b].fn == v && out[b].like == x)
				break;
		if (b < n)
			continue;
		out[n++] = (struct alt){ v, x, v->requests * (x->p.total / x->requests) };
		out[n++] = (struct alt){ x, v, x->requests * (v->p.total / v->requests) };
	}
	free(rt);
	return n;
}

/* ---- output --------------------------------------------------------------- */

static json_object *price_json(const struct kfaas_price *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "requests", json_object_new_double(p->requests));
	json_object_object_add(o, "cpu", json_object_new_double(p->cpu));
	json_object_object_add(o, "memory", json_object_new_double(p->memory));
	json_object_object_add(o, "total", json_object_new_double(p->total));
	return o;
}

static json_object *row_json(const struct row *r)
{
	json_object *o = json_object_new_object();

#define I(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
#define D(k, v) json_object_object_add(o, k, json_object_new_double(v))
	json_object_object_add(o, "name", json_object_new_string(r->name));
	I("id", r->id);
	json_object_object_add(o, "tier", json_object_new_string(kfaas_tier_name(r->tier)));
	I("requests", r->requests);
	I("errors", r->errors);
	I("bytes_in", r->bytes_in);
	I("bytes_out", r->bytes_out);
	D("cpu_s", r->cpu_s);
	json_object_object_add(o, "cpu_from", json_object_new_string(
		r->tier != KFAAS_TIER_VM ? "accounting" : r->vm_known ?
		"qemu" : "unknown (kfaasd not running)"));
	D("acct_cpu_s", r->acct_cpu_s);
	D("mem_gib_s", r->gib_s);
	D("idle_gib_s", r->idle_gib_s);
	D("template_gib_s", r->tpl_gib_s);
	I("from", r->from);
	json_object_object_add(o, "partial", json_object_new_boolean(r->partial));
	json_object_object_add(o, "cost", price_json(&r->p));
#undef I
#undef D
	return o;
}

/* Requests and cost per tier, over the functions shown. */
static void tier_sums(const struct cost *c, const char *name, uint64_t req[],
		      double cost[])
{
	size_t i;

	memset(req, 0, KFAAS_TIER_MAX * sizeof(*req));
	memset(cost, 0, KFAAS_TIER_MAX * sizeof(*cost));
	for (i = 0; i < c->n; i++) {
		const struct row *r = &c->rows[i];

		if ((name && strcmp(name, r->name)) || r->tier < 0 ||
		    r->tier >= KFAAS_TIER_MAX)
			continue;
		req[r->tier] += r->requests;
		cost[r->tier] += r->p.total;
	}
}

static void print_json(const struct cost *c, const char *name,
		       const struct alt *alt, size_t nalt)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *pr = json_object_new_object(), *ta = json_object_new_array();
	json_object *aa = json_object_new_array();
	struct kfaas_price tot = { 0 };
	uint64_t req[KFAAS_TIER_MAX];
	double cost[KFAAS_TIER_MAX];
	size_t i;
	int t;

	for (i = 0; i < c->n; i++) {
		if (name && strcmp(name, c->rows[i].name))
			continue;
		json_object_array_add(a, row_json(&c->rows[i]));
		tot.requests += c->rows[i].p.requests;
		tot.cpu += c->rows[i].p.cpu;
		tot.memory += c->rows[i].p.memory;
		tot.total += c->rows[i].p.total;
	}
	json_object_object_add(pr, "source", json_object_new_string(c->prices.source));
	json_object_object_add(pr, "currency", json_object_new_string(c->prices.currency));
	json_object_object_add(pr, "per_million_requests",
			       json_object_new_double(c->prices.per_million_requests));
	json_object_object_add(pr, "per_gib_second",
			       json_object_new_double(c->prices.per_gib_second));
	json_object_object_add(pr, "per_cpu_second",
			       json_object_new_double(c->prices.per_cpu_second));
	tier_sums(c, name, req, cost);
	for (t = KFAAS_TIER_XDP; t < KFAAS_TIER_MAX; t++) {
		json_object *j;

		if (!req[t])
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "tier", json_object_new_string(kfaas_tier_name(t)));
		json_object_object_add(j, "requests", json_object_new_int64((int64_t)req[t]));
		json_object_object_add(j, "cost", json_object_new_double(cost[t]));
		json_object_object_add(j, "per_million", json_object_new_double(
			cost[t] / req[t] * 1e6));
		json_object_array_add(ta, j);
	}
	for (i = 0; i < nalt; i++) {
		json_object *j;

		if (name && strcmp(name, alt[i].fn->name))
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(alt[i].fn->name));
		json_object_object_add(j, "tier", json_object_new_string(
			kfaas_tier_name(alt[i].fn->tier)));
		json_object_object_add(j, "cost", json_object_new_double(alt[i].fn->p.total));
		json_object_object_add(j, "at_tier", json_object_new_string(
			kfaas_tier_name(alt[i].like->tier)));
		json_object_object_add(j, "like", json_object_new_string(alt[i].like->name));
		json_object_object_add(j, "cost_there", json_object_new_double(alt[i].there));
		json_object_array_add(aa, j);
	}
	json_object_object_add(o, "since", json_object_new_int64((int64_t)c->since));
	json_object_object_add(o, "now", json_object_new_int64((int64_t)c->now));
	json_object_object_add(o, "source", json_object_new_string(
		c->daemon ? "kfaasd" : "accounting"));
	json_object_object_add(o, "prices", pr);
	json_object_object_add(o, "functions", a);
	json_object_object_add(o, "total", price_json(&tot));
	json_object_object_add(o, "tiers", ta);
	json_object_object_add(o, "alternatives", aa);
	json_print(o);
}

static void print_text(const struct cost *c, const char *name,
		       const struct alt *alt, size_t nalt)
{
	uint64_t req[KFAAS_TIER_MAX];
	double cost[KFAAS_TIER_MAX], sum = 0;
	char t1[40];
	time_t from;
	size_t i;
	int t;

	printf("%-20s %-4s %10s %10s %10s %10s %12s %12s %12s\n", "FUNCTION",
	       "TIER", "REQUESTS", "CPU_S", "GIB_S", "IDLE_GIB_S", "BYTES_IN",
	       "BYTES_OUT", c->prices.currency);
	for (i = 0; i < c->n; i++) {
		const struct row *r = &c->rows[i];

		if (name && strcmp(name, r->name))
			continue;
		printf("%-20s %-4s %10llu %10.3f %10.3f %10.3f %12llu %12llu %12.6g%s\n",
		       r->name, kfaas_tier_name(r->tier),
		       (unsigned long long)r->requests, r->cpu_s, r->gib_s,
		       r->idle_gib_s, (unsigned long long)r->bytes_in,
		       (unsigned long long)r->bytes_out, r->p.total,
		       r->partial ? " (partial)" : "");
		sum += r->p.total;
	}
	printf("%-20s %-4s %10s %10s %10s %10s %12s %12s %12.6g\n", "total", "",
	       "", "", "", "", "", "", sum);
	from = (time_t)c->since;
	if (c->since)
		strftime(t1, sizeof(t1), "%Y-%m-%dT%H:%M:%S%z", localtime(&from));
	printf("since %s; prices: %s: %g %s per million requests, %g per "
	       "CPU-second, %g per GiB-second\n", c->since ? t1 :
	       "each function's load", c->prices.source,
	       c->prices.per_million_requests, c->prices.currency,
	       c->prices.per_cpu_second, c->prices.per_gib_second);
	tier_sums(c, name, req, cost);
	for (t = KFAAS_TIER_XDP; t < KFAAS_TIER_MAX; t++)
		if (req[t])
			printf("tier %s: %llu requests, %.6g %s per million\n",
			       kfaas_tier_name(t), (unsigned long long)req[t],
			       cost[t] / req[t] * 1e6, c->prices.currency);
	for (i = 0; i < nalt; i++)
		if (!name || !strcmp(name, alt[i].fn->name))
			printf("%s (%s): %.6g %s; at the %s tier, priced like %s "
			       "(same route): %.6g\n", alt[i].fn->name,
			       kfaas_tier_name(alt[i].fn->tier), alt[i].fn->p.total,
			       c->prices.currency, kfaas_tier_name(alt[i].like->tier),
			       alt[i].like->name, alt[i].there);
	if (!c->daemon)
		printf("note: kfaasd is not running: VM-tier CPU and memory are "
		       "not known (0 above)\n");
}

/* A label value: function names are letters, digits, '_' and '-', but a
 * label is escaped whatever it holds. */
static void label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			putchar('\\');
		putchar(*s == '\n' ? 'n' : *s);
	}
}

/* One usage figure of every function: a gauge family. */
static void prom_usage(const struct cost *c, const char *name, const char *metric,
		       const char *help, size_t off)
{
	size_t i;

	printf("# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (i = 0; i < c->n; i++) {
		const struct row *r = &c->rows[i];

		if (name && strcmp(name, r->name))
			continue;
		printf("%s{function=\"", metric);
		label(r->name);
		printf("\",tier=\"%s\"} %.9g\n", kfaas_tier_name(r->tier),
		       *(const double *)((const char *)r + off));
	}
}

static void print_prometheus(const struct cost *c, const char *name)
{
	static const char *const items[] = { "requests", "cpu", "memory", "total" };
	size_t i, k;

	printf("# HELP kfaas_cost What each function cost, by item, in the price "
	       "sheet's currency (kfaas cost).\n# TYPE kfaas_cost gauge\n");
	for (i = 0; i < c->n; i++) {
		const struct row *r = &c->rows[i];
		const double v[] = { r->p.requests, r->p.cpu, r->p.memory, r->p.total };

		if (name && strcmp(name, r->name))
			continue;
		for (k = 0; k < 4; k++) {
			printf("kfaas_cost{function=\"");
			label(r->name);
			printf("\",tier=\"%s\",item=\"%s\",currency=\"%s\"} %.9g\n",
			       kfaas_tier_name(r->tier), items[k], c->prices.currency,
			       v[k]);
		}
	}
	prom_usage(c, name, "kfaas_cost_cpu_seconds", "CPU time priced (eBPF: "
		   "accounting; VM: QEMU).", offsetof(struct row, cpu_s));
	prom_usage(c, name, "kfaas_cost_memory_gib_seconds", "Memory held for "
		   "the function (VMs and templates).", offsetof(struct row, gib_s));
}

static int usage(void)
{
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s cost [NAME] [--since T] [--prices FILE] [--prometheus]\n"
		"\n"
		"What every function cost, per function and tier: requests, CPU\n"
		"time (eBPF: the accounting's; VM tier: its QEMU processes'),\n"
		"memory GiB-seconds of the VMs and templates held for it, bytes\n"
		"in and out, priced per million requests, per CPU-second and per\n"
		"GiB-second (default: Cloud Run's list prices, see --prices), and\n"
		"per tier; a function on a route with a VM fallback is priced at\n"
		"the other tier too.  T: 90s, 15m, 2h, 1d ago, @EPOCH or\n"
		"YYYY-MM-DDTHH:MM[:SS] (needs kfaasd, which keeps the history).\n"
		"FILE: JSON with source, currency, per_million_requests,\n"
		"per_gib_second, per_cpu_second (tools/prices/).\n", bin_name);
	return 0;
}

int do_cost(int argc, char **argv)
{
	struct cost c = { 0 };
	const char *name = NULL, *prices = NULL, *since = NULL;
	struct alt alt[64];
	bool prom = false;
	size_t nalt;
	int rc, i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "help"))
			return usage();
		if (!strcmp(argv[i], "--since") && i + 1 < argc)
			since = argv[++i];
		else if (!strcmp(argv[i], "--prices") && i + 1 < argc)
			prices = argv[++i];
		else if (!strcmp(argv[i], "--prometheus"))
			prom = true;
		else if (argv[i][0] == '-')
			return p_err("unknown or incomplete option '%s': see '%s "
				     "%s help'", argv[i], bin_name, obj_name);
		else if (!name)
			name = argv[i];
		else
			return p_err("unexpected argument '%s': see '%s %s help'",
				     argv[i], bin_name, obj_name);
	}
	kfaas_prices_default(&c.prices);
	if (prices && kfaas_prices_load(&c.prices, prices))
		return p_lib_err();
	if (since && parse_since(since, &c.since))
		return -1;
	rc = from_daemon(&c);
	if (rc > 0 && since)
		return p_err("--since needs kfaasd, which keeps the history: "
			     "start it, or leave --since out (the accounting "
			     "alone: every function since its load)");
	if (rc > 0)
		rc = from_accounting(&c);
	if (rc)
		goto out;
	if (name) {
		size_t k;

		for (k = 0; k < c.n && strcmp(c.rows[k].name, name); k++)
			;
		if (k == c.n) {
			rc = p_err("no function '%s': 'kfaas fn list' shows the "
				   "loaded ones", name);
			goto out;
		}
	}
	price_all(&c);
	nalt = alternatives(&c, alt, sizeof(alt) / sizeof(alt[0]));
	if (prom)
		print_prometheus(&c, name);
	else if (json_output)
		print_json(&c, name, alt, nalt);
	else
		print_text(&c, name, alt, nalt);
out:
	free(c.rows);
	return rc;
}
