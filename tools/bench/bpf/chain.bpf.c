// SPDX-License-Identifier: GPL-2.0
/*
 * A libxdp-style chain of CHAIN_N functions on one interface, in one
 * program.  libxdp's dispatcher (xdp-dispatcher.o) calls each attached
 * program in priority order through a BPF-to-BPF call that freplace
 * patches to the program, and goes on to the next one while the verdict
 * is in the program's chain-call actions (XDP_PASS by default).  Each
 * function here checks for its own UDP port (7001 + i) like an
 * independent program would: parse, compare, XDP_PASS if not its own.
 *
 * The benchmark runs the real libxdp dispatcher when the kernel lets
 * libxdp load it (it needs freplace programs, BPF_PROG_TYPE_EXT); this
 * program is measured beside it and stands in where it cannot load.
 */
#include "vmlinux.h"
#include "kfaas.h"

#ifndef CHAIN_N
#define CHAIN_N 10
#endif

/* One "attached program": the bare echo for one port.  Global: called
 * like a separate program, verified once. */
__attribute__((noinline))
int chain_fn(struct xdp_md *ctx, __u32 port)
{
	struct kfaas_req req = { .ctx = ctx };
	struct kfaas_pkt pkt;

	if (!ctx)
		return XDP_ABORTED;
	if (kfaas_parse(ctx, &pkt) != KFAAS_PARSE_OK)
		return XDP_PASS;
	if (pkt.dport != bpf_htons((__u16)port))
		return XDP_PASS;
	req.l3_off = pkt.l3_off;
	req.l4_off = pkt.l4_off;
	req.payload_off = pkt.payload_off;
	req.payload_len = pkt.payload_len;
	req.family = pkt.family;
	if (kfaas__reply(&req, pkt.payload_len))
		return XDP_DROP;
	return XDP_TX;
}

/* libxdp's dispatcher keeps the chain-call actions in .rodata */
const volatile __u32 chain_actions = 1U << XDP_PASS;

SEC("xdp")
int bench_chain(struct xdp_md *ctx)
{
	int i, ret = XDP_PASS;

#pragma unroll
	for (i = 0; i < CHAIN_N; i++) {
		ret = chain_fn(ctx, 7001 + i);
		if (!((1U << ret) & chain_actions))
			return ret;
	}
	return XDP_PASS;
}
