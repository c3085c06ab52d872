/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas function SDK for the XDP tier.  A function author writes only the
 * payload logic:
 *
 *	#include "vmlinux.h"
 *	#include "kfaas.h"
 *
 *	KFAAS_XDP_FUNCTION(echo)(struct kfaas_req *req)
 *	{
 *		return kfaas_payload_len(req);	// reply with the request
 *	}
 *
 * The body returns the length of the reply payload it left in place (>= 0),
 * or KFAAS_PASS (next tier), KFAAS_DROP or KFAAS_ERROR, or, in a chain,
 * kfaas_next(req, len): the payload it left is the next function's
 * request (kfaas_chain.h).  The SDK turns the
 * request frame into the reply (swaps MAC, IP addresses and ports, fixes
 * lengths, IPv4 header checksum and UDP checksum), resizes the frame, sends
 * it with XDP_TX and does the end-of-invocation accounting.
 *
 * Payload access is always bounds-checked: kfaas_ptr() returns NULL when
 * the bytes asked for are not in the frame.  See docs/sdk.md.
 */
#ifndef KFAAS_SDK_H
#define KFAAS_SDK_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_maps.h"
#include "kfaas_parse.h"
#include "kfaas_csum.h"
#include "kfaas_budget.h"
#include "kfaas_guard.h"
#include <kfaas/kfuncs.h>

/* Largest IP packet a reply may grow to (the interface MTU). */
#ifndef KFAAS_REPLY_MTU
#define KFAAS_REPLY_MTU	1500
#endif
#define KFAAS_TTL	64
/* Offsets into a frame are below this (a 9000-byte jumbo frame fits). */
#define KFAAS_FRAME_MAX	0x3fff
/*
 * Growth kfaas_reply_reserve() can always get from the headroom: every XDP
 * driver leaves XDP_PACKET_HEADROOM (256) bytes, of which the kernel keeps
 * room for its struct xdp_frame (40 bytes today) and some metadata.
 */
#define KFAAS_GROW_FRONT_MAX	192

char _kfaas_license[] SEC("license") = "GPL";

/* Set by the loader: the function's id, used when run without dispatcher. */
const volatile __u32 kfaas_fn_id;

/*
 * KFAAS_REPLY_RATIO(r);  at file scope: the function never sends more
 * than r reply payload bytes per request payload byte (r > 0, may be a
 * fraction: 1.5; at most 2 decimals count).  The loader reads it: a route
 * to a function that says r <= 1 has no reflection guard unless asked
 * for, and every route caps its replies at r (or at its own ratio, or
 * 3, whichever is lower: docs/reliability.md).  Without it the function
 * is assumed to amplify.
 */
#define KFAAS_REPLY_RATIO(r)						\
	const volatile __u32 kfaas_reply_ratio = (__u32)((r) * 100.0 + 0.5)

/* One invocation as the function body sees it. */
struct kfaas_req {
	struct xdp_md	*ctx;
	__u32		fn_id;
	__u16		payload_off;	/* offset of the UDP payload in the frame */
	__u16		payload_len;	/* request payload length */
	__u16		l3_off;
	__u16		l4_off;
	__u8		family;		/* KFAAS_FAMILY_IPV4 / _IPV6 */
	__u8		time_shift;
	__u8		timed;
	/*
	 * A chain's request: its length (0: no chain; the rest of its state
	 * is in the hand-over, kfaas_chain.h), in what was padding: a
	 * function's stack stays as it was (a program that tail-calls, as
	 * the SDK's do for chains, has 512 bytes for all its frames).
	 */
	__u8		chain_len;
	__u16		flags;		/* the route's KFAAS_ROUTE_F_* */
	__u16		next_len;	/* what kfaas_next() hands on */
	__u32		max_ratio;	/* the route's reply ratio cap, 0: none */
	__u64		t0;
};

/*
 * Loops over payload bytes multiply the verifier's work by every path that
 * leads to them.  Put such a loop in a global function (non-static,
 * __noinline) taking the request as KFAAS_REQ_ARGS(req): the verifier
 * checks it once, on its own.  Inside, KFAAS_REQ(ctx, off, len) gives the
 * request back.  See docs/sdk.md.
 */
