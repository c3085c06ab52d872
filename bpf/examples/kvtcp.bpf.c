// SPDX-License-Identifier: GPL-2.0
/*
 * kvtcp: memcached's text "get KEY" over TCP, answered in the kernel at
 * the socket tier from the same kind of cache as the kv example (kv.h;
 * fill it with 'kfaas-kv --fn NAME set KEY VALUE').  One command a line:
 *   get KEY\r\n  ->  VALUE KEY FLAGS LEN\r\nDATA\r\nEND\r\n, or END\r\n
 *   quit\r\n     ->  the connection closes
 *   anything else -> ERROR\r\n
 */
#include "vmlinux.h"
#include "kfaas_sk.h"
#include "kv.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KV_ENTRIES);
	__type(key, struct kv_key);
	__type(value, struct kv_value);
} kv_cache SEC(".maps");

/*
 * "get KEY\r\n" (or "\n"): the key into key and its length; 0 for
 * "quit", -1 for anything else.
 */
__attribute__((noinline))
int kv_command(struct __sk_buff *skb, __u32 off, __u32 len, struct kv_key *key)
{
	struct kfaas_sk_req req;
	const __u8 *v;
	__u32 i, end;
	int c;

	if (!key || kfaas_sk_req_get(skb, off, len, &req) || len < 2)
		return -1;
	/* the line without its "\n" or "\r\n" */
	end = len - 1;
	if (kfaas_sk_byte(&req, end - 1) == '\r')
		end--;
	v = kfaas_sk_ptr(&req, 0, 4);
	if (v && end == 4 && v[0] == 'q' && v[1] == 'u' && v[2] == 'i' &&
	    v[3] == 't')
		return 0;
	if (!v || v[0] != 'g' || v[1] != 'e' || v[2] != 't' || v[3] != ' ' ||
	    end <= 4 || end - 4 > KV_KEY_MAX)
		return -1;
	for (i = 0; i < KV_KEY_MAX; i++) {
		if (4 + i >= end)
			break;
		c = kfaas_sk_byte(&req, 4 + i);
		/* one key per request; control characters are not keys */
		if (c <= ' ' || c == 0x7f)
			return -1;
		key->key[i & (KV_KEY_MAX - 1)] = c;
	}
	return (int)(end - 4);
}

static __always_inline int reply_value(struct kfaas_sk_req *req,
				       const struct kv_value *val, __u32 klen)
{
	__u32 vlen = val->len;

	kfaas_barrier_var(vlen);
	if (vlen > KV_VALUE_MAX)
		return KFAAS_ERROR;
	if (KFAAS_SK_REPLY_STR(req, "VALUE ") ||
	    kfaas_sk_reply_req(req, 4, klen) ||
	    KFAAS_SK_REPLY_STR(req, " ") ||
	    kfaas_sk_reply_dec(req, val->flags) ||
	    KFAAS_SK_REPLY_STR(req, " ") ||
	    kfaas_sk_reply_dec(req, vlen) ||
	    KFAAS_SK_REPLY_STR(req, "\r\n") ||
	    /* bounded again where used: 6.1 forgets the bound over calls */
	    (vlen && (!kfaas_len_in(vlen, 1, KV_VALUE_MAX) ||
		      kfaas_sk_reply(req, val->data, vlen))) ||
	    KFAAS_SK_REPLY_STR(req, "\r\nEND\r\n"))
		return KFAAS_ERROR;
	return 0;
}

KFAAS_SK_FUNCTION(kvtcp, "\n")(struct kfaas_sk_req *req)
{
	struct kv_key key = {};
	const struct kv_value *val;
	int klen;

	klen = kv_command(KFAAS_SK_REQ_ARGS(req), &key);
	if (klen == 0) {
		kfaas_sk_close(req);
		return 0;
	}
	if (klen < 0)
		return KFAAS_SK_REPLY_STR(req, "ERROR\r\n") ? KFAAS_ERROR : 0;
	val = bpf_map_lookup_elem(&kv_cache, &key);
	if (!val)
		return KFAAS_SK_REPLY_STR(req, "END\r\n") ? KFAAS_ERROR : 0;
	return reply_value(req, val, (__u32)klen);
}
