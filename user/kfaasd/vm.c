// SPDX-License-Identifier: GPL-2.0
/*
 * One microVM and its life:
 *
 *   cold boot:  BOOTING --HELLO--> IDLE (or, for a template, SAVING:
 *               migrate to the state file, then killed)
 *   clone:      RESTORING --migration completed--> RESEEDING --RESTORED-->
 *               IDLE
 *   serving:    IDLE --RUN--> BUSY --RESULT--> IDLE
 *   any state:  deadline passed, channel broken, protocol error --> killed
 *
 * A VM struct is freed only when its QEMU process has been reaped (the
 * pidfd callback): every other path just kills the process, so no callback
 * ever runs on a freed VM.
 *
 * A VM knows nothing of pools: it is started with a struct vm_spec and
 * tells its owner what happened through the struct vm_ops it was given
 * (ready, answered, saved, dead); the owner calls down (vm_dispatch,
 * vm_kill, vm_tick), never the other way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "kfaasd.h"

#define RESTORE_TIMEOUT_MS	10000


const char *vm_state_name(int state)
{
	static const char *const names[] = {
		[VM_BOOTING] = "booting", [VM_RESTORING] = "restoring",
		[VM_RESEEDING] = "reseeding", [VM_SAVING] = "saving",
		[VM_IDLE] = "idle", [VM_BUSY] = "busy", [VM_DEAD] = "dead",
	};

	return state >= 0 && state <= VM_DEAD ? names[state] : "?";
}

const char *vm_console_tail(const struct vm *v, char *buf, size_t len)
{
	const char *p = v->con;
	size_t n = v->con_len;

	/* the last few lines are what explains a failure */
	while (n > 400) {
		const char *nl = memchr(p, '\n', n);

		if (!nl)
			break;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	snprintf(buf, len, "%.*s", (int)n, p);
	for (char *c = buf; *c; c++)
		if (*c == '\r')
			*c = ' ';
	return buf;
}

/* What the console has, 64 KiB at most a round (the rest: next rounds). */
static void console_read(struct vm *v)
{
	char tmp[4096];
	ssize_t n = -1;
	int reads = 16;

	while (reads-- > 0 && (n = read(v->conw.fd, tmp, sizeof(tmp))) > 0) {
		size_t k = (size_t)n;

		if (k >= sizeof(v->con)) {
			memcpy(v->con, tmp + k - sizeof(v->con), sizeof(v->con));
			v->con_len = sizeof(v->con);
			continue;
		}
		if (v->con_len + k > sizeof(v->con)) {
			size_t drop = v->con_len + k - sizeof(v->con);

			memmove(v->con, v->con + drop, v->con_len - drop);
			v->con_len -= drop;
		}
		memcpy(v->con + v->con_len, tmp, k);
		v->con_len += k;
		if (opts.verbose > 1)
			dbg("vm %s/%u console: %.*s", v->name, v->seq,
			    (int)k, tmp);
	}
	if (n == 0)
		loop_close(&v->conw);
}

static void on_console(struct watch *w, uint32_t events)
{
	struct vm *v = container_of(w, struct vm, conw);

	(void)events;
	console_read(v);
}

void vm_kill(struct vm *v, const char *why)
{
	if (v->state == VM_DEAD || v->kill_reason)
		return;
	v->kill_reason = why;
	dbg("vm %s/%u: kill (%s)", v->name, v->seq, why);
	kill(v->proc.pid, SIGKILL);
}

void vm_destroy(struct vm *v)
{
	chan_free(&v->chan);
	qmp_free(&v->qmp);
	loop_close(&v->conw);
	loop_close(&v->pidw);
	free(v);
}

void vm_finish_req(struct vm *v, struct result *res)
{
	struct req *r = v->req;

	v->req = NULL;
	if (!r)
		return;
	r->vm = NULL;
	res->vm_id = (int)v->seq;
	req_finish(r, res);
}

