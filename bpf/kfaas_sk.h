/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas function SDK for the socket tier: TCP request/response functions
 * answered inside the kernel.  A function author writes only the request
 * logic; requests are framed by a delimiter of 1 to 4 bytes:
 *
 *	#include "vmlinux.h"
 *	#include "kfaas_sk.h"
 *
 *	KFAAS_SK_FUNCTION(echo, "\n")(struct kfaas_sk_req *req)
 *	{
 *		// reply with the line, newline included
 *		return kfaas_sk_reply_req(req, 0, kfaas_sk_len(req));
 *	}
 *
 * The SDK keeps the bytes of each connection that are not answered yet in
 * kfaas_sk_conns, so a request may arrive split over several segments and
 * several requests may arrive in one (pipelining).  For every complete
 * request, in order, it calls the body, which appends its reply with
 * kfaas_sk_reply*() and returns >= 0, or returns KFAAS_DROP (no reply),
 * KFAAS_PASS (hand the connection to userspace from this request on) or
 * KFAAS_ERROR (counted; the connection is closed).  kfaas_sk_close() asks
 * to close the connection after this reply.  The replies of one segment
 * leave together, in order, on the same socket; every request is
 * accounted like an XDP invocation.
 *
 * Limits (include/kfaas/abi.h): a request carried over to the next segment
 * holds at most KFAAS_SK_HOLD_MAX bytes, one segment's replies at most
 * KFAAS_SK_OUT_MAX bytes; beyond them the connection is closed.  A
 * function that defines KFAAS_SK_TOO_LARGE (a string constant) before
 * including this file has it sent, after the replies before it, to a
 * request too large to hold (HTTP: 431), then the connection closes.
 * See docs/socket-tier.md.
 */
#ifndef KFAAS_SK_SDK_H
#define KFAAS_SK_SDK_H

#include "kfaas.h"

/* Requests one segment may carry; the rest waits for the next segment. */
#ifndef KFAAS_SK_MSGS_MAX
#define KFAAS_SK_MSGS_MAX	256
#endif

/* One request as the function body sees it. */
struct kfaas_sk_req {
	struct __sk_buff	*skb;
	struct kfaas_sk_conn	*conn;
	__u32	fn_id;
	__u32	off;		/* offset of the request in conn->buf */
	__u32	len;		/* request length, delimiter included */
	__u32	out;		/* reply bytes of earlier requests in the skb */
	__u32	reply_len;	/* reply bytes appended for this request */
	__u32	close;		/* kfaas_sk_close() was called */
};

/*
 * Loops over request bytes multiply the verifier's work by every path that
 * leads to them.  Put such a loop in a global function (non-static,
 * __noinline) taking KFAAS_SK_REQ_ARGS(req): the verifier checks it once,
 * on its own.  Inside, kfaas_sk_req_get() gives the request back for
 * reading (kfaas_sk_byte/ptr); reply from the body itself.
 */
#define KFAAS_SK_REQ_ARGS(req)	(req)->skb, (req)->off, (req)->len

/*
 * The link of the relay a skb came through (its own cookie is the relay's
 * sending end's), or NULL when it did not come through one.
 */
static __always_inline const struct kfaas_sk_link *
kfaas_sk__relay(struct __sk_buff *skb, __u64 *own)
{
	const struct kfaas_sk_link *l;

	*own = bpf_get_socket_cookie(skb);
	l = bpf_map_lookup_elem(&kfaas_sk_links, own);
	return l && l->role == KFAAS_SK_ROLE_RELAY ? l : NULL;
}

/* The connection id (the client socket's cookie) of a relay skb; 0 or -1. */
static __always_inline int kfaas_sk__conn_id(struct __sk_buff *skb, __u64 *id)
{
	const struct kfaas_sk_link *l;
	__u64 own;

	l = kfaas_sk__relay(skb, &own);
	if (!l)
		return -1;
	*id = l->conn;
	return 0;
}

static __always_inline int kfaas_sk_req_get(struct __sk_buff *skb, __u32 off,
					    __u32 len, struct kfaas_sk_req *req)
{
	__u64 cookie;

	__builtin_memset(req, 0, sizeof(*req));
	if (!skb || kfaas_sk__conn_id(skb, &cookie))
		return -1;
	req->conn = bpf_map_lookup_elem(&kfaas_sk_conns, &cookie);
	if (!req->conn)
		return -1;
	req->skb = skb;
	req->off = off;
	req->len = len;
	return 0;
}

