// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-agent: /init of every VM-tier microVM (static, no libraries at
 * run time).  It mounts /dev, /proc, /sys and /tmp, loads the virtio
 * modules listed in /etc/kfaas/modules with finit_module(), finds the
 * virtio-serial port named KFAAS_AGENT_PORT and then serves the protocol of
 * include/kfaas/agent.h: each RUN starts /fn in a new process (own session,
 * clean environment, unprivileged uid) with the request on stdin, and
 * answers with its stdout, exit status and duration.  stdout over the
 * limit the host gave kills the function.  A RUN flagged resident goes to
 * the one /fn process kept running instead (resident.c).
 *
 *   kfaas-agent                 as /init in the guest
 *   kfaas-agent --stdio FN      the protocol on stdin/stdout, running FN
 *                               (for tests on the host)
 *
 * PID 1 must never exit (the guest would panic): every failure after boot
 * is answered on the channel, and the agent reaps every orphan.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <kfaas/agent.h>
#include <kfaas/agent_proto.h>
#include <kfaas_clock.h>
#include <kfaas_iobuf.h>
#include "agent.h"

#ifdef KFAAS_AGENT_SANITIZE
/*
 * The ASan+UBSan build (make asan), started by user/agent/asan-init.c:
 * reports go to the guest console, which kfaasd -vv logs.  PID 1 never exits, so leaks are looked for every 16
 * requests (a leak check stops the process for milliseconds) instead of at
 * exit.
 */
#include <sanitizer/lsan_interface.h>
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "halt_on_error=1:detect_leaks=1:print_summary=1:color=never";
}
static unsigned int runs;
#define leak_check()	do {						\
	if (++runs % 16 == 1)						\
		__lsan_do_recoverable_leak_check();			\
} while (0)
#else
#define leak_check()	do { } while (0)
#endif

/* an empty input buffer larger than this is given back to the guest */
#define RX_KEEP		(1U << 20)

const char *fn_path = KFAAS_AGENT_FN_PATH;
bool as_init;
static unsigned int modules_loaded;

void say(const char *fmt, ...)
{
	va_list ap;

	/* the guest console (ttyS0) or the test's stderr */
	va_start(ap, fmt);
	fputs("kfaas-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- boot ---------------------------------------------------------------- */

static void mount_fs(void)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/tmp", 01777);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"))
		say("mount /dev: %s", strerror(errno));
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		say("mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		say("mount /sys: %s", strerror(errno));
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		say("mount /tmp: %s", strerror(errno));
}

static void load_modules(void)
{
	char line[512];
	FILE *f = fopen(KFAAS_AGENT_MODULES, "r");

	if (!f)
		return;		/* a kernel with the drivers built in */
	while (fgets(line, sizeof(line), f)) {
		int fd;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say("%s: %s", line, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			say("finit_module %s: %s", line, strerror(errno));
		else
			modules_loaded++;
		close(fd);
	}
	fclose(f);
}

/* /dev/vportNpM of the port named name, waiting up to ms for it to appear. */
static int find_port(const char *name, int ms, char *dev, size_t len)
{
	int waited = 0;

	for (;;) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char path[300], buf[128];
			ssize_t n;
			int fd;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/%s/name", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, name))
				continue;
			snprintf(dev, len, "/dev/%s", de->d_name);
			closedir(d);
			return 0;
		}
		if (d)
			closedir(d);
		if (waited >= ms)
			return -ENOENT;
		usleep(10000);
		waited += 10;
	}
}

/* ---- the channel ----------------------------------------------------------- */

static int chan_in = -1, chan_out = -1;