/* Reap the exited QEMU; its CPU time (all threads) into v->cpu_ns. */
static pid_t reap(struct vm *v, int *status, int flags)
{
	struct rusage ru;
	pid_t pid = wait4(v->proc.pid, status, flags, &ru);

	if (pid > 0)
		v->cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
			    1000000000ULL + (uint64_t)(ru.ru_utime.tv_usec +
						       ru.ru_stime.tv_usec) * 1000ULL;
	return pid;
}

void vm_reap(struct vm *v)
{
	reap(v, NULL, 0);
}

static void on_exit_(struct watch *w, uint32_t events)
{
	struct vm *v = container_of(w, struct vm, pidw);
	char tail[512];
	int status = 0;

	(void)events;
	if (reap(v, &status, WNOHANG) == 0)
		return;		/* spurious */
	if (v->conw.fd >= 0)
		console_read(v);
	v->state = VM_DEAD;
	if (v->req) {
		struct result res = { .ran = true };

		if (v->kill_reason && !strcmp(v->kill_reason, "timeout")) {
			res.err = REQ_E_TIMEOUT;
			res.fn_wall_ns = kfaas_now_ns() - v->req_start_ns;
			snprintf(res.msg, sizeof(res.msg), "function '%s' timed "
				 "out after %u ms (its VM was killed and is "
				 "replaced)", v->name, v->req_timeout_ms);
		} else {
			res.err = REQ_E_CRASH;
			snprintf(res.msg, sizeof(res.msg), "the VM of function "
				 "'%s' died while serving the request (%s)",
				 v->name, v->kill_reason ?
				 v->kill_reason : "QEMU exited");
		}
		vm_finish_req(v, &res);
	}
	if (!v->kill_reason || v->crashed || opts.verbose)
		log_msg(v->kill_reason && !v->crashed ? LOG_DEBUG : LOG_WARN,
			"vm %s/%u (pid %d) %s: %s%s%s", v->name,
			v->seq, v->proc.pid, v->crashed || !v->kill_reason ?
			"died" : "killed",
			v->kill_reason ? v->kill_reason :
			WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
			"exited", v->con_len ? "; console: " : "",
			vm_console_tail(v, tail, sizeof(tail)));
	v->ops->dead(v);
	vm_destroy(v);
}

/* ---- template save and clone restore over QMP ------------------------ */

static void qmp_failed(struct vm *v, const char *what, const char *error)
{
	char why[300];

	snprintf(why, sizeof(why), "%s: %s", what, error);
	warn("vm %s/%u: %s", v->name, v->seq, why);
	if (v->is_template && v->state == VM_SAVING)
		v->ops->saved(v, -EIO, why);
	vm_kill(v, "snapshot failed");
}

static void qmp_checked(struct qmp *q, json_object *ret, const char *error,
			void *ctx)
{
	struct vm *v = ctx;

	(void)q;
	(void)ret;
	if (error)
		qmp_failed(v, "QMP", error);
}

static json_object *caps_args(void)
{
	json_object *a = json_object_new_object(), *l = json_object_new_array();
	static const char *const caps[] = { "x-ignore-shared", "events" };
	size_t i;

	for (i = 0; i < 2; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "capability",
				       json_object_new_string(caps[i]));
		json_object_object_add(c, "state", json_object_new_boolean(1));
		json_object_array_add(l, c);
	}
	json_object_object_add(a, "capabilities", l);
	return a;
}

static void on_qmp_event(struct qmp *q, const char *event, json_object *data,
			 void *ctx)
{
	struct vm *v = ctx;
	const char *s = qmp_migration_status(event, data);

	(void)q;
	if (!s)
		return;
	if (!strcmp(s, "failed") || !strcmp(s, "cancelled")) {
		qmp_failed(v, "migration", s);
		return;
	}
	if (strcmp(s, "completed"))
		return;
	if (v->state == VM_SAVING) {
		v->ops->saved(v, 0, NULL);
		vm_kill(v, "template saved");
	} else if (v->state == VM_RESTORING) {
		struct kfaas_agent_restore r;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r.realtime_ns = (__u64)ts.tv_sec * 1000000000ULL +
				(__u64)ts.tv_nsec;
		if (getrandom(r.seed, sizeof(r.seed), 0) != sizeof(r.seed)) {
			vm_kill(v, "no host entropy");
			return;
		}
		v->state = VM_RESEEDING;
		if (chan_send(&v->chan, KFAAS_AGENT_RESTORE, &r, sizeof(r),
			      NULL, 0))
			vm_kill(v, "agent channel broken");
	}
}

