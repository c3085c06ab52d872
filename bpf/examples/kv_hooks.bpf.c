// SPDX-License-Identifier: GPL-2.0
/*
 * kv's server-side hooks: everything that keeps the XDP cache (kv.bpf.c)
 * coherent with memcached.  Loaded and attached by 'kfaas-kv attach'
 * (kv.c), on the maps the function pinned; design and guarantee in
 * docs/kv.md, the rules in kv_coherence.h.
 *
 *   kv_sockops    cgroup sock_ops: every TCP connection memcached accepts
 *                 (its port, this network namespace) goes into kv_socks
 *                 and gets a kv_conn; its close releases what it held.
 *   kv_tcp_in     sk_skb verdict on kv_socks: the request stream, in
 *                 order, as memcached will read it: writes invalidate and
 *                 hold their keys.
 *   kv_tcp_out    sk_msg on kv_socks: memcached's replies, counted, tell
 *                 which commands it has done: their holds are released.
 *   kv_udp_in     cgroup skb ingress: UDP requests at memcached's socket
 *                 (whichever interface, loopback too): writes.
 *   kv_udp_out    cgroup skb egress: memcached's UDP replies: a leased
 *                 get's value fills the cache; a write's reply bumps its
 *                 key again.
 *   kv_iter_unseen  tcp iterator: connections opened before the hooks
 *                 (attach refuses them).
 *
 * Where a kernel's cgroup skb programs cannot call bpf_get_netns_cookie()
 * (6.1; 'kfaas-kv attach' probes for it and sets kv_skb_netns), the UDP
 * hooks know memcached's sockets of this namespace by a mark in their
 * socket storage (kv_udp_mark) instead:
 *   kv_udp_bind4/6  cgroup post_bind: a UDP socket bound to memcached's
 *                 port in this network namespace is marked.
 *   kv_iter_udp   udp iterator: the ones bound before the hooks, marked
 *                 at attach.
 *
 * All of them only watch: every packet and message passes unchanged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "kfaas_parse.h"
#include "kv_coherence.h"

char _license[] SEC("license") = "GPL";

/* memcached's TCP connections, by socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KV_CONNS);
	__type(key, __u64);
	__type(value, struct kv_conn);
} kv_conns SEC(".maps");

/* The same sockets: kv_tcp_in and kv_tcp_out are attached to this map. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, KV_CONNS);
	__type(key, __u64);
	__type(value, __u64);
} kv_socks SEC(".maps");

/* Each socket's cookie, for sk_msg, which cannot ask for it. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} kv_sk SEC(".maps");

/*
 * 1: cgroup skb programs may call bpf_get_netns_cookie() (kernel 6.18
 * does, 6.1 does not); 0: the UDP hooks recognise memcached's sockets by
 * kv_udp_mark.  Set by 'kfaas-kv attach' from a probe of the kernel.
 */
const volatile __u32 kv_skb_netns = 1;

/* memcached's UDP sockets of this namespace, when kv_skb_netns is 0. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} kv_udp_mark SEC(".maps");

/* A zeroed kv_conn to start a connection from (never written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_conn);
} kv_conn_zero SEC(".maps");

/* The request line of a UDP datagram (kv_udp_in runs in softirq only). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_line);
} kv_udp_line SEC(".maps");

#define KV_CHUNK	64

/* A bound between 1 and KV_CHUNK the verifier can see. */
static __always_inline __u32 kv_chunk(__u32 left)
{
	if (left > KV_CHUNK)
		left = KV_CHUNK;
	return ((left - 1) & (KV_CHUNK - 1)) + 1;
}

/* Something went wrong badly enough that coherence cannot be kept. */
static __always_inline void kv_disarm(struct kv_conf *conf)
{
	conf->armed = 0;
	kv_flush(1);
	KV_COUNT(lost_conns);
}

#include "kv_tcp.h"
#include "kv_udp.h"

/* ---- the programs -------------------------------------------------------- */

SEC("sk_skb/stream_verdict")
int kv_tcp_in(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct kv_walk in = { .skb = skb, .off = 0, .len = skb->len };

	in.c = bpf_map_lookup_elem(&kv_conns, &cookie);
	if (!in.c) {
		kv_flush(1);		/* a tracked socket without state */
		return SK_PASS;
	}
	if (in.c->in_mode == KV_IN_LOST) {
		kv_flush(1);
		return SK_PASS;
	}
	/* each step consumes at least one byte or one data block */
	bpf_loop(in.len + 1, kv_in_step, &in, 0);
	if (in.off < in.len && in.c->in_mode != KV_IN_LOST)
		kv_lose(in.c);
	return SK_PASS;
}

