// SPDX-License-Identifier: GPL-2.0
/* A socket-tier function the verifier must reject: it writes unchecked. */
#include "vmlinux.h"
#include "kfaas_sk.h"

KFAAS_SK_FUNCTION(sk_bad, "\n")(struct kfaas_sk_req *req)
{
	/* at a request byte times 1000: far past conn->buf */
	req->conn->buf[(__u32)kfaas_sk_byte(req, 0) * 1000] = 1;
	return 0;
}
