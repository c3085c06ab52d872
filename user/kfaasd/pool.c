// SPDX-License-Identifier: GPL-2.0
/*
 * A function's warm pool.
 *
 *   template   one VM cold-booted with its RAM in a shared file, saved
 *              (device state ~60 KB, RAM ignored: x-ignore-shared) and
 *              killed; every other VM is a copy-on-write clone of it
 *              (--no-snapshot: every VM boots cold)
 *   min-warm   VMs kept started ahead of requests
 *   max        VMs at most; requests beyond wait in a FIFO queue
 *   queue      at most opts.queue_max waiting requests; more are refused
 *              at once with an error (counted as throttled)
 *   keep-alive what is kept between requests: the lifecycle policy
 *              (lifecycle.c) for keep-alive auto, fixed and none; for
 *              idle-ttl, an idle VM above min-warm is reclaimed after
 *              idle_ttl_s and the template stays
 *   memory     nothing is started without room under --mem-limit
 *              (memcap.c); a request waits for it, a pre-warm is skipped
 *   timeout    a request running longer kills its VM (the client gets an
 *              error, the VM is replaced); waiting longer than timeout +
 *              boot timeout in the queue fails the request too
 *   standby    (KFAAS_VM_F_STANDBY, set by the cluster's node agent) the
 *              template is made and kept, no VM is started ahead of
 *              requests, and the template is never given up; once the
 *              flag goes (the function is placed here) min-warm VMs are
 *              clones of it
 *   failures   a VM that dies before it is ready counts as a failed start;
 *              after 3 in a row the pool backs off (1 s doubling to 60 s)
 *              and refuses requests while it has no VM
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include "kfaasd.h"

#define FAILS_BEFORE_BACKOFF	3
#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		60000

void pool_init(struct pool *p, struct fn *fn)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	list_init(&p->vms);
	list_init(&p->queue);
	list_init(&p->waiters);
	snprintf(p->tpl_mem, sizeof(p->tpl_mem), "%s/tpl.mem", fn->dir);
	snprintf(p->tpl_state_path, sizeof(p->tpl_state_path), "%s/tpl.state",
		 fn->dir);
	p->tpl_state = TPL_NONE;
	lc_init(p);
}

/* ---- requests ----------------------------------------------------------- */

void req_orphan(struct req *r)
{
	r->done = NULL;
	if (r->vm || list_empty(&r->link))
		return;		/* running: the VM finishes it */
	/* still waiting: nobody wants the answer any more */
	list_del(&r->link);
	r->pool->nqueue--;
	free(r->data);
	free(r);
}

/* ---- counting --------------------------------------------------------- */

unsigned int pool_count(struct pool *p, unsigned int states)
{
	struct list *l, *t;
	unsigned int n = 0;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (!v->is_template && !v->kill_reason &&
		    (states & (1U << v->state)))
			n++;
	}
	return n;
}


static struct vm *first_idle(struct pool *p)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (v->state == VM_IDLE && !v->kill_reason && !v->is_template)
			return v;
	}
	return NULL;
}

bool pool_ready(const struct pool *p)
{
	struct pool *q = (struct pool *)p;

	/* a standby is ready with its template */
	if (pool_standby(p))
		return p->tpl_state == TPL_READY || !opts.snapshot;
	/* nothing to start ahead: the template is made in the background */
	if (p->fn->vm.min_warm == 0)
		return true;
	if (opts.snapshot && p->tpl_state != TPL_READY &&
	    p->tpl_state != TPL_FAILED)
		return false;
	return pool_count(q, VM_S(VM_IDLE) | VM_S(VM_BUSY)) >= p->fn->vm.min_warm;
}

/* ---- waiters (fn create waits for the pool) ---------------------------- */

void pool_wait_ready(struct pool *p, struct pool_waiter *w)
{
	list_add_tail(&w->link, &p->waiters);
	pool_maintain(p);
}

static void wake_waiters(struct pool *p, const char *err)
{
	while (!list_empty(&p->waiters)) {
		struct pool_waiter *w = container_of(p->waiters.next,
						     struct pool_waiter, link);

		list_del(&w->link);
		w->cb(w, err);
	}
}