#define KFAAS_REQ_ARGS(req)	(req)->ctx, (req)->payload_off, (req)->payload_len
#define KFAAS_REQ(ctx, off, len)					\
	((struct kfaas_req){ .ctx = (ctx), .payload_off = (off),	\
			     .payload_len = (len) })

/* Request payload length in bytes. */
static __always_inline __u32 kfaas_payload_len(const struct kfaas_req *req)
{
	return req->payload_len;
}

/* Current payload area length (request, or what kfaas_reply_reserve set). */
static __always_inline __u32 kfaas_room(const struct kfaas_req *req)
{
	struct xdp_md *ctx = req->ctx;
	__u32 flen = kfaas_data_end(ctx) - kfaas_data(ctx);

	return flen > req->payload_off ? flen - req->payload_off : 0;
}

/*
 * Pointer to len bytes of the payload area at off, or NULL when they are
 * not all inside the frame.  len should be a compile-time constant so the
 * verifier knows how many bytes the pointer covers.
 */
static __always_inline void *kfaas_ptr(const struct kfaas_req *req, __u32 off,
				       __u32 len)
{
	void *data = kfaas_data(req->ctx);
	void *end = kfaas_data_end(req->ctx);
	__u32 o = req->payload_off + off;
	void *p;

	/* a small bound on o lets the verifier prove p + len in range */
	if (o > KFAAS_FRAME_MAX)
		return NULL;
	/*
	 * ... kept as a mask (6.1's verifier does not carry a compare of
	 * o's copy over to the sum clang adds to data)
	 */
	kfaas_barrier_var(o);
	p = data + (o & KFAAS_FRAME_MAX);
	if (p + len > end)
		return NULL;
	return p;
}

/*
 * Copy len bytes of payload at off into buf; 0 or a negative errno.  len
 * must be bounded by the size of buf, as for any helper; 0 copies
 * nothing.  (The check against the frame size gives 6.1's verifier the
 * lower bound it wants for a length that is not a constant.)
 */
static __always_inline int kfaas_load(const struct kfaas_req *req, __u32 off,
				      void *buf, __u32 len)
{
	if (len == 0)
		return 0;
	if (!kfaas_len_in(len, 1, KFAAS_FRAME_MAX))
		return -1;
	return bpf_xdp_load_bytes(req->ctx, req->payload_off + off, buf, len);
}

/* Copy len bytes of buf into the payload area at off; as kfaas_load(). */
static __always_inline int kfaas_store(const struct kfaas_req *req, __u32 off,
				       const void *buf, __u32 len)
{
	if (len == 0)
		return 0;
	if (!kfaas_len_in(len, 1, KFAAS_FRAME_MAX))
		return -1;
	return bpf_xdp_store_bytes(req->ctx, req->payload_off + off,
				   (void *)buf, len);
}

/*
 * Grow the frame by delta bytes at the front and move it there, so that it
 * ends delta bytes later: for drivers that leave no tailroom (veth among
 * them) but, like every XDP driver, leave XDP_PACKET_HEADROOM of headroom.
 * A global function: its copy loop is verified once.
 */
__attribute__((noinline))
int kfaas_grow_front(struct xdp_md *ctx, __u32 delta)
{
	__u8 buf[64];
	__u64 flen, full, tail;
	int i;

	if (!ctx || delta == 0 || delta > KFAAS_GROW_FRONT_MAX)
		return -1;
	flen = kfaas_data_end(ctx) - kfaas_data(ctx);
	if (flen > KFAAS_FRAME_MAX)
		return -1;
	full = flen / 64;
	tail = flen % 64;
	if (bpf_xdp_adjust_head(ctx, -(int)delta))
		return -1;
	/* front to back: each chunk is read before it is overwritten */
	for (i = 0; i < KFAAS_FRAME_MAX / 64 + 1; i++) {
		if (i >= full)
			break;
		if (bpf_xdp_load_bytes(ctx, i * 64 + delta, buf, 64) ||
		    bpf_xdp_store_bytes(ctx, i * 64, buf, 64))
			return -1;
	}
	if (tail > 0 && tail < 64) {
		/* 1..64 by construction: 6.1's verifier sees a non-zero size */
		__u32 n = ((tail - 1) & 63) + 1;

		if (bpf_xdp_load_bytes(ctx, full * 64 + delta, buf, n) ||
		    bpf_xdp_store_bytes(ctx, full * 64, buf, n))
			return -1;
	}
	return 0;
}

