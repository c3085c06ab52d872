// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets for the routes kfaasd serves: every route of the pinned route
 * table whose function runs in the vm tier, or that names a vm-tier
 * fallback (an XDP function passed the request up the stack).  The XDP
 * dispatcher passes these frames up; the kernel delivers them here.
 *
 *   UDP  one datagram is one request; the reply (the function's stdout)
 *        goes back from the address the client sent to (IP_PKTINFO)
 *   TCP  one connection is one request: everything the client sends until
 *        it shuts down its side; the reply is written, then the
 *        connection is closed
 *
 * An error is answered with one line "kfaasd: error: WHAT" instead of the
 * function's output.  listen_refresh() runs at start, on SIGHUP, on a CLI
 * notification and every opts.refresh_ms, and opens/closes sockets to match
 * the table.  A route split between versions picks the version per
 * request (listener_fn).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <kfaas/split.h>
#include "kfaasd.h"

#define UDP_MAX_REPLY	65507
#define TCP_BACKLOG	256

struct listener {
	struct list	link;
	struct watch	w;
	struct kfaas_route_key key;
	__u32		fn_id;		/* the route's function (or fallback) */
	bool		split;		/* the route splits between versions */
	int		refs;		/* UDP requests in flight + the table */
	bool		seen;
	char		error[160];	/* bind failure, retried on refresh */
};

struct udp_ctx {
	struct listener	*l;
	struct sockaddr_storage peer;
	socklen_t	peer_len;
	union {		/* control messages need cmsghdr alignment */
		char	b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	size_t		ctl_len;
};

enum { TCP_READING, TCP_WAITING, TCP_WRITING };
struct tcp_conn {
	struct list	link;
	struct watch	w;
	__u32		fn_id;
	int		state;
	struct kfaas_iobuf buf;		/* the request, then the reply */
	uint64_t	deadline_ms;
	struct req	*req;
};

static struct list listeners = LIST_INIT(listeners);
static struct list conns = LIST_INIT(conns);
static unsigned int nconns;		/* in conns */
static uint64_t n_refused;		/* closed at accept: over max_conns */

/*
 * The function that serves a request of l.  A split route's version is
 * picked per request, from the route as it is in the table now: a
 * change of weights (one update of the route) applies to the next
 * request.  If the route cannot be read, the function it had.
 */
static __u32 listener_fn(const struct listener *l)
{
	struct kfaas_route r;

	if (!l->split || kfaas_route_get(&pinroot, &l->key, &r) ||
	    r.tier != KFAAS_TIER_VM)
		return l->fn_id;
	return kfaas_route_pick(&r, arc4random());
}

static void listener_put(struct listener *l)
{
	if (--l->refs > 0)
		return;
	loop_close(&l->w);
	free(l);
}

/* Out of the table: no new requests; replies in flight keep the fd. */
static void listener_drop(struct listener *l)
{
	list_del(&l->link);
	loop_remove(&l->w);
	listener_put(l);
}

static int error_reply(char *buf, size_t len, const struct result *res)
{
	return snprintf(buf, len, "kfaasd: error: %s\n", res->msg);
}

/* ---- UDP ------------------------------------------------------------------- */

static void udp_done(struct req *r, const struct result *res)
{
	struct udp_ctx *c = r->ctx;
	char ebuf[400];
	const void *p = res->out;
	size_t n = res->out_len;
	struct iovec iov;
	struct msghdr m = { .msg_name = &c->peer, .msg_namelen = c->peer_len,
			    .msg_iov = &iov, .msg_iovlen = 1 };

	if (res->err != REQ_OK || n > UDP_MAX_REPLY) {
		struct result big = *res;

		if (res->err == REQ_OK)
			snprintf(big.msg, sizeof(big.msg), "the reply of %zu "
				 "bytes does not fit a UDP datagram", n);
		n = (size_t)error_reply(ebuf, sizeof(ebuf), &big);
		p = ebuf;
	}
	iov.iov_base = (void *)p;
	iov.iov_len = n;
	if (c->ctl_len) {
		m.msg_control = c->ctl.b;
		m.msg_controllen = c->ctl_len;
	}
	if (c->l->w.fd >= 0 && sendmsg(c->l->w.fd, &m, MSG_DONTWAIT) < 0 &&
	    c->ctl_len) {
		/* the address went away: let the kernel pick the source */
		m.msg_control = NULL;
		m.msg_controllen = 0;
		sendmsg(c->l->w.fd, &m, MSG_DONTWAIT);
	}
	listener_put(c->l);
	free(c);
}

/* Turn received pktinfo into the ancillary data that sets the source. */
static size_t reply_ctl(struct msghdr *m, char *out)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		struct msghdr o = { .msg_control = out,
				    .msg_controllen = CMSG_SPACE(
					sizeof(struct in6_pktinfo)) };
		struct cmsghdr *oc = CMSG_FIRSTHDR(&o);

		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			oc->cmsg_level = IPPROTO_IP;
			oc->cmsg_type = IP_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(oc), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			pi.ipi6_ifindex = 0;
			oc->cmsg_level = IPPROTO_IPV6;
			oc->cmsg_type = IPV6_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(oc), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

static void on_udp(struct watch *w, uint32_t events)
{
	struct listener *l = container_of(w, struct listener, w);
	static char buf[65536];
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {	/* then let others run */
		union {
			char b[256];
			struct cmsghdr align;
		} ctl;
		struct udp_ctx *c = calloc(1, sizeof(*c));
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b) };
		struct req *r;
		char *data;
		ssize_t n;

		if (!c)
			return;
		m.msg_name = &c->peer;
		m.msg_namelen = sizeof(c->peer);
		n = recvmsg(w->fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			free(c);
			return;
		}
		c->peer_len = m.msg_namelen;
		c->ctl_len = reply_ctl(&m, c->ctl.b);
		c->l = l;
		l->refs++;
		if ((size_t)n > opts.max_request) {
			struct result res = { .err = REQ_E_FAILED };

			snprintf(res.msg, sizeof(res.msg), "request of %zd bytes "
				 "is over the limit of %zu", n, opts.max_request);
			udp_done(&(struct req){ .ctx = c }, &res);
			continue;
		}
		data = malloc(n ? (size_t)n : 1);
		if (!data) {
			listener_put(l);
			free(c);
			return;
		}
		memcpy(data, buf, (size_t)n);
		r = req_new(listener_fn(l), data, (size_t)n, udp_done, c);
		if (!r) {
			free(data);
			udp_done(&(struct req){ .ctx = c }, &(struct result){
				 .err = REQ_E_FAILED, .msg = "out of memory" });
			return;
		}
		req_submit(r);
	}
}

