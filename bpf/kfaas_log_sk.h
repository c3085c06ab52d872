/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas_log() of the socket tier (bpf/kfaas_log.h has the call): included
 * by bpf/kfaas_sk.h once struct kfaas_sk_req is complete.
 */
#ifndef KFAAS_LOG_SK_SDK_H
#define KFAAS_LOG_SK_SDK_H

#include "kfaas_log.h"

#ifndef AF_INET
#define AF_INET		2
#define AF_INET6	10
#endif

/*
 * The client's address and port, from the connection's socket in
 * kfaas_sk_socks (the request's skb arrived on its relay): src is the
 * client, dst the listener's address and port.
 */
static __always_inline void kfaas__log_sk_peer(struct kfaas_log_hdr *h,
					       __u64 conn)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&kfaas_sk_socks, &conn);

	if (!sk) {
		h->flags |= KFAAS_LOG_F_NOSRC;
		return;
	}
	if (sk->family == AF_INET) {
		__builtin_memcpy(h->saddr, &sk->dst_ip4, 4);
	} else if (sk->family == AF_INET6) {
		if (h->family == KFAAS_FAMILY_IPV4) {
			/* an IPv4 client of a dual-stack socket */
			__u32 a = sk->dst_ip6[3];

			__builtin_memcpy(h->saddr, &a, 4);
		} else {
			__u32 a0 = sk->dst_ip6[0], a1 = sk->dst_ip6[1],
			      a2 = sk->dst_ip6[2], a3 = sk->dst_ip6[3];

			__builtin_memcpy(h->saddr, &a0, 4);
			__builtin_memcpy(h->saddr + 4, &a1, 4);
			__builtin_memcpy(h->saddr + 8, &a2, 4);
			__builtin_memcpy(h->saddr + 12, &a3, 4);
		}
	}
	h->sport = sk->dst_port;
	bpf_sk_release(sk);
}

/* The socket tier's record header (bpf/kfaas_log.h: kfaas__log_xdp()). */
static __attribute__((noinline)) struct kfaas_log_state *
kfaas__log_sk(const struct kfaas_sk_req *req, struct kfaas_log_hdr *h)
{
	const struct kfaas_sk_link *l;
	struct kfaas_log_state *s;
	__u64 now = bpf_ktime_get_ns(), own;

	s = kfaas__log_admit(req->fn_id, now);
	if (!s)
		return NULL;
	__builtin_memset(h, 0, sizeof(*h));
	h->ts_ns = now;
	h->fn_id = req->fn_id;
	h->tier = KFAAS_TIER_SK;
	h->proto = KFAAS_IPPROTO_TCP;
	h->flags = KFAAS_LOG_F_NOSRC;
	l = kfaas_sk__relay(req->skb, &own);
	if (l) {
		h->flags = 0;
		h->family = l->family;
		h->dport = l->port;
		__builtin_memcpy(h->daddr, l->addr, sizeof(h->daddr));
		kfaas__log_sk_peer(h, l->conn);
	}
	return s;
}

#undef KFAAS__LOG_SK_CASES
#define KFAAS__LOG_SK_CASES					\
	, struct kfaas_sk_req *: kfaas__log_sk,			\
	const struct kfaas_sk_req *: kfaas__log_sk

#endif /* KFAAS_LOG_SK_SDK_H */
