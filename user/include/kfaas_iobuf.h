/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct kfaas_iobuf: the one byte buffer of kfaas's stream I/O (kfaasd's
 * sockets and channels, the guest agent, the client of kfaasd's control
 * socket), and the descriptor calls it is built on.
 *
 * Data goes in at the tail (kfaas_iobuf_append(), or a read into
 * kfaas_iobuf_space() followed by kfaas_iobuf_commit()) and comes out at
 * the head (kfaas_iobuf_consume()).  A buffer holds at most its limit:
 * growth past it fails with -EMSGSIZE, so a peer cannot make it grow
 * without bound; limit 0 is no bound, and a zeroed struct is an empty
 * buffer without one.  Consuming never moves the data; whatever makes room
 * (reserve, space, append, read) may move or reallocate it, so a pointer
 * into the data stays valid until the next of those.
 *
 * The I/O calls take blocking and non-blocking descriptors alike: the
 * plain forms return -EAGAIN where the descriptor would block, the _wait
 * and _all forms poll(2) until they can go on.  EINTR is retried.  Writes
 * to a socket use MSG_NOSIGNAL: a peer that went away is -EPIPE, never
 * SIGPIPE.
 *
 * Part of libkfaas; user/lib/iobuf.c needs nothing but libc, so the static
 * guest agent (which links no library) compiles it in as well.
 */
#ifndef KFAAS_IOBUF_H
#define KFAAS_IOBUF_H

#include <stddef.h>
#include <sys/types.h>

struct kfaas_iobuf {
	char	*buf;
	size_t	head;		/* first byte of data */
	size_t	tail;		/* end of data */
	size_t	cap;		/* bytes allocated */
	size_t	limit;		/* most bytes of data held; 0: no bound */
};

/* An empty buffer that holds at most limit bytes (0: no bound). */
void kfaas_iobuf_init(struct kfaas_iobuf *b, size_t limit);
/* Give the memory back; the buffer is empty and usable, limit kept. */
void kfaas_iobuf_free(struct kfaas_iobuf *b);

/* The data: kfaas_iobuf_len() bytes (never NULL, "" before any memory). */
static inline const char *kfaas_iobuf_data(const struct kfaas_iobuf *b)
{
	return b->buf ? b->buf + b->head : "";
}

static inline size_t kfaas_iobuf_len(const struct kfaas_iobuf *b)
{
	return b->tail - b->head;
}

/* Drop all data (memory kept). */
static inline void kfaas_iobuf_reset(struct kfaas_iobuf *b)
{
	b->head = b->tail = 0;
}

/* Room for n more bytes: 0, -EMSGSIZE past the limit, or -ENOMEM. */
int kfaas_iobuf_reserve(struct kfaas_iobuf *b, size_t n);
/* Append n bytes: 0, -EMSGSIZE past the limit (nothing added), -ENOMEM. */
int kfaas_iobuf_append(struct kfaas_iobuf *b, const void *p, size_t n);
/* The first n bytes of data are done with. */
void kfaas_iobuf_consume(struct kfaas_iobuf *b, size_t n);
/*
 * Free space after the data for up to want bytes (more when there is more,
 * never past the limit): its size, *p where it starts; or -EMSGSIZE when
 * the buffer holds limit bytes already, or -ENOMEM.  Fill it, then
 * kfaas_iobuf_commit() what was written.
 */
ssize_t kfaas_iobuf_space(struct kfaas_iobuf *b, size_t want, char **p);
void kfaas_iobuf_commit(struct kfaas_iobuf *b, size_t n);
/* Hand the data over as one malloc'ed block (*len bytes, NULL when the
 * buffer never had memory); the buffer is empty after. */
char *kfaas_iobuf_detach(struct kfaas_iobuf *b, size_t *len);

/*
 * One read(2) from fd into the buffer, of up to want bytes or what room
 * there is: the bytes read, 0 at end of file, -EAGAIN (nothing now),
 * -EMSGSIZE (the buffer holds limit bytes), -ENOMEM or -errno.
 */
ssize_t kfaas_iobuf_read(struct kfaas_iobuf *b, int fd, size_t want);
/* The same, waiting while fd has nothing. */
ssize_t kfaas_iobuf_read_wait(struct kfaas_iobuf *b, int fd, size_t want);
/* Write the data out until none is left (0) or fd would block (-EAGAIN,
 * the rest stays), or -errno. */
int kfaas_iobuf_write(struct kfaas_iobuf *b, int fd);

/* ---- descriptors without a buffer ---- */
/* One read(2): bytes, 0 at end of file, -errno (-EAGAIN). */
ssize_t kfaas_fd_read(int fd, void *p, size_t len);
/* One write (send(2) with MSG_NOSIGNAL on a socket): bytes or -errno. */
ssize_t kfaas_fd_write(int fd, const void *p, size_t len);
/* All len bytes, waiting while fd would block: 0 or -errno (-EIO when
 * fd takes nothing). */
int kfaas_fd_write_all(int fd, const void *p, size_t len);
/* Wait until fd is ready for events (POLLIN, POLLOUT): 0 or -errno. */
int kfaas_fd_wait(int fd, short events);

#endif /* KFAAS_IOBUF_H */