int send_msg(__u16 type, __u32 seq, const void *a, size_t alen,
	     const void *b, size_t blen, const void *c, size_t clen)
{
	/*
	 * One write(2) for the whole message when it fits: every write to the
	 * virtio-serial port is a notification of the host (a VM exit, a
	 * socket write in QEMU), the cost a short request pays most.
	 */
	static char one[65536];
	struct kfaas_agent_hdr h = {
		.magic = KFAAS_AGENT_MAGIC, .type = type, .seq = seq,
		.len = (__u32)(alen + blen + clen),
	};
	int rc;

	if (sizeof(h) + h.len <= sizeof(one)) {
		char *p = one;

		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
		if (alen)
			memcpy(p, a, alen);
		p += alen;
		if (blen)
			memcpy(p, b, blen);
		p += blen;
		if (clen)
			memcpy(p, c, clen);
		return kfaas_fd_write_all(chan_out, one, sizeof(h) + h.len);
	}
	rc = kfaas_fd_write_all(chan_out, &h, sizeof(h));
	if (!rc && alen)
		rc = kfaas_fd_write_all(chan_out, a, alen);
	if (!rc && blen)
		rc = kfaas_fd_write_all(chan_out, b, blen);
	if (!rc && clen)
		rc = kfaas_fd_write_all(chan_out, c, clen);
	return rc;
}

/* ---- running the function ---------------------------------------------------- */

int capture(int fd, struct kfaas_iobuf *b, size_t limit, bool *over)
{
	char tmp[65536];
	ssize_t n = kfaas_fd_read(fd, tmp, sizeof(tmp));
	size_t keep;

	if (n == -EAGAIN)
		return 1;
	if (n <= 0)
		return (int)n;
	keep = (size_t)n;
	if (kfaas_iobuf_len(b) + keep > limit) {
		*over = true;
		keep = limit - kfaas_iobuf_len(b);
	}
	return kfaas_iobuf_append(b, tmp, keep) ? -ENOMEM : 1;
}

void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void child_exec(int in, int out, int err, bool resident)
{
	char *const envp[] = { "PATH=/bin:/usr/bin", "HOME=/tmp", "LANG=C",
			       "KFAAS=1", resident ? KFAAS_RESIDENT_ENV "=1" :
			       NULL, NULL };
	char *const argv[] = { (char *)fn_path, NULL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (as_init) {
		struct rlimit core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &core);
		if (chdir("/tmp") || setgroups(0, NULL) ||
		    setgid(KFAAS_AGENT_FN_UID) || setuid(KFAAS_AGENT_FN_UID))
			_exit(126);
	}
	execve(fn_path, argv, envp);
	_exit(127);
}

int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -errno : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* One run of the function: our ends of its pipes, what it wrote. */
struct fn_run {
	pid_t		pid;
	int		pidfd;
	int		in, out, err;	/* its stdin, stdout, stderr */
	const char	*req;		/* what goes to its stdin */
	size_t		len, off;	/* bytes of it, written so far */
	size_t		max_out;
	struct kfaas_iobuf stdout_buf;
	struct kfaas_iobuf stderr_buf;	/* its head */
	bool		over;		/* stdout over max_out: killed */
	bool		err_over;
	bool		exited;
	__u64		t0;
};

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int fn_start(bool resident, pid_t *pid, int *pidfd, int *in, int *out,
	     int *err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int rc = 0;

	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
	    pipe2(perr, O_CLOEXEC))
		rc = -errno;
	if (!rc) {
		*pid = fork();
		if (*pid < 0)
			rc = -errno;
		else if (*pid == 0)
			child_exec(pin[0], pout[1], perr[1], resident);
	}
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	if (rc) {
		close_fd(&pin[1]);
		close_fd(&pout[0]);
		close_fd(&perr[0]);
		return rc;
	}
	*in = pin[1];
	*out = pout[0];
	*err = perr[0];
	*pidfd = (int)syscall(SYS_pidfd_open, *pid, 0);
	set_nonblock(*in);
	set_nonblock(*out);
	set_nonblock(*err);
	return 0;
}

/* Start /fn for one request: 0, or -errno with nothing left open. */
static int fn_spawn(struct fn_run *f)
{
	int rc;

	f->t0 = kfaas_now_ns();
	rc = fn_start(false, &f->pid, &f->pidfd, &f->in, &f->out, &f->err);
	if (!rc && f->len == 0)
		close_fd(&f->in);
	return rc;
}

