// SPDX-License-Identifier: GPL-2.0
/*
 * kv: memcached UDP "get KEY" answered from a coherent cache in XDP; a
 * miss takes a lease and goes up to memcached, whose reply fills the
 * entry (kv_hooks.bpf.c).  Design and guarantee: docs/kv.md; layouts and
 * rules: kv.h.
 */
#include "vmlinux.h"
#include "kfaas.h"
#include "kv_maps.h"

/* Per-CPU copy of the request's key (XDP runs in softirq only). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_key);
} kv_scratch SEC(".maps");

#define KV_REQ_MAX	(KV_UDP_HDR + 4 + KV_KEY_MAX + 2)

/*
 * Parse "HDR get KEY\r\n" into the scratch key; the key length, or -1 if
 * this is not a single-key get this cache can answer.
 */
__attribute__((noinline))
int kv_parse(struct xdp_md *ctx, __u32 off, __u32 len)
{
	struct kfaas_req req = KFAAS_REQ(ctx, off, len);
	__u8 buf[KV_REQ_MAX] = {};
	struct kv_key *key;
	__u32 zero = 0;
	int i, klen = -1;

	if (!ctx || !kfaas_len_in(len, KV_UDP_HDR + 4 + 1 + 2, KV_REQ_MAX))
		return -1;
	if (kfaas_load(&req, 0, buf, len))
		return -1;
	/* sequence 0 of 1 datagram, then "get " */
	if (buf[2] || buf[3] || buf[4] || buf[5] != 1 || buf[8] != 'g' ||
	    buf[9] != 'e' || buf[10] != 't' || buf[11] != ' ')
		return -1;
	key = bpf_map_lookup_elem(&kv_scratch, &zero);
	if (!key)
		return -1;
	__builtin_memset(key, 0, sizeof(*key));
	for (i = 0; i < KV_KEY_MAX + 1; i++) {
		__u8 c = buf[KV_UDP_HDR + 4 + i];

		if (c == '\r') {
			klen = i;
			break;
		}
		/* one key per request; control characters are not keys */
		if (c <= ' ' || c == 0x7f || i >= KV_KEY_MAX)
			return -1;
		key->key[i & (KV_KEY_MAX - 1)] = c;
	}
	if (klen <= 0 || KV_UDP_HDR + 4 + klen + 2 != len ||
	    buf[(KV_UDP_HDR + 4 + klen + 1) & 127] != '\n')
		return -1;
	return klen;
}

static __always_inline __u32 dec_digits(__u32 v)
{
	__u32 n = 1, i;

	for (i = 0; i < 9; i++) {
		if (v < 10)
			break;
		v /= 10;
		n++;
	}
	return n;
}

/* Write a decimal number at off; the digits written, or -1. */
static __always_inline int put_dec(struct kfaas_req *req, __u32 off, __u32 v)
{
	__u32 n = dec_digits(v), i;

	/* least significant digit last */
	for (i = 0; i < 10; i++) {
		char d = '0' + v % 10;

		if (i >= n)
			break;
		if (kfaas_store(req, off + n - 1 - i, &d, 1))
			return -1;
		v /= 10;
	}
	return n;
}

static __always_inline struct kv_xstats *kv_xstats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xstats, &zero);
}

/*
 * An entry is served only under the epoch and slot generation it was
 * filled under, and before it expires (max-age, TTL).
 */
static __always_inline int kv_entry_valid(const struct kv_value *val)
{
	__u32 zero = 0, slot = val->slot & (KV_SLOTS - 1);
	struct kv_conf *conf = bpf_map_lookup_elem(&kv_conf, &zero);
	struct kv_slot *sl = bpf_map_lookup_elem(&kv_slots, &slot);
	struct kv_xstats *xs;

	if (!conf || !sl || val->epoch != conf->epoch || val->gen != sl->gen)
		return 0;
	if (bpf_ktime_get_ns() < val->expires)
		return 1;
	xs = kv_xstats();
	if (xs)
		xs->expired++;
	return 0;
}

/*
 * Build "HDR VALUE KEY FLAGS LEN\r\nDATA\r\nEND\r\n" for the scratch key
 * (klen bytes) from the cache; the reply length, 0 on a miss, -1 on error.
 */
