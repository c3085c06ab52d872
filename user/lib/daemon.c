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
#include "libkfaas.h"
#include "internal.h"

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

int kfaas_daemon_open(struct kfaas_daemon *d, const char *pin_root)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[128];
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	rc = kfaas_run_dir(pin_root, dir, sizeof(dir));
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
	free(d->rbuf);
	d->rbuf = NULL;
	d->rlen = d->rcap = 0;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line from the daemon (NUL-terminated in d->rbuf); its length. */
static ssize_t read_line(struct kfaas_daemon *d, size_t *consumed)
{
	for (;;) {
		char *nl = d->rlen ? memchr(d->rbuf, '\n', d->rlen) : NULL;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			*consumed = (size_t)(nl - d->rbuf) + 1;
			return nl - d->rbuf;
		}
		if (d->rcap - d->rlen < 65536) {
			size_t cap = d->rcap ? d->rcap * 2 : 65536;
			char *p = realloc(d->rbuf, cap);

			if (!p)
				return -ENOMEM;
			d->rbuf = p;
			d->rcap = cap;
		}
		n = recv(d->fd, d->rbuf + d->rlen, d->rcap - d->rlen - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		d->rlen += (size_t)n;
	}
}

int kfaas_daemon_call(struct kfaas_daemon *d, struct json_object *req,
		      struct json_object **resp)
{
	const char *s = json_object_to_json_string_ext(req,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object *o, *v;
	size_t used = 0;
	char *line;
	ssize_t n;
	int rc;

	*resp = NULL;
	line = malloc(strlen(s) + 2);
	if (!line) {
		json_object_put(req);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	sprintf(line, "%s\n", s);
	json_object_put(req);
	rc = send_all(d->fd, line, strlen(line));
	free(line);
	if (rc)
		return kfaas__errno_msg(rc, "cannot talk to kfaasd");
	n = read_line(d, &used);
	if (n < 0)
		return kfaas_err((int)n, "kfaasd closed the connection (%s): see "
				 "its log", strerror((int)-n));
	o = json_tokener_parse(d->rbuf);
	memmove(d->rbuf, d->rbuf + used, d->rlen - used);
	d->rlen -= used;
	if (!o)
		return kfaas_err(-EPROTO, "kfaasd sent an answer that is not JSON");
	*resp = o;
	if (json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v))
		return 0;
	rc = json_object_object_get_ex(o, "errno", &v) ?
	     -json_object_get_int(v) : -EIO;
	if (rc >= 0)
		rc = -EIO;
	return kfaas_err(rc, "%s", json_object_object_get_ex(o, "error", &v) ?
			 json_object_get_string(v) : "kfaasd refused the request");
}

static __u64 get_u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       (__u64)json_object_get_int64(v) : 0;
}

int kfaas_daemon_create(struct kfaas_daemon *d, const char *name,
			const char *exe, const struct kfaas_vm_params *p,
			struct kfaas_fn_info *out, __u64 *ready_ms)
{
	json_object *req = json_object_new_object(), *resp, *fn;
	int rc;

	json_object_object_add(req, "cmd", json_object_new_string("create"));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "exec", json_object_new_string(exe));
	json_object_object_add(req, "mem_mib", json_object_new_int64(p->mem_mib));
	json_object_object_add(req, "vcpus", json_object_new_int64(p->vcpus));
	json_object_object_add(req, "min_warm", json_object_new_int64(p->min_warm));
	json_object_object_add(req, "max", json_object_new_int64(p->max_instances));
	json_object_object_add(req, "idle_ttl_s", json_object_new_int64(p->idle_ttl_s));
	json_object_object_add(req, "timeout_ms", json_object_new_int64(p->timeout_ms));
	rc = kfaas_daemon_call(d, req, &resp);
	if (!rc && out) {
		memset(out, 0, sizeof(*out));
		if (json_object_object_get_ex(resp, "fn", &fn)) {
			json_object *v;

			out->id = (__u32)get_u64(fn, "id");
			out->tier = KFAAS_TIER_VM;
			out->load_time = get_u64(fn, "load_time");
			if (json_object_object_get_ex(fn, "name", &v))
				snprintf(out->name, sizeof(out->name), "%s",
					 json_object_get_string(v));
			if (json_object_object_get_ex(fn, "source", &v))
				snprintf(out->source, sizeof(out->source), "%s",
					 json_object_get_string(v));
			out->vm = *p;
		}
		if (ready_ms)
			*ready_ms = get_u64(resp, "ready_ms");
	}
	json_object_put(resp);
	return rc;
}

