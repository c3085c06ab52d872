// SPDX-License-Identifier: GPL-2.0
/*
 * The logging test function (tests/e2e/test_logs.sh, tests/vm/test_logs.sh):
 * a request starting with "flood" calls kfaas_log() LOG_FLOOD times in a
 * loop; any other request is logged once, as text.  Replies with the
 * request.
 */
#include "vmlinux.h"
#include "kfaas.h"

#define LOG_FLOOD	64
#define LOG_TEXT_MAX	47

KFAAS_XDP_FUNCTION(log_flood)(struct kfaas_req *req)
{
	const __u8 *p = kfaas_ptr(req, 0, 5);
	char text[LOG_TEXT_MAX + 1] = {};
	__u64 n = kfaas_payload_len(req);
	int i;

	if (p && p[0] == 'f' && p[1] == 'l' && p[2] == 'o' && p[3] == 'o' &&
	    p[4] == 'd') {
		for (i = 0; i < LOG_FLOOD; i++)
			kfaas_log(req, "flood %d of %d", i, LOG_FLOOD);
		return n;
	}
	if (n > LOG_TEXT_MAX)
		n = LOG_TEXT_MAX;
	kfaas_barrier_var(n);
	if (n >= 1 && n <= LOG_TEXT_MAX && kfaas_load(req, 0, text, n))
		return KFAAS_ERROR;
	kfaas_log(req, "%s", text);
	return kfaas_payload_len(req);
}
