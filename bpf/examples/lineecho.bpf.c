// SPDX-License-Identifier: GPL-2.0
/*
 * lineecho: the smallest socket-tier function: every line comes back.
 * Three lines show the other verdicts: "QUIT" gets "BYE" and the
 * connection closes, "DROP..." gets no reply, "PASS..." hands the
 * connection to userspace (the listener) from that line on.
 */
#include "vmlinux.h"
#include "kfaas_sk.h"

KFAAS_SK_FUNCTION(lineecho, "\n")(struct kfaas_sk_req *req)
{
	const __u8 *v = kfaas_sk_ptr(req, 0, 4);

	if (v && v[0] == 'Q' && v[1] == 'U' && v[2] == 'I' && v[3] == 'T') {
		/* a reply of known length, filled in any order */
		kfaas_sk_close(req);
		if (kfaas_sk_reply_reserve(req, 4) ||
		    kfaas_sk_write(req, 3, "\n", 1) ||
		    kfaas_sk_write(req, 0, "BYE", 3))
			return KFAAS_ERROR;
		return 0;
	}
	if (v && v[0] == 'D' && v[1] == 'R' && v[2] == 'O' && v[3] == 'P')
		return KFAAS_DROP;
	if (v && v[0] == 'P' && v[1] == 'A' && v[2] == 'S' && v[3] == 'S')
		return KFAAS_PASS;
	return kfaas_sk_reply_req(req, 0, kfaas_sk_len(req)) ? KFAAS_ERROR : 0;
}
