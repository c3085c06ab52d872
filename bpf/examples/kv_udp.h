/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kv's UDP hooks (kv_hooks.bpf.c): requests at memcached's UDP socket
 * (kv_udp_in) - writes invalidate and hold their keys - and its replies
 * (kv_udp_out) - a leased get's value fills the cache, a write's reply
 * bumps its key again.  Included by kv_hooks.bpf.c after its maps.
 */
#ifndef KFAAS_EX_KV_UDP_H
#define KFAAS_EX_KV_UDP_H

/* ---- UDP (kv_udp_in, kv_udp_out) --------------------------------------- */

struct kv_udp {
	__u32	off;		/* memcached's 8-byte frame header */
	__u32	len;		/* from there to the end of the datagram */
	__u8	family;
	__u8	addr[16];	/* the client's */
	__be16	port;		/* the client's */
};

/*
 * A datagram of memcached's UDP socket (skb at the network header), src:
 * the client is the source (a request) or the destination (a reply).
 * 0 when it is one, with its payload and client.
 */
static __always_inline int kv_udp_parse(struct __sk_buff *skb,
					struct kv_conf *conf, int src,
					struct kv_udp *u)
{
	struct bpf_sock *sk = skb->sk;
	struct udphdr uh;
	__u8 vihl;
	__u32 l4;

	if (!conf->armed || !sk)
		return -1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != KFAAS_IPPROTO_UDP ||
	    sk->src_port != conf->port)
		return -1;
	/* this namespace's: asked, or marked where it cannot be asked */
	if (kv_skb_netns ? bpf_get_netns_cookie(skb) != conf->netns_cookie :
	    !bpf_sk_storage_get(&kv_udp_mark, sk, 0, 0))
		return -1;
	if (bpf_skb_load_bytes(skb, 0, &vihl, 1))
		return -1;
	if ((vihl >> 4) == 4) {
		u->family = 4;
		l4 = (vihl & 0xf) * 4;
		if (bpf_skb_load_bytes(skb, src ? 12 : 16, u->addr, 4))
			return -1;
	} else if ((vihl >> 4) == 6) {
		__u8 nh;

		u->family = 6;
		l4 = 40;
		if (bpf_skb_load_bytes(skb, 6, &nh, 1) ||
		    bpf_skb_load_bytes(skb, src ? 8 : 24, u->addr, 16))
			return -1;
		if (nh != KFAAS_IPPROTO_UDP)
			return -2;	/* extension headers: not parsed */
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh)) ||
	    bpf_ntohs(uh.len) < sizeof(uh) ||
	    l4 + bpf_ntohs(uh.len) > skb->len)
		return -2;
	u->port = src ? uh.source : uh.dest;
	u->off = l4 + sizeof(uh);
	u->len = bpf_ntohs(uh.len) - sizeof(uh);
	return 0;
}

static __always_inline void kv_req_key_of(const struct kv_udp *u, __u16 reqid,
					  struct kv_req_key *rk)
{
	__builtin_memcpy(rk->addr, u->addr, sizeof(rk->addr));
	rk->port = u->port;
	rk->reqid = reqid;
	rk->family = u->family;
}

/* No fill for a while: a UDP request this hook could not follow. */
static __always_inline void kv_udp_giveup(struct kv_conf *conf)
{
	kv_max_atomic(&conf->deny_until, bpf_ktime_get_ns() + KV_UDP_HOLD_NS);
	kv_flush(1);
}

/*
 * Copy the first line of the request at off (len bytes) into line: its
 * length, or -1 if it has no end within KV_LINE_MAX bytes.
 */
__attribute__((noinline))
int kv_udp_line_of(struct __sk_buff *skb, __u32 off, __u32 len,
		   struct kv_line *line)
{
	__u32 i, j, n;
	__u8 buf[KV_CHUNK];

