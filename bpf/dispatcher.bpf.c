// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP dispatcher: one program attached to every kfaas interface.
 *
 * Parses the frame down to UDP, looks the trigger up in the route table
 * (exact destination address first when such routes exist, then the
 * wildcard route for the port), picks the version of a split route by a
 * hash of the flow (kfaas_split.h) and tail-calls the XDP-tier function
 * that serves it.  Before the tail call, as the route's flags ask:
 *
 *   - a request from a loop port is dropped (kfaas_guard.h; also for a
 *     route of another tier, whose server would answer it),
 *   - the route's reflection guard takes a token from the request's
 *     source prefix, or drops it,
 *   - the function's budget admits it: kfaas.ko's (the _km variant), or
 *     the one in the maps (kfaas_budget.h) without the module or when the
 *     module does not know the function.  Over budget, the function does
 *     not run and the route's policy decides: pass it up the stack (to
 *     the next tier) or drop it.
 *
 * A route that asks for none of it costs a flag test.  Every frame it
 * does not answer is passed up the stack unchanged: no route, a route to
 * another tier (the socket tier and kfaasd take it from there), or
 * anything malformed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_maps.h"
#include "kfaas_parse.h"
#include "kfaas_budget.h"
#include "kfaas_guard.h"
#include "kfaas_split.h"
#include <kfaas/kfuncs.h>

char LICENSE[] SEC("license") = "GPL";

/* The frame parsed, or its verdict (>= 0) when it is not one to route. */
static __always_inline int parse(struct xdp_md *ctx, struct kfaas_pkt *pkt)
{
	switch (kfaas_parse(ctx, pkt)) {
	case KFAAS_PARSE_OK:
		return -1;
	case KFAAS_PARSE_MALFORMED:
		kfaas_dstat_inc(KFAAS_DSTAT_MALFORMED);
		return XDP_PASS;
	case KFAAS_PARSE_FRAGMENT:
		kfaas_dstat_inc(KFAAS_DSTAT_FRAGMENT);
		return XDP_PASS;
	case KFAAS_PARSE_MULTICAST:
		kfaas_dstat_inc(KFAAS_DSTAT_MULTICAST);
		return XDP_PASS;
	default:
		kfaas_dstat_inc(KFAAS_DSTAT_NOT_UDP);
		return XDP_PASS;
	}
}

/*
 * The budget's answer for fn: 1 run it, 0 over budget (counted).  km: ask
 * kfaas.ko first; a function it does not know is counted and, with a
 * budget, admitted by the maps' buckets: never admitted silently.
 */
static __always_inline int admit(__u32 fn, __u32 bytes, __u16 flags,
				 const int km)
{
	int rc;

	if (km) {
		rc = kfaas_kf_admit(fn, bytes);
		if (rc == KFAAS_ADMIT)
			return 1;
		if (rc == KFAAS_THROTTLE)
			return 0;
		kfaas_dstat_inc(KFAAS_DSTAT_KM_UNKNOWN);
	}
	return !(flags & KFAAS_ROUTE_F_BUDGET) || kfaas_budget_admit(fn, bytes);
}

/* km: the variant that asks kfaas.ko (include/kfaas/kfuncs.h) */
static __always_inline int dispatch(struct xdp_md *ctx, const int km)
{
	const struct kfaas_globals *cfg = kfaas_globals();
	const struct kfaas_route *r;
	struct kfaas_scratch *sc;
	struct kfaas_stats *st;
	struct kfaas_pkt pkt;
	__u32 zero = 0, fn;
	__u16 flags;
	int rc;

	kfaas_dstat_inc(KFAAS_DSTAT_RX);
	if (!cfg)
		return XDP_PASS;
	rc = parse(ctx, &pkt);
	if (rc >= 0)
		return rc;

	r = kfaas_route_lookup(cfg, pkt.proto, pkt.family, pkt.dport, pkt.daddr);
	if (!r) {
		kfaas_dstat_inc(KFAAS_DSTAT_NO_ROUTE);
		return XDP_PASS;
	}
	fn = kfaas_route_fn(ctx, &pkt, r);	/* its version (traffic split) */
	flags = r->flags;
	if (!(flags & KFAAS_ROUTE_F_LOOP_OK) && pkt.sport < cfg->loop_below &&
	    kfaas_loop_refused(ctx, cfg, pkt.sport)) {
		kfaas_refused(fn, KFAAS_DSTAT_LOOP);
		return XDP_DROP;
	}
	if (r->tier != KFAAS_TIER_XDP) {
		kfaas_dstat_inc(KFAAS_DSTAT_OTHER_TIER);
		return XDP_PASS;
	}
	if ((flags & KFAAS_ROUTE_F_GUARD) &&
	    !kfaas_guard_admit(ctx, fn, pkt.family, pkt.l3_off)) {
		kfaas_refused(fn, KFAAS_DSTAT_GUARD);
		return XDP_DROP;
	}
	if ((km || (flags & KFAAS_ROUTE_F_BUDGET)) &&
	    !admit(fn, pkt.payload_len, flags, km)) {
		kfaas_dstat_inc(KFAAS_DSTAT_THROTTLED);
		return r->policy == KFAAS_POLICY_PASS ? XDP_PASS : XDP_DROP;
	}

	sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	if (!sc)
		return XDP_PASS;
	sc->fn_id = fn;
	sc->fallback_id = r->fallback_id;
	sc->policy = r->policy;
	sc->flags = flags;
	sc->max_ratio = r->max_ratio;
	sc->l3_off = pkt.l3_off;
	sc->l4_off = pkt.l4_off;
	sc->payload_off = pkt.payload_off;
	sc->payload_len = pkt.payload_len;
	sc->family = pkt.family;
	sc->time_shift = cfg->time_shift;
	sc->valid = 1;
	kfaas_dstat_inc(KFAAS_DSTAT_DISPATCHED);

	bpf_tail_call(ctx, &kfaas_progs, fn);

	/* no program in the slot: the function is being (un)loaded */
	sc->valid = 0;
	kfaas_dstat_inc(KFAAS_DSTAT_TAILCALL_FAIL);
	st = bpf_map_lookup_elem(&kfaas_stats, &fn);
	if (st)
		st->errors += 1;
	return XDP_PASS;
}

/* Without kfaas.ko: accounting and budgets in the maps. */
SEC("xdp")
int kfaas_dispatch(struct xdp_md *ctx)
{
	return dispatch(ctx, 0);
}

/* With kfaas.ko: its budgets (the maps' for functions it does not know). */
SEC("xdp")
int kfaas_dispatch_km(struct xdp_md *ctx)
{
	return dispatch(ctx, 1);
}
