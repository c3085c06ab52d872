// SPDX-License-Identifier: GPL-2.0
/*
 * The simulator behind `kfaas sim`: replays a trace through one policy at
 * full speed, without VMs, in one event loop over all functions (they
 * share the memory cap).  The policy code is the library's
 * (kfaas_lc_decide, kfaas_lc_temp_at, kfaas_lc_evict_pick), the same
 * kfaasd's pool calls.
 *
 * Model (docs/lifecycle.md): one instance per function, as in Shahrad et
 * al.'s simulator.  A minute's count c is spread evenly: arrival i of the
 * minute at (2i + 1) * 60 s / 2c.  An invocation runs for the function's
 * average duration (durations file) or opts->dur_ms; its idle period
 * starts when it ends.  The c - 1 gaps inside one minute are alike: they
 * are judged and counted as one batch with the decision made after the
 * minute's first invocation.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kfaas_lifecycle.h"
#include "libkfaas.h"

#define MINUTE_MS	60000ULL

enum { EV_CHANGE = 0, EV_ARRIVAL = 1 };	/* at equal times, changes first */

struct event {
	uint64_t	t;
	uint32_t	fn;
	uint32_t	gen;
	uint8_t		kind;
};

struct heap {
	struct event	*e;
	size_t		n, cap;
};

struct fstate {
	struct kfaas_lc_hist		h;
	struct kfaas_lc_decision	d;
	struct kfaas_lc_costs		c;
	enum kfaas_lc_temp		temp;
	uint64_t			idle_start;	/* end of the last invocation */
	uint64_t			busy_until;
	uint64_t			acct;		/* waste counted up to */
	uint32_t			gen;
	uint32_t			cur;		/* next minute in the trace */
	double				dur_ms;
	double				freq;		/* invocations since loaded cold */
	double				clock;		/* cache clock at its last use */
	bool				started;
};

struct sim {
	const struct kfaas_trace	*t;
	const struct kfaas_lc_policy	*pol;
	const struct kfaas_lc_sim_opts	*o;
	struct kfaas_lc_sim_result	*r;
	struct fstate			*f;
	struct heap			q;
	struct kfaas_lc_cache		cache;
	struct kfaas_lc_item		*items;
	uint32_t			*item_fn;
	double				held_mib;
	double				decide_ns;
};

static bool ev_less(const struct event *a, const struct event *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->fn < b->fn;
}

static int heap_push(struct heap *q, struct event e)
{
	size_t i;

	if (q->n == q->cap) {
		size_t n = q->cap ? q->cap * 2 : 1024;
		void *p = realloc(q->e, n * sizeof(*q->e));

		if (!p)
			return kfaas_err(-ENOMEM, "out of memory simulating");
		q->e = p;
		q->cap = n;
	}
	for (i = q->n++; i && ev_less(&e, &q->e[(i - 1) / 2]); i = (i - 1) / 2)
		q->e[i] = q->e[(i - 1) / 2];
	q->e[i] = e;
	return 0;
}

static struct event heap_pop(struct heap *q)
{
	struct event top = q->e[0], last = q->e[--q->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < q->n) {
		if (c + 1 < q->n && ev_less(&q->e[c + 1], &q->e[c]))
			c++;
		if (!ev_less(&q->e[c], &last))
			break;
		q->e[i] = q->e[c];
		i = c;
	}
	q->e[i] = last;
	return top;
}

/* Count the memory f held idle from f->acct to now. */
static void account(struct sim *s, struct fstate *f, uint64_t now)
{
	double dt;

	if (now <= f->acct)
		return;
	dt = (now - f->acct) / 1000.0 / 1024.0;	/* GiB-s per MiB */
	if (f->temp >= KFAAS_LC_TEMPLATE)
		s->r->wasted_tpl_gib_s += f->c.tpl_mib * dt;
	if (f->temp == KFAAS_LC_WARM)
		s->r->wasted_vm_gib_s += f->c.vm_mib * dt;
	f->acct = now;
}

static void set_temp(struct sim *s, struct fstate *f, enum kfaas_lc_temp t)
{
	s->held_mib += kfaas_lc_temp_mib(&f->c, t) - kfaas_lc_temp_mib(&f->c, f->temp);
	f->temp = t;
	if (t == KFAAS_LC_COLD)
		f->freq = 0;
}

/* Step others down until need MiB more fit under the cap: false if they
 * cannot (everything left is busy). */