static void check_waiters(struct pool *p)
{
	if (list_empty(&p->waiters))
		return;
	if (p->broken[0] && !pool_count(p, VM_LIVE))
		wake_waiters(p, p->broken);
	else if (pool_ready(p))
		wake_waiters(p, NULL);
}

/* ---- template ------------------------------------------------------------ */

static int make_mem_file(struct pool *p)
{
	int fd = open(p->tpl_mem, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)p->fn->vm.mem_mib << 20))
		rc = -errno;
	/* clones open it read-write too (MAP_PRIVATE needs no more) */
	if (!rc && p->fn->uid != (uid_t)-1 &&
	    (fchown(fd, 0, (gid_t)p->fn->uid) || fchmod(fd, 0660)))
		rc = -errno;
	close(fd);
	return rc;
}

static const struct vm_ops pool_vm_ops;

/* Start a VM of the pool (in its list); NULL when QEMU did not start. */
static struct vm *pool_vm_start(struct pool *p, bool is_template, bool clone)
{
	struct fn *f = p->fn;
	struct vm_spec s = {
		.fn_id = f->id, .seq = p->next_seq, .name = f->name,
		.image = f->image, .mem_mib = f->vm.mem_mib,
		.vcpus = f->vm.vcpus, .uid = f->uid,
		.tpl_mem = p->tpl_mem, .tpl_state = p->tpl_state_path,
		.is_template = is_template, .clone = clone,
		.resident = !!(f->vm.flags & KFAAS_VM_F_RESIDENT),
		.ops = &pool_vm_ops, .owner = p,
	};
	struct vm *v = vm_start(&s);

	if (!v)
		return NULL;
	p->next_seq++;
	/* counted at its estimate until measured (memcap.c) */
	v->mem_mib = memcap_vm_estimate(p, is_template);
	list_add_tail(&v->link, &p->vms);
	return v;
}

static void start_template(struct pool *p)
{
	int rc = make_mem_file(p);

	if (rc) {
		snprintf(p->broken, sizeof(p->broken), "cannot create %s: %s",
			 p->tpl_mem, strerror(-rc));
		p->tpl_state = TPL_FAILED;
		return;
	}
	p->tpl_ms = kfaas_now_ms();
	p->tpl_mib = p->fn->vm.mem_mib;	/* until measured */
	if (!pool_vm_start(p, true, false)) {
		snprintf(p->broken, sizeof(p->broken), "cannot start QEMU for "
			 "the template of '%s': see the daemon log", p->fn->name);
		p->tpl_state = TPL_FAILED;
		return;
	}
	p->tpl_state = TPL_BOOTING;
}

/* vm_ops: the template's snapshot was saved (rc 0), or why not. */
static void pool_vm_saved(struct vm *v, int rc, const char *why)
{
	struct pool *p = v->owner;

	if (p->tpl_state != TPL_BOOTING && p->tpl_state != TPL_SAVING)
		return;
	if (rc) {
		p->tpl_state = TPL_FAILED;
		snprintf(p->broken, sizeof(p->broken), "%s", why);
		warn("function '%s': no snapshot template (%s): its VMs boot "
		     "cold", p->fn->name, why);
		unlink(p->tpl_mem);
		unlink(p->tpl_state_path);
	} else {
		p->tpl_state = TPL_READY;
		p->tpl_ms = kfaas_now_ms() - p->tpl_ms;
		p->last_tpl_ms = p->tpl_ms;
		info("function '%s': template saved (%llu ms from QEMU start)",
		     p->fn->name, (unsigned long long)p->tpl_ms);
	}
	pool_maintain(p);
}

/* ---- the pool ------------------------------------------------------------- */

static void fail_queue(struct pool *p, int err, const char *msg)
{
	while (!list_empty(&p->queue)) {
		struct req *r = container_of(p->queue.next, struct req, link);

		list_del(&r->link);
		p->nqueue--;
		req_fail(r, err, "%s", msg);
	}
}

