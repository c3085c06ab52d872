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
}

void chan_free(struct chan *c)
{
	loop_close(&c->w);
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rcap = c->wlen = c->woff = c->wcap = 0;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

int chan_send(struct chan *c, __u16 type, const void *a, size_t alen,
	      const void *b, size_t blen)
{
	struct kfaas_agent_hdr h = {
		.magic = KFAAS_AGENT_MAGIC, .type = type, .seq = ++c->seq,
		.len = (__u32)(alen + blen),
	};
	size_t need;
	int rc;

	if (alen + blen > KFAAS_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	need = c->wlen + sizeof(h) + alen + blen;
	rc = reserve(&c->wbuf, &c->wcap, need);
	if (rc)
		return rc;
	memcpy(c->wbuf + c->wlen, &h, sizeof(h));
	c->wlen += sizeof(h);
	if (alen)
		memcpy(c->wbuf + c->wlen, a, alen);
	c->wlen += alen;
	if (blen)
		memcpy(c->wbuf + c->wlen, b, blen);
	c->wlen += blen;
	return chan_flush(c);
}

int chan_flush(struct chan *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->w.fd, c->wbuf + c->woff, c->wlen - c->woff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	return loop_mod(&c->w, chan_events(c));
}

uint32_t chan_events(const struct chan *c)
{
	return EPOLLIN | (c->wlen > c->woff ? EPOLLOUT : 0);
}

int chan_fill(struct chan *c)
{
	for (;;) {
		ssize_t n;
		int rc = reserve(&c->rbuf, &c->rcap, c->rlen + 65536);

		if (rc)
			return rc;
		n = read(c->w.fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		c->rlen += (size_t)n;
	}
}

const struct kfaas_agent_hdr *chan_peek(struct chan *c)
{
	struct kfaas_agent_hdr h;

	if (kfaas_agent_frame(c->rbuf, c->rlen, &h) != 1)
		return NULL;
	return (const void *)c->rbuf;
}

/* Is the input garbage (not a message header)? */
bool chan_corrupt(const struct chan *c)
{
	struct kfaas_agent_hdr h;

	return kfaas_agent_frame(c->rbuf, c->rlen, &h) < 0;
}

void chan_consume(struct chan *c)
{
	const struct kfaas_agent_hdr *h = (const void *)c->rbuf;
	size_t n = sizeof(*h) + h->len;

	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}
