// SPDX-License-Identifier: GPL-2.0
/* kfaas route { add | set | del | list | help } */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <kfaas/split.h>

/* PROTO PORT [addr ADDR] -> key; consumes the words it used. */
static int parse_key(int *pargc, char ***pargv, struct kfaas_route_key *key)
{
	int argc = *pargc;
	char **argv = *pargv;
	const char *addr = NULL;

	if (argc < 2)
		return p_err("expected PROTO PORT (e.g. 'udp 53'): see '%s route "
			     "help'", bin_name);
	if (argc >= 4 && !strcmp(argv[2], "addr"))
		addr = argv[3];
	else if (argc == 3 && !strcmp(argv[2], "addr"))
		return p_err("'addr' needs an IPv4 or IPv6 address");
	if (kfaas_route_key_make(key, argv[0], argv[1], addr))
		return p_lib_err();
	*pargc = argc - (addr ? 4 : 2);
	*pargv = argv + (addr ? 4 : 2);
	return 0;
}

static const char *policy_name(unsigned int p)
{
	return p == KFAAS_POLICY_PASS ? "pass" : "drop";
}

/*
 * guard on|off|auto, ratio N|any|auto, loops allow|refuse: one option of
 * the reflection and loop defences (word, value) into o; 1 if word is
 * none of them, -1 after an error.
 */
static int parse_opt(const char *word, const char *val, struct kfaas_route_opts *o)
{
	if (!strcmp(word, "guard")) {
		if (!strcmp(val, "on") || !strcmp(val, "off") ||
		    !strcmp(val, "auto")) {
			o->guard = !strcmp(val, "auto") ? -1 : !strcmp(val, "on");
			return 0;
		}
		return p_err("bad guard '%s': use on, off or auto (on unless "
			     "the function declares a reply ratio of at most "
			     "1)", val);
	}
	if (!strcmp(word, "ratio")) {
		if (!strcmp(val, "auto")) {
			o->ratio = -1;
			return 0;
		}
		return kfaas_ratio_parse(val, &o->ratio) ? p_lib_err() : 0;
	}
	if (!strcmp(word, "loops")) {
		if (!strcmp(val, "allow") || !strcmp(val, "refuse")) {
			o->loops = !strcmp(val, "allow");
			return 0;
		}
		return p_err("bad loops '%s': use refuse (the default: no reply "
			     "to a loop port) or allow", val);
	}
	return 1;
}

/*
 * "route udp 53 -> dns-v1 90, dns-v2 10 of 100 (xdp)", or with its chain c
 * "route udp 9000 -> chain f1 > f2 > f3 (xdp)"
 */
static void print_route(const struct kfaas_route_key *key,
			const struct kfaas_route *r, const struct kfaas_chain *c)
{
	struct kfaas_state st;
	char k[96];
	__u32 i, n = c ? c->len : r->nver ? r->nver : 1;

	kfaas_route_key_str(key, k, sizeof(k));
	printf("route %s ->%s", k, c ? " chain" : "");
	if (state_open(&st, 0))
		return;
	for (i = 0; i < n && i < KFAAS_CHAIN_MAX; i++) {
		__u32 id = c ? c->fn[i] : r->nver ? r->ver[i % KFAAS_ROUTE_VERSIONS].fn_id :
			   r->fn_id;
		struct kfaas_fn_info f;

		if (kfaas_fn_get(&st, id, &f))
			snprintf(f.name, sizeof(f.name), "#%u", id);
		printf("%s %s", !i ? "" : c ? " >" : ",", f.name);
		if (!c && r->nver)
			printf(" %u", r->ver[i % KFAAS_ROUTE_VERSIONS].weight);
	}
	kfaas_state_close(&st);
	if (!c && r->nver)
		printf(" of %u", r->total);
	printf(" (%s%s)\n", kfaas_tier_name(r->tier),
	       c && (c->flags & KFAAS_CHAIN_F_VM_END) ? ", then vm" : "");
}

