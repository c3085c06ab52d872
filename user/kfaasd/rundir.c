// SPDX-License-Identifier: GPL-2.0
/*
 * The run directory kfaasd owns (one per pin root, see kfaas_run_dir()):
 *
 *   RUNDIR/kfaasd.lock     flock()ed while a daemon runs; holds its pid
 *   RUNDIR/control.sock    the control socket
 *   RUNDIR/fn/ID/          per function: image.cpio, tpl.mem, tpl.state
 *   RUNDIR/lifecycle/      what was learnt about each function (ledger.c):
 *                          kept when a daemon stops or starts
 *   PINROOT/kfaasd         a symlink to RUNDIR: where the CLI finds us
 *                          (kfaas_daemon_run_dir()), whatever --run-dir
 *
 * Every QEMU runs with "-name guest=kfaasd:RUNDIR:FN:VM".  A daemon that
 * starts after another was killed (even with -9) kills every QEMU carrying
 * its run directory's tag and empties the directory before it does
 * anything else, so nothing of the dead daemon stays behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "kfaasd.h"

#define LOCK_NAME	"kfaasd.lock"
#define KEEP_NAME	"lifecycle"	/* survives restarts */

static int lock_fd = -1, pin_lock_fd = -1;
static char pin_lock_path[128];

int rundir_vm_tag(__u32 fn_id, unsigned int vm, char *buf, size_t len)
{
	int n = snprintf(buf, len, "guest=kfaasd:%s:%u:%u", opts.run_dir, fn_id,
			 vm);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rundir_fn_dir(__u32 id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/fn/%u", opts.run_dir, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[256];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int rmtree(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int rc = 0;

	if (!d)
		return errno == ENOTDIR ? (unlink(path) ? -errno : 0) :
		       errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[512];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (de->d_type == DT_DIR)
			rc = rmtree(sub) ?: rc;
		else if (unlink(sub) && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		rc = -errno;
	return rc;
}

/* Does /proc/PID/cmdline carry "-name" "guest=kfaasd:RUNDIR:..."? */
static bool is_ours(pid_t pid, const char *prefix)
{
	char path[64], buf[8192];
	ssize_t n;
	size_t off = 0;
	bool name_next = false;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	while (off < (size_t)n) {
		const char *arg = buf + off;

		if (name_next)
			return !strncmp(arg, prefix, strlen(prefix));
		name_next = !strcmp(arg, "-name");
		off += strlen(arg) + 1;
	}
	return false;
}

static void wait_gone(pid_t pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p;
	int i;

	if (pfd >= 0) {
		p.fd = pfd;
		p.events = POLLIN;
		poll(&p, 1, 5000);
		close(pfd);
		return;
	}
	for (i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
}

/* Kill the QEMU processes a previous daemon of this run directory left. */
static int kill_leftovers(void)
{
	char prefix[200];
	struct dirent *de;
	pid_t pids[1024];
	int n = 0, i;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "guest=kfaasd:%s:", opts.run_dir);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < (int)(sizeof(pids) / sizeof(pids[0]))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 1 || pid == getpid())
			continue;
		if (is_ours((pid_t)pid, prefix)) {
			/* the process may be owned by a VM uid: we are root */
			if (kill((pid_t)pid, SIGKILL) == 0)
				pids[n++] = (pid_t)pid;
		}
	}
	closedir(d);
	for (i = 0; i < n; i++)
		wait_gone(pids[i]);
	if (n)
		info("killed %d QEMU process(es) left by a previous kfaasd", n);
	return n;
}

/* Remove everything in the run directory but the lock file and what was
 * learnt. */
static int clean_dir(void)
{
	struct dirent *de;
	DIR *d = opendir(opts.run_dir);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sub[512];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, LOCK_NAME) || !strcmp(de->d_name, KEEP_NAME))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", opts.run_dir, de->d_name);
		rmtree(sub);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * One daemon per pin root, whatever run directory each was given: a lock
 * named after the pin root directory's device and inode (stable while the
 * state exists, the same seen from any network namespace).
 */
