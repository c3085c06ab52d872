// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.conf(5): YAML read with libyaml's document API (conf_emit.c writes
 * it with its emitter).
 *
 *   functions:
 *     echo:
 *       object: /usr/lib/kfaas/bpf/echo.bpf.o
 *       budget: { rps: 1000, burst: 100 }
 *     thumb:
 *       vm: /srv/fn/thumb
 *       mem: 128
 *       min-warm: 1
 *   routes:
 *     - { trigger: udp 7, fn: echo }
 *     - { trigger: "tcp [fd00::1]:80", fn: web, fallback: thumb, policy: pass }
 *     - { trigger: udp 53, fn: dns, guard: on, ratio: 4, loops: refuse }
 *     - { trigger: udp 5353, versions: { dns-v1: 90, dns-v2: 10 } }
 *
 * With a cluster (docs/cluster.md) a function or route may also have a
 * selector of node labels, a VM function replicas, and any function the
 * artifact its file must be.
 * Every error names FILE:LINE and what to write instead; unknown keys are
 * errors, not ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <kfaas_conf.h>
#include "internal.h"
#include "conf_keys.h"

struct ctx {
	yaml_document_t	*doc;
	const char	*name;
	struct kfaas_conf *c;
};

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

#define CERR(cx, node, ...)						\
	kfaas__conf_err((cx)->name, line_of(node), __VA_ARGS__)