/* Request length in bytes (its delimiter included). */
static __always_inline __u32 kfaas_sk_len(const struct kfaas_sk_req *req)
{
	return req->len;
}

/* Byte off of the request (0..255), or -1 past its end. */
static __always_inline int kfaas_sk_byte(const struct kfaas_sk_req *req,
					 __u32 off)
{
	struct kfaas_sk_conn *conn = req->conn;
	__u32 idx;

	if (off >= req->len)
		return -1;
	idx = req->off + off;
	kfaas_barrier_var(idx);
	if (idx >= KFAAS_SK_BUF)
		return -1;
	return conn->buf[idx];
}

/*
 * Pointer to n bytes of the request at off, or NULL when they are not all
 * in the request.  n should be a compile-time constant so the verifier
 * knows how many bytes the pointer covers.
 */
static __always_inline const __u8 *kfaas_sk_ptr(const struct kfaas_sk_req *req,
						__u32 off, __u32 n)
{
	struct kfaas_sk_conn *conn = req->conn;
	__u32 idx;

	if (off > req->len || n > req->len - off || n > KFAAS_SK_BUF)
		return NULL;
	idx = req->off + off;
	kfaas_barrier_var(idx);
	if (idx > KFAAS_SK_BUF - n)
		return NULL;
	return conn->buf + idx;
}

/*
 * Make the reply of this request exactly len bytes long, so the body can
 * fill it with kfaas_sk_write() in any order.  0 or -1 (does not fit in
 * this segment's KFAAS_SK_OUT_MAX bytes of replies).
 */
static __always_inline int kfaas_sk_reply_reserve(struct kfaas_sk_req *req,
						  __u32 len)
{
	__u32 at = req->out;

	if (len > KFAAS_SK_OUT_MAX || at > KFAAS_SK_OUT_MAX - len)
		return -1;
	if (bpf_skb_change_tail(req->skb, at + len, 0))
		return -1;
	req->reply_len = len;
	return 0;
}

/* Write len bytes of src at off of the reserved reply; 0 or -1. */
static __always_inline int kfaas_sk_write(struct kfaas_sk_req *req, __u32 off,
					  const void *src, __u32 len)
{
	if (len == 0)
		return 0;
	if (off > req->reply_len || !kfaas_len_in(len, 1, KFAAS_SK_OUT_MAX) ||
	    len > req->reply_len - off)
		return -1;
	return bpf_skb_store_bytes(req->skb, req->out + off, src, len, 0) ? -1 : 0;
}

/*
 * Append len bytes of src (stack, map value or a string constant) to the
 * reply.  len must be bounded by the size of src, as for any helper.
 */
static __always_inline int kfaas_sk_reply(struct kfaas_sk_req *req,
					  const void *src, __u32 len)
{
	__u32 at = req->out + req->reply_len;

	if (len == 0)
		return 0;
	if (!kfaas_len_in(len, 1, KFAAS_SK_OUT_MAX) ||
	    at > KFAAS_SK_OUT_MAX - len)
		return -1;
	if (bpf_skb_change_tail(req->skb, at + len, 0) ||
	    bpf_skb_store_bytes(req->skb, at, src, len, 0))
		return -1;
	req->reply_len += len;
	return 0;
}

/* Append a string constant: KFAAS_SK_REPLY_STR(req, "HTTP/1.1 200 OK\r\n") */
#define KFAAS_SK_REPLY_STR(req, s)	kfaas_sk_reply((req), (s), sizeof(s) - 1)

/* Append v in decimal; 0 or -1. */
static __always_inline int kfaas_sk_reply_dec(struct kfaas_sk_req *req, __u64 v)
{
	char buf[20];
	__u64 t = v;
	__u32 n = 1, i, at;

	for (i = 0; i < 19; i++) {
		if (t < 10)
			break;
		t /= 10;
		n++;
	}
	/* least significant digit last */
	for (i = 0; i < 20; i++) {
		if (i >= n)
			break;
		at = n - 1 - i;
		if (at >= sizeof(buf))
			break;
		buf[at] = '0' + v % 10;
		v /= 10;
	}
	return kfaas_sk_reply(req, buf, n & 31);
}

