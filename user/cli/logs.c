// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas logs [NAME] [-f|--follow] [--since TIME]: what functions logged,
 * every tier in one stream of entries with their time and function.
 *
 * With kfaasd running, its history is the source (logs_history.c): every
 * tier's entries, eBPF records included, which kfaasd collects from the
 * ring.  Without it, the ring itself (this file): a look at what it
 * holds, or with -f its one reader, which consumes it.  Entries print as
 * text or, with -j, one JSON object a line (kfaas_logs.h).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static volatile sig_atomic_t logs_stop;

static void on_signal(int sig)
{
	(void)sig;
	logs_stop = 1;
}

bool logs_stopped(void)
{
	return logs_stop;
}

static int usage(void)
{
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s logs [NAME] [-f|--follow] [--since TIME]\n"
		"\n"
		"What NAME (or every function) logged, from every tier, oldest\n"
		"first: kfaas_log() records of XDP and socket-tier functions with\n"
		"the request's addresses, a VM-tier invocation's stderr with its\n"
		"exit status and duration, and how many records were dropped.\n"
		"-f keeps printing new entries until Ctrl-C.  TIME: @SECONDS\n"
		"since the epoch, N{s,m,h,d} ago, or 'YYYY-MM-DD [HH:MM[:SS]]'\n"
		"(local time; a trailing Z: UTC).  -j: one JSON object a line.\n"
		"\n"
		"With kfaasd running, its history (RUNDIR/logs, bounded per\n"
		"function).  Without it, the eBPF tiers' ring buffer: what it\n"
		"holds, or with -f its records as they come (consumed: the\n"
		"records of other functions are not kept).\n",
		bin_name);
	return 0;
}

void logs_emit(const struct logs_opts *o, const struct kfaas_log_entry *e)
{
	char *line;

	if ((o->name && strcmp(e->fn, o->name)) || e->time_ns < o->since)
		return;
	if (!json_output) {
		kfaas_log_entry_print(stdout, e);
		return;
	}
	line = kfaas_log_entry_json(e);
	if (!line)
		return;
	if (pretty_output)
		json_print(json_tokener_parse(line));
	else
		puts(line);
	free(line);
}

static void emit_cb(void *ctx, const struct kfaas_log_entry *e)
{
	logs_emit(ctx, e);
}

/* ---- the ring, without kfaasd ---- */

struct ring_read {
	const struct logs_opts	*o;
	struct kfaas_state	*st;
	struct kfaas_fn_info	*fns;	/* id -> name */
	size_t			nfns;
	int64_t			mono_to_real;
	struct kfaas_log_entry	e;
};

static const char *fn_name(struct ring_read *rr, __u32 id, char *buf,
			   size_t len)
{
	size_t i;

	for (i = 0; i < rr->nfns; i++)
		if (rr->fns[i].id == id)
			return rr->fns[i].name;
	snprintf(buf, len, "#%u", id);	/* unloaded since it logged */
	return buf;
}

static int ring_cb(void *ctx, const struct kfaas_log_rec *r)
{
	struct ring_read *rr = ctx;
	char buf[16];

	kfaas_log_entry_of_rec(&rr->e, r, fn_name(rr, r->h.fn_id, buf, sizeof(buf)),
			       rr->mono_to_real);
	logs_emit(rr->o, &rr->e);
	return 0;
}

/* Print what the ring holds (and consume it when it is ours). */
static int ring_drain(struct ring_read *rr, struct kfaas_log_ring *ring)
{
	free(rr->fns);
	rr->fns = NULL;
	if (kfaas_fn_list(rr->st, &rr->fns, &rr->nfns))
		return p_lib_err();
	rr->mono_to_real = kfaas_log_mono_to_real();
	if (kfaas_log_ring_read(ring, ring_cb, rr, NULL) < 0)
		return p_lib_err();
	return 0;
}

static int logs_ring(struct kfaas_state *st, const struct logs_opts *o,
		     __u32 fn_id)
{
	struct ring_read *rr = calloc(1, sizeof(*rr));
	struct kfaas_log_drops *drops = calloc(1, sizeof(*drops));
	struct kfaas_log_ring *ring = NULL;
	struct pollfd p;
	int rc = -1;

	if (!rr || !drops) {
		p_err("out of memory");
		goto out;
	}
	rr->o = o;
	rr->st = st;
	if (kfaas_log_ring_open(st, o->follow, &ring)) {
		p_lib_err();
		goto out;
	}
	p.fd = kfaas_log_ring_fd(ring);
	p.events = POLLIN;
	do {
		if (ring_drain(rr, ring))
			goto out;
		if (kfaas_log_drops_check(st, drops, fn_id, emit_cb, (void *)o)) {
			p_lib_err();
			goto out;
		}
		fflush(stdout);
		/* the drop counters are looked at every second */
		if (o->follow && !logs_stop && poll(&p, 1, 1000) < 0 &&
		    errno != EINTR) {
			p_err("poll: %s", strerror(errno));
			goto out;
		}
	} while (o->follow && !logs_stop);
	rc = 0;
out:
	kfaas_log_ring_close(ring);
	if (rr)
		free(rr->fns);
	free(rr);
	free(drops);
	return rc;
}

/* ---- the command ---- */

static int parse_opts(int argc, char **argv, struct logs_opts *o)
{
	static const struct option opts[] = {
		{ "follow",	no_argument,	   NULL, 'f' },
		{ "since",	required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	/* NAME anywhere among the options: getopt_long() moves it last */
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->follow = true;
			break;
		case 's':
			if (kfaas_log_time_parse(optarg, &o->since))
				return p_err("bad --since '%s': give @SECONDS, "
					     "N{s,m,h,d} (ago) or 'YYYY-MM-DD "
					     "[HH:MM[:SS]]'", optarg);
			break;
		default:
			return p_err("unknown option '%s': see '%s logs help'",
				     argv[optind - 1], bin_name);
		}
	}
	return optind;
}

int do_logs(int argc, char **argv)
{
	struct logs_opts o = { 0 };
	struct kfaas_fn_info fn;
	struct kfaas_state st;
	int i, rc;

	if (argc > 0 && !strcmp(argv[0], "help"))
		return usage();
	/* getopt_long() starts at argv[1]: argv[0] is "logs" */
	argc++, argv--;
	i = parse_opts(argc, argv, &o);
	if (i < 0)
		return -1;
	if (i < argc)
		o.name = argv[i++];
	if (i < argc)
		return p_err("unexpected '%s': usage: %s logs [NAME] [-f] "
			     "[--since TIME]", argv[i], bin_name);
	if (state_open(&st, 0))
		return -1;
	fn.id = 0;
	if (o.name && kfaas_fn_find(&st, o.name, &fn) &&
	    !logs_history_has(&st, o.name)) {
		kfaas_state_close(&st);
		return p_err("no function '%s': 'kfaas fn list' shows the "
			     "loaded ones", o.name);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (logs_history_present(&st))
		rc = logs_history(&st, &o);
	else if (o.name && !fn.id)
		rc = p_err("no function '%s'", o.name);
	else
		rc = logs_ring(&st, &o, fn.id);
	kfaas_state_close(&st);
	return rc;
}
