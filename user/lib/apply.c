// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas apply: make the pinned state match a configuration, all or
 * nothing, under the pin-root lock from the first step to the last.
 *
 * The plan is computed first (and is all that --dry-run shows), in an
 * order that keeps every route valid at every moment and leaves what
 * cannot be undone to the end: add functions, replace eBPF programs and
 * update VM functions in place (same ids, so routes and counters stay),
 * set budgets, delete and set routes — then the commit — then delete the
 * functions the configuration no longer has (their maps and counters go
 * with them: that cannot be undone).
 *
 * Before anything changes, the whole plan is written to the journal
 * (journal.c) pinned in the pin root.  An error undoes what was done
 * from it; a process killed half-way is undone (not committed) or
 * finished (committed) by the next writer of the pin root.  A replaced
 * program is pinned as fn/NAME/prog_old until the end, so that it can be
 * put back even by another process.
 *
 * VM-tier functions are registered, updated and unregistered here too;
 * kfaasd adopts what the registry says without taking the lock.  Before
 * the commit, the caller's ops->ready makes it do so and reports whether
 * the functions can serve (two phases: an executable kfaasd refuses, or
 * VMs that do not start, undo the apply like any other failure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <kfaas_conf.h>
#include "internal.h"
#include "journal.h"
#include "artifact.h"

static const char *const action_names[KFAAS_ACT_MAX] = {
	[KFAAS_ACT_FN_ADD] = "fn_add",
	[KFAAS_ACT_FN_REPLACE] = "fn_replace",
	[KFAAS_ACT_VM_UPDATE] = "vm_update",
	[KFAAS_ACT_BUDGET] = "budget",
	[KFAAS_ACT_ROUTE_DEL] = "route_del",
	[KFAAS_ACT_ROUTE_SET] = "route_set",
	[KFAAS_ACT_FN_DEL] = "fn_del",
};

const char *kfaas_action_name(int kind)
{
	return kind >= 0 && kind < KFAAS_ACT_MAX ? action_names[kind] : "?";
}

void kfaas_plan_free(struct kfaas_plan *p)
{
	free(p->acts);
	memset(p, 0, sizeof(*p));
}

static struct kfaas_action *act_new(struct kfaas_plan *p, enum kfaas_action_kind k)
{
	struct kfaas_action *a = realloc(p->acts, (p->n + 1) * sizeof(*a));

	if (!a) {
		kfaas_err(-ENOMEM, "out of memory");
		return NULL;
	}
	p->acts = a;
	a = &p->acts[p->n++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	return a;
}

/* The actions in the order of their kinds, each kind in plan order. */
static int plan_order(struct kfaas_plan *p)
{
	struct kfaas_action *sorted = malloc((p->n ? p->n : 1) * sizeof(*sorted));
	size_t i, n = 0;
	int k;

	if (!sorted)
		return kfaas_err(-ENOMEM, "out of memory");
	for (k = 0; k < KFAAS_ACT_MAX; k++)
		for (i = 0; i < p->n; i++)
			if ((int)p->acts[i].kind == k)
				sorted[n++] = p->acts[i];
	free(p->acts);
	p->acts = sorted;
	return 0;
}

/* Is the object or executable another file, or newer than the load? */
static bool source_changed(const struct kfaas_fn_info *cur, const char *path,
			   bool by_mtime)
{
	char real[4096];
	struct stat s;

	if (!realpath(path, real) || strcmp(real, cur->source))
		return true;
	return by_mtime && (stat(real, &s) || (__u64)s.st_mtime > cur->load_time);
}

/* A function's file must be the artifact it names, if it names one. */
static int artifact_check(const struct kfaas_conf_fn *f)
{
	char hex[ARTIFACT_HEX_LEN + 1];
	void *data;
	size_t len;
	int rc;

	if (!f->artifact[0])
		return 0;
	rc = artifact_file_read(f->source, &data, &len);
	if (rc)
		return rc;
	rc = artifact_hash(data, len, hex);
	free(data);
	if (!rc && strcmp(hex, f->artifact + 7))
		rc = kfaas_err(-EBADMSG, "function '%s' (line %d): %s has "
			       "sha256:%s, not the %s its 'artifact' says: "
			       "refused", f->name, f->line, f->source, hex,
			       f->artifact);
	return rc;
}

static int plan_fn(struct kfaas_state *st, const struct kfaas_conf_fn *f,
		   const struct kfaas_apply_ops *ops, struct kfaas_plan *p)
{
	bool vm = f->tier == KFAAS_TIER_VM, exists;
	enum kfaas_action_kind kind;
	struct kfaas_fn_info info;
	struct kfaas_action *a;

	if (access(f->source, R_OK))
		return kfaas_err(-ENOENT, "function '%s' (line %d): cannot read %s",
				 f->name, f->line, f->source);
	exists = kfaas_fn_find(st, f->name, &info) == 0;
	if (!exists) {
		kind = KFAAS_ACT_FN_ADD;
	} else if ((info.tier == KFAAS_TIER_VM) != vm) {
		return kfaas_err(-EINVAL, "function '%s' (line %d) runs in the %s "
				 "tier: unload it before it can become %s",
				 f->name, f->line, kfaas_tier_name(info.tier),
				 vm ? "a VM function" : "an eBPF function");
	} else if (vm ? source_changed(&info, f->source, false) ||
			memcmp(&info.vm, &f->vm, sizeof(f->vm)) :
			source_changed(&info, f->source, true)) {
		kind = vm ? KFAAS_ACT_VM_UPDATE : KFAAS_ACT_FN_REPLACE;
	} else {
		return artifact_check(f);
	}
	if (vm && !ops)
		return kfaas_err(-EOPNOTSUPP, "VM-tier function '%s' (line %d) "
				 "needs kfaasd to be %s: start kfaasd first",
				 f->name, f->line, exists ? "changed" : "created");
	a = act_new(p, kind);
	if (!a)
		return -ENOMEM;
	if (exists)
		a->cur = info;
	a->fn = f;
	snprintf(a->text, sizeof(a->text), "%c fn %s %s%s", exists ? '~' : '+',
		 f->name, vm ? "vm " : "", f->source);
	return artifact_check(f);
}

/* The running functions c does not name: removed (after the commit). */
static int plan_fn_dels(struct kfaas_state *st, const struct kfaas_conf *c,
			const struct kfaas_conf *cur,
			const struct kfaas_apply_ops *ops, struct kfaas_plan *p)
{
	struct kfaas_action *a;
	size_t i;

	for (i = 0; i < cur->nfns; i++) {
		struct kfaas_fn_info info;

		if (kfaas_conf_fn_find(c, cur->fns[i].name) ||
		    kfaas_fn_find(st, cur->fns[i].name, &info))
			continue;
		if (info.tier == KFAAS_TIER_VM && !ops)
			return kfaas_err(-EOPNOTSUPP, "removing VM-tier function "
					 "'%s' needs kfaasd: start it first",
					 info.name);
		a = act_new(p, KFAAS_ACT_FN_DEL);
		if (!a)
			return -ENOMEM;
		a->cur = info;
		snprintf(a->text, sizeof(a->text), "- fn %s", info.name);
	}
	return 0;
}

/* Functions keep their ids across replace and update: names suffice. */
static bool same_route(const struct kfaas_conf_route *a,
		       const struct kfaas_conf_route *b)
{
	return a && b && kfaas_conf_versions_equal(a, b) && !strcmp(a->fallback, b->fallback) &&
	       a->policy == b->policy &&
	       !memcmp(&a->opts, &b->opts, sizeof(a->opts));
}

/* What the table has for a->key, from all (one read of the table). */
static bool route_had(const struct kfaas_route_ent *all, size_t n,
		      struct kfaas_action *a)
{
	const struct kfaas_route_ent *e = kfaas__route_in(all, n, &a->key);

	if (e)
		a->route = e->val;
	return e != NULL;
}

/* Routes c does not have: deleted; routes new or different: set. */
static int plan_route_acts(const struct kfaas_conf *c, const struct kfaas_conf *cur,
			   const struct kfaas_route_ent *all, size_t n,
			   struct kfaas_plan *p)
{
	struct kfaas_action *a;
	char k[96];
	size_t i;

	for (i = 0; i < cur->nroutes; i++) {
		const struct kfaas_conf_route *have = &cur->routes[i];

		if (kfaas_conf_route_find(c, &have->key))
			continue;
		a = act_new(p, KFAAS_ACT_ROUTE_DEL);
		if (!a)
			return -ENOMEM;
		a->key = have->key;
		route_had(all, n, a);
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "- route %s -> %s", k, have->fn);
	}
	for (i = 0; i < c->nroutes; i++) {
		const struct kfaas_conf_route *want = &c->routes[i];
		const struct kfaas_conf_route *have = kfaas_conf_route_find(cur, &want->key);

		if (same_route(want, have))
			continue;
		a = act_new(p, KFAAS_ACT_ROUTE_SET);
		if (!a)
			return -ENOMEM;
		a->key = want->key;
		a->had_route = route_had(all, n, a);
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "%c route %s -> %s%s%s%s",
			 a->had_route ? '~' : '+', k, want->fn,
			 want->nver ? " (and other versions)" : "",
			 want->fallback[0] ? " fallback " : "", want->fallback);
	}
	return 0;
}