/* ---- everything below is the SDK's own machinery ---- */

/* Why the request loop stopped before the end of the held bytes. */
enum {
	KFAAS_SK__GO = 0,
	KFAAS_SK__CLOSE,	/* the function asked to close, or failed */
	KFAAS_SK__PASS,		/* hand the rest to userspace */
};

/*
 * One segment being answered.  Scalars only: it crosses global functions,
 * which the verifier checks once each, as plain memory.
 */
struct kfaas_sk__run {
	__u64	cookie;		/* the connection (its kfaas_sk_conns key) */
	__u64	reply_to;	/* socket the replies are redirected to */
	__u32	reply_flags;	/* ... and how: 0 egress, BPF_F_INGRESS */
	__u16	route_flags;	/* the route's KFAAS_ROUTE_F_* */
	__u8	policy;		/* ... and its enum kfaas_policy */
	__u8	pad;
	__u32	too_large;	/* a request over what a connection holds */
	__u32	fn_id;
	__u32	total;		/* bytes in conn->buf */
	__u32	pos;		/* start of the next request in conn->buf */
	__u32	out;		/* reply bytes written to the skb */
	__u32	stop;		/* KFAAS_SK__* */
	__u32	time_shift;
};

/* Delimiter search state for one request. */
struct kfaas_sk__scan {
	struct kfaas_sk_conn	*conn;
	__u32	start;
	__u32	word;		/* the last 4 bytes seen */
	__u32	delim;
	__u32	dmask;
	__u32	found;		/* end of the request (after the delimiter) */
};

/* Copy state: conn->buf[src ...] to the skb or within conn->buf. */
struct kfaas_sk__copy {
	struct __sk_buff	*skb;
	struct kfaas_sk_conn	*conn;
	__u32	src;
	__u32	dst;
	__u32	len;
	__u32	err;
};

static __always_inline __u32 kfaas_sk__dword(const char *s, __u32 n)
{
	__u32 w = 0, i;

	for (i = 0; i < 4; i++)
		if (i < n)
			w = (w << 8) | (__u8)s[i];
	return w;
}

#define KFAAS_SK__DMASK(n)	((n) >= 4 ? 0xffffffffU : (1U << (8 * (n))) - 1)

static long kfaas_sk__scan_cb(__u64 i, void *ctx)
{
	struct kfaas_sk__scan *s = ctx;
	struct kfaas_sk_conn *conn = s->conn;
	__u32 idx = s->start + (__u32)i;

	kfaas_barrier_var(idx);
	if (idx >= KFAAS_SK_BUF)
		return 1;
	s->word = (s->word << 8) | conn->buf[idx];
	if ((s->word & s->dmask) == s->delim) {
		s->found = idx + 1;
		return 1;
	}
	return 0;
}

/* 64 bytes (or the last < 64 one by one) of conn->buf to the skb. */
static long kfaas_sk__to_skb_cb(__u64 i, void *ctx)
{
	struct kfaas_sk__copy *c = ctx;
	struct kfaas_sk_conn *conn = c->conn;
	__u32 done = (__u32)i * 64, src, n;

	if (done >= c->len)
		return 1;
	n = c->len - done;
	src = c->src + done;
	kfaas_barrier_var(src);
	if (n >= 64) {
		if (src > KFAAS_SK_BUF - 64 ||
		    bpf_skb_store_bytes(c->skb, c->dst + done, conn->buf + src,
					64, 0)) {
			c->err = 1;
			return 1;
		}
		return 0;
	}
	/* the tail: the last 64 bytes of the range when there are that many */
	if (c->len >= 64) {
		src = c->src + c->len - 64;
		kfaas_barrier_var(src);
		if (src > KFAAS_SK_BUF - 64 ||
		    bpf_skb_store_bytes(c->skb, c->dst + c->len - 64,
					conn->buf + src, 64, 0))
			c->err = 1;
		return 1;
	}
	for (n = 0; n < 64; n++) {
		if (n >= c->len)
			break;
		src = c->src + n;
		kfaas_barrier_var(src);
		if (src >= KFAAS_SK_BUF ||
		    bpf_skb_store_bytes(c->skb, c->dst + n, conn->buf + src, 1, 0)) {
			c->err = 1;
			break;
		}
	}
	return 1;
}

