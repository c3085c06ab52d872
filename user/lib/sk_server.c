// SPDX-License-Identifier: GPL-2.0
/*
 * The socket-tier listener: one listening socket per served port (or
 * address) of the sk-tier routes.  For each accepted connection it makes
 * a relay (an AF_UNIX socketpair), records both in kfaas_sk_links and
 * puts the three sockets into kfaas_sk_socks; from then on the kernel
 * answers the connection (the dispatcher and the function run on every
 * segment, docs/socket-tier.md) and this process only owns its lifetime:
 *   - it closes the connection when the peer closes it or fails, or when
 *     the function asked to (a kfaas_sk_events record), which removes its
 *     sockets from the sockhash, and deletes its links and kfaas_sk_conns
 *     record;
 *   - bytes the kernel passed up (no route any more, KFAAS_PASS) arrive on
 *     the relay: opts->on_passed gets them, or the connection is closed;
 *   - a connection whose peer closed its side before the accept cannot go
 *     into the sockhash (the kernel takes established sockets only): its
 *     bytes are fed to the relay and the replies forwarded from there.
 * It is woken for none of the requests.  Exactly one listener serves a
 * pin root: it holds flock(PINROOT/sk).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

/*
 * How long a connection lingers for its last replies when the function
 * closed it or the peer shut its sending side: the replies are on their
 * way through the relay and the sockets' work queues (well under 1 ms
 * unloaded); closing the socket earlier would drop them.
 */
#define KFAAS_SK_LINGER_NS	(200ULL * 1000 * 1000)

enum { EV_LISTEN = 1, EV_CONN, EV_EVENTS, EV_RELAY };

/* Bytes of a connection accepted after its peer closed its side: at most. */
#define KFAAS_SK_REPLAY_MAX	(64 * 1024)

struct lsock {
	int	fd;
	int	family;		/* KFAAS_FAMILY_ANY: dual-stack wildcard */
	__u8	addr[16];
	__u16	port;		/* host order */
	bool	wanted;
};

/* A connection, by its client socket's fd. */
struct cslot {
	__u64	cookie;		/* the client socket's: the connection id */
	__u64	relay_cookie;	/* the relay's sending end */
	__u64	close_at;	/* CLOCK_MONOTONIC ns, 0: none */
	int	relay_tx;	/* the relay's sending end (redirect target) */
	int	relay_rx;	/* its receiving end: the function runs there */
	bool	used;
	bool	replay;		/* served through the listener (LINK_F_USER) */
};

struct kfaas_sk_server {
	struct kfaas_state st;
	struct kfaas_sk_server_opts o;
	int	lock_fd;
	int	socks_fd;
	int	conns_fd;
	int	links_fd;
	int	info_fd;
	int	events_fd;
	int	epfd;
	struct ring_buffer *rb;
	struct lsock *ls;
	size_t	nls;
	struct cslot *cs;	/* by fd */
	size_t	ncs;
	size_t	nconns;
	size_t	closing;	/* slots with close_at set */
	struct kfaas_sk_server_info info;
};

static void slog(struct kfaas_sk_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void slog(struct kfaas_sk_server *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.log(s->o.ctx, msg);
}

/* Watch fd; events come back as (type, key): key is fd, or the conn's fd. */
static int ep_add_key(struct kfaas_sk_server *s, int fd, int type, int key,
		      __u32 events)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = ((__u64)type << 32) | (__u32)key };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int ep_add(struct kfaas_sk_server *s, int fd, int type, __u32 events)
{
	return ep_add_key(s, fd, type, fd, events);
}

static void info_write(struct kfaas_sk_server *s)
{
	__u32 zero = 0;

	s->info.listeners = (__u32)s->nls;
	bpf_map_update_elem(s->info_fd, &zero, &s->info, BPF_ANY);
}

/* ---- connections ---- */

