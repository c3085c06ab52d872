// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke of a socket-tier function: BPF_PROG_TEST_RUN does not run
 * SK_SKB programs, so the request goes over a TCP connection to one of the
 * function's routes, through the listener, like any client's.  Output and
 * --repeat statistics are those of the XDP invoker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "cli.h"

#define MAX_REPLY	(1024 * 1024)
#define MAX_BATCHES	100
#define WAIT_MS		1000	/* for the first reply byte */
#define IDLE_MS		100	/* after the last one: the reply is complete */

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static const char *verdict(size_t len, bool closed)
{
	return len ? "REPLY" : closed ? "CLOSED" : "NO_REPLY";
}

static void print_result(const char *name, const char *via, size_t reqlen,
			 const uint8_t *out, size_t outlen, bool closed,
			 __u64 dur, unsigned long long repeat, int batches,
			 double per, const __u64 *durs)
{
	if (json_output) {
		json_object *o = json_object_new_object();
		char *hex;

		json_object_object_add(o, "function", json_object_new_string(name));
		json_object_object_add(o, "verdict",
				       json_object_new_string(verdict(outlen, closed)));
		json_object_object_add(o, "via", json_object_new_string(via));
		json_object_object_add(o, "request_len",
				       json_object_new_int64((int64_t)reqlen));
		if (outlen) {
			hex = invoke_hex(out, outlen);
			json_object_object_add(o, "reply_len",
					       json_object_new_int64((int64_t)outlen));
			json_object_object_add(o, "reply",
				invoke_printable(out, outlen) ?
				json_object_new_string_len((const char *)out,
							   (int)outlen) : NULL);
			json_object_object_add(o, "reply_hex",
					       json_object_new_string(hex ? hex : ""));
			free(hex);
		}
		json_object_object_add(o, "closed", json_object_new_boolean(closed));
		json_object_object_add(o, "duration_ns",
				       json_object_new_int64((int64_t)dur));
		if (repeat) {
			json_object_object_add(o, "repeat",
					       json_object_new_int64((int64_t)repeat));
			json_object_object_add(o, "batches", json_object_new_int(batches));
			json_object_object_add(o, "ns_per_invocation",
					       json_object_new_double(per));
			json_object_object_add(o, "p50_ns", json_object_new_int64(
				(int64_t)durs[batches / 2]));
			json_object_object_add(o, "p99_ns", json_object_new_int64(
				(int64_t)durs[(batches * 99 + 99) / 100 - 1]));
		}
		json_print(o);
		return;
	}
	printf("%s: %s in %llu ns (via %s)\n", name, verdict(outlen, closed),
	       (unsigned long long)dur, via);
	if (outlen) {
		printf("reply (%zu bytes):", outlen);
		if (invoke_printable(out, outlen)) {
			printf(" %.*s%s", (int)outlen, out,
			       out[outlen - 1] == '\n' ? "" : "\n");
		} else {
			printf("\n");
			invoke_hexdump(out, outlen);
		}
	}
	if (closed)
		printf("the connection was closed%s\n",
		       outlen ? " after the reply" : " without a reply");
	else if (!outlen)
		printf("no reply within %d ms\n", WAIT_MS);
	if (repeat)
		printf("%llu invocations: %.1f ns/invocation, p50 %llu ns, p99 "
		       "%llu ns over %d batches\n", repeat, per,
		       (unsigned long long)durs[batches / 2],
		       (unsigned long long)durs[(batches * 99 + 99) / 100 - 1],
		       batches);
}

int invoke_sk(const struct kfaas_fn_info *fn, struct kfaas_state *st,
	      const void *req, size_t len, const char *dst,
	      unsigned long long repeat)
{
	struct sockaddr_storage ss;
	__u64 dur = 0, durs[MAX_BATCHES], total = 0, ns;
	unsigned long long left, per, r, j;
	unsigned int sslen;
	uint8_t *out = NULL, *again = NULL;
	size_t outlen = 0;
	bool closed = false;
	char via[80];
	int fd = -1, rc = -1, batches = 1, i;

	if (kfaas_sk_invoke_target(st, fn, dst, &ss, &sslen, via, sizeof(via)))
		return p_lib_err();
	out = malloc(MAX_REPLY);
	again = malloc(MAX_REPLY);
	if (!out || !again) {
		p_err("out of memory");
		goto out;
	}
	fd = kfaas_sk_invoke_connect(&ss, sslen, via, 2000);
	if (fd < 0) {
		p_lib_err();
		goto out;
	}
	if (kfaas_sk_invoke_once(fd, req, len, out, MAX_REPLY, &outlen, WAIT_MS,
				 IDLE_MS, &closed, &dur)) {
		p_lib_err();
		goto out;
	}
	if (repeat) {
		if (!outlen || closed) {
			p_err("--repeat needs a request that '%s' answers and "
			      "after which the connection stays open: it %s",
			      fn->name, closed ? "closed the connection" :
			      "did not answer");
			goto out;
		}
		batches = repeat < MAX_BATCHES ? (int)repeat : MAX_BATCHES;
		per = repeat / batches;
		left = repeat;
		for (i = 0; i < batches; i++) {
			r = i == batches - 1 ? left : per;
			durs[i] = 0;
			for (j = 0; j < r; j++) {
				if (kfaas_sk_invoke_exact(fd, req, len, again,
							  outlen, 2000, &ns)) {
					p_lib_err();
					goto out;
				}
				durs[i] += ns;
			}
			total += durs[i];
			durs[i] /= r;
			left -= r;
		}
		qsort(durs, (size_t)batches, sizeof(durs[0]), cmp_u64);
	}
	print_result(fn->name, via, len, out, outlen, closed, dur, repeat,
		     batches, repeat ? (double)total / repeat : 0.0, durs);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(out);
	free(again);
	return rc;
}
