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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "kvserve.h"

#define BATCH	64
#define BUFSZ	2048

static struct kvs kv;

int main(int argc, char **argv)
{
	static char bufs[BATCH][BUFSZ];
	struct mmsghdr msgs[BATCH];
	struct sockaddr_in peers[BATCH];
	struct iovec iov[BATCH];
	struct epoll_event ev, evs[8];
	const char *addr;
	int ports[2], kinds[8], ep, c, i, n;

	kvs_options(argc, argv, "udpsrv", &addr, ports, &kv);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	for (i = 0; i < 2; i++) {
		int fd;

		if (!ports[i])
			continue;
		fd = kvs_socket("udpsrv", addr, ports[i], SOCK_NONBLOCK);
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

					if (kind == KVS_KV)
						len = kvs_answer(&kv, bufs[i], len);
					iov[i].iov_len = len;
				}
				/* a datagram too short to answer gets an empty one */
				sendmmsg(fd, msgs, n, 0);
			}
		}
	}
	return 0;
}
