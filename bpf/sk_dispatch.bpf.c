// SPDX-License-Identifier: GPL-2.0
/*
 * The socket-tier dispatcher: the stream verdict program attached to
 * kfaas_sk_socks, run for every segment a served connection receives.
 *
 * Looks the connection's local port (and address, when addressed routes
 * exist) up in the route table, exact route first and then the wildcard,
 * as the XDP dispatcher does, picks the version of a split route by the
 * connection (every segment of a connection goes to one version while
 * the weights stay), and tail-calls the socket-tier function that
 * serves it.  The function answers in the kernel (kfaas_sk.h), which frames
 * the requests and admits each against its function's budget in the maps
 * (kernel 6.1 has no kfunc hook for sk_skb programs).  A segment
 * nobody answers is passed up: it lands in the socket's receive queue,
 * where the listener finds it (docs/socket-tier.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_maps.h"
#include <kfaas/split.h>

char LICENSE[] SEC("license") = "GPL";

static __always_inline void sk_dstat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kfaas_sk_dstats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void passed(const struct kfaas_sk_link *l)
{
	struct kfaas_sk_event ev = { .cookie = l->conn,
				     .kind = KFAAS_SK_EV_PASSED };

	bpf_ringbuf_output(&kfaas_sk_events, &ev, sizeof(ev), 0);
}

SEC("sk_skb/stream_verdict")
int kfaas_sk_dispatch(struct __sk_buff *skb)
{
	const struct kfaas_globals *cfg = kfaas_globals();
	const struct kfaas_sk_link *l;
	const struct kfaas_route *r;
	struct kfaas_stats *st;
	__u64 cookie = bpf_get_socket_cookie(skb), peer;
	__u32 fn;

	l = bpf_map_lookup_elem(&kfaas_sk_links, &cookie);
	if (!l) {
		sk_dstat_inc(KFAAS_SK_DSTAT_NOT_OURS);
		return SK_PASS;
	}
	if (l->role == KFAAS_SK_ROLE_CLIENT) {
		sk_dstat_inc(KFAAS_SK_DSTAT_RX);
		if (skb->len == 0)
			return SK_DROP;
		peer = l->peer;
		return bpf_sk_redirect_hash(skb, &kfaas_sk_socks, &peer, 0);
	}
	r = cfg ? kfaas_route_lookup(cfg, 6 /* IPPROTO_TCP */, l->family,
				     l->port, l->addr) : NULL;
	if (!r) {
		sk_dstat_inc(KFAAS_SK_DSTAT_NO_ROUTE);
		passed(l);
		return SK_PASS;
	}
	if (r->tier != KFAAS_TIER_SK) {
		sk_dstat_inc(KFAAS_SK_DSTAT_OTHER_TIER);
		passed(l);
		return SK_PASS;
	}
	/* a split route's version, per connection: by its cookie's hash */
	fn = kfaas_route_pick(r, kfaas_mix32((__u32)l->conn ^
					     kfaas_mix32((__u32)(l->conn >> 32))));
	/* what the function needs of the route: its budget flag, its policy */
	((struct kfaas_sk_link *)l)->route_flags = r->flags;
	((struct kfaas_sk_link *)l)->route_policy = r->policy;
	sk_dstat_inc(KFAAS_SK_DSTAT_DISPATCHED);

	bpf_tail_call(skb, &kfaas_sk_progs, fn);

	/* no program in the slot: the function is being (un)loaded */
	sk_dstat_inc(KFAAS_SK_DSTAT_TAILCALL_FAIL);
	st = bpf_map_lookup_elem(&kfaas_stats, &fn);
	if (st)
		st->errors += 1;
	passed(l);
	return SK_PASS;
}
