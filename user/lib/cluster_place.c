// SPDX-License-Identifier: GPL-2.0
/*
 * Placement of VM-tier functions on nodes (kfaas_cluster.h): a pure
 * function of the configuration, the live nodes and the placements
 * before, and the transaction the elected scheduler writes the result
 * with, guarded by its election key.
 *
 *   PREFIX/desired/placement/NAME  {"nodes": ["n1", "n3"], "replicas": 2,
 *                                   "unplaced": 0, "why": ""}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "cluster_int.h"

void kfaas_cluster_placements_free(struct kfaas_cluster_placement *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		free(p[i].nodes);
	free(p);
}

json_object *kfaas__placement_json(const struct kfaas_cluster_placement *p)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	for (i = 0; i < p->n; i++)
		json_object_array_add(a, json_object_new_string(p->nodes[i]));
	json_object_object_add(o, "nodes", a);
	json_object_object_add(o, "replicas", json_object_new_int64(p->replicas));
	json_object_object_add(o, "unplaced", json_object_new_int64(p->unplaced));
	json_object_object_add(o, "why", json_object_new_string(p->why));
	if (p->standby[0])
		json_object_object_add(o, "standby", json_object_new_string(p->standby));
	return o;
}

static int add_node(struct kfaas_cluster_placement *p, const char *node)
{
	char (*n)[KFAAS_NODE_LEN] = realloc(p->nodes, (p->n + 1) * sizeof(*n));

	if (!n)
		return kfaas_err(-ENOMEM, "out of memory");
	p->nodes = n;
	snprintf(n[p->n++], KFAAS_NODE_LEN, "%s", node);
	return 0;
}

int kfaas__placement_parse(const char *fn, const char *json, size_t len,
			   int64_t mod_rev, struct kfaas_cluster_placement *p)
{
	json_object *o = json_tokener_parse(json), *a;
	const char *why;
	__u64 x;
	size_t i;
	int rc = 0;

	(void)len;
	memset(p, 0, sizeof(*p));
	p->mod_rev = mod_rev;
	if (strlen(fn) >= sizeof(p->fn) || kfaas_name_valid(fn) || !o ||
	    !json_object_object_get_ex(o, "nodes", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(o);
		return kfaas_err(-EPROTO, "placement of '%s' is not one", fn);
	}
	strcpy(p->fn, fn);
	for (i = 0; i < json_object_array_length(a) && !rc; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));

		rc = s && strlen(s) < KFAAS_NODE_LEN ? add_node(p, s) :
		     kfaas_err(-EPROTO, "placement of '%s': bad node", fn);
	}
	if (!kfaas__json_u64(o, "replicas", 64, &x))
		p->replicas = (__u32)x;
	if (!kfaas__json_u64(o, "unplaced", 64, &x))
		p->unplaced = (__u32)x;
	why = kfaas__json_str(o, "why");
	snprintf(p->why, sizeof(p->why), "%s", why ? why : "");
	why = kfaas__json_str(o, "standby");
	if (why && strlen(why) < sizeof(p->standby))
		strcpy(p->standby, why);
	json_object_put(o);
	if (rc)
		free(p->nodes);
	return rc;
}

/* ---- the placement itself ---- */

struct room {
	const struct kfaas_cluster_node *node;
	__s64	mem;		/* MiB left */
	__s64	cpus;
	unsigned int placed;	/* functions placed on it */
	unsigned int standbys;	/* functions it is the standby of */
};

/* Its VMs (min-warm, at least one); a standby only its template, whose
 * RAM file is the guest's RAM at most. */
__u64 kfaas_cluster_demand_mib(const struct kfaas_conf_fn *f, bool standby)
{
	return (__u64)f->vm.mem_mib * (standby || !f->vm.min_warm ? 1 : f->vm.min_warm);
}

static __s64 demand_mem(const struct kfaas_conf_fn *f)
{
	return (__s64)kfaas_cluster_demand_mib(f, false);
}

static bool fits(const struct room *r, const struct kfaas_conf_fn *f)
{
	return r->node->vm[0] && r->mem >= demand_mem(f) && r->cpus >= f->vm.vcpus;
}

static void take(struct room *r, const struct kfaas_conf_fn *f)
{
	r->mem -= demand_mem(f);
	r->cpus -= f->vm.vcpus;
	r->placed++;
}

static bool has(const struct kfaas_cluster_placement *p, const char *node)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->nodes[i], node))
			return true;
	return false;
}

static const struct kfaas_cluster_placement *prev_of(
	const struct kfaas_cluster_placement *prev, size_t n, const char *fn)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(prev[i].fn, fn))
			return &prev[i];
	return NULL;
}

/* fn's standby node before this placement, or NULL */
static const char *prev_standby(const struct kfaas_cluster_placement *prev,
				size_t n, const char *fn)
{
	const struct kfaas_cluster_placement *was = prev_of(prev, n, fn);

	return was && was->standby[0] ? was->standby : NULL;
}

