// SPDX-License-Identifier: GPL-2.0
/*
 * XDP_PASS for the client end of a veth pair.  veth delivers frames sent
 * with XDP_TX by the peer in native mode only when this end runs an XDP
 * program too (see docs/architecture.md); sandboxes attach this one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int kfaas_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
