/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The common start of the examples' companion tools (kv.c, dns.c):
 *   TOOL [--pin-root DIR] [--fn NAME] COMMAND ARGS...
 * parses the options and opens one private map of the function.
 */
#ifndef KFAAS_EXAMPLE_TOOL_H
#define KFAAS_EXAMPLE_TOOL_H

#include <getopt.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <libkfaas.h>

/*
 * Returns the map's fd with optind at the command word, or -1 after
 * printing why (usage() when the words are off).
 */
static int example_map_open(int argc, char **argv, const char *tool,
			    const char *fn, const char *map, const char *obj,
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
	char path[512];
	int c, fd = -1;

	kfaas_set_verbose(false);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'f')
			fn = optarg;
		else
			return usage(), -1;
	}
	if (optind >= argc)
		return usage(), -1;
	if (kfaas_state_open(&st, kfaas_pin_root(root), 0)) {
		fprintf(stderr, "%s: %s\n", tool, kfaas_errmsg());
		return -1;
	}
	if (kfaas_fn_map_path(&st, fn, map, path, sizeof(path)) == 0) {
		fd = bpf_obj_get(path);
		if (fd < 0)
			fprintf(stderr, "%s: no map %s: load the example first "
				"('kfaas fn load %s %s')\n", tool, path, obj, fn);
	}
	kfaas_state_close(&st);
	return fd;
}

#endif