static int slot_get(struct kfaas_sk_server *s, int fd, struct cslot **out)
{
	struct cslot *n;
	size_t cap;

	if ((size_t)fd >= s->ncs) {
		cap = s->ncs ? s->ncs : 256;
		while (cap <= (size_t)fd)
			cap *= 2;
		n = realloc(s->cs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + s->ncs, 0, (cap - s->ncs) * sizeof(*n));
		s->cs = n;
		s->ncs = cap;
	}
	*out = &s->cs[fd];
	return 0;
}

static void conn_close(struct kfaas_sk_server *s, int fd)
{
	struct cslot *c = &s->cs[fd];
	__u64 cookie = c->cookie, relay = c->relay_cookie;

	/* closing removes them from kfaas_sk_socks: no verdict runs after */
	close(fd);
	close(c->relay_tx);
	close(c->relay_rx);
	bpf_map_delete_elem(s->links_fd, &cookie);
	bpf_map_delete_elem(s->links_fd, &relay);
	bpf_map_delete_elem(s->conns_fd, &cookie);
	if (c->close_at)
		s->closing--;
	memset(c, 0, sizeof(*c));
	s->nconns--;
	s->info.closed++;
}

static __u64 cookie_of(int fd)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len);
	return cookie;
}

/* The local address of a client socket, an IPv4-mapped one as IPv4. */
static int local_of(int fd, struct kfaas_sk_link *l)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET) {
		l->family = KFAAS_FAMILY_IPV4;
		l->port = s4->sin_port;
		memcpy(l->addr, &s4->sin_addr, 4);
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		l->family = KFAAS_FAMILY_IPV4;
		l->port = s6->sin6_port;
		memcpy(l->addr, &s6->sin6_addr.s6_addr[12], 4);
	} else {
		l->family = KFAAS_FAMILY_IPV6;
		l->port = s6->sin6_port;
		memcpy(l->addr, &s6->sin6_addr, 16);
	}
	return 0;
}

static int sock_insert(struct kfaas_sk_server *s, int fd, __u64 cookie)
{
	__u64 v = (__u64)fd;

	return bpf_map_update_elem(s->socks_fd, &cookie, &v, BPF_NOEXIST) ?
	       -errno : 0;
}

/*
 * Wire a connection up: its record, the relay, the links, then the
 * sockets: the relay first, so the client socket's first segment finds
 * it.  0; 1 when the client socket is not established any more, to be
 * served through the listener; or a negative errno with the connection's
 * parts undone.
 */
static int conn_wire(struct kfaas_sk_server *s, int fd, struct cslot *c,
		     const char **what)
{
	static struct kfaas_sk_conn zero;
	struct kfaas_sk_link client = { .role = KFAAS_SK_ROLE_CLIENT };
	struct kfaas_sk_link relay = { .role = KFAAS_SK_ROLE_RELAY };
	int x[2], rc;

	c->cookie = cookie_of(fd);
	*what = "read the connection's address";
	rc = local_of(fd, &relay);
	if (rc)
		return rc;
	*what = "make its relay";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, x))
		return -errno;
	c->relay_tx = x[0];
	c->relay_rx = x[1];
	c->relay_cookie = cookie_of(x[0]);
	client.peer = c->relay_cookie;
	client.conn = c->cookie;
	relay.peer = c->cookie;
	relay.conn = c->cookie;
	*what = "record it in kfaas_sk_conns and kfaas_sk_links";
	if (bpf_map_update_elem(s->conns_fd, &c->cookie, &zero, BPF_NOEXIST) ||
	    bpf_map_update_elem(s->links_fd, &c->relay_cookie, &relay,
				BPF_NOEXIST) ||
	    bpf_map_update_elem(s->links_fd, &c->cookie, &client, BPF_NOEXIST)) {
		rc = -errno;
		goto err;
	}
	*what = "add it to the sockhash";
	rc = sock_insert(s, x[0], c->relay_cookie) ?:
	     sock_insert(s, x[1], cookie_of(x[1]));
	if (rc)
		goto err;
	rc = sock_insert(s, fd, c->cookie);
	if (rc == -EOPNOTSUPP) {
		/* the peer closed its side already: replies via the listener */
		relay.flags = KFAAS_SK_LINK_F_USER;
		if (bpf_map_update_elem(s->links_fd, &c->relay_cookie, &relay,
					BPF_EXIST)) {
			rc = -errno;
			goto err;
		}
		return 1;
	}
	if (rc)
		goto err;
	return 0;
