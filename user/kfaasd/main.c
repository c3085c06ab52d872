// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd: runs the VM-tier functions of kfaas in QEMU microVMs with warm
 * pools, serving the routes of the pinned route table that lead to them.
 * Driven by the kfaas CLI over its control socket.  See docs/vm-tier.md.
 */
#include <errno.h>
#include <getopt.h>
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

#ifndef KFAAS_VM_DIR_DEFAULT
#define KFAAS_VM_DIR_DEFAULT "/usr/lib/kfaas/vm"
#endif

struct kfaasd_opts opts = {
	.cache_dir = "/var/cache/kfaasd",
	.qemu = "qemu-system-x86_64",
	.accel = ACCEL_AUTO,
	.snapshot = true,
	.drop_privs = true,
	.uid_base = 1801846784,	/* 0x6b660000 "kf": far from real users */
	.queue_max = 16,
	.max_conns = 1024,
	.max_request = 1 << 20,
	.max_response = 1 << 20,
	.boot_timeout_ms = 30000,
	.probe_timeout_ms = 8000,
	.tcp_timeout_ms = 10000,
	.refresh_ms = 2000,
	.conf_path = KFAASD_CONF_DEFAULT,
	.sk = true,
};

static volatile bool refresh_now, reload_conf;
static char initramfs_buf[512], qemu_buf[512], cache_buf[512], kernel_buf[512];

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kfaasd [OPTIONS]\n"
"Runs kfaas VM-tier functions in QEMU microVMs and serves their routes.\n"
"\n"
"  --pin-root DIR       kfaas pin root ($KFAAS_PIN_ROOT, %s)\n"
"  --run-dir DIR        run directory ($KFAAS_RUN_DIR, derived from the\n"
"                       pin root: /run/kfaasd for the default one)\n"
"  --cache-dir DIR      unpacked kernels, accelerator probe (%s)\n"
"  --kernel FILE        guest kernel, vmlinux or bzImage (default:\n"
"                       /boot/vmlinuz-KVER of the guest image)\n"
"  --initramfs FILE     guest base image (%s/guest.cpio)\n"
"  --qemu FILE          QEMU binary (%s)\n"
"  --accel MODE         auto, probe, kvm or tcg (auto)\n"
"  --no-snapshot        boot every VM cold instead of cloning a template\n"
"  --vm-uid-base N      QEMU of function id I runs as uid N+I (%u)\n"
"  --vm-as-root         do not drop QEMU's privileges (debugging only)\n"
"  --queue N            waiting requests per function (%u)\n"
"  --max-request BYTES  (%zu)    --max-response BYTES (%zu)\n"
"  --boot-timeout MS    (%u)    --probe-timeout MS (%u)\n"
"  --tcp-timeout MS     time a TCP client has to send its request (%u)\n"
"  --max-conns N        TCP clients served at once; more are closed at\n"
"                       accept (%u)\n"
"  --refresh MS         re-read routes and registry this often (%u)\n"
"  --no-sk              leave the socket tier's listener to 'kfaas sk serve'\n"
"  --metrics [ADDR:]PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
"                       (ADDR default 127.0.0.1)\n"
"  --config FILE        kfaas.conf(5) applied at start and on SIGHUP,\n"
"                       when it exists (%s; 'none': no file)\n"
"  --tsc-khz N          host TSC frequency for the guest (measured)\n"
"  -v, --verbose        more messages (twice: QEMU command lines, console)\n"
"  -V, --version\n",
		KFAAS_PIN_ROOT_DEFAULT, opts.cache_dir, KFAAS_VM_DIR_DEFAULT,
		opts.qemu, (unsigned int)opts.uid_base, opts.queue_max,
		opts.max_request, opts.max_response, opts.boot_timeout_ms,
		opts.probe_timeout_ms, opts.tcp_timeout_ms, opts.max_conns,
		opts.refresh_ms,
		KFAASD_CONF_DEFAULT);
}

static int num(const char *opt, const char *s, unsigned long long max,
	       unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || *out > max) {
		fprintf(stderr, "kfaasd: bad value '%s' for %s: expected a "
			"number from 0 to %llu\n", s, opt, max);
		return -1;
	}
	return 0;
}

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