int kfaas_daemon_unload(struct kfaas_daemon *d, const char *name)
{
	json_object *req = json_object_new_object(), *resp;
	int rc;

	json_object_object_add(req, "cmd", json_object_new_string("unload"));
	json_object_object_add(req, "name", json_object_new_string(name));
	rc = kfaas_daemon_call(d, req, &resp);
	json_object_put(resp);
	return rc;
}

int kfaas_daemon_invoke(struct kfaas_daemon *d, const char *name,
			const void *data, size_t len, struct kfaas_vm_result *r)
{
	json_object *req = json_object_new_object(), *resp, *v;
	char *b64 = kfaas_b64_encode(data, len);
	int rc;

	memset(r, 0, sizeof(*r));
	if (!b64) {
		json_object_put(req);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	json_object_object_add(req, "cmd", json_object_new_string("invoke"));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "data", json_object_new_string(b64));
	free(b64);
	rc = kfaas_daemon_call(d, req, &resp);
	if (rc) {
		json_object_put(resp);
		return rc;
	}
	r->ok = json_object_object_get_ex(resp, "verdict", &v) &&
		!strcmp(json_object_get_string(v), "reply");
	r->duration_ns = get_u64(resp, "duration_ns");
	r->ran = json_object_object_get_ex(resp, "status", &v);
	r->status = r->ran ? json_object_get_int(v) : 0;
	r->vm = json_object_object_get_ex(resp, "vm", &v) ?
		json_object_get_int(v) : -1;
	r->fn_wall_ns = get_u64(resp, "fn_wall_ns");
	r->fn_cpu_ns = get_u64(resp, "fn_cpu_ns");
	if (json_object_object_get_ex(resp, "error", &v))
		snprintf(r->error, sizeof(r->error), "%s",
			 json_object_get_string(v));
	if (json_object_object_get_ex(resp, "reply", &v)) {
		const char *s = json_object_get_string(v);
		size_t cap = strlen(s) / 4 * 3 + 4;
		ssize_t n;

		r->reply = malloc(cap);
		n = r->reply ? kfaas_b64_decode(s, r->reply, cap) : -ENOMEM;
		if (n < 0) {
			free(r->reply);
			r->reply = NULL;
			json_object_put(resp);
			return kfaas_err(-EPROTO, "kfaasd sent a reply that is not "
					 "base64");
		}
		r->reply_len = (size_t)n;
	}
	json_object_put(resp);
	return 0;
}

void kfaas_daemon_notify(const char *pin_root)
{
	struct kfaas_daemon d;
	json_object *req, *resp = NULL;
	char saved[sizeof(((struct kfaas_daemon *)0)->path) + 1024];

	/* keep the caller's error message: this is best effort */
	snprintf(saved, sizeof(saved), "%s", kfaas_errmsg());
	if (kfaas_daemon_open(&d, pin_root) == 0) {
		req = json_object_new_object();
		json_object_object_add(req, "cmd", json_object_new_string("reload"));
		kfaas_daemon_call(&d, req, &resp);
		json_object_put(resp);
		kfaas_daemon_close(&d);
	}
	kfaas_err(0, "%s", saved);
}

/* ---- base64 (RFC 4648, with padding) ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kfaas_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *s = malloc((len + 2) / 3 * 4 + 1), *o = s;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return s;
}

ssize_t kfaas_b64_decode(const char *s, void *out, size_t cap)
{
	unsigned char *o = out;
	unsigned int acc = 0;
	size_t n = 0;
	int bits = 0, pad = 0;

	for (; *s; s++) {
		const char *c;

		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -EINVAL;	/* data after padding */
		c = strchr(b64, *s);
		if (!c || !*s)
			return -EINVAL;
		acc = (acc << 6) | (unsigned int)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -ENOSPC;
			o[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2)
		return -EINVAL;
	return (ssize_t)n;
}
