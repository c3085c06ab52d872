// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/kfaas (misc, mode 0600).  Every ioctl also
 * requires CAP_SYS_ADMIN, or CAP_BPF with CAP_NET_ADMIN.  The ioctl ABI is
 * in include/kfaas/abi.h: unknown commands are -ENOTTY; a wrong size (in
 * the command or the structure), a non-zero reserved field or flag, or an
 * id out of range is -EINVAL; a bad pointer is -EFAULT.
 *
 * Nothing uninitialised is copied out: every structure copied to userspace
 * is either zeroed (memset, kcalloc) and filled, or the caller's own copy
 * whose reserved fields were checked to be zero, with its output fields
 * overwritten in full; and none has implicit padding (asserted in
 * include/kfaas/abi.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "kfaas.h"

static bool kfaas_capable(void)
{
	return capable(CAP_SYS_ADMIN) ||
	       (capable(CAP_BPF) && capable(CAP_NET_ADMIN));
}

/* Copy in an argument whose first word is its size; check it. */
static int arg_in(void *karg, size_t size, void __user *uarg)
{
	if (copy_from_user(karg, uarg, size))
		return -EFAULT;
	if (*(u32 *)karg != size)
		return -EINVAL;
	return 0;
}

static long ioc_version(void __user *uarg)
{
	struct kfaas_ioc_version v;
	int rc = arg_in(&v, sizeof(v), uarg);

	if (rc)
		return rc;
	if (v.abi_version || v.max_funcs || v.nr_funcs || v.reserved[0] ||
	    v.reserved[1])
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.abi_version = KFAAS_IOC_ABI_VERSION;
	v.max_funcs = KFAAS_MOD_MAX_FUNCS;
	v.nr_funcs = kfaas_fn_count();
	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long ioc_fn(unsigned int nr, void __user *uarg)
{
	struct kfaas_ioc_fn f;
	int rc = arg_in(&f, sizeof(f), uarg);

	if (rc)
		return rc;
	if (f.flags || f.reserved || !kfaas_id_valid(f.id))
		return -EINVAL;
	switch (nr) {
	case _IOC_NR(KFAAS_IOC_FN_REGISTER):
		return kfaas_fn_register(f.id, &f.limits);
	case _IOC_NR(KFAAS_IOC_FN_UNREGISTER):
		return kfaas_fn_unregister(f.id);
	case _IOC_NR(KFAAS_IOC_FN_SET_LIMITS):
		return kfaas_fn_set_limits(f.id, &f.limits);
	default:	/* KFAAS_IOC_FN_GET */
		rc = kfaas_fn_get_limits(f.id, &f.limits);
		if (rc)
			return rc;
		return copy_to_user(uarg, &f, sizeof(f)) ? -EFAULT : 0;
	}
}

static long ioc_stats(void __user *uarg)
{
	struct kfaas_ioc_stats s;
	int rc = arg_in(&s, sizeof(s), uarg);

	if (rc)
		return rc;
	if (s.reserved || !kfaas_id_valid(s.id))
		return -EINVAL;
	rc = kfaas_fn_read(s.id, &s.stats);
	if (rc)
		return rc;
	return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long ioc_batch(void __user *uarg)
{
	struct kfaas_stats_entry *ents;
	struct kfaas_ioc_stats_batch b;
	struct kfaas_stats_entry __user *out;
	u32 id, n = 0, max;
	int rc = arg_in(&b, sizeof(b), uarg);

	if (rc)
		return rc;
	if (b.reserved || b.count || b.next_id ||
	    b.start_id >= KFAAS_MOD_MAX_FUNCS)
		return -EINVAL;
	out = u64_to_user_ptr(b.entries);
	max = min_t(u32, b.max_entries, KFAAS_IOC_BATCH_MAX);
	ents = kcalloc(max ? max : 1, sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	id = kfaas_fn_next(b.start_id);
	while (id && n < max) {
		if (kfaas_fn_read(id, &ents[n].stats) == 0) {
			ents[n].id = id;
			n++;
		}
		id = id + 1 < KFAAS_MOD_MAX_FUNCS ? kfaas_fn_next(id + 1) : 0;
	}
	b.count = n;
	b.next_id = id;
	rc = 0;
	if (n && copy_to_user(out, ents, n * sizeof(*ents)))
		rc = -EFAULT;
	else if (copy_to_user(uarg, &b, sizeof(b)))
		rc = -EFAULT;
	kfree(ents);
	return rc;
}

static long ioc_charge(void __user *uarg)
{
	struct kfaas_ioc_charge c;
	int rc = arg_in(&c, sizeof(c), uarg);

	if (rc)
		return rc;
	if (c.reserved || !kfaas_id_valid(c.id))
		return -EINVAL;
	return kfaas_fn_charge(c.id, &c.delta);
}

static long ioc_reset(void __user *uarg)
{
	struct kfaas_ioc_reset r;
	int rc = arg_in(&r, sizeof(r), uarg);

	if (rc)
		return rc;
	if (r.reserved || (r.id && !kfaas_id_valid(r.id)))	/* id 0: all */
		return -EINVAL;
	return kfaas_fn_reset(r.id);
}

/* The command's direction and size must be exactly the ABI's. */
static bool cmd_is(unsigned int cmd, unsigned int want)
{
	return cmd == want;
}

static long kfaas_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != KFAAS_IOC_MAGIC ||
	    nr < _IOC_NR(KFAAS_IOC_VERSION) || nr > _IOC_NR(KFAAS_IOC_RESET))
		return -ENOTTY;
	if (!kfaas_capable())
		return -EPERM;
	switch (nr) {
	case _IOC_NR(KFAAS_IOC_VERSION):
		if (!cmd_is(cmd, KFAAS_IOC_VERSION))
			return -EINVAL;
		return ioc_version(uarg);
	case _IOC_NR(KFAAS_IOC_FN_REGISTER):
	case _IOC_NR(KFAAS_IOC_FN_UNREGISTER):
	case _IOC_NR(KFAAS_IOC_FN_SET_LIMITS):
	case _IOC_NR(KFAAS_IOC_FN_GET):
		if (_IOC_SIZE(cmd) != sizeof(struct kfaas_ioc_fn) ||
		    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -EINVAL;
		return ioc_fn(nr, uarg);
	case _IOC_NR(KFAAS_IOC_STATS_GET):
		if (!cmd_is(cmd, KFAAS_IOC_STATS_GET))
			return -EINVAL;
		return ioc_stats(uarg);
	case _IOC_NR(KFAAS_IOC_STATS_BATCH):
		if (!cmd_is(cmd, KFAAS_IOC_STATS_BATCH))
			return -EINVAL;
		return ioc_batch(uarg);
	case _IOC_NR(KFAAS_IOC_CHARGE):
		if (!cmd_is(cmd, KFAAS_IOC_CHARGE))
			return -EINVAL;
		return ioc_charge(uarg);
	default:	/* KFAAS_IOC_RESET */
		if (!cmd_is(cmd, KFAAS_IOC_RESET))
			return -EINVAL;
		return ioc_reset(uarg);
	}
}

static const struct file_operations kfaas_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kfaas_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kfaas_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KFAAS_MOD_NAME,
	.fops	= &kfaas_fops,
	.mode	= 0600,
};

int kfaas_dev_init(void)
{
	return misc_register(&kfaas_misc);
}

void kfaas_dev_exit(void)
{
	misc_deregister(&kfaas_misc);
}
