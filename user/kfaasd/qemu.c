// SPDX-License-Identifier: GPL-2.0
/*
 * Starting QEMU with the fewest privileges that work:
 *   - its own uid per function (opts.uid_base + function id, no passwd
 *     entry needed), no supplementary groups but kvm when KVM is used;
 *   - -sandbox on with every optional filter (no exec, no setuid, no
 *     obsolete syscalls, no resource control);
 *   - no files to create: the agent channel and QMP are socketpairs passed
 *     as fds 3 and 4, the snapshot state as fd 5; only the RAM file of a
 *     template or clone is opened by path (group-owned by the VM's gid);
 *   - PR_SET_PDEATHSIG: the VM dies with the daemon, even on kill -9 (and
 *     rundir.c kills what escaped, by its -name tag, on the next start).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "kfaasd.h"

#define ARGS_MAX	64
#define FD_CHAN		3
#define FD_QMP		4
#define FD_STATE	5

extern char **environ;

uid_t qemu_uid(__u32 fn_id)
{
	return opts.drop_privs ? opts.uid_base + fn_id : (uid_t)-1;
}

struct argv {
	char	*v[ARGS_MAX + 1];
	int	n;
	int	err;
};

static void arg(struct argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void arg(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->n >= ARGS_MAX) {
		a->err = -E2BIG;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->err = -ENOMEM;
		s = NULL;
	}
	va_end(ap);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static int build_argv(const struct qemu_spec *s, struct argv *a)
{
	char tag[200];
	bool kvm = s->accel == ACCEL_KVM;
	int rc;

	rc = rundir_vm_tag(s->fn_id, s->vm_seq, tag, sizeof(tag));
	if (rc)
		return rc;
	arg(a, "%s", opts.qemu);
	/* comm is 15 characters: enough to tell kfaas VMs apart in ps */
	arg(a, "-name");
	arg(a, "%s,process=kfaas-%.9s", tag, s->name);
	arg(a, "-machine");
	arg(a, "microvm%s", s->mem_path ? ",memory-backend=ram0" : "");
	arg(a, "-accel");
	arg(a, "%s", kvm ? "kvm" : "tcg");
	arg(a, "-cpu");
	arg(a, "%s", kvm ? "host" : "max");
	arg(a, "-m");
	arg(a, "%uM", s->mem_mib);
	arg(a, "-smp");
	arg(a, "%u", s->vcpus ? s->vcpus : 1);
	arg(a, "-nodefaults");
	arg(a, "-no-user-config");
	arg(a, "-display");
	arg(a, "none");
	arg(a, "-no-reboot");
	arg(a, "-sandbox");
	arg(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	       "resourcecontrol=deny");
	if (s->mem_path) {
		arg(a, "-object");
		arg(a, "memory-backend-file,id=ram0,size=%uM,mem-path=%s,share=%s",
		    s->mem_mib, s->mem_path, s->mem_share ? "on" : "off");
	}
	arg(a, "-kernel");
	arg(a, "%s", opts.vmlinux);
	arg(a, "-initrd");
	arg(a, "%s", s->image);
	arg(a, "-append");
	/* see docs/vm-tier.md: each word saves boot time or is required */
	arg(a, "console=ttyS0 loglevel=3 tsc_early_khz=%u tsc=reliable "
	       "no_timer_check rodata=off mitigations=off cryptomgr.notests "
	       "8250.nr_uarts=1 audit=0 panic=-1 rdinit=/init", opts.tsc_khz);
	arg(a, "-serial");
	arg(a, "stdio");
	arg(a, "-chardev");
	arg(a, "socket,id=agent,fd=%d", FD_CHAN);
	arg(a, "-device");
	arg(a, "virtio-serial-device");
	arg(a, "-device");
	arg(a, "virtserialport,chardev=agent,name=%s", KFAAS_AGENT_PORT);
	arg(a, "-chardev");
	arg(a, "socket,id=qmp,fd=%d", FD_QMP);
	arg(a, "-mon");
	arg(a, "chardev=qmp,mode=control");
	if (s->state_fd >= 0) {
		arg(a, "-incoming");
		arg(a, "defer");
	}
	return a->err;
}

