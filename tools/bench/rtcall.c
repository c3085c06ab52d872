// SPDX-License-Identifier: GPL-2.0
/*
 * rtcall: the client of benchmark 13's round trips.  One request at a
 * time: it sends the request to the first of PORTS, waits for the reply,
 * sends that reply as the next request to the next port, and so on: a
 * client calling separate functions one after the other, each waiting
 * for the one before.  With one port it is one call (a chain route, or
 * one function doing all the work).  A request's last reply must start
 * with --want and carry the request's sequence number in its last 8
 * bytes (the chain links of tests/bpf/chain_tag.bpf.c, built with
 * TAG_OVERWRITE, write over the payload's head only).
 *
 *   rtcall --dst ADDR --ports P1[,P2,...] --want PREFIX [--time S]
 *          [--warmup S] [--size BYTES] [--timeout S]
 *
 * Prints JSON: requests (whole sequences answered, also as "replies" for
 * tools/bench/srvcpu.sh), round_trips, lost, bad, rps, and latency_us
 * (p50, p90, p99, max) of a whole request, from its first send to its
 * last reply.
 */
#include <errno.h>
#include <getopt.h>
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

#define RT_MAX_PORTS	8
#define RT_BUF		2048

struct rt {
	struct sockaddr_in dst;
	uint16_t	ports[RT_MAX_PORTS];
	int		nports;
	const char	*want;
	double		time, warmup, timeout;
	size_t		size;
	uint64_t	*lat;
	size_t		nlat, cap;
	uint64_t	done, lost, bad, trips;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "Usage: rtcall --dst ADDR --ports P1[,P2,...] --want PREFIX\n"
		"              [--time S] [--warmup S] [--size BYTES] [--timeout S]\n");
	return 2;
}

static int ports_parse(struct rt *r, const char *s)
{
	char *end;
	long p;

	for (r->nports = 0; *s; s = *end ? end + 1 : end) {
		p = strtol(s, &end, 10);
		if (end == s || p < 1 || p > 65535 || (*end && *end != ',') ||
		    r->nports == RT_MAX_PORTS) {
			fprintf(stderr, "rtcall: bad --ports '%s': 1 to %d ports, "
				"comma-separated\n", s, RT_MAX_PORTS);
			return -1;
		}
		r->ports[r->nports++] = (uint16_t)p;
	}
	return r->nports ? 0 : -1;
}

/*
 * One round trip: buf (len bytes) to port, its reply back into buf.
 * 0, or 1 lost (no reply within the timeout), 2 a wrong reply.
 */
static int trip(struct rt *r, int fd, uint16_t port, uint8_t *buf, size_t len,
		uint64_t seq)
{
	struct sockaddr_in to = r->dst;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t rep[RT_BUF];
	uint64_t deadline = now_ns() + (uint64_t)(r->timeout * 1e9), t;
	ssize_t n;

	to.sin_port = htons(port);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 1;
	for (;;) {
		t = now_ns();
		if (t >= deadline || poll(&p, 1, (int)((deadline - t) / 1000000) + 1) <= 0)
			return 1;
		n = recv(fd, rep, sizeof(rep), MSG_DONTWAIT);
		if (n < 0)
			continue;
		if ((size_t)n != len)
			return 2;
		memcpy(&t, rep + len - 8, 8);
		if (t == seq)
			break;
		if (t > seq)
			return 2;
		/* else a late reply to an earlier request: not this one's */
	}
	memcpy(buf, rep, len);
	return 0;
}

/* One request through every port in turn: its latency (ns), 0 if not answered. */
static uint64_t request(struct rt *r, int fd, uint64_t seq)
{
	uint8_t buf[RT_BUF];
	uint64_t t0 = now_ns();
	int i, rc;

	memset(buf, 'x', r->size);
	memcpy(buf + r->size - 8, &seq, 8);
	for (i = 0; i < r->nports; i++) {
		rc = trip(r, fd, r->ports[i], buf, r->size, seq);
		if (rc) {
			if (rc == 1)
				r->lost++;
			else
				r->bad++;
			return 0;
		}
		r->trips++;
	}
	if (memcmp(buf, r->want, strlen(r->want))) {
		r->bad++;
		return 0;
	}
	return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const struct rt *r, double p)
{
	size_t i;

	if (!r->nlat)
		return 0;
	i = (size_t)(p / 100.0 * (double)r->nlat);
	return (double)r->lat[i < r->nlat ? i : r->nlat - 1] / 1000.0;
}

static int run(struct rt *r, int fd)
{
	uint64_t t0 = now_ns(), t_meas = t0 + (uint64_t)(r->warmup * 1e9);
	uint64_t t_end = t_meas + (uint64_t)(r->time * 1e9), seq = 0, ns, t;

	while ((t = now_ns()) < t_end) {
		ns = request(r, fd, ++seq);
		if (t < t_meas) {	/* warm-up: nothing counted */
			r->lost = r->bad = r->trips = 0;
			continue;
		}
		if (!ns)
			continue;
		if (r->nlat == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 1 << 16;
			uint64_t *lat = realloc(r->lat, cap * sizeof(*lat));

			if (!lat) {	/* r->lat is still freed by main() */
				fprintf(stderr, "rtcall: out of memory\n");
				return -1;
			}
			r->lat = lat;
			r->cap = cap;
		}
		r->lat[r->nlat++] = ns;
		r->done++;
	}
	qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u64);
	printf("{\"ports\": %d, \"requests\": %llu, \"replies\": %llu, "
	       "\"round_trips\": %llu, \"lost\": %llu, \"bad\": %llu, "
	       "\"rps\": %.0f, \"latency_us\": {\"p50\": %.2f, \"p90\": %.2f, "
	       "\"p99\": %.2f, \"max\": %.2f}}\n", r->nports,
	       (unsigned long long)r->done, (unsigned long long)r->done,
	       (unsigned long long)r->trips, (unsigned long long)r->lost,
	       (unsigned long long)r->bad, (double)r->done / r->time,
	       pct(r, 50), pct(r, 90), pct(r, 99), pct(r, 100));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "ports", required_argument, NULL, 'p' },
		{ "want", required_argument, NULL, 'w' },
		{ "time", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "size", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct rt r = { .dst.sin_family = AF_INET, .time = 1, .warmup = 0.1,
			.timeout = 0.5, .size = 64 };
	const char *dst = NULL;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'p': if (ports_parse(&r, optarg)) return usage(); break;
		case 'w': r.want = optarg; break;
		case 't': r.time = atof(optarg); break;
		case 'W': r.warmup = atof(optarg); break;
		case 's': r.size = (size_t)atol(optarg); break;
		case 'T': r.timeout = atof(optarg); break;
		default: return usage();
		}
	}
	if (!dst || !r.nports || !r.want || r.time <= 0 || r.timeout <= 0)
		return usage();
	if (r.size < 8 + strlen(r.want) || r.size > RT_BUF) {
		fprintf(stderr, "rtcall: --size must be %zu to %d bytes\n",
			8 + strlen(r.want), RT_BUF);
		return 2;
	}
	if (inet_pton(AF_INET, dst, &r.dst.sin_addr) != 1) {
		fprintf(stderr, "rtcall: --dst '%s' is not an IPv4 address\n", dst);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("rtcall: socket");
		return 1;
	}
	rc = run(&r, fd);
	close(fd);
	free(r.lat);
	return rc ? 1 : 0;
}
