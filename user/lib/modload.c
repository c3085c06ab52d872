// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.ko's lifecycle seen from the pinned state.
 *
 * BPF objects are loaded once per pin root with a .rodata flag saying
 * whether to use the module's kfuncs (bpf/kfaas_kfuncs.h).  So loading the
 * module reloads the dispatcher and every eBPF function with the flag set
 * (atomic swaps), after registering every function and its remembered
 * budget with the module; unloading does the reverse, so that rmmod (which
 * the kernel refuses while programs hold the kfuncs) can succeed, and
 * folds the module's counters into the maps so that no count is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

int kfaas_module_sync(struct kfaas_state *st)
{
	struct kfaas_fn_info *arr;
	size_t n, i;
	int rc;

	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++)
		rc = kfaas__module_fn_add(st, arr[i].id, false);
	free(arr);
	return rc;
}

int kfaas_state_reload(struct kfaas_state *st)
{
	struct kfaas_fn_info *arr;
	size_t n, i;
	int rc;

	rc = kfaas_dispatcher_reload(st);
	if (rc)
		return rc;
	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		if (!kfaas__tier_ebpf(arr[i].tier))
			continue;
		rc = kfaas_fn_replace(st, arr[i].name, arr[i].source, NULL);
		if (rc)
			rc = kfaas_err(rc, "reloading function '%s' from %s: %s",
				       arr[i].name, arr[i].source,
				       kfaas_errmsg());
	}
	free(arr);
	return rc;
}

