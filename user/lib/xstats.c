// SPDX-License-Identifier: GPL-2.0
/*
 * A function's own counters: its private map "xstats" (PINROOT/fn/NAME/
 * xstats), a per-CPU array of one struct whose __u64 fields are
 * counters.  Summed over CPUs and named by the map's BTF, so any function
 * can show its extras in 'kfaas stats' without the CLI knowing them
 * (docs/sdk.md, "Counters of your own").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "libkfaas.h"
#include "internal.h"

/* The struct's __u64 members: names and offsets into out; their count. */
static int xstats_fields(const struct bpf_map_info *info,
			 struct kfaas_xstat *out, size_t max, __u32 *off)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf;
	size_t n = 0;
	int i;

	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return kfaas_err(-errno, "the xstats map has no BTF");
	t = btf__type_by_id(btf, info->btf_value_type_id);
	if (!t || !btf_is_struct(t)) {
		btf__free(btf);
		return kfaas_err(-EINVAL, "the xstats map's value is not a struct");
	}
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t) && n < max; i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);

		while (mt && (btf_is_typedef(mt) || btf_is_mod(mt)))
			mt = btf__type_by_id(btf, mt->type);
		if (!mt || !btf_is_int(mt) || mt->size != 8 ||
		    btf_member_bitfield_size(t, i) ||
		    btf_member_bit_offset(t, i) % 64)
			continue;		/* only __u64 counters */
		snprintf(out[n].name, sizeof(out[n].name), "%s",
			 btf__name_by_offset(btf, m->name_off));
		off[n] = btf_member_bit_offset(t, i) / 8;
		out[n].value = 0;
		n++;
	}
	btf__free(btf);
	return (int)n;
}

int kfaas_fn_xstats(struct kfaas_state *st, const char *fn,
		    struct kfaas_xstat *out, size_t max, size_t *n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, off[KFAAS_XSTATS_MAX];
	char path[320];
	size_t stride;
	char *v = NULL;
	int fd, rc, i, cpu;

	*n = 0;
	if (max > KFAAS_XSTATS_MAX)
		max = KFAAS_XSTATS_MAX;
	rc = kfaas_fn_map_path(st, fn, "xstats", path, sizeof(path));
	if (rc)
		return rc;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : kfaas__errno_msg(-errno, path);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		rc = kfaas__errno_msg(-errno, path);
		goto out;
	}
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != 4 ||
	    info.max_entries < 1) {
		rc = kfaas_err(-EINVAL, "%s is not a per-CPU array of counters",
			       path);
		goto out;
	}
	rc = xstats_fields(&info, out, max, off);
	if (rc <= 0)
		goto out;
	stride = (info.value_size + 7) & ~7u;
	v = calloc(st->ncpus, stride);
	if (!v) {
		rc = kfaas_err(-ENOMEM, "out of memory");
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		rc = kfaas__errno_msg(-errno, path);
		goto out;
	}
	for (i = 0; i < rc; i++)
		for (cpu = 0; cpu < st->ncpus; cpu++) {
			__u64 x;

			memcpy(&x, v + cpu * stride + off[i], sizeof(x));
			out[i].value += x;
		}
	*n = rc;
	rc = 0;
out:
	free(v);
	close(fd);
	return rc;
}
