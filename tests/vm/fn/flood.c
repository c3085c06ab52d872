// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that floods its agent channel (tests/vm/test_flood.sh): one
 * static program in two roles.
 *
 * As /init of the test's guest image (tools/mkinitramfs-vm.sh -i: the
 * agent is /kfaas-agent): in the VMs of a function made from this very
 * program (its /fn is this file) it first starts a helper that stays root,
 * as a function that broke out of its sandbox would be, then execs the
 * agent as PID 1.  In every other VM it only execs the agent.
 *
 * As that function (uid 1000): it writes its request, a mode, to
 * /tmp/kfaas-flood and waits.  The helper sees the file, takes the agent's
 * channel from PID 1 (pidfd_getfd()) and writes into it as fast as it can:
 *   pong     well-formed PONG messages nobody asked for
 *   big      a RESULT header that announces 16 MiB, then bytes without end
 *   garbage  bytes that are no message header
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <kfaas/agent.h>

#define TRIGGER		"/tmp/kfaas-flood"
#define CHUNK		65536

/* Is the file at a the same bytes as the one at b? */
static int same_file(const char *a, const char *b)
{
	static char x[CHUNK], y[CHUNK];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY), same = fa >= 0 && fb >= 0;
	ssize_t n, m;

	while (same) {
		n = read(fa, x, sizeof(x));
		m = read(fb, y, sizeof(y));
		if (n != m || n < 0 || memcmp(x, y, (size_t)n))
			same = 0;
		if (n <= 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* The agent's channel: PID 1's descriptor of /dev/vport*, taken over. */
static int take_channel(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, 1, 0), fd = -1;
	struct dirent *de;
	DIR *d = opendir("/proc/1/fd");

	while (pidfd >= 0 && d && (de = readdir(d))) {
		char path[300], target[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/1/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strncmp(target, "/dev/vport", 10)) {
			fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
			break;
		}
	}
	if (d)
		closedir(d);
	return fd;
}

/* All of buf (a port may take part of a write): 0, or -1 once it is gone. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void flood(int fd, const char *mode)
{
	static char buf[CHUNK];
	struct kfaas_agent_hdr h = { .magic = KFAAS_AGENT_MAGIC };
	size_t i;

	if (!strncmp(mode, "pong", 4)) {
		h.type = KFAAS_AGENT_PONG;
		for (i = 0; i + sizeof(h) <= sizeof(buf); i += sizeof(h)) {
			h.seq = (__u32)i;
			memcpy(buf + i, &h, sizeof(h));
		}
	} else if (!strncmp(mode, "big", 3)) {
		h.type = KFAAS_AGENT_RESULT;
		h.len = KFAAS_AGENT_MAX_PAYLOAD;
		if (write_all(fd, (const char *)&h, sizeof(h)))
			return;
		memset(buf, 'x', sizeof(buf));
	} else {
		memset(buf, 0xa5, sizeof(buf));
	}
	while (!write_all(fd, buf, sizeof(buf)))
		;
}

/* Root, beside the agent: wait for the function's word, then flood. */
static void helper(void)
{
	struct timespec tick = { 0, 20 * 1000000L };
	char mode[16] = "";
	int fd;

	for (;;) {
		fd = open(TRIGGER, O_RDONLY);
		if (fd >= 0)
			break;
		nanosleep(&tick, NULL);
	}
	if (read(fd, mode, sizeof(mode) - 1) < 0)
		_exit(1);
	close(fd);
	fd = take_channel();
	if (fd >= 0)
		flood(fd, mode);
	_exit(0);
}

int main(int argc, char **argv)
{
	char mode[16] = "";
	ssize_t n;
	int fd;

	if (getpid() == 1) {
		if (same_file("/init", "/fn") && fork() == 0)
			helper();
		argv[0] = "/kfaas-agent";
		execv(argv[0], argv);
		perror("flood: exec /kfaas-agent");
		for (;;)
			pause();	/* PID 1 must not exit */
	}
	(void)argc;
	/* the function: tell the helper (the whole word at once: renamed into
	 * place), then wait to be killed with the VM */
	n = read(0, mode, sizeof(mode) - 1);
	fd = open(TRIGGER ".new", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (n <= 0 || fd < 0 || write(fd, mode, (size_t)n) != n || close(fd) ||
	    rename(TRIGGER ".new", TRIGGER))
		return 1;
	sleep(60);
	printf("not flooded\n");
	return 0;
}
