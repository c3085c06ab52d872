// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas config { show | set cpu-sample N }: the tunables, fields of the
 * pin root's globals (struct kfaas_globals, pinned map kfaas_config).
 *   cpu-sample N   measure the CPU time of 1 invocation in N (a power of
 *                  two, 1 = every one) and weight it by N
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static int do_show(int argc, char **argv)
{
	struct kfaas_globals g;
	struct kfaas_state st;
	int rc;

	if (argc)
		return p_err("unexpected '%s': usage: %s config show", argv[0],
			     bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_globals_get(&st, &g);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "abi_version",
				       json_object_new_int(g.abi_version));
		json_object_object_add(o, "cpu_sample",
				       json_object_new_int64(1LL << g.time_shift));
		json_object_object_add(o, "addr_routes",
				       json_object_new_boolean(g.addr_routes));
		json_print(o);
	} else {
		printf("abi_version %u\ncpu-sample %llu (CPU time of 1 invocation "
		       "in %llu is measured)\n", g.abi_version,
		       1ULL << g.time_shift, 1ULL << g.time_shift);
	}
	return 0;
}

static int do_set(int argc, char **argv)
{
	unsigned long long n;
	struct kfaas_globals g;
	struct kfaas_state st;
	unsigned int shift = 0;
	int rc;

	if (argc != 2 || strcmp(argv[0], "cpu-sample"))
		return p_err("usage: %s config set cpu-sample N", bin_name);
	if (parse_u64("cpu-sample", argv[1], 1ULL << KFAAS_TIME_SHIFT_MAX, &n))
		return -1;
	while (shift <= KFAAS_TIME_SHIFT_MAX && (1ULL << shift) < n)
		shift++;
	if (!n || (1ULL << shift) != n)
		return p_err("cpu-sample %llu: use a power of two from 1 (time every "
			     "invocation) to %llu", n, 1ULL << KFAAS_TIME_SHIFT_MAX);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_globals_get(&st, &g);
	if (!rc) {
		g.time_shift = shift;
		rc = kfaas_globals_set(&st, &g);
	}
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	json_print_ok();
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s config show\n"
		"       %s config set cpu-sample N\n"
		"       %s config help\n"
		"\n"
		"cpu-sample N: the CPU time of 1 eBPF invocation in N (a power\n"
		"of two; default %d) is measured, at random, and counted N\n"
		"times: an unbiased estimate that keeps the two clock reads off\n"
		"the other invocations.  1 measures every invocation.\n",
		bin_name, bin_name, bin_name, 1 << KFAAS_TIME_SHIFT_DEFAULT);
	return 0;
}

static const struct cmd cmds[] = {
	{ "show",	do_show },
	{ "set",	do_set },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_tunables(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_show);
}