static int parse_args(int argc, char **argv)
{
	enum { O_PIN = 256, O_RUN, O_CACHE, O_KERNEL, O_INITRD, O_QEMU,
	       O_ACCEL, O_NOSNAP, O_UIDBASE, O_ROOT, O_QUEUE, O_MAXREQ,
	       O_MAXRESP, O_BOOT, O_PROBE, O_TCP, O_REFRESH, O_TSC, O_CONFIG,
	       O_MAXCONNS, O_METRICS, O_NOSK };
	static const struct option longopts[] = {
		{ "pin-root", required_argument, NULL, O_PIN },
		{ "run-dir", required_argument, NULL, O_RUN },
		{ "cache-dir", required_argument, NULL, O_CACHE },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initramfs", required_argument, NULL, O_INITRD },
		{ "qemu", required_argument, NULL, O_QEMU },
		{ "accel", required_argument, NULL, O_ACCEL },
		{ "no-snapshot", no_argument, NULL, O_NOSNAP },
		{ "vm-uid-base", required_argument, NULL, O_UIDBASE },
		{ "vm-as-root", no_argument, NULL, O_ROOT },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "max-request", required_argument, NULL, O_MAXREQ },
		{ "max-response", required_argument, NULL, O_MAXRESP },
		{ "boot-timeout", required_argument, NULL, O_BOOT },
		{ "probe-timeout", required_argument, NULL, O_PROBE },
		{ "tcp-timeout", required_argument, NULL, O_TCP },
		{ "max-conns", required_argument, NULL, O_MAXCONNS },
		{ "refresh", required_argument, NULL, O_REFRESH },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "no-sk", no_argument, NULL, O_NOSK },
		{ "tsc-khz", required_argument, NULL, O_TSC },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *run_dir = getenv(KFAAS_RUN_DIR_ENV);
	unsigned long long v;
	int c;

	while ((c = getopt_long(argc, argv, "vVh", longopts, NULL)) != -1) {
		switch (c) {
		case O_PIN: opts.pin_root = optarg; break;
		case O_RUN: run_dir = optarg; break;
		case O_CACHE: opts.cache_dir = optarg; break;
		case O_KERNEL: opts.kernel = optarg; break;
		case O_INITRD: opts.initramfs = optarg; break;
		case O_QEMU: opts.qemu = optarg; break;
		case O_ACCEL:
			if (!strcmp(optarg, "auto"))
				opts.accel = ACCEL_AUTO;
			else if (!strcmp(optarg, "probe"))
				opts.accel = ACCEL_PROBE;
			else if (!strcmp(optarg, "kvm"))
				opts.accel = ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				opts.accel = ACCEL_TCG;
			else {
				fprintf(stderr, "kfaasd: bad --accel '%s': use auto, "
					"probe, kvm or tcg\n", optarg);
				return -1;
			}
			break;
		case O_NOSNAP: opts.snapshot = false; break;
		case O_UIDBASE:
			if (num("--vm-uid-base", optarg, 0xfffff000ULL -
				KFAAS_MAX_FUNCS, &v))
				return -1;
			opts.uid_base = (uid_t)v;
			if (v == 0) {
				fprintf(stderr, "kfaasd: --vm-uid-base 0 would run "
					"QEMU as root: use --vm-as-root if you "
					"mean it\n");
				return -1;
			}
			break;
		case O_ROOT: opts.drop_privs = false; break;
		case O_QUEUE:
			if (num("--queue", optarg, 100000, &v))
				return -1;
			opts.queue_max = (unsigned int)v;
			break;
		case O_MAXREQ:
		case O_MAXRESP:
			if (num(c == O_MAXREQ ? "--max-request" : "--max-response",
				optarg, KFAAS_AGENT_MAX_PAYLOAD - 4096, &v))
				return -1;
			if (c == O_MAXREQ)
				opts.max_request = v;
			else
				opts.max_response = v;
			break;
		case O_NOSK:
			opts.sk = false;
			break;
		case O_METRICS:
			opts.metrics = optarg;
			break;
		case O_CONFIG:
			opts.conf_path = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case O_MAXCONNS:
			if (num("--max-conns", optarg, 1000000, &v))
				return -1;
			if (v < 1) {
				fprintf(stderr, "kfaasd: --max-conns must be at "
					"least 1\n");
				return -1;
			}
			opts.max_conns = (unsigned int)v;
			break;
		case O_BOOT:
		case O_PROBE:
		case O_TCP:
		case O_REFRESH: {
			const char *name = c == O_BOOT ? "--boot-timeout" :
					   c == O_PROBE ? "--probe-timeout" :
					   c == O_TCP ? "--tcp-timeout" :
					   "--refresh";

			if (num(name, optarg, 3600000, &v))
				return -1;
			if (v < 10) {
				fprintf(stderr, "kfaasd: %s must be at least 10 "
					"ms\n", name);
				return -1;
			}
			if (c == O_BOOT)
				opts.boot_timeout_ms = (unsigned int)v;
			else if (c == O_PROBE)
				opts.probe_timeout_ms = (unsigned int)v;
			else if (c == O_TCP)
				opts.tcp_timeout_ms = (unsigned int)v;
			else
				opts.refresh_ms = (unsigned int)v;
			break;
		}
		case O_TSC:
			if (num("--tsc-khz", optarg, 100000000, &v))
				return -1;
			opts.tsc_khz = (unsigned int)v;
			break;
		case 'v': opts.verbose++; break;
		case 'V':
			printf("kfaasd v%s (ABI %d)\n", KFAAS_VERSION,
			       KFAAS_ABI_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "kfaasd: see 'kfaasd --help'\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kfaasd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	opts.pin_root = kfaas_pin_root(opts.pin_root);
	if (run_dir && *run_dir) {
		if (strlen(run_dir) >= sizeof(opts.run_dir)) {
			fprintf(stderr, "kfaasd: --run-dir is too long\n");
			return -1;
		}
		snprintf(opts.run_dir, sizeof(opts.run_dir), "%s", run_dir);
	} else if (kfaas_run_dir(opts.pin_root, opts.run_dir, sizeof(opts.run_dir))) {
		fprintf(stderr, "kfaasd: %s\n", kfaas_errmsg());
		return -1;
	}
	if (opts.run_dir[0] != '/') {
		fprintf(stderr, "kfaasd: the run directory must be absolute\n");
		return -1;
	}
	if (!opts.initramfs) {
		char exe[PATH_MAX], *slash;
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		/* installed: PREFIX/sbin/kfaasd and PREFIX/lib/kfaas/vm/ */
		snprintf(initramfs_buf, sizeof(initramfs_buf), "%s/guest.cpio",
			 KFAAS_VM_DIR_DEFAULT);
		if (n > 0) {
			exe[n] = '\0';
			slash = strrchr(exe, '/');
			if (slash) {
				*slash = '\0';
				if (snprintf(initramfs_buf, sizeof(initramfs_buf),
					     "%s/../lib/kfaas/vm/guest.cpio", exe) >=
				    (int)sizeof(initramfs_buf) ||
				    access(initramfs_buf, R_OK))
					snprintf(initramfs_buf, sizeof(initramfs_buf),
						 "%s/guest.cpio", KFAAS_VM_DIR_DEFAULT);
			}
		}
		opts.initramfs = initramfs_buf;
	}
	return 0;
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
static bool state_ok;

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

static int state_setup(void)
{
	struct kfaas_state st;
	int rc;

	/* create the pinned state if this is the first kfaas program */
	rc = kfaas_state_open(&st, opts.pin_root, KFAAS_OPEN_CREATE |
			      KFAAS_OPEN_LOCK);
	if (rc)
		return rc;
	kfaas_state_close(&st);
	rc = kfaas_state_open(&state, opts.pin_root, 0);
	if (rc)
		return rc;
	state_ok = true;
	if (state.ustats_fd < 0)
		return kfaas_err(-ENOENT, "the kfaas state at %s has no ustats "
				 "map (made by an older kfaas): unload its "
				 "functions and remove it", opts.pin_root);
	return 0;
}

static void run(void)
{
	uint64_t next_refresh = kfaas_now_ms() + opts.refresh_ms;

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
		timeout = next <= now ? 0 : next - now > 60000 ? 60000 :
			  (int)(next - now);
		if (refresh_now)
			timeout = 0;
		if (loop_run_once(timeout))
			warn("epoll: %s", strerror(errno));
		now = kfaas_now_ms();
		fns_tick(now);
		listen_tick(now);
		metrics_tick();
		sk_tick();
		if (reload_conf) {
			reload_conf = false;
			conf_apply();
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

	if (parse_args(argc, argv))
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
	if (state_setup()) {
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
	conf_apply();
	fns_sync();
	listen_refresh();
	sk_start();
	notify("READY=1");
	run();
	notify("STOPPING=1");
	rc = 0;
out:
	sk_stop();
	metrics_stop();
	control_close();
	listen_close_all();
	fns_stop_all();
	rundir_release();
out_state:
	if (state_ok)
		kfaas_state_close(&state);
	return rc;
}
