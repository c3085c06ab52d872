// SPDX-License-Identifier: GPL-2.0
/*
 * A small asynchronous QMP client: commands go out in order (one JSON
 * object per line, optionally with an fd for "getfd"), answers come back
 * in the same order and are matched to their callbacks; events go to
 * on_event.  Used for snapshot save (migrate to an fd) and restore
 * (migrate-incoming from an fd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "kfaasd.h"

#define QMP_IN_MAX	(1U << 20)	/* QEMU's lines are short: more is broken */

struct qmp_cmd {
	struct qmp_cmd	*next;
	qmp_cb		cb;
};

void qmp_init(struct qmp *q, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->w.fd = -1;
	q->ctx = ctx;
	kfaas_iobuf_init(&q->in, QMP_IN_MAX);
}

void qmp_free(struct qmp *q)
{
	struct qmp_cmd *c = q->pending, *n;

	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	q->pending = q->last = NULL;
	loop_close(&q->w);
	kfaas_iobuf_free(&q->in);
}

int qmp_send(struct qmp *q, const char *cmd, json_object *args, int fd,
	     qmp_cb cb)
{
	json_object *o = json_object_new_object();
	struct qmp_cmd *c = calloc(1, sizeof(*c));
	const char *s;
	char *line = NULL;
	ssize_t n;
	int rc = 0;

	if (!o || !c) {
		json_object_put(args);
		json_object_put(o);
		free(c);
		return -ENOMEM;
	}
	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", args);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (asprintf(&line, "%s\n", s) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (fd >= 0) {
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl = { { 0 } };
		struct iovec iov = { .iov_base = line, .iov_len = strlen(line) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		n = sendmsg(q->w.fd, &m, MSG_NOSIGNAL);
	} else {
		n = send(q->w.fd, line, strlen(line), MSG_NOSIGNAL);
	}
	/* QMP lines are short: a partial write means QEMU is stuck */
	if (n != (ssize_t)strlen(line)) {
		rc = n < 0 ? -errno : -EAGAIN;
		goto out;
	}
	c->cb = cb;
	if (q->last)
		q->last->next = c;
	else
		q->pending = c;
	q->last = c;
	c = NULL;
	dbg("qmp -> %s", s);
out:
	free(line);
	free(c);
	json_object_put(o);
	return rc;
}

/* A string member, or NULL (absent, null, another type). */
const char *qmp_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *qmp_migration_status(const char *event, json_object *data)
{
	if (!event || strcmp(event, "MIGRATION"))
		return NULL;
	return qmp_str(data, "status");
}

/* QEMU is not trusted more than its guest: any line may be anything. */
static void handle(struct qmp *q, json_object *o)
{
	json_object *v, *d;

	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "QMP", NULL)) {
		q->greeted = true;
		return;
	}
	if (json_object_object_get_ex(o, "event", &v)) {
		const char *event = qmp_str(o, "event");

		json_object_object_get_ex(o, "data", &d);
		if (event && q->on_event)
			q->on_event(q, event, d, q->ctx);
		return;
	}
	if (q->pending) {
		struct qmp_cmd *c = q->pending;
		const char *error = NULL;

		q->pending = c->next;
		if (!q->pending)
			q->last = NULL;
		if (json_object_object_get_ex(o, "error", &v)) {
			error = qmp_str(v, "desc");
			if (!error)
				error = "QMP error";
		}
		json_object_object_get_ex(o, "return", &v);
		if (c->cb)
			c->cb(q, v, error, q->ctx);
		free(c);
	}
}

int qmp_input(struct qmp *q)
{
	char *line, *nl;

	for (;;) {
		ssize_t n = kfaas_iobuf_read(&q->in, q->w.fd, 4096);

		if (n == -EAGAIN)
			break;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
	}
	while ((line = (char *)kfaas_iobuf_data(&q->in)),
	       (nl = memchr(line, '\n', kfaas_iobuf_len(&q->in)))) {
		json_object *o;

		*nl = '\0';
		o = json_tokener_parse(line);
		if (o) {
			dbg("qmp <- %.200s", line);
			handle(q, o);
			json_object_put(o);
		}
		kfaas_iobuf_consume(&q->in, (size_t)(nl - line) + 1);
	}
	return 0;
}