err:
	close(x[0]);
	close(x[1]);
	bpf_map_delete_elem(s->links_fd, &c->cookie);
	bpf_map_delete_elem(s->links_fd, &c->relay_cookie);
	bpf_map_delete_elem(s->conns_fd, &c->cookie);
	return rc;
}

static void conn_linger(struct kfaas_sk_server *s, struct cslot *c);

/* Give up on a connection served through the listener after ns. */
static void conn_deadline(struct kfaas_sk_server *s, struct cslot *c, __u64 ns)
{
	if (!c->close_at)
		s->closing++;
	c->close_at = kfaas_now_ns() + ns;
}

/*
 * The peer sent its requests and closed its side before the accept: feed
 * them to the relay, where the function answers them to the relay's
 * sending end; relay_event() forwards the replies.
 */
static void conn_replay(struct kfaas_sk_server *s, int fd, struct cslot *c)
{
	static char buf[KFAAS_SK_REPLAY_MAX];
	size_t len = 0;
	ssize_t n;

	c->replay = true;
	conn_deadline(s, c, 3 * KFAAS_SK_LINGER_NS);
	for (;;) {
		n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			slog(s, "connection %llu: more than %d bytes before it "
			     "was accepted: closing it",
			     (unsigned long long)c->cookie, KFAAS_SK_REPLAY_MAX);
			conn_deadline(s, c, 0);
			return;
		}
	}
	if (!len || ep_add_key(s, c->relay_tx, EV_RELAY, fd, EPOLLIN)) {
		conn_deadline(s, c, 0);
		return;
	}
	/* the relay runs the function right in this send */
	if (send(c->relay_tx, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		conn_deadline(s, c, 0);
}

/* Replies of a connection served through the listener: forward them. */
static void relay_event(struct kfaas_sk_server *s, int fd)
{
	struct cslot *c = (size_t)fd < s->ncs ? &s->cs[fd] : NULL;
	static char buf[KFAAS_SK_OUT_MAX * 4];
	ssize_t n;

	if (!c || !c->used || !c->replay)
		return;
	for (;;) {
		n = recv(c->relay_tx, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		if (send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
			conn_deadline(s, c, 0);
			return;
		}
	}
	/* more replies of the same requests follow closely, if any */
	conn_deadline(s, c, KFAAS_SK_LINGER_NS / 2);
}

static void conn_add(struct kfaas_sk_server *s, int fd)
{
	const char *what = "";
	struct cslot *c;
	int one = 1, rc;

	rc = slot_get(s, fd, &c);
	if (rc) {
		slog(s, "accept: out of memory: connection refused");
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	rc = conn_wire(s, fd, c, &what);
	if (rc == 1) {
		c->used = true;
		s->nconns++;
		s->info.accepted++;
		conn_replay(s, fd, c);
		return;
	}
	if (rc) {
		slog(s, "accept: cannot %s: %s%s: connection refused", what,
		     strerror(-rc), rc == -E2BIG || rc == -ENOMEM ||
		     rc == -ENOSPC ? " (too many connections)" : "");
		memset(c, 0, sizeof(*c));
		close(fd);
		return;
	}
	/* the peer closing or failing is all this process waits for */
	rc = ep_add(s, fd, EV_CONN, EPOLLRDHUP);
	if (rc) {
		slog(s, "accept: epoll: %s", strerror(-rc));
		c->used = true;
		s->nconns++;
		conn_close(s, fd);
		return;
	}
	c->used = true;
	s->nconns++;
	s->info.accepted++;
	/*
	 * Bytes that arrived between the handshake and the insert sit in the
	 * receive queue, and the kernel only runs the verdict on new data:
	 * setting SO_RCVLOWAT makes TCP signal data ready, which runs it.
	 */
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
}

static void accept_all(struct kfaas_sk_server *s, int lfd)
{
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_add(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE)
			slog(s, "accept: %s: raise the open file limit (ulimit "
			     "-n)", strerror(errno));
		return;
	}
}

static void conn_linger(struct kfaas_sk_server *s, struct cslot *c);

/*
 * The peer failed or closed both ways: close now.  It shut its sending
 * side (its last requests are in): close once their replies are out.
 */
static void conn_event(struct kfaas_sk_server *s, int fd, __u32 events)
{
	struct cslot *c = (size_t)fd < s->ncs ? &s->cs[fd] : NULL;
	struct epoll_event ev = { .events = 0,
				  .data.u64 = ((__u64)EV_CONN << 32) | (__u32)fd };

	if (!c || !c->used)
		return;
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(s, fd);
	} else if (events & EPOLLRDHUP) {
		/* level-triggered: stop it reporting, HUP and ERR stay */
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
		conn_linger(s, c);
	}
}

static struct cslot *slot_of(struct kfaas_sk_server *s, __u64 cookie, int *fd)
{
	size_t i;

	for (i = 0; i < s->ncs; i++) {
		if (s->cs[i].used && s->cs[i].cookie == cookie) {
			*fd = (int)i;
			return &s->cs[i];
		}
	}
	return NULL;
}

static void conn_linger(struct kfaas_sk_server *s, struct cslot *c)
{
	if (!c->close_at) {
		/* its last replies are still on their way out */
		c->close_at = kfaas_now_ns() + KFAAS_SK_LINGER_NS;
		s->closing++;
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct kfaas_sk_server *s = ctx;
	const struct kfaas_sk_event *ev = data;
	struct cslot *c;
	int fd;

	if (len < sizeof(*ev))
		return 0;
	c = slot_of(s, ev->cookie, &fd);
	if (!c)
		return 0;
	if (ev->kind == KFAAS_SK_EV_CLOSE) {
		conn_linger(s, c);
	} else if (ev->kind == KFAAS_SK_EV_PASSED && !c->close_at) {
		if (s->o.on_passed &&
		    s->o.on_passed(s->o.ctx, fd, c->relay_rx, c->cookie) == 0)
			return 0;
		slog(s, "connection %llu: bytes passed up to userspace (no "
		     "route, or the function passed): closing it",
		     (unsigned long long)c->cookie);
		conn_linger(s, c);
	}
	return 0;
}

static void close_due(struct kfaas_sk_server *s)
{
	__u64 now;
	size_t fd;

	if (!s->closing)
		return;
	now = kfaas_now_ns();
	for (fd = 0; fd < s->ncs && s->closing; fd++)
		if (s->cs[fd].used && s->cs[fd].close_at &&
		    s->cs[fd].close_at <= now)
			conn_close(s, (int)fd);
}

/* ---- listening sockets ---- */

static void lsock_close(struct kfaas_sk_server *s, size_t i)
{
	close(s->ls[i].fd);
	s->ls[i] = s->ls[--s->nls];
}

static const char *lsock_str(const struct lsock *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "*";

	if (l->family == KFAAS_FAMILY_IPV4)
		inet_ntop(AF_INET, l->addr, a, sizeof(a));
	else if (l->family == KFAAS_FAMILY_IPV6)
		inet_ntop(AF_INET6, l->addr, a, sizeof(a));
	snprintf(buf, len, l->family == KFAAS_FAMILY_IPV6 ? "tcp [%s]:%u" :
		 "tcp %s:%u", a, l->port);
	return buf;
}

static int lsock_open(struct kfaas_sk_server *s, struct lsock *l)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	int fd, one = 1, zero = 0, af, rc;
	socklen_t alen;
	char name[64];

	af = l->family == KFAAS_FAMILY_IPV4 ? AF_INET : AF_INET6;
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && af == AF_INET6 && l->family == KFAAS_FAMILY_ANY) {
		af = AF_INET;	/* no IPv6 here: the IPv4 wildcard */
		fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return kfaas__errno_msg(-errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
			   l->family == KFAAS_FAMILY_ANY ? &zero : &one,
			   sizeof(int));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		if (l->family == KFAAS_FAMILY_IPV6)
			memcpy(&s6->sin6_addr, l->addr, 16);
		alen = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		if (l->family == KFAAS_FAMILY_IPV4)
			memcpy(&s4->sin_addr, l->addr, 4);
		alen = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, alen) ||
	    listen(fd, s->o.backlog > 0 ? s->o.backlog : 1024)) {
		rc = -errno;
		close(fd);
		return kfaas_err(rc, "cannot listen on %s: %s%s",
				 lsock_str(l, name, sizeof(name)), strerror(-rc),
				 rc == -EADDRINUSE ? " (another program uses "
				 "the port: stop it or route another port)" :
				 rc == -EADDRNOTAVAIL ? " (the address is not "
				 "on an interface of this network namespace)" :
				 "");
	}
	rc = ep_add(s, fd, EV_LISTEN, EPOLLIN);
	if (rc) {
		close(fd);
		return kfaas__errno_msg(rc, "epoll");
	}
	l->fd = fd;
	return 0;
}

