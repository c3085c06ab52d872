// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle policy driving a pool (docs/lifecycle.md): the library's
 * decisions (kfaas_lifecycle.h, the same code `kfaas sim` runs) applied
 * to real VMs.
 *
 *   a request arrives   its idle time (since the function went idle) goes
 *                       into the function's histogram (ledger.c); what it
 *                       found is counted: a warm VM, a template, nothing
 *   the pool goes idle  nothing queued, nothing running: a decision is made
 *                       from the histogram (keep-alive auto), or the fixed
 *                       one (fixed:S, none); it is a schedule of what to
 *                       hold when during the idle period
 *   the schedule turns  warm -> release the idle VMs (down to min-warm),
 *                       cold -> drop the template too; a rise is a
 *                       pre-warm, started early by the time the pool
 *                       measured it takes to get there (a clone, or a
 *                       template boot and a clone), so that the VM is ready
 *                       when the schedule says it should be
 *
 * Keep-alive idle-ttl (functions created with --idle-ttl, or before the
 * policy existed) keeps what pool.c always did; its arrivals are counted
 * all the same.  --min-warm is a floor under every keep-alive.  What may
 * not be started for want of memory (memcap.c) is skipped, and the pool
 * holds what it has until the schedule next changes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kfaasd.h"

#define CLONE_MS_DEFAULT	200	/* until the pool measured one */
#define TPL_MS_DEFAULT		2000
#define LEAD_FACTOR		1.5	/* start early: 1.5x the slowest recent */
#define LEAD_EXTRA_MS		200

static unsigned int keep_mode(const struct pool *p)
{
	return KFAAS_VM_KEEP(p->fn->vm.flags);
}

/* The latencies and sizes the pool measured, over the defaults. */
static void costs_update(struct pool *p)
{
	struct kfaas_lc_costs *c = &p->lc.c;

	kfaas_lc_costs_default(c, p->fn->vm.mem_mib);
	if (p->last_clone_ms)
		c->lat_ms[KFAAS_LC_TEMPLATE] = (double)p->last_clone_ms;
	if (opts.snapshot && p->last_tpl_ms)
		c->lat_ms[KFAAS_LC_COLD] = (double)(p->last_tpl_ms +
			(p->last_clone_ms ? p->last_clone_ms : CLONE_MS_DEFAULT));
	else if (!opts.snapshot && p->last_cold_ms)
		c->lat_ms[KFAAS_LC_COLD] = (double)p->last_cold_ms;
	if (p->tpl_mib > 0)
		c->tpl_mib = p->tpl_mib;
	if (p->vm_mib_max > 0)
		c->vm_mib = p->vm_mib_max;
}

/* The decision at the start of an idle period. */
static void decide(struct pool *p)
{
	struct lc *l = &p->lc;
	struct kfaas_lc_hist *h = ledger_hist(p->fn->id), empty;

	costs_update(p);
	switch (keep_mode(p)) {
	case KFAAS_VM_KEEP_AUTO:
		if (h) {
			kfaas_lc_decide(&l->params, &l->c, h, &l->d);
		} else if (!kfaas_lc_hist_init(&empty, opts.hist_bin_ms,
					       opts.hist_bins)) {
			kfaas_lc_decide(&l->params, &l->c, &empty, &l->d);
			kfaas_lc_hist_free(&empty);
		} else {
			kfaas_lc_decide_fixed(l->params.fixed_ms, &l->d);
		}
		break;
	case KFAAS_VM_KEEP_FIXED:
		kfaas_lc_decide_fixed(p->fn->vm.idle_ttl_s * 1000ULL, &l->d);
		break;
	case KFAAS_VM_KEEP_NONE:
		kfaas_lc_decide_fixed(0, &l->d);
		break;
	default:	/* idle-ttl: for fn show; pool.c keeps its own rule */
		kfaas_lc_decide_fixed(p->fn->vm.idle_ttl_s * 1000ULL, &l->d);
		l->d.after_temp = KFAAS_LC_TEMPLATE;
		l->d.after_ms = UINT64_MAX / 4;
		return;
	}
	l->n_decisions++;
}

/*
 * The policy's time constants are in minutes, the default bin: its default
 * keep-alive (10), the idle MiB-s a cold start is worth and the minute its
 * fairness divides by.  With another --hist-bin they scale with it, so
 * that a replay with time compressed (1 s bins for 1-minute ones) keeps
 * the decisions of real time.
 */
static void scale_params(struct kfaas_lc_params *p)
{
	double unit = opts.hist_bin_ms / (double)KFAAS_LC_BIN_MS_DEFAULT;

	p->fixed_ms = (uint64_t)(p->fixed_ms * unit);
	p->worth_mib_s *= unit;
	p->unit_ms = opts.hist_bin_ms;
}

