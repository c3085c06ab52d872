// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.ko: per-function accounting and token-bucket budgets for the
 * kfaas eBPF tiers (through kfuncs) and for every other tier (through
 * /dev/kfaas).  See docs/module.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include "kfaas.h"

#ifndef CONFIG_DEBUG_INFO_BTF_MODULES
#error "kfaas.ko's kfuncs need a kernel with CONFIG_DEBUG_INFO_BTF_MODULES"
#endif
#if BITS_PER_LONG != 64
#error "kfaas.ko keeps 64-bit per-CPU counters without locks: 64-bit only"
#endif

/*
 * Userspace learns that the kfuncs exist from /sys/kernel/btf/kfaas.  The
 * kernel loads a module even when it cannot create that file (it only
 * warns, e.g. when an allocation fails), which would leave a module whose
 * kfuncs nobody uses: fail the load instead, so that it can be retried.
 */
static bool __init kfaas_btf_published(void)
{
	struct kernfs_node *dir, *file = NULL;

	dir = sysfs_get_dirent(kernel_kobj->sd, "btf");
	if (dir) {
		file = sysfs_get_dirent(dir, KFAAS_MOD_NAME);
		sysfs_put(dir);
	}
	if (!file)
		return false;
	sysfs_put(file);
	return true;
}

static int __init kfaas_init(void)
{
	int rc;

	/* without module BTF the kfuncs would silently not exist: refuse */
	if (!THIS_MODULE->btf_data_size) {
		pr_err("this kfaas.ko has no BTF: rebuild it with 'make kmod' (see docs/module.md)\n");
		return -ENOEXEC;
	}
	if (!kfaas_btf_published()) {
		pr_err("the kernel could not publish the module's BTF in /sys/kernel/btf (out of memory?): not loading, try again\n");
		return -ENOMEM;
	}
	rc = kfaas_fns_init();
	if (rc)
		return rc;
	rc = kfaas_kfuncs_init();
	if (rc) {
		pr_err("cannot register the kfuncs (%d)\n", rc);
		goto err_fns;
	}
	rc = kfaas_proc_init();
	if (rc)
		goto err_fns;
	rc = kfaas_dev_init();
	if (rc)
		goto err_proc;
	return 0;

err_proc:
	kfaas_proc_exit();
err_fns:
	kfaas_fns_exit();
	return rc;
}

static void __exit kfaas_exit(void)
{
	kfaas_dev_exit();
	kfaas_proc_exit();
	kfaas_fns_exit();
}

module_init(kfaas_init);
module_exit(kfaas_exit);

MODULE_DESCRIPTION("kfaas: per-function accounting and budgets for eBPF functions");
MODULE_AUTHOR("The kfaas authors");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