static struct lsock *lsock_find(struct kfaas_sk_server *s, const struct lsock *w)
{
	size_t i;

	for (i = 0; i < s->nls; i++)
		if (s->ls[i].family == w->family && s->ls[i].port == w->port &&
		    !memcmp(s->ls[i].addr, w->addr, 16))
			return &s->ls[i];
	return NULL;
}

/*
 * A wildcard route of a port takes one dual-stack listener; a port with
 * addressed routes only gets one listener per address.  The dispatcher
 * routes by the connection's local address either way.
 */
static const struct kfaas_route_filter sk_routes = {
	.proto = IPPROTO_TCP, .tier = KFAAS_TIER_SK,
};

static bool port_has_wildcard(const struct kfaas_route_ent *r, size_t n,
			      __be16 port)
{
	struct kfaas_route_filter f = sk_routes;
	size_t i;

	f.port = ntohs(port);
	for (i = 0; i < n; i++)
		if (kfaas__route_match(&r[i], &f) &&
		    r[i].key.family == KFAAS_FAMILY_ANY)
			return true;
	return false;
}

int kfaas_sk_server_sync(struct kfaas_sk_server *s)
{
	struct kfaas_route_ent *r;
	struct lsock w, *l;
	char name[64];
	size_t n, i;
	int rc, first = 0;

	rc = kfaas_route_list(&s->st, &r, &n);
	if (rc)
		return rc;
	for (i = 0; i < s->nls; i++)
		s->ls[i].wanted = false;
	for (i = 0; i < n; i++) {
		if (!kfaas__route_match(&r[i], &sk_routes))
			continue;
		if (r[i].key.family != KFAAS_FAMILY_ANY &&
		    port_has_wildcard(r, n, r[i].key.port))
			continue;
		memset(&w, 0, sizeof(w));
		w.fd = -1;
		w.family = r[i].key.family;
		memcpy(w.addr, r[i].key.addr, 16);
		w.port = ntohs(r[i].key.port);
		l = lsock_find(s, &w);
		if (l) {
			l->wanted = true;
			continue;
		}
		l = realloc(s->ls, (s->nls + 1) * sizeof(*l));
		if (!l) {
			rc = kfaas_err(-ENOMEM, "out of memory");
			break;
		}
		s->ls = l;
		rc = lsock_open(s, &w);
		if (rc) {
			/* report the first failure; keep serving the rest */
			slog(s, "%s", kfaas_errmsg());
			if (!first)
				first = rc;
			continue;
		}
		w.wanted = true;
		s->ls[s->nls++] = w;
		slog(s, "listening on %s", lsock_str(&w, name, sizeof(name)));
	}
	free(r);
	for (i = 0; i < s->nls;) {
		if (s->ls[i].wanted) {
			i++;
			continue;
		}
		slog(s, "route gone: no longer listening on %s",
		     lsock_str(&s->ls[i], name, sizeof(name)));
		lsock_close(s, i);
	}
	info_write(s);
	return rc ? rc : first;
}

