// SPDX-License-Identifier: GPL-2.0
/*
 * xsplit: an XDP-tier function that answers requests starting with 'x'
 * itself (echo) and passes every other request to the next tier
 * (KFAAS_PASS): with a route naming a VM-tier fallback, kfaasd serves it.
 */
#include "vmlinux.h"
#include "kfaas.h"

KFAAS_REPLY_RATIO(1);	/* answers with the request, or passes */

KFAAS_XDP_FUNCTION(xsplit)(struct kfaas_req *req)
{
	__u8 c = 0;

	if (kfaas_load(req, 0, &c, 1) || c != 'x')
		return KFAAS_PASS;
	return kfaas_payload_len(req);
}
