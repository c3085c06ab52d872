// SPDX-License-Identifier: GPL-2.0
/*
 * kv_race: a concurrent writer/reader checker for the kv cache in front
 * of memcached (tests/e2e/test_kv.sh).
 *
 *   kv_race ADDR PORT [--keys N] [--writers N] [--readers N] [--seconds S]
 *           [--write tcp|noreply|udp]
 *
 * Writers (as many as keys by default) take the keys in turn, each key
 * always by the same writer, and write increasing numbers to them, each
 * write noted as completed when memcached has answered it:
 *   tcp      "set" over TCP; every tenth write an "incr" (its answer is the
 *            new number) - completed at STORED / the number;
 *   noreply  "set ... noreply" over TCP, completed when the "get" sent
 *            after it on the same connection is answered;
 *   udp      "set" over UDP, completed at STORED.
 * Readers send memcached UDP "get KEY" (the path the XDP cache answers),
 * each noting before sending the last completed write of the key; a reply
 * with an older number is a violation: a read after a completed write
 * returned older data.  Prints the counts; exits 1 on any violation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define MAX_KEYS	64
#define MAX_WRITERS	MAX_KEYS
#define MAX_READERS	16

enum wmode { W_TCP, W_NOREPLY, W_UDP };

static struct sockaddr_in6 srv;
static socklen_t srv_len;
static int nkeys = 4, nwriters, nreaders = 4, seconds = 3;
static enum wmode wmode = W_TCP;
static atomic_llong completed[MAX_KEYS];
static atomic_int stop;
static atomic_llong reads, values, misses, timeouts, violations, writes;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_srv(int type)
{
	int s = socket(srv.sin6_family, type, 0), one = 1;
	struct timeval tv = { .tv_sec = 2 };

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (type == SOCK_STREAM)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&srv, srv_len)) {
		close(s);
		return -1;
	}
	return s;
}

/* Read from a TCP socket until buf holds a line ending in "\r\n" + tail. */
static int read_until(int s, char *buf, size_t len, const char *end)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len) {
		n = recv(s, buf + got, len - 1 - got, 0);
		if (n <= 0)
			return -1;
		got += n;
		buf[got] = '\0';
		if (got >= strlen(end) && !strcmp(buf + got - strlen(end), end))
			return (int)got;
	}
	return -1;
}

/* Keys of this run only: an earlier run's numbers would hide staleness. */
static void key_name(int k, char *buf, size_t len)
{
	snprintf(buf, len, "race%d.%d", (int)getpid(), k);
}

/*
 * One TCP write of value v to key k (incr: k holds v - 1, add 1); done:
 * the value memcached confirmed.
 */
static int write_tcp(int s, int k, long long v, int incr, long long *done)
{
	char key[48], req[160], rep[256];
	int n;

	key_name(k, key, sizeof(key));
	if (incr) {
		/* the answer is the new number */
		n = snprintf(req, sizeof(req), "incr %s 1\r\n", key);
		if (send(s, req, n, 0) != n || read_until(s, rep, sizeof(rep), "\r\n") < 0)
			return -1;
		*done = atoll(rep);
		return *done > 0 ? 0 : -1;
	}
	n = snprintf(req, sizeof(req), "%lld", v);
	n = snprintf(req, sizeof(req), "set %s 0 0 %d%s\r\n%lld\r\n", key, n,
		     wmode == W_NOREPLY ? " noreply" : "", v);
	if (wmode == W_NOREPLY) {
		/* memcached answers in order: the get's reply follows the set */
		n += snprintf(req + n, sizeof(req) - n, "get %s\r\n", key);
		if (send(s, req, n, 0) != n ||
		    read_until(s, rep, sizeof(rep), "END\r\n") < 0)
			return -1;
	} else if (send(s, req, n, 0) != n ||
		   read_until(s, rep, sizeof(rep), "\r\n") < 0 ||
		   strcmp(rep, "STORED\r\n")) {
		return -1;
	}
	*done = v;
	return 0;
}

/* One UDP write; 0 when memcached answered STORED. */
static int write_udp(int s, int k, long long v, unsigned short id)
{
	char key[48], req[160], rep[256];
	int n, h;
	ssize_t got;

	key_name(k, key, sizeof(key));
	h = snprintf(req + 8, sizeof(req) - 8, "%lld", v);
	n = 8 + snprintf(req + 8, sizeof(req) - 8, "set %s 0 0 %d\r\n%lld\r\n",
			 key, h, v);
	memset(req, 0, 8);
	req[0] = id >> 8;
	req[1] = id & 0xff;
	req[5] = 1;
	if (send(s, req, n, 0) != n)
		return -1;
	for (;;) {
		got = recv(s, rep, sizeof(rep) - 1, 0);
		if (got < 8)
			return -1;
		if ((unsigned char)rep[0] == id >> 8 &&
		    (unsigned char)rep[1] == (id & 0xff))
			break;
	}
	rep[got] = '\0';
	return strcmp(rep + 8, "STORED\r\n") ? -1 : 0;
}

