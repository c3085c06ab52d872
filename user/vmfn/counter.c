// SPDX-License-Identifier: GPL-2.0
/*
 * counter: a resident VM-tier example (kfaas fn create --resident).  One
 * process serves request after request, so what it keeps in memory
 * lives on: it counts the requests it served and the bytes it was sent,
 * and says which process it is.  Built with the C helper
 * (user/vmfn/kfaas_resident.h); without --resident the same executable
 * serves one request per process (and always answers "request 1").
 *
 *   $ kfaas fn create counter --vm /usr/lib/kfaas/vmfn/counter --resident
 *   $ kfaas invoke counter --data abc
 *   request 1 (3 bytes, 3 in all) served by pid 57
 *   $ kfaas invoke counter --data de
 *   request 2 (2 bytes, 5 in all) served by pid 57
 */
#include <unistd.h>
#include "kfaas_resident.h"

struct counts {
	unsigned long	requests;
	unsigned long	bytes;
};

static int handle(const char *req, size_t len, struct kfaas_reply *r,
		  void *ctx)
{
	struct counts *c = ctx;

	(void)req;
	c->requests++;
	c->bytes += len;
	return kfaas_reply_printf(r, "request %lu (%zu bytes, %lu in all) "
				  "served by pid %d\n", c->requests, len,
				  c->bytes, (int)getpid()) ? 1 : 0;
}

int main(void)
{
	struct counts c = { 0 };

	return kfaas_serve(handle, &c);
}