static bool make_room(struct sim *s, uint32_t self, double need, uint64_t now)
{
	double cap = s->o->mem_limit_mib;
	size_t n, i;
	long k;

	if (cap <= 0)
		return true;
	while (s->held_mib + need > cap + 1e-9) {
		for (n = 0, i = 0; i < s->t->nfns; i++) {
			struct fstate *f = &s->f[i];
			struct kfaas_lc_cache at = { f->clock };
			bool warm = f->temp == KFAAS_LC_WARM;
			enum kfaas_lc_temp below = warm ? KFAAS_LC_TEMPLATE : KFAAS_LC_COLD;
			double mib;

			if (f->temp == KFAAS_LC_COLD || i == self)
				continue;
			mib = warm ? f->c.vm_mib : f->c.tpl_mib;
			s->items[n] = (struct kfaas_lc_item){
				.id = (uint32_t)i, .temp = f->temp, .mib = mib,
				.busy = now < f->busy_until,
				.priority = kfaas_lc_priority(&at, f->freq,
					f->c.lat_ms[below] - f->c.lat_ms[f->temp], mib),
			};
			s->item_fn[n++] = (uint32_t)i;
		}
		k = kfaas_lc_evict_pick(&s->cache, s->items, n);
		if (k < 0)
			return false;
		account(s, &s->f[s->item_fn[k]], now);
		set_temp(s, &s->f[s->item_fn[k]], s->items[k].temp - 1);
		s->r->evictions++;
	}
	return true;
}

static int push_change(struct sim *s, uint32_t i)
{
	struct fstate *f = &s->f[i];
	uint64_t since = f->acct > f->idle_start ? f->acct - f->idle_start : 0;
	uint64_t next = kfaas_lc_next_change(&f->d, since);

	if (next == UINT64_MAX)
		return 0;
	return heap_push(&s->q, (struct event){ f->idle_start + next, i, f->gen,
						EV_CHANGE });
}

static int push_arrival(struct sim *s, uint32_t i)
{
	const struct kfaas_trace_fn *tf = &s->t->fns[i];
	struct fstate *f = &s->f[i];

	if (f->cur >= tf->nmin)
		return 0;
	return heap_push(&s->q, (struct event){
		tf->minute[f->cur] * MINUTE_MS + MINUTE_MS / (2 * tf->count[f->cur]),
		i, 0, EV_ARRIVAL });
}

/* A point of f's schedule: the temperature changes. */
static int on_change(struct sim *s, uint32_t i, uint64_t now)
{
	struct fstate *f = &s->f[i];
	uint64_t since = now - f->idle_start;
	enum kfaas_lc_temp want = kfaas_lc_temp_at(&f->d, since);
	enum kfaas_lc_temp before = since ? kfaas_lc_temp_at(&f->d, since - 1) :
				    KFAAS_LC_WARM;

	account(s, f, now);
	if (want > before && want > f->temp) {
		/* a pre-warm: only if the cap lets it */
		if (make_room(s, i, kfaas_lc_temp_mib(&f->c, want) -
			      kfaas_lc_temp_mib(&f->c, f->temp), now)) {
			set_temp(s, f, want);
			if (want == KFAAS_LC_WARM)
				s->r->prewarms++;
		}
	} else if (want < f->temp) {
		set_temp(s, f, want);
	}
	return push_change(s, i);
}

