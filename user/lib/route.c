// SPDX-License-Identifier: GPL-2.0
/*
 * The route table (pinned map kfaas_routes): trigger -> function, with
 * what the dispatchers check before they run it (the flags): the
 * function's budget, the reflection guard, the reply ratio cap and the
 * loop ports (docs/reliability.md).  What a route does not choose itself
 * is derived from its functions (kfaas__route_derive) and re-derived when a
 * function's budget or declared ratio changes (kfaas__routes_refresh).  A
 * route may split its traffic between versions: split.c; or run a chain
 * of functions: chain.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include <kfaas/split.h>
#include "internal.h"

int kfaas_route_key_make(struct kfaas_route_key *key, const char *proto,
			 const char *port, const char *addr)
{
	unsigned long p;
	char *end;

	memset(key, 0, sizeof(*key));
	if (!strcmp(proto, "udp"))
		key->proto = IPPROTO_UDP;
	else if (!strcmp(proto, "tcp"))
		key->proto = IPPROTO_TCP;
	else
		return kfaas_err(-EINVAL, "unknown protocol '%s': use udp or tcp",
				 proto);
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!isdigit((unsigned char)port[0]) || *end || errno || p == 0 ||
	    p > 65535)
		return kfaas_err(-EINVAL, "bad port '%s': use a number from 1 to "
				 "65535", port);
	key->port = htons((uint16_t)p);
	if (!addr)
		return 0;
	if (inet_pton(AF_INET, addr, key->addr) == 1)
		key->family = KFAAS_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, addr, key->addr) == 1)
		key->family = KFAAS_FAMILY_IPV6;
	else
		return kfaas_err(-EINVAL, "bad address '%s': use an IPv4 or IPv6 "
				 "address", addr);
	return 0;
}

void kfaas_route_key_str(const struct kfaas_route_key *key, char *buf, size_t len)
{
	const char *proto = key->proto == IPPROTO_UDP ? "udp" :
			    key->proto == IPPROTO_TCP ? "tcp" : "?";
	char a[INET6_ADDRSTRLEN] = "";

	if (key->family == KFAAS_FAMILY_IPV4)
		inet_ntop(AF_INET, key->addr, a, sizeof(a));
	else if (key->family == KFAAS_FAMILY_IPV6)
		inet_ntop(AF_INET6, key->addr, a, sizeof(a));
	if (key->family == KFAAS_FAMILY_IPV6)
		snprintf(buf, len, "%s [%s]:%u", proto, a, ntohs(key->port));
	else if (key->family == KFAAS_FAMILY_IPV4)
		snprintf(buf, len, "%s %s:%u", proto, a, ntohs(key->port));
	else
		snprintf(buf, len, "%s %u", proto, ntohs(key->port));
}

void kfaas__key_cmdline(const struct kfaas_route_key *key, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (key->family)
		inet_ntop(key->family == KFAAS_FAMILY_IPV4 ? AF_INET : AF_INET6,
			  key->addr, a, sizeof(a));
	snprintf(buf, len, "%s %u%s%s", key->proto == IPPROTO_TCP ? "tcp" : "udp",
		 ntohs(key->port), key->family ? " addr " : "", a);
}

/* Keep config.addr_routes: set before an addressed route goes in. */
static int addr_routes_set(struct kfaas_state *st, __u32 v)
{
	struct kfaas_globals g;
	int rc = kfaas_globals_get(st, &g);

	if (rc || g.addr_routes == v)
		return rc;
	g.addr_routes = v;
	return kfaas_globals_set(st, &g);
}

static __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static bool has_budget(struct kfaas_state *st, __u32 id)
{
	struct kfaas_limits l;

	return kfaas_budget_get(st, id, &l) == 0 &&
	       (l.rps || l.cpu_ns_per_sec || l.bytes_per_sec);
}

/*
 * The functions r runs: its versions, its chain's XDP part, or fn_id.
 * The chain: *chained set (its declared ratios multiply).
 */
