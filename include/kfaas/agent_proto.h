/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding the agent protocol (include/kfaas/agent.h), both directions:
 * the framing of the byte stream, the requests the agent takes from the
 * host and the results kfaasd takes from the guest.  Shared protocol of
 * two programs built apart, so declared here beside the messages; the
 * code is user/lib/agent_proto.c, in libkfaas for kfaasd and compiled
 * into the agent (static, in the guest, no library: it needs only libc
 * and user/lib/iobuf.c).  Fuzzed by tests/fuzz/fuzz_agent.c; nothing here
 * does I/O.
 *
 * The guest is not trusted: kfaasd kills a VM whose stream is not a
 * well-formed message, and checks every length a RESULT carries.  The
 * host is trusted by the agent, which still never reads past a message and
 * skips garbage up to the next header it recognises.
 */
#ifndef KFAAS_AGENT_PROTO_H
#define KFAAS_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <kfaas/agent.h>

/*
 * Is a whole message at buf?  1: yes, *h is its header and it is
 * sizeof(*h) + h->len bytes long; 0: not yet; -EPROTO: buf does not start
 * with a valid header (magic, flags, len over KFAAS_AGENT_MAX_PAYLOAD).
 */
int kfaas_agent_frame(const void *buf, size_t len, struct kfaas_agent_hdr *h);

/* Bytes to drop from garbage at buf to reach the next possible header. */
size_t kfaas_agent_resync(const void *buf, size_t len);

/* ---- host side ---- */
struct kfaas_agent_result_view {
	struct kfaas_agent_result r;
	const char	*out;		/* stdout (r.out_len bytes) */
	const char	*err;		/* stderr head (r.err_len bytes) */
};
/*
 * A RESULT payload: -EPROTO when it is short or its lengths do not add up,
 * -EMSGSIZE when stdout is over max_out (the agent was told the limit) or
 * stderr over KFAAS_AGENT_STDERR_MAX.
 */
int kfaas_agent_result_parse(const void *payload, size_t len, size_t max_out,
			     struct kfaas_agent_result_view *v);

/* ---- agent side ---- */
struct kfaas_agent_req {
	__u16		type;
	__u32		seq;
	__u32		max_out;	/* RUN */
	__u32		flags;		/* RUN: KFAAS_AGENT_RUN_* */
	const char	*data;		/* RUN: the request */
	size_t		len;
	struct kfaas_agent_restore restore;	/* RESTORE */
};
/* A message from the host: 0, or -EPROTO (unknown type, short payload). */
int kfaas_agent_req_parse(const struct kfaas_agent_hdr *h, const void *payload,
			  struct kfaas_agent_req *r);

/*
 * The agent's reader: bytes read from the port go into a struct
 * kfaas_iobuf (kfaas_iobuf.h, libkfaas); kfaas_agent_rx_next() takes one
 * request at a time out of it, skipping garbage, and counts what it
 * skipped.  The request's data stays valid until the buffer next takes
 * bytes (consuming never moves them).
 */
struct kfaas_iobuf;
struct kfaas_agent_rx {
	unsigned long	dropped;	/* garbage bytes skipped */
	unsigned long	bad;		/* well-framed but invalid messages */
};
/* 1: *r is the next request (consumed from in); 0: more bytes are needed. */
int kfaas_agent_rx_next(struct kfaas_agent_rx *rx, struct kfaas_iobuf *in,
			struct kfaas_agent_req *r);

#endif /* KFAAS_AGENT_PROTO_H */
