// SPDX-License-Identifier: GPL-2.0
/*
 * The resident test function (kfaas_resident.h).  Every reply starts with
 * "PID N" (its process, the requests this process served), then what the
 * request's first word asks for:
 *   echo TEXT    TEXT                  sleep MS   sleeps, then "slept"
 *   loop         spins forever         crash      SIGSEGV mid-request
 *   fail N       the request fails with status N (the process stays)
 *   exit         exits mid-request     stderr     a line to stderr, then ok
 *   garbage      writes bytes that are not a response frame
 *   big N        N bytes of 'x'        env        the environment
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kfaas_resident.h"

extern char **environ;

static int handle(const char *req, size_t len, struct kfaas_reply *r,
		  void *ctx)
{
	unsigned long *served = ctx;
	char cmd[64], *arg;
	size_t n = len < sizeof(cmd) - 1 ? len : sizeof(cmd) - 1;

	memcpy(cmd, req, n);
	cmd[n] = '\0';
	arg = strchr(cmd, ' ');
	arg = arg ? arg + 1 : cmd + n;
	kfaas_reply_printf(r, "%d %lu ", (int)getpid(), ++*served);
	if (!strncmp(cmd, "echo", 4)) {
		kfaas_reply_append(r, req + (arg - cmd), len - (size_t)(arg - cmd));
	} else if (!strncmp(cmd, "sleep", 5)) {
		long ms = atol(arg);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		kfaas_reply_printf(r, "slept");
	} else if (!strncmp(cmd, "loop", 4)) {
		for (;;)
			;
	} else if (!strncmp(cmd, "crash", 5)) {
		*(volatile int *)0 = 1;
	} else if (!strncmp(cmd, "fail", 4)) {
		return atoi(arg);
	} else if (!strncmp(cmd, "exit", 4)) {
		_exit(0);
	} else if (!strncmp(cmd, "stderr", 6)) {
		write(2, "resident says hi\n", 17);
		kfaas_reply_printf(r, "ok");
	} else if (!strncmp(cmd, "garbage", 7)) {
		write(1, "not a frame at all, not at all\n", 31);
	} else if (!strncmp(cmd, "big", 3)) {
		long i, k = atol(arg);

		for (i = 0; i < k; i++)
			kfaas_reply_append(r, "x", 1);
	} else if (!strncmp(cmd, "env", 3)) {
		char **e;

		for (e = environ; *e; e++)
			kfaas_reply_printf(r, "%s\n", *e);
	}
	return 0;
}

int main(void)
{
	unsigned long served = 0;

	return kfaas_serve(handle, &served);
}
