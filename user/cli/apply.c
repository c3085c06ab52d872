// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas apply FILE [--dry-run]: make functions and routes match a
 *                               configuration (kfaas.conf(5)), all or nothing
 * kfaas export [FILE]:          write the running state as a configuration
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include <kfaas_conf.h>

static const char *const kind_name[] = {
	[KFAAS_ACT_FN_ADD] = "fn_add",
	[KFAAS_ACT_FN_REPLACE] = "fn_replace",
	[KFAAS_ACT_ROUTE_DEL] = "route_del",
	[KFAAS_ACT_VM_RECREATE] = "vm_recreate",
	[KFAAS_ACT_BUDGET] = "budget",
	[KFAAS_ACT_ROUTE_SET] = "route_set",
	[KFAAS_ACT_ROUTE_ADD] = "route_add",
	[KFAAS_ACT_FN_DEL] = "fn_del",
};

static void print_plan(const struct kfaas_plan *p, bool dry, bool ok)
{
	size_t i;

	if (json_output) {
		json_object *o = json_object_new_object();
		json_object *a = json_object_new_array();

		for (i = 0; i < p->n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "action", json_object_new_string(
				kind_name[p->acts[i].kind]));
			json_object_object_add(e, "change", json_object_new_string(
				p->acts[i].text));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
		json_object_object_add(o, "applied", json_object_new_boolean(!dry && ok));
		json_object_object_add(o, "changes", a);
		json_print(o);
		return;
	}
	for (i = 0; i < p->n; i++)
		printf("%s\n", p->acts[i].text);
	if (!p->n)
		printf("nothing to change\n");
	else if (dry)
		printf("%zu change(s); nothing applied (--dry-run)\n", p->n);
	else
		printf("%zu change(s) applied\n", p->n);
}

/* VM-tier functions go through the running kfaasd. */
static int daemon_create(void *ctx, const char *name, const char *exe,
			 const struct kfaas_vm_params *p)
{
	struct kfaas_daemon d;
	int rc = kfaas_daemon_open(&d, ctx);

	if (rc)
		return kfaas_err(rc, "VM-tier function '%s' needs kfaasd, which "
				 "does not answer: %s", name, kfaas_errmsg());
	rc = kfaas_daemon_create(&d, name, exe, p, NULL, NULL);
	kfaas_daemon_close(&d);
	return rc;
}

static int daemon_unload(void *ctx, const char *name)
{
	struct kfaas_daemon d;
	int rc = kfaas_daemon_open(&d, ctx);

	if (rc)
		return kfaas_err(rc, "unloading VM-tier function '%s' needs "
				 "kfaasd: %s", name, kfaas_errmsg());
	rc = kfaas_daemon_unload(&d, name);
	kfaas_daemon_close(&d);
	return rc;
}

int do_apply(int argc, char **argv)
{
	const char *file = NULL;
	struct kfaas_state st;
	struct kfaas_apply_ops ops = { .vm_create = daemon_create,
				       .vm_unload = daemon_unload };
	const struct kfaas_apply_ops *vm_ops = NULL;
	struct kfaas_daemon d;
	struct kfaas_plan plan;
	struct kfaas_conf conf;
	bool dry = false;
	int rc;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "--dry-run") || !strcmp(argv[0], "-n")) {
			dry = true;
		} else if (!strcmp(argv[0], "help")) {
			if (help_json())
				return 0;
			fprintf(stderr,
				"Usage: %s apply FILE [--dry-run]\n"
				"\n"
				"Makes functions and routes match FILE (see\n"
				"kfaas.conf(5)): adds, replaces and removes what\n"
				"differs, all or nothing.  --dry-run prints the\n"
				"changes and applies none.\n", bin_name);
			return 0;
		} else if (!file && argv[0][0] != '-') {
			file = argv[0];
		} else {
			return p_err("unexpected '%s': usage: %s apply FILE "
				     "[--dry-run]", argv[0], bin_name);
		}
	}
	if (!file)
		return p_err("which file? usage: %s apply FILE [--dry-run]",
			     bin_name);
	if (kfaas_conf_load(file, &conf))
		return p_lib_err();
	/* VM-tier functions can be handled only if kfaasd runs */
	ops.ctx = (void *)kfaas_pin_root(pin_root_opt);
	if (kfaas_daemon_open(&d, ops.ctx) == 0) {
		kfaas_daemon_close(&d);
		vm_ops = &ops;
	}
	if (state_open(&st, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK)) {
		kfaas_conf_free(&conf);
		return -1;
	}
	rc = kfaas_plan_make(&st, &conf, vm_ops, &plan);
	if (!rc && !dry)
		rc = kfaas_plan_apply(&st, &conf, &plan, vm_ops);
	if (rc)
		p_lib_err();
	else
		print_plan(&plan, dry, true);
	kfaas_plan_free(&plan);
	kfaas_state_close(&st);
	kfaas_conf_free(&conf);
	return rc ? -1 : 0;
}

int do_export(int argc, char **argv)
{
	struct kfaas_state st;
	struct kfaas_conf conf;
	FILE *out = stdout;
	int rc;

	if (argc > 0 && !strcmp(argv[0], "help")) {
		if (help_json())
			return 0;
		fprintf(stderr, "Usage: %s export [FILE]\n\nWrites the running "
			"functions and routes as a configuration that\n'%s apply' "
			"reads back (to FILE, or standard output).\n", bin_name,
			bin_name);
		return 0;
	}
	if (argc > 1)
		return p_err("unexpected '%s': usage: %s export [FILE]", argv[1],
			     bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_conf_current(&st, &conf);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (argc == 1 && !(out = fopen(argv[0], "w"))) {
		kfaas_conf_free(&conf);
		return p_err("cannot write %s: %m", argv[0]);
	}
	rc = kfaas_conf_emit(out, &conf);
	if (out != stdout && fclose(out))
		rc = -1;
	kfaas_conf_free(&conf);
	if (rc)
		return p_lib_err();
	if (out != stdout)
		json_print_ok();
	return 0;
}