static int kfaas__conf_err(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kfaas__conf_err(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kfaas_err(-EINVAL, "%s:%d: %s", file, line, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value :
						 NULL;
}

static int get_str(struct ctx *cx, yaml_node_t *v, const char *key, char *out,
		   size_t len)
{
	const char *s = scalar(v);

	if (!s)
		return CERR(cx, v, "'%s' must be a string", key);
	if (strlen(s) >= len)
		return CERR(cx, v, "'%s' is longer than %zu characters", key,
			    len - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_u64(struct ctx *cx, yaml_node_t *v, const char *key,
		   unsigned long long max, __u64 *out)
{
	const char *s = scalar(v);
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-')
		return CERR(cx, v, "'%s' must be a number", key);
	errno = 0;
	x = strtoull(s, &end, 0);
	if (*end || errno || x > max)
		return CERR(cx, v, "'%s' must be a number from 0 to %llu", key, max);
	*out = x;
	return 0;
}

static int get_u32(struct ctx *cx, yaml_node_t *v, const char *key, __u32 *out)
{
	__u64 x;
	int rc = get_u64(cx, v, key, UINT32_MAX, &x);

	*out = (__u32)x;
	return rc;
}

static int get_flag(struct ctx *cx, yaml_node_t *v, const char *key,
		    __u32 *flags, __u32 bit)
{
	const char *s = scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*flags |= bit;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*flags &= ~bit;
		return 0;
	}
	return CERR(cx, v, "'%s' must be true or false", key);
}

#define B(k, f) { .key = k, .off = __builtin_offsetof(struct kfaas_limits, f) }
const struct kfaas__conf_key kfaas__budget_keys[] = {
	B("rps", rps), B("burst", rps_burst), B("cpu-ns-per-sec", cpu_ns_per_sec),
	B("cpu-burst-ns", cpu_burst_ns), B("bytes-per-sec", bytes_per_sec),
	B("bytes-burst", bytes_burst),
};
#undef B
const size_t kfaas__n_budget_keys = sizeof(kfaas__budget_keys) /
				    sizeof(kfaas__budget_keys[0]);

/* The keys are the options of `kfaas budget set`. */
static int parse_budget(struct ctx *cx, yaml_node_t *m, struct kfaas_conf_budget *b)
{
	yaml_node_pair_t *p;
	size_t i;

	if (m->type != YAML_MAPPING_NODE)
		return CERR(cx, m, "'budget' must be a mapping of rps, burst, "
			    "cpu-ns-per-sec, cpu-burst-ns, bytes-per-sec, "
			    "bytes-burst");
	b->set = true;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(cx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(cx->doc, p->value);
		const char *key = scalar(k);
		int rc;

		if (!key)
			return CERR(cx, k, "budget keys must be strings");
		for (i = 0; i < kfaas__n_budget_keys; i++)
			if (!strcmp(key, kfaas__budget_keys[i].key))
				break;
		if (i == kfaas__n_budget_keys)
			return CERR(cx, k, "unknown budget key '%s': use rps, "
				    "burst, cpu-ns-per-sec, cpu-burst-ns, "
				    "bytes-per-sec or bytes-burst", key);
		rc = get_u64(cx, v, key, UINT64_MAX,
			     (__u64 *)((char *)&b->l + kfaas__budget_keys[i].off));
		if (rc)
			return rc;
	}
	/* all zero is no budget: say so the way export will */
	b->set = memcmp(&b->l, &(struct kfaas_limits){ 0 }, sizeof(b->l)) != 0;
	return 0;
}

/* The numbers of a VM function, with the range each may take. */
const struct kfaas__conf_key kfaas__vm_keys[] = {
#define V(k, f, lo, hi, u) { k, __builtin_offsetof(struct kfaas_vm_params, f), lo, hi, u }
	V("mem", mem_mib, 96, 65536, "MiB (Debian's kernel oopses below 96)"),
	V("vcpus", vcpus, 1, 64, "CPUs"),
	V("min-warm", min_warm, 0, 256, "VMs"),
	V("max", max_instances, 1, 256, "VMs"),
	V("idle-ttl", idle_ttl_s, 0, 2592000, "seconds (0: never)"),
	V("timeout", timeout_ms, 1, 3600000, "ms"),
#undef V
};
const size_t kfaas__n_vm_keys = sizeof(kfaas__vm_keys) / sizeof(kfaas__vm_keys[0]);


static int get_vm_num(struct ctx *cx, yaml_node_t *v, size_t k,
		      struct kfaas_vm_params *vm)
{
	const struct kfaas__conf_key *key = &kfaas__vm_keys[k];
	__u64 x;
	int rc = get_u64(cx, v, key->key, UINT32_MAX, &x);

	if (!rc && (x < key->min || x > key->max))
		rc = CERR(cx, v, "'%s' must be from %u to %u %s", key->key,
			  key->min, key->max, key->unit);
	if (!rc)
		*(__u32 *)((char *)vm + key->off) = (__u32)x;
	return rc;
}

/* selector: { KEY: VALUE, ... } */
static int parse_selector(struct ctx *cx, yaml_node_t *m, struct kfaas_labels **out)
{
	yaml_node_pair_t *p;

	if (m->type != YAML_MAPPING_NODE)
		return CERR(cx, m, "'selector' must map node label keys to values "
			    "({ rack: r1 })");
	if (!*out && !(*out = calloc(1, sizeof(**out))))
		return kfaas_err(-ENOMEM, "out of memory");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(cx->doc, p->key));
		const char *v = scalar(yaml_document_get_node(cx->doc, p->value));

		if (!k || !v)
			return CERR(cx, m, "selector keys and values must be "
				    "strings");
		if (kfaas_labels_set(*out, k, v))
			return CERR(cx, m, "%s", kfaas_errmsg());
	}
	return 0;
}

/* keep-alive: auto | none | fixed:S (kfaas_vm_keep_parse) */
static int get_keep(struct ctx *cx, yaml_node_t *v, struct kfaas_vm_params *p)
{
	const char *s = scalar(v);

	if (!s)
		return CERR(cx, v, "'keep-alive' must be auto, none or fixed:SECONDS");
	if (kfaas_vm_keep_parse(p, s))
		return CERR(cx, v, "%s", kfaas_errmsg());
	return 0;
}

/*
 * keep-alive and idle-ttl both say how long VMs stay: one at most.
 * idle-ttl alone keeps what it always meant, with min-warm 1 by default.
 */
static int keep_settle(struct ctx *cx, yaml_node_t *m, struct kfaas_conf_fn *f,
		       bool keep, bool ttl, bool warm)
{
	if (keep && ttl)
		return CERR(cx, m, "function '%s' has both 'keep-alive' and "
			    "'idle-ttl': give one", f->name);
	if (ttl) {
		f->vm.flags = (f->vm.flags & ~KFAAS_VM_KEEP_MASK) | KFAAS_VM_KEEP_TTL;
		if (!warm)
			f->vm.min_warm = 1;
	}
	return 0;
}

static int get_artifact(struct ctx *cx, yaml_node_t *v, char *out)
{
	const char *s = scalar(v);
	size_t i;

	if (!s || strncmp(s, "sha256:", 7) || strlen(s) != 7 + 64)
		return CERR(cx, v, "'artifact' must read sha256: and 64 hex digits");
	for (i = 7; s[i]; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return CERR(cx, v, "'artifact': lowercase hex digits only");
	strcpy(out, s);
	return 0;
}

/* One key of a function; *vm_keys_seen: a VM-only key was given. */
static int parse_fn_key(struct ctx *cx, const char *name, yaml_node_t *kk,
			yaml_node_t *v, struct kfaas_conf_fn *f, bool *vm_only)
{
	const char *key = scalar(kk);
	size_t i;

	if (!key)
		return CERR(cx, kk, "keys of '%s' must be strings", name);
	for (i = 0; i < kfaas__n_vm_keys; i++)
		if (!strcmp(key, kfaas__vm_keys[i].key)) {
			*vm_only = true;
			return get_vm_num(cx, v, i, &f->vm);
		}
	if (!strcmp(key, "object") || !strcmp(key, "vm")) {
		if (f->tier)
			return CERR(cx, kk, "function '%s' has both 'object' and "
				    "'vm': pick one", name);
		f->tier = key[0] == 'o' ? KFAAS_TIER_XDP : KFAAS_TIER_VM;
		return get_str(cx, v, key, f->source, sizeof(f->source));
	}
	if (!strcmp(key, "fresh")) {
		*vm_only = true;
		return get_flag(cx, v, key, &f->vm.flags, KFAAS_VM_F_FRESH);
	}
	if (!strcmp(key, "resident")) {
		*vm_only = true;
		return get_flag(cx, v, key, &f->vm.flags, KFAAS_VM_F_RESIDENT);
	}
	if (!strcmp(key, "keep-alive")) {
		*vm_only = true;
		return get_keep(cx, v, &f->vm);
	}
	if (!strcmp(key, "replicas")) {
		*vm_only = true;
		return get_u32(cx, v, key, &f->replicas) ?:
		       (f->replicas < 1 || f->replicas > 64 ?
			CERR(cx, v, "'replicas' must be from 1 to 64") : 0);
	}
	if (!strcmp(key, "budget"))
		return parse_budget(cx, v, &f->budget);
	if (!strcmp(key, "selector"))
		return parse_selector(cx, v, &f->sel);
	if (!strcmp(key, "artifact"))
		return get_artifact(cx, v, f->artifact);
	return CERR(cx, kk, "unknown key '%s' in function '%s': use object, vm, "
		    "mem, vcpus, keep-alive, min-warm, max, idle-ttl, timeout, "
		    "fresh, resident, replicas, budget, selector or artifact", key,
		    name);
}

static int parse_fn(struct ctx *cx, const char *name, yaml_node_t *k,
		    yaml_node_t *m, struct kfaas_conf_fn *f)
{
	yaml_node_pair_t *p;
	bool vm_only = false, keep = false, ttl = false, warm = false;
	int rc;

	f->vm = kfaas_vm_defaults;	/* what the keys do not say */
	f->line = line_of(k);
	if (strlen(name) >= sizeof(f->name) || kfaas_name_valid(name))
		return CERR(cx, k, "bad function name '%s': 1 to %d letters, "
			    "digits, '_' or '-'", name, KFAAS_NAME_LEN - 1);
	strcpy(f->name, name);
	if (m->type != YAML_MAPPING_NODE)
		return CERR(cx, m, "function '%s' must be a mapping with 'object: "
			    "FILE' or 'vm: EXECUTABLE'", name);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kk = yaml_document_get_node(cx->doc, p->key);

		rc = parse_fn_key(cx, name, kk, yaml_document_get_node(cx->doc,
				  p->value), f, &vm_only);
		if (rc)
			return rc;
		/* what keep_settle() weighs (a key is a string once parsed) */
		keep |= !strcmp(scalar(kk), "keep-alive");
		ttl |= !strcmp(scalar(kk), "idle-ttl");
		warm |= !strcmp(scalar(kk), "min-warm");
	}
	if (!f->tier)
		return CERR(cx, m, "function '%s' needs 'object: FILE' (eBPF) or "
			    "'vm: EXECUTABLE'", name);
	rc = keep_settle(cx, m, f, keep, ttl, warm);
	if (rc)
		return rc;
	if (f->tier != KFAAS_TIER_VM && vm_only)
		return CERR(cx, m, "function '%s': mem, vcpus, keep-alive, min-warm, "
			    "max, idle-ttl, timeout, fresh, resident and replicas "
			    "are for 'vm' functions", name);
	if (f->vm.min_warm > f->vm.max_instances)
		return CERR(cx, m, "function '%s': min-warm %u is above max %u",
			    name, f->vm.min_warm, f->vm.max_instances);
	if (f->tier != KFAAS_TIER_VM)
		memset(&f->vm, 0, sizeof(f->vm));
	else if (!f->replicas)
		f->replicas = 1;
	return 0;
}

/* "udp 53", "udp 10.0.0.1:53", "tcp [fd00::1]:80" */
int kfaas_conf_trigger_parse(const char *s, struct kfaas_route_key *key)
{
	char buf[96], *sp, *port, *addr = NULL;

	if (!s || strlen(s) >= sizeof(buf) || !(sp = strchr(s, ' ')))
		return kfaas_err(-EINVAL, "a trigger must read 'udp|tcp PORT' or "
				 "'udp|tcp ADDR:PORT' ([V6ADDR]:PORT for IPv6)");
	strcpy(buf, s);
	sp = buf + (sp - s);
	*sp = '\0';
	port = sp + 1;
	if (port[0] == '[') {
		char *rb = strchr(port, ']');

		if (!rb || rb[1] != ':')
			return kfaas_err(-EINVAL, "bad trigger '%s': write "
					 "[V6ADDR]:PORT", s);
		*rb = '\0';
		addr = port + 1;
		port = rb + 2;
	} else if (strchr(port, ':')) {
		addr = port;
		port = strchr(port, ':');
		*port++ = '\0';
	}
	if (kfaas_route_key_make(key, buf, port, addr))
		return kfaas_err(-EINVAL, "bad trigger '%s': %s", s, kfaas_errmsg());
	return 0;
}

/* guard: on|off|auto, ratio: N|any|auto, loops: refuse|allow */
static int parse_route_opt(struct ctx *cx, const char *key, yaml_node_t *v,
			   struct kfaas_route_opts *o)
{
	const char *s = scalar(v);

	if (!s)
		return CERR(cx, v, "'%s' must be a scalar", key);
	if (key[0] == 'g') {
		if (strcmp(s, "on") && strcmp(s, "off") && strcmp(s, "auto"))
			return CERR(cx, v, "'guard' must be on, off or auto");
		o->guard = !strcmp(s, "auto") ? -1 : !strcmp(s, "on");
	} else if (key[0] == 'r') {
		if (!strcmp(s, "auto"))
			o->ratio = -1;
		else if (kfaas_ratio_parse(s, &o->ratio))
			return CERR(cx, v, "%s", kfaas_errmsg());
	} else {
		if (strcmp(s, "refuse") && strcmp(s, "allow"))
			return CERR(cx, v, "'loops' must be refuse or allow");
		o->loops = !strcmp(s, "allow");
	}
	return 0;
}

/* versions: { NAME: WEIGHT, ... }, 2 to KFAAS_ROUTE_VERSIONS of them. */
static int parse_versions(struct ctx *cx, yaml_node_t *v, struct kfaas_conf_route *r)
{
	yaml_node_pair_t *p;
	size_t i;

	if (v->type != YAML_MAPPING_NODE)
		return CERR(cx, v, "'versions' must map function names to weights "
			    "({ dns-v1: 90, dns-v2: 10 })");
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(cx->doc, p->key);
		const char *name = scalar(k);
		const char *w = scalar(yaml_document_get_node(cx->doc, p->value));
		struct kfaas_conf_version *ver = &r->ver[r->nver];

		if (r->nver == KFAAS_ROUTE_VERSIONS)
			return CERR(cx, k, "at most %d versions in a route",
				    KFAAS_ROUTE_VERSIONS);
		if (!name || !*name || strlen(name) >= sizeof(ver->fn))
			return CERR(cx, k, "a version is a function's name");
		for (i = 0; i < r->nver; i++)
			if (!strcmp(r->ver[i].fn, name))
				return CERR(cx, k, "version '%s' is named twice",
					    name);
		if (!w || kfaas_weight_parse(w, &ver->weight) || !ver->weight)
			return CERR(cx, k, "the weight of '%s' must be a whole "
				    "number from 1 to %d", name, KFAAS_WEIGHT_MAX);
		strcpy(ver->fn, name);
		r->nver++;
	}
	if (r->nver < 2)
		return CERR(cx, v, "'versions' names 2 or more functions: for one, "
			    "write 'fn: NAME'");
	if (r->fn[0])
		return CERR(cx, v, "a route has 'fn' or 'versions', not both");
	strcpy(r->fn, r->ver[0].fn);
	return 0;
}

