// SPDX-License-Identifier: GPL-2.0
/*
 * udpload: the load generator of the UDP benchmark.  Keeps --window
 * requests outstanding on one connected UDP socket for a fixed time,
 * checks every reply byte for byte, and reports requests/s and latency
 * percentiles as JSON.  The same binary drives the XDP tier and the
 * userspace server, so the client side costs both the same.
 *
 *   udpload --dst ADDR --port P --mode echo|kv [--window W] [--time S]
 *           [--warmup S] [--timeout S] [--size BYTES] [--keys N]
 *           [--value-size V] [--rate R]
 *   udpload --print-kv N --value-size V     the kv data set, "KEY VALUE"
 *
 * The window, the request format and the reply check are loadgen.c's,
 * shared with xskload (the AF_XDP generator).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "kvgen.h"
#include "loadgen.h"

#define BATCH		64
#define BUFSZ		2048

static int usage(void)
{
	fprintf(stderr,
		"Usage: udpload --dst ADDR\n" LG_USAGE
		"       udpload --print-kv N [--value-size V]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "print-kv", required_argument, NULL, 'P' },
		LG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static char sbuf[BATCH][BUFSZ], rbuf[BATCH][BUFSZ];
	static struct lg g;
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH], riov[BATCH];
	int sslot[BATCH];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *dst = NULL;
	int c, fd, i, n, print_kv = -1, sz = 4 << 20;

	lg_init(&g);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'P': print_kv = atoi(optarg); break;
		default:
			if (lg_option(&g, c, optarg) != 1)
				return usage();
		}
	}
	if (print_kv >= 0) {
		if (g.vlen > KVGEN_VAL_MAX) {
			fprintf(stderr, "udpload: --value-size 0..%d\n", KVGEN_VAL_MAX);
			return 2;
		}
		for (i = 0; i < print_kv && i < KVGEN_MAX_KEYS; i++) {
			char k[KVGEN_KEY_LEN + 1], v[KVGEN_VAL_MAX + 1];

			kvgen_key(i, k);
			kvgen_value(i, v, g.vlen);
			printf("%s %s\n", k, v);
		}
		return 0;
	}
	if (!dst || inet_pton(AF_INET, dst, &sa.sin_addr) != 1)
		return usage();
	if (lg_check(&g, "udpload"))
		return 2;
	sa.sin_port = htons(g.port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "udpload: cannot reach %s:%d: %s\n", dst,
			g.port, strerror(errno));
		return 1;
	}
	for (i = 0; i < BATCH; i++) {
		siov[i].iov_base = sbuf[i];
		smsg[i].msg_hdr = (struct msghdr){ .msg_iov = &siov[i],
						   .msg_iovlen = 1 };
		riov[i].iov_base = rbuf[i];
		rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &riov[i],
						   .msg_iovlen = 1 };
	}
	if (lg_start(&g))
		return 1;
	for (;;) {
		uint64_t t = lg_now();
		int ns = 0, s = -1;

		if (t >= g.t_end)
			break;
		lg_expire(&g, t);
		/* fill the window */
		while (ns < BATCH && (s = lg_take(&g, s + 1, t)) >= 0) {
			siov[ns].iov_len = lg_build(&g, s, sbuf[ns]);
			sslot[ns++] = s;
		}
		if (ns) {
			n = sendmmsg(fd, smsg, ns, 0);
			if (n < 0)
				n = 0;
			/* not sent (buffer full): free those slots again */
			for (i = n; i < ns; i++)
				lg_untake(&g, sslot[i]);
		}
		for (i = 0; i < BATCH; i++)
			riov[i].iov_len = BUFSZ;
		n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (n < 0 && errno == ECONNREFUSED) {
				fprintf(stderr, "udpload: %s:%d refused (no "
					"server)\n", dst, g.port);
				return 1;
			}
			if (g.rate > 0) {
				/* paced: wake when the next is due; one due
				 * now was not sent, so the window is full:
				 * wait for a reply */
				uint64_t d = lg_due_in(&g, lg_now(), 5000000);
				struct timespec ts = { 0, d ? (long)d : 5000000 };

				ppoll(&p, 1, &ts, NULL);
			} else {
				poll(&p, 1, 5);
			}
			continue;
		}
		t = lg_now();
		for (i = 0; i < n; i++)
			lg_reply(&g, rbuf[i], rmsg[i].msg_len, t);
	}
	return lg_report(&g, NULL);
}
