// SPDX-License-Identifier: GPL-2.0
/*
 * The declarative configuration (kfaas.conf(5)) in the daemon: applied at
 * start and on SIGHUP.  The same plan as `kfaas apply`, with VM-tier
 * functions created and unloaded here directly.  An unchanged file
 * changes nothing, so a reload drops no traffic; a bad file changes
 * nothing either (all or nothing) and the daemon carries on.
 */
#include <errno.h>
#include <unistd.h>
#include "kfaasd.h"
#include <kfaas_conf.h>

static int vm_create(void *ctx, const char *name, const char *exe,
		     const struct kfaas_vm_params *p)
{
	char why[600];
	struct fn *f;
	int rc;

	(void)ctx;
	rc = fn_create(name, exe, p, &f, why, sizeof(why));
	return rc ? kfaas_err(rc, "%s", why) : 0;
}

static int vm_unload(void *ctx, const char *name)
{
	char why[600];
	int rc;

	(void)ctx;
	rc = fn_unload(name, why, sizeof(why));
	return rc ? kfaas_err(rc, "%s", why) : 0;
}

void config_apply(void)
{
	static const struct kfaas_apply_ops ops = {
		.vm_create = vm_create,
		.vm_unload = vm_unload,
	};
	struct kfaas_state st;
	struct kfaas_plan plan;
	struct kfaas_conf conf;
	size_t i;
	int rc;

	if (!cfg.config || access(cfg.config, F_OK))
		return;
	if (kfaas_conf_load(cfg.config, &conf)) {
		err("configuration not applied: %s", kfaas_errmsg());
		return;
	}
	rc = kfaas_state_open(&st, cfg.pin_root, KFAAS_OPEN_LOCK);
	if (!rc)
		rc = kfaas_plan_make(&st, &conf, &ops, &plan);
	if (!rc) {
		rc = kfaas_plan_apply(&st, &conf, &plan, &ops);
		for (i = 0; !rc && i < plan.n; i++)
			info("%s: %s", cfg.config, plan.acts[i].text);
		if (!rc)
			info("%s: applied (%zu changes)", cfg.config, plan.n);
		kfaas_plan_free(&plan);
	}
	if (rc)
		err("configuration %s not applied: %s", cfg.config, kfaas_errmsg());
	kfaas_state_close(&st);
	kfaas_conf_free(&conf);
}