/* chain: [F1, F2, ...] (or "F1,F2,..."): 2 to KFAAS_CHAIN_MAX functions. */
static int parse_chain(struct ctx *cx, yaml_node_t *v, struct kfaas_conf_route *r)
{
	yaml_node_item_t *it;
	const char *s;

	if (r->fn[0] || r->nchain)
		return CERR(cx, v, "a route has 'fn', 'versions' or 'chain', "
			    "one of them");
	if (v->type == YAML_SCALAR_NODE) {
		if (kfaas_chain_parse(scalar(v), r->chain, &r->nchain))
			return CERR(cx, v, "%s", kfaas_errmsg());
	} else if (v->type != YAML_SEQUENCE_NODE) {
		return CERR(cx, v, "'chain' lists its functions in order "
			    "([f1, f2, f3])");
	}
	for (it = v->type == YAML_SEQUENCE_NODE ? v->data.sequence.items.start : NULL;
	     it && it < v->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(cx->doc, *it);

		s = scalar(n);
		if (r->nchain == KFAAS_CHAIN_MAX)
			return CERR(cx, n, "a chain has at most %d functions",
				    KFAAS_CHAIN_MAX);
		if (!s || !*s || strlen(s) >= KFAAS_NAME_LEN)
			return CERR(cx, n, "a chain's link is a function's name");
		strcpy(r->chain[r->nchain++], s);
	}
	if (r->nchain < 2)
		return CERR(cx, v, "'chain' names 2 or more functions: for one, "
			    "write 'fn: NAME'");
	strcpy(r->fn, r->chain[0]);
	return 0;
}

