// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: RUNDIR/control.sock, mode 0600, and every client
 * must be root (SO_PEERCRED).  One JSON object per line in each direction,
 * one request at a time per connection; every answer has "ok" and, when
 * false, "error" (one line saying what to do) and "errno".
 *
 *   {"cmd":"ping"}
 *   {"cmd":"status"}
 *   {"cmd":"reload"}                       re-read routes and registry now
 *   {"cmd":"create","name":N,"exec":ABS_PATH,"mem_mib":..,"vcpus":..,
 *    "min_warm":..,"max":..,"idle_ttl_s":..,"timeout_ms":..}
 *                                          answers once min-warm VMs are up
 *   {"cmd":"unload","name":N}
 *   {"cmd":"wait","name":N,"load_time":T}   answers once the function
 *                                          registered at T is ready (kfaas
 *                                          apply's second phase)
 *   {"cmd":"invoke","name":N,"data":BASE64}
 *        -> {"ok":true,"verdict":"reply"|"error","reply":BASE64,
 *            "duration_ns":..,"fn_wall_ns":..,"fn_cpu_ns":..,"status":..,
 *            "error":..,"vm":..}
 *   {"cmd":"show","name":N}                a function's arrival histogram
 *                                          and, VM tier, its lifecycle
 *   {"cmd":"cost","since":EPOCH_S}         what every function cost
 *
 * The client side is user/lib/daemon.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "kfaasd.h"
#include <kfaas_ctlproto.h>

#define LINE_MAX_BYTES	(48U << 20)
#define WBUF_HIGH	(1U << 20)

struct ctl_conn {
	struct list	link;
	struct watch	w;
	struct kfaas_iobuf in;		/* request lines, LINE_MAX_BYTES at most */
	struct kfaas_iobuf out;		/* answers not yet written */
	bool		busy;		/* a request is being answered */
	bool		closing;	/* close once written */
	struct req	*req;		/* invoke in flight */
	struct pool_waiter waiter;	/* create waiting for the pool */
	bool		waiting;
	bool		finish_pending;	/* create_finish() deferred */
	bool		wait_only;	/* "wait": an error aborts nothing */
	bool		dead;		/* freed by create_finish() */
	__u32		create_id;
	__u64		create_time;
	uint64_t	t0_ns;
	const char	*create_err;
	char		create_err_buf[600];
};

static struct watch listen_w = { .fd = -1 };
static struct list conns = LIST_INIT(conns);
static unsigned int nconns;
static uint64_t n_refused;
static char sock_path[128];

static void conn_free(struct ctl_conn *c)
{
	if (c->req)
		req_orphan(c->req);
	c->req = NULL;
	if (c->waiting)
		list_del(&c->waiter.link);
	c->waiting = false;
	loop_close(&c->w);
	if (c->finish_pending) {
		c->dead = true;	/* create_finish() frees it */
		return;
	}
	list_del(&c->link);
	nconns--;
	kfaas_iobuf_free(&c->in);
	kfaas_iobuf_free(&c->out);
	free(c);
}

static void conn_flush(struct ctl_conn *c)
{
	int rc = kfaas_iobuf_write(&c->out, c->w.fd);

	if (rc && rc != -EAGAIN) {
		kfaas_iobuf_reset(&c->out);
		c->closing = true;
	}
	loop_mod(&c->w, kfaas_iobuf_len(&c->out) ? EPOLLOUT :
		 c->busy ? 0 : EPOLLIN);
}

/* Queue one answer line (consumes o) and end the current request. */
static void answer(struct ctl_conn *c, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);

	if (kfaas_iobuf_reserve(&c->out, n + 1) == 0) {
		kfaas_iobuf_append(&c->out, s, n);
		kfaas_iobuf_append(&c->out, "\n", 1);
	} else {
		c->closing = true;
	}
	json_object_put(o);
	c->busy = false;
	/* written from the connection's own event: safe in any callback */
	loop_mod(&c->w, EPOLLOUT);
}

