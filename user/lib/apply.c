// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas apply: make the pinned state match a configuration.
 *
 * The plan is computed first (and is all that --dry-run shows), in an
 * order that keeps every route valid at every moment: add and replace
 * functions, delete routes, add routes, delete functions.  Carrying it
 * out under the pin-root lock, the first failure undoes every step done so
 * far in reverse (a replaced program is put back from the fd kept before
 * the swap), so an apply either completes or leaves the state as it was.
 * Deleting functions comes last because it cannot be undone (their maps
 * are gone); it fails only if the kernel refuses a map update.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config.h"
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

/* Is the object newer than the loaded program, or another file? */
static bool object_changed(const struct kfaas_fn_info *cur, const char *path)
{
	char real[4096];
	struct stat s;

	if (!realpath(path, real) || strcmp(real, cur->source))
		return true;
	return stat(real, &s) || (__u64)s.st_mtime > cur->load_time;
}

int kfaas_plan_make(struct kfaas_state *st, const struct kfaas_conf *c,
		    struct kfaas_plan *p)
{
	struct kfaas_conf cur;
	struct kfaas_action *a;
	size_t i, j;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = kfaas_conf_current(st, &cur);
	if (rc)
		return rc;
	for (i = 0; i < c->nfns && !rc; i++) {
		const struct kfaas_conf_fn *f = &c->fns[i];
		struct kfaas_fn_info info;

		if (f->tier == KFAAS_TIER_VM) {
			rc = kfaas_err(-EOPNOTSUPP, "function '%s' (line %d): VM-tier "
				       "functions are created by kfaasd", f->name,
				       f->line);
			break;
		}
		if (access(f->source, R_OK)) {
			rc = kfaas_err(-ENOENT, "function '%s' (line %d): cannot "
				       "read %s", f->name, f->line, f->source);
			break;
		}
		if (kfaas_fn_find(st, f->name, &info)) {
			a = act_new(p, KFAAS_ACT_FN_ADD);
			if (!a)
				goto nomem;
			a->fn = f;
			snprintf(a->text, sizeof(a->text), "+ fn %s %s", f->name,
				 f->source);
		} else if (info.tier == KFAAS_TIER_VM) {
			rc = kfaas_err(-EINVAL, "function '%s' (line %d) runs in the "
				       "VM tier: unload it before giving it an "
				       "object", f->name, f->line);
		} else if (object_changed(&info, f->source)) {
			a = act_new(p, KFAAS_ACT_FN_REPLACE);
			if (!a)
				goto nomem;
			a->fn = f;
			a->cur = info;
			snprintf(a->text, sizeof(a->text), "~ fn %s %s", f->name,
				 f->source);
		}
	}
	for (i = 0; i < cur.nfns && !rc; i++) {
		struct kfaas_fn_info info;
		bool keep = false;

		for (j = 0; j < c->nfns; j++)
			keep |= !strcmp(c->fns[j].name, cur.fns[i].name);
		if (keep || kfaas_fn_find(st, cur.fns[i].name, &info))
			continue;
		a = act_new(p, KFAAS_ACT_FN_DEL);
		if (!a)
			goto nomem;
		a->cur = info;
		snprintf(a->text, sizeof(a->text), "- fn %s", info.name);
	}
	for (i = 0; i < cur.nroutes && !rc; i++) {
		const struct kfaas_conf_route *want = conf_route(c, &cur.routes[i].key);
		const struct kfaas_conf_route *have = &cur.routes[i];
		char k[96];

		if (want && !strcmp(want->fn, have->fn) &&
		    !strcmp(want->fallback, have->fallback) &&
		    want->policy == have->policy)
			continue;
		a = act_new(p, KFAAS_ACT_ROUTE_DEL);
		if (!a)
			goto nomem;
		a->key = have->key;
		kfaas_route_get(st, &a->key, &a->route);
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "- route %s -> %s", k, have->fn);
	}
	for (i = 0; i < c->nroutes && !rc; i++) {
		const struct kfaas_conf_route *want = &c->routes[i];
		const struct kfaas_conf_route *have = conf_route(&cur, &want->key);
		char k[96];

		if (have && !strcmp(want->fn, have->fn) &&
		    !strcmp(want->fallback, have->fallback) &&
		    want->policy == have->policy)
			continue;
		a = act_new(p, KFAAS_ACT_ROUTE_ADD);
		if (!a)
			goto nomem;
		a->key = want->key;
		kfaas_route_key_str(&a->key, k, sizeof(k));
		snprintf(a->text, sizeof(a->text), "+ route %s -> %s%s%s", k,
			 want->fn, want->fallback[0] ? " fallback " : "",
			 want->fallback);
	}
	kfaas_conf_free(&cur);
	if (rc) {
		kfaas_plan_free(p);
		return rc;
	}
	qsort(p->acts, p->n, sizeof(*p->acts), by_kind);
	return 0;