/* After a route was written: release st, tell kfaasd (notify), say it. */
static int route_done(struct kfaas_state *st, const struct kfaas_route_key *key,
		      const struct kfaas_route *r, bool notify)
{
	struct kfaas_chain c;
	bool chain = (r->flags & KFAAS_ROUTE_F_CHAIN) &&
		     !kfaas_chain_get(st, r->chain_id, &c);

	kfaas_state_close(st);
	if (notify)
		kfaas_daemon_notify(kfaas_pin_root(pin_root_opt));
	if (json_output)
		json_print_ok();
	else
		print_route(key, r, chain ? &c : NULL);
	return 0;
}

/* chain f1,f2,...: the chain of those functions, checked. */
static int chain_of(struct kfaas_state *st, const char *list,
		    struct kfaas_chain *c)
{
	char names[KFAAS_CHAIN_MAX][KFAAS_NAME_LEN];
	const char *ptrs[KFAAS_CHAIN_MAX];
	size_t n, i;

	if (kfaas_chain_parse(list, names, &n))
		return -1;
	for (i = 0; i < n; i++)
		ptrs[i] = names[i];
	return kfaas_chain_make(st, ptrs, n, c);
}

/*
 * The versions of a split: NAME W [NAME W ...] (weights: "set"), or fn
 * NAME [W] words gathered by do_add.  Keeps at most KFAAS_ROUTE_VERSIONS.
 */
struct versions {
	const char	*names[KFAAS_ROUTE_VERSIONS];
	__u32		weights[KFAAS_ROUTE_VERSIONS];
	bool		weighted[KFAAS_ROUTE_VERSIONS];
	size_t		n;
};

/* Add version name with weight w (NULL: none given); -1 after an error. */
static int versions_add(struct versions *v, const char *name, const char *w)
{
	if (v->n == KFAAS_ROUTE_VERSIONS)
		return p_err("too many versions: a route splits its traffic "
			     "between at most %d", KFAAS_ROUTE_VERSIONS);
	v->names[v->n] = name;
	v->weighted[v->n] = w != NULL;
	if (w && kfaas_weight_parse(w, &v->weights[v->n]))
		return p_lib_err();
	v->n++;
	return 0;
}

static bool is_number(const char *s)
{
	return s && *s && strspn(s, "0123456789") == strlen(s);
}

/* After a chain route was written (rc 0) or not: say it, release st. */
static int chain_done(struct kfaas_state *st, int rc,
		      const struct kfaas_route_key *key,
		      const struct kfaas_chain *c)
{
	struct kfaas_route r;

	rc = rc ?: kfaas_route_get(st, key, &r);
	if (rc) {
		rc = p_lib_err();
		kfaas_state_close(st);
		return rc;
	}
	return route_done(st, key, &r, c->flags & KFAAS_CHAIN_F_VM_END);
}

/* route add KEY chain F1,F2,... [policy P] [defences]: the rest of do_add */
static int add_chain(const struct kfaas_route_key *key, const char *list,
		     const char *policy, const struct kfaas_route_opts *o)
{
	struct kfaas_state st;
	struct kfaas_route r = {};
	struct kfaas_chain c;
	int rc;

	if (policy && strcmp(policy, "drop") && strcmp(policy, "pass"))
		return p_err("bad policy '%s': use drop or pass", policy);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	r.policy = policy && !strcmp(policy, "pass") ? KFAAS_POLICY_PASS :
						       KFAAS_POLICY_DROP;
	rc = chain_of(&st, list, &c) ?:
	     kfaas_route_chain_set(&st, &r, &c) ?:
	     kfaas_route_opts_set(&st, &r, o) ?:
	     kfaas_route_add_chain(&st, key, &r, &c);
	return chain_done(&st, rc, key, &c);
}