static json_object *ok_obj(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static void answer_err(struct ctl_conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void answer_err(struct ctl_conn *c, int err, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "errno", json_object_new_int(err < 0 ? -err : err));
	answer(c, o);
}

static json_object *fn_json(const struct fn *f)
{
	json_object *o = json_object_new_object();
	char keep[40];

	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "source", json_object_new_string(f->source));
	json_object_object_add(o, "mem_mib", json_object_new_int64(f->vm.mem_mib));
	json_object_object_add(o, "vcpus", json_object_new_int64(f->vm.vcpus));
	json_object_object_add(o, "min_warm", json_object_new_int64(f->vm.min_warm));
	json_object_object_add(o, "max", json_object_new_int64(f->vm.max_instances));
	json_object_object_add(o, "idle_ttl_s", json_object_new_int64(f->vm.idle_ttl_s));
	json_object_object_add(o, "timeout_ms", json_object_new_int64(f->vm.timeout_ms));
	json_object_object_add(o, "fresh", json_object_new_boolean(
		!!(f->vm.flags & KFAAS_VM_F_FRESH)));
	json_object_object_add(o, "resident", json_object_new_boolean(
		!!(f->vm.flags & KFAAS_VM_F_RESIDENT)));
	json_object_object_add(o, "keep_alive", json_object_new_string(
		kfaas_vm_keep_name(&f->vm, keep, sizeof(keep))));
	json_object_object_add(o, "load_time", json_object_new_int64((int64_t)f->load_time));
	if (f->uid != (uid_t)-1)
		json_object_object_add(o, "qemu_uid", json_object_new_int64(f->uid));
	return o;
}

/* ---- commands ---------------------------------------------------------- */

static void cmd_ping(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	json_object *o = ok_obj();

	(void)req;
	json_object_object_add(o, "version", json_object_new_string(KFAAS_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	answer(c, o);
}

static void cmd_status(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	json_object *o = ok_obj(), *d = json_object_new_object();
	json_object *fa = json_object_new_array();
	unsigned int tcp_now;
	uint64_t tcp_refused;
	struct list *l, *t;

	(void)req;
	json_object_object_add(d, "pid", json_object_new_int(getpid()));
	json_object_object_add(d, "version", json_object_new_string(KFAAS_VERSION));
	json_object_object_add(d, "pin_root", json_object_new_string(opts.pin_root));
	json_object_object_add(d, "run_dir", json_object_new_string(opts.run_dir));
	json_object_object_add(d, "socket_tier", json_object_new_boolean(sk_serving()));
	json_object_object_add(d, "accel", json_object_new_string(
		opts.accel_used == ACCEL_KVM ? "kvm" : "tcg"));
	json_object_object_add(d, "accel_why", json_object_new_string(opts.accel_why));
	json_object_object_add(d, "kernel", json_object_new_string(opts.vmlinux));
	json_object_object_add(d, "initramfs", json_object_new_string(opts.initramfs));
	json_object_object_add(d, "qemu", json_object_new_string(opts.qemu));
	json_object_object_add(d, "qemu_version",
			       json_object_new_string(opts.qemu_version));
	json_object_object_add(d, "snapshot", json_object_new_boolean(opts.snapshot));
	json_object_object_add(d, "queue_max", json_object_new_int((int)opts.queue_max));
	json_object_object_add(d, "max_request", json_object_new_int64((int64_t)opts.max_request));
	json_object_object_add(d, "max_response", json_object_new_int64((int64_t)opts.max_response));
	json_object_object_add(d, "tsc_khz", json_object_new_int64(opts.tsc_khz));
	json_object_object_add(d, "drop_privs", json_object_new_boolean(opts.drop_privs));
	json_object_object_add(d, "boot_timeout_ms",
			       json_object_new_int64(opts.boot_timeout_ms));
	json_object_object_add(d, "probe_timeout_ms",
			       json_object_new_int64(opts.probe_timeout_ms));
	json_object_object_add(d, "tcp_timeout_ms",
			       json_object_new_int64(opts.tcp_timeout_ms));
	json_object_object_add(d, "refresh_ms", json_object_new_int64(opts.refresh_ms));
	json_object_object_add(d, "max_conns", json_object_new_int64(opts.max_conns));
	listen_counts(&tcp_now, &tcp_refused);
	json_object_object_add(d, "tcp_conns", json_object_new_int64(tcp_now));
	json_object_object_add(d, "tcp_refused",
			       json_object_new_int64((int64_t)tcp_refused));
	json_object_object_add(d, "control_conns", json_object_new_int64(nconns));
	json_object_object_add(d, "control_refused",
			       json_object_new_int64((int64_t)n_refused));
	json_object_object_add(d, "memory", memcap_status());
	json_object_object_add(d, "hist_bin_ms", json_object_new_int64(opts.hist_bin_ms));
	json_object_object_add(d, "hist_bins", json_object_new_int64(opts.hist_bins));
	json_object_object_add(d, "sample_ms", json_object_new_int64(opts.sample_ms));
	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);
		json_object *j = fn_json(f);

		json_object_object_add(j, "pool", pool_status(&f->pool));
		json_object_object_add(j, "shed", json_object_new_int64(
			(int64_t)f->n_shed));
		json_object_array_add(fa, j);
	}
	json_object_object_add(d, "cluster", cluster_status());
	json_object_object_add(o, "daemon", d);
	json_object_object_add(o, "functions", fa);
	json_object_object_add(o, "routes", listen_status());
	answer(c, o);
}

