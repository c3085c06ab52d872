// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster's configuration document: a kfaas.conf(5) configuration as
 * canonical JSON (functions by name, routes in route-table order, keys in
 * one order), so that the same configuration is the same artifact.  It is
 * read back with the checks of a file (names, triggers, ranges, labels,
 * cross-references): a node never trusts what it reads from etcd.
 *
 *   {"functions": {"echo": {"tier": "ebpf", "source": "/srv/echo.bpf.o",
 *                           "artifact": "sha256:...", "budget": {...},
 *                           "selector": {...}},
 *                  "thumb": {"tier": "vm", ..., "vm": {"mem": 128, ...},
 *                            "replicas": 2}},
 *    "routes": [{"trigger": "udp 7", "fn": "echo", "fallback": "thumb",
 *                "policy": "pass", "selector": {...}}]}
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "internal.h"
#include "conf_keys.h"
#include "cluster_int.h"

const char *kfaas__json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int kfaas__json_u64(json_object *o, const char *key, __u64 max, __u64 *out)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < 0 || (__u64)x > max)
		return -1;
	*out = (__u64)x;
	return 0;
}

json_object *kfaas__labels_json(const struct kfaas_labels *l)
{
	json_object *o = json_object_new_object();
	unsigned int i;

	for (i = 0; o && l && i < l->n; i++)
		json_object_object_add(o, l->l[i].key,
				       json_object_new_string(l->l[i].value));
	return o;
}

int kfaas__labels_parse(json_object *o, struct kfaas_labels *l)
{
	memset(l, 0, sizeof(*l));
	if (!json_object_is_type(o, json_type_object))
		return kfaas_err(-EINVAL, "labels must be an object");
	json_object_object_foreach(o, k, v) {
		if (!json_object_is_type(v, json_type_string))
			return kfaas_err(-EINVAL, "label '%s' must be a string", k);
		if (kfaas_labels_set(l, k, json_object_get_string(v)))
			return -EINVAL;
	}
	return 0;
}

