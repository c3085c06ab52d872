// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP dispatcher: one program attached to every kfaas interface.
 *
 * Parses the frame down to UDP, looks the trigger up in the route table
 * (exact destination address first when such routes exist, then the
 * wildcard route for the port) and tail-calls the XDP-tier function that
 * serves it.  With kfaas.ko loaded, the function's budget is asked first:
 * an invocation over budget is not run (the module counts it throttled)
 * and the route's policy decides: pass it up the stack (to the next tier)
 * or drop it.  Every frame it does not answer is passed up the stack
 * unchanged: no route, a route to another tier (the socket tier and kfaasd
 * take it from there), or anything malformed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_maps.h"
#include "kfaas_parse.h"
#include <kfaas/kfuncs.h>

char LICENSE[] SEC("license") = "GPL";

static __always_inline void dstat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kfaas_dstats, &idx);

	if (v)
		*v += 1;
}

/* km: the variant that asks kfaas.ko (include/kfaas/kfuncs.h) */
static __always_inline int dispatch(struct xdp_md *ctx, const int km)
{
	const struct kfaas_route *r;
	struct kfaas_scratch *sc;
	struct kfaas_globals *cfg;
	struct kfaas_stats *st;
	struct kfaas_pkt pkt;
	__u32 zero = 0, fn;
	int rc;

	dstat_inc(KFAAS_DSTAT_RX);
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

	r = kfaas_route_lookup(pkt.proto, pkt.family, pkt.dport, pkt.daddr);
	if (!r) {
		dstat_inc(KFAAS_DSTAT_NO_ROUTE);
		return XDP_PASS;
	}
	if (r->tier != KFAAS_TIER_XDP) {
		dstat_inc(KFAAS_DSTAT_OTHER_TIER);
		return XDP_PASS;
	}
	fn = r->fn_id;

	if (km && kfaas_kf_admit(fn, pkt.payload_len) == KFAAS_THROTTLE)
		return r->policy == KFAAS_POLICY_PASS ? XDP_PASS : XDP_DROP;

	sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	if (!sc)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&kfaas_config, &zero);
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
	dstat_inc(KFAAS_DSTAT_DISPATCHED);

	bpf_tail_call(ctx, &kfaas_progs, fn);

	/* no program in the slot: the function is being (un)loaded */
	sc->valid = 0;
	dstat_inc(KFAAS_DSTAT_TAILCALL_FAIL);
	st = bpf_map_lookup_elem(&kfaas_stats, &fn);
	if (st)
		st->errors += 1;
	return XDP_PASS;
}

/* Without kfaas.ko: accounting in the maps, no budgets. */
SEC("xdp")
int kfaas_dispatch(struct xdp_md *ctx)
{
	return dispatch(ctx, 0);
}

/* With kfaas.ko: budgets enforced before the tail call. */
SEC("xdp")
int kfaas_dispatch_km(struct xdp_md *ctx)
{
	return dispatch(ctx, 1);
}
