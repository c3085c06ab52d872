// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's side of the resident protocol (include/kfaas/resident.h):
 * one /fn process per VM, started on the first RUN flagged
 * KFAAS_AGENT_RUN_RESIDENT, kept between requests, given each request as
 * a frame on its stdin and answering with a frame on its stdout.
 *
 * A process that ends, breaks the framing or writes too much while
 * serving a request is killed (with everything in its session) and that
 * request's RESULT says so; a new one is started right after the RESULT
 * is sent, so the next request finds it running.  The agent never waits
 * without a bound it controls except on the process itself: a process
 * that never answers is kfaasd's timeout, which kills the whole VM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <kfaas_clock.h>
#include <kfaas_iobuf.h>
#include "agent.h"

/* The resident process: none while pid is 0. */
static struct {
	pid_t		pid;
	int		pidfd, in, out, err;
	unsigned long	starts;
	bool		restarted;	/* started again: said in the next RESULT */
} rs = { .pidfd = -1, .in = -1, .out = -1, .err = -1 };

/* One request in flight: what was written, what came back. */
struct rs_req {
	struct kfaas_resident_hdr h;	/* the request's header */
	const char	*req;
	size_t		off;		/* header + request bytes written */
	size_t		max_out;
	struct kfaas_iobuf out;		/* response header + payload */
	struct kfaas_iobuf err;		/* stderr head */
	bool		out_over, err_over;
	struct kfaas_resident_hdr rh;	/* the response's header */
	__u32		flags;		/* KFAAS_AGENT_R_* once it failed */
	bool		done;		/* a whole response came */
	bool		exited;
};

/* 0, or -errno (said on the console) */
static int rs_start(void)
{
	int rc = fn_start(true, &rs.pid, &rs.pidfd, &rs.in, &rs.out, &rs.err);

	if (rc) {
		say("cannot start the resident function: %s", strerror(-rc));
		rs.pid = 0;
		return rc;
	}
	rs.restarted = rs.starts++ > 0;
	return 0;
}

/* Kill it and everything in its session; its wait status and rusage. */
static void rs_stop(int *status, struct rusage *ru)
{
	kill(-rs.pid, SIGKILL);
	while (wait4(rs.pid, status, 0, ru) < 0 && errno == EINTR)
		;
	close_fd(&rs.pidfd);
	close_fd(&rs.in);
	close_fd(&rs.out);
	close_fd(&rs.err);
	rs.pid = 0;
}

/* Has it ended (between requests: reap_orphans() may have reaped it)? */
static bool rs_gone(void)
{
	struct pollfd p = { .fd = rs.pidfd, .events = POLLIN };

	return rs.pidfd < 0 || poll(&p, 1, 0) != 0;
}

