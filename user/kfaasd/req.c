// SPDX-License-Identifier: GPL-2.0
/*
 * A request's life at its ends: made by a listener or the control socket
 * (req_new), handed to its function (req_submit, fns.c), queued by the
 * pool, served by a VM, and finished exactly once (req_finish): charged
 * to the function's accounting, answered through its done() callback,
 * freed.  Finishing is the way back up: whoever finishes a request (a VM
 * with its result, the pool refusing or timing it out) calls no one but
 * the request's own callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kfaasd.h"

struct req *req_new(__u32 fn_id, char *data, size_t len, req_done_fn done,
		    void *ctx)
{
	struct req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	list_init(&r->link);
	r->fn_id = fn_id;
	r->data = data;
	r->len = len;
	r->done = done;
	r->ctx = ctx;
	r->t_recv_ns = kfaas_now_ns();
	return r;
}

void req_finish(struct req *r, struct result *res)
{
	account_charge(r->fn_id, r->len, res->err == REQ_OK ? res->out_len : 0,
		       res);
	logs_vm(r->fn_id, res);
	if (r->done)
		r->done(r, res);
	free(r->data);
	free(r);
}

void req_fail(struct req *r, int err, const char *fmt, ...)
{
	struct result res = { .err = err, .vm_id = -1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res.msg, sizeof(res.msg), fmt, ap);
	va_end(ap);
	req_finish(r, &res);
}
