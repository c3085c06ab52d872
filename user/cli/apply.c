// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas apply FILE [--dry-run]: make functions and routes match a
 *                               configuration (kfaas.conf(5)), all or nothing
 * kfaas export [FILE]:          write the running state as a configuration
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include <kfaas_conf.h>
#include <kfaas_ctlproto.h>

static void print_plan(const struct kfaas_plan *p, bool dry, bool ok)
{
	size_t i;

	if (json_output) {
		json_object *o = json_object_new_object();
		json_object *a = json_object_new_array();

		for (i = 0; i < p->n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "action", json_object_new_string(
				kfaas_action_name(p->acts[i].kind)));
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

/*
 * Phase two of VM-tier changes: kfaasd re-reads the registry the apply
 * wrote and says when each function can serve, while the apply holds the
 * pin-root lock (kfaasd needs none for this).
 */
static int daemon_ready(void *ctx, const struct kfaas_fn_info *fns, size_t n)
{
	struct kfaas_daemon d;
	json_object *resp = NULL;
	size_t i;
	int rc = kfaas_daemon_open(&d, ctx);

	if (rc)
		return kfaas_err(rc, "VM-tier functions need kfaasd, which does "
				 "not answer: %s", kfaas_errmsg());
	rc = kfaas_daemon_call(&d, kfaas_ctl_req_new(KFAAS_CTL_RELOAD, NULL), &resp);
	json_object_put(resp);
	for (i = 0; !rc && i < n; i++)
		rc = kfaas_daemon_wait(&d, fns[i].name, fns[i].load_time);
	kfaas_daemon_close(&d);
	return rc;
}

static void daemon_synced(void *ctx)
{
	kfaas_daemon_notify(ctx);
}

int do_apply(int argc, char **argv)
{
	const char *file = NULL;
	struct kfaas_state st;
	struct kfaas_apply_ops ops = { .ready = daemon_ready,
				       .synced = daemon_synced };
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
				"changes and applies none.  Exit status 3: the\n"
				"apply failed and could not be undone (the next\n"
				"command that changes the state finishes it).\n",
				bin_name);
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
	if (cluster_on())
		return cluster_apply(file, dry);
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
	if (rc == -ENOTRECOVERABLE)
		exit_status = EXIT_INCONSISTENT;
	if (rc)
		p_lib_err();
	else
		print_plan(&plan, dry, true);
	kfaas_plan_free(&plan);
	kfaas_state_close(&st);
	kfaas_conf_free(&conf);
	return rc ? -1 : 0;
}

/* The cluster's configuration, to FILE or standard output. */
static int export_cluster(const char *file)
{
	FILE *out = file ? fopen(file, "w") : stdout;
	int rc;

	if (!out)
		return p_err("cannot write %s: %m", file);
	rc = cluster_export(out);
	if (out != stdout && fclose(out) && !rc)
		rc = p_err("cannot write %s: %m", file);
	if (!rc && out != stdout)
		json_print_ok();
	return rc;
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
	if (cluster_on())
		return export_cluster(argc ? argv[0] : NULL);
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
