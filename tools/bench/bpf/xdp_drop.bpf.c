// SPDX-License-Identifier: GPL-2.0
/*
 * XDP_DROP for the receiving end of the live-frames benchmark: veth
 * delivers XDP_TX'd frames to a peer only when the peer runs XDP, and
 * dropping them there keeps the receive side as cheap as it can be.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}
