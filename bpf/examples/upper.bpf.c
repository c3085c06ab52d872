// SPDX-License-Identifier: GPL-2.0
/* upper: replies with the request payload converted to upper case (ASCII). */
#include "vmlinux.h"
#include "kfaas.h"

#define UPPER_MAX	1472

KFAAS_XDP_FUNCTION(upper)(struct kfaas_req *req)
{
	__u32 len = kfaas_payload_len(req);
	__u32 i;

	if (len > UPPER_MAX)
		return KFAAS_PASS;
	for (i = 0; i < UPPER_MAX; i++) {
		__u8 *c;

		if (i >= len)
			break;
		c = kfaas_ptr(req, i, 1);
		if (!c)
			return KFAAS_ERROR;
		if (*c >= 'a' && *c <= 'z')
			*c -= 'a' - 'A';
	}
	return len;
}