static void cmd_reload(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	(void)req;
	fns_sync();
	listen_refresh();
	answer(c, ok_obj());
}

static void create_finish(void *arg)
{
	struct ctl_conn *c = arg;
	struct fn *f = fn_by_id(c->create_id);
	json_object *o;

	c->finish_pending = false;
	if (f && f->load_time != c->create_time)
		f = NULL;
	if (c->dead) {
		if (c->create_err && f && !c->wait_only)
			fn_abort(f);
		conn_free(c);
		return;
	}
	if (c->create_err) {
		if (f && !c->wait_only)
			fn_abort(f);
		answer_err(c, EIO, "function %s: %s", c->wait_only ?
			   "cannot serve" : "was not created", c->create_err);
		return;
	}
	if (!f) {
		answer_err(c, ENOENT, "the function was unloaded while it "
			   "started");
		return;
	}
	o = ok_obj();
	json_object_object_add(o, "fn", fn_json(f));
	json_object_object_add(o, "ready_ms", json_object_new_int64(
		(int64_t)((kfaas_now_ns() - c->t0_ns) / 1000000)));
	json_object_object_add(o, "pool", pool_status(&f->pool));
	answer(c, o);
}

static void create_ready(struct pool_waiter *w, const char *err)
{
	struct ctl_conn *c = container_of(w, struct ctl_conn, waiter);

	c->waiting = false;
	if (err) {
		snprintf(c->create_err_buf, sizeof(c->create_err_buf), "%s", err);
		c->create_err = c->create_err_buf;
	}
	/* not here: the pool calling us may be freed by an abort */
	if (loop_defer(create_finish, c) == 0)
		c->finish_pending = true;
	else
		c->closing = true;
}

static void wait_pool(struct ctl_conn *c, struct fn *f)
{
	c->create_id = f->id;
	c->create_time = f->load_time;
	c->create_err = NULL;
	c->waiting = true;
	c->waiter.cb = create_ready;
	pool_wait_ready(&f->pool, &c->waiter);
}

static void cmd_create(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	char why[600];
	struct fn *f;
	int rc;

	rc = fn_create(req->name, req->exec, &req->params, &f, why, sizeof(why));
	if (rc)
		return answer_err(c, rc, "%s", why);
	c->wait_only = false;
	wait_pool(c, f);
}

/*
 * kfaas apply registered (or updated) the function under its lock: adopt
 * it from the registry now and answer once its pool is ready.  A failure
 * is only reported: the apply undoes its registration itself.
 */
static void cmd_wait(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	struct fn *f = fn_by_name(req->name);
	char why[600];

	if (!f || f->load_time != req->load_time) {
		fns_sync();
		f = fn_by_name(req->name);
	}
	if (!f || f->load_time != req->load_time)
		return answer_err(c, ENOENT, "kfaasd does not find VM-tier "
				  "function '%s' registered at %llu in the "
				  "registry", req->name,
				  (unsigned long long)req->load_time);
	/* what fn_create() refuses, the registry's way in refuses too */
	if (image_check_exec(f->source, why, sizeof(why)))
		return answer_err(c, EINVAL, "%s", why);
	c->wait_only = true;
	wait_pool(c, f);
}

static void cmd_unload(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	char why[600];
	int rc;

	rc = fn_unload(req->name, why, sizeof(why));
	if (rc)
		return answer_err(c, rc, "%s", why);
	answer(c, ok_obj());
}

