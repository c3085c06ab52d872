// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kfaas ioctl ABI against the real module (run in the guest with
 * kfaas.ko loaded): every command, its negative cases (-ENOTTY, -EINVAL
 * for bad sizes, reserved fields and ids, -EFAULT), fully initialised
 * output, the batch read, userspace charging, reset, /proc/kfaas, and the
 * permission checks: an unprivileged user cannot open /dev/kfaas or
 * /proc/kfaas, and every ioctl is -EPERM without CAP_SYS_ADMIN or
 * CAP_BPF + CAP_NET_ADMIN in the initial user namespace, also on a
 * descriptor root opened and handed down.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "ktap.h"
#include "libkfaas.h"

static int dev;

/* ioctl returning 0 or -errno */
static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static struct kfaas_ioc_fn fnarg(__u32 id)
{
	struct kfaas_ioc_fn f = { .size = sizeof(f), .id = id };

	return f;
}

static void test_version(void)
{
	struct kfaas_ioc_version v;
	struct stat s;

	KTAP_EXPECT_EQ(stat(KFAAS_MOD_DEV, &s) == 0 && (s.st_mode & 0777) == 0600 &&
		       S_ISCHR(s.st_mode), 1, "/dev/kfaas is a character device, mode 0600");
	memset(&v, 0xaa, sizeof(v));
	v.size = sizeof(v);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_VERSION, &v), -EINVAL,
		       "VERSION with non-zero output fields: -EINVAL");
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_VERSION, &v), 0, "VERSION answers");
	KTAP_EXPECT_EQ(v.abi_version, KFAAS_IOC_ABI_VERSION, "ioctl ABI version");
	KTAP_EXPECT_EQ(v.max_funcs, KFAAS_MOD_MAX_FUNCS, "max functions 65536");
	KTAP_EXPECT_EQ(v.reserved[0] | v.reserved[1], 0, "reserved output is zero");
}

static void test_negative(void)
{
	struct kfaas_ioc_version v = { .size = sizeof(v) };
	struct kfaas_ioc_fn f = fnarg(10);
	struct kfaas_ioc_stats_batch b;
	struct kfaas_ioc_stats st;

	KTAP_EXPECT_EQ(ioc(dev, _IOWR(KFAAS_IOC_MAGIC, 99, struct kfaas_ioc_version), &v),
		       -ENOTTY, "unknown command number: -ENOTTY");
	KTAP_EXPECT_EQ(ioc(dev, _IOWR('x', 1, struct kfaas_ioc_version), &v),
		       -ENOTTY, "another driver's magic: -ENOTTY");
	KTAP_EXPECT_EQ(ioc(dev, _IOWR(KFAAS_IOC_MAGIC, 2, struct kfaas_ioc_version), &f),
		       -EINVAL, "REGISTER with the wrong size in the command: -EINVAL");
	KTAP_EXPECT_EQ(ioc(dev, _IOW(KFAAS_IOC_MAGIC, 1, struct kfaas_ioc_version), &v),
		       -EINVAL, "VERSION with the wrong direction: -EINVAL");
	f.size = sizeof(f) - 8;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "size field smaller than the structure: -EINVAL");
	f.size = sizeof(f) + 8;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "size field larger than the structure: -EINVAL");
	f = fnarg(10);
	f.reserved = 1;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "non-zero reserved field: -EINVAL");
	f = fnarg(10);
	f.flags = 1;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "unknown flag: -EINVAL");
	f = fnarg(0);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL, "id 0: -EINVAL");
	f = fnarg(KFAAS_MOD_MAX_FUNCS);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "id 65536: -EINVAL");
	f = fnarg(10);
	f.limits.rps_burst = 5;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "a burst without a rate: -EINVAL");
	f = fnarg(10);
	f.limits.rps = 2000000000000000ULL;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EINVAL,
		       "a rate above 1e15/s: -EINVAL");
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_VERSION, (void *)8), -EFAULT,
		       "bad argument pointer: -EFAULT");
	f = fnarg(KFAAS_MOD_MAX_FUNCS - 1);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), 0, "id 65535 registers");
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.start_id = 1;
	b.max_entries = 4;
	b.entries = 8;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_STATS_BATCH, &b), -EFAULT,
		       "batch into a bad user buffer: -EFAULT");
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_REGISTER, &f), -EEXIST,
		       "registering twice: -EEXIST");
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_UNREGISTER, &f), 0, "unregister");
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_UNREGISTER, &f), -ENOENT,
		       "unregistering an unknown id: -ENOENT");
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.id = 11;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_STATS_GET, &st), -ENOENT,
		       "counters of an unknown id: -ENOENT");
	f = fnarg(11);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_SET_LIMITS, &f), -ENOENT,
		       "budget of an unknown id: -ENOENT");
}

