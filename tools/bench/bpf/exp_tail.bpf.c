// SPDX-License-Identifier: GPL-2.0
/*
 * Where the time goes (kfaas-bench dispatch): one tail call through a
 * prog array with a key known only at run time (as the dispatcher's
 * function id was before issue 16, and is for ids from KFAAS_DIRECT_IDS
 * on), and one with a constant key, which the JIT makes a direct jump
 * (as the dispatcher's call sites for the ids below it), into a program
 * that returns XDP_PASS.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} bench_progs SEC(".maps");

SEC("xdp")
int bench_tail(struct xdp_md *ctx)
{
	/* the key from the frame: not a constant the JIT could patch in */
	__u32 key = ctx->rx_queue_index & 1;

	bpf_tail_call(ctx, &bench_progs, key);
	return XDP_DROP;
}

SEC("xdp")
int bench_tail_direct(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &bench_progs, 1);
	return XDP_DROP;
}

SEC("xdp")
int bench_target(struct xdp_md *ctx)
{
	return XDP_PASS;
}
