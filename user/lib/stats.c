// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting maps (per-CPU kfaas_stats written by BPF programs,
 * kfaas_ustats written by kfaasd) and the global config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "libkfaas.h"
#include "internal.h"

/* The userspace-charged tiers' counters (kfaas_ustats), if the map exists. */
static int ustats_add(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum)
{
	struct kfaas_stats u;

	if (st->ustats_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(st->ustats_fd, &id, &u))
		return errno == ENOENT ? 0 :
		       kfaas__errno_msg(-errno, "cannot read the counters");
	sum->invocations += u.invocations;
	sum->throttled += u.throttled;
	sum->passed += u.passed;
	sum->drops += u.drops;
	sum->errors += u.errors;
	sum->bytes_in += u.bytes_in;
	sum->bytes_out += u.bytes_out;
	sum->cpu_ns += u.cpu_ns;
	return 0;
}

int kfaas_stats_read(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum)
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
	for (i = 0; i < st->ncpus; i++) {
		sum->invocations += v[i].invocations;
		sum->throttled += v[i].throttled;
		sum->passed += v[i].passed;
		sum->drops += v[i].drops;
		sum->errors += v[i].errors;
		sum->bytes_in += v[i].bytes_in;
		sum->bytes_out += v[i].bytes_out;
		sum->cpu_ns += v[i].cpu_ns;
	}
	free(v);
	return ustats_add(st, id, sum);
}

int kfaas_stats_reset(struct kfaas_state *st, __u32 id)
{
	struct kfaas_stats *v = calloc(st->ncpus, sizeof(*v));
	int rc = 0;

	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	if (bpf_map_update_elem(st->stats_fd, &id, v, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot reset the counters");
	/* v[0] is zero: the ustats record of the function */
	if (!rc && st->ustats_fd >= 0 &&
	    bpf_map_update_elem(st->ustats_fd, &id, v, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot reset the counters");
	free(v);
	return rc;
}

int kfaas_stats_charge(struct kfaas_state *st, __u32 id,
		       const struct kfaas_stats *d)
{
	struct kfaas_stats u;

	/* with kfaas.ko: its charge ioctl goes here */
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

int kfaas_config_get(struct kfaas_state *st, struct kfaas_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, cfg))
		return kfaas__errno_msg(-errno, "cannot read the kfaas config");
	return 0;
}

int kfaas_config_set(struct kfaas_state *st, const struct kfaas_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(st->config_fd, &zero, cfg, BPF_ANY))
		return kfaas__errno_msg(-errno, "cannot write the kfaas config");
	return 0;
}
