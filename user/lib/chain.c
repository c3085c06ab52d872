// SPDX-License-Identifier: GPL-2.0
/*
 * Function chains (struct kfaas_chain, include/kfaas/abi.h; the SDK's
 * side: bpf/kfaas_chain.h): a route runs up to KFAAS_CHAIN_MAX functions
 * one after the other.  The chain is one element of the pinned map
 * kfaas_chains, named by the route (KFAAS_ROUTE_F_CHAIN, chain_id): its
 * first function is the route's fn_id, a VM-tier end its fallback.
 * Replacing a chain is one update of that element: the dispatcher copies
 * a chain whole when a request arrives, so a request runs the old chain
 * or the new one from its first hop to its last, never a mix.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include <kfaas/split.h>
#include "internal.h"

int kfaas_chain_parse(const char *list, char names[][KFAAS_NAME_LEN], size_t *n)
{
	const char *p = list, *c;
	size_t len;

	*n = 0;
	if (!*list)
		return kfaas_err(-EINVAL, "the chain is empty: name its "
				 "functions in order, 'chain f1,f2,f3'");
	for (;;) {
		c = strchr(p, ',');
		len = c ? (size_t)(c - p) : strlen(p);
		if (!len)
			return kfaas_err(-EINVAL, "chain '%s' has an empty name: "
					 "separate the functions with one comma, "
					 "'chain f1,f2,f3'", list);
		if (*n == KFAAS_CHAIN_MAX)
			return kfaas_err(-E2BIG, "chain '%s' is too long: a chain "
					 "has at most %d functions", list,
					 KFAAS_CHAIN_MAX);
		if (len >= KFAAS_NAME_LEN)
			return kfaas_err(-EINVAL, "chain '%s': a function name has "
					 "at most %d characters", list,
					 KFAAS_NAME_LEN - 1);
		memcpy(names[*n], p, len);
		names[*n][len] = '\0';
		(*n)++;
		if (!c)
			return 0;
		p = c + 1;
	}
}

int kfaas_chain_make(struct kfaas_state *st, const char *const *names, size_t n,
		     struct kfaas_chain *out)
{
	struct kfaas_fn_info f;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n < 2 || n > KFAAS_CHAIN_MAX)
		return kfaas_err(n > KFAAS_CHAIN_MAX ? -E2BIG : -EINVAL,
				 "a chain has 2 to %d functions, not %zu%s",
				 KFAAS_CHAIN_MAX, n, n == 1 ?
				 ": route to one function with 'fn NAME'" : "");
	for (i = 0; i < n; i++) {
		if (kfaas_fn_find(st, names[i], &f))
			return kfaas_err(-ENOENT, "chain function '%s' is not "
					 "loaded: load it first ('kfaas fn list' "
					 "shows the loaded ones)", names[i]);
		if (f.tier == KFAAS_TIER_VM && i == n - 1) {
			out->flags |= KFAAS_CHAIN_F_VM_END;
		} else if (f.tier != KFAAS_TIER_XDP) {
			return kfaas_err(-EINVAL, "chain function '%s' runs in the "
					 "%s tier: a chain is XDP-tier functions, "
					 "and may end in one VM-tier function "
					 "(last)", names[i],
					 kfaas_tier_name(f.tier));
		}
		out->fn[i] = f.id;
	}
	out->len = (__u32)n;
	return 0;
}

int kfaas_chain_get(struct kfaas_state *st, __u32 id, struct kfaas_chain *c)
{
	if (bpf_map_lookup_elem(st->chains_fd, &id, c))
		return kfaas__errno_msg(-errno, "cannot read a chain");
	return 0;
}

__u32 kfaas_chain_place(struct kfaas_state *st, const struct kfaas_route *r,
			__u32 id, __u32 *len)
{
	struct kfaas_chain c;
	__u32 i;

	*len = 0;
	if (!(r->flags & KFAAS_ROUTE_F_CHAIN) ||
	    bpf_map_lookup_elem(st->chains_fd, &r->chain_id, &c))
		return 0;
	*len = c.len;
	for (i = 0; i < c.len && i < KFAAS_CHAIN_MAX; i++)
		if (c.fn[i] == id)
			return i + 1;
	return 0;
}

bool kfaas__route_uses(struct kfaas_state *st, const struct kfaas_route *r,
		       __u32 id)
{
	__u32 len;

	return kfaas_route_serves(r, id) ||
	       ((r->flags & KFAAS_ROUTE_F_FALLBACK) && r->fallback_id == id) ||
	       kfaas_chain_place(st, r, id, &len);
}

/* r runs chain c (id 0 until it is written): first function, VM end. */
static void route_of_chain(struct kfaas_route *r, const struct kfaas_chain *c)
{
	r->fn_id = c->fn[0];
	r->tier = KFAAS_TIER_XDP;
	r->nver = 0;
	r->total = 0;
	memset(r->ver, 0, sizeof(r->ver));
	r->flags |= KFAAS_ROUTE_F_CHAIN;
	r->flags &= ~KFAAS_ROUTE_F_FALLBACK;
	r->fallback_id = 0;
	if (c->flags & KFAAS_CHAIN_F_VM_END) {
		r->flags |= KFAAS_ROUTE_F_FALLBACK;
		r->fallback_id = c->fn[c->len - 1];
	}
}

