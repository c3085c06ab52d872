// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle policy: from a function's idle-time histogram, which
 * temperature (warm VM, snapshot template, nothing) to hold when during
 * its next idle period, and why.  docs/lifecycle.md explains the model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kfaas_lifecycle.h"

static const char *const temp_names[] = { "cold", "template", "warm" };
static const char *const mode_names[] = { "none", "fixed", "histogram",
					  "default", "forecast" };

const char *kfaas_lc_temp_name(enum kfaas_lc_temp t)
{
	return (unsigned int)t < KFAAS_LC_NTEMPS ? temp_names[t] : "?";
}

const char *kfaas_lc_mode_name(enum kfaas_lc_mode m)
{
	return (unsigned int)m <= KFAAS_LC_FORECAST ? mode_names[m] : "?";
}

/*
 * Measured here (docs/performance.md, make bench item 7, TCG): a request
 * on an empty pool is answered in 1609 ms after a cold boot, 163 ms from
 * a snapshot clone, 5.5 ms by a warm VM; an idle clone's private memory
 * is 51.5 MiB; a template's RAM file holds at most the guest's RAM.
 */
void kfaas_lc_costs_default(struct kfaas_lc_costs *c, uint32_t mem_mib)
{
	c->lat_ms[KFAAS_LC_COLD] = 1609;
	c->lat_ms[KFAAS_LC_TEMPLATE] = 163;
	c->lat_ms[KFAAS_LC_WARM] = 5.5;
	c->tpl_mib = mem_mib;
	c->vm_mib = 51.5;
}

double kfaas_lc_temp_mib(const struct kfaas_lc_costs *c, enum kfaas_lc_temp t)
{
	switch (t) {
	case KFAAS_LC_WARM:
		return c->tpl_mib + c->vm_mib;
	case KFAAS_LC_TEMPLATE:
		return c->tpl_mib;
	default:
		return 0;
	}
}

/*
 * An avoided cold start of a function idle 1 minute on average is worth
 * 60000 idle MiB-s (a 179.5 MiB warm VM for 334 s), scaled by the square
 * root of its mean idle time: chosen on the generated trace (seed 1) as
 * the setting that beats fixed 10-minute keep-alive on both cold starts
 * and memory (docs/lifecycle.md, "Tuning").
 */
#define WORTH_DEFAULT		120000.0
#define FAIRNESS_DEFAULT	0.5

void kfaas_lc_params_default(struct kfaas_lc_params *p)
{
	p->head_pct = 5;
	p->tail_pct = 99;
	p->margin = 0.10;
	p->cv_min = 2.0;
	p->min_samples = 5;
	p->fixed_ms = 10 * 60 * 1000;
	p->oob_max = 0.5;
	p->fc_margin = 0.15;
	p->worth_mib_s = WORTH_DEFAULT;
	p->fairness = FAIRNESS_DEFAULT;
	p->templates = true;
	p->unit_ms = 60000;
}

/* "1h05m", "9m30s", "12.5s", "250ms" */
static const char *fmt_ms(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	return buf;
}

/* Share of in-range idle times in [a, b) ms, a bin's samples spread evenly
 * over it, relative to all samples (out of range included). */
static double hist_mass(const struct kfaas_lc_hist *h, uint64_t a, uint64_t b)
{
	double sum = 0;
	uint32_t i;

	if (!h->total || b <= a)
		return 0;
	for (i = (uint32_t)(a / h->bin_ms); i < h->nbins; i++) {
		uint64_t lo = (uint64_t)i * h->bin_ms, hi = lo + h->bin_ms;
		uint64_t from = lo > a ? lo : a, to = hi < b ? hi : b;

		if (lo >= b)
			break;
		if (to > from)
			sum += h->bins[i] * (double)(to - from) / h->bin_ms;
	}
	return sum / (double)(h->total + h->oob);
}

/*
 * Hold a template over [a, b) when it saves at least as much latency per
 * MiB-second as the warm window the histogram asked for: no holding is
 * then less worth its memory than the one the policy already pays for.
 */
