// SPDX-License-Identifier: GPL-2.0
/*
 * Applying the declarative configuration (kfaas.conf(5)) in the daemon, at
 * start and on SIGHUP.  The same all-or-nothing apply as `kfaas apply`
 * (user/lib/apply.c), in-process: the apply registers VM-tier functions
 * under the pin-root lock and kfaasd adopts them from the registry at
 * once (conf_apply_ops).  An unchanged file changes nothing, so a reload
 * drops no traffic; a bad file changes nothing either and the daemon
 * carries on.  The cluster agent (cluster_node.c) applies through the same
 * ops.
 */
#include <errno.h>
#include <unistd.h>
#include "kfaasd.h"
#include <kfaas_conf.h>

/*
 * Phase two, in-process: adopt the functions now (image, pool).  Their
 * VMs boot afterwards, in the event loop, which the apply holds: only an
 * executable kfaasd cannot run fails the apply here.
 */
static int adopt(void *ctx, const struct kfaas_fn_info *fns, size_t n)
{
	char why[600];
	size_t i;

	(void)ctx;
	fns_sync();
	for (i = 0; i < n; i++) {
		struct fn *f = fn_by_name(fns[i].name);

		if (!f || f->load_time != fns[i].load_time)
			return kfaas_err(-ENOENT, "kfaasd did not adopt VM-tier "
					 "function '%s'", fns[i].name);
		if (f->pool.broken[0])
			return kfaas_err(-EIO, "kfaasd cannot run VM-tier function "
					 "'%s': %s", f->name, f->pool.broken);
		if (image_check_exec(f->source, why, sizeof(why)))
			return kfaas_err(-EINVAL, "%s", why);
	}
	return 0;
}

static void resync(void *ctx)
{
	(void)ctx;
	fns_sync();
	listen_refresh();
	sk_refresh();
}

const struct kfaas_apply_ops conf_apply_ops = {
	.ready = adopt,
	.synced = resync,
};

int conf_apply(void)
{
	struct kfaas_state st;
	struct kfaas_plan plan;
	struct kfaas_conf conf;
	size_t i;
	int rc;

	if (!opts.conf_path || access(opts.conf_path, F_OK))
		return 0;
	if (kfaas_conf_load(opts.conf_path, &conf)) {
		err("configuration not applied: %s", kfaas_errmsg());
		return -EINVAL;
	}
	rc = kfaas_state_open(&st, opts.pin_root, KFAAS_OPEN_TRYLOCK);
	if (rc == -EAGAIN) {
		info("%s: the pin root is busy, applying it later", opts.conf_path);
		kfaas_conf_free(&conf);
		return rc;
	}
	if (!rc)
		rc = kfaas_plan_make(&st, &conf, &conf_apply_ops, &plan);
	if (!rc) {
		rc = kfaas_plan_apply(&st, &conf, &plan, &conf_apply_ops);
		for (i = 0; !rc && i < plan.n; i++)
			info("%s: %s", opts.conf_path, plan.acts[i].text);
		if (!rc)
			info("%s: applied (%zu changes)", opts.conf_path, plan.n);
		kfaas_plan_free(&plan);
	}
	if (rc)
		err("configuration %s not applied: %s", opts.conf_path, kfaas_errmsg());
	kfaas_state_close(&st);
	kfaas_conf_free(&conf);
	return rc;
}
