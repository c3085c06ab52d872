// SPDX-License-Identifier: GPL-2.0
/*
 * Nodes of the cluster (kfaas_cluster.h): a node's registration record
 * (PREFIX/nodes/NODE, under its lease), the list of live nodes, and a
 * node's share of the desired state.
 *
 *   {"name": "n1", "addr": "10.0.0.5", "capacity": {"mem-mib": 4096,
 *    "cpus": 8}, "tiers": {"xdp": true, "sk": true, "kmod": false,
 *    "vm": "tcg"}, "labels": {"rack": "r1"}, "started": "...",
 *    "version": "0.1", "abi": N}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "cluster_int.h"

json_object *kfaas_cluster_node_json(const struct kfaas_cluster_node *n)
{
	json_object *o = json_object_new_object(), *cap = json_object_new_object();
	json_object *tiers = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "addr", json_object_new_string(n->addr));
	json_object_object_add(cap, "mem-mib", json_object_new_int64((int64_t)n->mem_mib));
	json_object_object_add(cap, "cpus", json_object_new_int64(n->cpus));
	json_object_object_add(o, "capacity", cap);
	json_object_object_add(tiers, "xdp", json_object_new_boolean(1));
	json_object_object_add(tiers, "sk", json_object_new_boolean(1));
	json_object_object_add(tiers, "kmod", json_object_new_boolean(n->kmod));
	json_object_object_add(tiers, "vm", n->vm[0] ?
			       json_object_new_string(n->vm) : NULL);
	json_object_object_add(o, "tiers", tiers);
	json_object_object_add(o, "labels", kfaas__labels_json(&n->labels));
	json_object_object_add(o, "started", json_object_new_string(n->started));
	json_object_object_add(o, "version", json_object_new_string(KFAAS_VERSION));
	json_object_object_add(o, "abi", json_object_new_int(KFAAS_ABI_VERSION));
	return o;
}

int kfaas_cluster_node_parse(const char *json, size_t len, struct kfaas_cluster_node *n)
{
	json_object *o = json_tokener_parse(json), *v, *t;
	const char *s;
	__u64 x;
	int rc = -EPROTO;

	(void)len;
	memset(n, 0, sizeof(*n));
	if (!o || !(s = kfaas__json_str(o, "name")) || strlen(s) >= sizeof(n->name))
		goto out;
	strcpy(n->name, s);
	s = kfaas__json_str(o, "addr");
	snprintf(n->addr, sizeof(n->addr), "%s", s ? s : "");
	s = kfaas__json_str(o, "started");
	snprintf(n->started, sizeof(n->started), "%s", s ? s : "");
	if (json_object_object_get_ex(o, "capacity", &v)) {
		if (!kfaas__json_u64(v, "mem-mib", UINT32_MAX, &x))
			n->mem_mib = x;
		if (!kfaas__json_u64(v, "cpus", 65536, &x))
			n->cpus = (__u32)x;
	}
	if (json_object_object_get_ex(o, "tiers", &t)) {
		s = kfaas__json_str(t, "vm");
		snprintf(n->vm, sizeof(n->vm), "%s", s ? s : "");
		n->kmod = json_object_object_get_ex(t, "kmod", &v) &&
			  json_object_get_boolean(v);
	}
	rc = json_object_object_get_ex(o, "labels", &v) ?
	     kfaas__labels_parse(v, &n->labels) : 0;
out:
	json_object_put(o);
	return rc ? kfaas_err(-EPROTO, "not a node record") : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kfaas_cluster_node *)a)->name,
		      ((const struct kfaas_cluster_node *)b)->name);
}

int kfaas_cluster_nodes(struct kfaas_cluster *c, struct kfaas_cluster_node **out,
			size_t *n)
{
	char key[CLUSTER_KEY_MAX];
	struct etcd_range q = { .key = key, .prefix = true };
	struct kfaas_cluster_node *nodes;
	struct etcd_kvs kvs;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = kfaas__cluster_key(c, key, "nodes/") ?: etcd_kv_range(c->etcd, &q, &kvs);
	if (rc)
		return rc;
	nodes = calloc(kvs.n + 1, sizeof(*nodes));
	if (!nodes) {
		etcd_kvs_free(&kvs);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < kvs.n; i++) {
		if (kfaas_cluster_node_parse(kvs.kv[i].value, kvs.kv[i].value_len,
					     &nodes[*n]))
			continue;	/* a record we cannot read: not a node */
		nodes[*n].lease = kvs.kv[i].lease;
		(*n)++;
	}
	etcd_kvs_free(&kvs);
	qsort(nodes, *n, sizeof(*nodes), by_name);
	*out = nodes;
	return 0;
}

