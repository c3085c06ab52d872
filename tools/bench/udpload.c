// SPDX-License-Identifier: GPL-2.0
/*
 * udpload: the load generator of the UDP benchmark.  Keeps --window
 * requests outstanding on one connected UDP socket for a fixed time,
 * checks every reply byte for byte, and reports requests/s and latency
 * percentiles as JSON.  The same binary drives the XDP tier and the
 * userspace server, so the client side costs both the same.
 *
 *   udpload --dst ADDR --port P --mode echo|kv [--window W] [--time S]
 *           [--warmup S] [--size BYTES] [--keys N] [--value-size V]
 *   udpload --print-kv N --value-size V     the kv data set, "KEY VALUE"
 *
 * Requests carry a 16-bit id (memcached's UDP request id for kv): the
 * slot in the window and a generation, so a reply that comes after its
 * request was given up (--timeout) is not mistaken for a newer one.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include "kvgen.h"

#define HDR		8
#define BATCH		64
#define MAX_WINDOW	256
#define BUFSZ		2048

enum { ECHO, KV };

struct slot {
	uint64_t	sent;		/* ns, 0 = free */
	uint8_t		gen;
	unsigned int	key;
};

static struct {
	const char	*dst;
	int		port;
	int		mode;
	int		window;
	double		time, warmup, timeout;
	size_t		size;
	unsigned int	keys;
	size_t		vlen;
} o = { .window = 64, .time = 3, .warmup = 0.5, .timeout = 0.2,
	.size = 32, .keys = 100, .vlen = 32, .mode = ECHO };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint32_t *lat;
static size_t nlat, caplat;

static void lat_add(uint64_t ns)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 1 << 20;
		lat = realloc(lat, caplat * sizeof(*lat));
		if (!lat) {
			fprintf(stderr, "udpload: out of memory\n");
			exit(1);
		}
	}
	lat[nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	size_t i;

	if (!nlat)
		return NAN;
	i = (size_t)ceil(p / 100.0 * nlat);
	if (i > 0)
		i--;
	if (i >= nlat)
		i = nlat - 1;
	return lat[i] / 1000.0;
}

static json_object *num(double x)
{
	char b[32];

	if (isnan(x))
		return NULL;
	snprintf(b, sizeof(b), "%.4g", x);
	return json_object_new_double_s(strtod(b, NULL), b);
}

/* Request for slot s into buf; its length. */
static size_t build(char *buf, int s, const struct slot *sl)
{
	uint16_t id = htons((uint16_t)(sl->gen << 8 | s));
	size_t n;

	memcpy(buf, &id, 2);
	if (o.mode == KV) {
		char key[KVGEN_KEY_LEN + 1];

		memcpy(buf + 2, "\0\0\0\1\0\0", 6);
		kvgen_key(sl->key, key);
		n = HDR + (size_t)sprintf(buf + HDR, "get %s\r\n", key);
		return n;
	}
	for (n = 2; n < o.size; n++)
		buf[n] = 'a' + n % 26;
	return o.size;
}

/* Is this the right reply to the request in slot s? */
static int reply_ok(const char *buf, size_t len, const struct slot *sl)
{
	char want[512];
	size_t n, i;

	if (o.mode == ECHO) {
		if (len != o.size)
			return 0;
		for (i = 2; i < len; i++)
			if (buf[i] != 'a' + (char)(i % 26))
				return 0;
		return 1;
	}
	n = kvgen_reply(sl->key, o.vlen, want, sizeof(want));
	return len == HDR + n && !memcmp(buf + 2, "\0\0\0\1\0\0", 6) &&
	       !memcmp(buf + HDR, want, n);
}

