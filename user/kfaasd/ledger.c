// SPDX-License-Identifier: GPL-2.0
/*
 * What kfaasd learns and keeps about every registered function, of every
 * tier:
 *
 *   arrivals   the idle-time histogram of the lifecycle policy
 *              (kfaas_lifecycle.h).  VM tier: from the requests kfaasd
 *              serves, to the millisecond (lifecycle.c).  eBPF tiers:
 *              their invocations happen in the kernel without kfaasd, so
 *              their accounting counters are read every --sample ms
 *              (1000): an increase of n is n arrivals seen at that read,
 *              the first after the time since the last read that saw one,
 *              the other n - 1 spread evenly over the period (as the
 *              simulator spreads a minute's count).  An eBPF arrival's
 *              time is thus known to one sample period.
 *   cost       what the accounting does not hold: the CPU time of the
 *              function's QEMU processes and the memory its VMs and
 *              templates held (MiB-s, the idle part apart), and a history
 *              of all of it (one point every --cost-step s, the last 1440)
 *              for `kfaas cost --since`.
 *
 * Kept in RUNDIR/lifecycle/ID-LOADTIME.hist (the library's histogram
 * file) and .cost (JSON), saved every minute and at a clean stop, loaded
 * when the function is adopted: a restarted kfaasd keeps what was learnt.
 * The load time in the name tells a function apart from an earlier one
 * with the same id; files of functions no longer registered are removed.
 * The start and stop of the daemon leave this directory alone (rundir.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kfaasd.h"

#define RING		1440		/* history points kept */
#define SAVE_MS		60000

struct point {
	uint64_t		t;		/* CLOCK_REALTIME seconds */
	struct kfaas_stats	acct;
	uint64_t		vm_cpu_ns;
	double			mem_mib_s, idle_mib_s, tpl_mib_s;
};

struct ledger {
	struct list	link;
	__u32		id;
	__u64		load_time;
	__u8		tier;
	char		name[KFAAS_NAME_LEN];
	struct kfaas_lc_hist h;
	bool		have_hist;
	/* eBPF tiers: arrivals from the accounting */
	__u64		inv;
	bool		inv_known;
	uint64_t	last_ms;	/* the read that last saw one, 0: none */
	/* cost */
	struct kfaas_stats acct;	/* as last read */
	uint64_t	cpu_base_ns;	/* QEMU CPU of earlier daemons */
	double		mem_mib_s, idle_mib_s, tpl_mib_s;
	struct point	*ring;
	unsigned int	nring, head;
	bool		dirty, seen;
};

static struct list ledgers = LIST_INIT(ledgers);
static uint64_t next_sample, last_sample, next_step, next_save;
static bool swept;

static struct ledger *find(__u32 id)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &ledgers) {
		struct ledger *g = container_of(l, struct ledger, link);

		if (g->id == id)
			return g;
	}
	return NULL;
}

static int file_of(const struct ledger *g, const char *ext, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/lifecycle/%u-%llu.%s", opts.run_dir, g->id,
			 (unsigned long long)g->load_time, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static uint64_t vm_cpu_ns(const struct ledger *g)
{
	struct fn *f = g->tier == KFAAS_TIER_VM ? fn_by_id(g->id) : NULL;

	return g->cpu_base_ns + (f && f->load_time == g->load_time ?
				 pool_cpu_ns(&f->pool) : 0);
}

/* ---- the files --------------------------------------------------------- */

static void load_hist(struct ledger *g)
{
	char path[300];
	int rc;

	g->have_hist = !kfaas_lc_hist_init(&g->h, opts.hist_bin_ms, opts.hist_bins);
	if (!g->have_hist || file_of(g, "hist", path, sizeof(path)))
		return;
	rc = kfaas_lc_hist_load(&g->h, path);
	if (rc == -ESTALE)
		info("function '%s': %s was learnt with other bins: starting "
		     "afresh", g->name, path);
	else if (rc && rc != -ENOENT)
		warn("function '%s': %s (replaced)", g->name, kfaas_errmsg());
	else if (!rc)
		info("function '%s': %llu idle times learnt before, from %s",
		     g->name, (unsigned long long)(g->h.total + g->h.oob), path);
}

static double num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static void load_cost(struct ledger *g)
{
	json_object *o;
	char path[300];

	if (file_of(g, "cost", path, sizeof(path)) || access(path, R_OK))
		return;
	o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		warn("function '%s': %s is not a cost file (replaced)", g->name, path);
		json_object_put(o);
		return;
	}
	g->cpu_base_ns = (uint64_t)num(o, "vm_cpu_ns");
	g->mem_mib_s = num(o, "mem_mib_s");
	g->idle_mib_s = num(o, "idle_mib_s");
	g->tpl_mib_s = num(o, "tpl_mib_s");
	json_object_put(o);
}