static int plan_routes(struct kfaas_state *st, const struct kfaas_conf *c,
		       const struct kfaas_conf *cur, struct kfaas_plan *p)
{
	struct kfaas_route_ent *all;
	size_t n;
	int rc = kfaas_route_list(st, &all, &n);

	if (rc)
		return rc;
	rc = plan_route_acts(c, cur, all, n, p);
	free(all);
	return rc;
}

/* Budgets that differ; a new function is born unlimited. */
static int plan_budgets(const struct kfaas_conf *c, const struct kfaas_conf *cur,
			struct kfaas_plan *p)
{
	struct kfaas_action *a;
	size_t i;

	for (i = 0; i < c->nfns; i++) {
		const struct kfaas_conf_fn *f = &c->fns[i];
		const struct kfaas_conf_fn *have = kfaas_conf_fn_find(cur, f->name);

		if (have ? !memcmp(&have->budget.l, &f->budget.l, sizeof(f->budget.l)) :
			   !f->budget.set)
			continue;
		a = act_new(p, KFAAS_ACT_BUDGET);
		if (!a)
			return -ENOMEM;
		a->fn = f;
		if (have)
			a->limits = have->budget.l;
		snprintf(a->text, sizeof(a->text), "%c budget %s", f->budget.set ?
			 '~' : '-', f->name);
	}
	return 0;
}

