// SPDX-License-Identifier: GPL-2.0
/*
 * amp: an amplifier for the tests of the reflection defences.  The first
 * payload byte, a digit k, asks for a reply of k times the request (the
 * request repeated).  It declares no reply ratio, so its routes get the
 * reflection guard and the default ratio cap.
 */
#include "vmlinux.h"
#include "kfaas.h"

#define AMP_MAX	9
#define AMP_LEN	64	/* requests up to 64 bytes */

KFAAS_XDP_FUNCTION(amp)(struct kfaas_req *req)
{
	__u8 buf[AMP_LEN];
	__u32 len = kfaas_payload_len(req), k, i;
	__u8 c = 0;

	if (len == 0 || len > AMP_LEN || kfaas_load(req, 0, &c, 1) ||
	    c < '1' || c > '0' + AMP_MAX)
		return KFAAS_DROP;
	k = c - '0';
	if (kfaas_load(req, 0, buf, len & (AMP_LEN - 1) ? len & (AMP_LEN - 1) : AMP_LEN))
		return KFAAS_ERROR;
	if (kfaas_reply_reserve(req, len * k))
		return KFAAS_ERROR;
	for (i = 1; i < AMP_MAX; i++) {
		if (i >= k)
			break;
		if (kfaas_store(req, i * len, buf, len & (AMP_LEN - 1) ?
				len & (AMP_LEN - 1) : AMP_LEN))
			return KFAAS_ERROR;
	}
	return len * k;
}