/* ---- encoding ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kfaas_conf_fn *)a)->name,
		      ((const struct kfaas_conf_fn *)b)->name);
}

/* The route table's order: udp first, then port, family, address. */
static int by_trigger(const void *a, const void *b)
{
	const struct kfaas_route_key *x = &((const struct kfaas_conf_route *)a)->key;
	const struct kfaas_route_key *y = &((const struct kfaas_conf_route *)b)->key;

	if (x->proto != y->proto)
		return x->proto < y->proto ? 1 : -1;
	if (x->port != y->port)
		return ntohs(x->port) < ntohs(y->port) ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static json_object *fn_encode(const struct kfaas_conf_fn *f)
{
	json_object *o = json_object_new_object(), *b, *vm;
	size_t k;

	json_object_object_add(o, "tier", json_object_new_string(
		f->tier == KFAAS_TIER_VM ? "vm" : "ebpf"));
	json_object_object_add(o, "source", json_object_new_string(f->source));
	json_object_object_add(o, "artifact", json_object_new_string(f->artifact));
	if (f->budget.set) {
		b = json_object_new_object();
		for (k = 0; k < kfaas__n_budget_keys; k++) {
			__u64 v = *(const __u64 *)((const char *)&f->budget.l +
						   kfaas__budget_keys[k].off);

			if (v)
				json_object_object_add(b, kfaas__budget_keys[k].key,
						       json_object_new_int64((int64_t)v));
		}
		json_object_object_add(o, "budget", b);
	}
	if (f->tier == KFAAS_TIER_VM) {
		vm = json_object_new_object();
		for (k = 0; k < kfaas__n_vm_keys; k++)
			json_object_object_add(vm, kfaas__vm_keys[k].key,
				json_object_new_int64(*(const __u32 *)((const char *)&f->vm +
							kfaas__vm_keys[k].off)));
		json_object_object_add(vm, "fresh", json_object_new_boolean(
			!!(f->vm.flags & KFAAS_VM_F_FRESH)));
		json_object_object_add(vm, "resident", json_object_new_boolean(
			!!(f->vm.flags & KFAAS_VM_F_RESIDENT)));
		json_object_object_add(o, "vm", vm);
		json_object_object_add(o, "replicas",
				       json_object_new_int64(f->replicas ? f->replicas : 1));
	}
	if (f->sel && f->sel->n)
		json_object_object_add(o, "selector", kfaas__labels_json(f->sel));
	return o;
}

static json_object *route_encode(const struct kfaas_conf_route *r)
{
	json_object *o = json_object_new_object();
	char k[96];

	kfaas_route_key_str(&r->key, k, sizeof(k));
	json_object_object_add(o, "trigger", json_object_new_string(k));
	json_object_object_add(o, "fn", json_object_new_string(r->fn));
	if (r->nver) {	/* a split: its versions in order, {fn, weight} */
		json_object *vs = json_object_new_array();
		size_t i;

		for (i = 0; i < r->nver; i++) {
			json_object *v = json_object_new_object();

			json_object_object_add(v, "fn", json_object_new_string(
				r->ver[i].fn));
			json_object_object_add(v, "weight", json_object_new_int64(
				r->ver[i].weight));
			json_object_array_add(vs, v);
		}
		json_object_object_add(o, "versions", vs);
	}
	if (r->nchain) {	/* a chain's links, in order */
		json_object *cs = json_object_new_array();
		size_t i;

		for (i = 0; i < r->nchain; i++)
			json_object_array_add(cs, json_object_new_string(r->chain[i]));
		json_object_object_add(o, "chain", cs);
	}
	if (r->fallback[0])
		json_object_object_add(o, "fallback", json_object_new_string(r->fallback));
	if (r->policy >= 0)
		json_object_object_add(o, "policy", json_object_new_string(
			r->policy == KFAAS_POLICY_PASS ? "pass" : "drop"));
	if (r->opts.guard >= 0)
		json_object_object_add(o, "guard", json_object_new_int(r->opts.guard));
	if (r->opts.ratio >= 0)
		json_object_object_add(o, "ratio", json_object_new_int(r->opts.ratio));
	if (r->opts.loops)
		json_object_object_add(o, "loops", json_object_new_int(1));
	if (r->sel && r->sel->n)
		json_object_object_add(o, "selector", kfaas__labels_json(r->sel));
	return o;
}

json_object *kfaas_cluster_doc_encode(const struct kfaas_conf *conf)
{
	struct kfaas_conf_fn *fns = malloc((conf->nfns + 1) * sizeof(*fns));
	struct kfaas_conf_route *rs = malloc((conf->nroutes + 1) * sizeof(*rs));
	json_object *o = json_object_new_object(), *f, *r;
	size_t i;

	if (!fns || !rs || !o) {
		free(fns);
		free(rs);
		json_object_put(o);
		return NULL;
	}
	memcpy(fns, conf->fns, conf->nfns * sizeof(*fns));
	memcpy(rs, conf->routes, conf->nroutes * sizeof(*rs));
	qsort(fns, conf->nfns, sizeof(*fns), by_name);
	qsort(rs, conf->nroutes, sizeof(*rs), by_trigger);
	f = json_object_new_object();
	for (i = 0; i < conf->nfns; i++)
		json_object_object_add(f, fns[i].name, fn_encode(&fns[i]));
	r = json_object_new_array();
	for (i = 0; i < conf->nroutes; i++)
		json_object_array_add(r, route_encode(&rs[i]));
	json_object_object_add(o, "functions", f);
	json_object_object_add(o, "routes", r);
	free(fns);
	free(rs);
	return o;
}

/* ---- decoding, with the checks of kfaas.conf ---- */

#define DERR(...)	kfaas_err(-EINVAL, "the cluster's configuration: " __VA_ARGS__)

static int copy_str(const char *s, char *out, size_t len)
{
	if (!s || strlen(s) >= len)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int decode_selector(json_object *o, const char *what, struct kfaas_labels **sel)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "selector", &v))
		return 0;
	*sel = calloc(1, sizeof(**sel));
	if (!*sel)
		return kfaas_err(-ENOMEM, "out of memory");
	if (kfaas__labels_parse(v, *sel))
		return DERR("%s: %s", what, kfaas_errmsg());
	return 0;
}

