// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of kfaasd's control socket (user/kfaasd/control.c):
 * one JSON object per line each way.  Used by the CLI for VM-tier
 * functions (fn create, fn unload, invoke, daemon status) and by route
 * changes to have the daemon re-read the route table at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include "internal.h"
#include <kfaas_ctlproto.h>
#include <kfaas_iobuf.h>

#define BPFFS_PREFIX	"/sys/fs/bpf/"

int kfaas_run_dir(const char *pin_root, char *buf, size_t len)
{
	const char *env = getenv(KFAAS_RUN_DIR_ENV), *p = pin_root;
	size_t n;
	int w;

	if (env && *env)
		return kfaas__path(buf, len, "%s", env);
	if (!strcmp(pin_root, KFAAS_PIN_ROOT_DEFAULT))
		return kfaas__path(buf, len, "/run/kfaasd");
	if (!strncmp(p, BPFFS_PREFIX, strlen(BPFFS_PREFIX)))
		p += strlen(BPFFS_PREFIX);
	while (*p == '/')
		p++;
	w = snprintf(buf, len, "/run/kfaasd-");
	if (w < 0 || (size_t)w >= len)
		return kfaas_err(-ENAMETOOLONG, "run directory path too long");
	n = (size_t)w;
	for (; *p && n + 1 < len; p++)
		buf[n++] = *p == '/' || *p == ',' ? '-' : *p;
	buf[n] = '\0';
	while (n > 1 && buf[n - 1] == '-')
		buf[--n] = '\0';
	if (*p)
		return kfaas_err(-ENAMETOOLONG, "the run directory for pin root "
				 "%s is too long: set $%s", pin_root,
				 KFAAS_RUN_DIR_ENV);
	return 0;
}

int kfaas_daemon_run_dir(const char *pin_root, char *buf, size_t len)
{
	const char *env = getenv(KFAAS_RUN_DIR_ENV);
	char link[KFAAS_PATH_MAX];
	ssize_t n;

	if (!(env && *env) &&
	    kfaas__path(link, sizeof(link), "%s/%s", pin_root,
			KFAAS_RUN_DIR_LINK) == 0 &&
	    (n = readlink(link, buf, len)) > 0 && (size_t)n < len &&
	    buf[0] == '/') {
		buf[n] = '\0';
		return 0;
	}
	return kfaas_run_dir(pin_root, buf, len);
}

int kfaas_daemon_open(struct kfaas_daemon *d, const char *pin_root)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[128];
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	rc = kfaas_daemon_run_dir(pin_root, dir, sizeof(dir));
	if (rc)
		return rc;
	if (snprintf(d->path, sizeof(d->path), "%s/control.sock", dir) >=
	    (int)sizeof(a.sun_path))
		return kfaas_err(-ENAMETOOLONG, "control socket path %s/"
				 "control.sock is too long: set $%s", dir,
				 KFAAS_RUN_DIR_ENV);
	memcpy(a.sun_path, d->path, strlen(d->path) + 1);
	d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0)
		return kfaas__errno_msg(-errno, "socket");
	if (connect(d->fd, (struct sockaddr *)&a, sizeof(a))) {
		rc = -errno;
		close(d->fd);
		d->fd = -1;
		if (rc == -ENOENT || rc == -ECONNREFUSED)
			return kfaas_err(rc, "kfaasd is not running for pin root "
					 "%s (no %s): start it with 'kfaasd "
					 "--pin-root %s' or 'systemctl start "
					 "kfaasd'", pin_root, d->path, pin_root);
		return kfaas__errno_msg(rc, d->path);
	}
	return 0;
}

void kfaas_daemon_close(struct kfaas_daemon *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	kfaas_iobuf_free(&d->in);
}

/*
 * One line from the daemon, NUL-terminated at the head of d->in (waiting
 * for it): its length with the newline, to consume once read.
 */
static ssize_t read_line(struct kfaas_daemon *d)
{
	for (;;) {
		size_t len = kfaas_iobuf_len(&d->in);
		char *line = (char *)kfaas_iobuf_data(&d->in);
		char *nl = len ? memchr(line, '\n', len) : NULL;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return nl - line + 1;
		}
		n = kfaas_iobuf_read_wait(&d->in, d->fd, 65536);
		if (n < 0)
			return n;
		if (n == 0)
			return -EPIPE;
	}
}

int kfaas_daemon_call(struct kfaas_daemon *d, struct json_object *req,
		      struct json_object **resp)
{
	const char *s;
	char *line;
	ssize_t n;
	int rc;

	*resp = NULL;
	if (!req)
		return kfaas_err(-ENOMEM, "out of memory");
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	line = s ? malloc(strlen(s) + 2) : NULL;
	if (!line) {
		json_object_put(req);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	sprintf(line, "%s\n", s);
	json_object_put(req);
	rc = kfaas_fd_write_all(d->fd, line, strlen(line));
	free(line);
	if (rc)
		return kfaas__errno_msg(rc, "cannot talk to kfaasd");
	n = read_line(d);
	if (n < 0)
		return kfaas_err((int)n, "kfaasd closed the connection (%s): see "
				 "its log", strerror((int)-n));
	rc = kfaas_ctl_answer(kfaas_iobuf_data(&d->in), resp);
	kfaas_iobuf_consume(&d->in, (size_t)n);
	return rc;
}

int kfaas_daemon_create(struct kfaas_daemon *d, const char *name,
			const char *exe, const struct kfaas_vm_params *p,
			struct kfaas_fn_info *out, __u64 *ready_ms)
{
	json_object *resp;
	int rc;

	rc = kfaas_daemon_call(d, kfaas_ctl_req_create(name, exe, p), &resp);
	if (!rc)
		kfaas_ctl_create_result(resp, p, out, ready_ms);
	json_object_put(resp);
	return rc;
}

int kfaas_daemon_unload(struct kfaas_daemon *d, const char *name)
{
	json_object *req = kfaas_ctl_req_new(KFAAS_CTL_UNLOAD, name), *resp;
	int rc;

	rc = kfaas_daemon_call(d, req, &resp);
	json_object_put(resp);
	return rc;
}

int kfaas_daemon_wait(struct kfaas_daemon *d, const char *name, __u64 load_time)
{
	json_object *resp;
	int rc;

	rc = kfaas_daemon_call(d, kfaas_ctl_req_wait(name, load_time), &resp);
	json_object_put(resp);
	return rc;
}

int kfaas_daemon_invoke(struct kfaas_daemon *d, const char *name,
			const void *data, size_t len, struct kfaas_vm_result *r)
{
	json_object *resp;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = kfaas_daemon_call(d, kfaas_ctl_req_invoke(name, data, len), &resp);
	if (!rc)
		rc = kfaas_ctl_invoke_result(resp, r);
	json_object_put(resp);
	return rc;
}

void kfaas_daemon_notify(const char *pin_root)
{
	struct kfaas_daemon d;
	json_object *req, *resp = NULL;
	char saved[sizeof(((struct kfaas_daemon *)0)->path) + 1024];

	/* keep the caller's error message: this is best effort */
	snprintf(saved, sizeof(saved), "%s", kfaas_errmsg());
	if (kfaas_daemon_open(&d, pin_root) == 0) {
		req = kfaas_ctl_req_new(KFAAS_CTL_RELOAD, NULL);
		kfaas_daemon_call(&d, req, &resp);
		json_object_put(resp);
		kfaas_daemon_close(&d);
	}
	kfaas_err(0, "%s", saved);
}
