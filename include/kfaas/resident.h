/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The resident protocol: how a VM-tier function created with --resident
 * (KFAAS_VM_F_RESIDENT) serves request after request from one process,
 * spoken between the guest agent and the function over the function's
 * stdin (requests) and stdout (responses).  Like the AWS Lambda runtime
 * API's loop or OpenFaaS of-watchdog's "http" mode, with pipes and a
 * 16-byte header instead of HTTP.  The one definition: the agent
 * (user/agent/resident.c), the C helper for function authors
 * (user/vmfn/kfaas_resident.h) and docs/vm-tier.md follow it.
 *
 * The agent starts the function (/fn, as for a request in fork mode:
 * own session, uid 1000, /tmp, clean environment) with one more variable,
 * KFAAS_RESIDENT=1, on the first request the VM serves; then, for each
 * request:
 *
 *   agent -> fn (stdin)    struct kfaas_resident_hdr { magic, seq, len,
 *                          status 0 } + len bytes of request
 *   fn -> agent (stdout)   struct kfaas_resident_hdr { magic, the same
 *                          seq, len, status } + len bytes of response
 *
 * One request at a time: the next comes only after the response.  All
 * integers little endian (the guest's byte order).  status 0 is a
 * response; 1..255 fails the request as exit status N would in fork
 * mode (the response bytes are dropped, the process stays).  What the
 * function writes to stderr while it serves a request (its first
 * KFAAS_AGENT_STDERR_MAX bytes) is that request's stderr.
 *
 * The process ends the request with an error, and is started again
 * before the next one, when it exits or is killed while serving it,
 * writes anything that is not a well-formed header with the request's
 * seq, or a response over the limit.  Exiting between requests is fine
 * (the next request starts it again).  A request running past the
 * function's timeout loses the whole VM, as in fork mode.
 */
#ifndef KFAAS_RESIDENT_H
#define KFAAS_RESIDENT_H

#include <linux/types.h>

#define KFAAS_RESIDENT_MAGIC	0x5352464bU	/* "KFRS" */
/* Set (to "1") in a resident function's environment. */
#define KFAAS_RESIDENT_ENV	"KFAAS_RESIDENT"

struct kfaas_resident_hdr {
	__u32	magic;		/* KFAAS_RESIDENT_MAGIC */
	__u32	seq;		/* request number, echoed in its response */
	__u32	len;		/* payload bytes that follow */
	__s32	status;		/* response: 0, or 1..255 the request failed */
};

#endif /* KFAAS_RESIDENT_H */