/* ---- the server ---- */

/*
 * Drop the records of connections whose sockets are gone: a listener that
 * died leaves them (its sockets closed with it).
 */
static size_t sweep_map(struct kfaas_sk_server *s, int fd)
{
	__u64 key, next, v;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		if (bpf_map_lookup_elem(s->socks_fd, &key, &v) && errno == ENOENT &&
		    bpf_map_delete_elem(fd, &key) == 0) {
			n++;
			continue;	/* key is gone: go on from prev */
		}
		prev = &key;
	}
	return n;
}

static void sweep_conns(struct kfaas_sk_server *s)
{
	size_t n = sweep_map(s, s->conns_fd);

	sweep_map(s, s->links_fd);
	if (n)
		slog(s, "dropped the records of %zu connection(s) of an "
		     "earlier listener", n);
}

static int pinned(struct kfaas_sk_server *s, const char *name, int *fd)
{
	*fd = kfaas__pin_open(&s->st, name);
	return *fd < 0 ? *fd : 0;
}

static int lock_root(struct kfaas_sk_server *s)
{
	struct kfaas_sk_server_info info = {};
	char path[KFAAS_PATH_MAX];
	__u32 zero = 0;
	int rc;

	rc = kfaas__path(path, sizeof(path), "%s/sk", s->st.root);
	if (rc)
		return rc;
	if (mkdir(path, 0700) && errno != EEXIST)
		return kfaas__errno_msg(-errno, path);
	s->lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->lock_fd < 0)
		return kfaas__errno_msg(-errno, path);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return kfaas__errno_msg(-errno, path);
	bpf_map_lookup_elem(s->info_fd, &zero, &info);
	return kfaas_err(-EBUSY, "a socket-tier listener (pid %u) already serves "
			 "%s: stop it with 'kfaas sk stop' (or stop kfaasd) "
			 "first", info.pid, s->st.root);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int kfaas_sk_server_open(const char *root, const struct kfaas_sk_server_opts *o,
			 struct kfaas_sk_server **out)
{
	struct kfaas_sk_server *s;
	socklen_t len = sizeof(__u64);
	int rc, probe;

