// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP dispatcher: one program attached to every kfaas interface.
 *
 * Parses the frame down to UDP, looks the trigger up (the port's element
 * of kfaas_port_routes; the exact destination address in kfaas_routes
 * first when that port has address routes), picks the version of a split
 * route by a hash of the flow (kfaas_split.h) and tail-calls the XDP-tier
 * function that serves it, with a direct jump for the first
 * KFAAS_DIRECT_IDS function ids.  Before the tail call, as the route's
 * flags ask:
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
 * A route that runs a chain of functions (KFAAS_ROUTE_F_CHAIN) enters its
 * first one, with the whole chain copied into the hand-over: the SDK's
 * kfaas_next() takes each request to the next function from there
 * (kfaas_chain.h), so a chain replaced under traffic never mixes.
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
 * bpf_tail_call() with a key that is a constant at this call site (as
 * cilium's tail_call_static()): the verifier records it and the JIT
 * emits a direct jump, patched whenever the slot changes, instead of
 * the indirect one (a retpoline here) a run-time key needs.  In asm so
 * that the compiler cannot merge the call sites into one with a
 * variable key.
 */
#define kfaas_tail_call_const(ctx, map, k)				\
	asm volatile("r1 = %[c]\n\t"					\
		     "r2 = %[m]\n\t"					\
		     "r3 = %[s]\n\t"					\
		     "call 12\n\t"					\
		     :: [c]"r"(ctx), [m]"r"(map), [s]"i"(k)		\
		     : "r0", "r1", "r2", "r3", "r4", "r5")

#define KFAAS_CASE(n)							\
	case (n): kfaas_tail_call_const(ctx, &kfaas_progs, (n)); break;
#define KFAAS_CASE8(n)							\
	KFAAS_CASE(n) KFAAS_CASE(n + 1) KFAAS_CASE(n + 2) KFAAS_CASE(n + 3) \
	KFAAS_CASE(n + 4) KFAAS_CASE(n + 5) KFAAS_CASE(n + 6) KFAAS_CASE(n + 7)

/*
 * Enter function fn (returns only when its slot is empty): ids below
 * KFAAS_DIRECT_IDS with a direct jump, a switch of constant-key call
 * sites (a compare tree of log2(64) = 6 steps); the others through the
 * run-time key.
 */
static __always_inline void enter(struct xdp_md *ctx, __u32 fn)
{
	_Static_assert(KFAAS_DIRECT_IDS == 64, "one case per direct id");
#ifdef KFAAS_EXP_INDIRECT	/* tools/bench's experiment: no direct jumps */
	bpf_tail_call(ctx, &kfaas_progs, fn);
	return;
#endif
	switch (fn) {
	KFAAS_CASE8(0) KFAAS_CASE8(8) KFAAS_CASE8(16) KFAAS_CASE8(24)
	KFAAS_CASE8(32) KFAAS_CASE8(40) KFAAS_CASE8(48) KFAAS_CASE8(56)
	default:
		bpf_tail_call(ctx, &kfaas_progs, fn);
	}
}

/*
 * A chain's request: its functions, copied whole from the one element
 * the route names (the chain as it was when the request came), into the
 * hand-over; the bytes its functions share start zeroed.
 */
static __always_inline void chain_start(struct kfaas_scratch *sc,
					const struct kfaas_chain *ch,
					__u16 payload_len, __u8 policy)
{
	sc->chain_len = ch->len < KFAAS_CHAIN_MAX ? ch->len : KFAAS_CHAIN_MAX;
	sc->hop = 0;
	sc->chain_flags = (__u8)ch->flags;
	sc->policy = policy;
	sc->chain_in = payload_len;
	__builtin_memcpy(sc->chain_fn, ch->fn, sizeof(sc->chain_fn));
	__builtin_memset(sc->state, 0, sizeof(sc->state));
	kfaas_dstat_inc(KFAAS_DSTAT_CHAINS);
}

/* km: the variant that asks kfaas.ko (include/kfaas/kfuncs.h) */
static __always_inline int dispatch(struct xdp_md *ctx, const int km)
{
	const struct kfaas_globals *cfg = kfaas_globals();
	const struct kfaas_chain *ch = NULL;
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

#ifdef KFAAS_EXP_HASH_ROUTES	/* tools/bench's experiment: the hash only */
	r = kfaas_route_lookup(cfg, pkt.proto, pkt.family, pkt.dport, pkt.daddr);
#else
	r = kfaas_udp_route_lookup(bpf_ntohs(pkt.dport), pkt.family, pkt.daddr);
#endif
	if (!r) {
		kfaas_dstat_inc(KFAAS_DSTAT_NO_ROUTE);
		return XDP_PASS;
	}
	/*
	 * Both lookups return the route's value; a route that splits its
	 * traffic picks its version here, before anything below uses fn.
	 */
	fn = kfaas_route_fn(ctx, &pkt, r);
	flags = r->flags;
	if (flags & KFAAS_ROUTE_F_CHAIN) {
		__u32 cid = r->chain_id;

		ch = bpf_map_lookup_elem(&kfaas_chains, &cid);
		if (!ch) {
			kfaas_dstat_inc(KFAAS_DSTAT_NO_ROUTE);
			return XDP_PASS;
		}
		fn = ch->fn[0];
	}
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
	    !kfaas_admit(fn, pkt.payload_len, flags, km)) {
		kfaas_dstat_inc(KFAAS_DSTAT_THROTTLED);
		return r->policy == KFAAS_POLICY_PASS ? XDP_PASS : XDP_DROP;
	}

	sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	if (!sc)
		return XDP_PASS;
	sc->fn_id = fn;
	sc->flags = flags;
	sc->family = pkt.family;
	sc->valid = 1;
	/* the four offsets, laid out alike in both: one 8-byte copy */
	_Static_assert(__builtin_offsetof(struct kfaas_pkt, payload_len) == 6 &&
		       __builtin_offsetof(struct kfaas_scratch, payload_len) ==
		       __builtin_offsetof(struct kfaas_scratch, l3_off) + 6,
		       "kfaas_pkt and kfaas_scratch offsets differ");
	__builtin_memcpy(&sc->l3_off, &pkt.l3_off, 8);
	sc->max_ratio = r->max_ratio;
	sc->time_shift = cfg->time_shift;
	sc->chain_len = 0;
	if (ch)
		chain_start(sc, ch, pkt.payload_len, r->policy);
	kfaas_dstat_inc(KFAAS_DSTAT_DISPATCHED);

	enter(ctx, fn);

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
