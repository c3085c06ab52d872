// SPDX-License-Identifier: GPL-2.0
/*
 * The pin root's globals: the one entry of the pinned map kfaas_config
 * (struct kfaas_globals): the ABI version that made the state, the
 * address-route hint of the dispatchers, the CPU-time sample rate ('kfaas
 * config' tunables) and the busy flag of crash repair.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

int kfaas_globals_get(struct kfaas_state *st, struct kfaas_globals *g)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, g))
		return kfaas__errno_msg(-errno, "cannot read the kfaas config");
	return 0;
}

int kfaas_globals_set(struct kfaas_state *st, const struct kfaas_globals *g)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(st->config_fd, &zero, g, BPF_ANY))
		return kfaas__errno_msg(-errno, "cannot write the kfaas config");
	return 0;
}

int kfaas__busy_set(struct kfaas_state *st, __u32 busy)
{
	struct kfaas_globals g;
	int rc;

	if (st->busy_held)	/* set already, until kfaas__busy_hold(false) */
		return 0;
	rc = kfaas_globals_get(st, &g);
	if (rc)
		return rc;
	g.busy = busy;
	return kfaas_globals_set(st, &g);
}

int kfaas__busy_hold(struct kfaas_state *st, bool hold)
{
	int rc;

	if (st->busy_held == hold)
		return 0;
	st->busy_held = false;
	rc = kfaas__busy_set(st, hold);
	st->busy_held = hold && !rc;
	return rc;
}

int kfaas__busy_enter(struct kfaas_state *st, bool *mine)
{
	*mine = !st->busy_held;
	return *mine ? kfaas__busy_hold(st, true) : 0;
}

int kfaas__busy_leave(struct kfaas_state *st, bool mine, int rc)
{
	if (!mine)
		return rc;
	if (rc) {		/* busy stays set: the next writer repairs */
		st->busy_held = false;
		return rc;
	}
	return kfaas__busy_hold(st, false);
}