nomem:
	kfaas_conf_free(&cur);
	kfaas_plan_free(p);
	return kfaas_err(-ENOMEM, "out of memory");
}

struct undo {
	int	prog_fd;	/* FN_REPLACE: the program before */
	bool	done;
};

static int step(struct kfaas_state *st, const struct kfaas_conf *c,
		const struct kfaas_action *a, struct undo *u)
{
	const struct kfaas_conf_route *want;
	struct kfaas_route r;
	int rc;

	switch (a->kind) {
	case KFAAS_ACT_FN_ADD:
		return kfaas_fn_load(st, a->fn->source, a->fn->name, NULL);
	case KFAAS_ACT_FN_REPLACE:
		u->prog_fd = kfaas_fn_prog_fd(st, a->cur.name);
		if (u->prog_fd < 0)
			return kfaas_err(u->prog_fd, "function '%s' has no pinned "
					 "program", a->cur.name);
		return kfaas_fn_replace(st, a->fn->name, a->fn->source, NULL);
	case KFAAS_ACT_ROUTE_DEL:
		return kfaas_route_del(st, &a->key);
	case KFAAS_ACT_ROUTE_ADD:
		want = conf_route(c, &a->key);
		rc = kfaas_route_make(st, &a->key, want->fn, 0,
				      want->fallback[0] ? want->fallback : NULL,
				      want->policy, &r);
		return rc ?: kfaas_route_add(st, &a->key, &r);
	case KFAAS_ACT_FN_DEL:
		return kfaas_fn_unload(st, a->cur.name);
	}
	return -EINVAL;
}

static void unstep(struct kfaas_state *st, const struct kfaas_action *a,
		   struct undo *u)
{
	switch (a->kind) {
	case KFAAS_ACT_FN_ADD:
		kfaas_fn_unload(st, a->fn->name);
		break;
	case KFAAS_ACT_FN_REPLACE:
		kfaas_fn_restore(st, &a->cur, u->prog_fd);
		break;
	case KFAAS_ACT_ROUTE_DEL:
		kfaas_route_add(st, &a->key, &a->route);
		break;
	case KFAAS_ACT_ROUTE_ADD:
		kfaas_route_del(st, &a->key);
		break;
	case KFAAS_ACT_FN_DEL:
		break;		/* last, and cannot be undone */
	}
}

int kfaas_plan_apply(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_plan *p)
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
		rc = step(st, c, &p->acts[i], &u[i]);
		if (rc)
			break;
		u[i].done = true;
	}
	if (rc) {
		size_t failed = i;

		snprintf(msg, sizeof(msg), "%s", kfaas_errmsg());
		while (i-- > 0)
			if (u[i].done)
				unstep(st, &p->acts[i], &u[i]);
		rc = kfaas_err(rc, "'%s' failed, nothing was changed: %s",
			       p->acts[failed].text, msg);
	}
	for (i = 0; i < p->n; i++)
		if (u[i].prog_fd >= 0)
			close(u[i].prog_fd);
	free(u);
	return rc;
}