/* In the child: never returns. */
static void child(const struct qemu_spec *s, char **argv, int chan, int qmp,
		  int con, pid_t parent, gid_t kvm_gid)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fds[3] = { chan, qmp, s->state_fd }, hi[3], i;

	/* move everything out of the way, then into place */
	for (i = 0; i < 3; i++)
		hi[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, 64) : -1;
	if (null < 0 || dup2(null, 0) < 0 || dup2(con, 1) < 0 ||
	    dup2(con, 2) < 0)
		_exit(126);
	for (i = 0; i < 3; i++)
		if (hi[i] >= 0 && dup2(hi[i], FD_CHAN + i) < 0)
			_exit(126);
	syscall(SYS_close_range, FD_STATE + 1, ~0U, 0);
	setsid();
	if (s->uid != (uid_t)-1) {
		gid_t g = kvm_gid;

		if (setgroups(s->accel == ACCEL_KVM && kvm_gid ? 1 : 0, &g) ||
		    setresgid(s->uid, s->uid, s->uid) ||
		    setresuid(s->uid, s->uid, s->uid)) {
			dprintf(2, "kfaasd: cannot drop to uid %u: %s\n",
				(unsigned int)s->uid, strerror(errno));
			_exit(126);
		}
	}
	/* after the uid change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	execv(argv[0], argv);
	dprintf(2, "kfaasd: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The command line QEMU runs with, for -vv. */
static void log_cmdline(const struct argv *a)
{
	char line[4096];
	size_t off = 0;
	int i;

	for (i = 0; i < a->n && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
					i ? " " : "", a->v[i]);
	dbg("exec %s", line);
}

int qemu_spawn(const struct qemu_spec *s, struct qemu_proc *p)
{
	int chan[2] = { -1, -1 }, qmp[2] = { -1, -1 }, con[2] = { -1, -1 };
	struct argv a = { .n = 0 };
	gid_t kvm_gid = 0;
	pid_t pid, parent = getpid();
	int rc;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->pidfd = p->chan_fd = p->qmp_fd = p->con_fd = -1;
	rc = build_argv(s, &a);
	if (rc)
		goto out;
	if (s->accel == ACCEL_KVM) {
		struct group *g = getgrnam("kvm");

		kvm_gid = g ? g->gr_gid : 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) ||
	    pipe2(con, O_CLOEXEC)) {
		rc = -errno;
		goto out;
	}
	if (opts.verbose > 1)
		log_cmdline(&a);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0)
		child(s, a.v, chan[1], qmp[1], con[1], parent, kvm_gid);
	p->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd < 0) {
		rc = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		p->pid = -1;
		goto out;
	}
	p->chan_fd = chan[0];
	p->qmp_fd = qmp[0];
	p->con_fd = con[0];
	chan[0] = qmp[0] = con[0] = -1;
	fcntl(p->chan_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->qmp_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->con_fd, F_SETFL, O_NONBLOCK);
	rc = 0;
out:
	if (chan[0] >= 0)
		close(chan[0]);
	if (chan[1] >= 0)
		close(chan[1]);
	if (qmp[0] >= 0)
		close(qmp[0]);
	if (qmp[1] >= 0)
		close(qmp[1]);
	if (con[0] >= 0)
		close(con[0]);
	if (con[1] >= 0)
		close(con[1]);
	argv_free(&a);
	return rc;
}

int qemu_version(char *buf, size_t len)
{
	char *argv[] = { (char *)opts.qemu, "-version", NULL };
	posix_spawn_file_actions_t fa;
	char out[512];
	ssize_t n, got = 0;
	int pfd[2], rc, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(&pid, opts.qemu, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc) {
		close(pfd[0]);
		return kfaas_err(-rc, "cannot run %s: %s: install qemu-system-x86 "
				 "or give --qemu", opts.qemu, strerror(rc));
	}
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !strstr(out, "version"))
		return kfaas_err(-ENOEXEC, "%s -version failed: is it QEMU?",
				 opts.qemu);
	/* "QEMU emulator version 7.2.22 (Debian ...)" */
	snprintf(buf, len, "%s", strstr(out, "version ") ?
		 strstr(out, "version ") + 8 : out);
	buf[strcspn(buf, " ")] = '\0';
	return 0;
}
