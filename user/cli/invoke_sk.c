// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke of a socket-tier function: BPF_PROG_TEST_RUN does not run
 * SK_SKB programs, so the request goes over a TCP connection to one of the
 * function's routes, through the listener, like any client's.  Output and
 * --repeat statistics are those of the XDP invoker (invoke_out.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "cli.h"

#define MAX_REPLY	(1024 * 1024)
#define WAIT_MS		1000	/* for the first reply byte */
#define IDLE_MS		100	/* after the last one: the reply is complete */

static const char *verdict(size_t len, bool closed)
{
	return len ? "REPLY" : closed ? "CLOSED" : "NO_REPLY";
}

/* The first request's reply and how the connection ended. */
struct sk_result {
	const char *via;		/* "tcp ADDR:PORT" */
	uint8_t	*out;
	size_t	outlen;
	bool	closed;
	__u64	dur;			/* ns: request sent to last byte */
	struct invoke_stats stats;	/* with --repeat */
};

static void print_result(const struct invoke_req *r, const struct sk_result *x)
{
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(r->name));
		json_object_object_add(o, "verdict", json_object_new_string(
			verdict(x->outlen, x->closed)));
		json_object_object_add(o, "via", json_object_new_string(x->via));
		json_object_object_add(o, "request_len",
				       json_object_new_int64((int64_t)r->len));
		if (x->outlen)
			invoke_json_reply(o, x->out, x->outlen);
		json_object_object_add(o, "closed",
				       json_object_new_boolean(x->closed));
		json_object_object_add(o, "duration_ns",
				       json_object_new_int64((int64_t)x->dur));
		if (r->repeat)
			invoke_json_stats(o, &x->stats, -1);
		json_print(o);
		return;
	}
	printf("%s: %s in %llu ns (via %s)\n", r->name,
	       verdict(x->outlen, x->closed), (unsigned long long)x->dur, x->via);
	if (x->outlen)
		invoke_print_reply(x->out, x->outlen, true);
	if (x->closed)
		printf("the connection was closed%s\n",
		       x->outlen ? " after the reply" : " without a reply");
	else if (!x->outlen)
		printf("no reply within %d ms\n", WAIT_MS);
	if (r->repeat)
		invoke_print_stats(&x->stats, -1);
}

/*
 * --repeat: the request r->repeat times more on the connection, one after
 * the other, each reply as long as the first; timed in batches.
 */
static int run_repeat(int fd, const struct invoke_req *r, struct sk_result *x)
{
	unsigned long long left = r->repeat, per, n, j;
	__u64 durs[INVOKE_MAX_BATCHES], total = 0, ns;
	uint8_t *again = malloc(x->outlen);
	int i, batches, rc = -1;

	if (!again)
		return p_err("out of memory");
	batches = r->repeat < INVOKE_MAX_BATCHES ? (int)r->repeat :
						   INVOKE_MAX_BATCHES;
	per = r->repeat / batches;
	for (i = 0; i < batches; i++) {
		n = i == batches - 1 ? left : per;
		durs[i] = 0;
		for (j = 0; j < n; j++) {
			if (kfaas_sk_invoke_exact(fd, r->payload, r->len, again,
						  x->outlen, 2000, &ns)) {
				p_lib_err();
				goto out;
			}
			durs[i] += ns;
		}
		total += durs[i];
		durs[i] /= n;
		left -= n;
	}
	x->stats.repeat = r->repeat;
	x->stats.per = (double)total / r->repeat;
	invoke_stats_pick(&x->stats, durs, (size_t)batches);
	rc = 0;
out:
	free(again);
	return rc;
}

int invoke_sk(struct kfaas_state *st, const struct kfaas_fn_info *fn,
	      const struct invoke_req *r)
{
	struct sk_result x = { 0 };
	struct sockaddr_storage ss;
	unsigned int sslen;
	char via[80];
	int fd = -1, rc = -1;

	if (kfaas_sk_invoke_target(st, fn, r->dst, &ss, &sslen, via, sizeof(via)))
		return p_lib_err();
	x.via = via;
	x.out = malloc(MAX_REPLY);
	if (!x.out) {
		p_err("out of memory");
		goto out;
	}
	fd = kfaas_sk_invoke_connect(&ss, sslen, via, 2000);
	if (fd < 0) {
		p_lib_err();
		goto out;
	}
	if (kfaas_sk_invoke_once(fd, r->payload, r->len, x.out, MAX_REPLY,
				 &x.outlen, WAIT_MS, IDLE_MS, &x.closed, &x.dur)) {
		p_lib_err();
		goto out;
	}
	if (r->repeat && (!x.outlen || x.closed)) {
		p_err("--repeat needs a request that '%s' answers and after "
		      "which the connection stays open: it %s", fn->name,
		      x.closed ? "closed the connection" : "did not answer");
		goto out;
	}
	if (r->repeat && run_repeat(fd, r, &x))
		goto out;
	print_result(r, &x);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(x.out);
	return rc;
}
