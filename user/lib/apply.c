// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas apply: make the pinned state match a configuration.
 *
 * The plan is computed first (and is all that --dry-run shows), in an
 * order that keeps every route valid at every moment: add and replace
 * functions, delete routes, re-create changed VM-tier functions, set
 * budgets, add routes, delete functions.  Carrying it out, the first failure undoes
 * every step done so far in reverse (a replaced program is put back from
 * the fd kept before the swap, a re-created VM function gets its old
 * executable and size), so an apply either completes or leaves the state
 * as it was.  Deleting functions comes last because it cannot be undone
 * (their maps are gone).
 *
 * eBPF steps run under the pin-root lock; VM-tier steps go to kfaasd
 * through the caller's ops with the lock released, because kfaasd takes
 * it itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <kfaas_conf.h>
#include "internal.h"

void kfaas_plan_free(struct kfaas_plan *p)
{
	free(p->acts);
	memset(p, 0, sizeof(*p));
}

static struct kfaas_action *act_new(struct kfaas_plan *p, enum kfaas_action_kind k)
{
	struct kfaas_action *a = realloc(p->acts, (p->n + 1) * sizeof(*a));

	if (!a)
		return NULL;
	p->acts = a;
	a = &p->acts[p->n++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	return a;
}

static int by_kind(const void *x, const void *y)
{
	const struct kfaas_action *a = x, *b = y;

	return (int)a->kind - (int)b->kind;
}

static const struct kfaas_conf_route *conf_route(const struct kfaas_conf *c,
						 const struct kfaas_route_key *k)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (!memcmp(&c->routes[i].key, k, sizeof(*k)))
			return &c->routes[i];
	return NULL;
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

static bool vm_changed(const struct kfaas_fn_info *cur, const struct kfaas_conf_fn *f)
{
	return source_changed(cur, f->source, false) ||
	       memcmp(&cur->vm, &f->vm, sizeof(f->vm));
}

/* Functions re-created by the plan get new ids: their routes follow. */
static bool recreated(const struct kfaas_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->acts[i].kind == KFAAS_ACT_VM_RECREATE &&
		    !strcmp(p->acts[i].cur.name, name))
			return true;
	return false;
}

static bool same_versions(const struct kfaas_conf_route *a,
			  const struct kfaas_conf_route *b)
{
	size_t i;

	if (a->nver != b->nver || (!a->nver && strcmp(a->fn, b->fn)))
		return false;
	for (i = 0; i < a->nver; i++)
		if (strcmp(a->ver[i].fn, b->ver[i].fn) ||
		    a->ver[i].weight != b->ver[i].weight)
			return false;
	return true;
}

static bool any_recreated(const struct kfaas_plan *p,
			  const struct kfaas_conf_route *r)
{
	size_t i;

	for (i = 0; i < r->nver; i++)
		if (recreated(p, r->ver[i].fn))
			return true;
	return recreated(p, r->fn) ||
	       (r->fallback[0] && recreated(p, r->fallback));
}

/* a and b are the same but for their versions and weights: one update */
static bool only_versions_differ(const struct kfaas_plan *p,
				 const struct kfaas_conf_route *a,
				 const struct kfaas_conf_route *b)
{
	return a && b && !strcmp(a->fallback, b->fallback) &&
	       a->policy == b->policy && !any_recreated(p, a) &&
	       !any_recreated(p, b) &&
	       !memcmp(&a->opts, &b->opts, sizeof(a->opts));
}

static bool same_route(const struct kfaas_plan *p, const struct kfaas_conf_route *a,
		       const struct kfaas_conf_route *b)
{
	return only_versions_differ(p, a, b) && same_versions(a, b);
}