/* Write conn->buf[src, src + len) to the skb at dst; 0 or -1. */
static __always_inline int kfaas_sk__buf_to_skb(struct __sk_buff *skb,
						struct kfaas_sk_conn *conn,
						__u32 src, __u32 len, __u32 dst)
{
	struct kfaas_sk__copy c = { .skb = skb, .conn = conn, .src = src,
				    .dst = dst, .len = len };

	if (len == 0)
		return 0;
	bpf_loop(KFAAS_SK_BUF / 64 + 1, kfaas_sk__to_skb_cb, &c, 0);
	return c.err ? -1 : 0;
}

/*
 * Move conn->buf[src, src + len) to the front, 8 bytes at a time: front
 * to back, so each word is read before it is overwritten.
 */
static long kfaas_sk__compact_cb(__u64 i, void *ctx)
{
	struct kfaas_sk__copy *c = ctx;
	struct kfaas_sk_conn *conn = c->conn;
	__u32 d = (__u32)i * 8, s, k, ss, dd;

	/*
	 * c->len <= KFAAS_SK_HOLD_MAX: said again for 6.1's verifier, which
	 * else walks the d > KFAAS_SK_BUF - 8 path below with contradictory
	 * bounds (a compare of two registers proves nothing dead to it)
	 * and refuses the store on it
	 */
	if (d >= c->len || d >= KFAAS_SK_HOLD_MAX)
		return 1;
	s = c->src + d;
	kfaas_barrier_var(s);
	kfaas_barrier_var(d);
	if (s <= KFAAS_SK_BUF - 8 && d <= KFAAS_SK_BUF - 8) {
		__builtin_memcpy(conn->buf + d, conn->buf + s, 8);
		return 0;
	}
	/* the last bytes of the buffer, one at a time */
	for (k = 0; k < 8; k++) {
		ss = s + k;
		dd = d + k;
		kfaas_barrier_var(ss);
		kfaas_barrier_var(dd);
		if (d + k >= c->len || ss >= KFAAS_SK_BUF || dd >= KFAAS_SK_BUF)
			break;
		conn->buf[dd] = conn->buf[ss];
	}
	return 1;
}

/*
 * Append this request's bytes [off, off + len) to the reply (an echo, a
 * key copied back...); 0 or -1.
 */
static __always_inline int kfaas_sk_reply_req(struct kfaas_sk_req *req,
					      __u32 off, __u32 len)
{
	__u32 at = req->out + req->reply_len;

	if (len == 0)
		return 0;
	if (off > req->len || len > req->len - off)
		return -1;
	if (len > KFAAS_SK_OUT_MAX || at > KFAAS_SK_OUT_MAX - len ||
	    bpf_skb_change_tail(req->skb, at + len, 0) ||
	    kfaas_sk__buf_to_skb(req->skb, req->conn, req->off + off, len, at))
		return -1;
	req->reply_len += len;
	return 0;
}

/* Close the connection once this request's reply has been sent. */
static __always_inline void kfaas_sk_close(struct kfaas_sk_req *req)
{
	req->close = 1;
}

static __always_inline void kfaas_sk__event(__u64 cookie, __u32 kind, __u32 fn)
{
	struct kfaas_sk_event ev = { .cookie = cookie, .kind = kind,
				     .fn_id = fn };

	bpf_ringbuf_output(&kfaas_sk_events, &ev, sizeof(ev), 0);
}

/* The connection is beyond saving: drop what follows, have it closed. */
static __always_inline int kfaas_sk__fail(struct kfaas_sk__run *run,
					  struct kfaas_sk_conn *conn)
{
	struct kfaas_stats d = { .errors = 1 };

	conn->flags |= KFAAS_SK_CONN_F_DISCARD;
	conn->len = 0;
	kfaas__account(run->fn_id, &d);
	kfaas_sk__event(run->cookie, KFAAS_SK_EV_CLOSE, run->fn_id);
	return SK_DROP;
}

/* Replace the skb's bytes by conn->buf[pos, pos + len) and pass them up. */
static __always_inline int kfaas_sk__pass_up(struct __sk_buff *skb,
					     struct kfaas_sk__run *run,
					     struct kfaas_sk_conn *conn,
					     __u32 pos, __u32 len)
{
	conn->flags |= KFAAS_SK_CONN_F_PASSED;
	conn->len = 0;
	if (len == 0)
		return SK_DROP;
	if (bpf_skb_change_tail(skb, len, 0) ||
	    kfaas_sk__buf_to_skb(skb, conn, pos, len, 0))
		return kfaas_sk__fail(run, conn);
	kfaas_sk__event(run->cookie, KFAAS_SK_EV_PASSED, run->fn_id);
	return SK_PASS;
}