/* Where it was and may stay: the node lives, matches and has room. */
static int keep(const struct kfaas_conf_fn *f, const struct kfaas_cluster_placement *was,
		struct room *rooms, size_t nn, struct kfaas_cluster_placement *p)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; was && i < was->n && p->n < f->replicas && !rc; i++)
		for (j = 0; j < nn && !rc; j++)
			if (!strcmp(rooms[j].node->name, was->nodes[i]) &&
			    kfaas_labels_match(f->sel, &rooms[j].node->labels) &&
			    fits(&rooms[j], f)) {
				take(&rooms[j], f);
				rc = add_node(p, rooms[j].node->name);
			}
	return rc;
}

/* r over b: the node named pref, else the lower count, then more memory. */
static bool better(const struct room *r, const struct room *b, const char *pref,
		   unsigned int rn, unsigned int bn)
{
	if (!b)
		return true;
	if (pref && !strcmp(b->node->name, pref))
		return false;
	if (pref && !strcmp(r->node->name, pref))
		return true;
	return rn < bn || (rn == bn && r->mem > b->mem);
}

/*
 * The best node for one more replica: its standby (a ready template
 * there: it starts by a clone), else fewest functions, most memory.
 */
static struct room *best(const struct kfaas_conf_fn *f, struct room *rooms,
			 size_t nn, const struct kfaas_cluster_placement *p,
			 const char *standby, unsigned int *matching)
{
	struct room *b = NULL;
	size_t j;

	*matching = 0;
	for (j = 0; j < nn; j++) {
		struct room *r = &rooms[j];

		if (!kfaas_labels_match(f->sel, &r->node->labels) || !r->node->vm[0])
			continue;
		(*matching)++;
		if (has(p, r->node->name) || !fits(r, f))
			continue;
		if (better(r, b, standby, r->placed, b ? b->placed : 0))
			b = r;
	}
	return b;
}

/*
 * Its standby: a matching node with a VM tier, not among its nodes, with
 * room for its template; the one before while it qualifies, else the
 * fewest standbys, then the most memory.  From the room the placements
 * left: a standby never displaces a placement.
 */
static void standby(const struct kfaas_conf_fn *f, const char *was,
		    struct room *rooms, size_t nn, struct kfaas_cluster_placement *p)
{
	__s64 need = (__s64)kfaas_cluster_demand_mib(f, true);
	struct room *b = NULL;
	size_t j;

	for (j = 0; j < nn; j++) {
		struct room *r = &rooms[j];

		if (!kfaas_labels_match(f->sel, &r->node->labels) || !r->node->vm[0] ||
		    has(p, r->node->name) || r->mem < need)
			continue;
		if (better(r, b, was, r->standbys, b ? b->standbys : 0))
			b = r;
	}
	if (!b)
		return;
	b->mem -= need;
	b->standbys++;
	snprintf(p->standby, sizeof(p->standby), "%s", b->node->name);
}

static void unplaced(const struct kfaas_conf_fn *f, unsigned int matching,
		     const struct room *rooms, size_t nn,
		     struct kfaas_cluster_placement *p)
{
	__s64 most = -1;
	size_t j;

	p->unplaced = f->replicas - (__u32)p->n;
	for (j = 0; j < nn; j++)
		if (rooms[j].node->vm[0] && rooms[j].mem > most &&
		    kfaas_labels_match(f->sel, &rooms[j].node->labels))
			most = rooms[j].mem;
	if (!matching)
		snprintf(p->why, sizeof(p->why), "no live node with a VM tier "
			 "matches its selector");
	else if (matching <= p->n)
		snprintf(p->why, sizeof(p->why), "%u replicas asked, %u live "
			 "node(s) match", f->replicas, matching);
	else
		snprintf(p->why, sizeof(p->why), "no room: it needs %lld MiB and "
			 "%u CPU(s) on a node; the most free memory on a matching "
			 "node is %lld MiB", (long long)demand_mem(f), f->vm.vcpus,
			 (long long)most);
}

static int by_fn(const void *a, const void *b)
{
	return strcmp(((const struct kfaas_cluster_placement *)a)->fn,
		      ((const struct kfaas_cluster_placement *)b)->fn);
}

int kfaas_cluster_place(const struct kfaas_conf *conf,
			const struct kfaas_cluster_node *nodes, size_t nn,
			const struct kfaas_cluster_placement *prev, size_t nprev,
			struct kfaas_cluster_placement **out, size_t *nout)
{
	struct kfaas_cluster_placement *pl = calloc(conf->nfns + 1, sizeof(*pl));
	struct room *rooms = calloc(nn + 1, sizeof(*rooms));
	unsigned int matching;
	size_t i, n = 0, j;
	int rc = 0;

