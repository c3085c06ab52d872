// SPDX-License-Identifier: GPL-2.0
/*
 * EXPERIMENT (kfaas-bench dispatch, variant dispatch_lean): the dispatcher
 * of bpf/dispatcher.bpf.c with two changes proposed to cut its cost:
 *   1. kfaas_config is looked up once per frame, not twice;
 *   2. no per-frame counter on the dispatched path: RX and DISPATCHED
 *      are the two per-CPU increments every answered request pays; the
 *      functions' own invocation counters already count dispatched
 *      frames, and RX is the sum of the outcome counters.
 * Everything else is unchanged.  Not used by kfaas itself.
 *
 * The XDP dispatcher: one program attached to every kfaas interface.
 *
 * Parses the frame down to UDP, looks the trigger up in the route table
 * (exact destination address first when such routes exist, then the
 * wildcard route for the port) and tail-calls the XDP-tier function that
 * serves it.  Every frame it does not answer is passed up the stack
 * unchanged: no route, a route to another tier (the socket tier and kfaasd
 * take it from there), or anything malformed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_maps.h"
#include "kfaas_parse.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void dstat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kfaas_dstats, &idx);

	if (v)
		*v += 1;
}

static __always_inline const struct kfaas_route *
route_lookup(const struct kfaas_pkt *pkt, const struct kfaas_globals *cfg)
{
	struct kfaas_route_key key = {
		.proto = pkt->proto,
		.port = pkt->dport,
	};
	const struct kfaas_route *r;

	if (cfg && cfg->addr_routes) {
		key.family = pkt->family;
		__builtin_memcpy(key.addr, pkt->daddr, sizeof(key.addr));
		r = bpf_map_lookup_elem(&kfaas_routes, &key);
		if (r)
			return r;
		key.family = KFAAS_FAMILY_ANY;
		__builtin_memset(key.addr, 0, sizeof(key.addr));
	}
	return bpf_map_lookup_elem(&kfaas_routes, &key);
}

SEC("xdp")
int kfaas_dispatch(struct xdp_md *ctx)
{
	const struct kfaas_route *r;
	struct kfaas_scratch *sc;
	struct kfaas_globals *cfg;
	struct kfaas_stats *st;
	struct kfaas_pkt pkt;
	__u32 zero = 0, fn;
	int rc;

	rc = kfaas_parse(ctx, &pkt);
	switch (rc) {
	case KFAAS_PARSE_OK:
		break;
	case KFAAS_PARSE_MALFORMED:
		dstat_inc(KFAAS_DSTAT_MALFORMED);
		return XDP_PASS;
	case KFAAS_PARSE_FRAGMENT:
		dstat_inc(KFAAS_DSTAT_FRAGMENT);
		return XDP_PASS;
	case KFAAS_PARSE_MULTICAST:
		dstat_inc(KFAAS_DSTAT_MULTICAST);
		return XDP_PASS;
	default:
		dstat_inc(KFAAS_DSTAT_NOT_UDP);
		return XDP_PASS;
	}

	cfg = bpf_map_lookup_elem(&kfaas_config, &zero);
	r = route_lookup(&pkt, cfg);
	if (!r) {
		dstat_inc(KFAAS_DSTAT_NO_ROUTE);
		return XDP_PASS;
	}
	if (r->tier != KFAAS_TIER_XDP) {
		dstat_inc(KFAAS_DSTAT_OTHER_TIER);
		return XDP_PASS;
	}
	fn = r->fn_id;

	sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	if (!sc)
		return XDP_PASS;
	sc->fn_id = fn;
	sc->fallback_id = r->fallback_id;
	sc->policy = r->policy;
	sc->l3_off = pkt.l3_off;
	sc->l4_off = pkt.l4_off;
	sc->payload_off = pkt.payload_off;
	sc->payload_len = pkt.payload_len;
	sc->family = pkt.family;
	sc->time_shift = cfg ? cfg->time_shift : 0;
	sc->valid = 1;

	bpf_tail_call(ctx, &kfaas_progs, fn);

	/* no program in the slot: the function is being (un)loaded */
	sc->valid = 0;
	dstat_inc(KFAAS_DSTAT_TAILCALL_FAIL);
	st = bpf_map_lookup_elem(&kfaas_stats, &fn);
	if (st)
		st->errors += 1;
	return XDP_PASS;
}