/* A conf route's versions as names and weights (fn alone: weight 1). */
static size_t route_versions(const struct kfaas_conf_route *r,
			     const char **names, __u32 *weights)
{
	size_t i;

	names[0] = r->fn;
	weights[0] = 1;
	for (i = 0; i < r->nver; i++) {
		names[i] = r->ver[i].fn;
		weights[i] = r->ver[i].weight;
	}
	return r->nver ? r->nver : 1;
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
	} else if (vm ? vm_changed(&info, f) : source_changed(&info, f->source, true)) {
		kind = vm ? KFAAS_ACT_VM_RECREATE : KFAAS_ACT_FN_REPLACE;
	} else {
		return 0;
	}
	if (vm && !ops)
		return kfaas_err(-EOPNOTSUPP, "VM-tier function '%s' (line %d) "
				 "needs kfaasd to be %s: start kfaasd first",
				 f->name, f->line, exists ? "changed" : "created");
	a = act_new(p, kind);
	if (!a)
		return kfaas_err(-ENOMEM, "out of memory");
	if (exists)
		a->cur = info;
	a->fn = f;
	snprintf(a->text, sizeof(a->text), "%c fn %s %s%s", a->kind == KFAAS_ACT_FN_ADD ?
		 '+' : '~', f->name, vm ? "vm " : "", f->source);
	return 0;
}

static int nomem(void)
{
	return kfaas_err(-ENOMEM, "out of memory");
}

/* The running functions c does not name: removed. */
static int plan_fn_dels(struct kfaas_state *st, const struct kfaas_conf *c,
			const struct kfaas_conf *cur,
			const struct kfaas_apply_ops *ops, struct kfaas_plan *p)
{
	struct kfaas_action *a;
	size_t i, j;

	for (i = 0; i < cur->nfns; i++) {
		struct kfaas_fn_info info;
		bool keep = false;

		for (j = 0; j < c->nfns; j++)
			keep |= !strcmp(c->fns[j].name, cur->fns[i].name);
		if (keep || kfaas_fn_find(st, cur->fns[i].name, &info))
			continue;
		if (info.tier == KFAAS_TIER_VM && !ops)
			return kfaas_err(-EOPNOTSUPP, "removing VM-tier function "
					 "'%s' needs kfaasd: start it first",
					 info.name);
		a = act_new(p, KFAAS_ACT_FN_DEL);
		if (!a)
			return nomem();
		a->cur = info;
		snprintf(a->text, sizeof(a->text), "- fn %s", info.name);
	}
	return 0;
}

/* Routes that differ: the running one deleted, c's added. */
static int plan_routes(struct kfaas_state *st, const struct kfaas_conf *c,
		       const struct kfaas_conf *cur, struct kfaas_plan *p)
{
	struct kfaas_action *a;
	char k[96];
	size_t i;

	for (i = 0; i < cur->nroutes; i++) {
		const struct kfaas_conf_route *have = &cur->routes[i];

		if (only_versions_differ(p, conf_route(c, &have->key), have))
			continue;	/* same_route, or a ROUTE_SET below */
		a = act_new(p, KFAAS_ACT_ROUTE_DEL);
		if (!a)
			return nomem();
		a->key = have->key;
		kfaas_route_get(st, &a->key, &a->route);
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "- route %s -> %s", k, have->fn);
	}
	for (i = 0; i < c->nroutes; i++) {
		const struct kfaas_conf_route *want = &c->routes[i];

		if (same_route(p, want, conf_route(cur, &want->key)))
			continue;
		if (only_versions_differ(p, want, conf_route(cur, &want->key))) {
			a = act_new(p, KFAAS_ACT_ROUTE_SET);
			if (!a)
				return nomem();
			a->key = want->key;
			kfaas_route_get(st, &a->key, &a->route);
			kfaas_route_key_str(&a->key, k, sizeof(k));
			snprintf(a->text, sizeof(a->text), "~ route %s versions",
				 k);
			continue;
		}
		a = act_new(p, KFAAS_ACT_ROUTE_ADD);
		if (!a)
			return nomem();
		a->key = want->key;
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "+ route %s -> %s%s%s", k,
			 want->fn, want->fallback[0] ? " fallback " : "",
			 want->fallback);
	}
	return 0;
}

