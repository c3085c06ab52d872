// SPDX-License-Identifier: GPL-2.0
/*
 * The pin root kfaasd serves: created if kfaasd is the first kfaas program
 * there, then held open (unlocked) for the daemon's life to read routes
 * and the registry and to charge the accounting.  Changes take the lock
 * with a kfaas_state of their own (pinroot_lock(): fns.c, conf_apply.c).
 */
#include <errno.h>
#include <time.h>
#include "kfaasd.h"

/*
 * The lock, waited for at most PINROOT_LOCK_WAIT_MS: the event loop must
 * not wait for a `kfaas apply` that holds the lock while it waits for
 * this daemon (its second phase, "wait").
 */
#define PINROOT_LOCK_WAIT_MS	2000

int pinroot_lock(struct kfaas_state *st)
{
	uint64_t until = kfaas_now_ms() + PINROOT_LOCK_WAIT_MS;
	struct timespec pause = { .tv_nsec = 20 * 1000000 };
	int rc;

	for (;;) {
		rc = kfaas_state_open(st, opts.pin_root, KFAAS_OPEN_TRYLOCK);
		if (rc != -EAGAIN || kfaas_now_ms() >= until)
			return rc;
		nanosleep(&pause, NULL);
	}
}

struct kfaas_state pinroot;
static bool pinroot_opened;

int pinroot_open(void)
{
	struct kfaas_state st;
	int rc;

	/* create the pinned state if this is the first kfaas program */
	rc = kfaas_state_open(&st, opts.pin_root, KFAAS_OPEN_CREATE |
			      KFAAS_OPEN_LOCK);
	if (rc)
		return rc;
	kfaas_state_close(&st);
	rc = kfaas_state_open(&pinroot, opts.pin_root, 0);
	if (rc)
		return rc;
	pinroot_opened = true;
	if (pinroot.ustats_fd < 0)
		return kfaas_err(-ENOENT, "the kfaas state at %s has no ustats "
				 "map (made by an older kfaas): unload its "
				 "functions and remove it", opts.pin_root);
	return 0;
}

void pinroot_close(void)
{
	if (pinroot_opened)
		kfaas_state_close(&pinroot);
	pinroot_opened = false;
}
