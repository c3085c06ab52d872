// SPDX-License-Identifier: GPL-2.0
/*
 * udpsrv: the userspace alternative of the UDP benchmark.  A C epoll
 * server doing the work the XDP examples do:
 *   --echo PORT   reply with the request payload (bpf/examples/echo)
 *   --kv PORT     memcached UDP "get KEY" from an in-memory table filled
 *                 with kvgen.h's data set (bpf/examples/kv); "END" on a miss
 * Nonblocking sockets, epoll, and recvmmsg/sendmmsg in batches of 64: the
 * usual way to make a UDP server fast without leaving the socket API.
 * Runs until killed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "kvgen.h"

#define BATCH	64
#define BUFSZ	2048
#define HDR	8	/* memcached UDP frame header */

enum { ECHO, KV };

static char *kv_vals[KVGEN_MAX_KEYS];
static size_t kv_lens[KVGEN_MAX_KEYS];
static unsigned int kv_n;
static size_t vlen = 32;

static int udp_socket(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, one = 1, sz = 4 << 20;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udpsrv: bad address %s\n", addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "udpsrv: cannot bind %s:%d: %s\n", addr, port,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* The key's index, or -1: keys are "keyNNNN" (kvgen.h). */
static int kv_find(const char *k, size_t n)
{
	unsigned int i = 0;
	size_t j;

	if (n != KVGEN_KEY_LEN || memcmp(k, "key", 3))
		return -1;
	for (j = 3; j < n; j++) {
		if (k[j] < '0' || k[j] > '9')
			return -1;
		i = i * 10 + (k[j] - '0');
	}
	return i < kv_n && kv_vals[i] ? (int)i : -1;
}

/* Build the reply to a request in place; its length, or 0 for none. */
static size_t kv_answer(char *buf, size_t len)
{
	const char *key, *end;
	int i;

	if (len < HDR + 4 + 3 || memcmp(buf + HDR, "get ", 4) ||
	    memcmp(buf + len - 2, "\r\n", 2)) {
		if (len < HDR)
			return 0;
		memcpy(buf + HDR, "ERROR\r\n", 7);
		return HDR + 7;
	}
	key = buf + HDR + 4;
	end = buf + len - 2;
	i = kv_find(key, end - key);
	if (i < 0) {
		memcpy(buf + HDR, "END\r\n", 5);
		return HDR + 5;
	}
	memcpy(buf + HDR, kv_vals[i], kv_lens[i]);
	return HDR + kv_lens[i];
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "echo", required_argument, NULL, 'e' },
		{ "kv", required_argument, NULL, 'k' },
		{ "keys", required_argument, NULL, 'K' },
		{ "value-size", required_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char bufs[BATCH][BUFSZ];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_in peers[BATCH];
	struct iovec iov[BATCH];
	struct epoll_event ev, evs[8];
	const char *addr = "0.0.0.0";
	int ports[2] = { 0, 0 }, kinds[8], ep, c, i, n;
	unsigned int keys = 100;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'e': ports[ECHO] = atoi(optarg); break;
		case 'k': ports[KV] = atoi(optarg); break;
		case 'K': keys = (unsigned int)atoi(optarg); break;
		case 'V': vlen = (size_t)atoi(optarg); break;
		default:
			fprintf(stderr, "Usage: udpsrv [--addr A] [--echo PORT] "
				"[--kv PORT] [--keys N] [--value-size V]\n");
			return 2;
		}
	}
	if ((!ports[ECHO] && !ports[KV]) || keys > KVGEN_MAX_KEYS ||
	    vlen > KVGEN_VAL_MAX) {
		fprintf(stderr, "udpsrv: give --echo and/or --kv; at most %d "
			"keys of at most %d bytes\n", KVGEN_MAX_KEYS, KVGEN_VAL_MAX);
		return 2;
	}
	kv_n = keys;
	for (i = 0; i < (int)keys; i++) {
		char r[512];

		kv_lens[i] = kvgen_reply(i, vlen, r, sizeof(r));
		kv_vals[i] = malloc(kv_lens[i]);
		memcpy(kv_vals[i], r, kv_lens[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	for (i = 0; i < 2; i++) {
		int fd;

		if (!ports[i])
			continue;
		fd = udp_socket(addr, ports[i]);
		kinds[fd & 7] = i;
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i],
						   .msg_iov = &iov[i],
						   .msg_iovlen = 1 };
	}
	for (;;) {
		int ne = epoll_wait(ep, evs, 8, -1);

		for (c = 0; c < ne; c++) {
			int fd = evs[c].data.fd, kind = kinds[fd & 7];

			for (;;) {
				for (i = 0; i < BATCH; i++) {
					iov[i].iov_len = BUFSZ;
					msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
				}
				n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
				if (n <= 0)
					break;
				for (i = 0; i < n; i++) {
					size_t len = msgs[i].msg_len;

					if (kind == KV)
						len = kv_answer(bufs[i], len);
					iov[i].iov_len = len;
				}
				/* a datagram too short to answer gets an empty one */
				sendmmsg(fd, msgs, n, 0);
			}
		}
	}
	return 0;
}