int kfaas_plan_make(struct kfaas_state *st, const struct kfaas_conf *c,
		    const struct kfaas_apply_ops *ops, struct kfaas_plan *p)
{
	struct kfaas_conf cur;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	/* planning changes nothing: the registry is read once */
	rc = kfaas__registry_snap(st, true) ?: kfaas_conf_current(st, &cur);
	if (rc) {
		kfaas__registry_snap(st, false);
		return rc;
	}
	for (i = 0; i < c->nfns && !rc; i++)
		rc = plan_fn(st, &c->fns[i], ops, p);
	rc = rc ?: plan_fn_dels(st, c, &cur, ops, p) ?:
	     plan_budgets(c, &cur, p) ?: plan_routes(st, c, &cur, p) ?:
	     plan_order(p);
	kfaas__registry_snap(st, false);
	kfaas_conf_free(&cur);
	if (rc)
		kfaas_plan_free(p);
	return rc;
}

/* ---- carrying a plan out ---- */

/* A test hook point: KFAAS_CRASH_AT kills here, KFAAS_FAIL_AT fails. */
static int point(const char *fmt, size_t n)
{
	char name[48];

	snprintf(name, sizeof(name), fmt, n);
	kfaas__crash_point(name);
	return kfaas__fail_point(name);
}

