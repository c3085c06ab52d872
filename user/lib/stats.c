// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the accounting: the per-CPU map kfaas_stats (programs loaded
 * without kfaas.ko), kfaas_ustats (written by kfaasd without kfaas.ko)
 * plus, when the module is loaded, its counters (its kfuncs and
 * /dev/kfaas charges).  All are summed: a function counted in any of them
 * shows the same columns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include <kfaas_logs.h>
#include "internal.h"

static void stats_add(struct kfaas_stats *sum, const struct kfaas_stats *v)
{
	sum->invocations += v->invocations;
	sum->throttled += v->throttled;
	sum->passed += v->passed;
	sum->drops += v->drops;
	sum->errors += v->errors;
	sum->bytes_in += v->bytes_in;
	sum->bytes_out += v->bytes_out;
	sum->cpu_ns += v->cpu_ns;
}

/* The userspace-charged tiers' counters (kfaas_ustats), if the map exists. */
static int ustats_add(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum)
{
	struct kfaas_stats u;

	if (st->ustats_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(st->ustats_fd, &id, &u))
		return errno == ENOENT ? 0 :
		       kfaas__errno_msg(-errno, "cannot read the counters");
	stats_add(sum, &u);
	return 0;
}

/* The maps' counters: kfaas_stats over CPUs, plus kfaas_ustats. */
static int map_read(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum)
{
	struct kfaas_stats *v;
	int i;

	v = calloc(st->ncpus, sizeof(*v));
	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(st->stats_fd, &id, v)) {
		int rc = kfaas__errno_msg(-errno, "cannot read the counters");

		free(v);
		return rc;
	}
	for (i = 0; i < st->ncpus; i++)
		stats_add(sum, &v[i]);
	free(v);
	return ustats_add(st, id, sum);
}

int kfaas_stats_read(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum)
{
	struct kfaas_stats m;
	int rc, fd;

	rc = map_read(st, id, sum);
	if (rc || !kfaas_module_present())
		return rc;
	fd = kfaas_state_mod_fd(st);
	if (fd < 0)
		return fd;
	rc = kfaas_mod_stats(fd, id, &m);
	if (rc == -ENOENT)
		return 0;	/* not registered with the module */
	if (!rc)
		stats_add(sum, &m);
	return rc;
}

int kfaas_stats_read_list(struct kfaas_state *st, const __u32 *ids, size_t n,
			  struct kfaas_stats *out)
{
	struct kfaas_stats_entry *e = NULL;
	size_t ne = 0, i, j = 0;
	int rc, fd;

	for (i = 0; i < n; i++) {
		rc = map_read(st, ids[i], &out[i]);
		if (rc)
			return rc;
	}
	if (!kfaas_module_present())
		return 0;
	fd = kfaas_state_mod_fd(st);
	rc = fd < 0 ? fd : kfaas_mod_stats_all(fd, &e, &ne);
	if (rc)
		return rc;
	/* both sorted by id? ids need not be: match each */
	for (i = 0; i < n; i++) {
		for (j = 0; j < ne; j++) {
			if (e[j].id == ids[i]) {
				stats_add(&out[i], &e[j].stats);
				break;
			}
		}
	}
	free(e);
	return 0;
}

int kfaas__percpu_zero(const struct kfaas_state *st, int fd, __u32 id,
		       size_t size)
{
	void *v = calloc(st->ncpus, size);
	int rc = 0;

	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	if (bpf_map_update_elem(fd, &id, v, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot reset the counters");
	free(v);
	return rc;
}

int kfaas_stats_reset(struct kfaas_state *st, __u32 id)
{
	struct kfaas_stats zero = { 0 };
	int rc = kfaas__percpu_zero(st, st->stats_fd, id, sizeof(zero));

	/* the ustats record of the function (one, not per CPU) */
	if (!rc && st->ustats_fd >= 0 &&
	    bpf_map_update_elem(st->ustats_fd, &id, &zero, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot reset the counters");
	if (!rc)
		rc = kfaas_log_counters_reset(st, id);
	if (!rc && kfaas_module_present()) {
		int fd = kfaas_state_mod_fd(st);

		rc = fd < 0 ? fd : kfaas_mod_reset(fd, id);
		if (rc == -ENOENT)
			rc = 0;
	}
	return rc;
}

int kfaas_stats_charge(struct kfaas_state *st, __u32 id,
		       const struct kfaas_stats *d)
{
	struct kfaas_stats u;
	int rc, fd;

	/* with kfaas.ko: counted there, and drains the function's budget */
	if (kfaas_module_present()) {
		fd = kfaas_state_mod_fd(st);
		rc = fd < 0 ? fd : kfaas_mod_charge(fd, id, d);
		if (rc != -ENOENT)
			return rc;
		/* not registered with the module: the map */
	}
	if (st->ustats_fd < 0)
		return kfaas_err(-ENOENT, "the kfaas state at %s has no ustats "
				 "map: recreate it with this kfaas", st->root);
	if (bpf_map_lookup_elem(st->ustats_fd, &id, &u))
		return kfaas__errno_msg(-errno, "cannot read the counters");
	u.invocations += d->invocations;
	u.throttled += d->throttled;
	u.passed += d->passed;
	u.drops += d->drops;
	u.errors += d->errors;
	u.bytes_in += d->bytes_in;
	u.bytes_out += d->bytes_out;
	u.cpu_ns += d->cpu_ns;
	if (bpf_map_update_elem(st->ustats_fd, &id, &u, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot write the counters");
	return 0;
}

static const char *const dstat_names[KFAAS_DSTAT_MAX] = {
	[KFAAS_DSTAT_RX] = "rx",
	[KFAAS_DSTAT_NOT_UDP] = "not_udp",
	[KFAAS_DSTAT_MALFORMED] = "malformed",
	[KFAAS_DSTAT_FRAGMENT] = "fragment",
	[KFAAS_DSTAT_MULTICAST] = "multicast",
	[KFAAS_DSTAT_NO_ROUTE] = "no_route",
	[KFAAS_DSTAT_OTHER_TIER] = "other_tier",
	[KFAAS_DSTAT_DISPATCHED] = "dispatched",
	[KFAAS_DSTAT_TAILCALL_FAIL] = "tailcall_fail",
	[KFAAS_DSTAT_THROTTLED] = "throttled",
	[KFAAS_DSTAT_KM_UNKNOWN] = "km_unknown",
	[KFAAS_DSTAT_LOOP] = "loop_refused",
	[KFAAS_DSTAT_GUARD] = "guard_refused",
	[KFAAS_DSTAT_RATIO] = "ratio_refused",
	[KFAAS_DSTAT_CHAINS] = "chains",
	[KFAAS_DSTAT_HOPS] = "chain_hops",
};

const char *kfaas_dstat_name(unsigned int idx)
{
	return idx < KFAAS_DSTAT_MAX ? dstat_names[idx] : "?";
}

int kfaas_dstats_read(struct kfaas_state *st, __u64 out[KFAAS_DSTAT_MAX])
{
	__u64 *v = calloc(st->ncpus, sizeof(*v));
	__u32 k;
	int i;

	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	for (k = 0; k < KFAAS_DSTAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(st->dstats_fd, &k, v))
			continue;
		for (i = 0; i < st->ncpus; i++)
			out[k] += v[i];
	}
	free(v);
	return 0;
}
