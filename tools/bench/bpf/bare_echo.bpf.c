// SPDX-License-Identifier: GPL-2.0
/*
 * The "bare" echo of the benchmarks: the SDK's own parser and reply
 * builder (the very code an SDK function runs: kfaas_parse() and
 * kfaas__reply(), checksums included), as a plain XDP program: no
 * dispatcher, no hand-over, no timing, no accounting, no map at all.
 * Dispatcher overhead = (dispatcher -> echo) - (this).
 *
 * Built with -DBENCH_PORT=N it answers only UDP port N and returns
 * XDP_PASS for anything else: the libxdp comparison loads several such
 * programs on one interface, each one checking for its own port, which
 * is how libxdp's dispatcher shares an interface between functions.
 */
#include "vmlinux.h"
#include "kfaas.h"

SEC("xdp")
int bench_echo(struct xdp_md *ctx)
{
	struct kfaas_req req = { .ctx = ctx };
	struct kfaas_pkt pkt;

	if (kfaas_parse(ctx, &pkt) != KFAAS_PARSE_OK)
		return XDP_PASS;
#ifdef BENCH_PORT
	if (pkt.dport != bpf_htons(BENCH_PORT))
		return XDP_PASS;
#endif
	req.l3_off = pkt.l3_off;
	req.l4_off = pkt.l4_off;
	req.payload_off = pkt.payload_off;
	req.payload_len = pkt.payload_len;
	req.family = pkt.family;
	if (kfaas__reply(&req, pkt.payload_len))
		return XDP_DROP;
	return XDP_TX;
}