static void save_template(struct vm *v)
{
	int fd;

	v->state = VM_SAVING;
	fd = open(v->tpl_state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		char e[64];

		snprintf(e, sizeof(e), "%s", strerror(errno));
		qmp_failed(v, v->tpl_state, e);
		return;
	}
	json_object *getfd = json_object_new_object();
	json_object *mig = json_object_new_object();

	json_object_object_add(getfd, "fdname", json_object_new_string("snap"));
	json_object_object_add(mig, "uri", json_object_new_string("fd:snap"));
	if (qmp_send(&v->qmp, "qmp_capabilities", NULL, -1, qmp_checked) ||
	    qmp_send(&v->qmp, "migrate-set-capabilities", caps_args(), -1,
		     qmp_checked) ||
	    qmp_send(&v->qmp, "getfd", getfd, fd, qmp_checked) ||
	    qmp_send(&v->qmp, "migrate", mig, -1, qmp_checked))
		qmp_failed(v, "QMP", "cannot send commands");
	close(fd);
}

static void start_restore(struct vm *v)
{
	json_object *inc = json_object_new_object();

	json_object_object_add(inc, "uri", json_object_new_string("fd:5"));
	if (qmp_send(&v->qmp, "qmp_capabilities", NULL, -1, qmp_checked) ||
	    qmp_send(&v->qmp, "migrate-set-capabilities", caps_args(), -1,
		     qmp_checked) ||
	    qmp_send(&v->qmp, "migrate-incoming", inc, -1, qmp_checked))
		vm_kill(v, "QMP broken");
}

static void on_qmp(struct watch *w, uint32_t events)
{
	struct vm *v = container_of(w, struct vm, qmp.w);
	bool was_greeted = v->qmp.greeted;
	int rc;

	(void)events;
	rc = qmp_input(&v->qmp);
	if (rc) {
		loop_close(&v->qmp.w);
		if (!v->kill_reason)
			v->crashed = true;
		vm_kill(v, "QMP connection lost");
		return;
	}
	if (!was_greeted && v->qmp.greeted && v->state == VM_RESTORING)
		start_restore(v);
}

/* ---- the agent channel ------------------------------------------------ */

static void became_ready(struct vm *v)
{
	v->state = VM_IDLE;
	v->t_ready_ns = kfaas_now_ns();
	v->idle_since_ms = kfaas_now_ms();
	v->deadline_ms = 0;
	v->ops->ready(v);
}

