// SPDX-License-Identifier: GPL-2.0
/*
 * Charging the VM tier to the shared per-function accounting, so that
 * "kfaas stats" shows every tier in one table:
 *   invocations  requests that reached a VM (the function ran)
 *   throttled    requests refused: over the function's budget (shed), or
 *                the queue was full
 *   errors       the function failed, timed out, its VM died, it wrote too
 *                much, or no VM could serve the request
 *   bytes_in     request bytes of invocations
 *   bytes_out    response bytes handed to the client
 *   cpu_ns       the function's run time measured in the guest (fork to
 *                exit); for a timeout, the time until the VM was killed
 * The write itself is kfaas_stats_charge() in the library: the fallback
 * BPF map kfaas_ustats today, the kfaas.ko charge ioctl when it exists.
 */
#include "kfaasd.h"

void account_charge(__u32 fn_id, size_t bytes_in, size_t bytes_out,
		    const struct result *res)
{
	struct kfaas_stats d = { 0 };
	struct fn *f;

	if (res->err == REQ_E_QUEUE_FULL || res->err == REQ_E_OVER_BUDGET) {
		d.throttled = 1;
	} else {
		if (res->ran) {
			d.invocations = 1;
			d.bytes_in = bytes_in;
			d.cpu_ns = res->fn_wall_ns;
		}
		if (res->err != REQ_OK)
			d.errors = 1;
		d.bytes_out = bytes_out;
	}
	if (res->err == REQ_E_NOFN || res->err == REQ_E_GONE)
		return;		/* nothing to charge it to */
	f = fn_by_id(fn_id);
	if (f && res->ran)
		kfaas_local_budget_charge(&f->budget, d.cpu_ns, d.bytes_out);
	if (kfaas_stats_charge(&pinroot, fn_id, &d))
		warn("cannot charge function %u: %s", fn_id, kfaas_errmsg());
}