static __u32 route_fns(struct kfaas_state *st, const struct kfaas_route *r,
		       __u32 *ids, bool *chained)
{
	struct kfaas_chain c;
	__u32 n, i;

	*chained = false;
	if ((r->flags & KFAAS_ROUTE_F_CHAIN) &&
	    !kfaas_chain_get(st, r->chain_id, &c) && c.len <= KFAAS_CHAIN_MAX) {
		*chained = true;
		n = c.len - !!(c.flags & KFAAS_CHAIN_F_VM_END);
		memcpy(ids, c.fn, n * sizeof(*ids));
		return n;
	}
	n = r->nver >= 2 ? r->nver : 1;
	for (i = 0; i < n; i++)
		ids[i] = r->nver >= 2 ? r->ver[i].fn_id : r->fn_id;
	return n;
}

/*
 * What r's functions and their budgets decide of r: the budget flag (any
 * version's or chained function's), and for the XDP tier the guard (on
 * unless every version says it never sends more than it got) and the
 * ratio cap (the highest declared ratio of the versions, or the product
 * of a chain's, or KFAAS_RATIO_DEFAULT, the lower), where r did not
 * choose them.  A function missing from the registry counts as declaring
 * nothing.
 */
int kfaas__route_derive(struct kfaas_state *st, struct kfaas_route *r)
{
	__u32 ids[KFAAS_CHAIN_MAX], said = 0, n, i;
	bool budget = false, chained;

	_Static_assert(KFAAS_CHAIN_MAX >= KFAAS_ROUTE_VERSIONS, "ids[]");
	n = route_fns(st, r, ids, &chained);
	for (i = 0; i < n; i++) {
		struct kfaas_fn_info f;
		__u32 v = kfaas_fn_get(st, ids[i], &f) ? 0 : f.reply_ratio;

		if (!v || (i && !said))
			said = 0;	/* one undeclared: the route's is too */
		else if (chained && i)
			said = (__u32)min_u64((__u64)said * v / 100 ?: 1,
					      100000000);
		else if (v > said)
			said = v;
		budget = budget || has_budget(st, ids[i]);
	}
	r->flags &= ~KFAAS_ROUTE_F_BUDGET;
	if (budget)
		r->flags |= KFAAS_ROUTE_F_BUDGET;
	if (r->tier != KFAAS_TIER_XDP) {
		r->flags &= ~(KFAAS_ROUTE_F_GUARD | KFAAS_ROUTE_F_GUARD_SET |
			      KFAAS_ROUTE_F_RATIO_SET);
		r->max_ratio = 0;
		return 0;
	}
	if (!(r->flags & KFAAS_ROUTE_F_GUARD_SET)) {
		r->flags &= ~KFAAS_ROUTE_F_GUARD;
		if (!said || said > 100)
			r->flags |= KFAAS_ROUTE_F_GUARD;
	}
	if (!(r->flags & KFAAS_ROUTE_F_RATIO_SET))
		r->max_ratio = said && said < KFAAS_RATIO_DEFAULT ? said :
			       KFAAS_RATIO_DEFAULT;
	return 0;
}

int kfaas_route_make(struct kfaas_state *st, const struct kfaas_route_key *key,
		     const char *fn, int tier, const char *fallback, int policy,
		     struct kfaas_route *out)
{
	struct kfaas_fn_info f, fb;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kfaas_fn_find(st, fn, &f);
	if (rc)
		return rc;
	if (tier && tier != f.tier)
		return kfaas_err(-EINVAL, "function '%s' runs in the %s tier, not "
				 "%s: leave the tier out or pick another "
				 "function", fn, kfaas_tier_name(f.tier),
				 kfaas_tier_name(tier));
	if (f.tier == KFAAS_TIER_XDP && key->proto != IPPROTO_UDP)
		return kfaas_err(-EINVAL, "XDP-tier function '%s' serves UDP only: "
				 "use 'route add udp ...'", fn);
	if (f.tier == KFAAS_TIER_SK && key->proto != IPPROTO_TCP)
		return kfaas_err(-EINVAL, "socket-tier function '%s' serves TCP "
				 "only: use 'route add tcp ...'", fn);
	if (fallback) {
		rc = kfaas_fn_find(st, fallback, &fb);
		if (rc)
			return rc;
		if (fb.tier != KFAAS_TIER_VM)
			return kfaas_err(-EINVAL, "fallback '%s' runs in the %s "
					 "tier: a fallback must be a VM-tier "
					 "function", fallback,
					 kfaas_tier_name(fb.tier));
		out->fallback_id = fb.id;
		out->flags |= KFAAS_ROUTE_F_FALLBACK;
	}
	out->fn_id = f.id;
	out->tier = f.tier;
	out->policy = policy >= 0 ? policy : fallback ? KFAAS_POLICY_PASS :
							KFAAS_POLICY_DROP;
	return kfaas__route_derive(st, out);
}