__attribute__((noinline))
int kv_reply(struct xdp_md *ctx, __u32 payload_off, __u32 klen)
{
	struct kfaas_req req = KFAAS_REQ(ctx, payload_off, 0);
	struct kv_value *val;
	struct kv_key *key;
	__u32 zero = 0, off, vlen;
	int n;

	if (!ctx || klen == 0 || klen > KV_KEY_MAX)
		return -1;
	key = bpf_map_lookup_elem(&kv_scratch, &zero);
	if (!key)
		return -1;
	val = bpf_map_lookup_elem(&kv_cache, key);
	if (!val)
		return 0;
	if (!kv_entry_valid(val)) {
		bpf_map_delete_elem(&kv_cache, key);
		return 0;
	}
	vlen = val->len;
	if (vlen > KV_VALUE_MAX)
		return -1;
	/*
	 * The 8-byte frame header stays: same request id, 1 datagram.  Grow
	 * the frame by no more than the reply needs: some drivers (veth for
	 * one) leave little tailroom.
	 */
	/* the calls above spilled klen: bound it again where it is used */
	if (!kfaas_len_in(klen, 1, KV_KEY_MAX))
		return -1;
	if (kfaas_reply_reserve(&req, KV_UDP_HDR + 6 + klen + 1 +
				dec_digits(val->flags) + 1 + dec_digits(vlen) +
				2 + vlen + 7) ||
	    kfaas_store(&req, KV_UDP_HDR, "VALUE ", 6) ||
	    kfaas_store(&req, KV_UDP_HDR + 6, key->key, klen))
		return -1;
	off = KV_UDP_HDR + 6 + klen;
	if (kfaas_store(&req, off, " ", 1))
		return -1;
	n = put_dec(&req, off + 1, val->flags);
	if (n < 0)
		return -1;
	off += 1 + n;
	if (kfaas_store(&req, off, " ", 1))
		return -1;
	n = put_dec(&req, off + 1, vlen);
	if (n < 0)
		return -1;
	off += 1 + n;
	if (kfaas_store(&req, off, "\r\n", 2))
		return -1;
	off += 2;
	if (vlen > 0 && vlen <= KV_VALUE_MAX) {
		if (kfaas_store(&req, off, val->data, vlen))
			return -1;
		off += vlen;
	}
	if (kfaas_store(&req, off, "\r\nEND\r\n", 7))
		return -1;
	return off + 7;
}

/*
 * A miss: take a lease for the scratch key (klen bytes), keyed by the
 * client's address, port and request id, so that memcached's reply can
 * fill the entry only if no write to the key came in between (kv.h).
 * fam_klen: family << 8 | klen.
 */
__attribute__((noinline))
int kv_lease(struct xdp_md *ctx, __u32 l3_off, __u32 l4_off, __u32 payload_off,
	     __u32 fam_klen)
{
	struct kv_req_key rk = {};
	struct kv_req r = {}, *old;
	__u32 zero = 0, klen = fam_klen & 0xff, slot;
	struct kv_conf *conf;
	struct kv_slot *sl;
	struct kv_key *key;
	int err;

	if (!ctx || klen == 0 || klen > KV_KEY_MAX)
		return -1;
	conf = bpf_map_lookup_elem(&kv_conf, &zero);
	key = bpf_map_lookup_elem(&kv_scratch, &zero);
	if (!conf || !key || !conf->armed)
		return -1;
	r.epoch = conf->epoch;
	slot = kv_slot_of(kv_hash(key->key, klen));
	sl = bpf_map_lookup_elem(&kv_slots, &slot);
	if (!sl)
		return -1;
	r.gen = sl->gen;
	r.slot = slot;
	r.kind = KV_REQ_GET;
	r.klen = klen;
	__builtin_memcpy(&r.key, key, sizeof(r.key));
	if ((fam_klen >> 8) == KFAAS_FAMILY_IPV4) {
		rk.family = 4;
		err = bpf_xdp_load_bytes(ctx, l3_off + 12, rk.addr, 4);
	} else {
		rk.family = 6;
		err = bpf_xdp_load_bytes(ctx, l3_off + 8, rk.addr, 16);
	}
	if (err || bpf_xdp_load_bytes(ctx, l4_off, &rk.port, 2) ||
	    bpf_xdp_load_bytes(ctx, payload_off, &rk.reqid, 2))
		return -1;
	/* a write with the same id in flight keeps its record: no fill */
	old = bpf_map_lookup_elem(&kv_reqs, &rk);
	if (old && old->kind == KV_REQ_WRITE)
		return 0;
	return bpf_map_update_elem(&kv_reqs, &rk, &r, BPF_ANY);
}

KFAAS_XDP_FUNCTION(kv)(struct kfaas_req *req)
{
	struct kv_xstats *xs;
	int klen, n;

	klen = kv_parse(KFAAS_REQ_ARGS(req));
	if (klen <= 0)
		return KFAAS_PASS;		/* not ours: memcached answers */
	n = kv_reply(req->ctx, req->payload_off, klen);
	if (n < 0)
		return KFAAS_ERROR;
	xs = kv_xstats();
	if (n == 0) {				/* miss: memcached answers */
		if (xs)
			xs->misses++;
		kv_lease(req->ctx, req->l3_off, req->l4_off, req->payload_off,
			 (__u32)req->family << 8 | klen);
		return KFAAS_PASS;
	}
	if (xs)
		xs->hits++;
	return n;
}
