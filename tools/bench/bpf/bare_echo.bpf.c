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

#ifdef BENCH_PORT
/*
 * libxdp's run config (xdp-tools' XDP_RUN_CONFIG): priority N for the
 * program of port 7000+N, the next program run on XDP_PASS.  xdp-loader
 * can then load all ten in one call, in this order, and builds its
 * dispatcher once instead of once per program.
 */
struct {
	__uint(priority, BENCH_PORT - 7000);
	__uint(XDP_PASS, 1);
} _bench_echo SEC(".xdp_run_config");
#endif

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