static int parse_route_key(struct ctx *cx, yaml_node_t *k, yaml_node_t *v,
			   struct kfaas_conf_route *r, bool *trig)
{
	const char *key = scalar(k), *s = scalar(v);

	if (!key)
		return CERR(cx, k, "route keys must be strings");
	if (!strcmp(key, "trigger")) {
		*trig = true;
		return kfaas_conf_trigger_parse(s, &r->key) ?
		       CERR(cx, v, "%s", kfaas_errmsg()) : 0;
	}
	if (!strcmp(key, "fn"))
		return r->nver || r->nchain ?
		       CERR(cx, k, "a route has 'fn', 'versions' or 'chain', "
			    "one of them") :
		       get_str(cx, v, key, r->fn, sizeof(r->fn));
	if (!strcmp(key, "versions"))
		return r->nchain ? CERR(cx, k, "a route has 'fn', 'versions' or "
					"'chain', one of them") :
		       parse_versions(cx, v, r);
	if (!strcmp(key, "chain"))
		return parse_chain(cx, v, r);
	if (!strcmp(key, "guard") || !strcmp(key, "ratio") ||
	    !strcmp(key, "loops"))
		return parse_route_opt(cx, key, v, &r->opts);
	if (!strcmp(key, "fallback"))
		return get_str(cx, v, key, r->fallback, sizeof(r->fallback));
	if (!strcmp(key, "selector"))
		return parse_selector(cx, v, &r->sel);
	if (strcmp(key, "policy"))
		return CERR(cx, k, "unknown route key '%s': use trigger, fn, "
			    "versions, chain, fallback, policy, guard, ratio, "
			    "loops or selector", key);
	if (s && !strcmp(s, "drop"))
		r->policy = KFAAS_POLICY_DROP;
	else if (s && !strcmp(s, "pass"))
		r->policy = KFAAS_POLICY_PASS;
	else
		return CERR(cx, v, "'policy' must be drop or pass");
	return 0;
}