/*
 * Make the payload area exactly len bytes (grow or shrink the frame), so
 * the body can write a reply longer than the request.  The bytes past the
 * request are undefined until written.  Growing uses the tailroom, or
 * else up to KFAAS_GROW_FRONT_MAX bytes of headroom.  Pointers obtained
 * before the call are invalid afterwards.  0 or a negative value.
 */
static __always_inline int kfaas_reply_reserve(struct kfaas_req *req, __u32 len)
{
	struct xdp_md *ctx = req->ctx;
	int delta;

	if (len > KFAAS_REPLY_MTU)
		return -1;
	delta = (int)(req->payload_off + len) -
		(int)(kfaas_data_end(ctx) - kfaas_data(ctx));
	if (delta == 0)
		return 0;
	if (bpf_xdp_adjust_tail(ctx, delta) == 0)
		return 0;
	if (delta < 0)
		return -1;
	return kfaas_grow_front(ctx, delta);
}

/* ---- everything below is the SDK's own machinery ---- */

/* End-of-invocation accounting in the per-CPU map kfaas_stats. */
static __always_inline void kfaas__account(__u32 fn_id, const struct kfaas_stats *d)
{
	struct kfaas_stats *s = bpf_map_lookup_elem(&kfaas_stats, &fn_id);

	if (!s)
		return;
	s->invocations += d->invocations;
	s->bytes_in += d->bytes_in;
	s->bytes_out += d->bytes_out;
	/* most invocations are answered and untimed: fewer writes for them */
	if (d->throttled | d->passed | d->drops | d->errors) {
		s->throttled += d->throttled;
		s->passed += d->passed;
		s->drops += d->drops;
		s->errors += d->errors;
	}
	if (d->cpu_ns)
		s->cpu_ns += d->cpu_ns;
}

/*
 * The same in kfaas.ko (km: the program's kfunc variant), which also
 * drains the function's budget; in the maps when the module does not know
 * the function, where the budget of a route with one (flags) is drained
 * too.
 */
static __always_inline void kfaas__charge(__u32 fn_id, const struct kfaas_stats *d,
					  __u32 outcome, __u16 flags, const int km)
{
	if (km &&
	    kfaas_kf_charge(fn_id, d->cpu_ns, (__u32)d->bytes_in,
			    (__u32)d->bytes_out, outcome) == 0)
		return;
	kfaas__account(fn_id, d);
	if (flags & KFAAS_ROUTE_F_BUDGET)
		kfaas_budget_charge(fn_id, d->cpu_ns, d->bytes_out);
}

static __always_inline void kfaas__swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline int kfaas__reply_ip4(struct kfaas_req *req, void *data,
					    void *end, __u32 ulen, __u64 *psum,
					    const int swap)
{
	__u32 l3 = req->l3_off & 0x7f;
	__u32 hlen = req->l4_off - req->l3_off;
	struct iphdr *iph = data + l3;
	__be32 a;
	__u64 sum;

	if ((void *)(iph + 1) > end)
		return -1;
	if (swap) {
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		iph->ttl = KFAAS_TTL;
	}
	iph->tot_len = bpf_htons(hlen + ulen);
	iph->check = 0;
	if (kfaas_ip4_sum(req->ctx, req->l3_off, iph, hlen, &sum))
		return -1;
	iph->check = ~kfaas_csum_fold(sum);
	*psum = kfaas_csum_pseudo((__u8 *)&iph->saddr, (__u8 *)&iph->daddr, 0,
				  ulen);
	return 0;
}

static __always_inline int kfaas__reply_ip6(struct kfaas_req *req, void *data,
					    void *end, __u32 ulen, __u64 *psum,
					    const int swap)
{
	struct ipv6hdr *ip6 = data + (req->l3_off & 0x7f);
	struct in6_addr a;

	if ((void *)(ip6 + 1) > end)
		return -1;
	if (swap) {
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->hop_limit = KFAAS_TTL;
	}
	ip6->payload_len = bpf_htons(ulen);
	*psum = kfaas_csum_pseudo((__u8 *)&ip6->saddr, (__u8 *)&ip6->daddr, 1,
				  ulen);
	return 0;
}