/*
 * Take the segment into the connection's buffer, after the bytes held
 * from earlier segments.  -1 to answer the requests, else the verdict.
 * A global function: the verifier checks it once.
 */
__attribute__((noinline))
int kfaas_sk__begin(struct __sk_buff *skb, struct kfaas_sk__run *run)
{
	const struct kfaas_sk_link *l;
	struct kfaas_sk_conn *conn;
	struct kfaas_globals *cfg;
	__u32 zero = 0, len, held;
	__u64 cookie, own;

	if (!skb || !run)
		return SK_DROP;
	__builtin_memset(run, 0, sizeof(*run));
	run->fn_id = kfaas_fn_id;
	l = kfaas_sk__relay(skb, &own);
	if (!l)
		return SK_PASS;		/* not from a relay: nothing to answer */
	cookie = l->conn;
	run->cookie = cookie;
	run->reply_to = cookie;
	if (l->flags & KFAAS_SK_LINK_F_USER) {
		/* the listener forwards them: to the relay's sending end */
		run->reply_to = own;
		run->reply_flags = BPF_F_INGRESS;
	}
	cfg = bpf_map_lookup_elem(&kfaas_config, &zero);
	run->time_shift = cfg ? cfg->time_shift & 31 : 0;
	/*
	 * The route's budget flag and policy, as the dispatcher found them
	 * (budgets are enforced here: 6.1 has no kfunc hook for sk_skb)
	 */
	run->route_flags = l->route_flags;
	run->policy = l->route_policy;

	/* the listener made the record when it accepted the connection */
	conn = bpf_map_lookup_elem(&kfaas_sk_conns, &cookie);
	if (!conn) {
		struct kfaas_stats d = { .errors = 1 };

		kfaas__account(run->fn_id, &d);
		kfaas_sk__event(cookie, KFAAS_SK_EV_CLOSE, run->fn_id);
		return SK_DROP;
	}
	if (conn->fn_id == 0)
		conn->fn_id = run->fn_id;
	if (conn->flags & KFAAS_SK_CONN_F_DISCARD)
		return SK_DROP;
	if ((conn->flags & KFAAS_SK_CONN_F_PASSED) && conn->len == 0)
		return SK_PASS;
	if (conn->fn_id != run->fn_id) {
		/* the route changed to another function: start afresh */
		conn->fn_id = run->fn_id;
		conn->len = 0;
	}
	len = skb->len;
	held = conn->len;
	kfaas_barrier_var(held);
	if (len == 0)
		return SK_DROP;
	if (held == 0 ? len > KFAAS_SK_BUF :
	    held > KFAAS_SK_HOLD_MAX || len > KFAAS_SK_BUF - KFAAS_SK_HOLD_MAX) {
		/* more than the buffer takes: answered by kfaas_sk__end() */
		run->too_large = 1;
		return -1;
	}
	/* the length bounded again, both ways: 6.1's verifier needs it */
	if (held == 0) {
		if (!kfaas_len_in(len, 1, KFAAS_SK_BUF) ||
		    bpf_skb_load_bytes(skb, 0, conn->buf, len))
			return kfaas_sk__fail(run, conn);
	} else {
		if (held > KFAAS_SK_HOLD_MAX ||
		    !kfaas_len_in(len, 1, KFAAS_SK_BUF - KFAAS_SK_HOLD_MAX) ||
		    bpf_skb_load_bytes(skb, 0, conn->buf + held, len))
			return kfaas_sk__fail(run, conn);
	}
	run->total = held + len;
	if (conn->flags & KFAAS_SK_CONN_F_PASSED)
		return kfaas_sk__pass_up(skb, run, conn, 0, run->total);
	return -1;
}