SEC("sk_msg")
int kv_tcp_out(struct sk_msg_md *msg)
{
	struct kv_walk o = { .msg = msg, .off = 0, .len = msg->size };
	struct bpf_sock *sk = msg->sk;
	__u64 *cookie;

	if (!sk)
		return SK_PASS;
	cookie = bpf_sk_storage_get(&kv_sk, sk, 0, 0);
	if (!cookie)
		return SK_PASS;
	o.c = bpf_map_lookup_elem(&kv_conns, cookie);
	if (!o.c || o.c->out_lost)
		return SK_PASS;
	bpf_loop(o.len + 1, kv_out_step, &o, 0);
	kv_retire(o.c);
	return SK_PASS;
}

SEC("sockops")
int kv_sockops(struct bpf_sock_ops *ops)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_conn *c;
	__u64 cookie;
	__u32 old;

	if (!conf)
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (conf->armed && ops->local_port == conf->port &&
		    bpf_get_netns_cookie(ops) == conf->netns_cookie)
			kv_conn_start(ops, conf);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (ops->args[1] != BPF_TCP_CLOSE)
			break;
		cookie = bpf_get_socket_cookie(ops);
		c = bpf_map_lookup_elem(&kv_conns, &cookie);
		if (!c)
			break;
		/* reset: memcached may still act on what it has read */
		old = ops->args[0];
		kv_conn_end(c, old == BPF_TCP_ESTABLISHED ||
			       old == BPF_TCP_CLOSE_WAIT ||
			       old == BPF_TCP_SYN_RECV);
		bpf_map_delete_elem(&kv_conns, &cookie);
		break;
	}
	return 1;
}

SEC("cgroup_skb/ingress")
int kv_udp_in(struct __sk_buff *skb)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_udp u = {};
	int rc;

	if (!conf)
		return 1;
	rc = kv_udp_parse(skb, conf, 1, &u);
	if (rc == -2)
		kv_udp_giveup(conf);
	else if (rc == 0)
		kv_udp_request(skb, &u);
	return 1;
}

SEC("cgroup_skb/egress")
int kv_udp_out(struct __sk_buff *skb)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_req_key rk = {};
	struct kv_udp u = {};

	if (!conf || kv_udp_parse(skb, conf, 0, &u) ||
	    kv_udp_reply(skb, &u, &rk) != 1)
		return 1;
	kv_fill(skb, u.off + KV_UDP_HDR, u.len - KV_UDP_HDR, &rk);
	bpf_map_delete_elem(&kv_reqs, &rk);
	return 1;
}

/*
 * A UDP socket bound to memcached's port in this network namespace:
 * marked for kv_udp_parse() (kv_skb_netns 0).  A socket the hooks cannot
 * mark would have its writes go unseen: the cache disarms.
 */
static __always_inline int kv_udp_bind(struct bpf_sock *sk)
{
	struct kv_conf *conf = kv_conf_get();

	if (!conf || sk->protocol != KFAAS_IPPROTO_UDP ||
	    sk->src_port != conf->port ||
	    bpf_get_netns_cookie(sk) != conf->netns_cookie)
		return 1;
	if (!bpf_sk_storage_get(&kv_udp_mark, sk, 0,
				BPF_SK_STORAGE_GET_F_CREATE))
		kv_disarm(conf);
	return 1;
}

SEC("cgroup/post_bind4")
int kv_udp_bind4(struct bpf_sock *sk)
{
	return kv_udp_bind(sk);
}

SEC("cgroup/post_bind6")
int kv_udp_bind6(struct bpf_sock *sk)
{
	return kv_udp_bind(sk);
}

/* ---- attach (kv_iter_unseen, kv_iter_udp) ------------------------------- */

/*
 * memcached's UDP sockets bound before the hooks: marked (kv_skb_netns
 * 0), one line each, "-" for one that could not be.  Iterates the
 * reader's network namespace.
 */
SEC("iter/udp")
int kv_iter_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;
	struct kv_conf *conf = kv_conf_get();

	if (!udp || !conf || udp->inet.sk.__sk_common.skc_num != conf->port)
		return 0;
	if (bpf_sk_storage_get(&kv_udp_mark, udp, 0,
			       BPF_SK_STORAGE_GET_F_CREATE))
		BPF_SEQ_PRINTF(ctx->meta->seq, "+\n");
	else
		BPF_SEQ_PRINTF(ctx->meta->seq, "-\n");
	return 0;
}


/*
 * memcached's connections that kv_sockops did not see open (opened before
 * the hooks): one line each.  'kfaas-kv attach' refuses them: their
 * writes would not be seen.  Iterates the reader's network namespace.
 */
SEC("iter/tcp")
int kv_iter_unseen(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct kv_conf *conf = kv_conf_get();
	struct tcp_sock *tp;
	__u64 cookie;
	int state;

	if (!skc || !conf || skc->skc_num != conf->port)
		return 0;
	state = skc->skc_state;
	if (state == BPF_TCP_LISTEN || state == BPF_TCP_TIME_WAIT ||
	    state == BPF_TCP_CLOSE || state == BPF_TCP_NEW_SYN_RECV)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	cookie = bpf_get_socket_cookie(tp);
	if (!bpf_map_lookup_elem(&kv_conns, &cookie))
		BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", state);
	return 0;
}
