// SPDX-License-Identifier: GPL-2.0
/* The function registry (pinned map kfaas_funcs): id <-> name, tier, source. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

static const char *const tier_names[KFAAS_TIER_MAX] = {
	[KFAAS_TIER_NONE] = "none",
	[KFAAS_TIER_XDP] = "xdp",
	[KFAAS_TIER_SK] = "sk",
	[KFAAS_TIER_VM] = "vm",
};

/* keep-alive auto (docs/lifecycle.md): no VM kept warm by a floor */
const struct kfaas_vm_params kfaas_vm_defaults = {
	.mem_mib = 128,
	.vcpus = 1,
	.min_warm = 0,
	.max_instances = 4,
	.idle_ttl_s = 60,
	.timeout_ms = 5000,
	.flags = KFAAS_VM_KEEP_AUTO,
};

const char *kfaas_tier_name(unsigned int tier)
{
	return tier < KFAAS_TIER_MAX ? tier_names[tier] : "unknown";
}

int kfaas_tier_parse(const char *s)
{
	int t;

	for (t = KFAAS_TIER_XDP; t < KFAAS_TIER_MAX; t++)
		if (!strcmp(s, tier_names[t]))
			return t;
	return kfaas_err(-EINVAL, "unknown tier '%s': use xdp, sk or vm", s);
}

int kfaas_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= KFAAS_NAME_LEN)
		return kfaas_err(-EINVAL, "function name '%s' must be 1 to %d "
				 "characters", name, KFAAS_NAME_LEN - 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* bpffs refuses '.' in names: fn/NAME must be pinnable */
		if (!isalnum(c) && c != '_' && c != '-')
			return kfaas_err(-EINVAL, "function name '%s' may only "
					 "hold letters, digits, '_' and '-'",
					 name);
	}
	if (name[0] == '-')
		return kfaas_err(-EINVAL, "function name '%s' must start with a "
				 "letter, digit or '_'", name);
	return 0;
}

/* id's entry in the snapshot (sorted by id), or NULL. */
static const struct kfaas_fn_info *snap_by_id(const struct kfaas_state *st, __u32 id)
{
	size_t lo = 0, hi = st->snap_n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->snap_fns[mid].id == id)
			return &st->snap_fns[mid];
		if (st->snap_fns[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool kfaas__snap_budget(const struct kfaas_state *st, __u32 id,
			struct kfaas_limits *l)
{
	const struct kfaas_fn_info *f;

	if (!st->snap_fns || !(f = snap_by_id(st, id)))
		return false;
	*l = st->snap_limits[f - st->snap_fns];
	return true;
}

int kfaas__registry_snap(struct kfaas_state *st, bool on)
{
	struct kfaas_fn_info *f;
	struct kfaas_limits *l;
	size_t n, i;
	int rc;

	free(st->snap_fns);
	free(st->snap_limits);
	st->snap_fns = NULL;
	st->snap_limits = NULL;
	st->snap_n = 0;
	if (!on)
		return 0;
	rc = kfaas_fn_list(st, &f, &n);
	if (rc)
		return rc;
	l = calloc(n ? n : 1, sizeof(*l));
	if (!l) {
		free(f);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < n && !rc; i++)
		rc = kfaas_budget_get(st, f[i].id, &l[i]);
	if (rc) {
		free(f);
		free(l);
		return rc;
	}
	st->snap_fns = f;
	st->snap_limits = l;
	st->snap_n = n;
	return 0;
}

int kfaas_fn_get(struct kfaas_state *st, __u32 id, struct kfaas_fn_info *out)
{
	const struct kfaas_fn_info *f;

	if (st->snap_fns) {
		if (!(f = snap_by_id(st, id)))
			return -ENOENT;
		*out = *f;
		return 0;
	}
	if (bpf_map_lookup_elem(st->funcs_fd, &id, out))
		return errno == ENOENT ? -ENOENT :
		       kfaas__errno_msg(-errno, "cannot read the registry");
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct kfaas_fn_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int kfaas_fn_list(struct kfaas_state *st, struct kfaas_fn_info **out, size_t *n)
{
	struct kfaas_fn_info *arr = NULL, *tmp;
	size_t cnt = 0, cap = 0;
	__u32 key, next;
	void *prev = NULL;

	while (bpf_map_get_next_key(st->funcs_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				free(arr);
				return kfaas_err(-ENOMEM, "out of memory");
			}
			arr = tmp;
		}
		if (bpf_map_lookup_elem(st->funcs_fd, &key, &arr[cnt]) == 0)
			cnt++;
	}
	if (errno != ENOENT) {
		free(arr);
		return kfaas__errno_msg(-errno, "cannot read the registry");
	}
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_id);
	*out = arr;
	*n = cnt;
	return 0;
}

int kfaas_fn_find(struct kfaas_state *st, const char *name,
		  struct kfaas_fn_info *out)
{
	struct kfaas_fn_info *arr;
	size_t n, i;
	int rc;

	for (i = 0; i < st->snap_n; i++)
		if (!strncmp(st->snap_fns[i].name, name, KFAAS_NAME_LEN)) {
			*out = st->snap_fns[i];
			return 0;
		}
	if (st->snap_fns)
		return kfaas_err(-ENOENT, "no function '%s': 'kfaas fn list' "
				 "shows the loaded ones", name);
	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	rc = kfaas_err(-ENOENT, "no function '%s': 'kfaas fn list' shows the "
		       "loaded ones", name);
	for (i = 0; i < n; i++) {
		if (!strncmp(arr[i].name, name, KFAAS_NAME_LEN)) {
			*out = arr[i];
			rc = 0;
			break;
		}
	}
	free(arr);
	return rc;
}

int kfaas_fn_alloc_id(struct kfaas_state *st, __u32 *id)
{
	struct kfaas_fn_info *arr;
	size_t n, i;
	__u32 want = 1;
	int rc;

	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {	/* sorted: first gap */
		if (arr[i].id > want)
			break;
		if (arr[i].id == want)
			want++;
	}
	free(arr);
	if (want >= KFAAS_MAX_FUNCS)
		return kfaas_err(-ENOSPC, "all %d function ids are in use: unload "
				 "a function first", KFAAS_MAX_FUNCS - 1);
	*id = want;
	return 0;
}