static int do_add(int argc, char **argv)
{
	struct kfaas_fn_info fn;
	struct kfaas_route_key key;
	struct kfaas_route r = {};
	struct kfaas_route_opts o = KFAAS_ROUTE_OPTS_AUTO;
	struct kfaas_state st;
	const char *fn_name = NULL, *fb_name = NULL, *policy = NULL;
	const char *chain = NULL;
	struct versions v = {};
	int tier = 0, rc;
	size_t i;

	if (parse_key(&argc, &argv, &key))
		return -1;
	while (argc > 0) {
		rc = argc > 1 ? parse_opt(argv[0], argv[1], &o) : 1;
		if (rc < 0)
			return -1;
		if (rc == 0) {
			/* one of the defences' options */
		} else if (!strcmp(argv[0], "fn") && argc > 1) {
			/* fn NAME [WEIGHT]: a version of a split */
			if (versions_add(&v, argv[1], argc > 2 &&
					 is_number(argv[2]) ? argv[2] : NULL))
				return -1;
			fn_name = v.names[0];
			if (v.weighted[v.n - 1])
				argc--, argv++;
		} else if (!strcmp(argv[0], "chain") && argc > 1) {
			chain = argv[1];
		} else if (!strcmp(argv[0], "tier") && argc > 1) {
			tier = kfaas_tier_parse(argv[1]);
		} else if (!strcmp(argv[0], "fallback") && argc > 1) {
			fb_name = argv[1];
		} else if (!strcmp(argv[0], "policy") && argc > 1) {
			policy = argv[1];
		} else if (kfaas_tier_parse(argv[0]) > 0) {
			tier = kfaas_tier_parse(argv[0]);
			argc--, argv++;
			continue;
		} else {
			return p_err("unexpected '%s': usage: %s route add udp|tcp "
				     "PORT [addr ADDR] fn NAME [WEIGHT] [fn NAME "
				     "WEIGHT ...] | chain F1,F2[,...] [xdp|sk|vm] "
				     "[fallback NAME] [policy drop|pass] [guard "
				     "on|off|auto] [ratio N|any|auto] [loops "
				     "allow|refuse]", argv[0], bin_name);
		}
		if (tier < 0)
			return p_lib_err();
		argc -= 2;
		argv += 2;
	}
	if (chain && (fn_name || tier || fb_name))
		return p_err("a chain route names its functions in 'chain "
			     "F1,F2,...' only: no 'fn', tier or 'fallback' (end "
			     "the chain with a VM-tier function instead)");
	if (chain)
		return add_chain(&key, chain, policy, &o);
	if (!fn_name)
		return p_err("which function? add 'fn NAME' or 'chain F1,F2,...' "
			     "('kfaas fn list' shows them)");
	for (i = 0; v.n > 1 && i < v.n; i++)
		if (!v.weighted[i])
			return p_err("version '%s' has no weight: a route to "
				     "several versions gives each one ('fn %s "
				     "90 fn NEW 10')", v.names[i], v.names[i]);
	if (policy && strcmp(policy, "drop") && strcmp(policy, "pass"))
		return p_err("bad policy '%s': use drop or pass", policy);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	if (v.n == 1)
		v.weights[0] = 1;	/* one function: a weight means nothing */
	rc = kfaas_route_make(&st, &key, fn_name, tier, fb_name,
			      !policy ? -1 : strcmp(policy, "pass") ?
			      KFAAS_POLICY_DROP : KFAAS_POLICY_PASS, &r) ?:
	     kfaas_route_versions_set(&st, &r, v.names, v.weights, v.n) ?:
	     kfaas_route_opts_set(&st, &r, &o) ?:
	     kfaas_fn_get(&st, r.fn_id, &fn);
	if (rc)
		goto lib_err;
	rc = kfaas_route_add(&st, &key, &r);
	if (rc)
		goto lib_err;
	return route_done(&st, &key, &r, fn.tier == KFAAS_TIER_VM || fb_name);
lib_err:
	rc = p_lib_err();
	kfaas_state_close(&st);
	return rc;
}

