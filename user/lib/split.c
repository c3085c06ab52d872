// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic split: a route's versions and their weights (struct kfaas_route,
 * include/kfaas/abi.h; the pick: include/kfaas/split.h).  Every version
 * must be loaded and run in the route's tier; a weight of 0 takes a
 * version out of the route.  A change of weights is one update of the
 * route's value: a dispatcher sees the old split or the new one, never a
 * mix.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include <kfaas/split.h>
#include "internal.h"

int kfaas_weight_parse(const char *s, __u32 *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v > KFAAS_WEIGHT_MAX)
		return kfaas_err(-EINVAL, "bad weight '%s': use a whole number "
				 "from 0 to %d (0 takes the version out of the "
				 "route)", s, KFAAS_WEIGHT_MAX);
	*out = (__u32)v;
	return 0;
}

/* The version named name, checked for r: its id. */
static int version_find(struct kfaas_state *st, const struct kfaas_route *r,
			const char *name, __u32 *id)
{
	struct kfaas_fn_info f;

	if (kfaas_fn_find(st, name, &f))
		return kfaas_err(-ENOENT, "version '%s' is not loaded: load it "
				 "first ('kfaas fn load FILE %s'; 'kfaas fn "
				 "list' shows the loaded ones)", name, name);
	if (f.tier != r->tier)
		return kfaas_err(-EINVAL, "version '%s' runs in the %s tier and "
				 "the route in the %s tier: the versions of a "
				 "route share its tier", name,
				 kfaas_tier_name(f.tier),
				 kfaas_tier_name(r->tier));
	*id = f.id;
	return 0;
}

int kfaas_route_versions_set(struct kfaas_state *st, struct kfaas_route *r,
			     const char *const *names, const __u32 *weights,
			     size_t n)
{
	struct kfaas_route v = *r;
	__u64 total = 0;
	size_t i, j;
	int rc;

	if (n == 0 || n > KFAAS_ROUTE_VERSIONS)
		return kfaas_err(-EINVAL, "a route has 1 to %d versions, not "
				 "%zu", KFAAS_ROUTE_VERSIONS, n);
	v.nver = 0;
	memset(v.ver, 0, sizeof(v.ver));
	for (i = 0; i < n; i++) {
		__u32 id = 0;

		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return kfaas_err(-EINVAL, "version '%s' is named "
						 "twice: give each version once",
						 names[i]);
		if (weights[i] > KFAAS_WEIGHT_MAX)
			return kfaas_err(-EINVAL, "weight %u of '%s' is over %d",
					 weights[i], names[i], KFAAS_WEIGHT_MAX);
		rc = version_find(st, r, names[i], &id);
		if (rc)
			return rc;
		if (!weights[i])
			continue;
		v.ver[v.nver].fn_id = id;
		v.ver[v.nver].weight = weights[i];
		v.nver++;
		total += weights[i];
	}
	if (!v.nver)
		return kfaas_err(-EINVAL, "every weight is 0: a route needs a "
				 "version with weight (or 'kfaas route del' it)");
	v.fn_id = v.ver[0].fn_id;
	v.total = (__u32)total;
	if (v.nver == 1) {
		v.nver = 0;
		v.total = 0;
		memset(v.ver, 0, sizeof(v.ver));
	}
	rc = kfaas__route_derive(st, &v);
	if (rc)
		return rc;
	*r = v;
	return 0;
}

int kfaas_route_weights_set(struct kfaas_state *st,
			    const struct kfaas_route_key *key,
			    const char *const *names, const __u32 *weights,
			    size_t n)
{
	struct kfaas_route r;
	char k[96];
	int rc;

	kfaas__key_cmdline(key, k, sizeof(k));
	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	if (kfaas_route_get(st, key, &r))
		return kfaas_err(-ENOENT, "no route %s: add it with 'kfaas route "
				 "add %s fn NAME ...'", k, k);
	rc = kfaas_route_versions_set(st, &r, names, weights, n);
	if (rc)
		return rc;
	/* the one update: the old split or the new, never a mix */
	return kfaas__route_change(st, key, &r);
}

int kfaas_route_weight_of(const struct kfaas_route *r, __u32 id)
{
	__u32 i;

	if (r->nver < 2)
		return r->fn_id == id ? -1 : 0;
	for (i = 0; i < r->nver && i < KFAAS_ROUTE_VERSIONS; i++)
		if (r->ver[i].fn_id == id)
			return (int)r->ver[i].weight;
	return 0;
}