int kfaas_route_opts_set(struct kfaas_state *st, struct kfaas_route *r,
			 const struct kfaas_route_opts *o)
{
	if ((o->guard >= 0 || o->ratio >= 0) && r->tier != KFAAS_TIER_XDP)
		return kfaas_err(-EINVAL, "'guard' and 'ratio' are for routes "
				 "to XDP-tier functions (the dispatcher and the "
				 "SDK enforce them), not the %s tier",
				 kfaas_tier_name(r->tier));
	if (o->loops && r->tier == KFAAS_TIER_SK)
		return kfaas_err(-EINVAL, "'loops' is for UDP routes: TCP has "
				 "a handshake, a loop of replies cannot start");
	r->flags &= ~(KFAAS_ROUTE_F_GUARD | KFAAS_ROUTE_F_GUARD_SET |
		      KFAAS_ROUTE_F_RATIO_SET | KFAAS_ROUTE_F_LOOP_OK);
	if (o->guard >= 0)
		r->flags |= KFAAS_ROUTE_F_GUARD_SET |
			    (o->guard ? KFAAS_ROUTE_F_GUARD : 0);
	if (o->ratio >= 0) {
		r->flags |= KFAAS_ROUTE_F_RATIO_SET;
		r->max_ratio = (__u32)o->ratio;
	}
	if (o->loops)
		r->flags |= KFAAS_ROUTE_F_LOOP_OK;
	return kfaas__route_derive(st, r);
}

void kfaas_route_opts_get(const struct kfaas_route *r, struct kfaas_route_opts *o)
{
	*o = KFAAS_ROUTE_OPTS_AUTO;
	if (r->flags & KFAAS_ROUTE_F_GUARD_SET)
		o->guard = !!(r->flags & KFAAS_ROUTE_F_GUARD);
	if (r->flags & KFAAS_ROUTE_F_RATIO_SET)
		o->ratio = (int)r->max_ratio;
	o->loops = !!(r->flags & KFAAS_ROUTE_F_LOOP_OK);
}

int kfaas_ratio_parse(const char *s, int *out)
{
	unsigned long whole = 0, frac = 0;
	const char *p = s;
	int digits = 0;

	if (!strcmp(s, "any")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p) && whole <= 1000000)
		whole = whole * 10 + (unsigned long)(*p++ - '0');
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 2)
				frac = frac * 10 + (unsigned long)(*p - '0');
			else if (*p != '0')
				goto bad;
		if (digits == 0)
			goto bad;
		if (digits == 1)
			frac *= 10;
	}
	if (*p || whole > 1000000 || whole * 100 + frac == 0)
		goto bad;
	*out = (int)(whole * 100 + frac);
	return 0;
bad:
	return kfaas_err(-EINVAL, "bad ratio '%s': a number of reply bytes per "
			 "request byte above 0 with at most 2 decimals (1, "
			 "2.5), up to 1000000, or 'any' for no cap", s);
}

void kfaas_ratio_str(__u32 v, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "any");
	else if (v % 100 == 0)
		snprintf(buf, len, "%u", v / 100);
	else if (v % 10 == 0)
		snprintf(buf, len, "%u.%u", v / 100, v % 100 / 10);
	else
		snprintf(buf, len, "%u.%02u", v / 100, v % 100);
}