void lc_init(struct pool *p)
{
	struct lc *l = &p->lc;

	memset(l, 0, sizeof(*l));
	l->on = keep_mode(p) != KFAAS_VM_KEEP_TTL;
	kfaas_lc_params_default(&l->params);
	scale_params(&l->params);
	l->idle = true;
	l->idle_start_ms = kfaas_now_ms();
	l->last_want = -1;
	decide(p);
}

/* How long getting to a warm VM takes from a template (or from nothing),
 * as the pool measured it, with a margin. */
static uint64_t lead_from(const struct pool *p, enum kfaas_lc_temp from)
{
	uint64_t clone = p->slow_clone_ms ? p->slow_clone_ms : CLONE_MS_DEFAULT;
	uint64_t ms;

	if (!opts.snapshot)
		ms = p->last_cold_ms ? p->last_cold_ms : TPL_MS_DEFAULT;
	else if (from == KFAAS_LC_TEMPLATE)
		ms = clone;
	else
		ms = (p->last_tpl_ms ? p->last_tpl_ms : TPL_MS_DEFAULT) + clone;
	return (uint64_t)(ms * LEAD_FACTOR) + LEAD_EXTRA_MS;
}

static uint64_t lead_ms(const struct pool *p)
{
	return lead_from(p, p->tpl_state == TPL_READY ? KFAAS_LC_TEMPLATE :
			 KFAAS_LC_COLD);
}

/* The next moment, from since on, the schedule wants a warm VM. */
static uint64_t next_warm(const struct kfaas_lc_decision *d, uint64_t since)
{
	if (!d->keep_ms || since >= d->prewarm_ms + d->keep_ms)
		return UINT64_MAX;
	return since < d->prewarm_ms ? d->prewarm_ms : since;
}

/*
 * What to hold at now.  The simulator's transitions are instant; real
 * ones take time: a VM is started once the warm window is nearer than a
 * clone takes, and the template is kept (or made) once it is nearer than
 * a template boot and a clone take, so that the VM is there when the
 * schedule says.  (kfaasd may thus hold a template in a gap the policy
 * priced as empty: the gap is shorter than rebuilding it.)
 */
static enum kfaas_lc_temp want_at(const struct pool *p, uint64_t now)
{
	const struct lc *l = &p->lc;
	uint64_t since = now > l->idle_start_ms ? now - l->idle_start_ms : 0;
	uint64_t w = next_warm(&l->d, since);
	enum kfaas_lc_temp t = kfaas_lc_temp_at(&l->d, since);

	if (w != UINT64_MAX && w - since <= lead_from(p, KFAAS_LC_TEMPLATE))
		return KFAAS_LC_WARM;
	if (w != UINT64_MAX && w - since <= lead_from(p, KFAAS_LC_COLD) &&
	    t < KFAAS_LC_TEMPLATE)
		return KFAAS_LC_TEMPLATE;
	return t;
}

enum kfaas_lc_temp lc_held(struct pool *p)
{
	if (pool_count(p, VM_LIVE))
		return KFAAS_LC_WARM;
	return p->tpl_state == TPL_READY ? KFAAS_LC_TEMPLATE : KFAAS_LC_COLD;
}

/*
 * Step down to what the schedule wants now; a rise is pool_maintain's.
 * Also when the schedule did not change but more is held than it wants:
 * a VM or template that finished starting after the schedule fell (a
 * template boot outlasting a short keep-alive) is released once ready.
 */
static void apply(struct pool *p, uint64_t now)
{
	struct lc *l = &p->lc;
	enum kfaas_lc_temp w = want_at(p, now);
	unsigned int floor = p->fn->vm.min_warm;
	bool changed = (int)w != l->last_want;

	if (!changed && lc_held(p) <= w)
		return;
	if (changed) {
		l->last_want = (int)w;
		l->hold_off = false;
	}
	l->n_released += pool_release_vms(p, w == KFAAS_LC_WARM && floor < 1 ?
					  1 : floor, "keep-alive over");
	if (w == KFAAS_LC_COLD && !floor && !pool_count(p, VM_LIVE) &&
	    pool_drop_template(p)) {
		l->n_released++;
		l->freq = 0;
	}
	if (changed)
		pool_maintain(p);
}

