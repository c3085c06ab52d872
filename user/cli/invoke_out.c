// SPDX-License-Identifier: GPL-2.0
/*
 * The output 'kfaas invoke' gives for every tier (invoke_xdp.c,
 * invoke_sk.c, invoke_vm.c): the reply as JSON fields or as text (or a
 * hex dump), and the --repeat statistics: ns per invocation and the p50
 * and p99 of the per-batch averages.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

void invoke_stats_pick(struct invoke_stats *s, __u64 *durs, size_t n)
{
	qsort(durs, n, sizeof(*durs), cmp_u64);
	s->batches = n;
	s->p50 = durs[n / 2];
	s->p99 = durs[(n * 99 + 99) / 100 - 1];
}

void invoke_json_reply(json_object *o, const void *p, size_t n)
{
	char *hex = kfaas_hex_encode(p, n);

	json_object_object_add(o, "reply_len", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "reply", kfaas_printable(p, n) ?
			       json_object_new_string_len(p, (int)n) : NULL);
	json_object_object_add(o, "reply_hex",
			       json_object_new_string(hex ? hex : ""));
	free(hex);
}

void invoke_json_stats(json_object *o, const struct invoke_stats *s,
		       long long errors)
{
	json_object_object_add(o, "repeat",
			       json_object_new_int64((int64_t)s->repeat));
	json_object_object_add(o, "batches",
			       json_object_new_int64((int64_t)s->batches));
	if (errors >= 0)
		json_object_object_add(o, "errors", json_object_new_int64(errors));
	json_object_object_add(o, "ns_per_invocation",
			       json_object_new_double(s->per));
	json_object_object_add(o, "p50_ns", json_object_new_int64((int64_t)s->p50));
	json_object_object_add(o, "p99_ns", json_object_new_int64((int64_t)s->p99));
}

void invoke_print_reply(const void *p, size_t n, bool own_newline)
{
	const char *t = p;

	printf("reply (%zu bytes):", n);
	if (kfaas_printable(p, n)) {
		printf(" %.*s%s", (int)n, t,
		       own_newline && n && t[n - 1] == '\n' ? "" : "\n");
	} else {
		printf("\n");
		kfaas_hexdump(stdout, p, n);
	}
}

void invoke_print_stats(const struct invoke_stats *s, long long errors)
{
	printf("%llu invocations: %.1f ns/invocation, p50 %llu ns, p99 %llu ns "
	       "over ", s->repeat, s->per, (unsigned long long)s->p50,
	       (unsigned long long)s->p99);
	if (errors >= 0)
		printf("%llu invocations, %llu error(s)\n", s->batches,
		       (unsigned long long)errors);
	else
		printf("%llu batches\n", s->batches);
}