/*
 * Room under --mem-limit for a VM (or template) about to start: a request
 * waits for it; a pre-warm (ahead) is skipped until the schedule changes.
 */
static bool room(struct pool *p, bool is_template, bool ahead)
{
	if (!memcap_admit(p, memcap_estimate(p, is_template))) {
		if (ahead)
			lc_prewarm_skipped(p);
		else
			p->mem_wait = true;
		return false;
	}
	if (ahead)
		lc_prewarmed(p);
	return true;
}

void pool_maintain(struct pool *p)
{
	unsigned int live, starting, need, max, target;
	uint64_t now = kfaas_now_ms();
	struct fn *f = p->fn;
	bool clone;
	struct vm *v;

	if (p->stopping)
		return;
	if (!f->image[0]) {	/* a function we cannot run (fns.c) */
		fail_queue(p, REQ_E_UNAVAILABLE, p->broken);
		goto out;
	}
	/* 1. give waiting requests to idle VMs, oldest first */
	while (!list_empty(&p->queue) && (v = first_idle(p))) {
		struct req *r = container_of(p->queue.next, struct req, link);

		list_del(&r->link);
		p->nqueue--;
		vm_dispatch(v, r, f->vm.timeout_ms);
	}
	/* 2. the template comes first (when the policy wants one) */
	if (opts.snapshot && p->tpl_state == TPL_NONE && !p->broken[0] &&
	    (pool_standby(p) || lc_template_wanted(p)) &&
	    room(p, true, !p->nqueue && !f->vm.min_warm))
		start_template(p);
	if (opts.snapshot && (p->tpl_state == TPL_BOOTING ||
			     p->tpl_state == TPL_SAVING || p->tpl_state == TPL_NONE))
		goto out;
	clone = opts.snapshot && p->tpl_state == TPL_READY;
	/* 3. start VMs: up to what the policy keeps (min-warm at least), and
	 * one per waiting request */
	if (now < p->retry_at_ms)
		goto out;
	max = f->vm.max_instances ? f->vm.max_instances : 1;
	live = pool_count(p, VM_LIVE);
	starting = pool_count(p, VM_STARTING);
	need = p->nqueue > starting ? p->nqueue - starting : 0;
	target = pool_standby(p) ? 0 : lc_target_vms(p);
	while (live < max && (live < target || need > 0)) {
		if (!room(p, false, !need && live >= f->vm.min_warm))
			break;
		if (!pool_vm_start(p, false, clone)) {
			p->fails++;
			p->n_failed_starts++;
			break;
		}
		live++;
		if (need)
			need--;
	}
out:
	check_waiters(p);
	lc_check_idle(p);
}

/* vm_ops: booted or restored, idle. */
static void pool_vm_ready(struct vm *v)
{
	struct pool *p = v->owner;
	uint64_t ms = (v->t_ready_ns - v->t_start_ns) / 1000000ULL;

	if (v->served == 0 && v->state == VM_IDLE && !v->req) {
		if (v->cloned) {
			p->n_clone++;
			p->last_clone_ms = ms;
			/* the slowest of the last few: what a pre-warm allows */
			p->slow_clone_ms = ms > p->slow_clone_ms * 4 / 5 ? ms :
					   p->slow_clone_ms * 4 / 5;
		} else {
			p->n_cold++;
			p->last_cold_ms = ms;
		}
		p->fails = 0;
		if (p->retry_at_ms)
			p->broken[0] = '\0';
		p->retry_at_ms = 0;
		dbg("vm %s/%u ready in %llu ms (%s)", p->fn->name, v->seq,
		    (unsigned long long)ms, v->cloned ? "clone" : "cold");
	}
	pool_maintain(p);
}

/* vm_ops: a request was answered; the VM is idle again. */
static void pool_vm_answered(struct vm *v)
{
	struct pool *p = v->owner;

	p->n_served++;
	if (p->fn->vm.flags & KFAAS_VM_F_FRESH) {
		/* what this request left in the VM dies with it; a fresh
		 * clone takes the next one */
		p->n_discarded++;
		vm_kill(v, "fresh: used once");
	}
	/* the request is answered: give the VM the next one */
	pool_maintain(p);
}

