// SPDX-License-Identifier: GPL-2.0
/* kv: memcached UDP GET answered from a map in XDP; misses go up (kv.h). */
#include "vmlinux.h"
#include "kfaas.h"
#include "kv.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_ENTRIES);
	__type(key, struct kv_key);
	__type(value, struct kv_value);
} kv_cache SEC(".maps");

/* Per-CPU copy of the request's key. */
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

	if (!ctx || len < KV_UDP_HDR + 4 + 1 + 2 || len > KV_REQ_MAX)
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
	vlen = val->len;
	if (vlen > KV_VALUE_MAX)
		return -1;
	/*
	 * The 8-byte frame header stays: same request id, 1 datagram.  Grow
	 * the frame by no more than the reply needs: some drivers (veth for
	 * one) leave little tailroom.
	 */
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

KFAAS_XDP_FUNCTION(kv)(struct kfaas_req *req)
{
	int klen, n;

	klen = kv_parse(KFAAS_REQ_ARGS(req));
	if (klen <= 0)
		return KFAAS_PASS;		/* not ours: the server answers */
	n = kv_reply(req->ctx, req->payload_off, klen);
	if (n == 0)
		return KFAAS_PASS;		/* miss: the server answers */
	if (n < 0)
		return KFAAS_ERROR;
	return n;
}
