// SPDX-License-Identifier: GPL-2.0
/*
 * uringsrv: the io_uring alternative of the UDP benchmark, doing what
 * udpsrv does (kvserve.h: echo, memcached UDP "get KEY"):
 *   --echo PORT   reply with the request payload
 *   --kv PORT     memcached UDP "get KEY" from the in-memory table
 * Each socket keeps SLOTS receives queued in one io_uring (liburing); a
 * completed receive becomes the send of its reply from the same buffer,
 * whose completion queues the receive again.  One io_uring_enter()
 * submits what the last batch of completions produced and waits for the
 * next.  The ring is single-issuer with deferred task work where the
 * kernel has them (6.1+), so completions run in this thread when it
 * waits, as an event loop would.  Runs until killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>
#include "kvserve.h"

#define SLOTS	64	/* receives queued per socket, as udpsrv's batch */
#define BUFSZ	2048

struct slot {
	int			fd, kind;
	struct msghdr		msg;
	struct iovec		iov;
	struct sockaddr_in	peer;
	char			buf[BUFSZ];
};

static struct kvs kv;
static struct slot slots[2 * SLOTS];

/* user_data: the slot's index, bit 31 set for a send */
#define SEND	(1u << 31)

static void queue_recv(struct io_uring *r, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	struct slot *s = &slots[i];

	if (!sqe) {	/* the ring is full: make room, then go on */
		io_uring_submit(r);
		sqe = io_uring_get_sqe(r);
	}
	s->iov.iov_len = BUFSZ;
	s->msg.msg_namelen = sizeof(s->peer);
	io_uring_prep_recvmsg(sqe, s->fd, &s->msg, 0);
	io_uring_sqe_set_data64(sqe, i);
}

static void queue_send(struct io_uring *r, unsigned int i, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	struct slot *s = &slots[i];

	if (!sqe) {
		io_uring_submit(r);
		sqe = io_uring_get_sqe(r);
	}
	s->iov.iov_len = len;
	io_uring_prep_sendmsg(sqe, s->fd, &s->msg, 0);
	io_uring_sqe_set_data64(sqe, i | SEND);
}

/* The fastest ring setup this kernel takes; 0 or -errno. */
static int ring_init(struct io_uring *r)
{
	static const unsigned int flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	unsigned int i;
	int rc = -EINVAL;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		rc = io_uring_queue_init(4 * SLOTS, r, flags[i]);
		if (rc != -EINVAL)
			break;
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *addr;
	int ports[2], c, rc;
	unsigned int n = 0, i, head, seen;
	struct io_uring ring;
	struct io_uring_cqe *cqe;

	kvs_options(argc, argv, "uringsrv", &addr, ports, &kv);
	signal(SIGPIPE, SIG_IGN);
	rc = ring_init(&ring);
	if (rc < 0) {
		fprintf(stderr, "uringsrv: io_uring_queue_init: %s\n", strerror(-rc));
		return 1;
	}
	for (c = 0; c < 2; c++) {
		int fd;

		if (!ports[c])
			continue;
		fd = kvs_socket("uringsrv", addr, ports[c], 0);
		for (i = 0; i < SLOTS; i++, n++) {
			struct slot *s = &slots[n];

			s->fd = fd;
			s->kind = c;
			s->iov.iov_base = s->buf;
			s->msg.msg_name = &s->peer;
			s->msg.msg_iov = &s->iov;
			s->msg.msg_iovlen = 1;
			queue_recv(&ring, n);
		}
	}
	for (;;) {
		rc = io_uring_submit_and_wait(&ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			fprintf(stderr, "uringsrv: io_uring_enter: %s\n", strerror(-rc));
			return 1;
		}
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned int d = (unsigned int)cqe->user_data, k = d & ~SEND;
			size_t len;

			seen++;
			if (d & SEND || cqe->res < 0) {
				/* sent (or failed, as a lost datagram would):
				 * receive again */
				queue_recv(&ring, k);
				continue;
			}
			len = (size_t)cqe->res;
			if (slots[k].kind == KVS_KV)
				len = kvs_answer(&kv, slots[k].buf, len);
			/* a datagram too short to answer gets an empty one */
			queue_send(&ring, k, len);
		}
		io_uring_cq_advance(&ring, seen);
	}
	return 0;
}
