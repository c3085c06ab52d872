// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd's log history (kfaas_logs.h): RUNDIR/logs/NAME.log, one JSON
 * entry a line, and the older half NAME.log.1.  kfaasd appends and
 * rotates; 'kfaas logs' reads and follows them (user/cli/logs_history.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <libkfaas.h>
#include <kfaas_logs.h>
#include "internal.h"

int kfaas_log_dir_in(const char *run_dir, char *buf, size_t len)
{
	return kfaas__path(buf, len, "%s/logs", run_dir);
}

int kfaas_log_dir(const char *pin_root, char *buf, size_t len)
{
	char run[KFAAS_PATH_MAX];

	return kfaas_daemon_run_dir(pin_root, run, sizeof(run)) ?:
	       kfaas_log_dir_in(run, buf, len);
}

int kfaas_log_file(const char *dir, const char *fn, bool old, char *buf,
		   size_t len)
{
	return kfaas__path(buf, len, "%s/%s.log%s", dir, fn, old ? ".1" : "");
}

int kfaas_log_file_append(const char *dir, const char *fn, const char *line,
			  size_t cap)
{
	char path[KFAAS_PATH_MAX], old[KFAAS_PATH_MAX];
	size_t n = strlen(line);
	struct stat sb;
	char *buf;
	int fd, rc;

	rc = kfaas_log_file(dir, fn, false, path, sizeof(path)) ?:
	     kfaas_log_file(dir, fn, true, old, sizeof(old));
	if (rc)
		return rc;
	/* the current half is full: it becomes the old one */
	if (stat(path, &sb) == 0 && (size_t)sb.st_size + n + 1 > cap / 2 &&
	    rename(path, old))
		return kfaas__errno_msg(-errno, path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return kfaas__errno_msg(-errno, path);
	/* one write: a reader sees whole lines or nothing of this one */
	buf = malloc(n + 1);
	if (!buf) {
		close(fd);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	memcpy(buf, line, n);
	buf[n] = '\n';
	rc = kfaas_fd_write_all(fd, buf, n + 1);
	free(buf);
	close(fd);
	return rc ? kfaas__errno_msg(rc, path) : 0;
}