static int decode_budget(json_object *o, struct kfaas_conf_fn *f)
{
	json_object *b;
	size_t k;

	if (!json_object_object_get_ex(o, "budget", &b))
		return 0;
	if (!json_object_is_type(b, json_type_object))
		return DERR("function '%s': budget must be an object", f->name);
	for (k = 0; k < kfaas__n_budget_keys; k++) {
		__u64 *v = (__u64 *)((char *)&f->budget.l + kfaas__budget_keys[k].off);

		if (json_object_object_get_ex(b, kfaas__budget_keys[k].key, NULL) &&
		    kfaas__json_u64(b, kfaas__budget_keys[k].key, INT64_MAX, v))
			return DERR("function '%s': bad budget %s", f->name,
				    kfaas__budget_keys[k].key);
	}
	f->budget.set = memcmp(&f->budget.l, &(struct kfaas_limits){ 0 },
			       sizeof(f->budget.l)) != 0;
	return 0;
}

static int decode_vm(json_object *o, struct kfaas_conf_fn *f)
{
	json_object *vm, *fresh;
	__u64 x;
	size_t k;

	if (!json_object_object_get_ex(o, "vm", &vm) ||
	    !json_object_is_type(vm, json_type_object))
		return DERR("VM function '%s' has no vm object", f->name);
	for (k = 0; k < kfaas__n_vm_keys; k++) {
		const struct kfaas__conf_key *key = &kfaas__vm_keys[k];

		if (kfaas__json_u64(vm, key->key, key->max, &x) || x < key->min)
			return DERR("function '%s': vm %s must be from %u to %u",
				    f->name, key->key, key->min, key->max);
		*(__u32 *)((char *)&f->vm + key->off) = (__u32)x;
	}
	if (json_object_object_get_ex(vm, "fresh", &fresh) &&
	    json_object_get_boolean(fresh))
		f->vm.flags |= KFAAS_VM_F_FRESH;
	if (json_object_object_get_ex(vm, "resident", &fresh) &&
	    json_object_get_boolean(fresh))
		f->vm.flags |= KFAAS_VM_F_RESIDENT;
	if (f->vm.min_warm > f->vm.max_instances)
		return DERR("function '%s': min-warm above max", f->name);
	if (kfaas__json_u64(o, "replicas", 64, &x) || !x)
		return DERR("function '%s': replicas must be from 1 to 64", f->name);
	f->replicas = (__u32)x;
	return 0;
}

static int decode_fn(const char *name, json_object *o, struct kfaas_conf_fn *f)
{
	const char *tier = kfaas__json_str(o, "tier");
	const char *art = kfaas__json_str(o, "artifact");

	if (strlen(name) >= sizeof(f->name) || kfaas_name_valid(name))
		return DERR("bad function name '%s'", name);
	strcpy(f->name, name);
	if (!tier || (strcmp(tier, "vm") && strcmp(tier, "ebpf")))
		return DERR("function '%s': tier must be ebpf or vm", name);
	f->tier = tier[0] == 'v' ? KFAAS_TIER_VM : KFAAS_TIER_XDP;
	if (copy_str(kfaas__json_str(o, "source"), f->source, sizeof(f->source)))
		return DERR("function '%s': bad source", name);
	if (!art || strncmp(art, "sha256:", 7) || strlen(art) != 7 + ARTIFACT_HEX_LEN ||
	    strspn(art + 7, "0123456789abcdef") != ARTIFACT_HEX_LEN)
		return DERR("function '%s': artifact must be sha256:HEX", name);
	strcpy(f->artifact, art);
	if (decode_budget(o, f) || decode_selector(o, name, &f->sel))
		return -EINVAL;
	return f->tier == KFAAS_TIER_VM ? decode_vm(o, f) : 0;
}

/* versions: [{fn, weight}, ...], 2 to KFAAS_ROUTE_VERSIONS, the first fn */
static int decode_versions(json_object *o, const char *trig,
			   struct kfaas_conf_route *r)
{
	json_object *vs, *w;
	size_t i, n;

	if (!json_object_object_get_ex(o, "versions", &vs))
		return 0;
	n = json_object_is_type(vs, json_type_array) ?
	    json_object_array_length(vs) : 0;
	if (n < 2 || n > KFAAS_ROUTE_VERSIONS)
		return DERR("route %s: versions must list 2 to %d functions",
			    trig, KFAAS_ROUTE_VERSIONS);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(vs, i);
		int64_t wt;