/* route set KEY chain F1,F2,...: the route's chain replaced in one update */
static int set_chain(const struct kfaas_route_key *key, int argc, char **argv)
{
	struct kfaas_state st;
	struct kfaas_chain c;
	int rc;

	if (argc != 1)
		return p_err("usage: %s route set udp PORT [addr ADDR] chain "
			     "F1,F2[,...]", bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = chain_of(&st, argv[0], &c) ?:
	     kfaas_route_chain_replace(&st, key, &c);
	return chain_done(&st, rc, key, &c);
}

/* route set PROTO PORT [addr ADDR] weights NAME W [NAME W ...] */
static int do_set(int argc, char **argv)
{
#define SET_USAGE "usage: %s route set udp|tcp PORT [addr ADDR] weights " \
		  "NAME WEIGHT [NAME WEIGHT ...] | chain F1,F2[,...]"
	struct kfaas_route_key key;
	struct kfaas_route r;
	struct kfaas_state st;
	struct versions v = {};
	int rc;

	if (parse_key(&argc, &argv, &key))
		return -1;
	if (argc >= 1 && !strcmp(argv[0], "chain"))
		return set_chain(&key, argc - 1, argv + 1);
	if (argc < 1 || strcmp(argv[0], "weights"))
		return p_err("what to set? " SET_USAGE, bin_name);
	for (argc--, argv++; argc > 0; argc -= 2, argv += 2) {
		if (argc < 2 || !is_number(argv[1]))
			return p_err("'%s' needs a weight after it: " SET_USAGE,
				     argv[0], bin_name);
		if (versions_add(&v, argv[0], argv[1]))
			return -1;
	}
	if (!v.n)
		return p_err("which versions? " SET_USAGE, bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_route_weights_set(&st, &key, v.names, v.weights, v.n) ?:
	     kfaas_route_get(&st, &key, &r);
	if (rc) {
		rc = p_lib_err();
		kfaas_state_close(&st);
		return rc;
	}
	return route_done(&st, &key, &r, r.tier == KFAAS_TIER_VM);
#undef SET_USAGE
}

static int do_del(int argc, char **argv)
{
	struct kfaas_route_key key;
	struct kfaas_state st;
	int rc;

	if (parse_key(&argc, &argv, &key))
		return -1;
	if (argc)
		return p_err("unexpected '%s': usage: %s route del udp|tcp PORT "
			     "[addr ADDR]", argv[0], bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_route_del(&st, &key);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	/* kfaasd closes its socket now rather than at its next refresh */
	kfaas_daemon_notify(kfaas_pin_root(pin_root_opt));
	json_print_ok();
	return 0;
}

static json_object *route_json(const struct kfaas_route_ent *e,
			       const char *fn, const char *fb,
			       json_object *versions, json_object *chain)
{
	json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN];

	json_object_object_add(o, "proto", json_object_new_string(
		e->key.proto == IPPROTO_TCP ? "tcp" : "udp"));
	json_object_object_add(o, "port", json_object_new_int(ntohs(e->key.port)));
	if (e->key.family) {
		inet_ntop(e->key.family == KFAAS_FAMILY_IPV4 ? AF_INET :
			  AF_INET6, e->key.addr, a, sizeof(a));
		json_object_object_add(o, "addr", json_object_new_string(a));
	} else {
		json_object_object_add(o, "addr", NULL);
	}
	json_object_object_add(o, "fn", json_object_new_string(fn));
	json_object_object_add(o, "fn_id", json_object_new_int64(e->val.fn_id));
	json_object_object_add(o, "tier", json_object_new_string(
		kfaas_tier_name(e->val.tier)));
	json_object_object_add(o, "policy", json_object_new_string(
		policy_name(e->val.policy)));
	json_object_object_add(o, "versions", versions);
	json_object_object_add(o, "chain", chain);
	json_object_object_add(o, "fallback", fb ? json_object_new_string(fb) : NULL);
	json_object_object_add(o, "budget", json_object_new_boolean(
		e->val.flags & KFAAS_ROUTE_F_BUDGET));
	if (e->val.tier == KFAAS_TIER_XDP) {
		char ratio[16];

		kfaas_ratio_str(e->val.max_ratio, ratio, sizeof(ratio));
		json_object_object_add(o, "guard", json_object_new_boolean(
			e->val.flags & KFAAS_ROUTE_F_GUARD));
		json_object_object_add(o, "guard_auto", json_object_new_boolean(
			!(e->val.flags & KFAAS_ROUTE_F_GUARD_SET)));
		json_object_object_add(o, "ratio", json_object_new_string(ratio));
		json_object_object_add(o, "ratio_auto", json_object_new_boolean(
			!(e->val.flags & KFAAS_ROUTE_F_RATIO_SET)));
	}
	if (e->key.proto == IPPROTO_UDP)
		json_object_object_add(o, "loops", json_object_new_string(
			e->val.flags & KFAAS_ROUTE_F_LOOP_OK ? "allow" : "refuse"));
	return o;
}

/* GUARD RATIO LOOPS of the plain listing: "-" where they do not apply. */
static void print_defences(const struct kfaas_route_ent *e)
{
	char g[16] = "-", ratio[16] = "-";

	if (e->val.tier == KFAAS_TIER_XDP) {
		snprintf(g, sizeof(g), "%s%s",
			 e->val.flags & KFAAS_ROUTE_F_GUARD ? "on" : "off",
			 e->val.flags & KFAAS_ROUTE_F_GUARD_SET ? "" : "(auto)");
		kfaas_ratio_str(e->val.max_ratio, ratio, sizeof(ratio));
		if (!(e->val.flags & KFAAS_ROUTE_F_RATIO_SET))
			strncat(ratio, "(auto)", sizeof(ratio) - strlen(ratio) - 1);
	}
	printf(" %-9s %-10s %s\n", g, ratio, e->key.proto != IPPROTO_UDP ? "-" :
	       e->val.flags & KFAAS_ROUTE_F_LOOP_OK ? "allow" : "refuse");
}

/*
 * A split route's versions: "v1:90,v2:10" into buf (the FUNCTION column:
 * cut at its size) and, with js, as [{fn, fn_id, weight}] into *js.
 */
static void split_names(struct kfaas_state *st, const struct kfaas_route *r,
			char *buf, size_t len, json_object **js)
{
	size_t used = 0;
	__u32 i;

	buf[0] = '\0';
	if (js)
		*js = json_object_new_array();
	for (i = 0; i < r->nver && i < KFAAS_ROUTE_VERSIONS; i++) {
		struct kfaas_fn_info f;

		if (kfaas_fn_get(st, r->ver[i].fn_id, &f))
			snprintf(f.name, sizeof(f.name), "#%u", r->ver[i].fn_id);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s:%u",
						 i ? "," : "", f.name,
						 r->ver[i].weight);
		if (js) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "fn", json_object_new_string(f.name));
			json_object_object_add(o, "fn_id",
					       json_object_new_int64(r->ver[i].fn_id));
			json_object_object_add(o, "weight",
					       json_object_new_int64(r->ver[i].weight));
			json_object_array_add(*js, o);
		}
	}
}