/* ---- TCP ------------------------------------------------------------------- */

static void conn_free(struct tcp_conn *c)
{
	if (c->req)
		req_orphan(c->req);
	list_del(&c->link);
	nconns--;
	loop_close(&c->w);
	kfaas_iobuf_free(&c->buf);
	free(c);
}

static void conn_write(struct tcp_conn *c)
{
	if (kfaas_iobuf_write(&c->buf, c->w.fd) == -EAGAIN) {
		loop_mod(&c->w, EPOLLOUT);
		return;
	}
	conn_free(c);	/* written (or the client is gone): close */
}

static void conn_reply(struct tcp_conn *c, const char *p, size_t n)
{
	/* no memory for the reply: the client sees the connection close */
	kfaas_iobuf_free(&c->buf);
	kfaas_iobuf_init(&c->buf, 0);
	kfaas_iobuf_append(&c->buf, p, n);
	c->state = TCP_WRITING;
	c->deadline_ms = kfaas_now_ms() + opts.tcp_timeout_ms;
	conn_write(c);
}

static void tcp_done(struct req *r, const struct result *res)
{
	struct tcp_conn *c = r->ctx;
	char ebuf[400];

	c->req = NULL;
	if (res->err != REQ_OK) {
		int n = error_reply(ebuf, sizeof(ebuf), res);

		conn_reply(c, ebuf, (size_t)n);
		return;
	}
	conn_reply(c, res->out, res->out_len);
}

