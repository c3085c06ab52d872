/* SPDX-License-Identifier: GPL-2.0 */
/* The kfaas command line: declarations shared by the files of user/cli/. */
#ifndef KFAAS_CLI_H
#define KFAAS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include <kfaas_cluster.h>

extern bool json_output;
extern bool pretty_output;
extern const char *pin_root_opt;
extern const char *bin_name;
/* The exit status when a command wants another than 0/1. */
extern int exit_status;
#define EXIT_INCONSISTENT	3	/* the state is neither old nor new */

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

/*
 * Run the command of cmds whose name argv[0] is a unique prefix of; with
 * no words left, run dflt: an object's listing, as 'ip route' and
 * 'bpftool prog' do (help for the top level).
 */
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*dflt)(int argc, char **argv));
/* Does arg name a prefix of word (at least one character)? */
bool is_prefix(const char *arg, const char *word);

/* Errors: one function that knows JSON mode.  Always returns -1. */
int p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The library's last error (and verifier log tail, if any). */
int p_lib_err(void);
/* An error with the verifier log tail that explains it (vlog may be ""). */
int p_err_vlog(const char *msg, const char *vlog);
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON value (and free it) honouring -p. */
void json_print(json_object *o);
/* Print {} for commands without output in JSON mode. */
void json_print_ok(void);
/* Help texts: in JSON mode print {} and return true (no text). */
bool help_json(void);

/* Open the state under --pin-root; prints the error itself. */
int state_open(struct kfaas_state *st, unsigned int flags);

/*
 * The end of a per-function listing that NAME (or NULL) narrows to one:
 * an error if NAME matched none; in JSON mode the array a, or its one
 * element for NAME.  Consumes a.
 */
int listing_end(json_object *a, const char *name, int shown);

/* Parse a number for option opt; prints the error itself. */
int parse_u64(const char *opt, const char *s, unsigned long long max,
	      unsigned long long *out);

#define NEXT_ARG() ({ argc--; argv++; })
#define REQ_ARGS(n) ({ if (argc < (n)) return p_err("expected %d more " \
		"argument(s): see '%s %s help'", (n), bin_name, obj_name); })