/*
 * Turn the frame into the reply carrying the first len payload bytes
 * (swap), or into a request of len payload bytes to the same destination
 * (a chain's request passed up to its VM-tier end): lengths and
 * checksums right either way.
 */
static __always_inline int kfaas__frame(struct kfaas_req *req, __u32 len,
					const int swap)
{
	struct xdp_md *ctx = req->ctx;
	__u32 ulen = sizeof(struct udphdr) + len;
	struct udphdr *udp;
	struct ethhdr *eth;
	void *data, *end;
	__u64 sum = 0;
	__be16 port;
	__u16 check;
	int csum;

	if ((req->payload_off - req->l3_off) + len > KFAAS_REPLY_MTU)
		return -1;
	if (kfaas_reply_reserve(req, len))
		return -1;
	data = kfaas_data(ctx);
	end = kfaas_data_end(ctx);
	eth = data;
	if ((void *)(eth + 1) > end)
		return -1;
	if (swap)
		kfaas__swap_mac(eth);
	if (req->family == KFAAS_FAMILY_IPV4) {
		if (kfaas__reply_ip4(req, data, end, ulen, &sum, swap))
			return -1;
	} else {
		if (kfaas__reply_ip6(req, data, end, ulen, &sum, swap))
			return -1;
	}
	udp = data + (req->l4_off & 0xff);
	if ((void *)(udp + 1) > end)
		return -1;
	if (swap) {
		port = udp->source;
		udp->source = udp->dest;
		udp->dest = port;
	}
	udp->len = bpf_htons(ulen);
	udp->check = 0;
	csum = kfaas_csum_frame(ctx, req->l4_off, ulen);
	if (csum < 0)
		return -1;
	sum += csum;
	/* the frame may have moved: re-derive the header pointer */
	data = kfaas_data(ctx);
	end = kfaas_data_end(ctx);
	udp = data + (req->l4_off & 0xff);
	if ((void *)(udp + 1) > end)
		return -1;
	check = ~kfaas_csum_fold(sum);
	udp->check = check ? check : 0xffff;
	return 0;
}

/* The reply: the frame turned round, carrying len payload bytes. */
static __always_inline int kfaas__reply(struct kfaas_req *req, __u32 len)
{
	return kfaas__frame(req, len, 1);
}

/* Set up req for this invocation; returns -1 to run the body, else a verdict. */
static __always_inline int kfaas__begin(struct xdp_md *ctx, struct kfaas_req *req)
{
	__u32 zero = 0;
	struct kfaas_scratch *sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	struct kfaas_pkt pkt;

	__builtin_memset(req, 0, sizeof(*req));
	req->ctx = ctx;
	if (sc && sc->valid) {
		sc->valid = 0;
		req->fn_id = sc->fn_id;
		req->l3_off = sc->l3_off;
		req->l4_off = sc->l4_off;
		req->payload_off = sc->payload_off;
		req->payload_len = sc->payload_len;
		req->family = sc->family;
		req->time_shift = sc->time_shift & 31;
		req->flags = sc->flags;
		req->max_ratio = sc->max_ratio;
		req->chain_len = sc->chain_len;
	} else {
		/* run on its own, not through the dispatcher */
		if (kfaas_parse(ctx, &pkt) != KFAAS_PARSE_OK)
			return XDP_PASS;
		req->fn_id = kfaas_fn_id;
		req->l3_off = pkt.l3_off;
		req->l4_off = pkt.l4_off;
		req->payload_off = pkt.payload_off;
		req->payload_len = pkt.payload_len;
		req->family = pkt.family;
	}
	/*
	 * CPU time: 1 invocation in 2^time_shift is timed, chosen at random
	 * (no aliasing with periodic traffic) and weighted 2^time_shift: an
	 * unbiased estimate that spares the two clock reads on the others.
	 * A per-CPU xorshift is cheaper than the prandom helper.
	 */
	req->timed = 1;
	if (sc && req->time_shift) {
		__u64 x = sc->rng ?: bpf_get_prandom_u32() | 1;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sc->rng = x;
		req->timed = ((x >> 32) & ((1U << req->time_shift) - 1)) == 0;
	}
	if (req->timed)
		req->t0 = bpf_ktime_get_ns();
	return -1;
}

