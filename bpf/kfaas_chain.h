/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function chains in the XDP SDK (included by kfaas.h).  A route may run
 * up to KFAAS_CHAIN_MAX functions one after the other
 * (kfaas route add udp PORT chain f1,f2,f3); each function's body leaves
 * its output in the payload area and hands it on:
 *
 *	return kfaas_next(req, len);
 *
 * The next function gets those len bytes as its request.  The last one's
 * kfaas_next() (or any function's outside a chain) replies with them, and
 * any function may reply, pass or drop at once as usual.  The functions
 * of one request share KFAAS_CHAIN_STATE bytes, kfaas_chain_state(),
 * zeroed when the request arrives.
 *
 * How: the dispatcher copied the chain into the per-CPU hand-over
 * (kfaas_scratch) when the request arrived; after a function's
 * accounting, the SDK admits the next function (its own budget: kfaas.ko
 * or the maps), writes the hop into the hand-over and tail-calls the next
 * function itself (a run-time key: an indirect jump, measured in
 * docs/performance.md), so each hop is one tail call and is accounted
 * and budgeted as its own invocation.  A chain whose last function is
 * VM-tier ends at the XDP part's last kfaas_next(): the frame becomes a
 * well-formed request again (lengths, checksums) and is passed up to
 * kfaasd, which serves it as the route's VM-tier fallback.
 */
#ifndef KFAAS_CHAIN_BPF_H
#define KFAAS_CHAIN_BPF_H

/* kfaas__end()'s verdict for "the next function's turn" (not an XDP one) */
#define KFAAS__GO_ON	(-1)

/*
 * Hand the first len bytes of the payload area to the chain's next
 * function (its request); at the chain's end, or outside a chain, they
 * are the reply.  len may be up to kfaas_room(): grow the area first with
 * kfaas_reply_reserve() to hand on more than the request.
 */
static __always_inline int kfaas_next(struct kfaas_req *req, __u32 len)
{
	req->next_len = len > 0xffff ? 0xffff : (__u16)len;
	return KFAAS_NEXT;
}

/* The hand-over of this CPU (the dispatcher's, kfaas_scratch). */
static __always_inline struct kfaas_scratch *kfaas__sc(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kfaas_scratch, &zero);
}

/* This function's place in the request's chain (0: first or alone). */
static __always_inline __u32 kfaas_chain_hop(const struct kfaas_req *req)
{
	struct kfaas_scratch *sc = req->chain_len ? kfaas__sc() : NULL;

	return sc ? sc->hop : 0;
}

/*
 * The KFAAS_CHAIN_STATE bytes the functions of one chained request share
 * (zero at its first function), or NULL outside a chain.
 */
static __always_inline __u8 *kfaas_chain_state(const struct kfaas_req *req)
{
	struct kfaas_scratch *sc = req->chain_len ? kfaas__sc() : NULL;

	return sc ? sc->state : NULL;
}

/* ---- the SDK's machinery ---- */

/*
 * kfaas_next()'s length as the body's result, and whether it goes on:
 * *next 1 to an XDP function, 2 up to the chain's VM-tier end, 0 (the
 * chain's end, or no chain) it is the reply.
 */
static __always_inline int kfaas__next_of(struct kfaas_req *req, int *next)
{
	struct kfaas_scratch *sc = req->chain_len ? kfaas__sc() : NULL;
	__u32 len = req->next_len, h;

	if (len > kfaas_room(req))
		return KFAAS_ERROR;
	if (!sc)
		return (int)len;
	h = (__u32)sc->hop + 1;
	if (h < req->chain_len)
		*next = (sc->chain_flags & KFAAS_CHAIN_F_VM_END) &&
			h + 1 == req->chain_len ? 2 : 1;
	return (int)len;
}

/* The chain's request length at its first hop (the ratio cap's base). */
static __always_inline __u32 kfaas__chain_in(void)
{
	struct kfaas_scratch *sc = kfaas__sc();

	return sc ? sc->chain_in : 0;
}

/*
 * The hop's own outcome: handed to the next XDP function (answered, with
 * the bytes handed on as its reply bytes: the next function's turn after
 * the accounting), or passed up to the VM-tier end as a well-formed
 * request.
 */
static __always_inline int kfaas__hand_on(struct kfaas_req *req, int next,
					  struct kfaas_stats *d, __u32 *outcome)
{
	if (next == 1) {
		d->bytes_out = req->next_len;
		return KFAAS__GO_ON;
	}
	if (kfaas__frame(req, req->next_len, 0)) {
		d->errors = 1;
		*outcome = KFAAS_OUTCOME_ERROR;
		return XDP_DROP;
	}
	d->passed = 1;
	*outcome = KFAAS_OUTCOME_PASS;
	return XDP_PASS;
}

/* What this hop did, for kfaas invoke (the hand-over keeps it). */
static __always_inline void kfaas__hop_trace(const struct kfaas_req *req,
					     int body, int len)
{
	struct kfaas_scratch *sc = kfaas__sc();
	struct kfaas_hop *t;

	if (!sc)
		return;
	t = &sc->trace[sc->hop & (KFAAS_CHAIN_MAX - 1)];
	t->fn_id = req->fn_id;
	t->len_in = req->payload_len;
	t->len_out = len > 0 ? (__u16)len : 0;
	t->rc = body;
}

/*
 * The next function's turn: its budget admits it (or the route's policy
 * decides, as for the first), the hand-over says which hop it is, and a
 * tail call enters it.  Returns only when it does not run.
 */
static __always_inline int kfaas__enter_next(struct kfaas_req *req,
					     const int km)
{
	struct kfaas_scratch *sc = kfaas__sc();
	struct kfaas_stats *st;
	__u32 next, h;

	if (!sc)
		return XDP_DROP;
	h = ((__u32)sc->hop + 1) & (KFAAS_CHAIN_MAX - 1);
	next = sc->chain_fn[h];
	if ((km || (req->flags & KFAAS_ROUTE_F_BUDGET)) &&
	    !kfaas_admit(next, req->next_len, req->flags, km)) {
		kfaas_dstat_inc(KFAAS_DSTAT_THROTTLED);
		if (sc->policy == KFAAS_POLICY_PASS &&
		    kfaas__frame(req, req->next_len, 0) == 0)
			return XDP_PASS;
		return XDP_DROP;
	}
	sc->fn_id = next;
	sc->hop = (__u8)h;
	sc->payload_len = req->next_len;
	sc->valid = 1;
	kfaas_dstat_inc(KFAAS_DSTAT_HOPS);
	bpf_tail_call(req->ctx, &kfaas_progs, next);

	/* no program in the slot: the function is being (un)loaded */
	sc->valid = 0;
	kfaas_dstat_inc(KFAAS_DSTAT_TAILCALL_FAIL);
	st = bpf_map_lookup_elem(&kfaas_stats, &next);
	if (st)
		st->errors += 1;
	return XDP_DROP;
}

#endif /* KFAAS_CHAIN_BPF_H */