static void *writer(void *arg)
{
	int w = (int)(long)arg, k = w, prev = -1, s;
	long long v, done = 0;
	unsigned short id = 1;

	s = connect_srv(wmode == W_UDP ? SOCK_DGRAM : SOCK_STREAM);
	if (s < 0) {
		perror("kv_race: writer connect");
		atomic_store(&stop, 1);
		return NULL;
	}
	/* one number over the writer's keys: every key's values grow */
	for (v = 1; !atomic_load(&stop); v++) {
		/* every tenth TCP write: incr of the key written last */
		int incr = wmode == W_TCP && v % 10 == 0 && prev >= 0, rc;

		if (incr)
			k = prev;
		rc = wmode == W_UDP ? write_udp(s, k, v, id++) :
		     write_tcp(s, k, v, incr, &done);
		if (rc) {
			if (wmode == W_UDP)
				continue;	/* lost datagram: next number */
			fprintf(stderr, "kv_race: writer %d failed at %lld\n", w, v);
			atomic_store(&stop, 1);
			break;
		}
		if (wmode == W_UDP)
			done = v;
		atomic_store(&completed[k], done);
		atomic_fetch_add(&writes, 1);
		prev = k;
		k += nwriters;
		if (k >= nkeys)
			k = w;
	}
	close(s);
	return NULL;
}

/* "VALUE KEY F N\r\nDATA\r\nEND\r\n" -> DATA as a number, or -1 for END. */
static long long parse_get(const char *p, int *ok)
{
	const char *nl;

	*ok = 1;
	if (!strcmp(p, "END\r\n"))
		return -1;
	if (strncmp(p, "VALUE ", 6) || !(nl = strstr(p, "\r\n"))) {
		*ok = 0;
		return 0;
	}
	return atoll(nl + 2);
}

static void *reader(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg * 7919 + 1;
	unsigned short id = (unsigned short)((long)arg << 12);
	char key[48], req[80], rep[1500];
	int s = connect_srv(SOCK_DGRAM), n, ok;
	long long before, got;
	ssize_t r;

	if (s < 0) {
		perror("kv_race: reader connect");
		atomic_store(&stop, 1);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		int k = rand_r(&seed) % nkeys;

		id++;
		key_name(k, key, sizeof(key));
		n = 8 + snprintf(req + 8, sizeof(req) - 8, "get %s\r\n", key);
		memset(req, 0, 8);
		req[0] = id >> 8;
		req[1] = id & 0xff;
		req[5] = 1;
		before = atomic_load(&completed[k]);
		if (send(s, req, n, 0) != n)
			continue;
		for (;;) {
			r = recv(s, rep, sizeof(rep) - 1, 0);
			if (r < 8 || ((unsigned char)rep[0] == id >> 8 &&
				      (unsigned char)rep[1] == (id & 0xff)))
				break;
		}
		if (r < 8) {
			atomic_fetch_add(&timeouts, 1);
			continue;
		}
		rep[r] = '\0';
		atomic_fetch_add(&reads, 1);
		got = parse_get(rep + 8, &ok);
		if (!ok)
			continue;
		if (got < 0) {
			atomic_fetch_add(&misses, 1);
			/* a key written once never goes away: a miss is older */
			if (before > 0)
				goto violation;
			continue;
		}
		atomic_fetch_add(&values, 1);
		if (got >= before)
			continue;
violation:
		if (atomic_fetch_add(&violations, 1) < 5)
			fprintf(stderr, "kv_race: %s: read %lld after write %lld "
				"completed\n", key, got, before);
	}
	close(s);
	return NULL;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "readers", required_argument, NULL, 'r' },
		{ "writers", required_argument, NULL, 'W' },
		{ "seconds", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&srv;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			nkeys = atoi(optarg);
		else if (c == 'r')
			nreaders = atoi(optarg);
		else if (c == 'W')
			nwriters = atoi(optarg);
		else if (c == 's')
			seconds = atoi(optarg);
		else if (c == 'w' && !strcmp(optarg, "tcp"))
			wmode = W_TCP;
		else if (c == 'w' && !strcmp(optarg, "noreply"))
			wmode = W_NOREPLY;
		else if (c == 'w' && !strcmp(optarg, "udp"))
			wmode = W_UDP;
		else
			return -1;
	}
	if (!nwriters)
		nwriters = nkeys;
	if (argc - optind != 2 || nkeys < 1 || nkeys > MAX_KEYS ||
	    nwriters < 1 || nwriters > nkeys || nreaders < 1 ||
	    nreaders > MAX_READERS || seconds < 1)
		return -1;
	memset(&srv, 0, sizeof(srv));
	if (inet_pton(AF_INET6, argv[optind], &srv.sin6_addr) == 1) {
		srv.sin6_family = AF_INET6;
		srv.sin6_port = htons(atoi(argv[optind + 1]));
		srv_len = sizeof(srv);
	} else if (inet_pton(AF_INET, argv[optind], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(argv[optind + 1]));
		srv_len = sizeof(*s4);
	} else {
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t w[MAX_WRITERS], r[MAX_READERS];
	double end;
	int i;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "Usage: kv_race ADDR PORT [--keys N] [--writers N] "
			"[--readers N] [--seconds S] [--write tcp|noreply|udp]\n");
		return 2;
	}
	for (i = 0; i < nwriters; i++)
		pthread_create(&w[i], NULL, writer, (void *)(long)i);
	for (i = 0; i < nreaders; i++)
		pthread_create(&r[i], NULL, reader, (void *)(long)(i + 1));
	end = now_s() + seconds;
	while (!atomic_load(&stop) && now_s() < end)
		usleep(10000);
	atomic_store(&stop, 1);
	for (i = 0; i < nwriters; i++)
		pthread_join(w[i], NULL);
	for (i = 0; i < nreaders; i++)
		pthread_join(r[i], NULL);
	printf("writes %lld reads %lld values %lld misses %lld timeouts %lld "
	       "violations %lld\n", atomic_load(&writes), atomic_load(&reads),
	       atomic_load(&values), atomic_load(&misses),
	       atomic_load(&timeouts), atomic_load(&violations));
	return atomic_load(&violations) || !atomic_load(&writes) ||
	       !atomic_load(&values) ? 1 : 0;
}
