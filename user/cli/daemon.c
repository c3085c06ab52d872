// SPDX-License-Identifier: GPL-2.0
/* kfaas daemon { status | reload | help }: talk to kfaasd (the VM tier). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char *obj_name = "daemon";

static int call(const char *cmd, json_object **resp)
{
	json_object *req = json_object_new_object();
	struct kfaas_daemon d;
	int rc;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt))) {
		json_object_put(req);
		return p_lib_err();
	}
	rc = kfaas_daemon_call(&d, req, resp);
	kfaas_daemon_close(&d);
	if (rc) {
		json_object_put(*resp);
		return p_lib_err();
	}
	return 0;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : "-";
}

static long long num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static int do_status(int argc, char **argv)
{
	json_object *resp, *d, *fa, *ra;
	size_t i;

	if (argc)
		return p_err("unexpected argument '%s': usage: %s daemon status",
			     argv[0], bin_name);
	if (call("status", &resp))
		return -1;
	json_object_object_del(resp, "ok");
	if (json_output) {
		json_print(resp);
		return 0;
	}
	json_object_object_get_ex(resp, "daemon", &d);
	json_object_object_get_ex(resp, "functions", &fa);
	json_object_object_get_ex(resp, "routes", &ra);
	printf("kfaasd %s (pid %lld): %s (%s), %s\n", str(d, "version"),
	       num(d, "pid"), str(d, "accel"), str(d, "accel_why"),
	       json_object_get_boolean(json_object_object_get(d, "snapshot")) ?
	       "snapshot clones" : "cold boots");
	printf("run dir %s, guest kernel %s, QEMU %s\n", str(d, "run_dir"),
	       str(d, "kernel"), str(d, "qemu_version"));
	printf("\n%-20s %-4s %-8s %4s %4s %4s %5s %6s %7s %8s %8s %7s %7s\n",
	       "FUNCTION", "ID", "TEMPLATE", "LIVE", "IDLE", "BUSY", "QUEUE",
	       "SERVED", "CLONES", "TIMEOUTS", "CRASHES", "OVERFL", "SHED");
	for (i = 0; fa && i < json_object_array_length(fa); i++) {
		json_object *f = json_object_array_get_idx(fa, i), *p;

		json_object_object_get_ex(f, "pool", &p);
		printf("%-20s %-4lld %-8s %4lld %4lld %4lld %5lld %6lld %7lld "
		       "%8lld %8lld %7lld %7lld\n", str(f, "name"), num(f, "id"),
		       str(p, "template"), num(p, "live"), num(p, "idle"),
		       num(p, "busy"), num(p, "queued"), num(p, "served"),
		       num(p, "clone"), num(p, "timeouts"), num(p, "crashes"),
		       num(p, "overflows"), num(f, "shed"));
		if (strcmp(str(p, "broken"), "-"))
			printf("    problem: %s\n", str(p, "broken"));
	}
	printf("\n%-32s %-20s %s\n", "ROUTE", "FUNCTION", "SOCKET");
	for (i = 0; ra && i < json_object_array_length(ra); i++) {
		json_object *r = json_object_array_get_idx(ra, i);
		bool up = json_object_get_boolean(json_object_object_get(r,
							"listening"));

		printf("%-32s %-20s %s\n", str(r, "route"), str(r, "fn"),
		       up ? "listening" : str(r, "error"));
	}
	json_object_put(resp);
	return 0;
}

static int do_reload(int argc, char **argv)
{
	json_object *resp;

	if (argc)
		return p_err("unexpected argument '%s': usage: %s daemon reload",
			     argv[0], bin_name);
	if (call("reload", &resp))
		return -1;
	json_object_put(resp);
	json_print_ok();
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output) {
		json_print_ok();
		return 0;
	}
	fprintf(stderr,
		"Usage: %s daemon status\n"
		"       %s daemon reload\n"
		"       %s daemon help\n"
		"\n"
		"kfaasd runs the VM-tier functions.  status shows its warm\n"
		"pools and the routes it serves; reload makes it re-read the\n"
		"route table and the registry now (route add/del do so too).\n",
		bin_name, bin_name, bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "status",	do_status },
	{ "reload",	do_reload },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_daemon(int argc, char **argv)
{
	(void)obj_name;
	return cmd_select(cmds, argc, argv, do_status);
}