/* vm_ops: QEMU is gone and reaped; v is freed once this returns. */
static void pool_vm_dead(struct vm *v)
{
	struct pool *p = v->owner;
	char tail[400];

	list_del(&v->link);
	p->cpu_dead_ns += v->cpu_ns;
	p->n_restarts_dead += v->restarts;
	if (v->is_template) {
		if (p->tpl_state == TPL_BOOTING || p->tpl_state == TPL_SAVING) {
			char why[600];

			snprintf(why, sizeof(why), "the template VM died before "
				 "its snapshot (%s)%s%s", v->kill_reason ?
				 v->kill_reason : "QEMU exited",
				 v->con_len ? "; guest console: " : "",
				 vm_console_tail(v, tail, sizeof(tail)));
			pool_vm_saved(v, -EIO, why);
		}
	} else if (!v->t_ready_ns && !p->stopping) {
		p->fails++;
		p->n_failed_starts++;
		if (p->fails >= FAILS_BEFORE_BACKOFF) {
			unsigned int shift = p->fails - FAILS_BEFORE_BACKOFF;
			uint64_t ms = BACKOFF_MIN_MS << (shift > 6 ? 6 : shift);

			if (ms > BACKOFF_MAX_MS)
				ms = BACKOFF_MAX_MS;
			p->retry_at_ms = kfaas_now_ms() + ms;
			snprintf(p->broken, sizeof(p->broken), "%u VM starts of "
				 "'%s' failed in a row (last: %s)%s%s", p->fails,
				 p->fn->name, v->kill_reason ? v->kill_reason :
				 "QEMU exited", v->con_len ? "; guest console: " :
				 "", vm_console_tail(v, tail, sizeof(tail)));
			warn("%s; retrying in %llu ms", p->broken,
			     (unsigned long long)ms);
			if (!pool_count(p, VM_LIVE))
				fail_queue(p, REQ_E_UNAVAILABLE, p->broken);
		}
	} else if ((!v->kill_reason || v->crashed) && !p->stopping) {
		p->n_crashes++;
	}
	if (!p->stopping) {
		pool_maintain(p);
		memcap_freed();
	}
}

static const struct vm_ops pool_vm_ops = {
	.ready = pool_vm_ready,
	.answered = pool_vm_answered,
	.saved = pool_vm_saved,
	.dead = pool_vm_dead,
};

void pool_enqueue(struct pool *p, struct req *r)
{
	struct vm *v;

	if (p->stopping) {
		req_fail(r, REQ_E_GONE, "function '%s' is being unloaded",
			 p->fn->name);
		return;
	}
	lc_arrival(p);
	if (list_empty(&p->queue) && (v = first_idle(p))) {
		vm_dispatch(v, r, p->fn->vm.timeout_ms);
		return;
	}
	if (p->nqueue >= opts.queue_max) {
		p->n_overflows++;
		req_fail(r, REQ_E_QUEUE_FULL, "function '%s' is busy: %u "
			 "requests wait for its %u VM(s) already (the queue "
			 "bound); retry later", p->fn->name, p->nqueue,
			 pool_count(p, VM_LIVE));
		return;
	}
	if (!p->fn->image[0] || (p->retry_at_ms && !pool_count(p, VM_LIVE))) {
		req_fail(r, REQ_E_UNAVAILABLE, "function '%s' cannot start a VM: "
			 "%s", p->fn->name, p->broken);
		return;
	}
	list_add_tail(&r->link, &p->queue);
	r->pool = p;
	p->nqueue++;
	pool_maintain(p);
}