static void save(struct ledger *g)
{
	json_object *o;
	char path[300], tmp[310];

	if (g->have_hist && !file_of(g, "hist", path, sizeof(path)) &&
	    kfaas_lc_hist_save(&g->h, path))
		warn("%s", kfaas_errmsg());
	if (file_of(g, "cost", path, sizeof(path)))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "id", json_object_new_int64(g->id));
	json_object_object_add(o, "load_time", json_object_new_int64(
		(int64_t)g->load_time));
	json_object_object_add(o, "vm_cpu_ns", json_object_new_int64(
		(int64_t)vm_cpu_ns(g)));
	json_object_object_add(o, "mem_mib_s", json_object_new_double(g->mem_mib_s));
	json_object_object_add(o, "idle_mib_s", json_object_new_double(g->idle_mib_s));
	json_object_object_add(o, "tpl_mib_s", json_object_new_double(g->tpl_mib_s));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) ||
	    rename(tmp, path))
		warn("cannot save %s: %s", path, strerror(errno));
	json_object_put(o);
	g->dirty = false;
}

static void forget(struct ledger *g, bool remove_files)
{
	char path[300];

	if (remove_files) {
		if (!file_of(g, "hist", path, sizeof(path)))
			unlink(path);
		if (!file_of(g, "cost", path, sizeof(path)))
			unlink(path);
	}
	list_del(&g->link);
	kfaas_lc_hist_free(&g->h);
	free(g->ring);
	free(g);
}

/* Files of functions no longer registered (a daemon that was stopped
 * while they were unloaded). */
