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

static void print_result(const struct invoke_req *r,
			 const struct kfaas_vm_result *res,
			 const struct invoke_stats *stats, long long errors)
{
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(r->name));
		json_object_object_add(o, "tier", json_object_new_string("vm"));
		json_object_object_add(o, "verdict", json_object_new_string(
			res->ok ? "REPLY" : "ERROR"));
		json_object_object_add(o, "request_len",
				       json_object_new_int64((int64_t)r->len));
		if (res->ok)
			invoke_json_reply(o, res->reply, res->reply_len);
		else
			json_object_object_add(o, "error",
					       json_object_new_string(res->error));
		json_object_object_add(o, "duration_ns",
				       json_object_new_int64((int64_t)res->duration_ns));
		add_status(o, res);
		if (r->repeat)
			invoke_json_stats(o, stats, errors);
		json_print(o);
		return;
	}
	if (res->ok) {
		printf("%s: REPLY in %llu ns (vm %d, function ran %llu ns)\n",
		       r->name, (unsigned long long)res->duration_ns, res->vm,
		       (unsigned long long)res->fn_wall_ns);
		invoke_print_reply(res->reply, res->reply_len, true);
	} else {
		printf("%s: ERROR in %llu ns: %s\n", r->name,
		       (unsigned long long)res->duration_ns, res->error);
	}
	if (r->repeat)
		invoke_print_stats(stats, errors);
}

int invoke_vm(const struct invoke_req *r)
{
	unsigned long long i, n = r->repeat ? r->repeat : 1, errors = 0, total = 0;
	struct kfaas_vm_result res = { 0 };
	struct invoke_stats stats = { .repeat = n };
	struct kfaas_daemon d;
	__u64 *durs;
	int rc = 0;

	durs = calloc(n, sizeof(*durs));
	if (!durs)
		return p_err("--repeat %llu: out of memory", r->repeat);
	if (kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt))) {
		free(durs);
		return p_lib_err();
	}
	for (i = 0; i < n && !rc; i++) {
		free(res.reply);
		rc = kfaas_daemon_invoke(&d, r->name, r->payload, r->len, &res);
		durs[i] = res.duration_ns;
		total += res.duration_ns;
		if (!res.ok)
			errors++;
	}
	kfaas_daemon_close(&d);
	if (rc) {
		rc = p_lib_err();
	} else {
		stats.per = (double)total / n;
		invoke_stats_pick(&stats, durs, n);
		print_result(r, &res, &stats, (long long)errors);
		rc = errors ? -1 : 0;
	}
	free(res.reply);
	free(durs);
	return rc;
}