/* The registry entry of a VM-tier function as the configuration has it. */
static int vm_info(const struct kfaas_conf_fn *f, struct kfaas_fn_info *info)
{
	char real[4096];

	if (!realpath(f->source, real) || strlen(real) >= sizeof(info->source))
		return kfaas_err(-ENAMETOOLONG, "%s: cannot resolve the path, or "
				 "it is longer than %zu bytes", f->source,
				 sizeof(info->source) - 1);
	snprintf(info->name, sizeof(info->name), "%s", f->name);
	memcpy(info->source, real, strlen(real) + 1);
	info->tier = KFAAS_TIER_VM;
	info->vm = f->vm;
	return 0;
}

static int vm_add(struct kfaas_state *st, const struct kfaas_conf_fn *f)
{
	struct kfaas_fn_info info = { 0 };

	return vm_info(f, &info) ?: kfaas_fn_register(st, &info);
}

/* Same id; a later load time tells kfaasd it is another function now. */
static int vm_update(struct kfaas_state *st, const struct kfaas_action *a)
{
	struct kfaas_fn_info info = a->cur;
	__u64 now = (__u64)time(NULL);
	int rc = vm_info(a->fn, &info);

	if (rc)
		return rc;
	info.load_time = now > a->cur.load_time ? now : a->cur.load_time + 1;
	if (bpf_map_update_elem(st->funcs_fd, &info.id, &info, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot update the registry");
	return 0;
}

/* Keep the running program pinned as prog_old until the apply ends. */
static int replace(struct kfaas_state *st, const struct kfaas_action *a)
{
	char old[KFAAS_PATH_MAX];
	int fd, rc;

	rc = kfaas__prog_old_path(st, a->cur.name, old, sizeof(old));
	if (rc)
		return rc;
	fd = kfaas_fn_prog_fd(st, a->cur.name);
	if (fd < 0)
		return fd;
	unlink(old);
	rc = bpf_obj_pin(fd, old) ? kfaas__errno_msg(-errno, old) : 0;
	close(fd);
	return rc ?: kfaas_fn_replace(st, a->fn->name, a->fn->source, NULL);
}

static int route_set(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_action *a)
{
	const struct kfaas_conf_route *want = kfaas_conf_route_find(c, &a->key);
	const char *names[KFAAS_ROUTE_VERSIONS] = { want->fn };
	__u32 weights[KFAAS_ROUTE_VERSIONS] = { 1 };
	struct kfaas_route r;
	size_t i;

	for (i = 0; i < want->nver; i++) {	/* a split: its versions */
		names[i] = want->ver[i].fn;
		weights[i] = want->ver[i].weight;
	}
	/* one update of the route, whatever changed: the old or the new */
	return kfaas_route_make(st, &a->key, want->fn, 0, want->fallback[0] ?
				want->fallback : NULL, want->policy, &r) ?:
	       kfaas_route_versions_set(st, &r, names, weights,
					want->nver ? want->nver : 1) ?:
	       kfaas_route_opts_set(st, &r, &want->opts) ?:
	       kfaas__route_put(st, &a->key, &r);
}

static int budget_set(struct kfaas_state *st, const char *name,
		      const struct kfaas_limits *l)
{
	struct kfaas_fn_info f;

	return kfaas_fn_find(st, name, &f) ?: kfaas_budget_set(st, f.id, l);
}

static int step(struct kfaas_state *st, const struct kfaas_conf *c,
		const struct kfaas_action *a)
{
	switch (a->kind) {
	case KFAAS_ACT_FN_ADD:
		if (a->fn->tier == KFAAS_TIER_VM)
			return vm_add(st, a->fn);
		return kfaas_fn_load(st, a->fn->source, a->fn->name, NULL);
	case KFAAS_ACT_FN_REPLACE:
		return replace(st, a);
	case KFAAS_ACT_VM_UPDATE:
		return vm_update(st, a);
	case KFAAS_ACT_BUDGET:
		return budget_set(st, a->fn->name, &a->fn->budget.l);
	case KFAAS_ACT_ROUTE_DEL:	/* the loop ports once, after the steps */
		return kfaas__route_del(st, &a->key, false);
	case KFAAS_ACT_ROUTE_SET:
		return route_set(st, c, a);
	case KFAAS_ACT_FN_DEL:
		return kfaas_fn_unload(st, a->cur.name);
	case KFAAS_ACT_MAX:
		break;
	}
	return kfaas_err(-EINVAL, "internal: unknown step");
}

/*
 * The route steps (ROUTE_DEL, ROUTE_SET, together in the plan) run under
 * one config.busy from the first to the last, instead of setting and
 * clearing it around each route (four more syscalls a route): a crash
 * among them is repaired as one (repair.c), then undone by the journal.
 */
static int route_steps_begin(struct kfaas_state *st, const struct kfaas_action *a)
{
	if ((a->kind != KFAAS_ACT_ROUTE_DEL && a->kind != KFAAS_ACT_ROUTE_SET) ||
	    st->busy_held)
		return 0;
	/* and they change no function and no budget: read those once */
	return kfaas__busy_hold(st, true) ?: kfaas__registry_snap(st, true);
}

/* After the route steps, or before an undo: config.busy (set: left for
 * the next writer's repair), and the registry read from the maps again. */
static void route_steps_end(struct kfaas_state *st)
{
	st->busy_held = false;
	kfaas__registry_snap(st, false);
}

static void jrec_of(const struct kfaas_action *a, struct kfaas__jrec *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = a->kind;
	if (a->kind == KFAAS_ACT_FN_ADD || a->kind == KFAAS_ACT_BUDGET) {
		snprintf(r->fn.name, sizeof(r->fn.name), "%s", a->fn->name);
		r->fn.tier = (__u8)a->fn->tier;
	} else {
		r->fn = a->cur;
	}
	r->key = a->key;
	r->route = a->route;
	r->had_route = a->had_route;
	r->limits = a->limits;
}

/* Phase two of the VM-tier steps: kfaasd runs what was registered. */
static int vm_ready(struct kfaas_state *st, const struct kfaas_plan *p,
		    const struct kfaas_apply_ops *ops)
{
	struct kfaas_fn_info *fns = calloc(p->n ? p->n : 1, sizeof(*fns));
	size_t i, n = 0;
	int rc = 0;

	if (!fns)
		return kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->n && !rc; i++) {
		const struct kfaas_action *a = &p->acts[i];

		if ((a->kind == KFAAS_ACT_FN_ADD || a->kind == KFAAS_ACT_VM_UPDATE) &&
		    a->fn->tier == KFAAS_TIER_VM)
			rc = kfaas_fn_find(st, a->fn->name, &fns[n++]);
	}
	if (!rc && n)
		rc = ops && ops->ready ? ops->ready(ops->ctx, fns, n) :
		     kfaas_err(-EOPNOTSUPP, "VM-tier functions need kfaasd");
	free(fns);
	return rc;
}

static void synced(const struct kfaas_apply_ops *ops)
{
	if (ops && ops->synced)
		ops->synced(ops->ctx);
}

/*
 * Undo the first n steps (the last may be half done) from the journal's
 * records, newest first, after what failed.  A failed undo is said
 * loudly: the state is then neither before nor after, and the journal
 * stays for the next writer.
 */
static int rollback(struct kfaas_state *st, const struct kfaas_plan *p,
		    const struct kfaas__jrec *recs, size_t n, const char *what,
		    int err, const struct kfaas_apply_ops *ops)
{
	char why[700], how[600];
	int rc;

	snprintf(why, sizeof(why), "%s", kfaas_errmsg());
	while (n-- > 0) {
		rc = point("apply-undo-%zu", n + 1) ?:
		     kfaas__journal_undo(st, &recs[n]);
		if (rc) {
			snprintf(how, sizeof(how), "%s", kfaas_errmsg());
			synced(ops);
			return kfaas_err(-ENOTRECOVERABLE, "%s failed: %s; then "
					 "undoing '%s' failed too: %s. The state "
					 "is neither the old nor the new one: "
					 "the journal %s/journal is kept and "
					 "the next kfaas command that changes "
					 "the state undoes the rest first",
					 what, why, p->acts[n].text, how,
					 st->root);
		}
	}
	/* routes deleted and put back: the loop ports as the routes are */
	if (kfaas__loop_ports_sync(st))
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " (and the "
			 "loop ports could not be recomputed: %s; the ports of "
			 "the deleted routes stay loop ports until the next "
			 "apply)", kfaas_errmsg());
	kfaas__journal_end(st, recs, p->n);
	synced(ops);
	return kfaas_err(err, "%s failed, nothing was changed: %s", what, why);
}