/* Budgets that differ; a new or re-created function is born unlimited. */
static int plan_budgets(const struct kfaas_conf *c, const struct kfaas_conf *cur,
			struct kfaas_plan *p)
{
	struct kfaas_action *a;
	size_t i, j;

	for (i = 0; i < c->nfns; i++) {
		const struct kfaas_conf_fn *f = &c->fns[i];
		const struct kfaas_conf_fn *have = NULL;

		for (j = 0; j < cur->nfns; j++)
			if (!strcmp(cur->fns[j].name, f->name))
				have = &cur->fns[j];
		if (have && !recreated(p, f->name) &&
		    !memcmp(&have->budget.l, &f->budget.l, sizeof(f->budget.l)))
			continue;
		if ((!have || recreated(p, f->name)) && !f->budget.set)
			continue;
		a = act_new(p, KFAAS_ACT_BUDGET);
		if (!a)
			return nomem();
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
	rc = kfaas_conf_current(st, &cur);
	if (rc)
		return rc;
	for (i = 0; i < c->nfns && !rc; i++)
		rc = plan_fn(st, &c->fns[i], ops, p);
	rc = rc ?: plan_fn_dels(st, c, &cur, ops, p) ?:
	     plan_routes(st, c, &cur, p) ?: plan_budgets(c, &cur, p);
	kfaas_conf_free(&cur);
	if (rc) {
		kfaas_plan_free(p);
		return rc;
	}
	qsort(p->acts, p->n, sizeof(*p->acts), by_kind);
	return 0;
}

/* A kfaasd call, with the pin root unlocked for it. */
static int vm_call(struct kfaas_state *st, const struct kfaas_apply_ops *ops,
		   const char *name, const char *exe, const struct kfaas_vm_params *p)
{
	int rc = kfaas_state_unlock(st);

	if (rc)
		return rc;
	rc = exe ? ops->vm_create(ops->ctx, name, exe, p) :
		   ops->vm_unload(ops->ctx, name);
	return kfaas_state_relock(st) ?: rc;
}

/* Set (or, all zero, clear) the budget of the function called name. */
static int budget_set(struct kfaas_state *st, const char *name,
		      const struct kfaas_limits *l)
{
	struct kfaas_fn_info f;

	return kfaas_fn_find(st, name, &f) ?: kfaas_budget_set(st, f.id, l);
}

struct undo {
	int	prog_fd;	/* FN_REPLACE: the program before */
	bool	done;
	bool	gone;		/* VM_RECREATE: the old one is unloaded */
};

static bool is_vm(const struct kfaas_action *a)
{
	return (a->fn && a->fn->tier == KFAAS_TIER_VM) ||
	       (!a->fn && a->cur.tier == KFAAS_TIER_VM);
}

static int step(struct kfaas_state *st, const struct kfaas_conf *c,
		const struct kfaas_action *a, const struct kfaas_apply_ops *ops,
		struct undo *u)
{
	const char *names[KFAAS_ROUTE_VERSIONS];
	__u32 weights[KFAAS_ROUTE_VERSIONS];
	const struct kfaas_conf_route *want;
	struct kfaas_route r;
	size_t n;
	int rc;

