// SPDX-License-Identifier: GPL-2.0
/*
 * The socket tier's logging test function (tests/cli/test_logs.sh): a
 * line echo that logs every line's length and first bytes.
 */
#include "vmlinux.h"
#include "kfaas_sk.h"

#define LOG_HEAD	16

KFAAS_SK_FUNCTION(log_sk, "\n")(struct kfaas_sk_req *req)
{
	char head[LOG_HEAD + 1] = {};
	int i, c;

	for (i = 0; i < LOG_HEAD; i++) {
		c = kfaas_sk_byte(req, i);
		if (c < 0 || c == '\n' || c == '\r')
			break;
		head[i] = c;
	}
	kfaas_log(req, "line of %u bytes: %s", kfaas_sk_len(req), head);
	return kfaas_sk_reply_req(req, 0, kfaas_sk_len(req)) ? KFAAS_ERROR : 0;
}
