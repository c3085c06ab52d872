// SPDX-License-Identifier: GPL-2.0
/*
 * The kfaas.ko client: is the module there, the flag the loader gives BPF
 * programs, and the ioctls of /dev/kfaas (include/kfaas/abi.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <libkfaas.h>
#include "internal.h"

static int forced_flag = -1;

bool kfaas_module_present(void)
{
	return access(KFAAS_MOD_BTF, F_OK) == 0;
}

__u32 kfaas_module_flag(void)
{
	if (forced_flag >= 0)
		return (__u32)forced_flag;
	return kfaas_module_present();
}

void kfaas_module_force_flag(int flag)
{
	forced_flag = flag;
}

/* devtmpfs makes the node; without it, make it from sysfs. */
static int mknod_dev(void)
{
	unsigned int maj, min;
	FILE *f = fopen("/sys/class/misc/" KFAAS_MOD_NAME "/dev", "r");
	int n;

	if (!f)
		return -ENOENT;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return -EINVAL;
	if (mknod(KFAAS_MOD_DEV, S_IFCHR | 0600, makedev(maj, min)) &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

int kfaas_mod_open(void)
{
	int fd = open(KFAAS_MOD_DEV, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT && mknod_dev() == 0)
		fd = open(KFAAS_MOD_DEV, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	rc = -errno;
	if (rc == -ENOENT || rc == -ENXIO || rc == -ENODEV)
		return kfaas_err(-ENOENT, "kfaas.ko is not loaded: 'kfaas module "
				 "load' loads it");
	return kfaas__errno_msg(rc, KFAAS_MOD_DEV);
}

int kfaas_state_mod_fd(struct kfaas_state *st)
{
	if (st->mod_fd >= 0)
		return st->mod_fd;
	if (!kfaas_module_present())
		return kfaas_err(-ENOENT, "kfaas.ko is not loaded: 'kfaas module "
				 "load' loads it");
	st->mod_fd = kfaas_mod_open();
	return st->mod_fd;
}

int kfaas_mod_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	int rc;

	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	rc = -errno;
	switch (rc) {
	case -EPERM:
	case -EACCES:
		return kfaas_err(rc, "%s: permission denied: /dev/kfaas needs "
				 "root with CAP_SYS_ADMIN, or CAP_BPF and "
				 "CAP_NET_ADMIN", what);
	case -ENOTTY:
		return kfaas_err(rc, "%s: kfaas.ko does not know this request: "
				 "load the kfaas.ko built with this kfaas", what);
	default:
		return kfaas_err(rc, "%s: %s", what, strerror(-rc));
	}
}

int kfaas_mod_version(int fd, struct kfaas_ioc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kfaas_mod_ioctl(fd, KFAAS_IOC_VERSION, v, "kfaas.ko version");
}

static int fn_ioctl(int fd, unsigned long cmd, __u32 id,
		    const struct kfaas_limits *l, struct kfaas_limits *out,
		    const char *what)
{
	struct kfaas_ioc_fn f = { .size = sizeof(f), .id = id };
	int rc;

	if (l)
		f.limits = *l;
	rc = kfaas_mod_ioctl(fd, cmd, &f, what);
	if (!rc && out)
		*out = f.limits;
	return rc;
}

int kfaas_mod_fn_register(int fd, __u32 id, const struct kfaas_limits *l)
{
	return fn_ioctl(fd, KFAAS_IOC_FN_REGISTER, id, l, NULL,
			"registering the function with kfaas.ko");
}

int kfaas_mod_fn_unregister(int fd, __u32 id)
{
	return fn_ioctl(fd, KFAAS_IOC_FN_UNREGISTER, id, NULL, NULL,
			"unregistering the function from kfaas.ko");
}

int kfaas_mod_fn_set_limits(int fd, __u32 id, const struct kfaas_limits *l)
{
	return fn_ioctl(fd, KFAAS_IOC_FN_SET_LIMITS, id, l, NULL,
			"setting the budget in kfaas.ko");
}

int kfaas_mod_fn_get(int fd, __u32 id, struct kfaas_limits *l)
{
	return fn_ioctl(fd, KFAAS_IOC_FN_GET, id, NULL, l,
			"reading the budget from kfaas.ko");
}

int kfaas_mod_stats(int fd, __u32 id, struct kfaas_stats *s)
{
	struct kfaas_ioc_stats a = { .size = sizeof(a), .id = id };
	int rc = kfaas_mod_ioctl(fd, KFAAS_IOC_STATS_GET, &a,
				 "reading counters from kfaas.ko");

	if (!rc)
		*s = a.stats;
	return rc;
}

int kfaas_mod_stats_all(int fd, struct kfaas_stats_entry **out, size_t *n)
{
	struct kfaas_stats_entry *arr = NULL, *tmp;
	struct kfaas_ioc_stats_batch b;
	size_t cnt = 0, cap = 0;
	__u32 start = 1;
	int rc;

	do {
		if (cap - cnt < 256) {
			cap += 256;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				free(arr);
				return kfaas_err(-ENOMEM, "out of memory");
			}
			arr = tmp;
		}
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.start_id = start;
		b.max_entries = (__u32)(cap - cnt);
		b.entries = (__u64)(unsigned long)(arr + cnt);
		rc = kfaas_mod_ioctl(fd, KFAAS_IOC_STATS_BATCH, &b,
				     "reading counters from kfaas.ko");
		if (rc) {
			free(arr);
			return rc;
		}
		cnt += b.count;
		start = b.next_id;
	} while (start);
	*out = arr;
	*n = cnt;
	return 0;
}

int kfaas_mod_charge(int fd, __u32 id, const struct kfaas_stats *d)
{
	struct kfaas_ioc_charge c = { .size = sizeof(c), .id = id,
				      .delta = *d };

	return kfaas_mod_ioctl(fd, KFAAS_IOC_CHARGE, &c,
			       "charging usage to kfaas.ko");
}

int kfaas_mod_reset(int fd, __u32 id)
{
	struct kfaas_ioc_reset r = { .size = sizeof(r), .id = id };

	return kfaas_mod_ioctl(fd, KFAAS_IOC_RESET, &r,
			       "resetting counters in kfaas.ko");
}

void kfaas__read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int kfaas_module_status(struct kfaas_module_status *s)
{
	char buf[64];
	int fd;

	memset(s, 0, sizeof(*s));
	s->refcnt = -1;
	s->loaded = access(KFAAS_MOD_SYSFS, F_OK) == 0;
	s->btf = kfaas_module_present();
	if (!s->loaded)
		return 0;
	kfaas__read_line(KFAAS_MOD_SYSFS "/refcnt", buf, sizeof(buf));
	if (buf[0])
		s->refcnt = atoi(buf);
	kfaas__read_line(KFAAS_MOD_SYSFS "/srcversion", s->srcversion,
		  sizeof(s->srcversion));
	fd = kfaas_mod_open();
	if (fd < 0)
		return fd;
	s->device = kfaas_mod_version(fd, &s->version) == 0;
	close(fd);
	return s->device ? 0 : -EIO;
}
