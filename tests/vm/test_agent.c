// SPDX-License-Identifier: GPL-2.0
/*
 * The guest agent's protocol without a VM: kfaas-agent --stdio runs the
 * real agent loop on a pipe pair, running the real test function (kfn) per
 * request.  Checks what kfaasd relies on: HELLO first, one RESULT per RUN
 * with the same seq, stdout and exit status, stderr's head, the response
 * limit, a clean environment, a function that leaves a child behind or
 * ignores its input does not hang the agent, PING answered.  Then the
 * resident protocol (include/kfaas/resident.h) with the resident test
 * function (rfn): one process serves many requests; a failed request
 * keeps it; a crash, an exit, a broken frame or an oversized response
 * fail that request only and the next one gets a new process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <kfaas/agent.h>
#include "ktap.h"

static int to_agent = -1, from_agent = -1;
static __u32 seq;
static __u32 run_flags;		/* KFAAS_AGENT_RUN_* of every RUN */

static int rd(void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(from_agent, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void wr(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(to_agent, p, len);

		if (n <= 0) {
			ktap_print_msg("write to the agent: %s", strerror(errno));
			exit(KSFT_FAIL);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Read one message; payload malloc()ed into *p. */
static int msg(struct kfaas_agent_hdr *h, char **p)
{
	if (rd(h, sizeof(*h)) || h->magic != KFAAS_AGENT_MAGIC)
		return -1;
	*p = malloc(h->len + 1);
	if (!*p || rd(*p, h->len))
		return -1;
	(*p)[h->len] = '\0';
	return 0;
}

struct res {
	struct kfaas_agent_result r;
	char *out, *err, *buf;
	__u32 seq;
};

static int run(const char *req, size_t len, __u32 max_out, struct res *res)
{
	struct kfaas_agent_hdr h = { .magic = KFAAS_AGENT_MAGIC,
				     .type = KFAAS_AGENT_RUN, .seq = ++seq };
	struct kfaas_agent_run r = { .max_out = max_out, .flags = run_flags };

	h.len = (__u32)(sizeof(r) + len);
	wr(&h, sizeof(h));
	wr(&r, sizeof(r));
	wr(req, len);
	memset(res, 0, sizeof(*res));
	if (msg(&h, &res->buf) || h.type != KFAAS_AGENT_RESULT ||
	    h.len < sizeof(res->r))
		return -1;
	memcpy(&res->r, res->buf, sizeof(res->r));
	res->out = res->buf + sizeof(res->r);
	res->err = res->out + res->r.out_len;
	res->seq = h.seq;
	return 0;
}

static int run_str(const char *req, struct res *res)
{
	return run(req, strlen(req), 1 << 20, res);
}

/* Half a megabyte of request: prefix, then 'a's. */
static char *big_req(const char *prefix)
{
	char *big = malloc(500000);

	if (!big)
		exit(KSFT_FAIL);
	memset(big, 'a', 500000);
	memcpy(big, prefix, strlen(prefix));
	return big;
}

/* kfaas-agent --stdio fn on to_agent/from_agent, its HELLO read: pid */
static pid_t agent_start(const char *agent, const char *fn, bool *hello)
{
	struct kfaas_agent_hdr h;
	int in[2], out[2];
	char *p = NULL;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		exit(KSFT_FAIL);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(agent, agent, "--stdio", fn, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_agent = in[1];
	from_agent = out[0];
	*hello = msg(&h, &p) == 0 && h.type == KFAAS_AGENT_HELLO &&
		 h.len >= sizeof(struct kfaas_agent_hello) &&
		 ((struct kfaas_agent_hello *)p)->version == KFAAS_AGENT_VERSION;
	free(p);
	return pid;
}

static void agent_stop(pid_t pid)
{
	close(to_agent);
	close(from_agent);
	waitpid(pid, NULL, 0);
}

/* The resident reply's "PID N ": its process and count, the rest in *rest. */
static int resident_reply(const struct res *r, long *pid, long *n,
			  const char **rest)
{
	char *end;

	if (r->r.out_len == 0)
		return -1;
	*pid = strtol(r->out, &end, 10);
	if (*end != ' ')
		return -1;
	*n = strtol(end + 1, &end, 10);
	if (*end != ' ')
		return -1;
	*rest = end + 1;
	return 0;
}

static void test_resident(const char *agent, const char *fn)
{
	long pid0 = 0, pid, n, served = 0, pid_restart;
	const char *rest;
	bool hello, same = true;
	pid_t apid = agent_start(agent, fn, &hello);
	struct res r;
	char *big;
	int rc, i;

	run_flags = KFAAS_AGENT_RUN_RESIDENT;
	for (i = 0; i < 50; i++) {
		rc = run_str("echo resident", &r);
		if (rc || r.r.status || resident_reply(&r, &pid, &n, &rest) ||
		    strcmp(rest, "resident") || n != i + 1 ||
		    (i && pid != pid0) || (r.r.flags & ~KFAAS_AGENT_R_RESTARTED))
			same = false;
		pid0 = pid;
		free(r.buf);
	}
	ktap_test_result(hello && same, "resident: one process serves 50 "
			 "requests, counting them (pid %ld)", pid0);

	rc = run_str("env", &r);
	ktap_test_result(rc == 0 && !resident_reply(&r, &pid, &n, &rest) &&
			 !strcmp(rest, "PATH=/bin:/usr/bin\nHOME=/tmp\nLANG=C\n"
				 "KFAAS=1\nKFAAS_RESIDENT=1\n") && pid == pid0,
			 "resident: a clean environment with KFAAS_RESIDENT=1");
	free(r.buf);

	rc = run_str("fail 3", &r);
	ktap_test_result(rc == 0 && WIFEXITED(r.r.status) &&
			 WEXITSTATUS(r.r.status) == 3 && r.r.out_len == 0 &&
			 !r.r.flags, "resident: status 3 fails the request "
			 "like exit 3");
	free(r.buf);
	rc = run_str("echo after", &r);
	served = rc == 0 && !resident_reply(&r, &pid, &n, &rest) &&
		 pid == pid0 && n == 53;
	ktap_test_result(served, "resident: ... and the process "
			 "stays (request 53 of pid %ld)", pid);
	free(r.buf);

	rc = run_str("crash", &r);
	ktap_test_result(rc == 0 && WIFSIGNALED(r.r.status) &&
			 WTERMSIG(r.r.status) == SIGSEGV &&
			 (r.r.flags & KFAAS_AGENT_R_EXITED) && r.r.out_len == 0,
			 "resident: a crash mid-request: its signal, flagged "
			 "exited, no reply");
	free(r.buf);
	rc = run_str("echo again", &r);
	served = rc == 0 && r.r.status == 0 &&
		 !resident_reply(&r, &pid_restart, &n, &rest) &&
		 pid_restart != pid0 && n == 1 && !strcmp(rest, "again") &&
		 (r.r.flags & KFAAS_AGENT_R_RESTARTED);
	ktap_test_result(served,
			 "resident: the next request is served by a restarted "
			 "process (pid %ld, request %ld)", pid_restart, n);
	free(r.buf);

	rc = run_str("exit", &r);
	ktap_test_result(rc == 0 && WIFEXITED(r.r.status) &&
			 (r.r.flags & KFAAS_AGENT_R_EXITED),
			 "resident: exiting mid-request fails that request");
	free(r.buf);

	rc = run_str("garbage", &r);
	served = rc == 0 && (r.r.flags & KFAAS_AGENT_R_BAD_FRAME);
	free(r.buf);
	rc = run_str("echo x", &r);
	ktap_test_result(served && rc == 0 && r.r.status == 0 &&
			 !resident_reply(&r, &pid, &n, &rest) && n == 1,
			 "resident: output that is not a frame fails the "
			 "request, a new process serves the next");
	free(r.buf);

	rc = run("big 100000", 10, 4096, &r);
	ktap_test_result(rc == 0 && (r.r.flags & KFAAS_AGENT_R_TOO_LARGE) &&
			 r.r.out_len == 0, "resident: a response over the "
			 "limit: flagged, nothing returned");
	free(r.buf);

	rc = run_str("stderr", &r);
	ktap_test_result(rc == 0 && r.r.status == 0 && r.r.err_len == 17 &&
			 !memcmp(r.err, "resident says hi\n", 17) &&
			 !resident_reply(&r, &pid, &n, &rest) &&
			 r.out + r.r.out_len - rest == 2 && !memcmp(rest, "ok", 2),
			 "resident: what it writes to stderr during a request "
			 "comes back with it");
	free(r.buf);

	big = big_req("echo ");
	rc = run(big, 500000, 1 << 20, &r);
	ktap_test_result(rc == 0 && r.r.status == 0 &&
			 !resident_reply(&r, &pid, &n, &rest) &&
			 r.r.out_len - (size_t)(rest - r.out) == 500000 - 5,
			 "resident: a large request and its echo, whole");
	free(r.buf);
	free(big);
	run_flags = 0;
	agent_stop(apid);
}

int main(void)
{
	const char *b = getenv("B");
	char agent[512], fn[512], rfn[512], *p, *big;
	struct kfaas_agent_hdr h;
	struct res r;
	bool hello;
	pid_t pid;
	int rc;

	ktap_print_header();
	if (!b)
		b = "build";
	snprintf(agent, sizeof(agent), "%s/vm/kfaas-agent", b);
	snprintf(fn, sizeof(fn), "%s/tests/vm/fn/kfn", b);
	snprintf(rfn, sizeof(rfn), "%s/tests/vm/fn/rfn", b);
	if (access(agent, X_OK) || access(fn, X_OK) || access(rfn, X_OK))
		ktap_exit_skip("kfaas-agent or the test functions are not built");
	ktap_set_plan(26);
	signal(SIGPIPE, SIG_IGN);
	pid = agent_start(agent, fn, &hello);
	ktap_test_result(hello, "the agent says HELLO first");

	rc = run_str("echo hello", &r);
	ktap_test_result(rc == 0 && r.seq == seq && r.r.status == 0 &&
			 r.r.out_len == 5 && !memcmp(r.out, "hello", 5),
			 "RUN: the function's stdout, exit 0, same seq");
	ktap_test_result(rc == 0 && r.r.wall_ns > 0,
			 "RUN: the run time is measured");
	free(r.buf);

	rc = run_str("exit 7", &r);
	ktap_test_result(rc == 0 && WIFEXITED(r.r.status) &&
			 WEXITSTATUS(r.r.status) == 7, "the exit status is reported");
	free(r.buf);

	rc = run_str("crash", &r);
	ktap_test_result(rc == 0 && WIFSIGNALED(r.r.status) &&
			 WTERMSIG(r.r.status) == SIGSEGV,
			 "a crashing function: its signal is reported");
	free(r.buf);

	rc = run_str("stderr", &r);
	ktap_test_result(rc == 0 && r.r.err_len > 0 &&
			 strstr(r.err, "something went wrong") && r.r.out_len == 0,
			 "stderr comes back apart from stdout");
	free(r.buf);

	rc = run("big 100000", 10, 4096, &r);
	ktap_test_result(rc == 0 && (r.r.flags & KFAAS_AGENT_R_TOO_LARGE) &&
			 r.r.out_len == 0,
			 "stdout over the limit: flagged, nothing returned");
	free(r.buf);

	rc = run("big 4096", 8, 4096, &r);
	ktap_test_result(rc == 0 && !(r.r.flags & KFAAS_AGENT_R_TOO_LARGE) &&
			 r.r.out_len == 4096, "exactly the limit is fine");
	free(r.buf);

	rc = run_str("env", &r);
	ktap_test_result(rc == 0 && !strcmp(r.out, "PATH=/bin:/usr/bin\n"
			 "HOME=/tmp\nLANG=C\nKFAAS=1\n"),
			 "the function gets a clean environment");
	free(r.buf);

	rc = run_str("orphan", &r);
	ktap_test_result(rc == 0 && r.r.status == 0,
			 "a function leaving a child behind is not waited for");
	free(r.buf);

	/* half a megabyte of stdin, all of it read */
	big = big_req("count ");
	rc = run(big, 500000, 1 << 20, &r);
	ktap_test_result(rc == 0 && atol(r.out) == 500000,
			 "a large request reaches the function whole");
	free(r.buf);
	/* a function that exits without reading its input */
	memcpy(big, "exit 0", 6);
	big[6] = '\0';
	rc = run(big, 500000, 1 << 20, &r);
	ktap_test_result(rc == 0 && r.r.status == 0,
			 "a function ignoring its input does not hang the agent");
	free(r.buf);
	free(big);

	h = (struct kfaas_agent_hdr){ .magic = KFAAS_AGENT_MAGIC,
				      .type = KFAAS_AGENT_PING, .seq = 4242 };
	wr(&h, sizeof(h));
	rc = msg(&h, &p);
	ktap_test_result(rc == 0 && h.type == KFAAS_AGENT_PONG && h.seq == 4242,
			 "PING is answered with PONG");
	free(p);
	p = NULL;

	/* garbage, then a PING: the agent skips to the next header */
	{
		static const char junk[] = "\x01garbage\x4bKF\x00\xff";

		wr(junk, sizeof(junk) - 1);
		h = (struct kfaas_agent_hdr){ .magic = KFAAS_AGENT_MAGIC,
					      .type = KFAAS_AGENT_PING, .seq = 77 };
		wr(&h, sizeof(h));
		rc = msg(&h, &p);
		ktap_test_result(rc == 0 && h.type == KFAAS_AGENT_PONG &&
				 h.seq == 77, "garbage from the host is skipped: "
				 "the PING after it is answered");
		free(p);
		p = NULL;
	}
	/* a message of an unknown type, then a PING */
	h = (struct kfaas_agent_hdr){ .magic = KFAAS_AGENT_MAGIC, .type = 99,
				      .seq = 78, .len = 3 };
	wr(&h, sizeof(h));
	wr("abc", 3);
	h = (struct kfaas_agent_hdr){ .magic = KFAAS_AGENT_MAGIC,
				      .type = KFAAS_AGENT_PING, .seq = 79 };
	wr(&h, sizeof(h));
	rc = msg(&h, &p);
	ktap_test_result(rc == 0 && h.type == KFAAS_AGENT_PONG && h.seq == 79,
			 "a message of an unknown type is skipped, unanswered");
	free(p);
	agent_stop(pid);

	test_resident(agent, rfn);
	return ktap_finished();
}