	if (!pl || !rooms) {
		free(pl);
		free(rooms);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	for (j = 0; j < nn; j++)
		rooms[j] = (struct room){ .node = &nodes[j], .mem = (__s64)nodes[j].mem_mib,
					  .cpus = nodes[j].cpus };
	for (i = 0; i < conf->nfns; i++)
		if (conf->fns[i].tier == KFAAS_TIER_VM)
			snprintf(pl[n++].fn, KFAAS_NAME_LEN, "%s", conf->fns[i].name);
	qsort(pl, n, sizeof(*pl), by_fn);
	/* first what stays, for every function, then what moves or is new */
	for (i = 0; i < n && !rc; i++)
		rc = keep(kfaas_conf_fn_find(conf, pl[i].fn),
			  prev_of(prev, nprev, pl[i].fn), rooms, nn, &pl[i]);
	for (i = 0; i < n && !rc; i++) {
		const struct kfaas_conf_fn *f = kfaas_conf_fn_find(conf, pl[i].fn);
		const char *sb = prev_standby(prev, nprev, pl[i].fn);
		struct room *r;

		pl[i].replicas = f->replicas;
		while (!rc && pl[i].n < f->replicas &&
		       (r = best(f, rooms, nn, &pl[i], sb, &matching))) {
			take(r, f);
			rc = add_node(&pl[i], r->node->name);
		}
		if (!rc && pl[i].n < f->replicas) {
			best(f, rooms, nn, &pl[i], NULL, &matching);
			unplaced(f, matching, rooms, nn, &pl[i]);
		}
	}
	/* then the standbys, in what the placements left */
	for (i = 0; i < n && !rc; i++)
		standby(kfaas_conf_fn_find(conf, pl[i].fn),
			prev_standby(prev, nprev, pl[i].fn), rooms, nn, &pl[i]);
	free(rooms);
	if (rc) {
		kfaas_cluster_placements_free(pl, n);
		return rc;
	}
	*out = pl;
	*nout = n;
	return 0;
}

/* ---- writing it ---- */

static bool same(const struct kfaas_cluster_placement *a,
		 const struct kfaas_cluster_placement *b)
{
	size_t i;

	if (a->n != b->n || a->replicas != b->replicas || a->unplaced != b->unplaced ||
	    strcmp(a->why, b->why) || strcmp(a->standby, b->standby))
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->nodes[i], b->nodes[i]))
			return false;
	return true;
}

/* etcd takes 128 operations per transaction; one is the compare. */
#define PLACE_OPS_MAX	120

struct batch {
	struct etcd_op	ops[PLACE_OPS_MAX];
	char		keys[PLACE_OPS_MAX][CLUSTER_KEY_MAX];
	char		*vals[PLACE_OPS_MAX];
	size_t		n;
};

static int flush(struct kfaas_cluster *c, const char *leader_key, struct batch *b)
{
	struct etcd_cmp cmp = { .key = leader_key, .target = ETCD_CMP_CREATE,
				.result = ETCD_GREATER, .rev = 0 };
	struct etcd_txn t = { .cmp = &cmp, .ncmp = 1, .success = b->ops,
			      .nsuccess = b->n };
	struct etcd_txn_result r;
	size_t i;
	int rc = 0;

	if (b->n) {
		rc = etcd_txn(c->etcd, &t, &r);
		if (!rc && !r.succeeded)
			rc = kfaas_err(-EPERM, "this scheduler lost its election "
				       "(%s is gone): placements not written",
				       leader_key);
		if (!rc || rc == -EPERM)
			etcd_txn_result_free(&r);
	}
	for (i = 0; i < b->n; i++)
		free(b->vals[i]);
	b->n = 0;
	return rc;
}

static int queue(struct kfaas_cluster *c, const char *leader_key, struct batch *b,
		 const char *fn, const struct kfaas_cluster_placement *p)
{
	struct etcd_op *op = &b->ops[b->n];
	int rc = kfaas__cluster_key(c, b->keys[b->n], "desired/placement/%s", fn);

	if (rc)
		return rc;
	*op = (struct etcd_op){ .type = p ? ETCD_OP_PUT : ETCD_OP_DELETE,
				.key = b->keys[b->n] };
	b->vals[b->n] = NULL;
	if (p) {
		json_object *o = kfaas__placement_json(p);

		b->vals[b->n] = strdup(json_object_to_json_string_ext(o,
					JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (!b->vals[b->n])
			return kfaas_err(-ENOMEM, "out of memory");
		op->value = b->vals[b->n];
		op->value_len = strlen(b->vals[b->n]);
	}
	return ++b->n == PLACE_OPS_MAX ? flush(c, leader_key, b) : 0;
}

int kfaas_cluster_placement_write(struct kfaas_cluster *c, const char *leader_key,
				  const struct kfaas_cluster_placement *old, size_t nold,
				  const struct kfaas_cluster_placement *new, size_t nnew)
{
	struct batch *b = calloc(1, sizeof(*b));
	size_t i;
	int rc = 0;

	if (!b)
		return kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; i < nnew && !rc; i++) {
		const struct kfaas_cluster_placement *was = prev_of(old, nold, new[i].fn);

		if (!was || !same(was, &new[i]))
			rc = queue(c, leader_key, b, new[i].fn, &new[i]);
	}
	for (i = 0; i < nold && !rc; i++)
		if (!prev_of(new, nnew, old[i].fn))
			rc = queue(c, leader_key, b, old[i].fn, NULL);
	rc = rc ?: flush(c, leader_key, b);
	for (i = 0; i < b->n; i++)
		free(b->vals[i]);
	free(b);
	return rc;
}