void pool_tick(struct pool *p, uint64_t now)
{
	uint64_t wait_ms = (uint64_t)p->fn->vm.timeout_ms + opts.boot_timeout_ms;
	unsigned int live = pool_count(p, VM_LIVE);
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (vm_tick(v, now))
			p->n_timeouts++;
		/* idle TTL (keep-alive idle-ttl): down to min-warm */
		if (!p->lc.on && v->state == VM_IDLE && !v->kill_reason &&
		    !v->is_template &&
		    p->fn->vm.idle_ttl_s && live > p->fn->vm.min_warm &&
		    now - v->idle_since_ms >= p->fn->vm.idle_ttl_s * 1000ULL) {
			vm_kill(v, "idle");
			p->n_reclaimed++;
			live--;
		}
	}
	list_for_each_safe(l, t, &p->queue) {
		struct req *r = container_of(l, struct req, link);

		if (now - r->t_recv_ns / 1000000ULL < wait_ms)
			break;	/* FIFO: the rest waited less */
		list_del(&r->link);
		p->nqueue--;
		req_fail(r, REQ_E_TIMEOUT, "function '%s': no VM was free "
			 "within %llu ms%s", p->fn->name,
			 (unsigned long long)wait_ms, p->mem_wait ?
			 " (no memory under kfaasd's --mem-limit: every VM "
			 "held serves a request or is min-warm)" : "");
	}
	if (p->retry_at_ms && now >= p->retry_at_ms) {
		p->retry_at_ms = 0;
		pool_maintain(p);
	}
	lc_tick(p, now);
	lc_check_idle(p);
}

uint64_t pool_next_deadline(struct pool *p)
{
	uint64_t next = UINT64_MAX, d;
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (v->deadline_ms && !v->kill_reason && v->deadline_ms < next)
			next = v->deadline_ms;
		if (v->state == VM_IDLE && !p->lc.on && p->fn->vm.idle_ttl_s) {
			uint64_t d = v->idle_since_ms +
				     p->fn->vm.idle_ttl_s * 1000ULL;

			if (d < next)
				next = d;
		}
	}
	if (!list_empty(&p->queue)) {
		struct req *r = container_of(p->queue.next, struct req, link);
		uint64_t d = r->t_recv_ns / 1000000ULL + p->fn->vm.timeout_ms +
			     opts.boot_timeout_ms;

		if (d < next)
			next = d;
	}
	if (p->retry_at_ms && p->retry_at_ms < next)
		next = p->retry_at_ms;
	d = lc_next_deadline(p);
	return d < next ? d : next;
}

unsigned int pool_release_vms(struct pool *p, unsigned int keep, const char *why)
{
	unsigned int live = pool_count(p, VM_LIVE), n = 0;
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (live <= keep)
			break;
		if (v->state != VM_IDLE || v->kill_reason || v->is_template)
			continue;
		vm_kill(v, why);
		live--;
		n++;
	}
	return n;
}

bool pool_drop_template(struct pool *p)
{
	if (p->tpl_state != TPL_READY || pool_count(p, VM_LIVE) || p->nqueue ||
	    pool_standby(p))
		return false;
	unlink(p->tpl_mem);
	unlink(p->tpl_state_path);
	p->tpl_state = TPL_NONE;
	p->tpl_mib = 0;
	dbg("function '%s': template dropped", p->fn->name);
	return true;
}

uint64_t pool_cpu_ns(struct pool *p)
{
	uint64_t ns = p->cpu_dead_ns;
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		if (v->state != VM_DEAD)
			ns += measure_cpu_ns(v->proc.pid);
	}
	return ns;
}

/* Kill every VM and reap it here: the pool is going away. */
void pool_stop(struct pool *p)
{
	struct list *l, *t;

	p->stopping = true;
	fail_queue(p, REQ_E_GONE, "the function was unloaded");
	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		kill(v->proc.pid, SIGKILL);
	}
	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);

		vm_reap(v);
		if (v->req) {
			struct result res = { .err = REQ_E_GONE, .ran = true };

			snprintf(res.msg, sizeof(res.msg), "function '%s' was "
				 "unloaded while serving the request",
				 p->fn->name);
			vm_finish_req(v, &res);
		}
		list_del(&v->link);
		vm_destroy(v);
	}
	wake_waiters(p, "the function was unloaded");
	if (p->tpl_mem[0] && p->fn->dir[0]) {
		unlink(p->tpl_mem);
		unlink(p->tpl_state_path);
	}
}

