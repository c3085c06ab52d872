/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas_log(req, fmt, ...): what a function of the eBPF tiers logs.
 *
 *	if (kfaas_payload_len(req) > 1000)
 *		kfaas_log(req, "large request: %u bytes", kfaas_payload_len(req));
 *
 * req is the body's request, of either tier: struct kfaas_req * (XDP,
 * bpf/kfaas.h, which includes this file) or struct kfaas_sk_req * (the
 * socket tier, bpf/kfaas_sk.h).  fmt is a string constant in the format
 * of bpf_snprintf(): %d %i %u %x %X %c %s %p with the l and ll modifiers,
 * %pI4 and %pI6 for addresses; at most 12 arguments, each converted to
 * 64 bits.  The kernel checks the format when the function is loaded.
 *
 * The record (include/kfaas/log.h) carries the time, the function, the
 * request's 5-tuple (client and function addresses and ports, protocol)
 * and the message, cut to KFAAS_LOG_MSG_MAX - 1 bytes.  It goes to the
 * pinned ring buffer kfaas_logs, where kfaasd collects it ('kfaas logs').
 *
 * Bounded cost: a function's records are rate limited per CPU (a token
 * bucket: KFAAS_LOG_RATE a second, bursts of KFAAS_LOG_BURST); a record
 * over the rate, or finding the ring full (nobody reading), is dropped
 * and counted, never waited for.  A dropped record costs a clock read, a
 * map lookup and an atomic add; a written one formats the message too
 * (docs/performance.md, benchmark 1).  Returns 0 when the record was
 * written, -1 when it was dropped.
 */
#ifndef KFAAS_LOG_SDK_H
#define KFAAS_LOG_SDK_H

#include <bpf/bpf_helpers.h>
#include "kfaas_maps.h"

#define KFAAS__LOG_NS_PER_TOKEN	(1000000000ULL / KFAAS_LOG_RATE)

/*
 * Take a token from fn_id's bucket on this CPU: its state to count the
 * record in, or NULL when it is over the rate (counted).
 */
static __always_inline struct kfaas_log_state *kfaas__log_admit(__u32 fn_id,
								__u64 now)
{
	struct kfaas_log_state *s = bpf_map_lookup_elem(&kfaas_log_state, &fn_id);
	__u64 add;

	if (!s)
		return NULL;
	if (now - s->last_ns >= KFAAS__LOG_NS_PER_TOKEN) {
		add = (now - s->last_ns) / KFAAS__LOG_NS_PER_TOKEN;
		if (add >= KFAAS_LOG_BURST || s->tokens + add >= KFAAS_LOG_BURST) {
			s->tokens = KFAAS_LOG_BURST;
			s->last_ns = now;
		} else {
			s->tokens += add;
			s->last_ns += add * KFAAS__LOG_NS_PER_TOKEN;
		}
	}
	if (!s->tokens) {
		/* atomic: a socket-tier program may run in process context */
		__sync_fetch_and_add(&s->dropped_rate, 1);
		return NULL;
	}
	s->tokens--;
	return s;
}

/*
 * Write the record: its header h (filled by the tier's kfaas__log_*()),
 * the message formatted into it.  Inline in the caller, where the
 * verifier sees fmt and args_len as the constants bpf_snprintf() needs,
 * and where the ring's reservation is made and committed (a reservation
 * handed back by a BPF-to-BPF call is refused by 6.1's verifier).
 */
static __always_inline int kfaas__log_write(struct kfaas_log_state *s,
					    const struct kfaas_log_hdr *h,
					    const char *fmt,
					    __u64 *args, __u32 args_len)
{
	struct kfaas_log_rec *r = bpf_ringbuf_reserve(&kfaas_logs, sizeof(*r), 0);
	long n;

	if (!r) {
		__sync_fetch_and_add(&s->dropped_ring, 1);
		return -1;
	}
	__sync_fetch_and_add(&s->records, 1);
	__builtin_memcpy(&r->h, h, sizeof(r->h));
	n = bpf_snprintf(r->msg, sizeof(r->msg), fmt, args, args_len);
	if (n <= 0) {
		r->h.flags |= KFAAS_LOG_F_BADFMT;
		r->msg[0] = '\0';
		n = 1;
	} else if (n > (long)sizeof(r->msg)) {
		r->h.flags |= KFAAS_LOG_F_TRUNCATED;
		n = sizeof(r->msg);
	}
	r->h.len = n - 1;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * The XDP tier's record header in *h, when the function is within its
 * rate: its state to count the record in, else NULL (counted).  The
 * addresses and ports come from the request's headers, which the body
 * leaves in place (the SDK builds the reply after it).  A BPF-to-BPF
 * call: its code is in the program once, however many kfaas_log() calls
 * the function makes.
 */
static __attribute__((noinline)) struct kfaas_log_state *
kfaas__log_xdp(const struct kfaas_req *req, struct kfaas_log_hdr *h)
{
	struct xdp_md *ctx = req->ctx;
	__u32 l3 = req->l3_off, l4 = req->l4_off;
	__u64 now = bpf_ktime_get_ns();
	struct kfaas_log_state *s = kfaas__log_admit(req->fn_id, now);
	int bad = 0;

	if (!s)
		return NULL;
	__builtin_memset(h, 0, sizeof(*h));
	h->ts_ns = now;
	h->fn_id = req->fn_id;
	h->tier = KFAAS_TIER_XDP;
	h->proto = KFAAS_IPPROTO_UDP;
	h->family = req->family;
	if (req->family == KFAAS_FAMILY_IPV4)
		bad = bpf_xdp_load_bytes(ctx, l3 + 12, h->saddr, 4) ||
		      bpf_xdp_load_bytes(ctx, l3 + 16, h->daddr, 4);
	else if (req->family == KFAAS_FAMILY_IPV6)
		bad = bpf_xdp_load_bytes(ctx, l3 + 8, h->saddr, 16) ||
		      bpf_xdp_load_bytes(ctx, l3 + 24, h->daddr, 16);
	/* source and destination port: adjacent, as in the UDP header */
	if (bad || bpf_xdp_load_bytes(ctx, l4, &h->sport, 4))
		h->family = 0;
	return s;
}

/*
 * The socket tier's kfaas__log_sk() (bpf/kfaas_log_sk.h, included by
 * bpf/kfaas_sk.h) adds its request type here: kfaas_log() is expanded
 * where the body calls it, after every header.
 */
#ifndef KFAAS__LOG_SK_CASES
#define KFAAS__LOG_SK_CASES
#endif

/* kfaas_log(req, fmt, args...): see the top of this file. */
#define kfaas_log(req, fmt, args...) ({					\
	static const char ___kfaas_fmt[] = fmt;				\
	unsigned long long ___kfaas_arg[___bpf_narg(args)];		\
	struct kfaas_log_state *___kfaas_st;				\
	struct kfaas_log_hdr ___kfaas_h;				\
									\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")		\
	___bpf_fill(___kfaas_arg, args);				\
	_Pragma("GCC diagnostic pop")					\
	___kfaas_st = _Generic((req),					\
		struct kfaas_req *: kfaas__log_xdp,			\
		const struct kfaas_req *: kfaas__log_xdp		\
		KFAAS__LOG_SK_CASES)((const void *)(req), &___kfaas_h);	\
	___kfaas_st ?							\
		kfaas__log_write(___kfaas_st, &___kfaas_h, ___kfaas_fmt, \
				 sizeof(___kfaas_arg) ?			\
				 (__u64 *)___kfaas_arg : 0,		\
				 sizeof(___kfaas_arg)) : -1;		\
})

#endif /* KFAAS_LOG_SDK_H */
