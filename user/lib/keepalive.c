// SPDX-License-Identifier: GPL-2.0
/*
 * The keep-alive of a VM-tier function in words, both ways: what `kfaas
 * fn create --keep-alive`, kfaas.conf(5)'s keep-alive key and the control
 * protocol say, and the bits of kfaas_vm_params.flags that carry it in
 * the registry (include/kfaas/abi.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libkfaas.h>
#include "internal.h"

#define KEEP_S_MAX	(30U * 86400)	/* 30 days, as --idle-ttl */

/* "fixed:S" / "idle-ttl:S": S into *out (fixed: at least 1) */
static int keep_seconds(const char *s, const char *arg, unsigned int min,
			__u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno || v < min || v > KEEP_S_MAX)
		return kfaas_err(-EINVAL, "bad keep-alive '%s': give %u to %u "
				 "seconds after the ':'", s, min, KEEP_S_MAX);
	*out = (__u32)v;
	return 0;
}

int kfaas_vm_keep_parse(struct kfaas_vm_params *p, const char *s)
{
	__u32 keep, secs = p->idle_ttl_s;
	int rc = 0;

	if (!strcmp(s, "auto"))
		keep = KFAAS_VM_KEEP_AUTO;
	else if (!strcmp(s, "none"))
		keep = KFAAS_VM_KEEP_NONE;
	else if (!strncmp(s, "fixed:", 6))
		keep = KFAAS_VM_KEEP_FIXED, rc = keep_seconds(s, s + 6, 1, &secs);
	else if (!strncmp(s, "idle-ttl:", 9))
		keep = KFAAS_VM_KEEP_TTL, rc = keep_seconds(s, s + 9, 0, &secs);
	else
		return kfaas_err(-EINVAL, "unknown keep-alive '%s': give auto, "
				 "none or fixed:SECONDS", s);
	if (rc)
		return rc;
	p->flags = (p->flags & ~KFAAS_VM_KEEP_MASK) | keep;
	p->idle_ttl_s = secs;
	return 0;
}

const char *kfaas_vm_keep_name(const struct kfaas_vm_params *p, char *buf,
			       size_t len)
{
	switch (KFAAS_VM_KEEP(p->flags)) {
	case KFAAS_VM_KEEP_AUTO:
		snprintf(buf, len, "auto");
		break;
	case KFAAS_VM_KEEP_NONE:
		snprintf(buf, len, "none");
		break;
	case KFAAS_VM_KEEP_FIXED:
		snprintf(buf, len, "fixed:%u", p->idle_ttl_s);
		break;
	default:
		snprintf(buf, len, "idle-ttl:%u", p->idle_ttl_s);
		break;
	}
	return buf;
}
