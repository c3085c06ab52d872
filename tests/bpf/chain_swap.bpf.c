// SPDX-License-Identifier: GPL-2.0
/*
 * chain_swap: a chain link for the test of a chain replaced in the middle
 * of a request (tests/cli/test_chain.sh).  It replaces every chain of the
 * pin root (kfaas_chains) with the same chain in reverse order, while the
 * request that runs it is half-way through, then hands the payload on
 * unchanged.  A request must finish the chain it started with: the
 * dispatcher copied it when the request arrived.
 */
#include "vmlinux.h"
#include "kfaas.h"

/* chain id's element reversed in place of itself; 0 or -1 */
static __always_inline int swap_one(__u32 id)
{
	struct kfaas_chain *c = bpf_map_lookup_elem(&kfaas_chains, &id), rev;
	__u32 i;

	if (!c || c->len > KFAAS_CHAIN_MAX || c->len < 2)
		return 0;
	rev = *c;
	for (i = 0; i < KFAAS_CHAIN_MAX; i++)
		if (i < c->len)
			rev.fn[i] = c->fn[(c->len - 1 - i) & (KFAAS_CHAIN_MAX - 1)];
	return bpf_map_update_elem(&kfaas_chains, &id, &rev, BPF_EXIST) ? -1 : 0;
}

KFAAS_XDP_FUNCTION(swap)(struct kfaas_req *req)
{
	/* the test's pin root has a chain or two: ids 1 to 4 */
	if (swap_one(1) || swap_one(2) || swap_one(3) || swap_one(4))
		return KFAAS_ERROR;
	return kfaas_next(req, kfaas_payload_len(req));
}