int do_fn(int argc, char **argv);
int do_route(int argc, char **argv);
int do_net(int argc, char **argv);
int do_invoke(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_module(int argc, char **argv);
int do_budget(int argc, char **argv);
int do_top(int argc, char **argv);
int do_tunables(int argc, char **argv);	/* kfaas config */
int do_apply(int argc, char **argv);
int do_export(int argc, char **argv);
int do_sk(int argc, char **argv);
/* kfaas sim: lifecycle policies over a trace (sim.c). */
int do_sim(int argc, char **argv);
int do_daemon(int argc, char **argv);
/* kfaas cost: what every function cost, priced (cost.c). */
int do_cost(int argc, char **argv);

/* ---- fn show's lifecycle part (fn_lifecycle.c) ---- */
/* kfaasd's "show" answer for a function, or NULL (no daemon: said why). */
json_object *show_lifecycle_get(const char *name);
/* Add its histogram and lifecycle to o / print them (lc may be NULL). */
void show_lifecycle_json(json_object *o, json_object *lc);
void show_lifecycle_text(json_object *lc);
/* "1.5s", "2m03s", "1h05m" (ms < 0: "never") */
const char *fmt_dur(long long ms, char *buf, size_t len);

/* kfaas logs: logs.c (the command, the ring), logs_history.c (kfaasd's). */
int do_logs(int argc, char **argv);

/* ---- the cluster (cluster.c, cluster_stats.c): --cluster ENDPOINTS ---- */
extern struct kfaas_cluster_opts cluster_opts;
/* Fill what the options left open from the environment ($KFAAS_CLUSTER...). */
void cluster_opts_env(void);
/* Is the command about the cluster (--cluster or $KFAAS_CLUSTER)? */
#define cluster_on()	(cluster_opts.endpoints != NULL)
/* Connect; prints the error itself. */
int cluster_open(struct kfaas_cluster **c);
int do_cluster(int argc, char **argv);
int cluster_apply(const char *file, bool dry);
int cluster_export(FILE *out);
int cluster_stats(int argc, char **argv);
int cluster_top(int argc, char **argv);

/* ---- kfaas invoke: invoke.c parses, a file per tier runs and prints ---- */
/* What was asked: the request and the options that shape it. */
struct invoke_req {
	const char	*name;		/* the function */
	const uint8_t	*payload;
	size_t		len;
	const char	*src;		/* --src ADDR:PORT, or NULL */
	const char	*dst;		/* --dst ADDR:PORT, or NULL */
	int		vlan;		/* --vlan, or -1 */
	unsigned long long repeat;	/* --repeat, 0: once */
	int		batches;	/* --batches (XDP tier) */
};
#define INVOKE_MAX_PAYLOAD	65000
#define INVOKE_MAX_BATCHES	100
/* BPF_PROG_TEST_RUN through the dispatcher (invoke_xdp.c). */
int invoke_xdp(struct kfaas_state *st, const struct kfaas_fn_info *fn,
	       const struct invoke_req *r);
/* A TCP client of one of the function's routes (invoke_sk.c). */
int invoke_sk(struct kfaas_state *st, const struct kfaas_fn_info *fn,
	      const struct invoke_req *r);
/* Through kfaasd's control socket (invoke_vm.c). */
int invoke_vm(const struct invoke_req *r);

/* The output of every tier (invoke_out.c). */
struct invoke_stats {
	unsigned long long repeat;	/* invocations */
	unsigned long long batches;	/* timed groups of them */
	double	per;			/* ns per invocation */
	__u64	p50, p99;		/* of the batches' ns per invocation */
};
/* Sort durs (ns per invocation of each of n batches); set p50, p99, batches. */
void invoke_stats_pick(struct invoke_stats *s, __u64 *durs, size_t n);
/* "reply_len", "reply" (the text, null if not text) and "reply_hex". */
void invoke_json_reply(json_object *o, const void *p, size_t n);
/* "repeat", "batches", "errors" (if errors >= 0), "ns_per_invocation",
 * "p50_ns" and "p99_ns". */
void invoke_json_stats(json_object *o, const struct invoke_stats *s,
		       long long errors);
/* "reply (N bytes): TEXT", or a hex dump; own_newline: a text reply that
 * ends in a newline gets no other. */
void invoke_print_reply(const void *p, size_t n, bool own_newline);
/* "N invocations: ... over B batches" (errors >= 0: "over N invocations,
 * E error(s)"). */
void invoke_print_stats(const struct invoke_stats *s, long long errors);

/* ---- kfaas logs ---- */
#include <kfaas_logs.h>
struct logs_opts {
	const char	*name;		/* NULL: every function */
	uint64_t	since;		/* CLOCK_REALTIME ns; 0: all */
	bool		follow;
};
/* Print e if o asks for it (its function, not older than --since). */
void logs_emit(const struct logs_opts *o, const struct kfaas_log_entry *e);
/* Ctrl-C or SIGTERM came: -f ends. */
bool logs_stopped(void);
/* Does the pin root's kfaasd run and keep a history? */
bool logs_history_present(struct kfaas_state *st);
/* Does its history have entries of name (a function unloaded since)? */
bool logs_history_has(struct kfaas_state *st, const char *name);
/* Print (and follow) kfaasd's history. */
int logs_history(struct kfaas_state *st, const struct logs_opts *o);

/* Common JSON/plain building blocks. */
json_object *fn_info_json(const struct kfaas_fn_info *f);
json_object *stats_json(const struct kfaas_stats *s);
const char *fmt_tag(const __u8 tag[8], char buf[17]);

#endif