static uint64_t rs_cpu_ns(void)
{
	struct timespec ts;
	clockid_t c;

	if (clock_getcpuclockid(rs.pid, &c) || clock_gettime(c, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Write what its stdin takes of the header and the request. */
static void rs_feed(struct rs_req *q)
{
	size_t hl = sizeof(q->h), total = hl + q->h.len;
	struct iovec iov[2];
	int n = 0;
	ssize_t w;

	if (q->off < hl)
		iov[n++] = (struct iovec){ (char *)&q->h + q->off, hl - q->off };
	if (q->h.len)
		iov[n++] = (struct iovec){
			(char *)q->req + (q->off > hl ? q->off - hl : 0),
			q->h.len - (q->off > hl ? q->off - hl : 0) };
	w = writev(rs.in, iov, n);
	if (w > 0)
		q->off += (size_t)w;
	else if (w < 0 && errno != EAGAIN && errno != EINTR)
		q->off = total;	/* it closed its stdin: its stdout tells */
}

/* Is the response there, or broken?  Sets q->done or q->flags. */
static void rs_check(struct rs_req *q)
{
	size_t have = kfaas_iobuf_len(&q->out), hl = sizeof(q->rh);

	if (q->out_over) {
		q->flags |= KFAAS_AGENT_R_TOO_LARGE;
		return;
	}
	if (have < hl)
		return;
	memcpy(&q->rh, kfaas_iobuf_data(&q->out), hl);
	if (q->rh.magic != KFAAS_RESIDENT_MAGIC || q->rh.seq != q->h.seq ||
	    q->rh.status < 0 || q->rh.status > 255) {
		q->flags |= KFAAS_AGENT_R_BAD_FRAME;
		return;
	}
	if (q->rh.len > q->max_out) {
		q->flags |= KFAAS_AGENT_R_TOO_LARGE;
		return;
	}
	if (have > hl + q->rh.len)
		q->flags |= KFAAS_AGENT_R_BAD_FRAME;	/* more than one frame */
	else if (have == hl + q->rh.len)
		q->done = true;
}

/* What fd holds now (never waits): capture() until it has no more. */
static void capture_now(int *fd, struct kfaas_iobuf *b, size_t limit,
			bool *over)
{
	for (;;) {
		struct pollfd p = { .fd = *fd, .events = POLLIN };

		if (*fd < 0 || poll(&p, 1, 0) <= 0)
			return;
		if (capture(*fd, b, limit, over) <= 0) {
			close_fd(fd);
			return;
		}
	}
}

/* Until the response is complete, broken, or the process gone. */
static void rs_pump(struct rs_req *q)
{
	size_t total = sizeof(q->h) + q->h.len;
	/* one byte more than a frame may hold: over means too large */
	size_t limit = sizeof(q->rh) + q->max_out + 1;

	while (!q->done && !q->flags && !q->exited) {
		struct pollfd p[4] = {
			{ .fd = q->off < total ? rs.in : -1, .events = POLLOUT },
			{ .fd = rs.out, .events = POLLIN },
			{ .fd = rs.err, .events = POLLIN },
			{ .fd = rs.pidfd, .events = POLLIN },
		};
		int rc;

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			q->exited = true;	/* cannot wait on it: give up */
			break;
		}
		if (p[0].revents)
			rs_feed(q);
		if (p[2].revents &&
		    capture(rs.err, &q->err, KFAAS_AGENT_STDERR_MAX,
			    &q->err_over) <= 0)
			close_fd(&rs.err);
		if (p[1].revents) {
			rc = capture(rs.out, &q->out, limit, &q->out_over);
			rs_check(q);
			if (rc <= 0 && !q->done && !q->flags)
				q->exited = true;	/* closed its stdout */
		}
		if (p[3].revents && !q->done && !q->flags) {
			/* what it wrote before it ended may be a response */
			capture_now(&rs.out, &q->out, limit, &q->out_over);
			rs_check(q);
			if (!q->done && !q->flags)
				q->exited = true;
		}
	}
	/* what it wrote on stderr while serving the request */
	capture_now(&rs.err, &q->err, KFAAS_AGENT_STDERR_MAX, &q->err_over);
}

void resident_run(__u32 seq, const char *req, size_t len, __u32 max_out)
{
	struct rs_req q = {
		.h = { .magic = KFAAS_RESIDENT_MAGIC, .seq = seq,
		       .len = (__u32)len },
		.req = req, .max_out = max_out,
	};
	struct kfaas_agent_result res = { 0 };
	uint64_t t0, cpu0;
	struct rusage ru;
	int rc = 0;

	if (rs.pid && rs_gone()) {
		rs_stop(NULL, NULL);	/* ended between requests */
		reap_orphans();
	}
	if (!rs.pid)
		rc = rs_start();
	if (rc) {
		res.flags = KFAAS_AGENT_R_SPAWN_FAILED;
		res.status = -rc;
		send_msg(KFAAS_AGENT_RESULT, seq, &res, sizeof(res), NULL, 0,
			 NULL, 0);
		return;
	}
	if (rs.restarted)
		res.flags |= KFAAS_AGENT_R_RESTARTED;
	rs.restarted = false;
	t0 = kfaas_now_ns();
	cpu0 = rs_cpu_ns();
	rs_feed(&q);	/* a short request fits the pipe: no poll first */
	rs_pump(&q);
	res.wall_ns = kfaas_now_ns() - t0;
	if (q.done) {
		uint64_t cpu = rs_cpu_ns();

		res.cpu_ns = cpu > cpu0 ? cpu - cpu0 : 0;
		/* status N fails the request like exit status N */
		res.status = q.rh.status << 8;
		res.out_len = q.rh.status ? 0 : q.rh.len;
	} else {
		uint64_t cpu;

		memset(&ru, 0, sizeof(ru));
		rs_stop(&res.status, &ru);
		cpu = ((__u64)ru.ru_utime.tv_sec + (__u64)ru.ru_stime.tv_sec) *
		      1000000000ULL + ((__u64)ru.ru_utime.tv_usec +
				       (__u64)ru.ru_stime.tv_usec) * 1000ULL;
		res.cpu_ns = cpu > cpu0 ? cpu - cpu0 : 0;
		res.flags |= q.flags ? q.flags : KFAAS_AGENT_R_EXITED;
	}
	res.err_len = (__u32)kfaas_iobuf_len(&q.err);
	send_msg(KFAAS_AGENT_RESULT, seq, &res, sizeof(res),
		 res.out_len ? kfaas_iobuf_data(&q.out) + sizeof(q.rh) : NULL,
		 res.out_len,
		 kfaas_iobuf_data(&q.err), res.err_len);
	kfaas_iobuf_free(&q.out);
	kfaas_iobuf_free(&q.err);
	if (!rs.pid) {
		reap_orphans();
		rs_start();	/* ready for the next request */
	}
}