/*
 * A chain ending at the VM tier takes policy drop: what a hop over its
 * budget passes up would reach kfaasd on the route's port, which would
 * run the VM-tier end on a request its XDP links did not finish (the
 * first one's refusal: the raw request, past every link).
 */
static int vm_end_pass_err(void)
{
	return kfaas_err(-EINVAL, "a chain ending in a VM-tier function takes "
			 "'policy drop': a request over a link's budget passed "
			 "up would reach the VM-tier function without the links "
			 "before it (leave the policy out, or end the chain in "
			 "an XDP-tier function)");
}

int kfaas_route_chain_set(struct kfaas_state *st, struct kfaas_route *r,
			  const struct kfaas_chain *c)
{
	if (r->flags & KFAAS_ROUTE_F_FALLBACK)
		return kfaas_err(-EINVAL, "a chain route has no 'fallback': end "
				 "the chain with the VM-tier function instead "
				 "('chain f1,f2,VMFN')");
	if (r->nver >= 2)
		return kfaas_err(-EINVAL, "a route runs a chain or splits its "
				 "traffic between versions, not both");
	if (r->policy == KFAAS_POLICY_PASS && (c->flags & KFAAS_CHAIN_F_VM_END))
		return vm_end_pass_err();
	route_of_chain(r, c);
	r->chain_id = 0;
	return 0;
}

/* The lowest chain id free in kfaas_chains. */
static int chain_id_new(struct kfaas_state *st, __u32 *out)
{
	struct kfaas_chain c;
	__u32 id;

	for (id = 1; id < KFAAS_MAX_CHAINS; id++) {
		if (bpf_map_lookup_elem(st->chains_fd, &id, &c)) {
			if (errno != ENOENT)
				return kfaas__errno_msg(-errno, "cannot read the "
							"chains");
			*out = id;
			return 0;
		}
	}
	return kfaas_err(-ENOSPC, "every chain id is taken (%d chains): delete "
			 "unused chain routes", KFAAS_MAX_CHAINS - 1);
}

int kfaas__chain_add(struct kfaas_state *st, struct kfaas_route *r,
		     const struct kfaas_chain *c)
{
	int rc = chain_id_new(st, &r->chain_id);

	if (rc)
		return rc;
	if (bpf_map_update_elem(st->chains_fd, &r->chain_id, c, BPF_NOEXIST))
		return kfaas__errno_msg(-errno, "cannot add the chain");
	return 0;
}

