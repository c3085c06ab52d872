// SPDX-License-Identifier: GPL-2.0
/*
 * The byte buffer of kfaas's stream I/O (kfaas_iobuf.h).  Only libc: the
 * static guest agent compiles this file in too.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <kfaas_iobuf.h>

#define IOBUF_MIN	4096	/* the first allocation */

void kfaas_iobuf_init(struct kfaas_iobuf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void kfaas_iobuf_free(struct kfaas_iobuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->head = b->tail = b->cap = 0;
}

int kfaas_iobuf_reserve(struct kfaas_iobuf *b, size_t n)
{
	size_t len = kfaas_iobuf_len(b), need = len + n, cap;
	char *p;

	if (need < len || (b->limit && need > b->limit))
		return -EMSGSIZE;
	if (b->cap - b->tail >= n)
		return 0;
	/* the consumed bytes at the front are free room: reuse them first */
	if (b->head) {
		memmove(b->buf, b->buf + b->head, len);
		b->head = 0;
		b->tail = len;
		if (b->cap - b->tail >= n)
			return 0;
	}
	for (cap = b->cap ? b->cap : IOBUF_MIN; cap < need; cap *= 2)
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
	if (b->limit && cap > b->limit)
		cap = b->limit;
	p = realloc(b->buf, cap);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

int kfaas_iobuf_append(struct kfaas_iobuf *b, const void *p, size_t n)
{
	int rc = kfaas_iobuf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->buf + b->tail, p, n);
	b->tail += n;
	return 0;
}

void kfaas_iobuf_consume(struct kfaas_iobuf *b, size_t n)
{
	if (n > kfaas_iobuf_len(b))
		n = kfaas_iobuf_len(b);
	b->head += n;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

ssize_t kfaas_iobuf_space(struct kfaas_iobuf *b, size_t want, char **p)
{
	size_t len = kfaas_iobuf_len(b), room;
	int rc;

	if (b->limit && len >= b->limit)
		return -EMSGSIZE;
	if (!want)
		want = 1;
	if (b->limit && want > b->limit - len)
		want = b->limit - len;
	rc = kfaas_iobuf_reserve(b, want);
	if (rc)
		return rc;
	room = b->cap - b->tail;
	if (b->limit && room > b->limit - len)
		room = b->limit - len;
	if (room > SSIZE_MAX)
		room = SSIZE_MAX;
	*p = b->buf + b->tail;
	return (ssize_t)room;
}

void kfaas_iobuf_commit(struct kfaas_iobuf *b, size_t n)
{
	b->tail += n;
}

char *kfaas_iobuf_detach(struct kfaas_iobuf *b, size_t *len)
{
	char *p = b->buf;

	*len = kfaas_iobuf_len(b);
	if (b->head)
		memmove(p, p + b->head, *len);
	b->buf = NULL;
	b->head = b->tail = b->cap = 0;
	return p;
}

ssize_t kfaas_iobuf_read(struct kfaas_iobuf *b, int fd, size_t want)
{
	char *p;
	ssize_t room = kfaas_iobuf_space(b, want, &p), n;

	if (room < 0)
		return room;
	n = kfaas_fd_read(fd, p, (size_t)room);
	if (n > 0)
		kfaas_iobuf_commit(b, (size_t)n);
	return n;
}

ssize_t kfaas_iobuf_read_wait(struct kfaas_iobuf *b, int fd, size_t want)
{
	for (;;) {
		ssize_t n = kfaas_iobuf_read(b, fd, want);
		int rc;

		if (n != -EAGAIN)
			return n;
		rc = kfaas_fd_wait(fd, POLLIN);
		if (rc)
			return rc;
	}
}

int kfaas_iobuf_write(struct kfaas_iobuf *b, int fd)
{
	while (kfaas_iobuf_len(b)) {
		ssize_t n = kfaas_fd_write(fd, kfaas_iobuf_data(b),
					   kfaas_iobuf_len(b));

		if (n < 0)
			return (int)n;
		kfaas_iobuf_consume(b, (size_t)n);
	}
	return 0;
}

ssize_t kfaas_fd_read(int fd, void *p, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

ssize_t kfaas_fd_write(int fd, const void *p, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		/* pipes and character devices (the agent's port) */
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

int kfaas_fd_write_all(int fd, const void *p, size_t len)
{
	const char *s = p;

	while (len) {
		ssize_t n = kfaas_fd_write(fd, s, len);
		int rc;

		if (n == -EAGAIN) {
			rc = kfaas_fd_wait(fd, POLLOUT);
			if (rc)
				return rc;
			continue;
		}
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int kfaas_fd_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}