static void invoke_done(struct req *r, const struct result *res)
{
	struct ctl_conn *c = r->ctx;
	json_object *o = ok_obj();
	char *b64;

	c->req = NULL;
	json_object_object_add(o, "verdict", json_object_new_string(
		res->err == REQ_OK ? "reply" : "error"));
	json_object_object_add(o, "duration_ns", json_object_new_int64(
		(int64_t)(kfaas_now_ns() - r->t_recv_ns)));
	if (res->ran) {
		json_object_object_add(o, "fn_wall_ns",
				       json_object_new_int64((int64_t)res->fn_wall_ns));
		json_object_object_add(o, "fn_cpu_ns",
				       json_object_new_int64((int64_t)res->fn_cpu_ns));
		json_object_object_add(o, "status", json_object_new_int(res->status));
		json_object_object_add(o, "vm", json_object_new_int(res->vm_id));
	}
	if (res->err == REQ_OK) {
		b64 = kfaas_b64_encode(res->out, res->out_len);
		json_object_object_add(o, "reply", json_object_new_string(
			b64 ? b64 : ""));
		free(b64);
	} else {
		json_object_object_add(o, "error", json_object_new_string(res->msg));
	}
	if (res->errtext_len) {
		b64 = kfaas_b64_encode(res->errtext, res->errtext_len);
		json_object_object_add(o, "stderr", json_object_new_string(
			b64 ? b64 : ""));
		free(b64);
	}
	answer(c, o);
}

static void cmd_invoke(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	struct fn *f = fn_by_name(req->name);

	if (!f)
		return answer_err(c, ENOENT, "no VM-tier function '%s' in kfaasd: "
				  "'kfaas fn list' shows the functions", req->name);
	c->req = req_new(f->id, req->data, req->len, invoke_done, c);
	if (!c->req)
		return answer_err(c, ENOMEM, "out of memory");
	req->data = NULL;	/* the request owns it now */
	req_submit(c->req);
}

/* The arrival histogram of a function of any tier; the lifecycle of a
 * VM-tier one. */
static void cmd_show(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	struct kfaas_fn_info info;
	json_object *o, *h;
	struct fn *f;

	if (kfaas_fn_find(&pinroot, req->name, &info))
		return answer_err(c, ENOENT, "%s", kfaas_errmsg());
	h = ledger_show(info.id);
	if (!h)
		return answer_err(c, EAGAIN, "kfaasd has not adopted function "
				  "'%s' yet: retry in a moment", req->name);
	o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(info.name));
	json_object_object_add(o, "tier", json_object_new_string(
		kfaas_tier_name(info.tier)));
	json_object_object_add(o, "histogram", h);
	f = fn_by_id(info.id);
	if (f && f->load_time == info.load_time)
		json_object_object_add(o, "lifecycle", lc_show(&f->pool));
	answer(c, o);
}

static void cmd_cost(struct ctl_conn *c, struct kfaas_ctl_req *req)
{
	json_object *o = ok_obj();

	json_object_object_add(o, "cost", ledger_cost(req->since));
	answer(c, o);
}

static void (*const cmds[KFAAS_CTL_MAX])(struct ctl_conn *c,
					 struct kfaas_ctl_req *req) = {
	[KFAAS_CTL_PING] = cmd_ping,
	[KFAAS_CTL_STATUS] = cmd_status,
	[KFAAS_CTL_RELOAD] = cmd_reload,
	[KFAAS_CTL_CREATE] = cmd_create,
	[KFAAS_CTL_UNLOAD] = cmd_unload,
	[KFAAS_CTL_INVOKE] = cmd_invoke,
	[KFAAS_CTL_SHOW] = cmd_show,
	[KFAAS_CTL_COST] = cmd_cost,
	[KFAAS_CTL_WAIT] = cmd_wait,
};

static void handle_line(struct ctl_conn *c, const char *line)
{
	struct kfaas_ctl_req req;
	char why[256];
	int rc;

	c->busy = true;
	c->t0_ns = kfaas_now_ns();
	rc = kfaas_ctl_parse(line, opts.max_request, &req, why, sizeof(why));
	if (rc)
		answer_err(c, rc, "%s", why);
	else
		cmds[req.cmd](c, &req);
	kfaas_ctl_req_free(&req);
}