static void conn_error(struct tcp_conn *c, const char *msg)
{
	struct result res = { .err = REQ_E_FAILED };

	snprintf(res.msg, sizeof(res.msg), "%s", msg);
	tcp_done(&(struct req){ .ctx = c }, &res);
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, w);
	size_t len;
	char *data;

	if (c->state == TCP_WRITING) {
		conn_write(c);
		return;
	}
	if (c->state == TCP_WAITING) {
		/* the client may only hang up while it waits */
		if (events & (EPOLLHUP | EPOLLERR))
			conn_free(c);
		else
			loop_mod(&c->w, 0);
		return;
	}
	for (;;) {
		/* the buffer's limit is one byte more than a request may be */
		ssize_t n = kfaas_iobuf_read(&c->buf, w->fd, 16384);

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			conn_free(c);
			return;
		}
		if (n == 0)
			break;
		if (kfaas_iobuf_len(&c->buf) > opts.max_request) {
			char msg[128];

			snprintf(msg, sizeof(msg), "request larger than %zu "
				 "bytes", opts.max_request);
			conn_error(c, msg);
			return;
		}
	}
	/* the client shut down its side: the request is complete */
	c->state = TCP_WAITING;
	c->deadline_ms = 0;
	loop_mod(&c->w, 0);	/* only hang-ups and errors */
	data = kfaas_iobuf_detach(&c->buf, &len);
	c->req = req_new(c->fn_id, data, len, tcp_done, c);
	if (!c->req) {
		free(data);
		conn_free(c);
		return;
	}
	req_submit(c->req);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct listener *l = container_of(w, struct listener, w);
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tcp_conn *c;

		if (fd < 0)
			return;
		if (nconns >= opts.max_conns) {
			/* a flood of clients must not take the descriptors
			 * the VMs need: the excess is closed at once */
			if (n_refused++ % 1000 == 0)
				warn("more than %u TCP clients at once: closing "
				     "new ones (kfaasd --max-conns)",
				     opts.max_conns);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fn_id = listener_fn(l);	/* one request per connection */
		kfaas_iobuf_init(&c->buf, opts.max_request + 1);
		c->state = TCP_READING;
		c->deadline_ms = kfaas_now_ms() + opts.tcp_timeout_ms;
		list_add_tail(&c->link, &conns);
		nconns++;
		if (loop_add(&c->w, fd, EPOLLIN, on_conn)) {
			close(fd);
			list_del(&c->link);
			nconns--;
			free(c);
		}
	}
}

void listen_tick(uint64_t now)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &conns) {
		struct tcp_conn *c = container_of(l, struct tcp_conn, link);

		if (!c->deadline_ms || now < c->deadline_ms)
			continue;
		if (c->state == TCP_READING)
			conn_error(c, "the request did not end in time: shut "
				   "down the sending side after the request");
		else
			conn_free(c);
	}
}

uint64_t listen_next_deadline(void)
{
	uint64_t next = UINT64_MAX;
	struct list *l, *t;

	list_for_each_safe(l, t, &conns) {
		struct tcp_conn *c = container_of(l, struct tcp_conn, link);

		if (c->deadline_ms && c->deadline_ms < next)
			next = c->deadline_ms;
	}
	return next;
}

/* ---- the table ------------------------------------------------------------- */

static int open_socket(struct listener *l)
{
	bool udp = l->key.proto == IPPROTO_UDP;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1, zero = 0, fam;

	fam = l->key.family == KFAAS_FAMILY_IPV4 ? AF_INET : AF_INET6;
	fd = socket(fam, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0 && fam == AF_INET6 && l->key.family == KFAAS_FAMILY_ANY) {
		/* no IPv6 here: the wildcard is IPv4 only */
		fam = AF_INET;
		fd = socket(fam, (udp ? SOCK_DGRAM : SOCK_STREAM) |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = l->key.port;
		if (l->key.family)
			memcpy(&a->sin_addr, l->key.addr, 4);
		len = sizeof(*a);
		if (udp)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = l->key.port;
		if (l->key.family)
			memcpy(&a->sin6_addr, l->key.addr, 16);
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		len = sizeof(*a);
		if (udp)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
	}
	if (bind(fd, (void *)&ss, len) || (!udp && listen(fd, TCP_BACKLOG))) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (loop_add(&l->w, fd, EPOLLIN, udp ? on_udp : on_accept)) {
		int rc = -errno;

		close(fd);
		l->w.fd = -1;
		return rc;
	}
	return 0;
}

static struct listener *find(const struct kfaas_route_key *k)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &listeners) {
		struct listener *x = container_of(l, struct listener, link);