	if (!skb || !line)
		return -1;
	for (i = 0; i < KV_LINE_MAX / KV_CHUNK; i++) {
		if (i * KV_CHUNK >= len)
			return -1;
		n = kv_chunk(len - i * KV_CHUNK);
		if (bpf_skb_load_bytes(skb, off + i * KV_CHUNK, buf, n))
			return -1;
		for (j = 0; j < KV_CHUNK; j++) {
			if (j >= n)
				break;
			if (buf[j] == '\n')
				return i * KV_CHUNK + j;
			line->b[(i * KV_CHUNK + j) & (KV_LINE_MAX - 1)] = buf[j];
		}
	}
	return -1;
}

/*
 * A UDP write that memcached will answer: recorded by client, port and
 * request id, so that its reply bumps the key (slot) again, or flushes.
 */
__attribute__((noinline))
int kv_udp_record(struct kv_udp *u, __u32 reqid, __u32 slot)
{
	struct kv_req r = { .kind = KV_REQ_WRITE, .slot = slot }, *old;
	struct kv_conf *conf = kv_conf_get();
	struct kv_req_key rk = {};

	if (!u || !conf)
		return 0;
	kv_req_key_of(u, (__u16)reqid, &rk);
	old = bpf_map_lookup_elem(&kv_reqs, &rk);
	if (old && old->kind == KV_REQ_WRITE) {
		/* two writes under one id: which reply is whose is unknown */
		r.flush = 1;
		kv_udp_giveup(conf);
	}
	bpf_map_update_elem(&kv_reqs, &rk, &r, BPF_ANY);
	return 0;
}

/*
 * A UDP request (the 8-byte header at u->off): writes invalidate and hold
 * their keys for KV_UDP_HOLD_NS; a write that will be answered is recorded
 * so its reply bumps its key again.
 */
__attribute__((noinline))
int kv_udp_request(struct __sk_buff *skb, struct kv_udp *u)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_held w = {};
	struct kv_line *line;
	struct kv_toks t;
	struct kv_cmd cmd;
	__u8 hdr[KV_UDP_HDR];
	__u32 z = 0, i, rest;
	int len, slot = -1;

	if (!skb || !u || !conf)
		return 0;
	line = bpf_map_lookup_elem(&kv_udp_line, &z);
	if (!line || u->len <= KV_UDP_HDR ||
	    bpf_skb_load_bytes(skb, u->off, hdr, sizeof(hdr)))
		return 0;
	if (hdr[4] != 0 || hdr[5] != 1)
		return 0;		/* memcached drops multi-datagram requests */
	len = kv_udp_line_of(skb, u->off + KV_UDP_HDR, u->len - KV_UDP_HDR,
			     line);
	if (len < 0) {
		/* memcached waits for the line's end: none comes in UDP */
		if (u->len - KV_UDP_HDR > KV_LINE_MAX)
			kv_udp_giveup(conf);
		return 0;
	}
	if (kv_tokenize(line, len, &t) || kv_classify(line, &t, &cmd) ||
	    cmd.lost) {
		kv_udp_giveup(conf);
		return 0;
	}
	if (cmd.flush)
		kv_udp_giveup(conf);
	for (i = 0; i < KV_CMD_KEYS; i++) {
		if (i >= cmd.nkeys)
			break;
		w.exptime = (__s32)cmd.exptime;
		slot = kv_invalidate(line, cmd.koff[i], cmd.klen[i],
				     KV_OP_MODE(&cmd, KV_HOLD_TIME), &w);
	}
	if (cmd.op == KV_OP_FLUSH) {
		kv_max_atomic(&conf->deny_until, bpf_ktime_get_ns() +
			      KV_UDP_HOLD_NS);
		kv_flush_all(cmd.exptime);
	}
	/* exactly one command: memcached would go on with what follows */
	rest = u->len - KV_UDP_HDR - (len + 1);
	if (rest != cmd.bytes)
		kv_udp_giveup(conf);
	if (cmd.op == KV_OP_READ || cmd.shape != KV_RS_LINE)
		return 0;
	kv_udp_record(u, *(__u16 *)hdr,
		      cmd.nkeys == 1 && slot >= 0 ? (__u32)slot : KV_SLOT_ALL);
	return 0;
}

