// SPDX-License-Identifier: GPL-2.0
/*
 * The pin root kfaasd serves: created if kfaasd is the first kfaas program
 * there, then held open (unlocked) for the daemon's life to read routes
 * and the registry and to charge the accounting.  Changes take the lock
 * with a kfaas_state of their own (fns.c, conf_apply.c).
 */
#include <errno.h>
#include "kfaasd.h"

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