/*
 * The route of key changed in place (the trigger is never without one),
 * then the XDP dispatcher's port index; the caller holds config.busy, so
 * a crash between the two is repaired (repair.c).
 */
static int route_write(struct kfaas_state *st, const struct kfaas_route_key *key,
		       const struct kfaas_route *r)
{
	if (bpf_map_update_elem(st->routes_fd, key, r, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot change the route");
	return kfaas__port_route_put(st, key, r);
}

int kfaas__route_change(struct kfaas_state *st, const struct kfaas_route_key *key,
			const struct kfaas_route *r)
{
	return kfaas__busy_set(st, 1) ?: route_write(st, key, r) ?:
	       kfaas__busy_set(st, 0);
}

int kfaas__routes_refresh(struct kfaas_state *st, __u32 id)
{
	struct kfaas_route_ent *all;
	size_t n, i;
	int rc;

	rc = kfaas_route_list(st, &all, &n);
	if (rc)
		return rc;
	/* the port index follows: busy, a crash between is repaired */
	rc = kfaas__busy_set(st, 1);
	for (i = 0; i < n && !rc; i++) {
		struct kfaas_route r = all[i].val;

		if (!kfaas__route_uses(st, &r, id))
			continue;
		kfaas__route_derive(st, &r);
		if (!memcmp(&r, &all[i].val, sizeof(r)))
			continue;
		rc = route_write(st, &all[i].key, &r);
	}
	free(all);
	return rc ?: kfaas__busy_set(st, 0);
}

int kfaas_route_get(struct kfaas_state *st, const struct kfaas_route_key *key,
		    struct kfaas_route *r)
{
	if (bpf_map_lookup_elem(st->routes_fd, key, r))
		return -errno;
	return 0;
}

int kfaas_route_add(struct kfaas_state *st, const struct kfaas_route_key *key,
		    const struct kfaas_route *r)
{
	struct kfaas_route cur, val;
	bool port_only;
	char k[96];
	int rc;

	kfaas__key_cmdline(key, k, sizeof(k));
	if (kfaas_route_get(st, key, &cur) == 0) {
		struct kfaas_fn_info f;
		char name[KFAAS_NAME_LEN] = "?";

		if (kfaas_fn_get(st, cur.fn_id, &f) == 0)
			snprintf(name, sizeof(name), "%s", f.name);
		return kfaas_err(-EEXIST, "route %s already exists (function "
				 "'%s'): delete it first with 'kfaas route del "
				 "%s'", k, name, k);
	}
	if (key->family) {
		rc = addr_routes_set(st, 1);
		if (rc)
			return rc;
	}
	if (key->proto == IPPROTO_UDP) {
		/* a request from this port would be answered by the route */
		rc = kfaas__loop_port_add(st, ntohs(key->port));
		if (rc)
			return rc;
	}
	val = *r;
	val.flags &= ~KFAAS_ROUTE_F_ADDRS;
	kfaas__route_derive(st, &val);	/* the budget flag as it is now */
	/*
	 * The XDP dispatcher's port index (port_routes.c): an address route
	 * flags its port first (a flag without routes costs a lookup, no
	 * more); a port-only route goes in after, under config.busy.
	 */
	port_only = key->proto == IPPROTO_UDP && !key->family;
	rc = port_only ? kfaas__busy_set(st, 1) :
	     kfaas__port_route_put(st, key, &val);
	if (rc)
		return rc;
	if (bpf_map_update_elem(st->routes_fd, key, &val, BPF_NOEXIST)) {
		rc = -errno;
		if (port_only)
			kfaas__busy_set(st, 0);
		if (rc == -EEXIST)
			return kfaas_err(rc, "route %s already exists: delete it "
					 "first with 'kfaas route del %s'", k, k);
		if (rc == -E2BIG || rc == -ENOMEM)
			return kfaas_err(rc, "the route table is full (%d "
					 "routes): delete unused routes",
					 KFAAS_MAX_ROUTES);
		return kfaas__errno_msg(rc, "cannot add the route");
	}
	if (!port_only)
		return 0;
	return kfaas__port_route_put(st, key, &val) ?: kfaas__busy_set(st, 0);
}

/*
 * A chain route goes with its chain element, under config.busy: a crash
 * between the two leaves busy set, and the next writer's repair deletes
 * the element no route names (kfaas_state_repair()).
 */
int kfaas_route_del(struct kfaas_state *st, const struct kfaas_route_key *key)
{
	struct kfaas_route cur;
	bool mine;
	int rc;

	if (kfaas_route_get(st, key, &cur) || !(cur.flags & KFAAS_ROUTE_F_CHAIN))
		return kfaas__route_del(st, key, true);
	rc = kfaas__busy_enter(st, &mine);
	if (rc)
		return rc;
	rc = kfaas__route_del(st, key, true);
	if (!rc) {
		kfaas__crash_point("route-del-chain");
		kfaas__chain_del(st, &cur);
	}
	return kfaas__busy_leave(st, mine, rc);
}

int kfaas__route_del(struct kfaas_state *st, const struct kfaas_route_key *key,
		     bool loops)
{
	bool port_only = key->proto == IPPROTO_UDP && !key->family;
	bool port_addrs = false;
	struct kfaas_route_ent *all;
	struct kfaas_route cur;
	size_t n, i;
	char k[96];
	__u32 addr = 0;
	int rc;

	kfaas__key_cmdline(key, k, sizeof(k));
	if (kfaas_route_get(st, key, &cur))
		return kfaas_err(-ENOENT, "no route %s: 'kfaas route list' "
				 "shows the routes", k);
	/* out of the XDP dispatcher's port index first, under busy */
	if (port_only) {
		rc = kfaas__busy_set(st, 1) ?:
		     kfaas__port_route_put(st, key, NULL);
		if (rc)
			return rc;
	}
	if (bpf_map_delete_elem(st->routes_fd, key)) {
		rc = -errno;
		if (rc == -ENOENT)
			return kfaas_err(rc, "no route %s: 'kfaas route list' "
					 "shows the routes", k);
		/* busy stays set: the next writer puts the index back */
		return kfaas__errno_msg(rc, "cannot delete the route");
	}
	if (port_only) {
		rc = kfaas__busy_set(st, 0);
		if (rc)
			return rc;
	}
	if (loops && key->proto == IPPROTO_UDP) {
		rc = kfaas__loop_ports_sync(st);
		if (rc)
			return rc;
	}
	if (!key->family)
		return 0;
	rc = kfaas_route_list(st, &all, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (!all[i].key.family)
			continue;
		addr = 1;
		if (all[i].key.proto == key->proto &&
		    all[i].key.port == key->port)
			port_addrs = true;
	}
	free(all);
	rc = addr_routes_set(st, addr);
	if (rc || port_addrs || key->proto != IPPROTO_UDP)
		return rc;
	return kfaas__port_addrs_clear(st, ntohs(key->port));
}

static int cmp_route(const void *a, const void *b)
{
	const struct kfaas_route_key *x = &((const struct kfaas_route_ent *)a)->key;
	const struct kfaas_route_key *y = &((const struct kfaas_route_ent *)b)->key;

	if (x->proto != y->proto)
		return x->proto < y->proto ? 1 : -1;	/* udp first */
	if (x->port != y->port)
		return ntohs(x->port) < ntohs(y->port) ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's, for an op a map does not have */
#endif

/*
 * Every route in BPF_MAP_LOOKUP_BATCH calls of up to cap entries (one
 * for a table of a few thousand), instead of two syscalls a route: kfaasd
 * lists the routes on every refresh and an apply several times.  -EINVAL
 * or -ENOTSUPP: the kernel has no batch lookup for the map.
 */
static int batch_room(struct kfaas_route_key **keys, struct kfaas_route **vals,
		      size_t *cap)
{
	size_t c = *cap ? *cap * 2 : 4096;
	void *k = realloc(*keys, c * sizeof(**keys)), *v;

	if (k)
		*keys = k;
	v = realloc(*vals, c * sizeof(**vals));
	if (v)
		*vals = v;
	if (!k || !v)
		return kfaas_err(-ENOMEM, "out of memory");
	*cap = c;
	return 0;
}

static int route_list_batch(struct kfaas_state *st, struct kfaas_route_ent **out,
			    size_t *n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct kfaas_route_key *keys = NULL;
	struct kfaas_route *vals = NULL;
	struct kfaas_route_ent *arr;
	size_t cap = 0, cnt = 0, i;
	bool more = true, grow = true;
	__u32 token, count;
	void *in = NULL;
	int rc = 0;

	while (more && !rc) {
		if (grow || cap - cnt < 512) {
			rc = batch_room(&keys, &vals, &cap);
			grow = false;
			continue;
		}
		count = (__u32)(cap - cnt);
		if (bpf_map_lookup_batch(st->routes_fd, in, &token, keys + cnt,
					 vals + cnt, &count, &o) == 0) {
			cnt += count;
			in = &token;
		} else if (errno == ENOENT) {		/* the last batch */
			cnt += count;
			more = false;
		} else if (errno == ENOSPC) {	/* a bucket bigger than the room */
			grow = true;
		} else {
			rc = -errno;
			if (rc != -EINVAL && rc != -ENOTSUPP && rc != -EOPNOTSUPP)
				rc = kfaas__errno_msg(rc, "cannot read the route table");
		}
	}
	arr = rc ? NULL : malloc((cnt ? cnt : 1) * sizeof(*arr));
	if (!rc && !arr)
		rc = kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; !rc && i < cnt; i++) {
		arr[i].key = keys[i];
		arr[i].val = vals[i];
	}
	free(keys);
	free(vals);
	if (rc)
		return rc;
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_route);
	*out = arr;
	*n = cnt;
	return 0;
}

int kfaas_route_list(struct kfaas_state *st, struct kfaas_route_ent **out, size_t *n)
{
	struct kfaas_route_ent *arr = NULL, *tmp;
	struct kfaas_route_key key, next;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;
	int rc = route_list_batch(st, out, n);

	if (rc != -EINVAL && rc != -ENOTSUPP && rc != -EOPNOTSUPP)
		return rc;
	while (bpf_map_get_next_key(st->routes_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				free(arr);
				return kfaas_err(-ENOMEM, "out of memory");
			}
			arr = tmp;
		}
		arr[cnt].key = key;
		if (bpf_map_lookup_elem(st->routes_fd, &key, &arr[cnt].val) == 0)
			cnt++;
	}
	if (errno != ENOENT) {
		free(arr);
		return kfaas__errno_msg(-errno, "cannot read the route table");
	}
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_route);
	*out = arr;
	*n = cnt;
	return 0;
}

