// SPDX-License-Identifier: GPL-2.0
/* kfaas net { attach | detach | show | help } */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *obj_name = "net";

static int do_attach(int argc, char **argv)
{
	struct kfaas_state st;
	int mode = KFAAS_XDP_NATIVE, rc;

	REQ_ARGS(1);
	if (argc > 2)
		return p_err("unexpected '%s': usage: %s net attach DEV "
			     "[native|generic]", argv[2], bin_name);
	if (argc == 2) {
		if (is_prefix(argv[1], "native"))
			mode = KFAAS_XDP_NATIVE;
		else if (is_prefix(argv[1], "generic"))
			mode = KFAAS_XDP_GENERIC;
		else
			return p_err("bad mode '%s': use native or generic",
				     argv[1]);
	}
	if (state_open(&st, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_net_attach(&st, argv[0], mode);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("attached the kfaas dispatcher to %s (%s XDP)\n", argv[0],
		       mode == KFAAS_XDP_GENERIC ? "generic" : "native");
	return 0;
}

static int do_detach(int argc, char **argv)
{
	struct kfaas_state st;
	int rc;

	REQ_ARGS(1);
	if (argc > 1)
		return p_err("unexpected '%s': usage: %s net detach DEV", argv[1],
			     bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_net_detach(&st, argv[0]);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("detached the kfaas dispatcher from %s\n", argv[0]);
	return 0;
}

static const char *mode_name(int mode)
{
	return mode == KFAAS_XDP_NATIVE ? "native" :
	       mode == KFAAS_XDP_GENERIC ? "generic" : "unknown";
}

static int do_show(int argc, char **argv)
{
	struct kfaas_netif *arr;
	struct kfaas_state st;
	__u64 d[KFAAS_DSTAT_MAX];
	size_t n, i;
	int rc;

	if (argc)
		return p_err("unexpected '%s': usage: %s net show", argv[0],
			     bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_net_list(&st, &arr, &n) ?: kfaas_dstats_read(&st, d);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = json_object_new_object();
		json_object *a = json_object_new_array();
		json_object *c = json_object_new_object();

		for (i = 0; i < n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "ifname",
					       json_object_new_string(arr[i].ifname));
			json_object_object_add(e, "ifindex",
					       json_object_new_int(arr[i].ifindex));
			json_object_object_add(e, "mode", json_object_new_string(
				mode_name(arr[i].mode)));
			json_object_object_add(e, "attached",
					       json_object_new_boolean(arr[i].attached));
			json_object_object_add(e, "link_id",
					       json_object_new_int64(arr[i].link_id));
			json_object_object_add(e, "prog_id",
					       json_object_new_int64(arr[i].prog_id));
			json_object_array_add(a, e);
		}
		for (i = 0; i < KFAAS_DSTAT_MAX; i++)
			json_object_object_add(c, kfaas_dstat_name(i),
					       json_object_new_int64((int64_t)d[i]));
		json_object_object_add(o, "interfaces", a);
		json_object_object_add(o, "dispatcher", c);
		json_print(o);
	} else {
		printf("%-16s %-7s %-8s %-7s %s\n", "INTERFACE", "IFINDEX",
		       "MODE", "LINK", "PROG");
		for (i = 0; i < n; i++)
			printf("%-16s %-7d %-8s %-7u %u%s\n",
			       arr[i].ifname[0] ? arr[i].ifname : "?",
			       arr[i].ifindex, mode_name(arr[i].mode),
			       arr[i].link_id, arr[i].prog_id,
			       arr[i].attached ? "" : "  (interface gone)");
		printf("dispatcher:");
		for (i = 0; i < KFAAS_DSTAT_MAX; i++)
			printf(" %s %llu", kfaas_dstat_name(i),
			       (unsigned long long)d[i]);
		printf("\n");
	}
	free(arr);
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s net attach DEV [native|generic]\n"
		"       %s net detach DEV\n"
		"       %s net show\n"
		"       %s net help\n"
		"\n"
		"The attachment is a pinned XDP link: it stays after kfaas\n"
		"exits, visible in 'ip link' and 'bpftool net'.\n",
		bin_name, bin_name, bin_name, bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "attach",	do_attach },
	{ "detach",	do_detach },
	{ "show",	do_show },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_net(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_show);
}