static void sweep(void)
{
	char dir[200], path[500];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/lifecycle", opts.run_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned int id;
		unsigned long long lt;
		struct ledger *g;

		if (de->d_name[0] == '.' ||
		    sscanf(de->d_name, "%u-%llu.", &id, &lt) != 2)
			continue;
		g = find(id);
		if (g && g->load_time == lt)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* ---- history ------------------------------------------------------------ */

static void push_point(struct ledger *g, uint64_t t)
{
	struct point *p;

	if (!g->ring) {
		g->ring = calloc(RING, sizeof(*g->ring));
		if (!g->ring)
			return;
	}
	p = &g->ring[(g->head + g->nring) % RING];
	if (g->nring == RING)
		g->head = (g->head + 1) % RING;
	else
		g->nring++;
	*p = (struct point){ .t = t, .acct = g->acct, .vm_cpu_ns = vm_cpu_ns(g),
			     .mem_mib_s = g->mem_mib_s, .idle_mib_s = g->idle_mib_s,
			     .tpl_mib_s = g->tpl_mib_s };
}

static uint64_t realtime_s(void)
{
	return (uint64_t)time(NULL);
}

/* ---- the registry ------------------------------------------------------- */

void ledger_adopt(const struct kfaas_fn_info *f)
{
	struct ledger *g;
	char dir[200];

	if (find(f->id))
		return;
	g = calloc(1, sizeof(*g));
	if (!g)
		return;
	g->id = f->id;
	g->load_time = f->load_time;
	g->tier = f->tier;
	snprintf(g->name, sizeof(g->name), "%s", f->name);
	snprintf(dir, sizeof(dir), "%s/lifecycle", opts.run_dir);
	mkdir(dir, 0700);
	load_hist(g);
	load_cost(g);
	g->seen = true;
	list_add_tail(&g->link, &ledgers);
	if (!kfaas_stats_read(&pinroot, g->id, &g->acct)) {
		g->inv = g->acct.invocations;
		g->inv_known = true;
	}
	push_point(g, realtime_s());
}

void ledger_sync(const struct kfaas_fn_info *fns, size_t n)
{
	struct list *l, *t;
	size_t i;

	list_for_each_safe(l, t, &ledgers)
		container_of(l, struct ledger, link)->seen = false;
	for (i = 0; i < n; i++) {
		struct ledger *g = find(fns[i].id);

		if (g && (g->load_time != fns[i].load_time ||
			  strncmp(g->name, fns[i].name, KFAAS_NAME_LEN))) {
			forget(g, true);	/* the id was reused */
			g = NULL;
		}
		if (g)
			g->seen = true;
		else
			ledger_adopt(&fns[i]);
	}
	list_for_each_safe(l, t, &ledgers) {
		struct ledger *g = container_of(l, struct ledger, link);

		if (!g->seen)
			forget(g, true);
	}
	if (!swept) {
		sweep();
		swept = true;
	}
}

struct kfaas_lc_hist *ledger_hist(__u32 id)
{
	struct ledger *g = find(id);

	return g && g->have_hist ? &g->h : NULL;
}

void ledger_arrivals(__u32 id, uint64_t idle_ms, uint64_t n)
{
	struct ledger *g = find(id);

	if (!g || !g->have_hist || !n)
		return;
	kfaas_lc_hist_add(&g->h, idle_ms);
	if (n > 1)
		kfaas_lc_hist_add_n(&g->h, opts.sample_ms / n, n - 1);
	g->dirty = true;
}

void ledger_held(__u32 id, double mib, double idle_mib, double tpl_mib,
		 double dt_s)
{
	struct ledger *g = find(id);

	if (!g || dt_s <= 0)
		return;
	g->mem_mib_s += mib * dt_s;
	g->idle_mib_s += idle_mib * dt_s;
	g->tpl_mib_s += tpl_mib * dt_s;
	if (mib > 0)
		g->dirty = true;
}

/* ---- the periodic read --------------------------------------------------- */

/* New invocations of an eBPF-tier function since the last read. */
static void ebpf_arrivals(struct ledger *g, uint64_t now)
{
	__u64 n = g->acct.invocations;

	if (g->tier == KFAAS_TIER_VM)
		return;
	if (g->inv_known && n > g->inv) {
		if (g->last_ms)
			ledger_arrivals(g->id, now - g->last_ms, n - g->inv);
		else if (n - g->inv > 1 && g->have_hist)
			kfaas_lc_hist_add_n(&g->h, opts.sample_ms / (n - g->inv),
					    n - g->inv - 1);
		g->last_ms = now;
		g->dirty = true;
	}
	g->inv = n;
	g->inv_known = true;
}

static void read_accounting(uint64_t now)
{
	struct kfaas_stats *s;
	struct list *l, *t;
	__u32 *ids;
	size_t n = 0, i = 0;

	list_for_each_safe(l, t, &ledgers)
		n++;
	ids = calloc(n + 1, sizeof(*ids));
	s = calloc(n + 1, sizeof(*s));
	list_for_each_safe(l, t, &ledgers)
		if (ids)
			ids[i++] = container_of(l, struct ledger, link)->id;
	if (ids && s && !kfaas_stats_read_list(&pinroot, ids, n, s)) {
		i = 0;
		list_for_each_safe(l, t, &ledgers) {
			struct ledger *g = container_of(l, struct ledger, link);

			g->acct = s[i++];
			ebpf_arrivals(g, now);
		}
	}
	free(ids);
	free(s);
}

void ledger_tick(uint64_t now)
{
	struct list *l, *t;

	if (now < next_sample)
		return;
	read_accounting(now);
	memcap_measure(last_sample ? (now - last_sample) / 1000.0 : 0);
	last_sample = now;
	next_sample = now + opts.sample_ms;
	if (now >= next_step) {
		uint64_t rt = realtime_s();

		list_for_each_safe(l, t, &ledgers)
			push_point(container_of(l, struct ledger, link), rt);
		next_step = now + opts.cost_step_s * 1000ULL;
	}
	if (now >= next_save) {
		list_for_each_safe(l, t, &ledgers) {
			struct ledger *g = container_of(l, struct ledger, link);

			if (g->dirty)
				save(g);
		}
		next_save = now + SAVE_MS;
	}
}

uint64_t ledger_next_deadline(void)
{
	return next_sample;
}

void ledger_save_all(void)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &ledgers)
		save(container_of(l, struct ledger, link));
}

/* ---- answers ------------------------------------------------------------- */

static json_object *ms_array(const uint64_t *v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)v[i]));
	return a;
}

static int64_t pct_ms(const struct kfaas_lc_hist *h, double p, bool end)
{
	int b = kfaas_lc_hist_percentile_bin(h, p);

	return b < 0 ? -1 : (int64_t)(b + end) * h->bin_ms;
}