void lc_arrival(struct pool *p)
{
	struct lc *l = &p->lc;
	uint64_t now = kfaas_now_ms();

	if (pool_count(p, VM_S(VM_IDLE))) {
		l->n_found[KFAAS_LC_WARM]++;
	} else {
		/* not warm: what is ready, and apart whether a start (a
		 * pre-warm, or an earlier request's) was already under way */
		if (p->tpl_state == TPL_READY || !opts.snapshot)
			l->n_found[opts.snapshot ? KFAAS_LC_TEMPLATE : KFAAS_LC_COLD]++;
		else
			l->n_found[KFAAS_LC_COLD]++;
		if (pool_count(p, VM_STARTING) || p->tpl_state == TPL_BOOTING ||
		    p->tpl_state == TPL_SAVING)
			l->n_found_starting++;
	}
	/* the first request after a start has no idle time before it */
	if (l->started)
		ledger_arrivals(p->fn->id, l->idle && now > l->idle_start_ms ?
				now - l->idle_start_ms : 0, 1);
	l->started = true;
	l->idle = false;
	l->hold_off = false;
	l->freq += 1;
	l->clock = memcap_clock();
}

void lc_check_idle(struct pool *p)
{
	struct lc *l = &p->lc;

	if (l->idle || p->stopping || p->nqueue || pool_count(p, VM_S(VM_BUSY)))
		return;
	l->idle = true;
	l->idle_start_ms = kfaas_now_ms();
	decide(p);
	if (!l->on)
		return;
	l->last_want = -1;
	apply(p, l->idle_start_ms);
}

unsigned int lc_target_vms(struct pool *p)
{
	const struct lc *l = &p->lc;
	unsigned int floor = p->fn->vm.min_warm;

	if (!l->on || !l->idle || l->hold_off)
		return floor;
	return l->last_want == KFAAS_LC_WARM && floor < 1 ? 1 : floor;
}

bool lc_template_wanted(struct pool *p)
{
	const struct lc *l = &p->lc;

	if (p->nqueue || p->fn->vm.min_warm || pool_count(p, VM_LIVE))
		return true;
	if (!l->on)
		return !l->hold_off;
	if (!l->idle)
		return true;
	return !l->hold_off && l->last_want >= KFAAS_LC_TEMPLATE;
}

void lc_prewarmed(struct pool *p)
{
	p->lc.n_prewarms++;
}

void lc_prewarm_skipped(struct pool *p)
{
	p->lc.n_prewarm_skipped++;
	p->lc.hold_off = true;
}

void lc_evicted(struct pool *p, bool template)
{
	p->lc.n_evictions++;
	p->lc.hold_off = true;
	if (template)
		p->lc.freq = 0;
}

void lc_tick(struct pool *p, uint64_t now)
{
	if (p->lc.on && p->lc.idle && !p->stopping)
		apply(p, now);
}

uint64_t lc_next_deadline(struct pool *p)
{
	const struct lc *l = &p->lc;
	uint64_t now = kfaas_now_ms(), since, lead, a, b;
	int i;

	if (!l->on || !l->idle)
		return UINT64_MAX;
	since = now > l->idle_start_ms ? now - l->idle_start_ms : 0;
	a = kfaas_lc_next_change(&l->d, since);
	a = a == UINT64_MAX ? a : l->idle_start_ms + a;
	/* the two moments a rise starts early: a clone, a template's lead */
	for (i = 0; i < 2; i++) {
		lead = lead_from(p, i ? KFAAS_LC_COLD : KFAAS_LC_TEMPLATE);
		b = next_warm(&l->d, since);
		if (b == UINT64_MAX || b <= since + lead)
			continue;
		b = l->idle_start_ms + b - lead;
		if (b < a)
			a = b;
	}
	return a;
}

static const char *keep_str(const struct pool *p, char *buf, size_t len)
{
	return kfaas_vm_keep_name(&p->fn->vm, buf, len);
}

json_object *lc_status(struct pool *p)
{
	struct lc *l = &p->lc;
	json_object *o = json_object_new_object();
	uint64_t now = kfaas_now_ms();
	char k[40];

	json_object_object_add(o, "keep_alive", json_object_new_string(
		keep_str(p, k, sizeof(k))));
	json_object_object_add(o, "mode", json_object_new_string(
		kfaas_lc_mode_name(l->d.mode)));
	json_object_object_add(o, "idle", json_object_new_boolean(l->idle));
	if (l->idle)
		json_object_object_add(o, "idle_ms", json_object_new_int64(
			(int64_t)(now - l->idle_start_ms)));
	json_object_object_add(o, "held", json_object_new_string(
		kfaas_lc_temp_name(lc_held(p))));
#define C(x) json_object_object_add(o, #x, json_object_new_int64((int64_t)l->n_##x))
	C(prewarms);
	C(prewarm_skipped);
	C(evictions);
	C(released);
	C(decisions);
#undef C
	json_object_object_add(o, "found_warm", json_object_new_int64(
		(int64_t)l->n_found[KFAAS_LC_WARM]));
	json_object_object_add(o, "found_template", json_object_new_int64(
		(int64_t)l->n_found[KFAAS_LC_TEMPLATE]));
	json_object_object_add(o, "found_cold", json_object_new_int64(
		(int64_t)l->n_found[KFAAS_LC_COLD]));
	json_object_object_add(o, "found_starting", json_object_new_int64(
		(int64_t)l->n_found_starting));
	return o;
}

