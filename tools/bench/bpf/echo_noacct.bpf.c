// SPDX-License-Identifier: GPL-2.0
/*
 * The "none" of the accounting benchmark (kfaas-bench accounting, issue
 * 6 item 8): an echo function loaded and routed like any other (the
 * dispatcher tail-calls it and hands the parsed offsets over in
 * kfaas_scratch), that replies with the SDK's kfaas__reply() but neither
 * times nor accounts the invocation.  (dispatcher -> echo) - (this) is
 * the whole cost of accounting: the sampled clock reads and the map
 * update, or the module's admission and charge kfuncs.  Not a usable
 * function: nothing counts its invocations.
 */
#include "vmlinux.h"
#include "kfaas.h"

SEC("xdp")
int kfaas_fn_noacct(struct xdp_md *ctx)
{
	struct kfaas_req req = { .ctx = ctx };
	struct kfaas_scratch *sc;
	struct kfaas_pkt pkt;
	__u32 zero = 0;

	sc = bpf_map_lookup_elem(&kfaas_scratch, &zero);
	if (sc && sc->valid) {
		sc->valid = 0;
		req.l3_off = sc->l3_off;
		req.l4_off = sc->l4_off;
		req.payload_off = sc->payload_off;
		req.payload_len = sc->payload_len;
		req.family = sc->family;
	} else {
		if (kfaas_parse(ctx, &pkt) != KFAAS_PARSE_OK)
			return XDP_PASS;
		req.l3_off = pkt.l3_off;
		req.l4_off = pkt.l4_off;
		req.payload_off = pkt.payload_off;
		req.payload_len = pkt.payload_len;
		req.family = pkt.family;
	}
	if (kfaas__reply(&req, req.payload_len))
		return XDP_DROP;
	return XDP_TX;
}
