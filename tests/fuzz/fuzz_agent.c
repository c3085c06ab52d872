// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the agent protocol (user/lib/agent_proto.c), both
 * directions.
 *   guest -> host: the input is what a hostile guest writes on its port.
 *     Fed to kfaasd's framing in pieces (sizes from the input), every
 *     message kfaasd accepts is within the buffer, and every RESULT it
 *     accepts has lengths that add up and stay under the limits.
 *   host -> guest: the same bytes as what the agent reads, split at other
 *     points: the agent's reader hands out only whole, valid requests
 *     whose data lies within the message, and skips the rest.
 *   round trip: requests built from the input as kfaasd frames them come
 *     out of the agent's reader unchanged, whatever garbage precedes them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas/agent_proto.h>
#include <kfaas_iobuf.h>

#define MAX_OUT	4096

/* kfaasd's side: chan_peek()/chan_corrupt()/on_result() on a buffer */
static void host_side(const uint8_t *data, size_t size)
{
	size_t have = 0, pos = 0, step = 1;
	char *buf = malloc(size + 1);

	if (!buf)
		return;
	while (pos < size || have) {
		struct kfaas_agent_hdr h;
		int rc;

		/* a read of 1..64 bytes (the input says how many) */
		if (pos < size) {
			step = 1 + data[pos] % 64;
			if (step > size - pos)
				step = size - pos;
			memcpy(buf + have, data + pos, step);
			have += step;
			pos += step;
		}
		while ((rc = kfaas_agent_frame(buf, have, &h)) == 1) {
			size_t n = sizeof(h) + h.len;
			struct kfaas_agent_result_view v;

			if (n > have)
				abort();
			if (h.type == KFAAS_AGENT_RESULT &&
			    kfaas_agent_result_parse(buf + sizeof(h), h.len,
						     MAX_OUT, &v) == 0) {
				if (v.r.out_len > MAX_OUT ||
				    v.r.err_len > KFAAS_AGENT_STDERR_MAX ||
				    v.out < buf + sizeof(h) ||
				    v.err + v.r.err_len != buf + n)
					abort();
				/* touch every byte kfaasd would send on */
				if (v.r.out_len)
					(void)*(volatile const char *)
						(v.out + v.r.out_len - 1);
			}
			memmove(buf, buf + n, have - n);
			have -= n;
		}
		if (rc < 0)
			break;		/* kfaasd kills the VM here */
		if (pos >= size)
			break;
	}
	free(buf);
}

static void check_req(const struct kfaas_iobuf *in,
		      const struct kfaas_agent_req *r)
{
	switch (r->type) {
	case KFAAS_AGENT_RUN:
		/* within the bytes read (consumed, still in place) */
		if (r->len && (r->data < in->buf ||
			       r->data + r->len > in->buf + in->cap))
			abort();
		if (r->len)
			(void)*(volatile const char *)(r->data + r->len - 1);
		break;
	case KFAAS_AGENT_RESTORE:
	case KFAAS_AGENT_PING:
		break;
	default:
		abort();	/* the reader hands out only requests */
	}
}

/* the agent's serve() loop on the same bytes, split differently */
static void guest_side(const uint8_t *data, size_t size)
{
	struct kfaas_agent_rx rx = { 0 };
	struct kfaas_iobuf in = { 0 };
	struct kfaas_agent_req r;
	size_t pos = 0;

	while (pos < size) {
		size_t n = 1 + (size - pos) % 97;
		char *p;
		ssize_t room = kfaas_iobuf_space(&in, 16, &p);

		if (room <= 0)
			abort();
		if (n > (size_t)room)
			n = (size_t)room;
		if (n > size - pos)
			n = size - pos;
		memcpy(p, data + pos, n);
		kfaas_iobuf_commit(&in, n);
		pos += n;
		while (kfaas_agent_rx_next(&rx, &in, &r))
			check_req(&in, &r);
	}
	kfaas_iobuf_free(&in);
}

static size_t put_msg(uint8_t *out, __u16 type, __u32 seq, const void *a,
		      size_t alen, const void *b, size_t blen)
{
	struct kfaas_agent_hdr h = { .magic = KFAAS_AGENT_MAGIC, .type = type,
				     .seq = seq, .len = (__u32)(alen + blen) };

	memcpy(out, &h, sizeof(h));
	if (alen)
		memcpy(out + sizeof(h), a, alen);
	if (blen)
		memcpy(out + sizeof(h) + alen, b, blen);
	return sizeof(h) + alen + blen;
}

/* garbage (the first byte says how much of the input), then a RUN and a
 * PING as kfaasd frames them: the agent must find both, intact */
static void round_trip(const uint8_t *data, size_t size)
{
	static const __u32 magic = KFAAS_AGENT_MAGIC;
	struct kfaas_agent_run run = { .max_out = 1234 };
	size_t junk = size ? data[0] % 40 : 0, len, off = 0;
	struct kfaas_agent_rx rx = { 0 };
	struct kfaas_iobuf in = { 0 };
	struct kfaas_agent_req r;
	uint8_t *s;
	int got = 0;

	if (junk > size)
		junk = size;
	s = malloc(junk + 2 * sizeof(struct kfaas_agent_hdr) + sizeof(run) + size);
	if (!s)
		return;
	if (junk)
		memcpy(s, data, junk);
	len = junk;
	len += put_msg(s + len, KFAAS_AGENT_RUN, 7, &run, sizeof(run), data, size);
	len += put_msg(s + len, KFAAS_AGENT_PING, 8, NULL, 0, NULL, 0);
	while (off < len) {
		size_t n = 1 + (off * 31 + size) % 200;
		char *p;
		ssize_t room = kfaas_iobuf_space(&in, 1, &p);

		if (room <= 0)
			abort();
		if (n > (size_t)room)
			n = (size_t)room;
		if (n > len - off)
			n = len - off;
		memcpy(p, s + off, n);
		kfaas_iobuf_commit(&in, n);
		off += n;
		while (kfaas_agent_rx_next(&rx, &in, &r)) {
			check_req(&in, &r);
			if (r.type == KFAAS_AGENT_RUN && r.seq == 7 &&
			    r.max_out == 1234 && r.len == size &&
			    (!size || !memcmp(r.data, data, size)))
				got |= 1;
			if (r.type == KFAAS_AGENT_PING && r.seq == 8)
				got |= 2;
		}
	}
	/* garbage holding no magic is skipped without losing a message;
	 * garbage that looks like a header may swallow what follows */
	if (!memmem(s, junk, &magic, sizeof(magic)) && got != 3)
		abort();
	kfaas_iobuf_free(&in);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	host_side(data, size);
	guest_side(data, size);
	round_trip(data, size);
	return 0;
}