const struct kfaas_route_ent *kfaas__route_in(const struct kfaas_route_ent *all,
					      size_t n, const struct kfaas_route_key *key)
{
	struct kfaas_route_ent k = { .key = *key };

	return n ? bsearch(&k, all, n, sizeof(*all), cmp_route) : NULL;
}

bool kfaas__route_match(const struct kfaas_route_ent *r,
			const struct kfaas_route_filter *f)
{
	const struct kfaas_route_key *k = &r->key;

	if (k->proto != f->proto || (f->fn_id && !kfaas_route_serves(&r->val, f->fn_id)) ||
	    (f->tier && r->val.tier != f->tier) ||
	    (f->port && ntohs(k->port) != f->port))
		return false;
	return !(f->port && f->family && k->family &&
		 (k->family != f->family || memcmp(k->addr, f->addr, 16)));
}

int kfaas__route_first(struct kfaas_state *st, const struct kfaas_route_filter *f,
		       struct kfaas_route_ent *out)
{
	struct kfaas_route_ent *r;
	size_t n, i;
	int rc;

	rc = kfaas_route_list(st, &r, &n);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (i = 0; i < n && rc; i++) {
		if (kfaas__route_match(&r[i], f)) {
			*out = r[i];
			rc = 0;
		}
	}
	free(r);
	return rc;
}
