/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The C helper for VM-tier functions: write a handler, call
 * kfaas_serve() from main(), link statically.
 *
 *   static int handle(const char *req, size_t len, struct kfaas_reply *r,
 *                     void *ctx)
 *   {
 *           kfaas_reply_printf(r, "hello, %.*s\n", (int)len, req);
 *           return 0;            // or 1..255: the request failed
 *   }
 *   int main(void) { return kfaas_serve(handle, NULL); }
 *
 *   cc -static -O2 -Iinclude -Iuser/vmfn -o hello hello.c
 *   kfaas fn create hello --vm ./hello --resident
 *
 * Created with --resident, the process serves request after request over
 * the framed protocol of <kfaas/resident.h> (KFAAS_RESIDENT=1 in its
 * environment): what the handler keeps in memory lives on between
 * requests, and a request costs no process start.  Without --resident
 * the same executable serves its one request (stdin to EOF, the reply on
 * stdout, the handler's status as the exit status), so one build runs in
 * both modes.  Header only, libc only: no library to link into a guest
 * that has none.
 */
#ifndef KFAAS_RESIDENT_SDK_H
#define KFAAS_RESIDENT_SDK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <kfaas/resident.h>

/* The response being built (kfaas_reply_*()); reset for every request. */
struct kfaas_reply {
	char	*data;
	size_t	len, cap;
	int	oom;		/* an append did not fit in memory */
};

/* The request's bytes, its response, what the caller passed to serve. */
typedef int (*kfaas_handler)(const char *req, size_t len,
			     struct kfaas_reply *r, void *ctx);

static inline int kfaas_reply_append(struct kfaas_reply *r, const void *p,
				     size_t n)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *d;

		while (cap < r->len + n)
			cap *= 2;
		d = (char *)realloc(r->data, cap);
		if (!d) {
			r->oom = 1;
			return -ENOMEM;
		}
		r->data = d;
		r->cap = cap;
	}
	if (n && p)
		memcpy(r->data + r->len, p, n);
	r->len += n;
	return 0;
}

static inline int kfaas_reply_printf(struct kfaas_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int kfaas_reply_printf(struct kfaas_reply *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(buf))
		return kfaas_reply_append(r, buf, (size_t)n);
	/* longer than the stack buffer: format into the reply itself */
	if (kfaas_reply_append(r, NULL, (size_t)n + 1))
		return -ENOMEM;
	r->len -= (size_t)n + 1;
	va_start(ap, fmt);
	vsnprintf(r->data + r->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
	return 0;
}

/* n bytes exactly: 1, 0 at end of file before any byte, -1 on error. */
static inline int kfaas__read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k == 0 && got == 0 ? 0 : -1;
		got += (size_t)k;
	}
	return 1;
}

static inline int kfaas__write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

/* The handler's status, bounded to what an exit status can say. */
static inline int kfaas__status(int rc, const struct kfaas_reply *r)
{
	if (r->oom)
		return 1;
	return rc < 0 || rc > 255 ? 1 : rc;
}

/* Fork mode: one request, stdin to EOF. */
static inline int kfaas__serve_once(kfaas_handler fn, void *ctx)
{
	struct kfaas_reply req = { 0 }, r = { 0 };
	char buf[65536];
	ssize_t n;
	int rc;

	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || kfaas_reply_append(&req, buf, (size_t)n))
			return 1;
	}
	rc = kfaas__status(fn(req.data ? req.data : "", req.len, &r, ctx), &r);
	if (kfaas__write_full(1, r.data, r.len))
		rc = 1;
	free(req.data);
	free(r.data);
	return rc;
}

/*
 * Serve requests with fn until stdin closes (resident) or the one request
 * (fork mode): returns the exit status main() should return.
 */
static inline int kfaas_serve(kfaas_handler fn, void *ctx)
{
	struct kfaas_reply req = { 0 }, r = { 0 };
	const char *mode = getenv(KFAAS_RESIDENT_ENV);

	if (!mode || strcmp(mode, "1"))
		return kfaas__serve_once(fn, ctx);
	for (;;) {
		struct kfaas_resident_hdr h;
		int rc = kfaas__read_full(0, &h, sizeof(h));

		if (rc == 0)
			return 0;	/* the agent closed our stdin */
		if (rc < 0 || h.magic != KFAAS_RESIDENT_MAGIC)
			return 1;
		req.len = 0;
		if (kfaas_reply_append(&req, NULL, h.len) ||
		    (h.len && kfaas__read_full(0, req.data, h.len) != 1))
			return 1;
		r.len = 0;
		r.oom = 0;
		rc = kfaas__status(fn(req.data ? req.data : "", h.len, &r, ctx),
				   &r);
		h.status = rc;
		h.len = rc ? 0 : (__u32)r.len;
		if (kfaas__write_full(1, &h, sizeof(h)) ||
		    kfaas__write_full(1, r.data, h.len))
			return 1;
	}
}

#endif /* KFAAS_RESIDENT_SDK_H */