/* ms from now to an offset of the idle period; -1: never */
static int64_t in_ms(const struct lc *l, uint64_t off, uint64_t now)
{
	if (off == UINT64_MAX || off >= UINT64_MAX / 4)
		return -1;
	return (int64_t)(l->idle_start_ms + off) - (int64_t)now;
}

static json_object *decision_json(struct pool *p)
{
	const struct lc *l = &p->lc;
	const struct kfaas_lc_decision *d = &l->d;
	json_object *o = json_object_new_object();
	char why[600];

	json_object_object_add(o, "mode", json_object_new_string(
		kfaas_lc_mode_name(d->mode)));
	json_object_object_add(o, "prewarm_ms", json_object_new_int64(
		(int64_t)d->prewarm_ms));
	json_object_object_add(o, "warm_until_ms", json_object_new_int64(
		(int64_t)(d->prewarm_ms + d->keep_ms)));
	json_object_object_add(o, "before_warm", json_object_new_string(
		kfaas_lc_temp_name(d->gap_temp)));
	json_object_object_add(o, "after_warm", json_object_new_string(
		kfaas_lc_temp_name(d->after_temp)));
	if (d->after_ms && d->after_ms < UINT64_MAX / 4)
		json_object_object_add(o, "after_ms", json_object_new_int64(
			(int64_t)d->after_ms));
	json_object_object_add(o, "samples", json_object_new_int64(
		(int64_t)d->samples));
	json_object_object_add(o, "cv", json_object_new_double(d->cv));
	json_object_object_add(o, "head_ms", json_object_new_int64(d->head_ms));
	json_object_object_add(o, "tail_ms", json_object_new_int64(d->tail_ms));
	json_object_object_add(o, "forecast_ms", json_object_new_int64(
		d->forecast_ms));
	json_object_object_add(o, "out_of_range", json_object_new_double(
		d->oob_frac));
	if (keep_mode(p) == KFAAS_VM_KEEP_TTL)
		snprintf(why, sizeof(why), "keep-alive idle-ttl: VMs above "
			 "min-warm %u stop after %u s idle%s, the template stays",
			 p->fn->vm.min_warm, p->fn->vm.idle_ttl_s,
			 p->fn->vm.idle_ttl_s ? "" : " (0: never)");
	else
		kfaas_lc_explain(&l->params, d, why, sizeof(why));
	json_object_object_add(o, "why", json_object_new_string(why));
	return o;
}

/*
 * What is held and until when: the schedule's next change from now (a
 * pre-warm or a release), in ms from now, with the lead a pre-warm is
 * started early by.
 */
json_object *lc_show(struct pool *p)
{
	struct lc *l = &p->lc;
	json_object *o = lc_status(p), *c = json_object_new_object();
	uint64_t now = kfaas_now_ms(), since, next;
	double vms, idle, tpl;

	json_object_object_add(o, "decision", decision_json(p));
	if (l->on && l->idle) {
		since = now - l->idle_start_ms;
		next = kfaas_lc_next_change(&l->d, since);
		json_object_object_add(o, "wanted", json_object_new_string(
			kfaas_lc_temp_name(kfaas_lc_temp_at(&l->d, since))));
		json_object_object_add(o, "next_change_in_ms",
				       json_object_new_int64(in_ms(l, next, now)));
		if (next != UINT64_MAX)
			json_object_object_add(o, "next_temp", json_object_new_string(
				kfaas_lc_temp_name(kfaas_lc_temp_at(&l->d, next))));
		json_object_object_add(o, "prewarm_lead_ms",
				       json_object_new_int64((int64_t)lead_ms(p)));
	}
	memcap_pool_mib(p, &vms, &idle, &tpl);
	json_object_object_add(o, "vm_mib", json_object_new_double(
		round(vms * 10) / 10));
	json_object_object_add(o, "template_mib", json_object_new_double(
		round(tpl * 10) / 10));
	json_object_object_add(c, "cold_ms", json_object_new_double(
		l->c.lat_ms[KFAAS_LC_COLD]));
	json_object_object_add(c, "template_ms", json_object_new_double(
		l->c.lat_ms[KFAAS_LC_TEMPLATE]));
	json_object_object_add(c, "warm_ms", json_object_new_double(
		l->c.lat_ms[KFAAS_LC_WARM]));
	json_object_object_add(c, "template_mib", json_object_new_double(
		round(l->c.tpl_mib * 10) / 10));
	json_object_object_add(c, "vm_mib", json_object_new_double(
		round(l->c.vm_mib * 10) / 10));
	json_object_object_add(o, "costs", c);
	return o;
}
