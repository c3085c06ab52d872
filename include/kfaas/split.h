/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * Traffic split: which version of a route (struct kfaas_route, abi.h)
 * serves a request, from a 32-bit number h that is uniform over requests.
 * The one implementation, compiled by the BPF dispatchers (h: a hash of
 * the flow, bpf/kfaas_split.h, or of the connection) and by kfaasd (h:
 * random, per request).
 *
 * h is scaled to [0, total) by a multiply and shift (no division, no
 * modulo bias beyond 2^-32 per unit of weight) and the versions' weights
 * are laid end to end in their order: with the total unchanged, moving
 * weight from one version to the next moves only the requests whose h
 * falls in the weight moved.
 */
#ifndef KFAAS_SPLIT_H
#define KFAAS_SPLIT_H

#include <kfaas/abi.h>

static inline __u32 kfaas_route_pick(const struct kfaas_route *r, __u32 h)
{
	__u32 x, i;

	if (r->nver < 2 || !r->total)
		return r->fn_id;
	x = (__u32)(((__u64)h * r->total) >> 32);
	for (i = 0; i < KFAAS_ROUTE_VERSIONS; i++) {
		if (i >= r->nver)
			break;
		if (x < r->ver[i].weight)
			return r->ver[i].fn_id;
		x -= r->ver[i].weight;
	}
	return r->fn_id;
}

/* Does r send requests to function id (one of its versions, or fn_id)? */
static inline int kfaas_route_serves(const struct kfaas_route *r, __u32 id)
{
	__u32 i;

	if (r->fn_id == id)
		return 1;
	for (i = 0; i < KFAAS_ROUTE_VERSIONS && i < r->nver; i++)
		if (r->ver[i].fn_id == id)
			return 1;
	return 0;
}

/* A 32-bit finaliser (MurmurHash3's fmix32): every input bit flips
 * every output bit with probability about 1/2. */
static inline __u32 kfaas_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

#endif /* KFAAS_SPLIT_H */
