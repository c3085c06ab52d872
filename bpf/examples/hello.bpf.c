// SPDX-License-Identifier: GPL-2.0
/*
 * hello: answers a request carrying a name with "hello, NAME" and logs
 * whom it greeted with kfaas_log(): 'kfaas logs hello' shows the line
 * with its time and the client's address and port (docs/sdk.md,
 * "Logging"; docs/getting-started.md).
 */
#include "vmlinux.h"
#include "kfaas.h"

#define HELLO_NAME_MAX	32

KFAAS_XDP_FUNCTION(hello)(struct kfaas_req *req)
{
	static const char hi[] = "hello, ";
	char name[HELLO_NAME_MAX + 1] = {};
	__u32 n = kfaas_payload_len(req);

	if (n == 0 || n > HELLO_NAME_MAX) {
		kfaas_log(req, "no greeting for a name of %u bytes", n);
		return KFAAS_DROP;
	}
	/* 1..32 by construction: 6.1's verifier sees a non-zero size */
	n = ((n - 1) & (HELLO_NAME_MAX - 1)) + 1;
	if (kfaas_load(req, 0, name, n))
		return KFAAS_ERROR;
	if (name[n - 1] == '\n')	/* socat and nc send a line */
		name[--n] = '\0';
	kfaas_log(req, "greeted %s", name);
	if (kfaas_reply_reserve(req, sizeof(hi) - 1 + n) ||
	    kfaas_store(req, 0, hi, sizeof(hi) - 1))
		return KFAAS_ERROR;
	if (n > 0 &&
	    kfaas_store(req, sizeof(hi) - 1, name, ((n - 1) & (HELLO_NAME_MAX - 1)) + 1))
		return KFAAS_ERROR;
	return sizeof(hi) - 1 + n;
}
