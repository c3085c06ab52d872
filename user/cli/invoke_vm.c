// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke of a VM-tier function: the payload goes through kfaasd's
 * control socket into the function's warm pool, like a request from the
 * network (same queue, limits and accounting).  Output mirrors the XDP
 * invoke: the verdict (REPLY or ERROR), the reply, the time in kfaasd;
 * --repeat N times N invocations one after another and prints ns per
 * invocation with p50/p99 over them.  A failed invocation exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "cli.h"

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void add_status(json_object *o, const struct kfaas_vm_result *r)
{
	if (!r->ran)
		return;
	if (WIFEXITED(r->status))
		json_object_object_add(o, "exit_status",
				       json_object_new_int(WEXITSTATUS(r->status)));
	else if (WIFSIGNALED(r->status))
		json_object_object_add(o, "signal",
				       json_object_new_int(WTERMSIG(r->status)));
	json_object_object_add(o, "vm", json_object_new_int(r->vm));
	json_object_object_add(o, "fn_wall_ns",
			       json_object_new_int64((int64_t)r->fn_wall_ns));
	json_object_object_add(o, "fn_cpu_ns",
			       json_object_new_int64((int64_t)r->fn_cpu_ns));
}

int invoke_vm(const char *name, const uint8_t *payload, size_t len,
	      unsigned long long repeat)
{
	unsigned long long i, n = repeat ? repeat : 1, errors = 0, total = 0;
	struct kfaas_vm_result r = { 0 };
	struct kfaas_daemon d;
	__u64 *durs;
	int rc = 0;

	durs = calloc(n, sizeof(*durs));
	if (!durs)
		return p_err("--repeat %llu: out of memory", repeat);
	if (kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt))) {
		free(durs);
		return p_lib_err();
	}
	for (i = 0; i < n; i++) {
		free(r.reply);
		if (kfaas_daemon_invoke(&d, name, payload, len, &r)) {
			kfaas_daemon_close(&d);
			free(durs);
			return p_lib_err();
		}
		durs[i] = r.duration_ns;
		total += r.duration_ns;
		if (!r.ok)
			errors++;
	}
	kfaas_daemon_close(&d);
	qsort(durs, n, sizeof(*durs), cmp_u64);
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(name));
		json_object_object_add(o, "tier", json_object_new_string("vm"));
		json_object_object_add(o, "verdict", json_object_new_string(
			r.ok ? "REPLY" : "ERROR"));
		json_object_object_add(o, "request_len",
				       json_object_new_int64((int64_t)len));
		if (r.ok) {
			char *hex = invoke_hex(r.reply, r.reply_len);

			json_object_object_add(o, "reply_len",
					       json_object_new_int64((int64_t)r.reply_len));
			json_object_object_add(o, "reply",
				invoke_printable(r.reply, r.reply_len) ?
				json_object_new_string_len(r.reply,
							   (int)r.reply_len) : NULL);
			json_object_object_add(o, "reply_hex",
					       json_object_new_string(hex ? hex : ""));
			free(hex);
		} else {
			json_object_object_add(o, "error",
					       json_object_new_string(r.error));
		}
		json_object_object_add(o, "duration_ns",
				       json_object_new_int64((int64_t)r.duration_ns));
		add_status(o, &r);
		if (repeat) {
			json_object_object_add(o, "repeat", json_object_new_int64((int64_t)n));
			json_object_object_add(o, "batches", json_object_new_int64((int64_t)n));
			json_object_object_add(o, "errors", json_object_new_int64((int64_t)errors));
			json_object_object_add(o, "ns_per_invocation",
					       json_object_new_double((double)total / n));
			json_object_object_add(o, "p50_ns",
					       json_object_new_int64((int64_t)durs[n / 2]));
			json_object_object_add(o, "p99_ns", json_object_new_int64(
				(int64_t)durs[(n * 99 + 99) / 100 - 1]));
		}
		json_print(o);
	} else if (r.ok) {
		printf("%s: REPLY in %llu ns (vm %d, function ran %llu ns)\n",
		       name, (unsigned long long)r.duration_ns, r.vm,
		       (unsigned long long)r.fn_wall_ns);
		printf("reply (%zu bytes):", r.reply_len);
		if (invoke_printable(r.reply, r.reply_len)) {
			printf(" %.*s%s", (int)r.reply_len, (char *)r.reply,
			       r.reply_len && ((char *)r.reply)[r.reply_len - 1] ==
			       '\n' ? "" : "\n");
		} else {
			printf("\n");
			invoke_hexdump(r.reply, r.reply_len);
		}
	} else {
		printf("%s: ERROR in %llu ns: %s\n", name,
		       (unsigned long long)r.duration_ns, r.error);
	}
	if (!json_output && repeat)
		printf("%llu invocations: %.1f ns/invocation, p50 %llu ns, p99 "
		       "%llu ns over %llu invocations, %llu error(s)\n", n,
		       (double)total / n, (unsigned long long)durs[n / 2],
		       (unsigned long long)durs[(n * 99 + 99) / 100 - 1], n,
		       errors);
	if (errors)
		rc = -1;
	free(r.reply);
	free(durs);
	return rc;
}