static void on_result(struct vm *v, const char *payload, size_t len)
{
	struct kfaas_agent_result_view ar;
	struct result res = { .ran = true };
	const char *name = v->name;
	int rc, line;

	/* a guest that breaks the protocol loses its VM */
	rc = kfaas_agent_result_parse(payload, len, opts.max_response, &ar);
	if (rc) {
		v->crashed = true;
		vm_kill(v, rc == -EMSGSIZE ? "agent protocol: a RESULT over "
			"the limits" : "agent protocol: RESULT lengths that do "
			"not add up");
		return;
	}
	res.status = ar.r.status;
	res.out = ar.out;
	res.out_len = ar.r.out_len;
	res.errtext = ar.err;
	res.errtext_len = ar.r.err_len;
	res.fn_wall_ns = ar.r.wall_ns;
	res.fn_cpu_ns = ar.r.cpu_ns;
	/* the first line of its stderr (not NUL-terminated) */
	for (line = 0; line < (int)ar.r.err_len && ar.err[line] != '\n'; line++)
		;
	if (ar.r.flags & KFAAS_AGENT_R_RESTARTED)
		v->restarts++;
	if (ar.r.flags & (KFAAS_AGENT_R_EXITED | KFAAS_AGENT_R_BAD_FRAME)) {
		/* the resident process is gone: the agent starts another */
		res.err = REQ_E_FAILED;
		snprintf(res.msg, sizeof(res.msg), "the resident process of "
			 "function '%s' %s while serving the request (it is "
			 "restarted)%s%.*s", name,
			 ar.r.flags & KFAAS_AGENT_R_BAD_FRAME ? "wrote output "
			 "that is not a response frame and was killed" :
			 WIFSIGNALED(ar.r.status) ? "was killed by a signal" :
			 "exited", line ? ": " : "", line, ar.err);
		if (WIFSIGNALED(ar.r.status) &&
		    !(ar.r.flags & KFAAS_AGENT_R_BAD_FRAME))
			snprintf(res.msg + strlen(res.msg), sizeof(res.msg) -
				 strlen(res.msg), " (signal %d, %s)",
				 WTERMSIG(ar.r.status),
				 strsignal(WTERMSIG(ar.r.status)));
	} else if (ar.r.flags & KFAAS_AGENT_R_SPAWN_FAILED) {
		res.err = REQ_E_FAILED;
		snprintf(res.msg, sizeof(res.msg), "cannot start function '%s' "
			 "in its VM: %s", name, strerror(ar.r.status));
	} else if (ar.r.flags & KFAAS_AGENT_R_TOO_LARGE) {
		res.err = REQ_E_TOO_LARGE;
		snprintf(res.msg, sizeof(res.msg), "function '%s' wrote more "
			 "than %zu bytes and was killed", name,
			 opts.max_response);
	} else if (WIFSIGNALED(ar.r.status)) {
		res.err = REQ_E_FAILED;
		snprintf(res.msg, sizeof(res.msg), "function '%s' was killed "
			 "by signal %d (%s)", name, WTERMSIG(ar.r.status),
			 strsignal(WTERMSIG(ar.r.status)));
	} else if (WEXITSTATUS(ar.r.status)) {
		res.err = REQ_E_FAILED;
		snprintf(res.msg, sizeof(res.msg), "function '%s' exited with "
			 "status %d%s%.*s", name, WEXITSTATUS(ar.r.status),
			 line ? ": " : "", line, ar.err);
	}
	v->served++;
	vm_finish_req(v, &res);
}

static void on_restored(struct vm *v, const char *payload, size_t len)
{
	struct kfaas_agent_restored r;

	if (len >= sizeof(r)) {
		memcpy(&r, payload, sizeof(r));
		if (r.rc)
			warn("vm %s/%u: the guest could not reseed or set its "
			     "clock (%d)", v->name, v->seq, r.rc);
	}
	became_ready(v);
}

/* A whole message the guest was expected to send (msg_expected()). */
static void on_msg(struct vm *v, const struct kfaas_agent_hdr *h,
		   const char *payload)
{
	switch (h->type) {
	case KFAAS_AGENT_HELLO:
		if (v->is_template)
			save_template(v);
		else
			became_ready(v);
		break;
	case KFAAS_AGENT_RESTORED:
		on_restored(v, payload, h->len);
		break;
	case KFAAS_AGENT_RESULT:
		v->state = VM_IDLE;
		v->deadline_ms = 0;
		v->idle_since_ms = kfaas_now_ms();
		on_result(v, payload, h->len);
		if (!v->kill_reason && v->state == VM_IDLE)
			v->ops->answered(v);
		break;
	}
}

/* The largest RESULT: stdout up to --max-response, the stderr head. */
static size_t result_max(void)
{
	return sizeof(struct kfaas_agent_result) + opts.max_response +
	       KFAAS_AGENT_STDERR_MAX;
}

