/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reflection and loop defences of the XDP tier (docs/reliability.md,
 * "Reflection and amplification").  An XDP reply goes to whatever source
 * a request claims, so:
 *
 *   loop ports    a request from a UDP source port whose reply would be a
 *                 request to a kfaas route or a well-known UDP service
 *                 (kfaas_loop_ports) is dropped, unless the route allows
 *                 it (KFAAS_ROUTE_F_LOOP_OK): two echoes never ping-pong
 *   prefix guard  routes with KFAAS_ROUTE_F_GUARD admit at most the
 *                 configured rate (and burst) per function and source
 *                 prefix (/24 and /56 by default): a spoofed flood gets
 *                 at most that many replies sent to its victim
 *   ratio cap     the SDK drops a reply larger than the route's
 *                 max_ratio times the request (bpf/kfaas.h)
 *
 * kfaas invoke's test frames carry the pin root's invoke token in their
 * XDP metadata: they never reach a network, so the loop and prefix checks
 * let them through (its --repeat runs are their own replies' requests).
 * Every refusal is counted in kfaas_dstats and, per function, in
 * kfaas_guard_stats.
 */
#ifndef KFAAS_GUARD_H
#define KFAAS_GUARD_H

#include "kfaas_maps.h"
#include "kfaas_parse.h"

/* Count a refusal of fn's (dstat: KFAAS_DSTAT_LOOP, _GUARD or _RATIO). */
static __always_inline void kfaas_refused(__u32 fn, __u32 dstat)
{
	struct kfaas_guard_stats *g = bpf_map_lookup_elem(&kfaas_guard_stats, &fn);

	kfaas_dstat_inc(dstat);
	if (!g)
		return;
	if (dstat == KFAAS_DSTAT_LOOP)
		g->loop += 1;
	else if (dstat == KFAAS_DSTAT_GUARD)
		g->guard += 1;
	else
		g->ratio += 1;
}

/* Does the frame carry kfaas invoke's token in its metadata? */
static __always_inline int kfaas_invoked(struct xdp_md *ctx,
					 const struct kfaas_globals *cfg)
{
	__u64 *tok = kfaas_data_meta(ctx);

	if ((void *)(tok + 1) > kfaas_data(ctx))
		return 0;
	return cfg->invoke_token && *tok == cfg->invoke_token;
}

/* Must a request from UDP source port sport (host order) go unanswered? */
static __always_inline int kfaas_loop_refused(struct xdp_md *ctx,
					      const struct kfaas_globals *cfg,
					      __u16 sport)
{
	__u32 w = sport >> 6;
	__u64 *bits = bpf_map_lookup_elem(&kfaas_loop_ports, &w);

	return bits && ((*bits >> (sport & 63)) & 1) && !kfaas_invoked(ctx, cfg);
}

/*
 * One request of fn from the source of the frame (IP header at l3_off):
 * 1 when its source prefix's bucket has a token (taken), else 0.  A
 * global function, verified once (its compare-and-swap loop).
 */
__attribute__((noinline))
int kfaas_guard_admit(struct xdp_md *ctx, __u32 fn, __u32 family, __u32 l3_off)
{
	struct kfaas_guard_key key = { .fn_id = fn, .family = (__u8)family };
	const struct kfaas_globals *cfg = kfaas_globals();
	struct kfaas_tat full = {}, *b;
	void *data, *end;
	__u32 off = l3_off & 0x3f;	/* Ethernet and two VLAN tags */
	__be32 a[4];
	int i;

	if (!ctx || !cfg)
		return 0;
	if (kfaas_invoked(ctx, cfg))
		return 1;
	data = kfaas_data(ctx);
	end = kfaas_data_end(ctx);
	if (family == KFAAS_FAMILY_IPV4) {
		struct iphdr *iph = data + off;

		if ((void *)(iph + 1) > end)
			return 0;
		a[0] = iph->saddr & cfg->guard_mask4;
		__builtin_memcpy(key.prefix, a, 4);
	} else {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > end)
			return 0;
		__builtin_memcpy(a, &ip6->saddr, 16);
#pragma unroll
		for (i = 0; i < 4; i++)
			a[i] &= cfg->guard_mask6[i];
		__builtin_memcpy(key.prefix, a, 16);
	}
	b = bpf_map_lookup_elem(&kfaas_guard, &key);
	if (!b) {
		/* a new prefix: a full bucket (LRU: never full itself) */
		bpf_map_update_elem(&kfaas_guard, &key, &full, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&kfaas_guard, &key);
		if (!b)
			return 0;
	}
	return kfaas_gcra_take(b, bpf_ktime_get_ns(), cfg->guard_cost,
			       cfg->guard_tau);
}

#endif /* KFAAS_GUARD_H */