		if (!json_object_is_type(v, json_type_object) ||
		    copy_str(kfaas__json_str(v, "fn"), r->ver[i].fn,
			     sizeof(r->ver[i].fn)) ||
		    !json_object_object_get_ex(v, "weight", &w))
			return DERR("route %s: bad version %zu", trig, i + 1);
		wt = json_object_get_int64(w);
		if (wt < 1 || wt > KFAAS_WEIGHT_MAX)
			return DERR("route %s: bad weight of version %zu", trig,
				    i + 1);
		r->ver[i].weight = (__u32)wt;
	}
	r->nver = n;
	if (strcmp(r->fn, r->ver[0].fn))
		return DERR("route %s: fn must be its first version", trig);
	return 0;
}

/* "chain": ["f1", "f2", ...], fn its first link */
static int decode_chain(json_object *o, const char *trig,
			struct kfaas_conf_route *r)
{
	json_object *cs;
	size_t i, n;

	if (!json_object_object_get_ex(o, "chain", &cs))
		return 0;
	n = json_object_is_type(cs, json_type_array) ?
	    json_object_array_length(cs) : 0;
	if (n < 2 || n > KFAAS_CHAIN_MAX)
		return DERR("route %s: a chain has 2 to %d links", trig,
			    KFAAS_CHAIN_MAX);
	for (i = 0; i < n; i++)
		if (copy_str(json_object_get_string(json_object_array_get_idx(cs, i)),
			     r->chain[i], sizeof(r->chain[i])))
			return DERR("route %s: bad chain link %zu", trig, i + 1);
	r->nchain = n;
	if (strcmp(r->fn, r->chain[0]))
		return DERR("route %s: fn must be its chain's first link", trig);
	return 0;
}

static int decode_route(json_object *o, struct kfaas_conf_route *r)
{
	const char *trig = kfaas__json_str(o, "trigger");
	const char *pol = kfaas__json_str(o, "policy");
	json_object *fb;

	if (!trig || kfaas_conf_trigger_parse(trig, &r->key))
		return DERR("a route has a bad trigger");
	if (copy_str(kfaas__json_str(o, "fn"), r->fn, sizeof(r->fn)))
		return DERR("route %s: bad fn", trig);
	if (decode_versions(o, trig, r) || decode_chain(o, trig, r))
		return -EINVAL;
	if (json_object_object_get_ex(o, "fallback", &fb) &&
	    copy_str(json_object_get_string(fb), r->fallback, sizeof(r->fallback)))
		return DERR("route %s: bad fallback", trig);
	if (pol && strcmp(pol, "pass") && strcmp(pol, "drop"))
		return DERR("route %s: policy must be pass or drop", trig);
	r->policy = !pol ? -1 : pol[0] == 'p' ? KFAAS_POLICY_PASS : KFAAS_POLICY_DROP;
	r->opts = KFAAS_ROUTE_OPTS_AUTO;
	if (json_object_object_get_ex(o, "guard", &fb))
		r->opts.guard = json_object_get_int(fb) ? 1 : 0;
	if (json_object_object_get_ex(o, "ratio", &fb)) {
		r->opts.ratio = json_object_get_int(fb);
		if (r->opts.ratio < 0 || r->opts.ratio > 1000000)
			return DERR("route %s: bad ratio", trig);
	}
	if (json_object_object_get_ex(o, "loops", &fb))
		r->opts.loops = json_object_get_int(fb) ? 1 : 0;
	return decode_selector(o, trig, &r->sel);
}

static int decode(json_object *doc, struct kfaas_conf *c)
{
	json_object *fns, *routes;
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(doc, "functions", &fns) ||
	    !json_object_is_type(fns, json_type_object) ||
	    !json_object_object_get_ex(doc, "routes", &routes) ||
	    !json_object_is_type(routes, json_type_array))
		return DERR("not a configuration document");
	json_object_object_foreach(fns, name, fo) {
		struct kfaas_conf_fn *f = kfaas_conf_fn_new(c);

		if (!f)
			return kfaas_err(-ENOMEM, "out of memory");
		rc = json_object_is_type(fo, json_type_object) ?
		     decode_fn(name, fo, f) : DERR("function '%s' is not an object", name);
		if (rc)
			return rc;
	}
	n = json_object_array_length(routes);
	for (i = 0; i < n; i++) {
		struct kfaas_conf_route *r = kfaas_conf_route_new(c);
		size_t j;

		if (!r)
			return kfaas_err(-ENOMEM, "out of memory");
		rc = decode_route(json_object_array_get_idx(routes, i), r);
		if (rc)
			return rc;
		for (j = 0; j + 1 < c->nroutes; j++)
			if (!memcmp(&c->routes[j].key, &r->key, sizeof(r->key)))
				return DERR("a trigger is routed twice");
	}
	return kfaas_conf_check_refs("the cluster's configuration", c);
}

