// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas top [--delay SEC] [--count N]: a live per-function view like top,
 * rates over the last interval, busiest function first.  On a terminal
 * the screen is redrawn; otherwise (or with -j) one report per interval.
 * A rate is the change over the interval measured between the two samples
 * (CLOCK_MONOTONIC), not the one asked for: a stopped or late top still
 * reports true rates.  A sample that fails ends top with its error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <kfaas_clock.h>
#include "cli.h"

struct row {
	struct kfaas_fn_info f;
	struct kfaas_stats now, then;
	double inv_s;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int by_rate(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->inv_s != y->inv_s)
		return x->inv_s < y->inv_s ? 1 : -1;
	return strcmp(x->f.name, y->f.name);
}

/* Counters of every function now; *rows grows to hold them. */
static int sample(struct kfaas_state *st, struct row **rows, size_t *n)
{
	struct kfaas_fn_info *f;
	struct row *r;
	size_t cnt, i, j;

	if (kfaas_fn_list(st, &f, &cnt))
		return p_lib_err();
	r = calloc(cnt ? cnt : 1, sizeof(*r));
	if (!r) {
		free(f);
		return p_err("out of memory");
	}
	for (i = 0; i < cnt; i++) {
		r[i].f = f[i];
		if (kfaas_stats_read(st, f[i].id, &r[i].now)) {
			free(f);
			free(r);
			return p_lib_err();
		}
		r[i].then = r[i].now;
		for (j = 0; j < *n; j++)	/* keep the previous sample */
			if ((*rows)[j].f.id == f[i].id)
				r[i].then = (*rows)[j].now;
	}
	free(f);
	free(*rows);
	*rows = r;
	*n = cnt;
	return 0;
}

static double rate(__u64 now, __u64 then, double secs)
{
	return now >= then && secs > 0 ? (double)(now - then) / secs : 0;
}

static void show(struct row *r, size_t n, double secs, bool tty)
{
	char when[32];
	time_t t = time(NULL);
	size_t i;

	for (i = 0; i < n; i++)
		r[i].inv_s = rate(r[i].now.invocations, r[i].then.invocations, secs);
	qsort(r, n, sizeof(*r), by_rate);
	if (json_output) {
		json_object *a = json_object_new_array();

		for (i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			__u64 dinv = r[i].now.invocations - r[i].then.invocations;

			json_object_object_add(o, "name", json_object_new_string(r[i].f.name));
			json_object_object_add(o, "interval_s", json_object_new_double(secs));
			json_object_object_add(o, "tier", json_object_new_string(
				kfaas_tier_name(r[i].f.tier)));
#define R(k, f) json_object_object_add(o, k, json_object_new_double( \
			rate(r[i].now.f, r[i].then.f, secs)))
			R("invocations_per_s", invocations);
			R("throttled_per_s", throttled);
			R("passed_per_s", passed);
			R("drops_per_s", drops);
			R("errors_per_s", errors);
			R("bytes_in_per_s", bytes_in);
			R("bytes_out_per_s", bytes_out);
#undef R
			json_object_object_add(o, "ns_per_invocation", json_object_new_double(
				dinv ? (double)(r[i].now.cpu_ns - r[i].then.cpu_ns) / dinv : 0));
			json_object_array_add(a, o);
		}
		json_print(a);
		return;
	}
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	if (tty)
		printf("\033[H\033[2J");
	printf("kfaas top - %s, %zu functions, rates over %.2f s\n\n", when, n,
	       secs);
	printf("%-20s %-4s %10s %9s %9s %8s %8s %11s %11s %8s %6s\n", "FUNCTION",
	       "TIER", "INV/S", "THROT/S", "PASS/S", "DROP/S", "ERR/S", "IN B/S",
	       "OUT B/S", "NS/INV", "CPU%");
	for (i = 0; i < n; i++) {
		__u64 dinv = r[i].now.invocations - r[i].then.invocations;
		double dns = (double)(r[i].now.cpu_ns - r[i].then.cpu_ns);

		printf("%-20s %-4s %10.0f %9.0f %9.0f %8.0f %8.0f %11.0f %11.0f "
		       "%8.0f %6.2f\n", r[i].f.name, kfaas_tier_name(r[i].f.tier),
		       r[i].inv_s,
		       rate(r[i].now.throttled, r[i].then.throttled, secs),
		       rate(r[i].now.passed, r[i].then.passed, secs),
		       rate(r[i].now.drops, r[i].then.drops, secs),
		       rate(r[i].now.errors, r[i].then.errors, secs),
		       rate(r[i].now.bytes_in, r[i].then.bytes_in, secs),
		       rate(r[i].now.bytes_out, r[i].then.bytes_out, secs),
		       dinv ? dns / dinv : 0, secs > 0 ? dns / (secs * 1e7) : 0);
	}
	if (!tty)
		printf("\n");
	fflush(stdout);
}

int do_top(int argc, char **argv)
{
	unsigned long long delay = 1, count = 0, i;
	struct row *rows = NULL;
	struct kfaas_state st;
	uint64_t t, now;
	size_t n = 0;
	int rc;
	bool tty = isatty(STDOUT_FILENO) && !json_output;

	if (cluster_on())
		return cluster_top(argc, argv);
	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "help")) {
			if (help_json())
				return 0;
			fprintf(stderr, "Usage: %s top [--delay SEC] [--count N]\n\n"
				"Live per-function rates over each interval, the\n"
				"busiest function first; Ctrl-C ends it.\n",
				bin_name);
			return 0;
		} else if (!strcmp(argv[0], "--delay") &&
			   argc > 1) {
			if (parse_u64("--delay", argv[1], 3600, &delay))
				return -1;
			argc--, argv++;
		} else if ((!strcmp(argv[0], "--count") || !strcmp(argv[0], "-n")) &&
			   argc > 1) {
			if (parse_u64("--count", argv[1], 1ULL << 32, &count))
				return -1;
			argc--, argv++;
		} else {
			return p_err("unexpected '%s': usage: %s top [--delay SEC] "
				     "[--count N]", argv[0], bin_name);
		}
	}
	if (!delay)
		delay = 1;
	if (state_open(&st, 0))
		return -1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = sample(&st, &rows, &n);
	t = kfaas_now_ns();
	for (i = 0; !rc && !stop && (!count || i < count); i++) {
		struct timespec ts = { .tv_sec = (time_t)delay };

		/* a signal (Ctrl-C) ends the wait early, and top */
		if (nanosleep(&ts, NULL) && stop)
			break;
		rc = sample(&st, &rows, &n);
		now = kfaas_now_ns();
		if (!rc)
			show(rows, n, (double)(now - t) / 1e9, tty);
		t = now;
	}
	free(rows);
	kfaas_state_close(&st);
	return rc;
}
