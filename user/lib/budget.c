// SPDX-License-Identifier: GPL-2.0
/*
 * Function budgets: remembered in the pinned map kfaas_budgets (so they
 * survive CLI runs and module reloads) and enforced by kfaas.ko when it is
 * loaded, which gets each function with its budget as it comes and goes
 * (kfaas__module_fn_add/del).  The semantics are in docs/module.md.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

/* The module's rules (kfaas_limits_validate()), each with its message. */
int kfaas_limits_check(const struct kfaas_limits *l)
{
	switch (kfaas_limits_validate(l)) {
	case KFAAS_LIMITS_VALID:
		return 0;
	case KFAAS_LIMITS_E_RATE:
		return kfaas_err(-EINVAL, "a rate may be at most %llu per "
				 "second", KFAAS_RATE_MAX);
	case KFAAS_LIMITS_E_RPS_BURST:
		return kfaas_err(-EINVAL, "--burst needs --rps: a burst of "
				 "invocations without a rate means nothing");
	case KFAAS_LIMITS_E_CPU_BURST:
		return kfaas_err(-EINVAL, "--cpu-burst-ns needs --cpu-ns-per-sec");
	case KFAAS_LIMITS_E_BYTES_BURST:
		return kfaas_err(-EINVAL, "--bytes-burst needs --bytes-per-sec");
	}
	return kfaas_err(-EINVAL, "internal: unknown budget rule");
}

static bool unlimited(const struct kfaas_limits *l)
{
	return !l->rps && !l->cpu_ns_per_sec && !l->bytes_per_sec;
}

int kfaas_budget_get(struct kfaas_state *st, __u32 id, struct kfaas_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (st->budgets_fd < 0)
		return 0;	/* an older pin root: no budgets yet */
	if (bpf_map_lookup_elem(st->budgets_fd, &id, l) && errno != ENOENT)
		return kfaas__errno_msg(-errno, "cannot read the budgets");
	return 0;
}

int kfaas_budget_set(struct kfaas_state *st, __u32 id, const struct kfaas_limits *l)
{
	struct kfaas_limits old;
	bool had;
	int rc, fd;

	rc = kfaas_limits_check(l);
	if (rc)
		return rc;
	if (st->budgets_fd < 0)
		return kfaas_err(-EINVAL, "internal: state not locked");
	had = bpf_map_lookup_elem(st->budgets_fd, &id, &old) == 0;
	if (unlimited(l))
		rc = bpf_map_delete_elem(st->budgets_fd, &id) && errno != ENOENT ?
		     -errno : 0;
	else
		rc = bpf_map_update_elem(st->budgets_fd, &id, l, BPF_ANY) ?
		     -errno : 0;
	if (rc)
		return kfaas__errno_msg(rc, "cannot store the budget");
	if (!kfaas_module_present())
		return 0;
	fd = kfaas_state_mod_fd(st);
	rc = fd < 0 ? fd : kfaas_mod_fn_set_limits(fd, id, l);
	if (rc == -ENOENT && fd >= 0)
		rc = kfaas_mod_fn_register(fd, id, l);
	if (rc) {
		/* no state changed: put the old budget back */
		if (had)
			bpf_map_update_elem(st->budgets_fd, &id, &old, BPF_ANY);
		else
			bpf_map_delete_elem(st->budgets_fd, &id);
	}
	return rc;
}

int kfaas_budget_clear(struct kfaas_state *st, __u32 id)
{
	struct kfaas_limits none = {};

	return kfaas_budget_set(st, id, &none);
}

int kfaas__module_fn_add(struct kfaas_state *st, __u32 id, bool fresh)
{
	struct kfaas_limits l;
	int fd, rc;

	if (!kfaas_module_present())
		return 0;
	fd = kfaas_state_mod_fd(st);
	if (fd < 0)
		return fd;
	rc = kfaas_budget_get(st, id, &l);
	if (rc)
		return rc;
	rc = kfaas_mod_fn_register(fd, id, &l);
	if (rc == -EEXIST) {
		rc = kfaas_mod_fn_set_limits(fd, id, &l);
		if (!rc && fresh)
			rc = kfaas_mod_reset(fd, id);
	}
	return rc;
}

void kfaas__module_fn_del(struct kfaas_state *st, __u32 id)
{
	int fd;

	if (!kfaas_module_present())
		return;
	fd = kfaas_state_mod_fd(st);
	if (fd >= 0)
		kfaas_mod_fn_unregister(fd, id);
}
