// SPDX-License-Identifier: GPL-2.0
/* echo: the reply is the request payload, unchanged. */
#include "vmlinux.h"
#include "kfaas.h"

/* never more reply than request: no reflection guard by default */
KFAAS_REPLY_RATIO(1);

KFAAS_XDP_FUNCTION(echo)(struct kfaas_req *req)
{
	return kfaas_payload_len(req);
}