		if (!memcmp(&x->key, k, sizeof(*k)))
			return x;
	}
	return NULL;
}

/* The VM-tier function a route leads to (or its VM-tier fallback), or 0. */
static __u32 route_vm_fn(const struct kfaas_route *v)
{
	if (v->tier == KFAAS_TIER_VM)
		return v->fn_id;
	if (v->flags & KFAAS_ROUTE_F_FALLBACK)
		return v->fallback_id;
	return 0;
}

/* Open x's socket; say it serves, or why not (once per reason: a socket
 * that could not be bound is tried again at every refresh). */
static void listener_open(struct listener *x)
{
	int rc = open_socket(x);
	char k[96];

	kfaas_route_key_str(&x->key, k, sizeof(k));
	if (!rc) {
		x->error[0] = '\0';
		info("serving route %s", k);
	} else if (strcmp(x->error, strerror(-rc))) {
		snprintf(x->error, sizeof(x->error), "%s", strerror(-rc));
		warn("cannot serve route %s: %s", k, x->error);
	}
}

/* The listener of a route leading to fn, in the table and open if it can
 * be; NULL: out of memory. */
static struct listener *listener_get(const struct kfaas_route_key *key,
				     __u32 fn, bool split)
{
	struct listener *x = find(key);

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		x->key = *key;
		x->refs = 1;
		x->w.fd = -1;
		list_add_tail(&x->link, &listeners);
	}
	x->fn_id = fn;
	x->split = split;
	x->seen = true;
	if (x->w.fd < 0)
		listener_open(x);
	return x;
}

void listen_refresh(void)
{
	struct kfaas_route_ent *r;
	struct list *l, *t;
	size_t n, i;

	if (kfaas_route_list(&pinroot, &r, &n)) {
		warn("cannot read the route table: %s", kfaas_errmsg());
		return;
	}
	list_for_each_safe(l, t, &listeners)
		container_of(l, struct listener, link)->seen = false;
	for (i = 0; i < n; i++) {
		__u32 fn = route_vm_fn(&r[i].val);

		if (fn && !listener_get(&r[i].key, fn,
					r[i].val.tier == KFAAS_TIER_VM &&
					r[i].val.nver >= 2))
			break;
	}
	free(r);
	list_for_each_safe(l, t, &listeners) {
		struct listener *x = container_of(l, struct listener, link);
		char k[96];

		if (x->seen)
			continue;
		kfaas_route_key_str(&x->key, k, sizeof(k));
		if (x->w.fd >= 0)
			info("route %s is gone: closing its socket", k);
		listener_drop(x);
	}
}

void listen_close_all(void)
{
	while (!list_empty(&conns))
		conn_free(container_of(conns.next, struct tcp_conn, link));
	while (!list_empty(&listeners)) {
		struct listener *x = container_of(listeners.next,
						  struct listener, link);

		listener_drop(x);
	}
}

void listen_counts(unsigned int *conns_now, uint64_t *refused)
{
	*conns_now = nconns;
	*refused = n_refused;
}

json_object *listen_status(void)
{
	json_object *a = json_object_new_array();
	struct list *l, *t;

	list_for_each_safe(l, t, &listeners) {
		struct listener *x = container_of(l, struct listener, link);
		json_object *o = json_object_new_object();
		struct fn *f = fn_by_id(x->fn_id);
		char k[96];

		kfaas_route_key_str(&x->key, k, sizeof(k));
		json_object_object_add(o, "route", json_object_new_string(k));
		json_object_object_add(o, "fn_id", json_object_new_int64(x->fn_id));
		json_object_object_add(o, "fn", f ? json_object_new_string(f->name) :
				       NULL);
		json_object_object_add(o, "listening",
				       json_object_new_boolean(x->w.fd >= 0));
		json_object_object_add(o, "error", x->error[0] ?
				       json_object_new_string(x->error) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}
