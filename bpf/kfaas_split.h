/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic split in the XDP dispatcher: the version of a route that serves
 * a frame, by a hash of its flow (source and destination address and
 * port), so every request of a flow goes to the same version for as long
 * as the weights stay (include/kfaas/split.h says which requests move
 * when they change).  A route with one function costs one test.  Self
 * contained: one call after the route lookup,
 *
 *	fn = kfaas_route_fn(ctx, &pkt, r);
 */
#ifndef KFAAS_SPLIT_BPF_H
#define KFAAS_SPLIT_BPF_H

#include "kfaas_parse.h"
#include <kfaas/split.h>

/* The flow's hash: its source address and port, destination address and
 * port (the protocol is the route's: UDP). */
static __always_inline __u32 kfaas_flow_hash(struct xdp_md *ctx,
					      const struct kfaas_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 h = kfaas_mix32(((__u32)pkt->sport << 16) ^ pkt->dport), w[4] = {};
	__u32 off = pkt->l3_off & 0x1ff, i, n = 1;
	__u8 *src;

	if (pkt->family == KFAAS_FAMILY_IPV6) {
		src = data + off + 8;	/* ipv6hdr.saddr */
		n = 4;
		if ((void *)(src + 16) > end)
			return h;
		__builtin_memcpy(w, src, 16);
	} else {
		src = data + off + 12;	/* iphdr.saddr */
		if ((void *)(src + 4) > end)
			return h;
		__builtin_memcpy(w, src, 4);
	}
	for (i = 0; i < 4; i++)
		if (i < n)
			h = kfaas_mix32(h ^ w[i]);
	__builtin_memcpy(w, pkt->daddr, 16);
	for (i = 0; i < 4; i++)
		if (i < n)
			h = kfaas_mix32(h ^ w[i]);
	return h;
}

/* The function of route r that serves the frame. */
static __always_inline __u32 kfaas_route_fn(struct xdp_md *ctx,
					    const struct kfaas_pkt *pkt,
					    const struct kfaas_route *r)
{
	if (r->nver < 2)
		return r->fn_id;
	return kfaas_route_pick(r, kfaas_flow_hash(ctx, pkt));
}

#endif /* KFAAS_SPLIT_BPF_H */
