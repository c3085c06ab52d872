// SPDX-License-Identifier: GPL-2.0
/*
 * Invoking a socket-tier function from userspace.  BPF_PROG_TEST_RUN
 * does not run SK_SKB programs (the kernel answers ENOTSUPP, measured on
 * 6.18), so the invoker is a real TCP client: it connects to one of the
 * function's routes through the listener, sends the request and reads the
 * reply, which takes the same path and accounting as any client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <libkfaas.h>
#include "internal.h"
#include <kfaas_frame.h>

/* The socket address of the route to connect to, and its description. */
static void target_addr(int fam, const __u8 *addr, __u16 port,
			struct sockaddr_storage *ss, socklen_t *sslen,
			char *desc, size_t dlen)
{
	char a[INET6_ADDRSTRLEN];

	memset(ss, 0, sizeof(*ss));
	if (fam == KFAAS_FAMILY_IPV6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		*sslen = sizeof(*s6);
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(desc, dlen, "tcp [%s]:%u", a, port);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (fam == KFAAS_FAMILY_IPV4)
			memcpy(&s4->sin_addr, addr, 4);
		else	/* a wildcard route: the listener is on loopback too */
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*sslen = sizeof(*s4);
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(desc, dlen, "tcp %s:%u", a, port);
	}
}

int kfaas_sk_invoke_target(struct kfaas_state *st, const struct kfaas_fn_info *fn,
			   const char *dst, struct sockaddr_storage *ss,
			   socklen_t *sslen, char *desc, size_t dlen)
{
	struct kfaas_route_filter f = { .proto = IPPROTO_TCP, .fn_id = fn->id };
	struct kfaas_route_ent e;
	int rc;

	if (dst && kfaas_hostport_parse(dst, &f.family, f.addr, &f.port))
		return kfaas_err(-EINVAL, "bad --dst '%s': use ADDR:PORT or "
				 "[V6ADDR]:PORT", dst);
	rc = kfaas__route_first(st, &f, &e);
	if (rc == -ENOENT)
		return kfaas_err(-ENOENT, "function '%s' has no TCP route%s: add "
				 "one with 'kfaas route add tcp PORT fn %s'",
				 fn->name, f.port ? " for that --dst" : "",
				 fn->name);
	if (rc)
		return rc;
	if (f.family)	/* the --dst address, whatever the route's */
		target_addr(f.family, f.addr, ntohs(e.key.port), ss, sslen,
			    desc, dlen);
	else
		target_addr(e.key.family, e.key.addr, ntohs(e.key.port), ss,
			    sslen, desc, dlen);
	return 0;
}

int kfaas_sk_invoke_connect(const struct sockaddr_storage *ss, socklen_t len,
			    const char *desc, int timeout_ms)
{
	struct pollfd p;
	socklen_t el = sizeof(int);
	int fd, one = 1, err = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kfaas__errno_msg(-errno, "socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)ss, len) && errno != EINPROGRESS)
		err = errno;
	if (!err) {
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, timeout_ms) != 1)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
			err = errno;
	}
	if (err) {
		close(fd);
		if (err == ECONNREFUSED)
			return kfaas_err(-err, "nothing listens on %s: start the "
					 "socket-tier listener ('kfaas sk serve') "
					 "or kfaasd, in this network namespace",
					 desc);
		return kfaas_err(-err, "cannot connect to %s: %s", desc,
				 strerror(err));
	}
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pf, 1, 2000) != 1)
				return kfaas_err(-ETIMEDOUT, "sending the request "
						 "timed out");
			continue;
		}
		if (n < 0)
			return kfaas__errno_msg(-errno, "send");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kfaas_sk_invoke_once(int fd, const void *req, size_t len, void *out,
			 size_t cap, size_t *outlen, int wait_ms, int idle_ms,
			 bool *closed, __u64 *ns)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	__u64 t0, last = 0;
	size_t got = 0;
	ssize_t n;
	int rc;

	*closed = false;
	t0 = kfaas_now_ns();
	rc = send_all(fd, req, len);
	if (rc)
		return rc;
	for (;;) {
		rc = poll(&p, 1, got ? idle_ms : wait_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = recv(fd, (char *)out + got, cap - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			*closed = true;
			break;
		}
		got += (size_t)n;
		last = kfaas_now_ns();
		if (got == cap)
			break;
	}
	*outlen = got;
	*ns = got ? last - t0 : 0;
	return 0;
}

int kfaas_sk_invoke_exact(int fd, const void *req, size_t len, void *out,
			  size_t want, int timeout_ms, __u64 *ns)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	__u64 t0;
	ssize_t n;
	int rc;

	t0 = kfaas_now_ns();
	rc = send_all(fd, req, len);
	if (rc)
		return rc;
	while (got < want) {
		rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return kfaas_err(-ETIMEDOUT, "no complete reply within %d "
					 "ms (%zu of %zu bytes): --repeat needs "
					 "replies of one length", timeout_ms,
					 got, want);
		n = recv(fd, (char *)out + got, want - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return kfaas_err(-ECONNRESET, "the connection closed after "
					 "%zu of %zu reply bytes", got, want);
		got += (size_t)n;
	}
	*ns = kfaas_now_ns() - t0;
	return 0;
}