static void test_charge_batch(void)
{
	struct kfaas_stats_entry ents[300];
	struct kfaas_ioc_stats_batch b;
	struct kfaas_ioc_charge c;
	struct kfaas_ioc_reset r;
	struct kfaas_ioc_stats st;
	struct kfaas_ioc_fn f;
	int i, ok = 1, n = 0, calls = 0, errs = 0;
	__u32 start = 1;

	for (i = 100; i < 400; i++) {
		f = fnarg(i);
		f.limits.rps = i;
		if (ioc(dev, KFAAS_IOC_FN_REGISTER, &f))
			ok = 0;
	}
	KTAP_EXPECT_EQ(ok, 1, "register 300 functions with budgets");
	f = fnarg(150);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_FN_GET, &f) == 0 && f.limits.rps == 150 &&
		       f.flags == 0 && f.reserved == 0, 1, "GET returns the budget");
	for (i = 100; i < 400; i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.id = i;
		c.delta.invocations = i;
		c.delta.bytes_in = 2 * i;
		c.delta.cpu_ns = 3 * i;
		c.delta.errors = 1;
		if (ioc(dev, KFAAS_IOC_CHARGE, &c))
			errs++;
	}
	KTAP_EXPECT_EQ(errs, 0, "CHARGE from userspace");
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.id = 222;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_STATS_GET, &st) == 0 &&
		       st.stats.invocations == 222 && st.stats.bytes_in == 444 &&
		       st.stats.cpu_ns == 666 && st.stats.errors == 1 &&
		       st.stats.drops == 0 && st.reserved == 0, 1,
		       "STATS_GET shows exactly what was charged");
	memset(ents, 0xaa, sizeof(ents));
	do {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.start_id = start;
		b.max_entries = 300 - n;
		b.entries = (__u64)(unsigned long)(ents + n);
		if (ioc(dev, KFAAS_IOC_STATS_BATCH, &b))
			break;
		n += b.count;
		start = b.next_id;
		calls++;
	} while (start && n < 300);
	KTAP_EXPECT_EQ(n, 300, "batch read returns every registered function");
	KTAP_EXPECT_EQ(calls >= 2, 1, "batches continue at next_id");
	for (i = 0; i < n; i++)
		if (ents[i].id != (__u32)(100 + i) || ents[i].reserved ||
		    ents[i].stats.invocations != ents[i].id ||
		    ents[i].stats.throttled != 0)
			ok = 0;
	KTAP_EXPECT_EQ(ok, 1, "batch entries in id order, exact, reserved zero");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.id = 222;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_RESET, &r) == 0 &&
		       ioc(dev, KFAAS_IOC_STATS_GET, &st) == 0 &&
		       st.stats.invocations == 0 && st.stats.cpu_ns == 0, 1,
		       "RESET zeroes one function");
	r.id = 0;
	st.id = 333;
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_RESET, &r) == 0 &&
		       ioc(dev, KFAAS_IOC_STATS_GET, &st) == 0 &&
		       st.stats.invocations == 0, 1, "RESET of id 0 zeroes all");
}

