// SPDX-License-Identifier: GPL-2.0
/*
 * A memcached UDP client for the guest's kv cache cases (guest/kv.sh:
 * the guest has busybox, whose nc speaks no UDP, and no python):
 *   mc_udp HOST PORT REQUEST
 * sends REQUEST ("\r" and "\n" written as such, e.g. 'get k\r\n') in one
 * datagram behind memcached's 8-byte frame header (a request id, sequence
 * 0 of 1) and prints the reply's payload with CR dropped and each LF
 * shown as "|"; "timeout" (exit 1) when no reply with that id came
 * within 5 s.  Not a KTAP program: kv.sh checks what it prints.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

/* REQUEST with its \r and \n escapes made bytes: the length. */
static size_t unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s && n < cap; s++) {
		if (s[0] == '\\' && (s[1] == 'r' || s[1] == 'n')) {
			out[n++] = s[1] == 'r' ? '\r' : '\n';
			s++;
		} else {
			out[n++] = *s;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned char buf[2048], rep[2048];
	struct pollfd p;
	unsigned short id;
	ssize_t r;
	size_t n;
	int fd, i;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: mc_udp HOST PORT REQUEST\n");
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	srand(time(NULL) ^ getpid());
	id = rand();
	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	memset(buf + 2, 0, 6);
	buf[5] = 1;			/* one datagram */
	n = 8 + unescape(argv[3], (char *)buf + 8, sizeof(buf) - 8);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, buf, n, 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("mc_udp");
		return 2;
	}
	p.fd = fd;
	p.events = POLLIN;
	while (poll(&p, 1, 5000) == 1) {
		r = recv(fd, rep, sizeof(rep), 0);
		if (r < 8 || rep[0] != buf[0] || rep[1] != buf[1])
			continue;	/* not the reply to this request */
		for (i = 8; i < r; i++)
			if (rep[i] != '\r')
				putchar(rep[i] == '\n' ? '|' : rep[i]);
		putchar('\n');
		return 0;
	}
	printf("timeout\n");
	return 1;
}