static void decide(struct sim *s, struct fstate *f)
{
	struct timespec a, b;

	if (s->pol->mode != KFAAS_LC_HIST) {
		kfaas_lc_decide_fixed(s->pol->keep_ms, &f->d);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	kfaas_lc_decide(&s->o->params, &f->c, &f->h, &f->d);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s->decide_ns += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	s->r->decisions++;
}

static void found(struct sim *s, uint32_t i, enum kfaas_lc_temp t, uint64_t n)
{
	struct kfaas_lc_sim_fn *rf = &s->r->fns[i];

	rf->invocations += n;
	s->r->mode_inv[s->f[i].d.mode] += n;
	s->r->mode_cold[s->f[i].d.mode] += t == KFAAS_LC_WARM ? 0 : n;
	if (t == KFAAS_LC_WARM)
		rf->warm += n;
	else if (t == KFAAS_LC_TEMPLATE)
		rf->restored += n;
	else
		rf->cold += n;
	s->r->start_ms_mean += n * (s->f[i].c.lat_ms[t] - s->f[i].c.lat_ms[KFAAS_LC_WARM]);
}

/* Idle memory of the first g ms of schedule d, into r (c - 1 alike gaps). */
static void gap_waste(struct sim *s, const struct fstate *f, uint64_t g, uint64_t n)
{
	uint64_t at = 0, next;

	while (at < g) {
		enum kfaas_lc_temp t = kfaas_lc_temp_at(&f->d, at);
		double dt;

		next = kfaas_lc_next_change(&f->d, at);
		if (next > g)
			next = g;
		dt = (double)n * (next - at) / 1000.0 / 1024.0;
		if (t >= KFAAS_LC_TEMPLATE)
			s->r->wasted_tpl_gib_s += f->c.tpl_mib * dt;
		if (t == KFAAS_LC_WARM)
			s->r->wasted_vm_gib_s += f->c.vm_mib * dt;
		at = next;
	}
}

/* The minute's invocations of function i; the first one arrives now.
 * (Kept whole: the order of its steps is the model.) */
static int on_arrival(struct sim *s, uint32_t i, uint64_t now)
{
	const struct kfaas_trace_fn *tf = &s->t->fns[i];
	struct fstate *f = &s->f[i];
	uint32_t c = tf->count[f->cur];
	uint64_t step = MINUTE_MS / c, gap = 0, idle;
	enum kfaas_lc_temp t = f->temp;

	account(s, f, now);
	if (now < f->busy_until)
		t = KFAAS_LC_WARM;	/* still running the last one */
	if (f->d.mode == KFAAS_LC_FORECAST && f->started) {
		s->r->fc_windows++;
		s->r->fc_hits += t == KFAAS_LC_WARM;
	}
	found(s, i, t, 1);
	if (t != KFAAS_LC_WARM && !make_room(s, i, kfaas_lc_temp_mib(&f->c, KFAAS_LC_WARM) -
					      kfaas_lc_temp_mib(&f->c, t), now))
		s->r->cap_overruns++;
	set_temp(s, f, KFAAS_LC_WARM);
	idle = f->started && now > f->idle_start ? now - f->idle_start : 0;
	if (f->started && s->pol->mode == KFAAS_LC_HIST)
		kfaas_lc_hist_add(&f->h, idle);
	f->started = true;
	f->freq += c;
	f->clock = s->cache.clock;
	if (c > 1) {
		/* the other c - 1, alike: judged with the decision after the first */
		gap = step > f->dur_ms ? step - (uint64_t)f->dur_ms : 0;
		decide(s, f);
		t = kfaas_lc_temp_at(&f->d, gap);
		found(s, i, t, c - 1);
		gap_waste(s, f, gap, c - 1);
		if (s->pol->mode == KFAAS_LC_HIST)
			kfaas_lc_hist_add_n(&f->h, gap, c - 1);
	}
	f->idle_start = now + (c - 1) * step + (uint64_t)f->dur_ms;
	if (f->idle_start > f->busy_until)
		f->busy_until = f->idle_start;
	f->idle_start = f->busy_until;
	f->acct = f->idle_start;
	decide(s, f);
	f->gen++;
	f->cur++;
	/* the idle period starts with a change at its time 0 */
	if (heap_push(&s->q, (struct event){ f->idle_start, i, f->gen, EV_CHANGE }))
		return -ENOMEM;
	return push_arrival(s, i);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void finish(struct sim *s, uint64_t end)
{
	struct kfaas_lc_sim_result *r = s->r;
	double *pct = calloc(r->nfns ? r->nfns : 1, sizeof(*pct));
	size_t i, n = 0;

	for (i = 0; i < r->nfns; i++) {
		struct kfaas_lc_sim_fn *rf = &r->fns[i];

		account(s, &s->f[i], end);
		r->invocations += rf->invocations;
		r->warm += rf->warm;
		r->restored += rf->restored;
		r->cold += rf->cold;
		if (s->f[i].started)
			r->mode_fns[s->f[i].d.mode]++;
		if (rf->invocations && pct)
			pct[n++] = 100.0 * (rf->invocations - rf->warm) / rf->invocations;
	}
	r->wasted_gib_s = r->wasted_vm_gib_s + r->wasted_tpl_gib_s;
	if (r->invocations) {
		r->cold_pct = 100.0 * (r->invocations - r->warm) / r->invocations;
		r->boot_pct = 100.0 * r->cold / r->invocations;
		r->start_ms_mean /= r->invocations;
	}
	if (n && pct) {
		/* nearest rank */
		size_t k = (size_t)ceil(0.75 * n);

		qsort(pct, n, sizeof(*pct), cmp_double);
		r->fn_p75_cold_pct = pct[k ? k - 1 : 0];
	}
	free(pct);
	r->decide_ns = r->decisions ? s->decide_ns / r->decisions : 0;
	r->seconds = end / 1000.0;
}

static int sim_init(struct sim *s)
{
	const struct kfaas_lc_sim_opts *o = s->o;
	size_t i, n = s->t->nfns;
	int rc;

	s->r->fns = calloc(n ? n : 1, sizeof(*s->r->fns));
	s->f = calloc(n ? n : 1, sizeof(*s->f));
	s->items = calloc(n ? n : 1, sizeof(*s->items));
	s->item_fn = calloc(n ? n : 1, sizeof(*s->item_fn));
	if (!s->r->fns || !s->f || !s->items || !s->item_fn)
		return kfaas_err(-ENOMEM, "out of memory simulating %zu functions", n);
	s->r->nfns = n;
	for (i = 0; i < n; i++) {
		const struct kfaas_trace_fn *tf = &s->t->fns[i];
		struct fstate *f = &s->f[i];
		uint32_t mem = o->mem_mib;

		if (tf->mem_mb > 0) /* a VM's guest RAM: 96 MiB at least (kfaasd) */
			mem = tf->mem_mb < 96 ? 96 : (uint32_t)ceil(tf->mem_mb);
		kfaas_lc_costs_default(&f->c, mem);
		f->c.vm_mib = o->vm_mib;
		f->dur_ms = tf->avg_ms >= 0 ? tf->avg_ms : o->dur_ms;
		kfaas_lc_decide_fixed(0, &f->d);
		if (s->pol->mode == KFAAS_LC_HIST &&
		    (rc = kfaas_lc_hist_init(&f->h, o->bin_ms, o->nbins)))
			return rc;
		if ((rc = push_arrival(s, (uint32_t)i)))
			return rc;
	}
	return 0;
}

int kfaas_lc_sim_run(const struct kfaas_trace *t, const struct kfaas_lc_policy *pol,
		     const struct kfaas_lc_sim_opts *o, struct kfaas_lc_sim_result *r)
{
	struct sim s = { .t = t, .pol = pol, .o = o, .r = r };
	uint64_t end = (uint64_t)t->days * KFAAS_TRACE_MINUTES * MINUTE_MS;
	size_t i;
	int rc;

	if (o->until_min && (uint64_t)o->until_min * MINUTE_MS < end)
		end = (uint64_t)o->until_min * MINUTE_MS;
	memset(r, 0, sizeof(*r));
	r->policy = *pol;
	rc = sim_init(&s);
	while (!rc && s.q.n) {
		struct event e = heap_pop(&s.q);

		if (e.t >= end)
			continue;	/* past the trace: nothing more to see */
		if (e.kind == EV_ARRIVAL)
			rc = on_arrival(&s, e.fn, e.t);
		else if (e.gen == s.f[e.fn].gen)
			rc = on_change(&s, e.fn, e.t);
	}
	if (!rc)
		finish(&s, end);
	for (i = 0; s.f && i < t->nfns; i++)
		kfaas_lc_hist_free(&s.f[i].h);
	free(s.f);
	free(s.items);
	free(s.item_fn);
	free(s.q.e);
	if (rc)
		kfaas_lc_sim_result_free(r);
	return rc;
}

void kfaas_lc_sim_result_free(struct kfaas_lc_sim_result *r)
{
	free(r->fns);
	r->fns = NULL;
}

int kfaas_lc_policy_parse(struct kfaas_lc_policy *p, const char *s)
{
	unsigned long long v;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!strcmp(s, "none")) {
		p->mode = KFAAS_LC_NONE;
	} else if (!strcmp(s, "auto")) {
		p->mode = KFAAS_LC_HIST;
	} else if (!strncmp(s, "fixed:", 6)) {
		errno = 0;
		v = strtoull(s + 6, &end, 10);
		if (s[6] < '0' || s[6] > '9' || *end || errno || !v || v > 7 * 86400)
			return kfaas_err(-EINVAL, "bad policy '%s': fixed:SECONDS "
					 "takes 1 to 604800 seconds", s);
		p->mode = KFAAS_LC_FIXED;
		p->keep_ms = v * 1000;
	} else {
		return kfaas_err(-EINVAL, "unknown policy '%s': give none, "
				 "fixed:SECONDS or auto", s);
	}
	snprintf(p->name, sizeof(p->name), "%s", s);
	return 0;
}

void kfaas_lc_sim_opts_default(struct kfaas_lc_sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	kfaas_lc_params_default(&o->params);
	o->bin_ms = KFAAS_LC_BIN_MS_DEFAULT;
	o->nbins = KFAAS_LC_NBINS_DEFAULT;
	o->mem_mib = 128;
	o->vm_mib = 51.5;
}

double kfaas_lc_frontier_at(const double *wasted, const double *cold, size_t n,
			    double at)
{
	double best = -1, lo_w = -1, lo_c = 0, hi_w = -1, hi_c = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (wasted[i] <= at && (lo_w < 0 || wasted[i] > lo_w)) {
			lo_w = wasted[i];
			lo_c = cold[i];
		}
		if (wasted[i] >= at && (hi_w < 0 || wasted[i] < hi_w)) {
			hi_w = wasted[i];
			hi_c = cold[i];
		}
	}
	if (lo_w < 0 || hi_w < 0)
		return best;
	if (hi_w == lo_w)
		return lo_c;
	return lo_c + (hi_c - lo_c) * (at - lo_w) / (hi_w - lo_w);
}