/* b (n bytes) starts with the m bytes of s (a constant). */
static __always_inline int kv_bytes_is(const __u8 *b, __u32 n, const char *s,
				       __u32 m)
{
	__u32 j;

	if (n < m)
		return 0;
	for (j = 0; j < m; j++)
		if (b[j] != (__u8)s[j])
			return 0;
	return 1;
}

#define KV_BYTES_IS(b, n, lit)	kv_bytes_is(b, n, lit, sizeof(lit) - 1)

/* The reply is one of memcached's answers to a write. */
static __always_inline int kv_write_reply(const __u8 *b, __u32 n)
{
	return KV_BYTES_IS(b, n, "STORED\r\n") ||
	       KV_BYTES_IS(b, n, "NOT_STORED\r\n") ||
	       KV_BYTES_IS(b, n, "EXISTS\r\n") ||
	       KV_BYTES_IS(b, n, "NOT_FOUND\r\n") ||
	       KV_BYTES_IS(b, n, "DELETED\r\n") ||
	       KV_BYTES_IS(b, n, "TOUCHED\r\n") ||
	       KV_BYTES_IS(b, n, "OK\r\n") ||
	       (n > 0 && b[0] >= '0' && b[0] <= '9');	/* incr, decr */
}

/*
 * Parse "VALUE KEY FLAGS BYTES\r\n" in b (n bytes) for the leased key:
 * the header's length, with flags and bytes, or -1.
 */
static __always_inline int kv_value_hdr(const __u8 *b, __u32 n,
					const struct kv_req *r,
					__u32 *flags, __u32 *bytes)
{
	__u32 i, p, klen = r->klen, v;

	if (klen == 0 || klen > KV_KEY_MAX || n < 6 + klen + 6)
		return -1;
	for (i = 0; i < KV_KEY_MAX; i++) {
		if (i >= klen)
			break;
		if (b[(6 + i) & 127] != (__u8)r->key.key[i])
			return -1;
	}
	p = 6 + klen;
	if (b[p & 127] != ' ')
		return -1;
	for (i = 0; i < 2; i++) {
		__u32 d, nd = 0;

		v = 0;
		for (d = 0; d < 10; d++) {
			__u8 ch = b[(p + 1 + d) & 127];

			if (p + 1 + d >= n || ch < '0' || ch > '9')
				break;
			v = v * 10 + (ch - '0');
			nd++;
		}
		if (nd == 0 || nd == 10)
			return -1;
		p += 1 + nd;
		if (i == 0) {
			*flags = v;
			if (p >= n || b[p & 127] != ' ')
				return -1;
		}
	}
	*bytes = v;
	if (p + 2 > n || b[p & 127] != '\r' || b[(p + 1) & 127] != '\n')
		return -1;
	return p + 2;
}

/*
 * memcached's reply to a leased get (lease: its kv_reqs key): fill the
 * entry, if no write came since the lease and none is in flight, and
 * within the key's TTL.
 */
