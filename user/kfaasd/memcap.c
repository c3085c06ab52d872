// SPDX-License-Identifier: GPL-2.0
/*
 * The memory of every VM and template kfaasd holds, together:
 *
 *   measured    every --sample ms: each QEMU's private memory and each
 *               template's resident RAM (measure.c says why those); a VM
 *               or template not measured yet counts what the function's
 *               last ones measured, or an estimate (guest RAM for a
 *               template, 64 MiB for a clone), never less while it starts
 *   bounded     with --mem-limit MIB, nothing grows past the limit: a VM
 *               or template is started only once memcap_admit() made room;
 *               a request that cannot get it waits in its queue (and fails
 *               after its wait bound, saying why), a pre-warm is skipped
 *   given up    by value, with the library's eviction code (FaaSCache's
 *               greedy-dual: frequency x latency saved / MiB, aged by a
 *               clock): the lowest first, one temperature at a time (an
 *               idle VM, then a template no VM runs from); never a VM
 *               serving a request or starting, never below --min-warm;
 *               if measured memory grows over the limit (a function
 *               filling its guest), idle holdings go until it fits
 *
 * The memory held, with the idle part, is charged to each function's cost
 * (ledger.c) as it is measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kfaasd.h"

/*
 * What a VM not measured yet will hold: the largest seen so far, never
 * less than these (measured here, TCG, 128 MiB guest: a clone's QEMU
 * 31-51 MiB private; a template's QEMU up to 211 MiB private while it
 * boots, its translated code and the kernel's and image's copies, the
 * guest's RAM being the file).
 */
#define CLONE_MIB_ESTIMATE	64.0
#define BOOT_MIB_ESTIMATE	224.0

static struct kfaas_lc_cache cache;
static double clone_max = CLONE_MIB_ESTIMATE, boot_max = BOOT_MIB_ESTIMATE;

double memcap_clock(void)
{
	return cache.clock;
}

static bool vm_counts(const struct vm *v)
{
	return v->state != VM_DEAD && !v->kill_reason;
}

static bool tpl_counts(const struct pool *p)
{
	return p->tpl_state == TPL_BOOTING || p->tpl_state == TPL_SAVING ||
	       p->tpl_state == TPL_READY;
}

void memcap_pool_mib(struct pool *p, double *vms, double *idle, double *tpl)
{
	struct list *l, *t;

	*vms = *idle = 0;
	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (!vm_counts(v))
			continue;
		*vms += v->mem_mib;
		if (v->state == VM_IDLE && !v->is_template)
			*idle += v->mem_mib;
	}
	*tpl = tpl_counts(p) ? p->tpl_mib : 0;
}

/* MiB of all VMs and of all templates */
static void held(double *vms, double *tpls)
{
	struct list *l, *t;
	double v, idle, tpl;

	*vms = *tpls = 0;
	list_for_each_safe(l, t, &fns) {
		memcap_pool_mib(&container_of(l, struct fn, link)->pool, &v,
				&idle, &tpl);
		*vms += v;
		*tpls += tpl;
	}
}

double memcap_held_mib(void)
{
	double v, tp;

	held(&v, &tp);
	return v + tp;
}

double memcap_vm_estimate(struct pool *p, bool is_template)
{
	if (is_template)
		return boot_max;
	if (!opts.snapshot)	/* a cold boot: the guest's RAM is its own */
		return p->fn->vm.mem_mib + boot_max;
	return p->vm_mib_max > clone_max ? p->vm_mib_max : clone_max;
}

double memcap_estimate(struct pool *p, bool is_template)
{
	/* a template: its RAM file (the guest's RAM at most) and its QEMU */
	return memcap_vm_estimate(p, is_template) +
	       (is_template ? p->fn->vm.mem_mib : 0);
}

/* What could be given up, one temperature at a time. */
struct victim {
	struct pool	*pool;
	struct vm	*vm;		/* NULL: the template */
};

/* A holding of q at temperature t (an idle VM v, or the template): its
 * value per MiB, with the clock of q's last request. */
static struct kfaas_lc_item item(struct pool *q, enum kfaas_lc_temp t, double mib)
{
	const struct kfaas_lc_costs *c = &q->lc.c;
	struct kfaas_lc_cache at = { q->lc.clock };

	return (struct kfaas_lc_item){
		.id = q->fn->id, .temp = t, .mib = mib,
		.priority = kfaas_lc_priority(&at, q->lc.freq,
					      c->lat_ms[t - 1] - c->lat_ms[t], mib),
	};
}

static size_t add_pool_items(struct pool *q, struct kfaas_lc_item *it,
			     struct victim *vi, size_t n, size_t cap)
{
	unsigned int live = pool_count(q, VM_LIVE);
	unsigned int spare = live > q->fn->vm.min_warm ? live - q->fn->vm.min_warm : 0;
	struct list *l, *t;