static int parse_route(struct ctx *cx, yaml_node_t *m, struct kfaas_conf_route *r)
{
	yaml_node_pair_t *p;
	bool trig = false;
	int rc;

	r->line = line_of(m);
	if (m->type != YAML_MAPPING_NODE)
		return CERR(cx, m, "a route must be a mapping with trigger and fn");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		rc = parse_route_key(cx, yaml_document_get_node(cx->doc, p->key),
				     yaml_document_get_node(cx->doc, p->value),
				     r, &trig);
		if (rc)
			return rc;
	}
	if (!trig || !r->fn[0])
		return CERR(cx, m, "a route needs 'trigger' and 'fn' (or "
			    "'versions' or 'chain')");
	return 0;
}

/* functions: NAME -> function, each name once. */
static int parse_functions(struct ctx *cx, yaml_node_t *v)
{
	struct kfaas_conf *c = cx->c;
	yaml_node_pair_t *q;
	int rc;

	if (v->type == YAML_SCALAR_NODE && !*scalar(v))
		return 0;	/* "functions:" with nothing */
	if (v->type != YAML_MAPPING_NODE)
		return CERR(cx, v, "'functions' must map names to functions");
	for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
		yaml_node_t *fk = yaml_document_get_node(cx->doc, q->key);
		const char *name = scalar(fk);
		const struct kfaas_conf_fn *dup;
		struct kfaas_conf_fn *f;

		if (!name)
			return CERR(cx, fk, "function names must be strings");
		dup = kfaas_conf_fn_find(c, name);
		if (dup)
			return CERR(cx, fk, "function '%s' is defined twice (also "
				    "line %d)", name, dup->line);
		f = kfaas_conf_fn_new(c);
		if (!f)
			return kfaas_err(-ENOMEM, "out of memory");
		rc = parse_fn(cx, name, fk, yaml_document_get_node(cx->doc, q->value),
			      f);
		if (rc)
			return rc;
	}
	return 0;
}