/* the chain's machinery (kfaas_next(), the hop to the next function) */
#include "kfaas_chain.h"

/*
 * Act on the body's return value and account the invocation (km: in
 * kfaas.ko, see include/kfaas/kfuncs.h); in a chain, hand the request to
 * the next function after the accounting (kfaas_chain.h).
 */
static __always_inline int kfaas__end(struct kfaas_req *req, int rc,
				      const int km)
{
	struct kfaas_stats d = { .invocations = 1 };
	__u32 outcome = KFAAS_OUTCOME_REPLY;
	__u32 base = req->payload_len;
	int verdict, body = rc, next = 0;

	d.bytes_in = req->payload_len;
	if (rc == KFAAS_NEXT)
		rc = kfaas__next_of(req, &next);
	if (req->chain_len)
		base = kfaas__chain_in();	/* the cap is the whole chain's */
	if (next) {
		verdict = kfaas__hand_on(req, next, &d, &outcome);
	} else if (rc >= 0 && req->max_ratio &&
	    (__u64)rc * 100 > (__u64)req->max_ratio * base) {
		/* an amplifier's reply: not sent (the route's ratio cap) */
		kfaas_refused(req->fn_id, KFAAS_DSTAT_RATIO);
		verdict = XDP_DROP;
		d.drops = 1;
		outcome = KFAAS_OUTCOME_DROP;
	} else if (rc >= 0) {
		if (kfaas__reply(req, rc) == 0) {
			verdict = XDP_TX;
			d.bytes_out = rc;
		} else {
			verdict = XDP_DROP;
			d.errors = 1;
			outcome = KFAAS_OUTCOME_ERROR;
		}
	} else if (rc == KFAAS_PASS) {
		verdict = XDP_PASS;
		d.passed = 1;
		outcome = KFAAS_OUTCOME_PASS;
	} else if (rc == KFAAS_DROP) {
		verdict = XDP_DROP;
		d.drops = 1;
		outcome = KFAAS_OUTCOME_DROP;
	} else {
		verdict = XDP_DROP;
		d.errors = 1;
		outcome = KFAAS_OUTCOME_ERROR;
	}
	if (req->timed)
		d.cpu_ns = (bpf_ktime_get_ns() - req->t0) << req->time_shift;
	if (req->chain_len)
		kfaas__hop_trace(req, body, d.bytes_out);
	kfaas__charge(req->fn_id, &d, outcome, req->flags, km);
	if (verdict == KFAAS__GO_ON)
		return kfaas__enter_next(req, km);
	return verdict;
}

/*
 * Define an XDP-tier function: KFAAS_XDP_FUNCTION(name)(struct kfaas_req *req)
 * Two programs: kfaas_fn_NAME accounts in the maps, kfaas_fnk_NAME in
 * kfaas.ko; the loader loads one of them (include/kfaas/kfuncs.h).
 */
#define KFAAS_XDP_FUNCTION(name)					\
	static __always_inline int kfaas_body__##name(struct kfaas_req *req); \
	SEC("xdp")							\
	int kfaas_fn_##name(struct xdp_md *ctx)				\
	{								\
		struct kfaas_req req;					\
		int rc = kfaas__begin(ctx, &req);			\
									\
		if (rc >= 0)						\
			return rc;					\
		return kfaas__end(&req, kfaas_body__##name(&req), 0);	\
	}								\
	SEC("xdp")							\
	int kfaas_fnk_##name(struct xdp_md *ctx)			\
	{								\
		struct kfaas_req req;					\
		int rc = kfaas__begin(ctx, &req);			\
									\
		if (rc >= 0)						\
			return rc;					\
		return kfaas__end(&req, kfaas_body__##name(&req), 1);	\
	}								\
	static __always_inline int kfaas_body__##name

/* kfaas_log(): what a function logs (docs/sdk.md, "Logging") */
#include "kfaas_log.h"

#endif /* KFAAS_SDK_H */