	switch (a->kind) {
	case KFAAS_ACT_FN_ADD:
		if (is_vm(a))
			return vm_call(st, ops, a->fn->name, a->fn->source, &a->fn->vm);
		return kfaas_fn_load(st, a->fn->source, a->fn->name, NULL);
	case KFAAS_ACT_FN_REPLACE:
		u->prog_fd = kfaas_fn_prog_fd(st, a->cur.name);
		if (u->prog_fd < 0)
			return kfaas_err(u->prog_fd, "function '%s' has no pinned "
					 "program", a->cur.name);
		return kfaas_fn_replace(st, a->fn->name, a->fn->source, NULL);
	case KFAAS_ACT_ROUTE_DEL:
		return kfaas_route_del(st, &a->key);
	case KFAAS_ACT_VM_RECREATE:
		rc = vm_call(st, ops, a->cur.name, NULL, NULL);
		if (rc)
			return rc;
		u->gone = true;
		return vm_call(st, ops, a->fn->name, a->fn->source, &a->fn->vm);
	case KFAAS_ACT_BUDGET:
		return budget_set(st, a->fn->name, &a->fn->budget.l);
	case KFAAS_ACT_ROUTE_SET:
		want = conf_route(c, &a->key);
		n = route_versions(want, names, weights);
		return kfaas_route_weights_set(st, &a->key, names, weights, n);
	case KFAAS_ACT_ROUTE_ADD:
		want = conf_route(c, &a->key);
		n = route_versions(want, names, weights);
		rc = kfaas_route_make(st, &a->key, want->fn, 0,
				      want->fallback[0] ? want->fallback : NULL,
				      want->policy, &r) ?:
		     kfaas_route_versions_set(st, &r, names, weights, n) ?:
		     kfaas_route_opts_set(st, &r, &want->opts);
		return rc ?: kfaas_route_add(st, &a->key, &r);
	case KFAAS_ACT_FN_DEL:
		if (is_vm(a))
			return vm_call(st, ops, a->cur.name, NULL, NULL);
		return kfaas_fn_unload(st, a->cur.name);
	}
	return -EINVAL;
}

static void unstep(struct kfaas_state *st, const struct kfaas_action *a,
		   const struct kfaas_apply_ops *ops, struct undo *u)
{
	switch (a->kind) {
	case KFAAS_ACT_FN_ADD:
		if (is_vm(a))
			vm_call(st, ops, a->fn->name, NULL, NULL);
		else
			kfaas_fn_unload(st, a->fn->name);
		break;
	case KFAAS_ACT_FN_REPLACE:
		kfaas_fn_restore(st, &a->cur, u->prog_fd);
		break;
	case KFAAS_ACT_ROUTE_DEL:
		kfaas_route_add(st, &a->key, &a->route);
		break;
	case KFAAS_ACT_VM_RECREATE:
		if (u->done)
			vm_call(st, ops, a->fn->name, NULL, NULL);
		if (u->gone)
			vm_call(st, ops, a->cur.name, a->cur.source, &a->cur.vm);
		break;
	case KFAAS_ACT_BUDGET:
		budget_set(st, a->fn->name, &a->limits);
		break;
	case KFAAS_ACT_ROUTE_SET:	/* the route as it was */
		bpf_map_update_elem(st->routes_fd, &a->key, &a->route, BPF_EXIST);
		break;
	case KFAAS_ACT_ROUTE_ADD:
		kfaas_route_del(st, &a->key);
		break;
	case KFAAS_ACT_FN_DEL:
		break;		/* last, and cannot be undone */
	}
}

int kfaas_plan_apply(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_plan *p, const struct kfaas_apply_ops *ops)
{
	struct undo *u = calloc(p->n ? p->n : 1, sizeof(*u));
	char msg[1024];
	size_t i;
	int rc = 0;

	if (!u)
		return kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++)
		u[i].prog_fd = -1;
	for (i = 0; i < p->n; i++) {
		rc = step(st, c, &p->acts[i], ops, &u[i]);
		if (rc)
			break;
		u[i].done = true;
	}
	if (rc) {
		size_t failed = i;

		snprintf(msg, sizeof(msg), "%s", kfaas_errmsg());
		/* a half-done re-create is undone too */
		if (p->acts[failed].kind == KFAAS_ACT_VM_RECREATE)
			unstep(st, &p->acts[failed], ops, &u[failed]);
		while (i-- > 0)
			if (u[i].done)
				unstep(st, &p->acts[i], ops, &u[i]);
		rc = kfaas_err(rc, "'%s' failed, nothing was changed: %s",
			       p->acts[failed].text, msg);
	}
	for (i = 0; i < p->n; i++)
		if (u[i].prog_fd >= 0)
			close(u[i].prog_fd);
	free(u);
	return rc;
}