/* Write what its stdin takes; close it after the request (EOF). */
static void fn_feed(struct fn_run *f)
{
	ssize_t n = kfaas_fd_write(f->in, f->req + f->off, f->len - f->off);

	if (n > 0)
		f->off += (size_t)n;
	if ((n < 0 && n != -EAGAIN) || f->off == f->len)
		close_fd(&f->in);
}

/* Feed its stdin, collect stdout and stderr until both are closed. */
static void fn_pump(struct fn_run *f)
{
	while (f->out >= 0 || f->err >= 0) {
		struct pollfd p[4] = {
			{ .fd = f->in, .events = POLLOUT },
			{ .fd = f->out, .events = POLLIN },
			{ .fd = f->err, .events = POLLIN },
			{ .fd = f->exited ? -1 : f->pidfd, .events = POLLIN },
		};

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			fn_feed(f);
		if (p[1].revents &&
		    (capture(f->out, &f->stdout_buf, f->max_out, &f->over) <= 0 ||
		     f->over)) {
			close_fd(&f->out);
			if (f->over)	/* the response limit */
				kill(-f->pid, SIGKILL);
		}
		/* over: drained to the end, the head kept */
		if (p[2].revents &&
		    capture(f->err, &f->stderr_buf, KFAAS_AGENT_STDERR_MAX,
			    &f->err_over) <= 0)
			close_fd(&f->err);
		if (p[3].revents) {
			/* exited: whatever it left behind in its session dies */
			f->exited = true;
			kill(-f->pid, SIGKILL);
		}
	}
}

/* Wait for it; how it ended and what it took go into res. */
static void fn_reap(struct fn_run *f, struct kfaas_agent_result *res)
{
	struct rusage ru;
	int status = 0;

	memset(&ru, 0, sizeof(ru));
	close_fd(&f->in);
	close_fd(&f->out);
	close_fd(&f->err);
	while (wait4(f->pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	kill(-f->pid, SIGKILL);
	close_fd(&f->pidfd);
	res->wall_ns = kfaas_now_ns() - f->t0;
	res->cpu_ns = ((__u64)ru.ru_utime.tv_sec + (__u64)ru.ru_stime.tv_sec) *
		      1000000000ULL + ((__u64)ru.ru_utime.tv_usec +
				       (__u64)ru.ru_stime.tv_usec) * 1000ULL;
	res->status = status;
	if (f->over)
		res->flags |= KFAAS_AGENT_R_TOO_LARGE;
}

static void run(__u32 seq, const char *req, size_t len, __u32 max_out)
{
	struct fn_run f = { .pidfd = -1, .in = -1, .out = -1, .err = -1,
			    .req = req, .len = len, .max_out = max_out };
	struct kfaas_agent_result res = { 0 };
	int rc = fn_spawn(&f);

	if (rc) {
		res.flags = KFAAS_AGENT_R_SPAWN_FAILED;
		res.status = -rc;
	} else {
		fn_pump(&f);
		fn_reap(&f, &res);
	}
	/* exec failure shows as exit 127 with nothing written */
	res.out_len = f.over ? 0 : (__u32)kfaas_iobuf_len(&f.stdout_buf);
	res.err_len = (__u32)kfaas_iobuf_len(&f.stderr_buf);
	send_msg(KFAAS_AGENT_RESULT, seq, &res, sizeof(res),
		 kfaas_iobuf_data(&f.stdout_buf), res.out_len,
		 kfaas_iobuf_data(&f.stderr_buf), res.err_len);
	kfaas_iobuf_free(&f.stdout_buf);
	kfaas_iobuf_free(&f.stderr_buf);
	reap_orphans();
}

/* After a snapshot restore: every clone must not share RNG state or clock. */
static void restore(__u32 seq, const struct kfaas_agent_restore *r)
{
	struct {
		int entropy_count;
		int buf_size;
		__u8 buf[sizeof(r->seed)];
	} e = { .entropy_count = 8 * (int)sizeof(r->seed),
		.buf_size = (int)sizeof(r->seed) };
	struct kfaas_agent_restored ok = { 0 };
	struct timespec ts = {
		.tv_sec = (time_t)(r->realtime_ns / 1000000000ULL),
		.tv_nsec = (long)(r->realtime_ns % 1000000000ULL),
	};
	int fd;

	memcpy(e.buf, r->seed, sizeof(e.buf));
	fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, RNDADDENTROPY, &e) ||
	    ioctl(fd, RNDRESEEDCRNG))
		ok.rc = -errno;
	if (fd >= 0)
		close(fd);
	if (as_init && clock_settime(CLOCK_REALTIME, &ts) && !ok.rc)
		ok.rc = -errno;
	send_msg(KFAAS_AGENT_RESTORED, seq, &ok, sizeof(ok), NULL, 0, NULL, 0);
}

