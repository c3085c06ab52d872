// SPDX-License-Identifier: GPL-2.0
/* A function the verifier must reject: it reads the packet unchecked. */
#include "vmlinux.h"
#include "kfaas.h"

KFAAS_XDP_FUNCTION(bad_oob)(struct kfaas_req *req)
{
	__u8 *p = kfaas_data(req->ctx);

	return p[100];
}
