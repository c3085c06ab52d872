// SPDX-License-Identifier: GPL-2.0
/*
 * The client end of the UDP benchmark under xskload (the AF_XDP load
 * generator): IPv4 UDP frames for the generator's port go to its AF_XDP
 * socket (the XSKMAP entry of the receive queue), everything else (ARP,
 * other clients' traffic) to the kernel as before.  Being a native XDP
 * program, it also makes veth deliver the server end's XDP_TX replies.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#endif

char LICENSE[] SEC("license") = "GPL";

/* set by xskload before load: the generator's UDP port, network order */
const volatile __u16 xsk_port;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int xsk_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	/* the generator sends no IP options, and neither do its servers */
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != xsk_port)
		return XDP_PASS;
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}