/* Frame the next request; 0 and req set up, or 1: none complete. */
static __always_inline int kfaas_sk__next(struct __sk_buff *skb,
					  struct kfaas_sk__run *run,
					  struct kfaas_sk_req *req, __u64 *t0,
					  __u32 delim, __u32 dmask)
{
	struct kfaas_sk__scan s = {};
	struct kfaas_sk_conn *conn;
	__u64 cookie = run->cookie;
	__u32 pos = run->pos, total = run->total;

	if (run->stop || pos >= total || total > KFAAS_SK_BUF)
		return 1;
	conn = bpf_map_lookup_elem(&kfaas_sk_conns, &cookie);
	if (!conn)
		return 1;
	s.conn = conn;
	s.start = pos;
	/* carried from byte to byte: unknown to 6.1 (kfaas_opaque) */
	s.word = kfaas_opaque(0);
	s.delim = delim;
	s.dmask = dmask;
	bpf_loop(total - pos, kfaas_sk__scan_cb, &s, 0);
	if (!s.found || s.found > total)
		return 1;
	req->skb = skb;
	req->conn = conn;
	req->fn_id = run->fn_id;
	req->off = pos;
	req->len = s.found - pos;
	req->out = run->out;
	req->reply_len = 0;
	req->close = 0;
	*t0 = 0;
	if (run->time_shift == 0 ||
	    (bpf_get_prandom_u32() & ((1U << run->time_shift) - 1)) == 0)
		*t0 = bpf_ktime_get_ns();
	return 0;
}

/*
 * A request over its function's budget (in the maps: see kfaas_budget.h)
 * is not run: counted as throttled, it stops the segment.  The route's
 * policy decides the rest: pass hands the connection, from this request
 * on, to the listener (kfaasd serves it from a VM-tier fallback), drop
 * closes it once the replies before it have left.  1: throttled.
 */
static __always_inline int kfaas_sk__throttled(struct kfaas_sk__run *run,
					       const struct kfaas_sk_req *req)
{
	if (!(run->route_flags & KFAAS_ROUTE_F_BUDGET) ||
	    kfaas_budget_admit(run->fn_id, req->len))
		return 0;
	run->stop = run->policy == KFAAS_POLICY_PASS ? KFAAS_SK__PASS :
						       KFAAS_SK__CLOSE;
	return 1;
}

/* Account a request the body returned rc for; 1 stops the loop. */
static __always_inline int kfaas_sk__done(struct kfaas_sk__run *run,
					  struct kfaas_sk_req *req, int rc,
					  __u64 t0)
{
	struct kfaas_stats d = { .invocations = 1 };

	d.bytes_in = req->len;
	if (rc >= 0) {
		run->out = req->out + req->reply_len;
		d.bytes_out = req->reply_len;
		if (req->close)
			run->stop = KFAAS_SK__CLOSE;
	} else if (rc == KFAAS_DROP) {
		d.drops = 1;	/* its reply bytes, if any, are overwritten */
	} else if (rc == KFAAS_PASS) {
		d.passed = 1;
		run->stop = KFAAS_SK__PASS;
	} else {
		d.errors = 1;
		run->stop = KFAAS_SK__CLOSE;
	}
	if (rc != KFAAS_PASS)
		run->pos += req->len;
	if (t0)
		d.cpu_ns = (bpf_ktime_get_ns() - t0) << run->time_shift;
	kfaas__account(run->fn_id, &d);
	if (run->route_flags & KFAAS_ROUTE_F_BUDGET)
		kfaas_budget_charge(run->fn_id, d.cpu_ns, d.bytes_out);
	return run->stop ? 1 : 0;
}

/* The function's answer to a request too large (KFAAS_SK_TOO_LARGE). */
static __always_inline void kfaas_sk__too_large(struct __sk_buff *skb,
						struct kfaas_sk__run *run,
						struct kfaas_sk_conn *conn)
{
#ifdef KFAAS_SK_TOO_LARGE
	struct kfaas_sk_req req = { .skb = skb, .conn = conn, .out = run->out };

	if (KFAAS_SK_REPLY_STR(&req, KFAAS_SK_TOO_LARGE) == 0)
		run->out += req.reply_len;
#endif
}