/* routes: a list of routes, each trigger once. */
static int parse_routes(struct ctx *cx, yaml_node_t *v)
{
	struct kfaas_conf *c = cx->c;
	yaml_node_item_t *it;
	size_t i;
	int rc;

	if (v->type == YAML_SCALAR_NODE && !*scalar(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return CERR(cx, v, "'routes' must be a list of routes");
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		struct kfaas_conf_route *r = kfaas_conf_route_new(c);

		if (!r)
			return kfaas_err(-ENOMEM, "out of memory");
		rc = parse_route(cx, yaml_document_get_node(cx->doc, *it), r);
		if (rc)
			return rc;
		for (i = 0; i + 1 < c->nroutes; i++)
			if (!memcmp(&c->routes[i].key, &r->key, sizeof(r->key)))
				return kfaas__conf_err(cx->name, r->line,
					"this trigger is routed twice (also "
					"line %d)", c->routes[i].line);
	}
	return 0;
}

static int parse_root(struct ctx *cx, yaml_node_t *root)
{
	bool seen_fns = false, seen_routes = false;
	yaml_node_pair_t *p;
	int rc;

	if (!root)
		return 0;			/* an empty file: nothing */
	if (root->type != YAML_MAPPING_NODE)
		return CERR(cx, root, "the configuration must be a mapping with "
			    "'functions' and 'routes'");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(cx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(cx->doc, p->value);
		const char *key = scalar(k);
		bool *seen = key && !strcmp(key, "functions") ? &seen_fns :
			     key && !strcmp(key, "routes") ? &seen_routes : NULL;

		if (seen && *seen)
			return CERR(cx, k, "'%s' appears twice: give it once", key);
		if (seen)
			*seen = true;
		if (seen == &seen_fns)
			rc = parse_functions(cx, v);
		else if (seen)
			rc = parse_routes(cx, v);
		else
			rc = CERR(cx, k, "unknown key '%s': the configuration has "
				  "'functions' and 'routes'", key ? key : "?");
		if (rc)
			return rc;
	}
	return 0;
}

/* A split route's versions: defined, all in the tier of the first. */
static int check_versions(const char *name, const struct kfaas_conf *c,
			  const struct kfaas_conf_route *r, int tier)
{
	size_t i, j;

	for (i = 0; i < r->nver; i++) {
		const struct kfaas_conf_fn *f = NULL;

		for (j = 0; j < c->nfns; j++)
			if (!strcmp(c->fns[j].name, r->ver[i].fn))
				f = &c->fns[j];
		if (!f)
			return kfaas__conf_err(name, r->line, "version '%s', "
					       "which 'functions' does not "
					       "define", r->ver[i].fn);
		if (f->tier != tier)
			return kfaas__conf_err(name, r->line, "versions '%s' and "
					       "'%s' run in different tiers: the "
					       "versions of a route share one",
					       r->ver[0].fn, r->ver[i].fn);
	}
	return 0;
}

/* A chain's links: defined, XDP-tier, the last may be vm; UDP, no fallback. */
static int check_chain(const char *name, const struct kfaas_conf *c,
		       const struct kfaas_conf_route *r)
{
	size_t i;

	if (r->key.proto != IPPROTO_UDP)
		return kfaas__conf_err(name, r->line, "a chain runs XDP functions, "
				       "which serve UDP only");
	if (r->fallback[0])
		return kfaas__conf_err(name, r->line, "a chain route has no "
				       "'fallback': end the chain with the vm "
				       "function instead");
	for (i = 0; i < r->nchain; i++) {
		const struct kfaas_conf_fn *f = kfaas_conf_fn_find(c, r->chain[i]);

		if (!f)
			return kfaas__conf_err(name, r->line, "chain link '%s' is "
					       "not defined in 'functions'",
					       r->chain[i]);
		if (f->tier != KFAAS_TIER_XDP &&
		    !(f->tier == KFAAS_TIER_VM && i && i == r->nchain - 1))
			return kfaas__conf_err(name, r->line, "chain link '%s' must "
					       "be an xdp function (the last may "
					       "be a vm one)", r->chain[i]);
		/* chain.c, vm_end_pass_err(): refused here before any step */
		if (f->tier == KFAAS_TIER_VM && r->policy == KFAAS_POLICY_PASS)
			return kfaas__conf_err(name, r->line, "a chain ending in "
					       "the vm function '%s' takes 'policy: "
					       "drop' (leave 'policy' out): a "
					       "request over a link's budget passed "
					       "up would reach it without the links "
					       "before it", r->chain[i]);
	}
	return 0;
}

/* Cross-references: routes name defined functions of the right tier. */
int kfaas_conf_check_refs(const char *name, const struct kfaas_conf *c)
{
	size_t i;
	int rc;

	for (i = 0; i < c->nroutes; i++) {
		const struct kfaas_conf_route *r = &c->routes[i];
		const struct kfaas_conf_fn *f = kfaas_conf_fn_find(c, r->fn);
		const struct kfaas_conf_fn *fb = r->fallback[0] ?
			kfaas_conf_fn_find(c, r->fallback) : NULL;

		if (!f)
			return kfaas__conf_err(name, r->line, "route to '%s', which "
					       "'functions' does not define", r->fn);
		rc = r->nchain ? check_chain(name, c, r) :
		     check_versions(name, c, r, f->tier);
		if (rc)
			return rc;
		if (f->tier == KFAAS_TIER_VM &&
		    (r->opts.guard >= 0 || r->opts.ratio >= 0))
			return kfaas__conf_err(name, r->line, "'guard' and 'ratio' "
					       "are for routes to XDP functions, "
					       "not to the vm function '%s'",
					       r->fn);
		if (r->fallback[0] && !fb)
			return kfaas__conf_err(name, r->line, "fallback '%s' is not "
					       "defined in 'functions'", r->fallback);
		if (fb && fb->tier != KFAAS_TIER_VM)
			return kfaas__conf_err(name, r->line, "fallback '%s' must be "
					       "a 'vm' function", r->fallback);
	}
	return 0;
}

void kfaas_conf_free(struct kfaas_conf *c)
{
	size_t i;

	for (i = 0; i < c->nfns; i++)
		free(c->fns[i].sel);
	for (i = 0; i < c->nroutes; i++)
		free(c->routes[i].sel);
	free(c->fns);
	free(c->routes);
	memset(c, 0, sizeof(*c));
}

/* Room for one more element of an array that grows by doubling. */
static void *grow(void **arr, size_t n, size_t size)
{
	void *a = *arr;

	if (!(n & (n - 1)) || !a) {	/* n is 0 or a power of two: full */
		a = realloc(a, (n ? 2 * n : 8) * size);
		if (!a)
			return NULL;
		*arr = a;
	}
	a = (char *)a + n * size;
	memset(a, 0, size);
	return a;
}

struct kfaas_conf_fn *kfaas_conf_fn_new(struct kfaas_conf *c)
{
	struct kfaas_conf_fn *f = grow((void **)&c->fns, c->nfns, sizeof(*f));

	if (f)
		c->nfns++;
	return f;
}

bool kfaas_conf_versions_equal(const struct kfaas_conf_route *a,
			       const struct kfaas_conf_route *b)
{
	size_t i;

	if (a->nver != b->nver || strcmp(a->fn, b->fn) ||
	    a->nchain != b->nchain)
		return false;
	for (i = 0; i < a->nchain; i++)
		if (strcmp(a->chain[i], b->chain[i]))
			return false;
	for (i = 0; i < a->nver; i++)
		if (strcmp(a->ver[i].fn, b->ver[i].fn) ||
		    a->ver[i].weight != b->ver[i].weight)
			return false;
	return true;
}

struct kfaas_conf_route *kfaas_conf_route_new(struct kfaas_conf *c)
{
	struct kfaas_conf_route *r = grow((void **)&c->routes, c->nroutes,
					  sizeof(*r));

	if (r) {
		r->policy = -1;
		r->opts = KFAAS_ROUTE_OPTS_AUTO;
		c->nroutes++;
	}
	return r;
}

const struct kfaas_conf_route *kfaas_conf_route_find(const struct kfaas_conf *c,
						     const struct kfaas_route_key *k)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (!memcmp(&c->routes[i].key, k, sizeof(*k)))
			return &c->routes[i];
	return NULL;
}