static void process_input(struct ctl_conn *c)
{
	char *nl;

	/* a client that sends without reading gets no more answers queued
	 * than WBUF_HIGH: the rest waits until it reads */
	while (!c->busy && !c->closing && kfaas_iobuf_len(&c->out) < WBUF_HIGH &&
	       (nl = memchr(kfaas_iobuf_data(&c->in), '\n',
			    kfaas_iobuf_len(&c->in)))) {
		const char *start = kfaas_iobuf_data(&c->in);
		char *line = strndup(start, (size_t)(nl - start));

		kfaas_iobuf_consume(&c->in, (size_t)(nl - start) + 1);
		if (!line) {
			c->closing = true;
			break;
		}
		handle_line(c, line);
		free(line);
		if (kfaas_iobuf_len(&c->out) >= WBUF_HIGH)
			conn_flush(c);
	}
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct ctl_conn *c = container_of(w, struct ctl_conn, w);

	if (events & EPOLLOUT) {
		conn_flush(c);
		if (!kfaas_iobuf_len(&c->out) && c->closing) {
			conn_free(c);
			return;
		}
		process_input(c);	/* pipelined requests */
		if (kfaas_iobuf_len(&c->out))
			conn_flush(c);
		if (!kfaas_iobuf_len(&c->out) && c->closing) {
			conn_free(c);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (c->busy && !(events & EPOLLIN)) {
		/* hung up while we work: drop the answer */
		conn_free(c);
		return;
	}
	for (;;) {
		ssize_t n = kfaas_iobuf_read(&c->in, w->fd, 65536);

		if (n == -EMSGSIZE) {
			answer_err(c, E2BIG, "request line over %u bytes",
				   LINE_MAX_BYTES);
			c->closing = true;
			return;
		}
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* the client is gone (or no memory for it); an invoke
			 * in flight is orphaned */
			conn_free(c);
			return;
		}
		/* answer what is complete before reading more */
		if (memchr(kfaas_iobuf_data(&c->in) + kfaas_iobuf_len(&c->in) - n,
			   '\n', (size_t)n))
			break;
	}
	process_input(c);
	if (kfaas_iobuf_len(&c->out))
		conn_flush(c);
	else if (c->busy)
		loop_mod(&c->w, 0);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *c;
	int fd;

	(void)events;
	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.uid != 0) {
		static const char msg[] = "{\"ok\":false,\"error\":\"kfaasd "
			"serves root only: run kfaas as root\",\"errno\":1}\n";

		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			dbg("control: cannot refuse a client");
		warn("control: refused a client with uid %u",
		     len == sizeof(cred) ? (unsigned int)cred.uid : ~0U);
		close(fd);
		return;
	}
	if (nconns >= CONTROL_CONNS_MAX) {
		static const char msg[] = "{\"ok\":false,\"error\":\"kfaasd has "
			"too many control connections: close some and retry\","
			"\"errno\":24}\n";

		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			dbg("control: cannot refuse a client");
		if (n_refused++ % 100 == 0)
			warn("control: more than %u clients at once: refusing "
			     "new ones", CONTROL_CONNS_MAX);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	kfaas_iobuf_init(&c->in, LINE_MAX_BYTES);
	kfaas_iobuf_init(&c->out, 0);
	list_init(&c->waiter.link);
	list_add_tail(&c->link, &conns);
	nconns++;
	if (loop_add(&c->w, fd, EPOLLIN, on_conn)) {
		close(fd);
		list_del(&c->link);
		nconns--;
		free(c);
	}
}

int control_open(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	if (snprintf(sock_path, sizeof(sock_path), "%s/control.sock",
		     opts.run_dir) >= (int)sizeof(a.sun_path))
		return kfaas_err(-ENAMETOOLONG, "control socket path %s/"
				 "control.sock is too long: use a shorter "
				 "--run-dir", opts.run_dir);
	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kfaas_err(-errno, "socket: %s", strerror(errno));
	unlink(sock_path);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc || listen(fd, 64)) {
		rc = -errno;
		close(fd);
		return kfaas_err(rc, "cannot listen on %s: %s", sock_path,
				 strerror(-rc));
	}
	chmod(sock_path, 0600);
	rc = loop_add(&listen_w, fd, EPOLLIN, on_accept);
	if (rc) {
		close(fd);
		return kfaas_err(rc, "epoll: %s", strerror(-rc));
	}
	return 0;
}

void control_close(void)
{
	while (!list_empty(&conns))
		conn_free(container_of(conns.next, struct ctl_conn, link));
	loop_close(&listen_w);
	if (sock_path[0])
		unlink(sock_path);
}
