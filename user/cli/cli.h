/* SPDX-License-Identifier: GPL-2.0 */
/* The kfaas command line: declarations shared by the files of user/cli/. */
#ifndef KFAAS_CLI_H
#define KFAAS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "libkfaas.h"

extern bool json_output;
extern bool pretty_output;
extern const char *pin_root_opt;
extern const char *bin_name;

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
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON value (and free it) honouring -p. */
void json_print(json_object *o);
/* Print {} for commands without output in JSON mode. */
void json_print_ok(void);
/* Help texts: in JSON mode print {} and return true (no text). */
bool help_json(void);

/* Open the state under --pin-root; prints the error itself. */
int state_open(struct kfaas_state *st, unsigned int flags);

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
int do_config(int argc, char **argv);
int do_apply(int argc, char **argv);
int do_export(int argc, char **argv);
int do_sk(int argc, char **argv);
/* kfaas sim: lifecycle policies over a trace (sim.c). */
int do_sim(int argc, char **argv);
/* kfaas invoke of a socket-tier function (invoke_sk.c). */
int invoke_sk(const struct kfaas_fn_info *fn, struct kfaas_state *st,
	      const void *req, size_t len, const char *dst,
	      unsigned long long repeat);
bool invoke_printable(const uint8_t *p, size_t n);
char *invoke_hex(const uint8_t *p, size_t n);
void invoke_hexdump(const uint8_t *p, size_t n);
int do_daemon(int argc, char **argv);
/* kfaas invoke of a VM-tier function, through kfaasd (invoke_vm.c). */
int invoke_vm(const char *name, const uint8_t *payload, size_t len,
	      unsigned long long repeat);

/* Common JSON/plain building blocks. */
json_object *fn_info_json(const struct kfaas_fn_info *f);
json_object *stats_json(const struct kfaas_stats *s);
const char *fmt_tag(const __u8 tag[8], char buf[17]);

#endif