json_object *ledger_show(__u32 id)
{
	struct ledger *g = find(id);
	const struct kfaas_lc_hist *h;
	json_object *o, *bins;
	uint64_t recent[KFAAS_LC_RECENT];
	uint32_t i, nr, shown = 0;
	char path[300];

	if (!g || !g->have_hist)
		return NULL;
	h = &g->h;
	o = json_object_new_object();
	json_object_object_add(o, "observed", json_object_new_string(
		g->tier == KFAAS_TIER_VM ? "each request kfaasd serves (ms)" :
		"the accounting, read every sample period"));
	json_object_object_add(o, "sample_ms", json_object_new_int64(opts.sample_ms));
	json_object_object_add(o, "bin_ms", json_object_new_int64(h->bin_ms));
	json_object_object_add(o, "bins", json_object_new_int64(h->nbins));
	json_object_object_add(o, "range_ms", json_object_new_int64(
		(int64_t)kfaas_lc_hist_range_ms(h)));
	json_object_object_add(o, "samples", json_object_new_int64(
		(int64_t)(h->total + h->oob)));
	json_object_object_add(o, "out_of_range", json_object_new_int64(
		(int64_t)h->oob));
	json_object_object_add(o, "cv", json_object_new_double(
		round(kfaas_lc_hist_cv(h) * 100) / 100));
	json_object_object_add(o, "head_ms", json_object_new_int64(pct_ms(h, 5, false)));
	json_object_object_add(o, "p50_ms", json_object_new_int64(pct_ms(h, 50, false)));
	json_object_object_add(o, "tail_ms", json_object_new_int64(pct_ms(h, 99, true)));
	nr = h->nrecent < KFAAS_LC_RECENT ? h->nrecent : KFAAS_LC_RECENT;
	for (i = 0; i < nr; i++)	/* oldest first */
		recent[i] = h->recent[(h->nrecent - nr + i) % KFAAS_LC_RECENT];
	json_object_object_add(o, "recent_ms", ms_array(recent, nr));
	bins = json_object_new_array();
	for (i = 0; i < h->nbins && shown < 24; i++) {
		json_object *b;

		if (!h->bins[i])
			continue;
		b = json_object_new_array();
		json_object_array_add(b, json_object_new_int64((int64_t)i * h->bin_ms));
		json_object_array_add(b, json_object_new_int64(h->bins[i]));
		json_object_array_add(bins, b);
		shown++;
	}
	json_object_object_add(o, "counts", bins);
	if (!file_of(g, "hist", path, sizeof(path)))
		json_object_object_add(o, "file", json_object_new_string(path));
	return o;
}

/* The point the cost is counted from: none (zero: since the load), the
 * last one at or before since, or the oldest kept (partial). */
static const struct point *base_of(const struct ledger *g, uint64_t since,
				   bool *partial)
{
	const struct point *best = NULL;
	unsigned int i;

	*partial = false;
	if (!since || since <= g->load_time || !g->nring)
		return NULL;
	for (i = 0; i < g->nring; i++) {
		const struct point *p = &g->ring[(g->head + i) % RING];

		if (p->t <= since)
			best = p;
	}
	if (!best) {
		*partial = true;
		best = &g->ring[g->head];
	}
	return best;
}

#define ADD(o, k, v)	json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))

static json_object *cost_of(struct ledger *g, uint64_t since)
{
	const struct point zero = { .t = g->load_time }, *b;
	json_object *o = json_object_new_object();
	struct kfaas_stats a = g->acct;
	bool partial;

	kfaas_stats_read(&pinroot, g->id, &a);	/* as of now */
	b = base_of(g, since, &partial);
	if (!b)
		b = &zero;
	ADD(o, "id", g->id);
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "tier", json_object_new_string(
		kfaas_tier_name(g->tier)));
	ADD(o, "load_time", g->load_time);
	ADD(o, "from", b->t);
	json_object_object_add(o, "partial", json_object_new_boolean(partial));
	ADD(o, "requests", a.invocations - b->acct.invocations);
	ADD(o, "errors", a.errors - b->acct.errors);
	ADD(o, "throttled", a.throttled - b->acct.throttled);
	ADD(o, "passed", a.passed - b->acct.passed);
	ADD(o, "bytes_in", a.bytes_in - b->acct.bytes_in);
	ADD(o, "bytes_out", a.bytes_out - b->acct.bytes_out);
	ADD(o, "acct_cpu_ns", a.cpu_ns - b->acct.cpu_ns);
	if (g->tier == KFAAS_TIER_VM) {
		ADD(o, "vm_cpu_ns", vm_cpu_ns(g) - b->vm_cpu_ns);
		json_object_object_add(o, "mem_gib_s", json_object_new_double(
			(g->mem_mib_s - b->mem_mib_s) / 1024));
		json_object_object_add(o, "idle_gib_s", json_object_new_double(
			(g->idle_mib_s - b->idle_mib_s) / 1024));
		json_object_object_add(o, "template_gib_s", json_object_new_double(
			(g->tpl_mib_s - b->tpl_mib_s) / 1024));
	}
	return o;
}

json_object *ledger_cost(uint64_t since)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct list *l, *t;

	list_for_each_safe(l, t, &ledgers)
		json_object_array_add(a, cost_of(container_of(l, struct ledger,
							       link), since));
	ADD(o, "since", since);
	ADD(o, "now", realtime_s());
	ADD(o, "step_s", opts.cost_step_s);
	ADD(o, "sample_ms", opts.sample_ms);
	json_object_object_add(o, "functions", a);
	return o;
}
