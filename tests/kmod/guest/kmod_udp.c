// SPDX-License-Identifier: GPL-2.0
/*
 * A UDP client and server for the guest suite's end-to-end budget test
 * (the guest has busybox, no python or socat):
 *   kmod_udp send HOST PORT N   N requests "rNN" at once, each from its own
 *                               socket; prints the replies in request
 *                               order ("timeout" for none within 20 s)
 *   kmod_udp serve PORT         answers each datagram with "fallback:" and
 *                               the request: the stand-in of the next tier
 *                               (kfaasd's UDP listener cannot run its
 *                               microVMs in the guest in the time make
 *                               check allows: docs/reliability.md)
 * Not a KTAP program: suite.sh checks what it prints.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "kmod_guest.h"

#define MAX_REQ	256

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[2048], out[2100];

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("kmod_udp serve");
		return 1;
	}
	printf("serving %d\n", port);
	fflush(stdout);
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0)
			continue;
		memcpy(out, "fallback:", 9);
		memcpy(out + 9, buf, (size_t)n);
		sendto(fd, out, (size_t)n + 9, 0, (struct sockaddr *)&peer, plen);
	}
}

static int send_all(const char *host, int port, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char got[MAX_REQ][128];
	struct pollfd p[MAX_REQ];
	double deadline;
	int i, left = n;

	if (n < 1 || n > MAX_REQ || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "kmod_udp send: bad arguments\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		p[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
		p[i].events = POLLIN;
		if (p[i].fd < 0 || connect(p[i].fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("kmod_udp send");
			return 1;
		}
		snprintf(got[i], sizeof(got[i]), "timeout");
	}
	for (i = 0; i < n; i++) {
		char req[8];

		snprintf(req, sizeof(req), "r%02d", i);
		send(p[i].fd, req, strlen(req), 0);
	}
	deadline = now_s() + 20;
	while (left && now_s() < deadline) {
		if (poll(p, (nfds_t)n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t k;

			if (!(p[i].revents & POLLIN))
				continue;
			k = recv(p[i].fd, got[i], sizeof(got[i]) - 1, 0);
			got[i][k > 0 ? k : 0] = '\0';
			p[i].fd = -p[i].fd - 1;		/* answered: poll no more */
			left--;
		}
	}
	for (i = 0; i < n; i++)
		printf("%s\n", got[i]);
	return left ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_all(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: kmod_udp send HOST PORT N | serve PORT\n");
	return 2;
}
