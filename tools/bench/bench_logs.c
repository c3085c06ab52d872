// SPDX-License-Identifier: GPL-2.0
/*
 * The reader of the log ring for benchmark 1's "kfaas_log() written" row
 * (kfaas-bench dispatch): a thread that drains the ring of one kfaas
 * state as fast as records come, as kfaasd would, while the main thread
 * measures; and what share of the calls it got written.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <kfaas_logs.h>
#include "bench.h"

static struct kfaas_log_ring *ring;
static pthread_t reader;
static volatile int reader_stop;

static int drop_rec(void *ctx, const struct kfaas_log_rec *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

static void *reader_run(void *arg)
{
	struct pollfd p = { .fd = kfaas_log_ring_fd(ring), .events = POLLIN };

	(void)arg;
	while (!reader_stop) {
		kfaas_log_ring_read(ring, drop_rec, NULL, NULL);
		poll(&p, 1, 10);
	}
	return NULL;
}

int bench_log_reader_start(struct kfaas_state *st)
{
	if (kfaas_log_ring_open(st, true, &ring)) {
		fprintf(stderr, "kfaas-bench: %s\n", kfaas_errmsg());
		return -1;
	}
	reader_stop = 0;
	if (pthread_create(&reader, NULL, reader_run, NULL)) {
		kfaas_log_ring_close(ring);
		ring = NULL;
		return -1;
	}
	return 0;
}

void bench_log_reader_stop(void)
{
	if (!ring)
		return;
	reader_stop = 1;
	pthread_join(reader, NULL);
	kfaas_log_ring_close(ring);
	ring = NULL;
}

double bench_log_written(struct kfaas_state *st, const char *fn)
{
	struct kfaas_log_counters c;
	struct kfaas_fn_info fi;
	double all;

	if (kfaas_fn_find(st, fn, &fi) || kfaas_log_counters_read(st, fi.id, &c))
		return -1;
	all = (double)(c.records + c.dropped[KFAAS_LOG_DROP_RATE] +
		       c.dropped[KFAAS_LOG_DROP_RING]);
	return all > 0 ? (double)c.records / all : -1;
}
