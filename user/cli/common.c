// SPDX-License-Identifier: GPL-2.0
/*
 * What every command of the kfaas CLI shares: the global options' values,
 * errors and JSON output through one place that knows JSON mode, opening
 * the state, number parsing and command selection by unique prefix.
 * main.c sets the options and picks the object; the objects' files call
 * down into this one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

bool json_output;
bool pretty_output;
const char *pin_root_opt;
const char *bin_name = "kfaas";
int exit_status;

bool is_prefix(const char *arg, const char *word)
{
	return *arg && !strncmp(arg, word, strlen(arg));
}

int p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		json_print(o);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return -1;
}

int p_lib_err(void)
{
	return p_err_vlog(kfaas_errmsg(), kfaas_verifier_log());
}

int p_err_vlog(const char *msg, const char *vlog)
{
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "error",
				       json_object_new_string(msg));
		if (vlog[0])
			json_object_object_add(o, "verifier_log",
					       json_object_new_string(vlog));
		json_print(o);
		return -1;
	}
	fprintf(stderr, "Error: %s\n", msg);
	if (vlog[0])
		fprintf(stderr, "-- verifier log (tail) --\n%s%s-- end of "
			"verifier log --\n", vlog,
			vlog[strlen(vlog) - 1] == '\n' ? "" : "\n");
	return -1;
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void json_print(json_object *o)
{
	int flags = pretty_output ? JSON_C_TO_STRING_PRETTY |
				    JSON_C_TO_STRING_SPACED :
				    JSON_C_TO_STRING_PLAIN;

	printf("%s\n", json_object_to_json_string_ext(o,
		flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	fflush(stdout);
}

bool help_json(void)
{
	json_print_ok();
	return json_output;
}

void json_print_ok(void)
{
	if (json_output)
		json_print(json_object_new_object());
}

int state_open(struct kfaas_state *st, unsigned int flags)
{
	if (kfaas_state_open(st, kfaas_pin_root(pin_root_opt), flags))
		return p_lib_err();
	return 0;
}

int parse_u64(const char *opt, const char *s, unsigned long long max,
	      unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || *out > max)
		return p_err("bad value '%s' for %s: expected a number from 0 "
			     "to %llu", s, opt, max);
	return 0;
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*dflt)(int argc, char **argv))
{
	const struct cmd *match = NULL;
	int i, n = 0;

	if (argc < 1)
		return dflt ? dflt(argc, argv) : p_err("missing command");
	for (i = 0; cmds[i].name; i++) {
		if (!strcmp(argv[0], cmds[i].name)) {
			match = &cmds[i];
			n = 1;
			break;
		}
		if (is_prefix(argv[0], cmds[i].name)) {
			match = &cmds[i];
			n++;
		}
	}
	if (n == 1)
		return match->func(argc - 1, argv + 1);
	if (n > 1)
		return p_err("'%s' is ambiguous: say more of the command (see "
			     "'%s help')", argv[0], bin_name);
	return p_err("unknown command '%s': see '%s help'", argv[0], bin_name);
}

int listing_end(json_object *a, const char *name, int shown)
{
	if (name && !shown) {
		json_object_put(a);
		return p_err("no function '%s': 'kfaas fn list' shows the loaded "
			     "ones", name);
	}
	if (!json_output)
		return 0;
	if (name) {
		json_object *one = json_object_get(json_object_array_get_idx(a, 0));

		json_object_put(a);
		json_print(one);
	} else {
		json_print(a);
	}
	return 0;
}