static bool template_pays(const struct kfaas_lc_costs *c, const struct kfaas_lc_hist *h,
			  const struct kfaas_lc_decision *d, uint64_t a, uint64_t b)
{
	double p_win = hist_mass(h, d->prewarm_ms, d->prewarm_ms + d->keep_ms);
	double p = hist_mass(h, a, b), warm, tpl;

	if (b <= a || !d->keep_ms || p <= 0 || c->tpl_mib <= 0)
		return false;
	warm = p_win * (c->lat_ms[KFAAS_LC_COLD] - c->lat_ms[KFAAS_LC_WARM]) /
	       (kfaas_lc_temp_mib(c, KFAAS_LC_WARM) * d->keep_ms);
	tpl = p * (c->lat_ms[KFAAS_LC_COLD] - c->lat_ms[KFAAS_LC_TEMPLATE]) /
	      (c->tpl_mib * (double)(b - a));
	return tpl >= warm;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The forecast of the next idle time: the median of the recent ones. */
static uint64_t forecast(const struct kfaas_lc_hist *h)
{
	uint64_t v[KFAAS_LC_RECENT];
	uint32_t n = h->nrecent < KFAAS_LC_RECENT ? h->nrecent : KFAAS_LC_RECENT;

	memcpy(v, h->recent, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void decide_forecast(const struct kfaas_lc_params *p, const struct kfaas_lc_hist *h,
			    struct kfaas_lc_decision *d)
{
	uint64_t f = forecast(h), m = (uint64_t)(f * p->fc_margin);

	d->mode = KFAAS_LC_FORECAST;
	d->forecast_ms = (int64_t)f;
	d->fc_n = h->nrecent < KFAAS_LC_RECENT ? h->nrecent : KFAAS_LC_RECENT;
	d->prewarm_ms = f - m;
	d->keep_ms = 2 * m;
}

/*
 * The warm window [A, B) (bins) with A <= amax that gains the most:
 * arrivals it catches minus the idle memory it holds, priced at
 * worth_mib_s per catch.  Held per idle period: for an idle time I,
 * (min(I, b) - a) when I >= a (the VM is started at a and kept to b),
 * nothing when I < a (it was released).  Bins' samples sit at their
 * middles.  O(amax * nbins) with prefix sums.  0 and A = B = 0: no
 * window gains anything.
 */
static double best_window(const struct kfaas_lc_hist *h, uint32_t amax, double mib,
			  double worth, uint32_t *pa, uint32_t *pb)
{
	double all = (double)(h->total + h->oob), best = 0, price = mib / worth;
	double *s, *t, w = h->bin_ms / 1000.0;
	uint32_t a, b, n = h->nbins;

	*pa = *pb = 0;
	s = malloc(2 * (n + 1) * sizeof(*s));
	if (!s || all <= 0) {
		free(s);
		return 0;
	}
	t = s + n + 1;
	s[0] = t[0] = 0;
	for (a = 0; a < n; a++) {
		s[a + 1] = s[a] + h->bins[a];
		t[a + 1] = t[a] + (double)h->bins[a] * a;
	}
	for (a = 0; a <= amax && a < n; a++) {
		for (b = a + 1; b <= n; b++) {
			double in = s[b] - s[a];
			double held = w * ((t[b] - t[a]) + (0.5 - a) * in) +
				      (all - s[b]) * w * (b - a);
			double gain = (in - price * held) / all;

			if (gain > best) {
				best = gain;
				*pa = a;
				*pb = b;
			}
		}
	}
	free(s);
	return best;
}

/* Mean idle time, bins at their middles, out of range at the range. */
static double mean_idle_ms(const struct kfaas_lc_hist *h)
{
	double sum = (double)h->oob * h->nbins, all = (double)(h->total + h->oob);
	uint32_t i;

	for (i = 0; i < h->nbins; i++)
		sum += h->bins[i] * (i + 0.5);
	return all > 0 ? sum / all * h->bin_ms : 0;
}

/* What an avoided cold start of this function is worth, idle MiB-s. */
static double worth_of(const struct kfaas_lc_params *p, const struct kfaas_lc_hist *h)
{
	return p->worth_mib_s * pow(mean_idle_ms(h) / p->unit_ms, p->fairness);
}

static void decide_hist(const struct kfaas_lc_params *p, const struct kfaas_lc_costs *c,
			const struct kfaas_lc_hist *h, struct kfaas_lc_decision *d)
{
	int hb = kfaas_lc_hist_percentile_bin(h, p->head_pct);
	int tb = kfaas_lc_hist_percentile_bin(h, p->tail_pct);
	uint64_t end;

	d->mode = KFAAS_LC_HIST;
	d->head_ms = (int64_t)hb * h->bin_ms;
	d->tail_ms = (int64_t)(tb + 1) * h->bin_ms;
	d->prewarm_ms = (uint64_t)(d->head_ms * (1 - p->margin));
	end = (uint64_t)(d->tail_ms * (1 + p->margin));
	if (p->worth_mib_s > 0) {
		uint32_t a, b;

		best_window(h, (uint32_t)hb, kfaas_lc_temp_mib(c, KFAAS_LC_WARM),
			    worth_of(p, h), &a, &b);
		d->trimmed = true;
		d->prewarm_ms = (uint64_t)((double)a * h->bin_ms * (1 - p->margin));
		end = b ? (uint64_t)((double)b * h->bin_ms * (1 + p->margin)) : 0;
		if (end < d->prewarm_ms)
			end = d->prewarm_ms;
	}
	d->keep_ms = end - d->prewarm_ms;
	if (!p->templates)
		return;
	if (d->prewarm_ms && template_pays(c, h, d, 0, d->prewarm_ms))
		d->gap_temp = KFAAS_LC_TEMPLATE;
	if (end < d->range_ms && template_pays(c, h, d, end, d->range_ms)) {
		d->after_temp = KFAAS_LC_TEMPLATE;
		d->after_ms = d->range_ms - end;
	}
}

/*
 * A histogram too flat to say when the next request comes (CV below the
 * threshold): no pre-warm; keep-alive the fixed default, or, when windows
 * are priced, as long as it gains (from the end of an invocation on).
 */
static void decide_flat(const struct kfaas_lc_params *p, const struct kfaas_lc_costs *c,
			const struct kfaas_lc_hist *h, struct kfaas_lc_decision *d)
{
	uint32_t a, b;

	d->mode = KFAAS_LC_DEFAULT;
	d->keep_ms = p->fixed_ms;
	if (p->worth_mib_s <= 0)
		return;
	best_window(h, 0, kfaas_lc_temp_mib(c, KFAAS_LC_WARM), worth_of(p, h), &a, &b);
	d->trimmed = true;
	d->keep_ms = b ? (uint64_t)((double)b * h->bin_ms * (1 + p->margin)) : 0;
}

void kfaas_lc_decide(const struct kfaas_lc_params *p, const struct kfaas_lc_costs *c,
		     const struct kfaas_lc_hist *h, struct kfaas_lc_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->head_ms = d->tail_ms = d->forecast_ms = -1;
	d->range_ms = kfaas_lc_hist_range_ms(h);
	d->samples = h->total + h->oob;
	d->oob_frac = d->samples ? (double)h->oob / d->samples : 0;
	d->cv = kfaas_lc_hist_cv(h);
	if (d->samples < p->min_samples) {
		d->mode = KFAAS_LC_DEFAULT;
		d->keep_ms = p->fixed_ms;
	} else if (d->oob_frac <= p->oob_max && d->cv < p->cv_min) {
		decide_flat(p, c, h, d);
	} else if (d->oob_frac > p->oob_max) {
		decide_forecast(p, h, d);
	} else {
		decide_hist(p, c, h, d);
	}
}

void kfaas_lc_decide_fixed(uint64_t keep_ms, struct kfaas_lc_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->head_ms = d->tail_ms = d->forecast_ms = -1;
	d->keep_ms = keep_ms;
	d->mode = keep_ms ? KFAAS_LC_FIXED : KFAAS_LC_NONE;
}

/* What the histogram said, before the decision (modes that read it). */
static size_t explain_why(const struct kfaas_lc_params *p,
			  const struct kfaas_lc_decision *d, char *buf, size_t len)
{
	char a[24], b[24], r[24];

	switch (d->mode) {
	case KFAAS_LC_DEFAULT:
		if (d->samples < p->min_samples)
			return snprintf(buf, len, "%llu idle times seen, %llu needed: ",
					(unsigned long long)d->samples,
					(unsigned long long)p->min_samples);
		return snprintf(buf, len, "CV %.2f < %.1f over %llu idle times, not "
				"representative: ", d->cv, p->cv_min,
				(unsigned long long)d->samples);
	case KFAAS_LC_FORECAST:
		return snprintf(buf, len, "%.0f%% of %llu idle times are past the "
				"histogram's %s: next idle time forecast %s (median of "
				"the last %u): ", d->oob_frac * 100,
				(unsigned long long)d->samples,
				fmt_ms(d->range_ms, r, sizeof(r)),
				fmt_ms((uint64_t)d->forecast_ms, a, sizeof(a)), d->fc_n);
	case KFAAS_LC_HIST:
		return snprintf(buf, len, "%llu idle times, CV %.1f >= %.1f, p%g %s, "
				"p%g %s, margin %.0f%%: ", (unsigned long long)d->samples,
				d->cv, p->cv_min, p->head_pct,
				fmt_ms((uint64_t)d->head_ms, a, sizeof(a)), p->tail_pct,
				fmt_ms((uint64_t)d->tail_ms, b, sizeof(b)), p->margin * 100);
	default:
		return 0;
	}
}

const char *kfaas_lc_explain(const struct kfaas_lc_params *p,
			     const struct kfaas_lc_decision *d, char *buf, size_t len)
{
	uint64_t end = d->prewarm_ms + d->keep_ms;
	char a[24], b[24], c[24];
	size_t n;

	if (d->mode == KFAAS_LC_NONE) {
		snprintf(buf, len, "policy none: nothing is kept after an invocation");
		return buf;
	}
	n = explain_why(p, d, buf, len);
	if (n >= len)
		return buf;
	if (!d->keep_ms)
		n += snprintf(buf + n, len - n, "nothing kept: no warm window gains "
			      "more than its memory costs");
	else if (d->mode == KFAAS_LC_FIXED || d->mode == KFAAS_LC_DEFAULT)
		n += snprintf(buf + n, len - n, "%swarm for %s after each invocation",
			      d->mode == KFAAS_LC_FIXED ? "fixed keep-alive: " :
			      "default keep-alive, ", fmt_ms(d->keep_ms, a, sizeof(a)));
	else if (d->prewarm_ms)
		n += snprintf(buf + n, len - n, "released after each invocation, warm "
			      "again from %s to %s", fmt_ms(d->prewarm_ms, a, sizeof(a)),
			      fmt_ms(end, b, sizeof(b)));
	else
		n += snprintf(buf + n, len - n, "warm for %s after each invocation",
			      fmt_ms(end, b, sizeof(b)));
	if (n < len && d->trimmed && d->keep_ms)
		n += snprintf(buf + n, len - n, " (the window that gains most for "
			      "its memory)");
	if (n < len && d->prewarm_ms && d->gap_temp == KFAAS_LC_TEMPLATE)
		n += snprintf(buf + n, len - n, "; its template held until then "
			      "(a request clones it)");
	if (n < len && d->after_ms && d->after_temp == KFAAS_LC_TEMPLATE)
		snprintf(buf + n, len - n, "; its template held after, to %s",
			 fmt_ms(end + d->after_ms, c, sizeof(c)));
	return buf;
}

enum kfaas_lc_temp kfaas_lc_temp_at(const struct kfaas_lc_decision *d, uint64_t since_ms)
{
	uint64_t warm_end = d->prewarm_ms + d->keep_ms;

	if (since_ms < d->prewarm_ms)
		return d->gap_temp;
	if (since_ms < warm_end)
		return KFAAS_LC_WARM;
	if (since_ms < warm_end + d->after_ms)
		return d->after_temp;
	return KFAAS_LC_COLD;
}

uint64_t kfaas_lc_next_change(const struct kfaas_lc_decision *d, uint64_t since_ms)
{
	uint64_t at[3] = { d->prewarm_ms, d->prewarm_ms + d->keep_ms,
			   d->prewarm_ms + d->keep_ms + d->after_ms };
	enum kfaas_lc_temp now = kfaas_lc_temp_at(d, since_ms);
	int i;

	for (i = 0; i < 3; i++)
		if (at[i] > since_ms && kfaas_lc_temp_at(d, at[i]) != now)
			return at[i];
	return UINT64_MAX;
}
