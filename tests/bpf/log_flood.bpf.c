// SPDX-License-Identifier: GPL-2.0
/*
 * The logging test function (tests/cli/test_logs.sh, tests/vm/test_logs.sh):
 * a request starting with "flood" calls kfaas_log() LOG_FLOOD times in a
 * loop; any other request is logged once, as text.  Replies with the
 * request.
 */
#include "vmlinux.h"
#include "kfaas.h"

#define LOG_FLOOD	64
#define LOG_TEXT_MAX	64	/* a power of two: see below */

KFAAS_XDP_FUNCTION(log_flood)(struct kfaas_req *req)
{
	const __u8 *p = kfaas_ptr(req, 0, 5);
	char text[LOG_TEXT_MAX + 1] = {};
	__u32 n = kfaas_payload_len(req);
	int i;

	if (p && p[0] == 'f' && p[1] == 'l' && p[2] == 'o' && p[3] == 'o' &&
	    p[4] == 'd') {
		for (i = 0; i < LOG_FLOOD; i++)
			kfaas_log(req, "flood %d of %d", i, LOG_FLOOD);
		return n;
	}
	/* 1..64 by construction: 6.1's verifier sees a non-zero size */
	if (n > 0 && kfaas_load(req, 0, text, ((n - 1) & (LOG_TEXT_MAX - 1)) + 1))
		return KFAAS_ERROR;
	if (n > LOG_TEXT_MAX)
		text[LOG_TEXT_MAX] = '\0';
	kfaas_log(req, "%s", text);
	return n;
}