/* After the commit: the deletions, which cannot be undone. */
static int finish(struct kfaas_state *st, const struct kfaas_plan *p,
		  const struct kfaas__jrec *recs, size_t first,
		  const struct kfaas_apply_ops *ops)
{
	char why[700];
	size_t i;
	int rc = 0;

	for (i = first; i < p->n && !rc; i++)
		rc = point("apply-del-%zu", i - first + 1) ?:
		     step(st, NULL, &p->acts[i]);
	if (rc) {
		snprintf(why, sizeof(why), "%s", kfaas_errmsg());
		synced(ops);
		return kfaas_err(-ENOTRECOVERABLE, "applied, but '%s' failed: %s. "
				 "The journal %s/journal is kept and the next "
				 "kfaas command that changes the state finishes "
				 "the deletions first", p->acts[i - 1].text, why,
				 st->root);
	}
	point("apply-done", 0);
	kfaas__journal_end(st, recs, p->n);	/* a leftover: finished by repair */
	synced(ops);
	return 0;
}

int kfaas_plan_apply(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_plan *p, const struct kfaas_apply_ops *ops)
{
	struct kfaas__jrec *recs;
	char what[340];
	size_t i, npre = 0;
	int rc;

	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	if (!p->n)
		return 0;
	recs = calloc(p->n, sizeof(*recs));
	if (!recs)
		return kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		jrec_of(&p->acts[i], &recs[i]);
		npre += p->acts[i].kind != KFAAS_ACT_FN_DEL;
	}
	rc = kfaas__journal_begin(st, recs, p->n);
	if (rc)
		goto out;
	rc = point("apply-journal", 0);
	if (rc) {
		rc = rollback(st, p, recs, 0, "starting", rc, ops);
		goto out;
	}
	for (i = 0; i < npre; i++) {
		rc = route_steps_begin(st, &p->acts[i]) ?:
		     point("apply-step-%zu", i + 1) ?: step(st, c, &p->acts[i]);
		if (rc) {
			route_steps_end(st);	/* busy set: the next writer repairs */
			snprintf(what, sizeof(what), "'%s'", p->acts[i].text);
			rc = rollback(st, p, recs, i + 1, what, rc, ops);
			goto out;
		}
	}
	/* one walk of the routes for every route deleted; busy let go */
	kfaas__registry_snap(st, false);
	rc = kfaas__loop_ports_sync(st) ?: kfaas__busy_hold(st, false);
	if (rc) {
		route_steps_end(st);
		rc = rollback(st, p, recs, npre, "recomputing the loop ports and "
			      "clearing config.busy", rc, ops);
		goto out;
	}
	rc = point("apply-ready", 0) ?: vm_ready(st, p, ops);
	if (rc) {
		rc = rollback(st, p, recs, npre, "starting the VM-tier functions",
			      rc, ops);
		goto out;
	}
	rc = kfaas__journal_commit(st);
	if (rc) {
		rc = rollback(st, p, recs, npre, "the commit", rc, ops);
		goto out;
	}
	point("apply-committed", 0);
	rc = finish(st, p, recs, npre, ops);
out:
	free(recs);
	return rc;
}
