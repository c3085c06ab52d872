// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: kfaasd's QMP client (user/kfaasd/qmp.c) reading what
 * QEMU writes.  QEMU runs the guest and so is trusted no more than it: the
 * input arrives on a real socket in pieces, after three commands were sent;
 * answers must reach the callbacks in order and at most once each, events
 * only with a name, and the migration status kfaasd acts on only as a
 * string.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "../../user/kfaasd/kfaasd.h"

struct kfaasd_opts opts;

static int answered, events;

static void cb(struct qmp *q, json_object *ret, const char *error, void *ctx)
{
	(void)q;
	(void)ret;
	if (ctx != &answered)
		abort();
	if (error)
		(void)strlen(error);
	answered++;
}

static void on_event(struct qmp *q, const char *event, json_object *data,
		     void *ctx)
{
	const char *st;

	(void)q;
	if (!event || ctx != &answered)
		abort();
	st = qmp_migration_status(event, data);
	if (st && strcmp(event, "MIGRATION"))
		abort();
	if (st)
		(void)strcmp(st, "completed");
	events++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp q;
	size_t pos = 0;
	unsigned int seed = (unsigned int)size;
	int sv[2], i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	qmp_init(&q, &answered);
	q.on_event = on_event;
	q.w.fd = sv[0];
	answered = events = 0;
	for (i = 0; i < 3; i++)
		if (qmp_send(&q, "query-status", NULL, -1, cb))
			abort();
	while (pos < size) {
		size_t n;
		ssize_t w;
		int rc;

		seed = seed * 1103515245U + 12345U;
		n = 1 + (seed >> 16) % 300;
		if (n > size - pos)
			n = size - pos;
		w = write(sv[1], data + pos, n);
		if (w <= 0)
			abort();
		pos += (size_t)w;
		rc = qmp_input(&q);
		if (rc && rc != -EMSGSIZE)
			abort();
		if (rc)
			break;
	}
	if (answered > 3)
		abort();
	qmp_free(&q);
	close(sv[1]);
	return 0;
}