__attribute__((noinline))
int kv_fill(struct __sk_buff *skb, __u32 off, __u32 len,
	    const struct kv_req_key *lease)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_value v = {};
	__u8 b[128] = {};
	__u32 n, nb, flags = 0, bytes = 0, tag;
	struct kv_slot *sl;
	struct kv_req *r;
	__u64 now, bound;
	int h;

	if (!skb || !lease || !conf)
		return 0;
	/*
	 * Looked up here, on a copy in b: 6.1 takes a map key only from the
	 * stack or a map value, not from a global function's argument.  b,
	 * the reply's start, the value's end after it: 6.1 rounds each
	 * frame up to 32 bytes and refuses kv_udp_out's two over 512.
	 */
	__builtin_memcpy(b, lease, sizeof(*lease));
	r = bpf_map_lookup_elem(&kv_reqs, b);
	if (!r || r->kind != KV_REQ_GET || r->klen == 0 || r->klen > KV_KEY_MAX)
		return 0;
	/* n - 16 checked, n passed from it (as for nb below) */
	n = (len < 96 ? len : 96) - 16;
	kfaas_barrier_var(n);
	if (n > 96 - 16)
		return 0;
	n += 16;
	if (bpf_skb_load_bytes(skb, off, b, n))
		return 0;
	h = kv_value_hdr(b, n, r, &flags, &bytes);
	if (h < 0 || bytes > KV_VALUE_MAX || h + bytes + 7 != len ||
	    bpf_skb_load_bytes(skb, off + h + bytes, b, 7) ||
	    !KV_BYTES_IS(b, 7, "\r\nEND\r\n"))
		return 0;
	sl = kv_slot_get(r->slot);
	if (!sl)
		return 0;
	now = bpf_ktime_get_ns();
	tag = (__u32)(kv_hash(r->key.key, r->klen) >> 32);
	if (!conf->armed || r->epoch != conf->epoch || sl->gen != r->gen ||
	    sl->pend || conf->pend_global || now < conf->deny_until)
		goto race;
	bpf_spin_lock(&sl->lock);
	bound = now < sl->block_until ? 0 : kv_ttl_bound(sl, tag, now);
	bpf_spin_unlock(&sl->lock);
	if (bound <= now)
		goto race;
	v.expires = now + conf->max_age_ns;
	if (v.expires > bound)
		v.expires = bound;
	v.len = bytes;
	v.flags = flags;
	v.slot = r->slot;
	v.gen = r->gen;
	v.epoch = r->epoch;
	/*
	 * The length checked as bytes - 1 < KV_VALUE_MAX and passed as that
	 * + 1 (hidden from clang, which would pass bytes itself): 6.1's
	 * verifier keeps the bound only on the register it checked
	 * ("invalid zero-sized read"); bytes 0 loads nothing.
	 */
	nb = bytes - 1;
	kfaas_barrier_var(nb);
	if (nb < KV_VALUE_MAX &&
	    bpf_skb_load_bytes(skb, off + h, v.data, nb + 1))
		return 0;
	if (bpf_map_update_elem(&kv_cache, &r->key, &v, BPF_ANY))
		return 0;
	KV_COUNT(fills);
	return 0;
race:
	KV_COUNT(fill_races);
	return 0;
}

/*
 * A reply of memcached's UDP socket (the 8-byte header at u->off): 1 when
 * it is the value of a leased get (out: its record's key), for kv_fill().
 */
__attribute__((noinline))
int kv_udp_reply(struct __sk_buff *skb, struct kv_udp *u, struct kv_req_key *out)
{
	struct kv_req_key key = {}, *rk = &key;	/* a map key on the stack (6.1) */
	struct kv_req *r;
	__u8 b[16] = {};
	__u32 n;

	if (!skb || !u || !out || u->len < KV_UDP_HDR + 3)
		return 0;
	n = u->len - KV_UDP_HDR;
	if (n > sizeof(b))
		n = sizeof(b);
	if (bpf_skb_load_bytes(skb, u->off, b, KV_UDP_HDR) ||
	    (b[2] | b[3]))
		return 0;		/* not the first datagram of a reply */
	kv_req_key_of(u, *(__u16 *)b, rk);
	r = bpf_map_lookup_elem(&kv_reqs, rk);
	if (bpf_skb_load_bytes(skb, u->off + KV_UDP_HDR, b, ((n - 1) & 15) + 1))
		return 0;
	if (KV_BYTES_IS(b, n, "VALUE ") || KV_BYTES_IS(b, n, "END\r\n")) {
		/* a get's reply: fill if leased, never touch a write's record */
		if (!r || r->kind != KV_REQ_GET)
			return 0;
		if (b[0] == 'V') {
			*out = key;
			return 1;
		}
		bpf_map_delete_elem(&kv_reqs, rk);
		return 0;
	}
	if (r && r->kind == KV_REQ_WRITE) {
		if (r->flush || r->slot == KV_SLOT_ALL)
			kv_flush(r->flush);
		else
			kv_bump(r->slot);
		bpf_map_delete_elem(&kv_reqs, rk);
		return 0;
	}
	if (kv_write_reply(b, n))
		kv_flush(1);		/* a write this hook has no record of */
	if (r)
		bpf_map_delete_elem(&kv_reqs, rk);
	return 0;
}

#endif
