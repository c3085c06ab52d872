// SPDX-License-Identifier: GPL-2.0
/*
 * The least an XDP responder does: swap the MAC addresses and XDP_TX.
 * No parsing, no checksum: the floor of the live-frames benchmark.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_parse.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int bench_tx(struct xdp_md *ctx)
{
	void *data = kfaas_data(ctx);
	void *end = kfaas_data_end(ctx);
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}