	list_for_each_safe(l, t, &q->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (n == cap || !spare)
			break;
		if (v->is_template || v->state != VM_IDLE || v->kill_reason)
			continue;
		spare--;
		vi[n] = (struct victim){ q, v };
		it[n++] = item(q, KFAAS_LC_WARM, v->mem_mib);
	}
	if (n < cap && q->tpl_state == TPL_READY && !live && !q->nqueue &&
	    !q->fn->vm.min_warm && !pool_standby(q)) {
		vi[n] = (struct victim){ q, NULL };
		it[n++] = item(q, KFAAS_LC_TEMPLATE, q->tpl_mib);
	}
	return n;
}

/* Give up the holding of least value (not self's): false when none is left. */
static bool evict_one(struct pool *self)
{
	struct kfaas_lc_item *it;
	struct victim *vi;
	struct list *l, *t;
	size_t n = 0, cap = 0;
	long k;

	list_for_each_safe(l, t, &fns)
		cap += container_of(l, struct fn, link)->pool.fn->vm.max_instances + 1;
	it = calloc(cap + 1, sizeof(*it));
	vi = calloc(cap + 1, sizeof(*vi));
	if (!it || !vi) {
		free(it);
		free(vi);
		return false;
	}
	list_for_each_safe(l, t, &fns) {
		struct pool *q = &container_of(l, struct fn, link)->pool;

		if (q != self && !q->stopping)
			n = add_pool_items(q, it, vi, n, cap);
	}
	k = kfaas_lc_evict_pick(&cache, it, n);
	if (k >= 0) {
		struct pool *q = vi[k].pool;

		info("memory limit %u MiB: function '%s' gives up its %s "
		     "(%.0f MiB; value %.3g, the lowest)", opts.mem_limit_mib,
		     q->fn->name, vi[k].vm ? "idle VM" : "template", it[k].mib,
		     it[k].priority);
		if (vi[k].vm)
			vm_kill(vi[k].vm, "evicted: memory limit");
		else
			pool_drop_template(q);
		lc_evicted(q, !vi[k].vm);
	}
	free(it);
	free(vi);
	return k >= 0;
}

bool memcap_admit(struct pool *p, double need)
{
	if (!opts.mem_limit_mib)
		return true;
	while (memcap_held_mib() + need > opts.mem_limit_mib)
		if (!evict_one(p))
			return false;
	return true;
}

void memcap_freed(void)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &fns) {
		struct pool *q = &container_of(l, struct fn, link)->pool;

		if (q->mem_wait && !q->stopping) {
			q->mem_wait = false;
			pool_maintain(q);
		}
	}
}

static void measure_pool(struct pool *p)
{
	struct list *l, *t;
	double m;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (!vm_counts(v) || (m = measure_private_mib(v->proc.pid)) < 0)
			continue;
		/* a VM starting grows: never below its estimate until ready */
		if (v->state == VM_IDLE || v->state == VM_BUSY || m > v->mem_mib)
			v->mem_mib = m;
		v->mem_measured = true;
		if (!v->is_template && v->t_ready_ns && m > p->vm_mib_max)
			p->vm_mib_max = m;
		if (!v->is_template && v->cloned && m > clone_max)
			clone_max = m;
		if ((v->is_template || !v->cloned) && m > boot_max)
			boot_max = m;
	}
	if (tpl_counts(p)) {
		m = measure_resident_mib(p->tpl_mem);
		if (p->tpl_state == TPL_READY || m > p->tpl_mib)
			p->tpl_mib = m;
	}
}

void memcap_measure(double dt_s)
{
	struct list *l, *t;
	double vms, idle, tpl;

	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);

		measure_pool(&f->pool);
		memcap_pool_mib(&f->pool, &vms, &idle, &tpl);
		/* the template is idle memory while no request of the
		 * function waits or runs: one serving a request's clone is
		 * that request's memory (docs/lifecycle.md, "Live replay") */
		ledger_held(f->id, vms + tpl, idle + (f->pool.lc.idle ? tpl : 0),
			    tpl, dt_s);
	}
	while (opts.mem_limit_mib && memcap_held_mib() > opts.mem_limit_mib)
		if (!evict_one(NULL))
			break;
}

json_object *memcap_status(void)
{
	json_object *o = json_object_new_object();
	double v, tp;

	held(&v, &tp);
	json_object_object_add(o, "mem_limit_mib",
			       json_object_new_int64(opts.mem_limit_mib));
	json_object_object_add(o, "held_mib", json_object_new_double(
		(double)(long long)((v + tp) * 10) / 10));
	json_object_object_add(o, "vms_mib", json_object_new_double(
		(double)(long long)(v * 10) / 10));
	json_object_object_add(o, "templates_mib", json_object_new_double(
		(double)(long long)(tp * 10) / 10));
	json_object_object_add(o, "how", json_object_new_string(
		"private memory of each QEMU (smaps_rollup) + resident RAM of "
		"each template file (mincore)"));
	return o;
}
