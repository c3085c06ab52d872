// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas: bpftool-style command line for kfaas.
 *   kfaas [-j|--json] [-p|--pretty] [--pin-root DIR] OBJECT COMMAND ...
 * Objects and commands match by unique prefix; global options may appear
 * anywhere before "--".  This file takes the global options and picks the
 * object; what the objects' files share is in common.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <kfaas_cluster.h>

#ifndef KFAAS_VERSION
#define KFAAS_VERSION "0.1"
#endif

static bool debug_output;

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n"
		"       %s version\n"
		"\n"
		"OBJECT := { fn | route | net | sk | daemon | invoke | stats | top | apply |\n"
		"           export | module | budget | config | sim | cost | cluster }\n"
		"OPTIONS := { -j|--json [-p|--pretty] | --pin-root DIR | -d|--debug |\n"
		"            --cluster ENDPOINTS [--etcd-ca F --etcd-cert F --etcd-key F]\n"
		"            [--cluster-prefix P] }\n"
		"\n"
		"  fn      load, replace, unload, list, show functions\n"
		"  route   add, del, list triggers in the route table\n"
		"  net     attach, detach, show the XDP dispatcher\n"
		"  sk      serve, stop, show the socket tier's listener\n"
		"  invoke  run a function from userspace (XDP: BPF_PROG_TEST_RUN,\n"
		"          socket tier: a loopback TCP connection)\n"
		"  stats   per-function accounting\n"
		"  top     live per-function rates\n"
		"  apply   make functions and routes match a config file\n"
		"  export  write the running state as a config file\n"
		"  daemon  kfaasd (VM tier): status, reload\n"
		"  module  load, unload, status of kfaas.ko (accounting, budgets)\n"
		"  budget  set, show, clear per-function budgets\n"
		"  config  show, set tunables (cpu-sample)\n"
		"  sim     replay a trace through lifecycle policies (no VMs)\n"
		"  cost    what each function cost, priced, per tier\n"
		"  cluster status of a cluster's nodes (with --cluster: apply,\n"
		"          export, stats, top act on the cluster, docs/cluster.md)\n"
		"\n"
		"The pin root is --pin-root, else $%s, else %s.\n",
		bin_name, bin_name, KFAAS_PIN_ROOT_ENV, KFAAS_PIN_ROOT_DEFAULT);
	return 0;
}

static int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "version",
				       json_object_new_string(KFAAS_VERSION));
		json_object_object_add(o, "abi",
				       json_object_new_int(KFAAS_ABI_VERSION));
		json_print(o);
	} else {
		printf("%s v%s (ABI %d)\n", bin_name, KFAAS_VERSION,
		       KFAAS_ABI_VERSION);
	}
	return 0;
}

static const struct cmd objects[] = {
	{ "fn",		do_fn },
	{ "route",	do_route },
	{ "net",	do_net },
	{ "invoke",	do_invoke },
	{ "stats",	do_stats },
	{ "sk",		do_sk },
	{ "top",	do_top },
	{ "config",	do_tunables },
	{ "apply",	do_apply },
	{ "export",	do_export },
	{ "daemon",	do_daemon },
	{ "module",	do_module },
	{ "budget",	do_budget },
	{ "sim",	do_sim },
	{ "cost",	do_cost },
	{ "cluster",	do_cluster },
	{ "help",	do_help },
	{ "version",	do_version },
	{ NULL, NULL },
};

/* A global option with a value: "--name VALUE" or "--name=VALUE". */
static int value_opt(const char *name, int argc, char **argv, int *i,
		     const char **where)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*where = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name))
		return 0;
	if (*i + 1 >= argc)
		return p_err("%s needs a value", name);
	*where = argv[++*i];
	return 1;
}

/*
 * --cluster [ENDPOINTS]: the endpoints when the next word has a ':' (every
 * endpoint has a port); alone (kfaas stats --cluster), $KFAAS_CLUSTER's.
 */
static int cluster_opt(int argc, char **argv, int *i)
{
	static const char none[] = "";

	if (strcmp(argv[*i], "--cluster"))
		return value_opt("--cluster", argc, argv, i, &cluster_opts.endpoints);
	if (*i + 1 < argc && strchr(argv[*i + 1], ':'))
		cluster_opts.endpoints = argv[++*i];
	else
		cluster_opts.endpoints = getenv("KFAAS_CLUSTER") ?: none;
	return 1;
}

/* Take the global options out of argv, wherever they are. */
static int global_opts(int *pargc, char **argv)
{
	int argc = *pargc, i, out = 1, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		rc = cluster_opt(argc, argv, &i) ?:
		     value_opt("--etcd-ca", argc, argv, &i, &cluster_opts.ca_file) ?:
		     value_opt("--etcd-cert", argc, argv, &i, &cluster_opts.cert_file) ?:
		     value_opt("--etcd-key", argc, argv, &i, &cluster_opts.key_file) ?:
		     value_opt("--cluster-prefix", argc, argv, &i, &cluster_opts.prefix);
		if (rc < 0)
			return rc;
		if (rc)
			continue;

		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json_output = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			json_output = pretty_output = true;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			json_output = pretty_output = true;
		} else if (!strcmp(a, "--pin-root")) {
			if (i + 1 >= argc)
				return p_err("--pin-root needs a directory");
			pin_root_opt = argv[++i];
		} else if (!strncmp(a, "--pin-root=", 11)) {
			pin_root_opt = a + 11;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			argv[out++] = "help";
		} else if (!strcmp(a, "-d") || !strcmp(a, "--debug")) {
			debug_output = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			argv[out++] = "version";
		} else {
			argv[out++] = argv[i];
		}
	}
	*pargc = out;
	cluster_opts_env();
	if (cluster_opts.endpoints && !*cluster_opts.endpoints)
		return p_err("--cluster without endpoints: give --cluster "
			     "https://HOST:2379,... or set $KFAAS_CLUSTER");
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	kfaas_set_verbose(false);
	if (global_opts(&argc, argv))
		return 1;
	kfaas_set_verbose(debug_output);
	if (argc < 2) {
		do_help(0, NULL);
		return json_output ? 0 : 1;
	}
	rc = cmd_select(objects, argc - 1, argv + 1, do_help);
	return exit_status ? exit_status : rc ? 1 : 0;
}