const char *pool_template_state(const struct pool *p)
{
	static const char *const tpl[] = { "none", "booting", "saving", "ready",
					   "failed" };

	return tpl[p->tpl_state];
}

json_object *pool_status(struct pool *p)
{
	json_object *o = json_object_new_object(), *vms = json_object_new_array();
	uint64_t now = kfaas_now_ms(), restarts = p->n_restarts_dead;
	double vm_mib, idle_mib, tpl_mib;
	struct list *l, *t;

	list_for_each_safe(l, t, &p->vms) {
		struct vm *v = container_of(l, struct vm, link);
		json_object *j = json_object_new_object();

		json_object_object_add(j, "vm", json_object_new_int((int)v->seq));
		json_object_object_add(j, "pid", json_object_new_int(v->proc.pid));
		json_object_object_add(j, "state", json_object_new_string(
			v->kill_reason ? "killed" : vm_state_name(v->state)));
		json_object_object_add(j, "template",
				       json_object_new_boolean(v->is_template));
		json_object_object_add(j, "clone", json_object_new_boolean(v->cloned));
		json_object_object_add(j, "served", json_object_new_int(v->served));
		json_object_object_add(j, "restarts",
				       json_object_new_int((int)v->restarts));
		restarts += v->restarts;
		if (v->t_ready_ns)
			json_object_object_add(j, "start_ms", json_object_new_int64(
				(int64_t)((v->t_ready_ns - v->t_start_ns) / 1000000)));
		if (v->state == VM_IDLE)
			json_object_object_add(j, "idle_ms", json_object_new_int64(
				(int64_t)(now - v->idle_since_ms)));
		json_object_object_add(j, "mem_mib", json_object_new_double(
			(double)(long long)(v->mem_mib * 10) / 10));
		json_object_object_add(j, "mem_measured",
				       json_object_new_boolean(v->mem_measured));
		json_object_array_add(vms, j);
	}
	json_object_object_add(o, "template", json_object_new_string(
		pool_template_state(p)));
	if (p->tpl_state == TPL_READY)
		json_object_object_add(o, "template_ms",
				       json_object_new_int64((int64_t)p->tpl_ms));
	json_object_object_add(o, "live", json_object_new_int((int)pool_count(p, VM_LIVE)));
	json_object_object_add(o, "idle", json_object_new_int(
		(int)pool_count(p, VM_S(VM_IDLE))));
	json_object_object_add(o, "busy", json_object_new_int(
		(int)pool_count(p, VM_S(VM_BUSY))));
	json_object_object_add(o, "starting", json_object_new_int(
		(int)pool_count(p, VM_STARTING)));
	json_object_object_add(o, "queued", json_object_new_int((int)p->nqueue));
	json_object_object_add(o, "vms", vms);
#define C(x) json_object_object_add(o, #x, json_object_new_int64((int64_t)p->n_##x))
	C(cold);
	C(clone);
	C(served);
	C(timeouts);
	C(crashes);
	C(overflows);
	C(reclaimed);
	C(failed_starts);
	C(discarded);
#undef C
	/* resident processes started again after one ended */
	json_object_object_add(o, "restarts",
			       json_object_new_int64((int64_t)restarts));
	json_object_object_add(o, "last_cold_ms",
			       json_object_new_int64((int64_t)p->last_cold_ms));
	json_object_object_add(o, "last_clone_ms",
			       json_object_new_int64((int64_t)p->last_clone_ms));
	json_object_object_add(o, "broken", p->broken[0] ?
			       json_object_new_string(p->broken) : NULL);
	memcap_pool_mib(p, &vm_mib, &idle_mib, &tpl_mib);
	json_object_object_add(o, "vm_mib", json_object_new_double(
		(double)(long long)(vm_mib * 10) / 10));
	json_object_object_add(o, "template_mib", json_object_new_double(
		(double)(long long)(tpl_mib * 10) / 10));
	json_object_object_add(o, "mem_wait", json_object_new_boolean(p->mem_wait));
	json_object_object_add(o, "lifecycle", lc_status(p));
	return o;
}
