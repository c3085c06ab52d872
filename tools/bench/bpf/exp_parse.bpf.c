// SPDX-License-Identifier: GPL-2.0
/* Where the time goes (kfaas-bench dispatch): the frame parser alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "kfaas_parse.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int bench_parse(struct xdp_md *ctx)
{
	struct kfaas_pkt pkt;

	return kfaas_parse(ctx, &pkt) == KFAAS_PARSE_OK ? XDP_PASS : XDP_DROP;
}