const struct kfaas_conf_fn *kfaas_conf_fn_find(const struct kfaas_conf *c,
					       const char *name)
{
	size_t i;

	for (i = 0; i < c->nfns; i++)
		if (!strcmp(c->fns[i].name, name))
			return &c->fns[i];
	return NULL;
}

int kfaas_conf_parse(const char *text, size_t len, const char *name,
		     struct kfaas_conf *c)
{
	struct ctx cx = { .name = name, .c = c };
	yaml_document_t doc;
	yaml_parser_t parser;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!yaml_parser_initialize(&parser))
		return kfaas_err(-ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = kfaas_err(-EINVAL, "%s:%zu: not valid YAML: %s", name,
			       parser.problem_mark.line + 1,
			       parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return rc;
	}
	cx.doc = &doc;
	rc = parse_root(&cx, yaml_document_get_root_node(&doc));
	if (!rc)
		rc = kfaas_conf_check_refs(name, c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc)
		kfaas_conf_free(c);
	return rc;
}

int kfaas_conf_load(const char *path, struct kfaas_conf *c)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;
	int rc;

	if (!f)
		return kfaas_err(-errno, "cannot read %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1 << 24) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return kfaas_err(-EINVAL, "%s: not a regular file of at most 16 MiB",
				 path);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return kfaas_err(-EIO, "cannot read %s", path);
	}
	fclose(f);
	rc = kfaas_conf_parse(buf, (size_t)n, path, c);
	free(buf);
	return rc;
}

