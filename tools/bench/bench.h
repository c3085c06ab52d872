/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas-bench: the BPF_PROG_TEST_RUN side of `make bench`.
 *
 * A measurement runs several variants (programs + frames) in rounds,
 * round-robin, so that the machine's noise falls on all of them alike;
 * each figure is the median over rounds, and each comparison is the
 * median of the per-round ratios (or differences) of two variants
 * measured in the same round.
 */
#ifndef KFAAS_BENCH_H
#define KFAAS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <libkfaas.h>

struct bvar {
	const char	*name;		/* key in the JSON */
	const char	*desc;		/* one line for people */
	int		prog_fd;
	const uint8_t	*frame;
	size_t		len;
	uint32_t	expect;		/* XDP verdict every run must return */
	int		ifindex;	/* > 0: BPF_F_TEST_XDP_LIVE_FRAMES */
	/* set config.time_shift of st before each run when st != NULL */
	struct kfaas_state *st;
	uint32_t	time_shift;
	/* results, one per round */
	double		*ns;		/* ns per run: thread CPU time / repeat */
	uint32_t	*kns;		/* the kernel's own average (integer ns) */
};

struct bopts {
	uint32_t	repeat;
	int		rounds;
};

/* Check each variant once (verdict, reply frame); 0 or -1 with a message. */
int bench_validate(struct bvar *v, int n);
/* Measure n variants in o->rounds rounds of o->repeat runs; 0 or -1. */
int bench_measure(struct bvar *v, int n, const struct bopts *o);
double bench_median(const double *x, int n);
/* Median over rounds of a->ns[r] / b->ns[r] and of a->ns[r] - b->ns[r]. */
double bench_ratio(const struct bvar *a, const struct bvar *b, int rounds);
double bench_delta(const struct bvar *a, const struct bvar *b, int rounds);
/* {"desc", "ns_median", "ns_min", "ns_max", "ns_rounds", "kernel_ns_median"} */
json_object *bench_var_json(const struct bvar *v, int rounds);
/* Free the result arrays. */
void bench_free(struct bvar *v, int n);

/* A row of the table: see docs/performance.md for the fields. */
json_object *bench_row(const char *bench, const char *what, double kfaas,
		       double alt, const char *unit, double ratio,
		       const char *target, int met);
/* Rounded to 3 significant decimals for JSON. */
json_object *bench_num(double x);

/* Symmetric request frame (source = destination): its reply is itself. */
size_t bench_frame(uint8_t *buf, size_t cap, uint16_t port, size_t payload);
/* ... whose payload starts with head (what a function writes over it). */
size_t bench_frame_head(uint8_t *buf, size_t cap, uint16_t port,
			size_t payload, const char *head);

/* A bare program (not a kfaas function): load the first program of obj. */
int bench_prog_load(const char *path, struct bpf_object **obj);

/*
 * The log ring's reader while a measurement runs (bench_logs.c): a thread
 * draining st's ring; the share of fn's kfaas_log() calls written.
 */
int bench_log_reader_start(struct kfaas_state *st);
void bench_log_reader_stop(void);
double bench_log_written(struct kfaas_state *st, const char *fn);

#endif
