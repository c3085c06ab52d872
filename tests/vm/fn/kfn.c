// SPDX-License-Identifier: GPL-2.0
/*
 * The VM-tier test function (static).  The request's first word picks the
 * behaviour; everything else is echoed:
 *   echo TEXT    TEXT                  sleep MS   sleeps, then "slept MS"
 *   loop         spins forever         crash      SIGSEGV
 *   exit N       exits with status N   big N      writes N bytes of 'x'
 *   env          the environment       id         uid gid pid
 *   rand [MS]    16 random bytes, hex (after MS ms)
 *   time         CLOCK_REALTIME seconds
 *   stderr       writes to stderr and exits 3
 *   count        bytes of the request  orphan     leaves a child running
 *   put TEXT     TEXT into /tmp/kfaas-secret   get  that file, or "nothing"
 *   oom          allocates and touches memory until the guest kills it
 *   say TEXT     TEXT to stderr, "said" to stdout
 *   spew N       N bytes of 'e' to stderr, "spewed" to stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

extern char **environ;

int main(void)
{
	static char req[1 << 20];
	size_t n = fread(req, 1, sizeof(req) - 1, stdin);
	char *arg;

	req[n] = '\0';
	arg = strchr(req, ' ');
	arg = arg ? arg + 1 : req + n;
	if (!strncmp(req, "sleep", 5)) {
		long ms = atol(arg);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		printf("slept %ld\n", ms);
	} else if (!strncmp(req, "loop", 4)) {
		for (;;)
			;
	} else if (!strncmp(req, "crash", 5)) {
		*(volatile int *)0 = 1;
	} else if (!strncmp(req, "exit", 4)) {
		return atoi(arg);
	} else if (!strncmp(req, "big", 3)) {
		long i, len = atol(arg);

		for (i = 0; i < len; i++)
			putchar('x');
	} else if (!strncmp(req, "env", 3)) {
		char **e;

		for (e = environ; *e; e++)
			printf("%s\n", *e);
	} else if (!strncmp(req, "id", 2)) {
		printf("%u %u %d\n", getuid(), getgid(), getpid());
	} else if (!strncmp(req, "rand", 4)) {
		long ms = atol(arg);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		unsigned char b[16];
		int i;

		nanosleep(&ts, NULL);
		if (getrandom(b, sizeof(b), 0) != sizeof(b))
			return 1;
		for (i = 0; i < 16; i++)
			printf("%02x", b[i]);
		printf("\n");
	} else if (!strncmp(req, "time", 4)) {
		printf("%lld\n", (long long)time(NULL));
	} else if (!strncmp(req, "stderr", 6)) {
		fprintf(stderr, "something went wrong\n");
		return 3;
	} else if (!strncmp(req, "count", 5)) {
		printf("%zu\n", n);
	} else if (!strncmp(req, "orphan", 6)) {
		if (fork() == 0) {
			sleep(1000);
			_exit(0);
		}
		printf("left a child\n");
	} else if (!strncmp(req, "put", 3)) {
		FILE *f = fopen("/tmp/kfaas-secret", "w");

		if (!f || fputs(arg, f) < 0 || fclose(f))
			return 1;
		printf("stored\n");
	} else if (!strncmp(req, "get", 3)) {
		char buf[256];
		FILE *f = fopen("/tmp/kfaas-secret", "r");
		size_t k = f ? fread(buf, 1, sizeof(buf), f) : 0;

		if (k)
			fwrite(buf, 1, k, stdout);
		else
			printf("nothing\n");
	} else if (!strncmp(req, "oom", 3)) {
		for (;;) {
			char *p = malloc(1 << 20);

			if (!p)
				return 2;
			memset(p, 0x5a, 1 << 20);
		}
	} else if (!strncmp(req, "say", 3)) {
		fwrite(arg, 1, n - (size_t)(arg - req), stderr);
		printf("said\n");
	} else if (!strncmp(req, "spew", 4)) {
		long i, len = atol(arg);

		for (i = 0; i < len; i++)
			fputc('e', stderr);
		printf("spewed\n");
	} else if (!strncmp(req, "echo", 4)) {
		fwrite(arg, 1, n - (size_t)(arg - req), stdout);
	} else {
		fwrite(req, 1, n, stdout);
	}
	return 0;
}