static int pin_root_lock(void)
{
	struct stat st;
	char pid[32];
	ssize_t n;
	int rc;

	if (stat(opts.pin_root, &st))
		return kfaas_err(-errno, "pin root %s: %s", opts.pin_root,
				 strerror(errno));
	mkdir_p("/run/lock", 01777);
	snprintf(pin_lock_path, sizeof(pin_lock_path),
		 "/run/lock/kfaasd-%llx-%llx.lock", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	pin_lock_fd = open(pin_lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (pin_lock_fd < 0)
		return kfaas_err(-errno, "cannot open %s: %s", pin_lock_path,
				 strerror(errno));
	if (flock(pin_lock_fd, LOCK_EX | LOCK_NB)) {
		rc = -errno;
		n = read(pin_lock_fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(pin_lock_fd);
		pin_lock_fd = -1;
		pin_lock_path[0] = '\0';
		if (rc == -EWOULDBLOCK)
			return kfaas_err(-EBUSY, "another kfaasd (pid %s) serves "
					 "pin root %s: stop it first",
					 pid[0] ? pid : "?", opts.pin_root);
		return kfaas_err(rc, "cannot lock %s: %s", pin_lock_path,
				 strerror(-rc));
	}
	if (ftruncate(pin_lock_fd, 0) == 0) {
		n = snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (pwrite(pin_lock_fd, pid, (size_t)n, 0) != n)
			warn("cannot write %s", pin_lock_path);
	}
	return 0;
}

static void pin_root_unlock(void)
{
	if (pin_lock_fd < 0)
		return;
	unlink(pin_lock_path);
	close(pin_lock_fd);
	pin_lock_fd = -1;
}

static void link_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", opts.pin_root, KFAAS_RUN_DIR_LINK);
}

/* PINROOT/kfaasd -> RUNDIR, replaced in one rename. */
static void publish(void)
{
	char link[KFAAS_PATH_MAX], tmp[KFAAS_PATH_MAX + 16];

	link_path(link, sizeof(link));
	snprintf(tmp, sizeof(tmp), "%s-%d", link, getpid());
	unlink(tmp);
	if (symlink(opts.run_dir, tmp) || rename(tmp, link)) {
		warn("cannot record the run directory in %s: %s (the CLI finds "
		     "this kfaasd with KFAAS_RUN_DIR=%s only)", link,
		     strerror(errno), opts.run_dir);
		unlink(tmp);
	}
}

/* Our PINROOT/kfaasd goes with us (a newer one is another daemon's). */
static void unpublish(void)
{
	char link[KFAAS_PATH_MAX], target[sizeof(opts.run_dir)];
	ssize_t n;

	link_path(link, sizeof(link));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	if (!strcmp(target, opts.run_dir))
		unlink(link);
}

static int take(void);

int rundir_take(void)
{
	int rc = take();

	if (rc)
		pin_root_unlock();
	else
		publish();
	return rc;
}

static int take(void)
{
	char path[160], pid[32];
	ssize_t n;
	int rc;

	if (strchr(opts.run_dir, ','))
		return kfaas_err(-EINVAL, "run directory %s contains a ',': "
				 "QEMU options cannot carry it; set another with "
				 "--run-dir or $KFAAS_RUN_DIR", opts.run_dir);
	rc = pin_root_lock();
	if (rc)
		return rc;
	rc = mkdir_p(opts.run_dir, 0711);
	if (rc)
		return kfaas_err(rc, "cannot create run directory %s: %s",
				 opts.run_dir, strerror(-rc));
	chmod(opts.run_dir, 0711);
	snprintf(path, sizeof(path), "%s/%s", opts.run_dir, LOCK_NAME);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0)
		return kfaas_err(-errno, "cannot open %s: %s", path,
				 strerror(errno));
	if (flock(lock_fd, LOCK_EX | LOCK_NB)) {
		rc = -errno;
		n = read(lock_fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(lock_fd);
		lock_fd = -1;
		if (rc == -EWOULDBLOCK)
			return kfaas_err(-EBUSY, "another kfaasd (pid %s) serves "
					 "pin root %s with run directory %s: "
					 "stop it first", pid[0] ? pid : "?",
					 opts.pin_root, opts.run_dir);
		return kfaas_err(rc, "cannot lock %s: %s", path, strerror(-rc));
	}
	kill_leftovers();
	n = clean_dir();
	if (n > 0)
		info("removed %zd leftover entr%s from %s", n,
		     n == 1 ? "y" : "ies", opts.run_dir);
	if (ftruncate(lock_fd, 0) == 0) {
		n = snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (pwrite(lock_fd, pid, (size_t)n, 0) != n)
			warn("cannot write %s", path);
	}
	snprintf(path, sizeof(path), "%s/fn", opts.run_dir);
	if (mkdir(path, 0711) && errno != EEXIST)
		return kfaas_err(-errno, "cannot create %s: %s", path,
				 strerror(errno));
	return 0;
}

void rundir_release(void)
{
	char path[160];

	if (lock_fd < 0)
		return;
	kill_leftovers();	/* nothing, unless a child escaped us */
	clean_dir();
	snprintf(path, sizeof(path), "%s/%s", opts.run_dir, LOCK_NAME);
	unlink(path);
	rmdir(opts.run_dir);
	close(lock_fd);
	lock_fd = -1;
	unpublish();
	pin_root_unlock();
}