	s = calloc(1, sizeof(*s));
	if (!s)
		return kfaas_err(-ENOMEM, "out of memory");
	s->lock_fd = s->socks_fd = s->conns_fd = s->links_fd = s->info_fd = -1;
	s->events_fd = s->epfd = -1;
	if (o)
		s->o = *o;
	/* make sure the dispatcher is attached before any socket goes in */
	rc = kfaas_state_open(&s->st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK);
	if (rc)
		goto err_free;
	rc = kfaas_sk_setup(&s->st);
	kfaas_state_close(&s->st);
	if (rc)
		goto err_free;
	rc = kfaas_state_open(&s->st, root, 0);
	if (rc)
		goto err_free;
	rc = pinned(s, "sk_socks", &s->socks_fd) ?:
	     pinned(s, "sk_conns", &s->conns_fd) ?:
	     pinned(s, "sk_links", &s->links_fd) ?:
	     pinned(s, "sk_server", &s->info_fd) ?:
	     pinned(s, "sk_events", &s->events_fd) ?:
	     lock_root(s);
	if (rc)
		goto err;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		rc = kfaas__errno_msg(-errno, "epoll_create1");
		goto err;
	}
	s->rb = ring_buffer__new(s->events_fd, on_event, s, NULL);
	if (!s->rb) {
		rc = kfaas__errno_msg(-errno, "cannot read the sk_events ring "
				      "buffer");
		goto err;
	}
	rc = ep_add(s, ring_buffer__epoll_fd(s->rb), EV_EVENTS, EPOLLIN);
	if (rc) {
		rc = kfaas__errno_msg(rc, "epoll");
		goto err;
	}
	raise_nofile();
	sweep_conns(s);
	s->info.pid = (__u32)getpid();
	s->info.started = (__u64)time(NULL);
	probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		getsockopt(probe, SOL_SOCKET, SO_NETNS_COOKIE,
			   &s->info.netns_cookie, &len);
		close(probe);
	}
	rc = kfaas_sk_server_sync(s);
	if (rc)
		goto err;
	*out = s;
	return 0;
