/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The work of the UDP benchmark's userspace servers (udpsrv: epoll,
 * uringsrv: io_uring), shared so that both answer exactly alike: the
 * bound socket, and the memcached UDP "get KEY" answered in place from
 * an in-memory table of kvgen.h's data set ("END" on a miss); echo
 * needs no code.
 */
#ifndef KFAAS_BENCH_KVSERVE_H
#define KFAAS_BENCH_KVSERVE_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "kvgen.h"

#define KVS_HDR	8	/* memcached UDP frame header */

struct kvs {
	char		*vals[KVGEN_MAX_KEYS];
	size_t		lens[KVGEN_MAX_KEYS];
	unsigned int	n;
};

/* A UDP socket bound to addr:port (4 MiB buffers), or exit with why. */
static inline int kvs_socket(const char *prog, const char *addr, int port,
			     int flags)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, one = 1, sz = 4 << 20;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "%s: bad address %s\n", prog, addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_DGRAM | flags, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "%s: cannot bind %s:%d: %s\n", prog, addr,
			port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* The table of keys 0..keys-1 with values of vlen bytes; 0 or -1. */
static inline int kvs_init(struct kvs *t, unsigned int keys, size_t vlen)
{
	unsigned int i;

	if (keys > KVGEN_MAX_KEYS || vlen > KVGEN_VAL_MAX)
		return -1;
	t->n = keys;
	for (i = 0; i < keys; i++) {
		char r[512];

		t->lens[i] = kvgen_reply(i, vlen, r, sizeof(r));
		t->vals[i] = malloc(t->lens[i]);
		if (!t->vals[i])
			return -1;
		memcpy(t->vals[i], r, t->lens[i]);
	}
	return 0;
}

/* The key's index, or -1: keys are "keyNNNN" (kvgen.h). */
static inline int kvs_find(const struct kvs *t, const char *k, size_t n)
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
	return i < t->n && t->vals[i] ? (int)i : -1;
}

/* Build the reply to a request in place; its length, or 0 for none. */
static inline size_t kvs_answer(const struct kvs *t, char *buf, size_t len)
{
	const char *key, *end;
	int i;

	if (len < KVS_HDR + 4 + 3 || memcmp(buf + KVS_HDR, "get ", 4) ||
	    memcmp(buf + len - 2, "\r\n", 2)) {
		if (len < KVS_HDR)
			return 0;
		memcpy(buf + KVS_HDR, "ERROR\r\n", 7);
		return KVS_HDR + 7;
	}
	key = buf + KVS_HDR + 4;
	end = buf + len - 2;
	i = kvs_find(t, key, end - key);
	if (i < 0) {
		memcpy(buf + KVS_HDR, "END\r\n", 5);
		return KVS_HDR + 5;
	}
	memcpy(buf + KVS_HDR, t->vals[i], t->lens[i]);
	return KVS_HDR + t->lens[i];
}

enum { KVS_ECHO, KVS_KV };

/* The servers' options: --addr A --echo PORT --kv PORT --keys N
 * --value-size V; fills the table.  Exits 2 with the usage on bad ones. */
static inline void kvs_options(int argc, char **argv, const char *prog,
			       const char **addr, int ports[2], struct kvs *t)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "echo", required_argument, NULL, 'e' },
		{ "kv", required_argument, NULL, 'k' },
		{ "keys", required_argument, NULL, 'K' },
		{ "value-size", required_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int keys = 100;
	size_t vlen = 32;
	int c;

	*addr = "0.0.0.0";
	ports[KVS_ECHO] = ports[KVS_KV] = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': *addr = optarg; break;
		case 'e': ports[KVS_ECHO] = atoi(optarg); break;
		case 'k': ports[KVS_KV] = atoi(optarg); break;
		case 'K': keys = (unsigned int)atoi(optarg); break;
		case 'V': vlen = (size_t)atoi(optarg); break;
		default:
			fprintf(stderr, "Usage: %s [--addr A] [--echo PORT] "
				"[--kv PORT] [--keys N] [--value-size V]\n", prog);
			exit(2);
		}
	}
	if ((!ports[KVS_ECHO] && !ports[KVS_KV]) || keys > KVGEN_MAX_KEYS ||
	    vlen > KVGEN_VAL_MAX) {
		fprintf(stderr, "%s: give --echo and/or --kv; at most %d "
			"keys of at most %d bytes\n", prog, KVGEN_MAX_KEYS,
			KVGEN_VAL_MAX);
		exit(2);
	}
	if (kvs_init(t, keys, vlen)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
}

#endif