/*
 * A chain route's functions: "f1>f2>f3" into buf (cut at its size) and,
 * with js, as ["f1", "f2", "f3"] into *js.
 */
static void chain_names(struct kfaas_state *st, const struct kfaas_route *r,
			char *buf, size_t len, json_object **js)
{
	struct kfaas_chain c;
	size_t used = 0;
	__u32 i;

	if (kfaas_chain_get(st, r->chain_id, &c))
		return;
	buf[0] = '\0';
	if (js)
		*js = json_object_new_array();
	for (i = 0; i < c.len && i < KFAAS_CHAIN_MAX; i++) {
		struct kfaas_fn_info f;

		if (kfaas_fn_get(st, c.fn[i], &f))
			snprintf(f.name, sizeof(f.name), "#%u", c.fn[i]);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 i ? ">" : "", f.name);
		if (js)
			json_object_array_add(*js, json_object_new_string(f.name));
	}
}

static int do_list(int argc, char **argv)
{
	struct kfaas_route_ent *r;
	struct kfaas_state st;
	json_object *arr = NULL;
	size_t n, i;
	int rc;

	if (argc)
		return p_err("unexpected argument '%s': usage: %s route list",
			     argv[0], bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_route_list(&st, &r, &n);
	if (rc) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	if (json_output)
		arr = json_object_new_array();
	else
		printf("%-32s %-20s %-4s %-6s %-20s %-9s %-10s %s\n", "TRIGGER",
		       "FUNCTION", "TIER", "POLICY", "FALLBACK", "GUARD",
		       "RATIO", "LOOPS");
	for (i = 0; i < n; i++) {
		struct kfaas_fn_info f, fb;
		json_object *versions = NULL, *chain = NULL;
		const char *fbn = NULL;
		char k[96], shown[128];

		if (kfaas_fn_get(&st, r[i].val.fn_id, &f))
			snprintf(f.name, sizeof(f.name), "#%u", r[i].val.fn_id);
		snprintf(shown, sizeof(shown), "%s", f.name);
		if (r[i].val.nver >= 2)	/* the split: "v1:90,v2:10" */
			split_names(&st, &r[i].val, shown, sizeof(shown),
				    json_output ? &versions : NULL);
		if (r[i].val.flags & KFAAS_ROUTE_F_CHAIN)
			chain_names(&st, &r[i].val, shown, sizeof(shown),
				    json_output ? &chain : NULL);
		if ((r[i].val.flags & KFAAS_ROUTE_F_FALLBACK) &&
		    !kfaas_fn_get(&st, r[i].val.fallback_id, &fb))
			fbn = fb.name;
		if (json_output) {
			json_object_array_add(arr, route_json(&r[i], f.name, fbn,
							       versions, chain));
			continue;
		}
		kfaas_route_key_str(&r[i].key, k, sizeof(k));
		printf("%-32s %-20s %-4s %-6s %-20s", k, shown,
		       kfaas_tier_name(r[i].val.tier),
		       policy_name(r[i].val.policy), fbn ? fbn : "-");
		print_defences(&r[i]);
	}
	kfaas_state_close(&st);
	free(r);
	if (json_output)
		json_print(arr);
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s route add PROTO PORT [addr ADDR] fn NAME [WEIGHT]\n"
		"                    [fn NAME WEIGHT ...] [TIER]\n"
		"                    [fallback NAME] [policy POLICY]\n"
		"                    [guard GUARD] [ratio RATIO] [loops LOOPS]\n"
		"       %s route add udp PORT [addr ADDR] chain CHAIN\n"
		"                    [policy POLICY] [guard GUARD] [ratio RATIO]\n"
		"                    [loops LOOPS]\n"
		"       %s route set PROTO PORT [addr ADDR] weights NAME WEIGHT\n"
		"                    [NAME WEIGHT ...]\n"
		"       %s route set udp PORT [addr ADDR] chain CHAIN\n"
		"       %s route del PROTO PORT [addr ADDR]\n"
		"       %s route list\n"
		"       %s route help\n"
		"\n"
		"PROTO := { udp | tcp }   TIER := { xdp | sk | vm }\n"
		"POLICY := { drop | pass }   what to do over budget\n"
		"GUARD := { on | off | auto }   per-source-prefix rate limit\n"
		"         (XDP; auto: on unless the function declares a reply\n"
		"         ratio of at most 1)\n"
		"RATIO := { N | any | auto }   most reply bytes per request byte\n"
		"         (XDP; auto: the function's declared ratio or 3, the\n"
		"         lower)\n"
		"LOOPS := { refuse | allow }   answer requests from loop ports\n"
		"         (UDP: kfaas routes' ports and well-known services)\n"
		"WEIGHT := 0..%d   a version's share of the traffic: weight\n"
		"         over the sum of the weights (up to %d versions; the\n"
		"         XDP tier keeps a flow on its version, the socket tier\n"
		"         a connection, kfaasd picks per request); 'set' gives\n"
		"         the whole split in one update, 0 takes a version out\n"
		"CHAIN := F1,F2[,...]   2 to %d functions run one after the\n"
		"         other, each handing on with kfaas_next(): XDP-tier\n"
		"         ones, the last may be VM-tier (kfaasd ends the chain);\n"
		"         'set' replaces the whole chain in one update\n"
		"A route with an address wins over the port-only route.\n",
		bin_name, bin_name, bin_name, bin_name, bin_name, bin_name,
		bin_name, KFAAS_WEIGHT_MAX, KFAAS_ROUTE_VERSIONS,
		KFAAS_CHAIN_MAX);
	return 0;
}

static const struct cmd cmds[] = {
	{ "add",	do_add },
	{ "set",	do_set },
	{ "del",	do_del },
	{ "list",	do_list },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_route(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_list);
}
