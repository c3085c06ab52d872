// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding the agent protocol (include/kfaas/agent_proto.h).  No I/O, no
 * globals, only libc and the iobuf: compiled into the static guest agent.
 */
#include <errno.h>
#include <string.h>
#include <kfaas/agent_proto.h>
#include <kfaas_iobuf.h>

int kfaas_agent_frame(const void *buf, size_t len, struct kfaas_agent_hdr *h)
{
	if (len < sizeof(*h))
		return 0;
	memcpy(h, buf, sizeof(*h));
	if (h->magic != KFAAS_AGENT_MAGIC || h->flags ||
	    h->len > KFAAS_AGENT_MAX_PAYLOAD)
		return -EPROTO;
	return len - sizeof(*h) >= h->len ? 1 : 0;
}

size_t kfaas_agent_resync(const void *buf, size_t len)
{
	static const __u32 magic = KFAAS_AGENT_MAGIC;
	const char *p = buf;
	size_t i;

	/* the first byte is garbage: the next header starts after it */
	for (i = 1; i < len; i++) {
		size_t n = len - i < sizeof(magic) ? len - i : sizeof(magic);

		if (!memcmp(p + i, &magic, n))
			return i;
	}
	return len;
}

int kfaas_agent_result_parse(const void *payload, size_t len, size_t max_out,
			     struct kfaas_agent_result_view *v)
{
	const char *p = payload;

	if (len < sizeof(v->r))
		return -EPROTO;
	memcpy(&v->r, p, sizeof(v->r));
	if ((size_t)v->r.out_len + v->r.err_len != len - sizeof(v->r))
		return -EPROTO;
	if (v->r.out_len > max_out || v->r.err_len > KFAAS_AGENT_STDERR_MAX)
		return -EMSGSIZE;
	if ((v->r.flags & KFAAS_AGENT_R_TOO_LARGE) && v->r.out_len)
		return -EPROTO;		/* killed for its output: none kept */
	v->out = p + sizeof(v->r);
	v->err = v->out + v->r.out_len;
	return 0;
}

int kfaas_agent_req_parse(const struct kfaas_agent_hdr *h, const void *payload,
			  struct kfaas_agent_req *r)
{
	const char *p = payload;
	struct kfaas_agent_run run;

	memset(r, 0, sizeof(*r));
	r->type = h->type;
	r->seq = h->seq;
	switch (h->type) {
	case KFAAS_AGENT_RUN:
		if (h->len < sizeof(run))
			return -EPROTO;
		memcpy(&run, p, sizeof(run));
		r->max_out = run.max_out;
		r->flags = run.flags;
		r->data = p + sizeof(run);
		r->len = h->len - sizeof(run);
		return 0;
	case KFAAS_AGENT_RESTORE:
		if (h->len != sizeof(r->restore))
			return -EPROTO;
		memcpy(&r->restore, p, sizeof(r->restore));
		return 0;
	case KFAAS_AGENT_PING:
		return h->len ? -EPROTO : 0;
	default:
		return -EPROTO;
	}
}

int kfaas_agent_rx_next(struct kfaas_agent_rx *rx, struct kfaas_iobuf *in,
			struct kfaas_agent_req *r)
{
	struct kfaas_agent_hdr h;

	for (;;) {
		const char *p = kfaas_iobuf_data(in);
		size_t len = kfaas_iobuf_len(in);
		int rc = kfaas_agent_frame(p, len, &h);

		if (rc == 0)
			return 0;
		if (rc < 0) {
			size_t n = kfaas_agent_resync(p, len);

			kfaas_iobuf_consume(in, n);
			rx->dropped += n;
			continue;
		}
		/* consumed, yet in place until the buffer takes more bytes */
		kfaas_iobuf_consume(in, sizeof(h) + h.len);
		if (kfaas_agent_req_parse(&h, p + sizeof(h), r) == 0)
			return 1;
		rx->bad++;
	}
}