static void serve(void)
{
	struct kfaas_agent_hello hello = {
		.version = KFAAS_AGENT_VERSION,
		.modules = modules_loaded,
		.uptime_ns = kfaas_clock_ns(CLOCK_BOOTTIME),
	};
	struct kfaas_agent_rx rx = { 0 };
	struct kfaas_iobuf in = { 0 };
	unsigned long dropped = 0, bad = 0;

	if (send_msg(KFAAS_AGENT_HELLO, 0, &hello, sizeof(hello), NULL, 0,
		     NULL, 0))
		say("cannot send hello: %s", strerror(errno));
	for (;;) {
		struct kfaas_agent_req r;
		ssize_t n;

		/* a large request is over: give its memory back to the guest */
		if (!kfaas_iobuf_len(&in) && in.cap > RX_KEEP)
			kfaas_iobuf_free(&in);
		n = kfaas_iobuf_read(&in, chan_in, 65536);
		if (n == -ENOMEM) {
			say("out of memory for a request: dropping input");
			kfaas_iobuf_free(&in);
			usleep(10000);
			continue;
		}
		if (n == 0 && !as_init)
			exit(0);
		if (n <= 0) {
			/* the host went away (or a restore): try again */
			usleep(10000);
			continue;
		}
		while (kfaas_agent_rx_next(&rx, &in, &r)) {
			switch (r.type) {
			case KFAAS_AGENT_RUN:
				if (r.flags & KFAAS_AGENT_RUN_RESIDENT)
					resident_run(r.seq, r.data, r.len,
						     r.max_out);
				else
					run(r.seq, r.data, r.len, r.max_out);
				leak_check();
				break;
			case KFAAS_AGENT_RESTORE:
				restore(r.seq, &r.restore);
				break;
			case KFAAS_AGENT_PING:
				send_msg(KFAAS_AGENT_PONG, r.seq, NULL, 0, NULL,
					 0, NULL, 0);
				break;
			}
		}
		if (rx.dropped != dropped || rx.bad != bad) {
			say("skipped %lu bytes of garbage and %lu bad messages "
			    "from the host", rx.dropped - dropped, rx.bad - bad);
			dropped = rx.dropped;
			bad = rx.bad;
		}
	}
}

int main(int argc, char **argv)
{
	char dev[300];
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "--stdio")) {
		fn_path = argv[2];
		chan_in = 0;
		chan_out = 1;
		serve();
		return 0;
	}
	if (getpid() != 1) {
		fprintf(stderr, "usage: kfaas-agent (as /init of a kfaas guest) "
			"| kfaas-agent --stdio FUNCTION\n");
		return 2;
	}
	as_init = true;
#ifdef KFAAS_AGENT_SANITIZE
	say("the ASan+UBSan build: leaks are looked for every 16 requests");
#endif
	mount_fs();
	load_modules();
	if (find_port(KFAAS_AGENT_PORT, 20000, dev, sizeof(dev))) {
		say("no virtio-serial port named %s: check the guest kernel "
		    "has virtio_console and virtio_mmio", KFAAS_AGENT_PORT);
		for (;;)
			pause();	/* the host's boot timeout kills the VM */
	}
	for (;;) {
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			break;
		say("open %s: %s", dev, strerror(errno));
		sleep(1);
	}
	chan_in = chan_out = fd;
	serve();
	return 0;
}