void kfaas__chain_del(struct kfaas_state *st, const struct kfaas_route *r)
{
	if (r->flags & KFAAS_ROUTE_F_CHAIN)
		bpf_map_delete_elem(st->chains_fd, &r->chain_id);
}


int kfaas_route_chain_replace(struct kfaas_state *st,
			      const struct kfaas_route_key *key,
			      const struct kfaas_chain *c)
{
	struct kfaas_route r, old;
	bool vm_first;
	char k[96];
	int rc;

	kfaas__key_cmdline(key, k, sizeof(k));
	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	if (kfaas_route_get(st, key, &old))
		return kfaas_err(-ENOENT, "no route %s: add it with 'kfaas route "
				 "add %s chain f1,f2,...'", k, k);
	if (!(old.flags & KFAAS_ROUTE_F_CHAIN))
		return kfaas_err(-EINVAL, "route %s runs no chain: delete it and "
				 "add it with 'chain f1,f2,...'", k);
	if (old.policy == KFAAS_POLICY_PASS && (c->flags & KFAAS_CHAIN_F_VM_END))
		return vm_end_pass_err();
	r = old;
	route_of_chain(&r, c);
	rc = kfaas__route_derive(st, &r);
	if (rc)
		return rc;
	/*
	 * kfaasd must listen before a request can reach a new VM-tier end:
	 * the route (its fallback) first then; else the chain first.
	 */
	vm_first = (c->flags & KFAAS_CHAIN_F_VM_END) &&
		   memcmp(&r, &old, sizeof(r));
	if (vm_first && (rc = kfaas__route_change(st, key, &r)))
		return rc;
	/* the one update: the old chain or the new, never a mix */
	if (bpf_map_update_elem(st->chains_fd, &r.chain_id, c, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot replace the chain");
	if (!vm_first && memcmp(&r, &old, sizeof(r)))
		return kfaas__route_change(st, key, &r);
	return 0;
}

int kfaas_route_add_chain(struct kfaas_state *st, const struct kfaas_route_key *key,
			  const struct kfaas_route *r, const struct kfaas_chain *c)
{
	struct kfaas_route v = *r;
	bool mine;
	int rc;

	if (key->proto != IPPROTO_UDP)
		return kfaas_err(-EINVAL, "a chain runs XDP-tier functions, "
				 "which serve UDP only: use 'route add udp ...'");
	/*
	 * The chain first: the route names it from its first request on.
	 * Both under config.busy: after a crash between them the next
	 * writer's repair deletes the chain no route names.
	 */
	rc = kfaas__busy_enter(st, &mine);
	if (rc)
		return rc;
	rc = kfaas__chain_add(st, &v, c);
	if (!rc) {
		kfaas__crash_point("route-add-chain");
		rc = kfaas_route_add(st, key, &v);
		if (rc)
			kfaas__chain_del(st, &v);
	}
	return kfaas__busy_leave(st, mine, rc);
}

int kfaas_chains_gc(struct kfaas_state *st)
{
	struct kfaas_route_ent *r;
	__u32 id, next, *used;
	size_t n, i, nu = 0;
	bool keep;
	int rc;

	/* no chain at all: nothing to read the routes for */
	if (bpf_map_get_next_key(st->chains_fd, NULL, &next))
		return 0;
	rc = kfaas_route_list(st, &r, &n);
	if (rc)
		return rc;
	used = calloc(n + 1, sizeof(*used));
	if (!used) {
		free(r);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (r[i].val.flags & KFAAS_ROUTE_F_CHAIN)
			used[nu++] = r[i].val.chain_id;
	free(r);
	/* deleting the key just read: start over from the first */
	for (id = 0; bpf_map_get_next_key(st->chains_fd, id ? &id : NULL,
					  &next) == 0; ) {
		for (i = 0, keep = false; i < nu && !keep; i++)
			keep = used[i] == next;
		if (!keep && bpf_map_delete_elem(st->chains_fd, &next) == 0)
			continue;
		id = next;
	}
	free(used);
	return 0;
}