static int run_modprobe(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("modprobe", "modprobe", KFAAS_MOD_NAME, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENOENT;
}

static int insmod(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return kfaas_err(-errno, "cannot read %s: %s", path,
				 strerror(errno));
	if (syscall(SYS_finit_module, fd, "", 0)) {
		rc = -errno;
		if (rc == -EEXIST)
			rc = 0;
		else if (rc == -ENOEXEC || rc == -EINVAL)
			rc = kfaas_err(rc, "the kernel refused %s (%s): it was "
				       "built for another kernel or without "
				       "BTF; 'dmesg' says which, rebuild it "
				       "with 'make kmod KVER=$(uname -r)'",
				       path, strerror(-rc));
		else if (rc == -ENOSYS)
			rc = kfaas_err(rc, "this kernel cannot load modules "
				       "(CONFIG_MODULES is off): kfaas runs "
				       "without kfaas.ko, accounting in BPF maps");
		else if (rc == -EPERM)
			rc = kfaas_err(rc, "loading %s: permission denied (root "
				       "with CAP_SYS_MODULE needed; under Secure "
				       "Boot the module must be signed)", path);
		else
			rc = kfaas_err(rc, "loading %s: %s", path,
				       strerror(-rc));
	}
	close(fd);
	return rc;
}

/*
 * The module 'make kmod' built beside this program: BUILD/kfaas is the
 * CLI, BUILD/kmod/RELEASE/kfaas.ko the module (no build path is compiled
 * into the program: an installed kfaas finds the module with modprobe).
 */
static void built_path(char *buf, size_t len, const char *release)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	buf[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(buf, len, "%.400s/kmod/%.64s/kfaas.ko", exe, release);
}

/* The module file: given, $KFAAS_KO, installed (modprobe), or built. */
static int module_insert(const char *ko)
{
	const char *env = getenv(KFAAS_KO_ENV);
	struct utsname u;
	char built[512];

	if (ko && *ko)
		return insmod(ko);
	if (env && *env)
		return insmod(env);
	if (run_modprobe() == 0)
		return 0;
	uname(&u);
	built_path(built, sizeof(built), u.release);
	if (built[0] && access(built, R_OK) == 0)
		return insmod(built);
	return kfaas_err(-ENOENT, "no kfaas.ko for kernel %s: 'modprobe kfaas' "
			 "found none (install it with dkms, see docs/module.md),"
			 " and %s does not exist ('make kmod KVER=%s' builds "
			 "it); or give its path with --ko", u.release, built,
			 u.release);
}

static int wait_btf(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	for (i = 0; i < 250; i++) {
		if (kfaas_module_present())
			return 0;
		nanosleep(&ts, NULL);
	}
	return kfaas_err(-ENOENT, "kfaas.ko is loaded but %s does not exist: "
			 "it was built without module BTF, so its kfuncs do "
			 "not exist; rebuild it with 'make kmod'", KFAAS_MOD_BTF);
}

static bool state_exists(const char *root)
{
	char path[KFAAS_PATH_MAX];

	snprintf(path, sizeof(path), "%s/dispatcher", root);
	return access(path, F_OK) == 0;
}

int kfaas_module_load(const char *ko, const char *root)
{
	struct kfaas_state st;
	int rc;

	if (!kfaas_module_present()) {
		rc = module_insert(ko);
		if (rc)
			return rc;
	}
	rc = wait_btf();
	if (rc || !root || !state_exists(root))
		return rc;
	rc = kfaas_state_open(&st, root, KFAAS_OPEN_LOCK);
	if (rc)
		return rc;
	rc = kfaas_module_sync(&st);
	if (!rc) {
		kfaas_module_force_flag(1);
		rc = kfaas_state_reload(&st);
		kfaas_module_force_flag(-1);
	}
	kfaas_state_close(&st);
	return rc;
}

/*
 * Keep the module's counters when it goes: add them to kfaas_ustats, the
 * map only userspace writes (the per-CPU kfaas_stats cannot be updated
 * from userspace safely while programs count in it).
 */
static void fold_counters(struct kfaas_state *st,
			  const struct kfaas_stats_entry *e, size_t n)
{
	struct kfaas_fn_info info;
	size_t i;

	for (i = 0; i < n; i++) {
		struct kfaas_stats d = e[i].stats;

		if (kfaas_fn_get(st, e[i].id, &info))
			continue;
		/* the module is gone: this lands in the map */
		kfaas_stats_charge(st, e[i].id, &d);
	}
}

/*
 * Wait for the programs just replaced to go: the kernel frees a program
 * (and its hold on the module) after an RCU grace period and a workqueue
 * pass, so the count drops a little after the swap.  Until then an old
 * program may still be running and counting in the module.
 */
static bool wait_unused(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char buf[32];
	int i;

	for (i = 0; i < 500; i++) {
		kfaas__read_line(KFAAS_MOD_SYSFS "/refcnt", buf, sizeof(buf));
		if (!strcmp(buf, "0"))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* rmmod, retrying while the last references go. */
static int delete_module_wait(int tries)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i, rc = 0;

	for (i = 0; i < tries; i++) {
		if (!syscall(SYS_delete_module, KFAAS_MOD_NAME, O_NONBLOCK))
			return 0;
		rc = -errno;
		if (rc != -EAGAIN && rc != -EBUSY && rc != -EWOULDBLOCK)
			return rc;
		nanosleep(&ts, NULL);
	}
	return rc;
}

int kfaas_module_unload(const char *root)
{
	struct kfaas_stats_entry *ents = NULL;
	struct kfaas_state st;
	bool have_state, unused;
	size_t n = 0;
	int rc, fd;

	if (access(KFAAS_MOD_SYSFS, F_OK))
		return 0;	/* not loaded */
	have_state = root && state_exists(root);
	if (have_state) {
		rc = kfaas_state_open(&st, root, KFAAS_OPEN_LOCK);
		if (rc)
			return rc;
		kfaas_module_force_flag(0);
		rc = kfaas_state_reload(&st);
		kfaas_module_force_flag(-1);
		if (rc)
			goto out;
		/* our own device fd holds the module too */
		if (st.mod_fd >= 0) {
			close(st.mod_fd);
			st.mod_fd = -1;
		}
	}
	/*
	 * The counters, read last thing before the module goes, once no
	 * program uses it (else what they count after the read is lost; if
	 * some never go, rmmod fails below and nothing is folded).
	 */
	unused = wait_unused();
	fd = kfaas_mod_open();
	if (fd >= 0) {
		rc = kfaas_mod_stats_all(fd, &ents, &n);
		close(fd);
		if (rc)
			goto out;
	}
	rc = delete_module_wait(unused ? 200 : 1);
	if (rc) {
		if (rc == -EAGAIN || rc == -EBUSY || rc == -EWOULDBLOCK)
			rc = kfaas_err(-EBUSY, "kfaas.ko is in use by BPF programs "
				       "(%s): unload them, or run 'kfaas module "
				       "unload' with the --pin-root that loaded "
				       "them", have_state ? "not of this pin root" :
				       "no kfaas state here");
		else if (rc != -ENOENT)
			rc = kfaas__errno_msg(rc, "cannot unload kfaas.ko");
		else
			rc = 0;
		goto out;
	}
	if (have_state)
		fold_counters(&st, ents, n);
	rc = 0;
out:
	free(ents);
	if (have_state)
		kfaas_state_close(&st);
	return rc;
}