static int usage(void)
{
	fprintf(stderr,
		"Usage: udpload --dst ADDR --port P [--mode echo|kv] [--window W]\n"
		"               [--time S] [--warmup S] [--timeout S] [--size B]\n"
		"               [--keys N] [--value-size V]\n"
		"       udpload --print-kv N [--value-size V]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "window", required_argument, NULL, 'w' },
		{ "time", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "size", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'K' },
		{ "value-size", required_argument, NULL, 'V' },
		{ "print-kv", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	static char sbuf[BATCH][BUFSZ], rbuf[BATCH][BUFSZ];
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH], riov[BATCH];
	struct slot slots[MAX_WINDOW] = {};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t t_start, t_meas, t_end, t_last_scan = 0, nk = 0;
	uint64_t done = 0, lost = 0, bad = 0, late = 0, sent = 0;
	int c, fd, i, n, print_kv = -1, sz = 4 << 20;
	json_object *j, *l;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dst = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'm':
			if (!strcmp(optarg, "echo"))
				o.mode = ECHO;
			else if (!strcmp(optarg, "kv"))
				o.mode = KV;
			else
				return usage();
			break;
		case 'w': o.window = atoi(optarg); break;
		case 't': o.time = atof(optarg); break;
		case 'W': o.warmup = atof(optarg); break;
		case 'T': o.timeout = atof(optarg); break;
		case 's': o.size = (size_t)atoi(optarg); break;
		case 'K': o.keys = (unsigned int)atoi(optarg); break;
		case 'V': o.vlen = (size_t)atoi(optarg); break;
		case 'P': print_kv = atoi(optarg); break;
		default: return usage();
		}
	}
	if (o.keys < 1 || o.keys > KVGEN_MAX_KEYS || o.vlen > KVGEN_VAL_MAX) {
		fprintf(stderr, "udpload: --keys 1..%d, --value-size 0..%d\n",
			KVGEN_MAX_KEYS, KVGEN_VAL_MAX);
		return 2;
	}
	if (print_kv >= 0) {
		for (i = 0; i < print_kv && i < KVGEN_MAX_KEYS; i++) {
			char k[KVGEN_KEY_LEN + 1], v[KVGEN_VAL_MAX + 1];

			kvgen_key(i, k);
			kvgen_value(i, v, o.vlen);
			printf("%s %s\n", k, v);
		}
		return 0;
	}
	if (!o.dst || o.port <= 0 || o.port > 65535 ||
	    inet_pton(AF_INET, o.dst, &sa.sin_addr) != 1)
		return usage();
	if (o.window < 1 || o.window > MAX_WINDOW || o.time <= 0 ||
	    o.size < HDR || o.size > 1400) {
		fprintf(stderr, "udpload: --window 1..%d, --time > 0, --size "
			"%d..1400\n", MAX_WINDOW, HDR);
		return 2;
	}
	sa.sin_port = htons(o.port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "udpload: cannot reach %s:%d: %s\n", o.dst,
			o.port, strerror(errno));
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
	t_start = now_ns();
	t_meas = t_start + (uint64_t)(o.warmup * 1e9);
	t_end = t_meas + (uint64_t)(o.time * 1e9);
	for (;;) {
		uint64_t t = now_ns();
		int ns = 0;

		if (t >= t_end)
			break;
		/* give up on requests older than --timeout, reissue them */
		if (t - t_last_scan > 10000000) {
			t_last_scan = t;
			for (i = 0; i < o.window; i++) {
				if (slots[i].sent && t - slots[i].sent >
				    (uint64_t)(o.timeout * 1e9)) {
					slots[i].sent = 0;
					slots[i].gen++;
					if (t >= t_meas)
						lost++;
				}
			}
		}
		/* fill the window */
		for (i = 0; i < o.window && ns < BATCH; i++) {
			if (slots[i].sent)
				continue;
			slots[i].key = (unsigned int)(nk++ % o.keys);
			siov[ns].iov_len = build(sbuf[ns], i, &slots[i]);
			slots[i].sent = t;
			ns++;
		}
		if (ns) {
			n = sendmmsg(fd, smsg, ns, 0);
			if (n < 0)
				n = 0;
			sent += n;
			/* not sent (buffer full): free those slots again */
			for (i = n; i < ns; i++) {
				uint16_t id;

				memcpy(&id, sbuf[i], 2);
				slots[ntohs(id) & 0xff].sent = 0;
			}
		}
		for (i = 0; i < BATCH; i++)
			riov[i].iov_len = BUFSZ;
		n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (n < 0 && errno == ECONNREFUSED) {
				fprintf(stderr, "udpload: %s:%d refused (no "
					"server)\n", o.dst, o.port);
				return 1;
			}
			poll(&p, 1, 5);
			continue;
		}
		t = now_ns();
		for (i = 0; i < n; i++) {
			uint16_t id;
			int s;

			if (rmsg[i].msg_len < 2) {
				bad++;
				continue;
			}
			memcpy(&id, rbuf[i], 2);
			id = ntohs(id);
			s = id & 0xff;
			if (s >= o.window || !slots[s].sent ||
			    slots[s].gen != (id >> 8)) {
				late++;
				continue;
			}
			if (!reply_ok(rbuf[i], rmsg[i].msg_len, &slots[s]))
				bad++;
			else if (slots[s].sent >= t_meas) {
				done++;
				lat_add(t - slots[s].sent);
			}
			slots[s].sent = 0;
			slots[s].gen++;
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	j = json_object_new_object();
	json_object_object_add(j, "mode", json_object_new_string(o.mode == KV ? "kv" : "echo"));
	json_object_object_add(j, "window", json_object_new_int(o.window));
	json_object_object_add(j, "duration_s", num(o.time));
	json_object_object_add(j, "sent", json_object_new_int64((int64_t)sent));
	json_object_object_add(j, "replies", json_object_new_int64((int64_t)done));
	json_object_object_add(j, "rps", num(done / o.time));
	json_object_object_add(j, "lost", json_object_new_int64((int64_t)lost));
	json_object_object_add(j, "late", json_object_new_int64((int64_t)late));
	json_object_object_add(j, "bad", json_object_new_int64((int64_t)bad));
	l = json_object_new_object();
	json_object_object_add(l, "p50", num(pct(50)));
	json_object_object_add(l, "p90", num(pct(90)));
	json_object_object_add(l, "p99", num(pct(99)));
	json_object_object_add(l, "p999", num(pct(99.9)));
	json_object_object_add(l, "max", num(nlat ? lat[nlat - 1] / 1000.0 : NAN));
	json_object_object_add(j, "latency_us", l);
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	free(lat);
	return done ? 0 : 1;
}