static const char *msg_name(__u16 type)
{
	static const char *const names[] = {
		[KFAAS_AGENT_HELLO] = "HELLO", [KFAAS_AGENT_RUN] = "RUN",
		[KFAAS_AGENT_RESULT] = "RESULT", [KFAAS_AGENT_RESTORE] = "RESTORE",
		[KFAAS_AGENT_RESTORED] = "RESTORED", [KFAAS_AGENT_PING] = "PING",
		[KFAAS_AGENT_PONG] = "PONG",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
	       names[type] : "message of an unknown type";
}

/*
 * May the guest send the message of header h now?  It answers what it
 * was asked, once: HELLO while it boots, RESTORED while it reseeds,
 * RESULT while it serves, each no longer than that message can be.
 * Anything else breaks the protocol: *why says how.
 */
static bool msg_expected(struct vm *v, const struct kfaas_agent_hdr *h,
			 char *why, size_t len)
{
	__u16 want = 0;
	size_t max = 0;

	switch (v->state) {
	case VM_BOOTING:
		want = KFAAS_AGENT_HELLO;
		max = sizeof(struct kfaas_agent_hello);
		break;
	case VM_RESEEDING:
		want = KFAAS_AGENT_RESTORED;
		max = sizeof(struct kfaas_agent_restored);
		break;
	case VM_BUSY:
		want = KFAAS_AGENT_RESULT;
		max = result_max();
		break;
	}
	if (h->type != want)
		snprintf(why, len, "agent protocol: a %s it was not asked for "
			 "(%s)", msg_name(h->type), vm_state_name(v->state));
	else if (h->len > max)
		snprintf(why, len, "agent protocol: a %s of %u bytes, over the "
			 "%zu it may have", msg_name(h->type), h->len, max);
	return h->type == want && h->len <= max;
}

/* The guest broke the protocol: it loses its VM, and the log says why. */
static void protocol_kill(struct vm *v, int rc, const struct kfaas_agent_hdr *h)
{
	if (rc == -EPROTO)
		snprintf(v->why, sizeof(v->why), "agent protocol: bytes that "
			 "are not a message header");
	else if (rc == -EMSGSIZE)
		snprintf(v->why, sizeof(v->why), "agent protocol: a message "
			 "of %u bytes, over the %zu any may have", h->len,
			 v->chan.max_payload);
	v->crashed = true;
	vm_kill(v, v->why);
}

static void on_chan(struct watch *w, uint32_t events)
{
	struct vm *v = container_of(w, struct vm, chan.w);
	struct kfaas_agent_hdr h;
	const char *payload;
	int rc = 0, hr;

	if (events & EPOLLOUT)
		rc = chan_flush(&v->chan);
	if (!rc && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		rc = chan_fill(&v->chan);
	/* each message is judged by its header, before its payload is in */
	while (v->state != VM_DEAD && !v->kill_reason &&
	       (hr = chan_header(&v->chan, &h)) != 0) {
		if (hr < 0 || !msg_expected(v, &h, v->why, sizeof(v->why))) {
			protocol_kill(v, hr, &h);
			rc = 0;
			break;
		}
		payload = chan_payload(&v->chan, &h);
		if (!payload)
			break;
		on_msg(v, &h, payload);
		chan_consume(&v->chan, &h);
	}
	if (rc) {
		/* QEMU closed the channel: it is exiting (crashed, unless we
		 * killed it) */
		loop_close(&v->chan.w);
		if (!v->kill_reason)
			v->crashed = true;
		vm_kill(v, "agent channel closed");
	}
}

/* ---- start, dispatch, deadlines --------------------------------------- */

/* Watch the new VM's process, console, channel and QMP: 0, or -errno. */
static int vm_watch(struct vm *v)
{
	int rc;

	chan_init(&v->chan, result_max());
	qmp_init(&v->qmp, v);
	v->qmp.on_event = on_qmp_event;
	v->pidw.fd = v->conw.fd = -1;
	rc = loop_add(&v->pidw, v->proc.pidfd, EPOLLIN, on_exit_);
	if (!rc)
		rc = loop_add(&v->conw, v->proc.con_fd, EPOLLIN, on_console);
	if (!rc)
		rc = loop_add(&v->chan.w, v->proc.chan_fd, EPOLLIN, on_chan);
	if (!rc)
		rc = loop_add(&v->qmp.w, v->proc.qmp_fd, EPOLLIN, on_qmp);
	return rc;
}

struct vm *vm_start(const struct vm_spec *s)
{
	struct qemu_spec q = {
		.fn_id = s->fn_id, .vm_seq = s->seq, .name = s->name,
		.image = s->image, .mem_mib = s->mem_mib, .vcpus = s->vcpus,
		.accel = opts.accel_used,
		.mem_path = s->is_template || s->clone ? s->tpl_mem : NULL,
		.mem_share = s->is_template, .state_fd = -1, .uid = s->uid,
	};
	struct vm *v = calloc(1, sizeof(*v));
	int rc;

	if (!v)
		return NULL;
	if (s->clone) {
		q.state_fd = open(s->tpl_state, O_RDONLY | O_CLOEXEC);
		if (q.state_fd < 0) {
			warn("%s: %s", s->tpl_state, strerror(errno));
			free(v);
			return NULL;
		}
	}
	rc = qemu_spawn(&q, &v->proc);
	if (q.state_fd >= 0)
		close(q.state_fd);
	if (rc) {
		warn("cannot start a VM for '%s': %s", s->name, strerror(-rc));
		free(v);
		return NULL;
	}
	v->ops = s->ops;
	v->owner = s->owner;
	v->name = s->name;
	v->tpl_state = s->tpl_state;
	v->seq = s->seq;
	v->is_template = s->is_template;
	v->cloned = s->clone;
	v->resident = s->resident;
	v->state = s->clone ? VM_RESTORING : VM_BOOTING;
	v->t_start_ns = kfaas_now_ns();
	v->deadline_ms = kfaas_now_ms() + (s->clone ? RESTORE_TIMEOUT_MS :
					   opts.boot_timeout_ms);
	list_init(&v->link);
	if (vm_watch(v)) {
		/* cannot watch it: kill and reap right here */
		kill(v->proc.pid, SIGKILL);
		waitpid(v->proc.pid, NULL, 0);
		close(v->proc.pidfd);
		close(v->proc.con_fd);
		close(v->proc.chan_fd);
		close(v->proc.qmp_fd);
		free(v);
		return NULL;
	}
	dbg("vm %s/%u: pid %d, %s", s->name, v->seq, v->proc.pid,
	    s->is_template ? "template" : s->clone ? "clone" : "cold boot");
	return v;
}

void vm_dispatch(struct vm *v, struct req *r, unsigned int timeout_ms)
{
	struct kfaas_agent_run run = {
		.max_out = (__u32)opts.max_response,
		.flags = v->resident ? KFAAS_AGENT_RUN_RESIDENT : 0,
	};

	v->req = r;
	r->vm = v;
	v->state = VM_BUSY;
	v->req_start_ns = kfaas_now_ns();
	v->req_timeout_ms = timeout_ms;
	v->deadline_ms = kfaas_now_ms() + timeout_ms;
	if (chan_send(&v->chan, KFAAS_AGENT_RUN, &run, sizeof(run), r->data,
		      r->len))
		vm_kill(v, "agent channel broken");
}

bool vm_tick(struct vm *v, uint64_t now)
{
	if (!v->deadline_ms || now < v->deadline_ms || v->kill_reason)
		return false;
	if (v->state == VM_BUSY) {
		vm_kill(v, "timeout");
		return true;
	}
	if (v->is_template && v->state != VM_DEAD) {
		char why[600], tail[400];

		snprintf(why, sizeof(why), "the template VM did not become "
			 "ready within %u ms (accel %s)%s%s",
			 opts.boot_timeout_ms,
			 opts.accel_used == ACCEL_KVM ? "kvm" : "tcg",
			 v->con_len ? "; guest console: " : "",
			 vm_console_tail(v, tail, sizeof(tail)));
		v->ops->saved(v, -ETIMEDOUT, why);
	}
	vm_kill(v, "start timed out");
	return false;
}
