// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of the agent channel: non-blocking framing of the messages
 * of include/kfaas/agent.h over the socketpair QEMU's virtio-serial port
 * is connected to.  Output is buffered (a request may be larger than the
 * socket buffer); input is collected until a whole message is there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "kfaasd.h"

void chan_init(struct chan *c)
{
	memset(c, 0, sizeof(*c));
	c->w.fd = -1;
	kfaas_iobuf_init(&c->in, 0);
	kfaas_iobuf_init(&c->out, 0);
}

void chan_free(struct chan *c)
{
	loop_close(&c->w);
	kfaas_iobuf_free(&c->in);
	kfaas_iobuf_free(&c->out);
}

int chan_send(struct chan *c, __u16 type, const void *a, size_t alen,
	      const void *b, size_t blen)
{
	struct kfaas_agent_hdr h = {
		.magic = KFAAS_AGENT_MAGIC, .type = type, .seq = ++c->seq,
		.len = (__u32)(alen + blen),
	};
	int rc;

	if (alen + blen > KFAAS_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* the whole message or nothing */
	rc = kfaas_iobuf_reserve(&c->out, sizeof(h) + alen + blen);
	if (rc)
		return rc;
	kfaas_iobuf_append(&c->out, &h, sizeof(h));
	kfaas_iobuf_append(&c->out, a, alen);
	kfaas_iobuf_append(&c->out, b, blen);
	return chan_flush(c);
}

int chan_flush(struct chan *c)
{
	int rc = kfaas_iobuf_write(&c->out, c->w.fd);

	if (rc && rc != -EAGAIN)
		return rc;
	return loop_mod(&c->w, chan_events(c));
}

uint32_t chan_events(const struct chan *c)
{
	return EPOLLIN | (kfaas_iobuf_len(&c->out) ? EPOLLOUT : 0);
}

int chan_fill(struct chan *c)
{
	for (;;) {
		ssize_t n = kfaas_iobuf_read(&c->in, c->w.fd, 65536);

		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
	}
}

const char *chan_peek(struct chan *c, struct kfaas_agent_hdr *h)
{
	const char *p = kfaas_iobuf_data(&c->in);

	if (kfaas_agent_frame(p, kfaas_iobuf_len(&c->in), h) != 1)
		return NULL;
	return p + sizeof(*h);
}

/* Is the input garbage (not a message header)? */
bool chan_corrupt(const struct chan *c)
{
	struct kfaas_agent_hdr h;

	return kfaas_agent_frame(kfaas_iobuf_data(&c->in),
				 kfaas_iobuf_len(&c->in), &h) < 0;
}

void chan_consume(struct chan *c, const struct kfaas_agent_hdr *h)
{
	kfaas_iobuf_consume(&c->in, sizeof(*h) + h->len);
}