/* A chain route's links by name into cr (fn: the first). */
static void conf_chain(struct kfaas_state *st, const struct kfaas_route *r,
		       struct kfaas_conf_route *cr)
{
	struct kfaas_fn_info fi;
	struct kfaas_chain ch;
	__u32 i;

	if (kfaas_chain_get(st, r->chain_id, &ch))
		return;
	for (i = 0; i < ch.len && i < KFAAS_CHAIN_MAX; i++)
		if (kfaas_fn_get(st, ch.fn[i], &fi) == 0)
			snprintf(cr->chain[cr->nchain++], KFAAS_NAME_LEN, "%s",
				 fi.name);
}

int kfaas_conf_current(struct kfaas_state *st, struct kfaas_conf *c)
{
	struct kfaas_route_ent *r = NULL;
	struct kfaas_fn_info *f = NULL;
	size_t nf, nr, i, j;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = kfaas_fn_list(st, &f, &nf) ?: kfaas_route_list(st, &r, &nr);
	for (i = 0; !rc && i < nf; i++) {
		struct kfaas_conf_fn *cf = kfaas_conf_fn_new(c);

		if (!cf) {
			rc = kfaas_err(-ENOMEM, "out of memory");
			break;
		}
		snprintf(cf->name, sizeof(cf->name), "%s", f[i].name);
		cf->tier = f[i].tier;
		snprintf(cf->source, sizeof(cf->source), "%s", f[i].source);
		if (kfaas_budget_get(st, f[i].id, &cf->budget.l) == 0)
			cf->budget.set = memcmp(&cf->budget.l,
						&(struct kfaas_limits){ 0 },
						sizeof(cf->budget.l)) != 0;
		if (f[i].tier == KFAAS_TIER_VM)
			cf->vm = f[i].vm;
	}
	for (i = 0; !rc && i < nr; i++) {
		struct kfaas_conf_route *cr = kfaas_conf_route_new(c);
		struct kfaas_fn_info fi;

		if (!cr) {
			rc = kfaas_err(-ENOMEM, "out of memory");
			break;
		}
		cr->key = r[i].key;
		/* the default policy is left out, as in a hand-written file */
		cr->policy = r[i].val.policy ==
			     ((r[i].val.flags & KFAAS_ROUTE_F_FALLBACK) ?
			      KFAAS_POLICY_PASS : KFAAS_POLICY_DROP) ?
			     -1 : r[i].val.policy;
		kfaas_route_opts_get(&r[i].val, &cr->opts);
		if (kfaas_fn_get(st, r[i].val.fn_id, &fi) == 0)
			snprintf(cr->fn, sizeof(cr->fn), "%s", fi.name);
		for (j = 0; j < r[i].val.nver && j < KFAAS_ROUTE_VERSIONS; j++) {
			struct kfaas_conf_version *v = &cr->ver[cr->nver++];

			v->weight = r[i].val.ver[j].weight;
			if (kfaas_fn_get(st, r[i].val.ver[j].fn_id, &fi) == 0)
				snprintf(v->fn, sizeof(v->fn), "%s", fi.name);
		}
		if (r[i].val.flags & KFAAS_ROUTE_F_CHAIN) {
			conf_chain(st, &r[i].val, cr);
			continue;	/* a VM-tier end is its last link */
		}
		if ((r[i].val.flags & KFAAS_ROUTE_F_FALLBACK) &&
		    kfaas_fn_get(st, r[i].val.fallback_id, &fi) == 0)
			snprintf(cr->fallback, sizeof(cr->fallback), "%s", fi.name);
	}
	free(f);
	free(r);
	if (rc)
		kfaas_conf_free(c);
	return rc;
}