err:
	kfaas_sk_server_close(s);
	return rc;
err_free:
	free(s);
	return rc;
}

int kfaas_sk_server_fd(const struct kfaas_sk_server *s)
{
	return s->epfd;
}

int kfaas_sk_server_timeout_ms(const struct kfaas_sk_server *s)
{
	return s->closing ? 20 : -1;
}

size_t kfaas_sk_server_listeners(const struct kfaas_sk_server *s)
{
	return s->nls;
}

size_t kfaas_sk_server_connections(const struct kfaas_sk_server *s)
{
	return s->nconns;
}

int kfaas_sk_server_poll(struct kfaas_sk_server *s, int timeout_ms)
{
	struct epoll_event ev[64];
	int n, i, t = kfaas_sk_server_timeout_ms(s);
	__u64 accepted = s->info.accepted, closed = s->info.closed;

	if (t >= 0 && (timeout_ms < 0 || t < timeout_ms))
		timeout_ms = t;
	n = epoll_wait(s->epfd, ev, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : kfaas__errno_msg(-errno, "epoll_wait");
	for (i = 0; i < n; i++) {
		int type = (int)(ev[i].data.u64 >> 32);
		int fd = (int)(__u32)ev[i].data.u64;

		if (type == EV_LISTEN)
			accept_all(s, fd);
		else if (type == EV_CONN)
			conn_event(s, fd, ev[i].events);
		else if (type == EV_EVENTS)
			ring_buffer__consume(s->rb);
		else if (type == EV_RELAY)
			relay_event(s, fd);
	}
	close_due(s);
	if (accepted != s->info.accepted || closed != s->info.closed)
		info_write(s);
	return n;
}

void kfaas_sk_server_close(struct kfaas_sk_server *s)
{
	size_t fd;

	if (!s)
		return;
	while (s->nls)
		lsock_close(s, s->nls - 1);
	for (fd = 0; fd < s->ncs; fd++)
		if (s->cs[fd].used)
			conn_close(s, (int)fd);
	if (s->lock_fd >= 0 && s->info_fd >= 0 && s->info.pid) {
		s->info.pid = 0;
		info_write(s);
	}
	ring_buffer__free(s->rb);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->socks_fd >= 0)
		close(s->socks_fd);
	if (s->conns_fd >= 0)
		close(s->conns_fd);
	if (s->links_fd >= 0)
		close(s->links_fd);
	if (s->info_fd >= 0)
		close(s->info_fd);
	if (s->events_fd >= 0)
		close(s->events_fd);
	/* closing the lock last: the next listener finds a clean slate */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	kfaas_state_close(&s->st);
	free(s->cs);
	free(s->ls);
	free(s);
}
