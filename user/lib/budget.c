// SPDX-License-Identifier: GPL-2.0
/*
 * Function budgets: kept in the pinned map kfaas_budgets (so they survive
 * CLI runs and module reloads) as the limits and their token buckets, and
 * enforced by whoever runs the function (docs/module.md):
 *   XDP tier     kfaas.ko's kfuncs when it is loaded (it gets each
 *                function with its budget as it comes and goes:
 *                kfaas__module_fn_add/del), else the dispatcher from the
 *                map's buckets
 *   socket tier  the SDK from the map's buckets (6.1 has no kfunc hook
 *                for sk_skb programs)
 *   VM tier      kfaasd, with buckets of its own (kfaas_local_budget_*)
 * One arithmetic for all of them: include/kfaas/bucket.h.  The routes of
 * a function with a budget carry KFAAS_ROUTE_F_BUDGET, so the dispatchers
 * look a budget up only for them.
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

/* The record of limits l: full buckets. */
static void rec_make(struct kfaas_budget_rec *rec, const struct kfaas_limits *l)
{
	memset(rec, 0, sizeof(*rec));
	rec->limits = *l;
	kfaas_buckets_init(&rec->b, l->rps, l->rps_burst, l->cpu_ns_per_sec,
			   l->cpu_burst_ns, l->bytes_per_sec, l->bytes_burst);
}

int kfaas_budget_get(struct kfaas_state *st, __u32 id, struct kfaas_limits *l)
{
	struct kfaas_budget_rec rec;

	memset(l, 0, sizeof(*l));
	if (kfaas__snap_budget(st, id, l))
		return 0;
	if (bpf_map_lookup_elem(st->budgets_fd, &id, &rec)) {
		if (errno == ENOENT)
			return 0;
		return kfaas__errno_msg(-errno, "cannot read the budgets");
	}
	*l = rec.limits;
	return 0;
}

/* The map's record of id: limits l, or none when unlimited. */
static int rec_put(struct kfaas_state *st, __u32 id, const struct kfaas_limits *l)
{
	struct kfaas_budget_rec rec;

	if (unlimited(l))
		return bpf_map_delete_elem(st->budgets_fd, &id) && errno != ENOENT ?
		       -errno : 0;
	rec_make(&rec, l);
	return bpf_map_update_elem(st->budgets_fd, &id, &rec, BPF_ANY) ? -errno : 0;
}

/*
 * The map first, then the routes' flag (so a route never points at a
 * budget that is not there yet when one is set, and never stays flagged
 * for long when one is cleared: a flag without a record admits), then
 * kfaas.ko.  A failure puts the old budget back.
 */
int kfaas_budget_set(struct kfaas_state *st, __u32 id, const struct kfaas_limits *l)
{
	struct kfaas_limits old;
	int rc, fd;

	rc = kfaas_limits_check(l);
	if (rc)
		return rc;
	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	rc = kfaas_budget_get(st, id, &old);
	if (rc)
		return rc;
	rc = rec_put(st, id, l);
	if (rc)
		return kfaas__errno_msg(rc, "cannot store the budget");
	rc = kfaas__routes_refresh(st, id);
	if (!rc && kfaas_module_present()) {
		fd = kfaas_state_mod_fd(st);
		rc = fd < 0 ? fd : kfaas_mod_fn_set_limits(fd, id, l);
		if (rc == -ENOENT && fd >= 0)
			rc = kfaas_mod_fn_register(fd, id, l);
	}
	if (rc) {
		/* no state changed: the old budget back */
		rec_put(st, id, &old);
		kfaas__routes_refresh(st, id);
	}
	return rc;
}

int kfaas_budget_clear(struct kfaas_state *st, __u32 id)
{
	struct kfaas_limits none = {};

	return kfaas_budget_set(st, id, &none);
}

const char *kfaas_enforcer_name(int e)
{
	switch (e) {
	case KFAAS_ENF_MODULE:
		return "kfaas.ko kfuncs";
	case KFAAS_ENF_MAPS:
		return "BPF maps";
	case KFAAS_ENF_KFAASD:
		return "kfaasd";
	case KFAAS_ENF_NOBODY:
		return "kfaasd not running";
	default:
		return "-";
	}
}

/* Does the pinned dispatcher call kfaas.ko (its kfunc variant)? */
static bool dispatcher_km(struct kfaas_state *st)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return st->disp_fd >= 0 &&
	       !bpf_obj_get_info_by_fd(st->disp_fd, &info, &len) &&
	       !strncmp(info.name, "kfaas_dispatch_", sizeof(info.name));
}

int kfaas_budget_enforcer(struct kfaas_state *st, const struct kfaas_fn_info *f,
			  const struct kfaas_limits *l, bool daemon)
{
	struct kfaas_limits ml;
	int fd;

	if (unlimited(l))
		return KFAAS_ENF_NONE;
	switch (f->tier) {
	case KFAAS_TIER_XDP:
		/* the module's when the dispatcher asks it and it knows f */
		if (!dispatcher_km(st))
			return KFAAS_ENF_MAPS;
		fd = kfaas_state_mod_fd(st);
		return fd >= 0 && kfaas_mod_fn_get(fd, f->id, &ml) == 0 ?
		       KFAAS_ENF_MODULE : KFAAS_ENF_MAPS;
	case KFAAS_TIER_SK:
		return KFAAS_ENF_MAPS;
	case KFAAS_TIER_VM:
		return daemon ? KFAAS_ENF_KFAASD : KFAAS_ENF_NOBODY;
	default:
		return KFAAS_ENF_NONE;
	}
}

int kfaas_local_budget_sync(struct kfaas_state *st, __u32 id,
			    struct kfaas_local_budget *lb)
{
	struct kfaas_limits l;
	int rc = kfaas_budget_get(st, id, &l);

	if (rc)
		return rc;
	if (lb->set == !unlimited(&l) && !memcmp(&l, &lb->limits, sizeof(l)))
		return 0;
	/* a new or changed budget: full buckets, as kfaas budget set says */
	lb->limits = l;
	lb->set = !unlimited(&l);
	kfaas_buckets_init(&lb->b, l.rps, l.rps_burst, l.cpu_ns_per_sec,
			   l.cpu_burst_ns, l.bytes_per_sec, l.bytes_burst);
	return 0;
}

bool kfaas_local_budget_admit(struct kfaas_local_budget *lb, __u64 bytes)
{
	return !lb->set || kfaas_buckets_admit(&lb->b, kfaas_now_ns(), bytes);
}

void kfaas_local_budget_charge(struct kfaas_local_budget *lb, __u64 cpu_ns,
			       __u64 bytes)
{
	if (lb->set)
		kfaas_buckets_charge(&lb->b, kfaas_now_ns(), cpu_ns, bytes);
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
