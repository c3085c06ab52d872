/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The common start of the examples' companion tools (kv.c, dns.c):
 *   TOOL [--pin-root DIR] [--fn NAME] COMMAND ARGS...
 * parses the options (up to the command word) and finds the function's
 * pinned maps.
 */
#ifndef KFAAS_EXAMPLE_TOOL_H
#define KFAAS_EXAMPLE_TOOL_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <libkfaas.h>

/* The function's pin directory (PINROOT/fn/NAME) and name. */
struct example_fn {
	char		dir[320];
	const char	*name;
	const char	*tool;
	const char	*obj;		/* the object to load, for messages */
};

/*
 * Parse the options into fn with optind at the command word; 0, or -1
 * after printing why (usage() when the words are off).
 */
static inline int example_fn_find(int argc, char **argv, struct example_fn *fn,
			   int (*usage)(void))
{
	static const struct option opts[] = {
		{ "pin-root", required_argument, NULL, 'r' },
		{ "fn", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL;
	struct kfaas_state st;
	int c, rc;

	kfaas_set_verbose(false);
	/* "+": the command's own options follow the command word */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'f')
			fn->name = optarg;
		else
			return usage(), -1;
	}
	if (optind >= argc)
		return usage(), -1;
	if (kfaas_state_open(&st, kfaas_pin_root(root), 0)) {
		fprintf(stderr, "%s: %s\n", fn->tool, kfaas_errmsg());
		return -1;
	}
	rc = kfaas_fn_map_path(&st, fn->name, "", fn->dir, sizeof(fn->dir));
	kfaas_state_close(&st);
	if (rc) {
		fprintf(stderr, "%s: %s\n", fn->tool, kfaas_errmsg());
		return -1;
	}
	return 0;
}

/* The function's pinned map, or -1 after printing why. */
static inline int example_map_fd(const struct example_fn *fn, const char *map)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s%s", fn->dir, map);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "%s: no map %s: load the example first ('kfaas "
			"fn load %s %s')\n", fn->tool, path, fn->obj, fn->name);
	return fd;
}

/* The same for a tool of one map: its fd with optind at the command word. */
static inline int example_map_open(int argc, char **argv, const char *tool,
			    const char *name, const char *map, const char *obj,
			    int (*usage)(void))
{
	struct example_fn fn = { .name = name, .tool = tool, .obj = obj };

	if (example_fn_find(argc, argv, &fn, usage))
		return -1;
	return example_map_fd(&fn, map);
}

#endif
