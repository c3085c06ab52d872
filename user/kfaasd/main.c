// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd: runs the VM-tier functions of kfaas in QEMU microVMs with warm
 * pools, serving the routes of the pinned route table that lead to them.
 * Driven by the kfaas CLI over its control socket.  See docs/vm-tier.md.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "kfaasd.h"

static volatile bool refresh_now, reload_conf;
static char initramfs_buf[512], qemu_buf[512], cache_buf[512], kernel_buf[512];

static int find_qemu(void)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *save = NULL;

	if (strchr(opts.qemu, '/'))
		return 0;
	dirs = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(qemu_buf, sizeof(qemu_buf), "%s/%s", d, opts.qemu);
		if (access(qemu_buf, X_OK) == 0) {
			opts.qemu = qemu_buf;
			free(dirs);
			return 0;
		}
	}
	free(dirs);
	return kfaas_err(-ENOENT, "%s is not in PATH: install qemu-system-x86 "
			 "(tools/deps.sh) or give --qemu", opts.qemu);
}

/*
 * Absolute paths for everything given relative: QEMU gets them on its
 * command line, and the daemon runs from / like a daemon should.
 */
static int absolute(const char **path, char *buf, size_t len, bool mkdir_it)
{
	char real[PATH_MAX];

	if (mkdir_it)
		mkdir(*path, 0755);
	if (!realpath(*path, real))
		return kfaas_err(-errno, "%s: %s", *path, strerror(errno));
	if (strlen(real) >= len)
		return kfaas_err(-ENAMETOOLONG, "%s: path too long", real);
	memcpy(buf, real, strlen(real) + 1);
	*path = buf;
	return 0;
}

static int paths_setup(void)
{
	int rc = absolute(&opts.cache_dir, cache_buf, sizeof(cache_buf), true);

	if (!rc && opts.kernel)
		rc = absolute(&opts.kernel, kernel_buf, sizeof(kernel_buf), false);
	if (rc)
		return rc;
	/* a missing base image is reported when a function needs it */
	absolute(&opts.initramfs, initramfs_buf, sizeof(initramfs_buf), false);
	if (chdir("/"))
		return kfaas_err(-errno, "chdir /: %s", strerror(errno));
	return 0;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(a.sun_path))
		return;
	memcpy(a.sun_path, path, strlen(path));
	if (a.sun_path[0] == '@')
		a.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a, len) < 0)
		dbg("sd_notify: %s", strerror(errno));
	close(fd);
}

static struct watch sig_w = { .fd = -1 };
static bool stopping;

static void on_signal(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			info("SIGHUP: re-applying the configuration, re-reading "
			     "routes and registry");
			refresh_now = true;
			reload_conf = true;
		} else {
			info("%s: stopping", strsignal((int)si.ssi_signo));
			stopping = true;
		}
	}
}

static int signals_setup(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return loop_add(&sig_w, fd, EPOLLIN, on_signal);
}

static void run(void)
{
	uint64_t next_refresh = kfaas_now_ms() + opts.refresh_ms;
	uint64_t conf_retry_at = 0;	/* the pin root was busy */

	while (!stopping) {
		uint64_t now = kfaas_now_ms(), next = next_refresh, d;
		int timeout;

		d = fns_next_deadline();
		if (d < next)
			next = d;
		d = listen_next_deadline();
		if (d < next)
			next = d;
		d = metrics_next_deadline();
		if (d < next)
			next = d;
		d = sk_next_deadline();
		if (d < next)
			next = d;
		d = ledger_next_deadline();
		if (d < next)
			next = d;
		d = cluster_next_deadline();
		if (d < next)
			next = d;
		if (conf_retry_at && conf_retry_at < next)
			next = conf_retry_at;
		timeout = next <= now ? 0 : next - now > 60000 ? 60000 :
			  (int)(next - now);
		if (refresh_now)
			timeout = 0;
		if (loop_run_once(timeout))
			warn("epoll: %s", strerror(errno));
		now = kfaas_now_ms();
		fns_tick(now);
		ledger_tick(now);
		listen_tick(now);
		metrics_tick();
		sk_tick();
		cluster_tick(now);
		if (reload_conf || (conf_retry_at && now >= conf_retry_at)) {
			reload_conf = false;
			conf_retry_at = conf_apply() == -EAGAIN ? now + 500 : 0;
		}
		if (refresh_now || now >= next_refresh) {
			refresh_now = false;
			fns_sync();
			listen_refresh();
			sk_refresh();
			next_refresh = now + opts.refresh_ms;
		}
	}
}

/*
 * Every VM holds a handful of descriptors and every client one: take what
 * the hard limit allows, so clients (bounded by --max-conns) cannot starve
 * the VMs of descriptors.
 */
static void files_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &r))
			warn("cannot raise the open files limit: %s",
			     strerror(errno));
	}
}

int main(int argc, char **argv)
{
	int rc = 1;

	if (opts_parse(argc, argv))
		return 2;
	kfaas_set_verbose(opts.verbose > 1);
	if (geteuid() != 0) {
		fprintf(stderr, "kfaasd: must run as root (BPF maps, QEMU uids, "
			"the control socket)\n");
		return 1;
	}
	files_limit();
	if (loop_init() || signals_setup()) {
		err("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	/* the pin root first: its lock says whether we may run at all */
	if (pinroot_open()) {
		err("%s", kfaas_errmsg());
		goto out_state;
	}
	if (rundir_take()) {
		err("%s", kfaas_errmsg());
		goto out_state;
	}
	if (paths_setup() || find_qemu() ||
	    qemu_version(opts.qemu_version, sizeof(opts.qemu_version)) ||
	    kernel_setup() || accel_setup() || control_open() ||
	    (opts.metrics && metrics_start(opts.metrics))) {
		err("%s", kfaas_errmsg());
		goto out;
	}
	info("kfaasd %s: pin root %s, run dir %s, %s (%s), guest kernel %s%s",
	     KFAAS_VERSION, opts.pin_root, opts.run_dir,
	     opts.accel_used == ACCEL_KVM ? "KVM" : "TCG", opts.accel_why,
	     opts.vmlinux, opts.snapshot ? ", snapshot clones" : ", cold boots");
	fns_sync();
	reload_conf = conf_apply() == -EAGAIN;	/* busy: again in run() */
	fns_sync();
	listen_refresh();
	sk_start();
	if (cluster_start()) {
		err("%s", kfaas_errmsg());
		goto out;
	}
	notify("READY=1");
	run();
	notify("STOPPING=1");
	rc = 0;
out:
	cluster_stop();
	sk_stop();
	metrics_stop();
	control_close();
	listen_close_all();
	ledger_save_all();	/* with the CPU time of the VMs still running */
	fns_stop_all();
	rundir_release();
out_state:
	pinroot_close();
	return rc;
}