/* ---- a node's share ---- */

static bool placed_here(const struct kfaas_cluster_desired *d, const char *fn,
			const char *node)
{
	size_t i, j;

	for (i = 0; i < d->npl; i++)
		if (!strcmp(d->pl[i].fn, fn))
			for (j = 0; j < d->pl[i].n; j++)
				if (!strcmp(d->pl[i].nodes[j], node))
					return true;
	return false;
}

static bool standby_here(const struct kfaas_cluster_desired *d, const char *fn,
			 const char *node)
{
	size_t i;

	for (i = 0; i < d->npl; i++)
		if (!strcmp(d->pl[i].fn, fn))
			return !strcmp(d->pl[i].standby, node);
	return false;
}

static bool runs_here(const struct kfaas_cluster_desired *d,
		      const struct kfaas_conf_fn *f,
		      const struct kfaas_cluster_node *self)
{
	if (f->tier == KFAAS_TIER_VM)
		return placed_here(d, f->name, self->name) ||
		       standby_here(d, f->name, self->name);
	return kfaas_labels_match(f->sel, &self->labels);
}

/* A function of the share that serves here (not a standby). */
static bool serves(const struct kfaas_conf *share, const char *fn)
{
	const struct kfaas_conf_fn *f = kfaas_conf_fn_find(share, fn);

	return f && !(f->tier == KFAAS_TIER_VM && (f->vm.flags & KFAAS_VM_F_STANDBY));
}

/*
 * Every link of r's chain serves here (no chain: true).  A chain is served
 * whole or not at all: without its VM-tier end (placed on another node, or
 * only a standby here) its XDP links would pass their work up to no one.
 */
static bool chain_here(const struct kfaas_conf *share,
		       const struct kfaas_conf_route *r)
{
	size_t i;

	for (i = 0; i < r->nchain; i++)
		if (!serves(share, r->chain[i]))
			return false;
	return true;
}

int kfaas_cluster_share(const struct kfaas_cluster_desired *d,
			const struct kfaas_cluster_node *self, struct kfaas_conf *out)
{
	const struct kfaas_conf *c = &d->conf;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < c->nfns; i++) {
		struct kfaas_conf_fn *f;

		if (!runs_here(d, &c->fns[i], self))
			continue;
		f = kfaas_conf_fn_new(out);
		if (!f)
			goto nomem;
		*f = c->fns[i];
		f->sel = NULL;
		f->source[0] = '\0';	/* the caller's copy of the artifact */
		/* its template kept ready here, no VM, no route */
		if (f->tier == KFAAS_TIER_VM && !placed_here(d, f->name, self->name))
			f->vm.flags |= KFAAS_VM_F_STANDBY;
	}
	for (i = 0; i < c->nroutes; i++) {
		const struct kfaas_conf_route *r = &c->routes[i];
		struct kfaas_conf_route *nr;

		if (!kfaas_labels_match(r->sel, &self->labels) || !serves(out, r->fn) ||
		    !chain_here(out, r))
			continue;
		nr = kfaas_conf_route_new(out);
		if (!nr)
			goto nomem;
		*nr = *r;
		nr->sel = NULL;
		/* a fallback that runs elsewhere is no fallback here */
		if (r->fallback[0] && !serves(out, r->fallback))
			nr->fallback[0] = '\0';
	}
	return 0;
nomem:
	kfaas_conf_free(out);
	return kfaas_err(-ENOMEM, "out of memory");
}