static void test_proc(void)
{
	char line[512];
	int found = 0, header = 0;
	FILE *f = fopen("/proc/kfaas", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;
			unsigned long long inv, rps;

			if (!strncmp(line, "id invocations", 14))
				header = 1;
			if (sscanf(line, "%u %llu %*u %*u %*u %*u %*u %*u %*u %llu",
				   &id, &inv, &rps) == 3 && id == 150 && rps == 150)
				found = 1;
		}
		fclose(f);
	}
	KTAP_EXPECT_EQ(header && found, 1, "/proc/kfaas lists functions and budgets");
}

static void unregister_all(void)
{
	struct kfaas_ioc_fn f;
	int i;

	for (i = 100; i < 400; i++) {
		f = fnarg(i);
		ioc(dev, KFAAS_IOC_FN_UNREGISTER, &f);
	}
}

/* Drop the named capabilities from the effective set (raw capset). */
static int drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int i;

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (i = 0; i < n; i++)
		d[caps[i] / 32].effective &= ~(1U << (caps[i] % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* The nine ioctls, each with a well-formed argument for function 500. */
#define NIOC	9
static void all_ioctls(int fd, int res[NIOC])
{
	struct kfaas_ioc_version v = { .size = sizeof(v) };
	struct kfaas_ioc_fn f = fnarg(500);
	struct kfaas_ioc_stats st = { .size = sizeof(st), .id = 500 };
	struct kfaas_ioc_stats_batch b = { .size = sizeof(b) };
	struct kfaas_ioc_charge c = { .size = sizeof(c), .id = 500 };
	struct kfaas_ioc_reset r = { .size = sizeof(r), .id = 500 };
	int i = 0;

	f.limits.rps = 10;
	res[i++] = ioc(fd, KFAAS_IOC_VERSION, &v);
	res[i++] = ioc(fd, KFAAS_IOC_FN_REGISTER, &f);
	res[i++] = ioc(fd, KFAAS_IOC_FN_SET_LIMITS, &f);
	res[i++] = ioc(fd, KFAAS_IOC_FN_GET, &f);
	res[i++] = ioc(fd, KFAAS_IOC_STATS_GET, &st);
	res[i++] = ioc(fd, KFAAS_IOC_STATS_BATCH, &b);
	res[i++] = ioc(fd, KFAAS_IOC_CHARGE, &c);
	res[i++] = ioc(fd, KFAAS_IOC_RESET, &r);
	res[i++] = ioc(fd, KFAAS_IOC_FN_UNREGISTER, &f);
}

enum how {
	OWN_OPEN,	/* open /dev/kfaas after dropping */
	INHERIT,	/* use an fd root opened before dropping */
	INHERIT_USERNS,	/* ... from a new user namespace (caps only there) */
};

/*
 * In a child: drop caps (and maybe the uid), then the nine ioctls.  res:
 * their results (0 or -errno), or res[0] = 1000 + errno of the open,
 * 2000 + errno of the setup.
 */
static void try_as(const int *caps, int n, int uid, enum how how, int res[NIOC])
{
	int pfd[2], status, i;
	pid_t pid;

	for (i = 0; i < NIOC; i++)
		res[i] = -9999;
	if (pipe(pfd))
		return;
	pid = fork();
	if (pid == 0) {
		int fd = how == OWN_OPEN ? -1 : dev, r[NIOC] = { 0 };

		close(pfd[0]);
		if ((uid >= 0 && setuid(uid)) || (n && drop_caps(caps, n)) ||
		    (how == INHERIT_USERNS && unshare(CLONE_NEWUSER)))
			r[0] = 2000 + errno;
		else if (how == OWN_OPEN && (fd = open(KFAAS_MOD_DEV, O_RDWR)) < 0)
			r[0] = 1000 + errno;
		else
			all_ioctls(fd, r);
		_exit(write(pfd[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], res, sizeof(int) * NIOC) != sizeof(int) * NIOC)
		res[0] = -9999;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static int count_eq(const int res[NIOC], int want)
{
	int i, n = 0;

	for (i = 0; i < NIOC; i++)
		n += res[i] == want;
	return n;
}

/* An unprivileged user opening path with flags: 0 or errno. */
static int open_as_nobody(const char *path, int flags)
{
	pid_t pid = fork();
	int status, fd;

	if (pid == 0) {
		if (setuid(65534))
			_exit(100);
		fd = open(path, flags);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_permissions(void)
{
	const int all3[] = { CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN };
	const int sysadm[] = { CAP_SYS_ADMIN };
	const int sysadm_net[] = { CAP_SYS_ADMIN, CAP_NET_ADMIN };
	const int sysadm_bpf[] = { CAP_SYS_ADMIN, CAP_BPF };
	const int bpf_net[] = { CAP_BPF, CAP_NET_ADMIN };
	struct kfaas_ioc_version v = { .size = sizeof(v) };
	int res[NIOC], before;

	KTAP_EXPECT_EQ(open_as_nobody(KFAAS_MOD_DEV, O_RDWR) == EACCES &&
		       open_as_nobody(KFAAS_MOD_DEV, O_RDONLY) == EACCES &&
		       open_as_nobody(KFAAS_MOD_DEV, O_WRONLY) == EACCES, 1,
		       "an unprivileged user cannot open /dev/kfaas (read, write or both)");
	KTAP_EXPECT_EQ(open_as_nobody("/proc/kfaas", O_RDONLY), EACCES,
		       "an unprivileged user cannot read /proc/kfaas");
	ioc(dev, KFAAS_IOC_VERSION, &v);
	before = (int)v.nr_funcs;
	try_as(all3, 3, -1, OWN_OPEN, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM), NIOC,
		       "root without CAP_SYS_ADMIN/CAP_BPF/CAP_NET_ADMIN: -EPERM on every ioctl");
	try_as(sysadm_net, 2, -1, OWN_OPEN, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM), NIOC,
		       "CAP_BPF alone: -EPERM on every ioctl");
	try_as(sysadm_bpf, 2, -1, OWN_OPEN, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM), NIOC,
		       "CAP_NET_ADMIN alone: -EPERM on every ioctl");
	try_as(NULL, 0, 65534, INHERIT, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM), NIOC,
		       "an unprivileged user given root's open fd: -EPERM on every ioctl");
	try_as(NULL, 0, -1, INHERIT_USERNS, res);
	if (res[0] == 2000 + EINVAL)
		ktap_test_skip("this kernel has no user namespaces (CONFIG_USER_NS)",
			       "root in a new user namespace: -EPERM on every ioctl");
	else
		KTAP_EXPECT_EQ(count_eq(res, -EPERM), NIOC,
			       "root in a new user namespace (capabilities only "
			       "there): -EPERM on every ioctl");
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ioc(dev, KFAAS_IOC_VERSION, &v);
	KTAP_EXPECT_EQ((int)v.nr_funcs, before, "the refused calls changed nothing");
	try_as(sysadm, 1, -1, OWN_OPEN, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM) == 0 && res[1] == 0 && res[8] == 0, 1,
		       "CAP_BPF with CAP_NET_ADMIN: every ioctl allowed");
	try_as(bpf_net, 2, -1, OWN_OPEN, res);
	KTAP_EXPECT_EQ(count_eq(res, -EPERM) == 0 && res[1] == 0 && res[8] == 0, 1,
		       "CAP_SYS_ADMIN alone: every ioctl allowed");
}

#define CASES	46	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	ktap_plan_query(argc, argv, CASES);
	ktap_print_header();
	ktap_set_plan(CASES);
	dev = open(KFAAS_MOD_DEV, O_RDWR);
	if (dev < 0) {
		ktap_print_msg("cannot open %s: %s", KFAAS_MOD_DEV, strerror(errno));
		return KSFT_FAIL;
	}
	test_version();
	test_negative();
	test_charge_batch();
	test_proc();
	unregister_all();
	test_permissions();
	close(dev);
	return ktap_finished();
}