/* Keep what is left, then send the replies (or pass, or drop). */
__attribute__((noinline))
int kfaas_sk__end(struct __sk_buff *skb, struct kfaas_sk__run *run)
{
	struct kfaas_sk__copy c = {};
	struct kfaas_sk_conn *conn;
	__u64 cookie;
	__u32 left;

	if (!skb || !run)
		return SK_DROP;
	cookie = run->cookie;
	conn = bpf_map_lookup_elem(&kfaas_sk_conns, &cookie);
	if (!conn)
		return SK_DROP;
	left = run->total > run->pos ? run->total - run->pos : 0;
	if (run->stop == KFAAS_SK__PASS && run->out == 0)
		return kfaas_sk__pass_up(skb, run, conn, run->pos, left);
	if (run->stop == KFAAS_SK__CLOSE) {
		conn->flags |= KFAAS_SK_CONN_F_DISCARD;
		conn->len = 0;
		kfaas_sk__event(cookie, KFAAS_SK_EV_CLOSE, run->fn_id);
	} else if (run->too_large || left > KFAAS_SK_HOLD_MAX) {
		/* a request larger than a connection may hold */
		struct kfaas_stats d = { .errors = 1 };

		conn->flags |= KFAAS_SK_CONN_F_DISCARD;
		conn->len = 0;
		kfaas_sk__event(cookie, KFAAS_SK_EV_CLOSE, run->fn_id);
		kfaas__account(run->fn_id, &d);
		kfaas_sk__too_large(skb, run, conn);
	} else {
		if (run->stop == KFAAS_SK__PASS) {
			/*
			 * Replies to earlier requests of the segment go out; the
			 * passed bytes stay held, and pass up with the next one.
			 */
			conn->flags |= KFAAS_SK_CONN_F_PASSED;
			kfaas_sk__event(cookie, KFAAS_SK_EV_PASSED, run->fn_id);
		}
		if (left && run->pos) {
			c.conn = conn;
			c.src = run->pos;
			c.len = left;
			bpf_loop(KFAAS_SK_HOLD_MAX / 8 + 8, kfaas_sk__compact_cb,
				 &c, 0);
		}
		conn->len = c.err ? 0 : left;
	}
	if (run->out == 0)
		return SK_DROP;
	conn->requests++;
	if (run->out > KFAAS_SK_OUT_MAX || bpf_skb_change_tail(skb, run->out, 0))
		return SK_DROP;
	cookie = run->reply_to;
	return bpf_sk_redirect_hash(skb, &kfaas_sk_socks, &cookie,
				    run->reply_flags & BPF_F_INGRESS);
}

/*
 * Define a socket-tier function whose requests end with delim (a string
 * constant of 1 to 4 bytes, e.g. "\n" or "\r\n\r\n"):
 *	KFAAS_SK_FUNCTION(name, delim)(struct kfaas_sk_req *req) { ... }
 */
#define KFAAS_SK_FUNCTION(name, delim)					\
	_Static_assert(sizeof(delim) >= 2 && sizeof(delim) <= 5,	\
		       "a socket-tier delimiter has 1 to 4 bytes");	\
	static __always_inline int kfaas_sk_body__##name(struct kfaas_sk_req *req); \
	/* one request: a global function, verified once */		\
	__attribute__((noinline))					\
	int kfaas_sk_one__##name(struct __sk_buff *skb,			\
				 struct kfaas_sk__run *run)		\
	{								\
		struct kfaas_sk_req req;				\
		__u64 t0;						\
									\
		if (!skb || !run ||					\
		    kfaas_sk__next(skb, run, &req, &t0,			\
				   kfaas_sk__dword(delim, sizeof(delim) - 1), \
				   KFAAS_SK__DMASK(sizeof(delim) - 1)) ||	\
		    kfaas_sk__throttled(run, &req))			\
			return 1;					\
		return kfaas_sk__done(run, &req,			\
				      kfaas_sk_body__##name(&req), t0);	\
	}								\
	SEC("sk_skb/stream_verdict")					\
	int kfaas_fn_##name(struct __sk_buff *skb)			\
	{								\
		struct kfaas_sk__run run;				\
		int rc = kfaas_sk__begin(skb, &run), i;			\
									\
		if (rc >= 0)						\
			return rc;					\
		for (i = 0; i < KFAAS_SK_MSGS_MAX; i++)			\
			if (kfaas_sk_one__##name(skb, &run))		\
				break;					\
		return kfaas_sk__end(skb, &run);			\
	}								\
	static __always_inline int kfaas_sk_body__##name

/* kfaas_log() for socket-tier requests (bpf/kfaas_log.h) */
#include "kfaas_log_sk.h"

#endif /* KFAAS_SK_SDK_H */