int kfaas_cluster_doc_decode(const char *json, size_t len, struct kfaas_conf *out)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return kfaas_err(-ENOMEM, "out of memory");
	doc = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return DERR("not JSON");
	}
	rc = decode(doc, out);
	json_object_put(doc);
	if (rc)
		kfaas_conf_free(out);
	return rc;
}

/* ---- differences ---- */

/* What differs between two functions of the same name ("" if nothing). */
static void fn_what(const struct kfaas_conf_fn *a, const struct kfaas_conf_fn *b,
		    char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
#define D(cond, word) if (cond) n += (size_t)snprintf(buf + n, n < len ? len - n : 0, \
						       "%s%s", n ? ", " : "", word)
	D(a->tier != b->tier, "tier");
	D(strcmp(a->artifact, b->artifact), "code");
	D(strcmp(a->source, b->source), "source");
	D(memcmp(&a->budget.l, &b->budget.l, sizeof(a->budget.l)), "budget");
	D(memcmp(&a->vm, &b->vm, sizeof(a->vm)), "vm");
	D(a->replicas != b->replicas, "replicas");
	D(!kfaas_labels_equal(a->sel, b->sel), "selector");
#undef D
}

static bool route_same(const struct kfaas_conf_route *a, const struct kfaas_conf_route *b)
{
	return kfaas_conf_versions_equal(a, b) &&
	       !strcmp(a->fallback, b->fallback) &&
	       a->policy == b->policy && kfaas_labels_equal(a->sel, b->sel) &&
	       !memcmp(&a->opts, &b->opts, sizeof(a->opts));
}

struct lines {
	char	*buf;
	size_t	len, n;
	FILE	*f;
};

static void line(struct lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void line(struct lines *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(l->f, fmt, ap);
	va_end(ap);
	fputc('\n', l->f);
	l->n++;
}

static void diff_fns(struct lines *l, const struct kfaas_conf *from,
		     const struct kfaas_conf *to)
{
	char what[128];
	size_t i;

	for (i = 0; i < to->nfns; i++) {
		const struct kfaas_conf_fn *f = &to->fns[i];
		const struct kfaas_conf_fn *had = kfaas_conf_fn_find(from, f->name);

		if (!had)
			line(l, "+ fn %s %s%s (%.19s)", f->name, f->tier == KFAAS_TIER_VM ?
			     "vm " : "", f->source, f->artifact);
		else if (fn_what(had, f, what, sizeof(what)), what[0])
			line(l, "~ fn %s: %s", f->name, what);
	}
	for (i = 0; i < from->nfns; i++)
		if (!kfaas_conf_fn_find(to, from->fns[i].name))
			line(l, "- fn %s", from->fns[i].name);
}

static void diff_routes(struct lines *l, const struct kfaas_conf *from,
			const struct kfaas_conf *to)
{
	char k[96];
	size_t i;

	for (i = 0; i < to->nroutes; i++) {
		const struct kfaas_conf_route *r = &to->routes[i];
		const struct kfaas_conf_route *had = kfaas_conf_route_find(from, &r->key);

		if (had && route_same(had, r))
			continue;
		kfaas_route_key_str(&r->key, k, sizeof(k));
		line(l, "%c route %s -> %s%s%s", had ? '~' : '+', k, r->fn,
		     r->fallback[0] ? " fallback " : "", r->fallback);
	}
	for (i = 0; i < from->nroutes; i++) {
		if (kfaas_conf_route_find(to, &from->routes[i].key))
			continue;
		kfaas_route_key_str(&from->routes[i].key, k, sizeof(k));
		line(l, "- route %s", k);
	}
}

size_t kfaas_cluster_diff(const struct kfaas_conf *from, const struct kfaas_conf *to,
			  char **text)
{
	struct lines l = { 0 };

	*text = NULL;
	l.f = open_memstream(&l.buf, &l.len);
	if (!l.f)
		return 0;
	diff_fns(&l, from, to);
	diff_routes(&l, from, to);
	fclose(l.f);
	*text = l.buf;
	return l.n;
}
