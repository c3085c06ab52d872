// SPDX-License-Identifier: GPL-2.0
/* upper: replies with the request payload converted to upper case (ASCII). */
#include "vmlinux.h"
#include "kfaas.h"

#define UPPER_MAX	1472

KFAAS_REPLY_RATIO(1);	/* the reply is the request, upper-cased */

/*
 * The byte loop in a global function: the verifier checks it once, not
 * once for every path of the SDK code around the body (docs/sdk.md).
 * Returns 0, or -1 if a byte is not in the frame.
 */
__attribute__((noinline))
int upper_payload(struct xdp_md *ctx, __u64 off, __u64 len)
{
	struct kfaas_req req = KFAAS_REQ(ctx, off, len);
	__u32 i;

	if (!ctx || len > UPPER_MAX)
		return -1;
	for (i = 0; i < UPPER_MAX; i++) {
		__u8 *c;

		if (i >= len)
			break;
		c = kfaas_ptr(&req, i, 1);
		if (!c)
			return -1;
		if (*c >= 'a' && *c <= 'z')
			*c -= 'a' - 'A';
	}
	return 0;
}

KFAAS_XDP_FUNCTION(upper)(struct kfaas_req *req)
{
	__u32 len = kfaas_payload_len(req);

	if (len > UPPER_MAX)
		return KFAAS_PASS;
	if (upper_payload(KFAAS_REQ_ARGS(req)))
		return KFAAS_ERROR;
	return len;
}
