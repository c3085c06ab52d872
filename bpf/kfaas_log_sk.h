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
static __always_inline void kfaas__log_sk_peer(struct kfaas_log_rec *r,
					       __u64 conn)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&kfaas_sk_socks, &conn);

	if (!sk) {
		r->flags |= KFAAS_LOG_F_NOSRC;
		return;
	}
	if (sk->family == AF_INET) {
		__builtin_memcpy(r->saddr, &sk->dst_ip4, 4);
	} else if (sk->family == AF_INET6) {
		if (r->family == KFAAS_FAMILY_IPV4) {
			/* an IPv4 client of a dual-stack socket */
			__u32 a = sk->dst_ip6[3];

			__builtin_memcpy(r->saddr, &a, 4);
		} else {
			__u32 a0 = sk->dst_ip6[0], a1 = sk->dst_ip6[1],
			      a2 = sk->dst_ip6[2], a3 = sk->dst_ip6[3];

			__builtin_memcpy(r->saddr, &a0, 4);
			__builtin_memcpy(r->saddr + 4, &a1, 4);
			__builtin_memcpy(r->saddr + 8, &a2, 4);
			__builtin_memcpy(r->saddr + 12, &a3, 4);
		}
	}
	r->sport = sk->dst_port;
	bpf_sk_release(sk);
}

/* The socket tier's record without its message, or NULL (bpf/kfaas_log.h). */
static __attribute__((noinline)) struct kfaas_log_rec *
kfaas__log_sk(const struct kfaas_sk_req *req)
{
	const struct kfaas_sk_link *l;
	struct kfaas_log_state *s;
	struct kfaas_log_rec *r;
	__u64 now = bpf_ktime_get_ns(), own;

	s = kfaas__log_admit(req->fn_id, now);
	if (!s)
		return NULL;
	r = kfaas__log_reserve(s, req->fn_id, now, KFAAS_TIER_SK);
	if (!r)
		return NULL;
	r->proto = KFAAS_IPPROTO_TCP;
	l = kfaas_sk__relay(req->skb, &own);
	r->flags |= KFAAS_LOG_F_NOSRC;
	if (l) {
		r->flags &= ~KFAAS_LOG_F_NOSRC;
		r->family = l->family;
		r->dport = l->port;
		__builtin_memcpy(r->daddr, l->addr, sizeof(r->daddr));
		kfaas__log_sk_peer(r, l->conn);
	}
	return r;
}

#undef KFAAS__LOG_SK_CASES
#define KFAAS__LOG_SK_CASES					\
	, struct kfaas_sk_req *: kfaas__log_sk,			\
	const struct kfaas_sk_req *: kfaas__log_sk

#endif /* KFAAS_LOG_SK_SDK_H */
