// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of the agent channel: non-blocking framing of the messages
 * of include/kfaas/agent.h over the socketpair QEMU's virtio-serial port
 * is connected to.  Output is buffered (a request may be larger than the
 * socket buffer); input is collected until a whole message is there.
 *
 * The guest is not trusted, and it can write as fast as it likes: the
 * input holds one message of the largest size the protocol allows
 * (max_payload) and no more, a header that announces more is refused as
 * soon as it is in, and one round of the event loop reads at most
 * CHAN_READ_ROUND bytes of a channel, so a flooding guest gets its share
 * of the loop and of kfaasd's memory, never more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "kfaasd.h"

/* bytes read from one channel per round of the event loop, at most */
#define CHAN_READ_ROUND	(256U << 10)
#define CHAN_READ	(64U << 10)

void chan_init(struct chan *c, size_t max_payload)
{
	memset(c, 0, sizeof(*c));
	c->w.fd = -1;
	if (max_payload > KFAAS_AGENT_MAX_PAYLOAD)
		max_payload = KFAAS_AGENT_MAX_PAYLOAD;
	c->max_payload = max_payload;
	kfaas_iobuf_init(&c->in, sizeof(struct kfaas_agent_hdr) + max_payload);
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
	size_t got = 0;

	while (got < CHAN_READ_ROUND) {
		ssize_t n = kfaas_iobuf_read(&c->in, c->w.fd, CHAN_READ);

		/* full: a whole message is in, to be taken before more */
		if (n == -EAGAIN || n == -EMSGSIZE)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;	/* the rest waits for the next round */
}

int chan_header(const struct chan *c, struct kfaas_agent_hdr *h)
{
	const char *p = kfaas_iobuf_data(&c->in);
	size_t len = kfaas_iobuf_len(&c->in);
	int rc = kfaas_agent_frame(p, len, h);

	if (rc < 0)
		return rc;
	if (len < sizeof(*h))
		return 0;
	return h->len > c->max_payload ? -EMSGSIZE : 1;
}

const char *chan_payload(const struct chan *c, const struct kfaas_agent_hdr *h)
{
	const char *p = kfaas_iobuf_data(&c->in);

	if (kfaas_iobuf_len(&c->in) - sizeof(*h) < h->len)
		return NULL;
	return p + sizeof(*h);
}

void chan_consume(struct chan *c, const struct kfaas_agent_hdr *h)
{
	kfaas_iobuf_consume(&c->in, sizeof(*h) + h->len);
}
