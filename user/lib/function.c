// SPDX-License-Identifier: GPL-2.0
/*
 * Function lifecycle: load, replace, unload, register.
 *
 * Every change runs under the pin root lock with config.busy set, and
 * writes the registry entry as its commit point: a crash before it leaves
 * pins and prog-array slots that kfaas_state_repair() removes, a crash
 * after it leaves work that repair completes.  So a function is either
 * fully there or not at all, whatever kills the CLI.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"

static int tier_of(unsigned int prog_type)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_XDP:
		return KFAAS_TIER_XDP;
	case BPF_PROG_TYPE_SK_SKB:
		return KFAAS_TIER_SK;
	default:
		return KFAAS_TIER_NONE;
	}
}

static int fill_info(struct kfaas_fn_info *info, const char *name, __u32 id,
		     int tier, const char *path, const struct kfaas_loaded *l)
{
	int prog_fd = l->prog_fd;

	char real[PATH_MAX];

	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	info->id = id;
	info->tier = tier;
	info->load_time = (__u64)time(NULL);
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	if (strlen(real) >= sizeof(info->source))
		return kfaas_err(-ENAMETOOLONG, "path %s is longer than %zu "
				 "bytes: move the object to a shorter path",
				 real, sizeof(info->source) - 1);
	memcpy(info->source, real, strlen(real) + 1);
	info->reply_ratio = l->reply_ratio;
	if (kfaas__prog_info(prog_fd, &info->prog_id, info->tag))
		return kfaas__errno_msg(-errno, "cannot read the program info");
	return 0;
}

static int require_lock(struct kfaas_state *st)
{
	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	return 0;
}

/* A new function's preconditions (locked state, free name) and its id. */
static int load_begin(struct kfaas_state *st, const char *name, __u32 *id)
{
	struct kfaas_fn_info info;
	int rc;

	rc = require_lock(st) ?: kfaas_name_valid(name);
	if (rc)
		return rc;
	if (kfaas_fn_find(st, name, &info) == 0)
		return kfaas_err(-EEXIST, "function '%s' already exists (id %u): "
				 "use 'kfaas fn replace %s FILE' or unload it "
				 "first", name, info.id, name);
	return kfaas_fn_alloc_id(st, id);
}

/*
 * The tier of a loaded function program and its prog array; the socket
 * tier's dispatcher is attached first, before sockets arrive.
 */
static int load_tier(struct kfaas_state *st, const struct kfaas_loaded *l,
		     const char *path, int *tier, int *pfd)
{
	*tier = tier_of(l->prog_type);
	*pfd = kfaas__tier_progs_fd(st, *tier);
	if (*pfd < 0)
		return kfaas_err(-EOPNOTSUPP, "%s: %s functions are not supported "
				 "yet", path, kfaas_tier_name(*tier));
	return *tier == KFAAS_TIER_SK ? kfaas_sk_setup(st) : 0;
}

/* Why the kernel refused a program in a tier's prog array (errno). */
static int slot_err(const char *name, int tier)
{
	return kfaas_err(-errno, "cannot add %s to the dispatch table: %s (%s)",
			 name, strerror(errno), tier == KFAAS_TIER_SK ?
			 "a socket-tier function must be built with "
			 "KFAAS_SK_FUNCTION(): section sk_skb/stream_verdict" :
			 "an XDP function must be built like the dispatcher: "
			 "no frags");
}

/*
 * Load, pin, put in the prog array, then register (the commit point),
 * with config.busy set and a crash point between the steps
 * (tests/cli/test_crash.sh kills the CLI at each).
 */
int kfaas_fn_load(struct kfaas_state *st, const char *path, const char *name,
		  struct kfaas_fn_info *out)
{
	struct kfaas_loaded l;
	struct kfaas_fn_info info;
	char pin[KFAAS_PATH_MAX], dir[KFAAS_PATH_MAX];
	__u32 id;
	int rc, tier, pfd;

	rc = load_begin(st, name, &id) ?:
	     kfaas__path(dir, sizeof(dir), "%s/fn/%s", st->root, name) ?:
	     kfaas__path(pin, sizeof(pin), "%s/prog", dir) ?:
	     kfaas__busy_set(st, 1);
	if (rc)
		return rc;
	rc = kfaas_obj_load(st, path, name, id, &l);
	if (rc)
		goto err_dir;
	kfaas__crash_point("load-maps");
	rc = load_tier(st, &l, path, &tier, &pfd) ?:
	     fill_info(&info, name, id, tier, path, &l);
	if (rc)
		goto err_obj;
	if (bpf_obj_pin(l.prog_fd, pin)) {
		rc = kfaas__errno_msg(-errno, pin);
		goto err_obj;
	}
	kfaas__crash_point("load-pinned");
	rc = kfaas_stats_reset(st, id) ?: kfaas__guard_stats_reset(st, id);
	if (rc)
		goto err_obj;
	if (bpf_map_update_elem(pfd, &id, &l.prog_fd, BPF_ANY)) {
		rc = slot_err(name, tier);
		goto err_obj;
	}
	kfaas__crash_point("load-slot");
	/* commit point */
	if (bpf_map_update_elem(st->funcs_fd, &id, &info, BPF_NOEXIST)) {
		rc = kfaas__errno_msg(-errno, "cannot register the function");
		bpf_map_delete_elem(pfd, &id);
		goto err_obj;
	}
	kfaas__crash_point("load-committed");
	kfaas_obj_close(&l);
	kfaas__busy_set(st, 0);
	rc = kfaas__module_fn_add(st, id, true);
	if (rc)	/* loaded and counted in the maps; say why not in kfaas.ko */
		return kfaas_err(rc, "function '%s' is loaded (id %u) but kfaas.ko "
				 "does not account it: %s", name, id,
				 kfaas_errmsg());
	if (out)
		*out = info;
	return 0;
err_obj:
	kfaas_obj_close(&l);
err_dir:
	kfaas__rmtree(dir);
	kfaas__busy_set(st, 0);
	return rc;
}

/*
 * Swap the program of a registered eBPF function for prog_fd: pin it as
 * prog_new, switch the dispatch slot (one atomic update; counters are by
 * id and stay), rename the pin over prog, then commit the registry entry
 * info.  Called with config.busy set; a failure after the slot switch is
 * left to repair, which restores the program pinned as prog.
 */
static int fn_swap(struct kfaas_state *st, const struct kfaas_fn_info *old,
		   int prog_fd, const struct kfaas_fn_info *info, bool *swapped)
{
	int pfd = kfaas__tier_progs_fd(st, old->tier);
	char pin[KFAAS_PATH_MAX], tmp[KFAAS_PATH_MAX];
	int rc;

	rc = kfaas__path(pin, sizeof(pin), "%s/fn/%s/prog", st->root, old->name) ?:
	     kfaas__path(tmp, sizeof(tmp), "%s/fn/%s/prog_new", st->root, old->name);
	if (rc)
		return rc;
	unlink(tmp);
	if (bpf_obj_pin(prog_fd, tmp))
		return kfaas__errno_msg(-errno, tmp);
	kfaas__crash_point("replace-pinned");
	if (bpf_map_update_elem(pfd, &old->id, &prog_fd, BPF_ANY)) {
		rc = kfaas_err(-errno, "cannot swap %s in the dispatch table: %s",
			       old->name, strerror(errno));
		unlink(tmp);
		return rc;
	}
	*swapped = true;
	kfaas__crash_point("replace-swapped");
	if (rename(tmp, pin))
		return kfaas__errno_msg(-errno, pin);
	kfaas__crash_point("replace-renamed");
	if (bpf_map_update_elem(st->funcs_fd, &old->id, info, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot update the registry");
	return 0;
}

static int replace_begin(struct kfaas_state *st, const char *name,
			 struct kfaas_fn_info *old)
{
	int rc = require_lock(st) ?: kfaas_fn_find(st, name, old);

	if (rc)
		return rc;
	if (kfaas__tier_progs_fd(st, old->tier) < 0)
		return kfaas_err(-EINVAL, "function '%s' runs in the %s tier: only "
				 "eBPF functions can be replaced by an object",
				 name, kfaas_tier_name(old->tier));
	return kfaas__busy_set(st, 1);
}

static int replace_end(struct kfaas_state *st, int rc, bool swapped)
{
	if (rc && swapped)
		kfaas_state_repair(st);	/* back to one consistent program */
	else
		kfaas__busy_set(st, 0);
	return rc;
}

int kfaas_fn_replace(struct kfaas_state *st, const char *name, const char *path,
		     struct kfaas_fn_info *out)
{
	struct kfaas_fn_info old, info;
	struct kfaas_loaded l;
	bool swapped = false;
	int rc, tier;

	rc = replace_begin(st, name, &old);
	if (rc)
		return rc;
	rc = kfaas_obj_load(st, path, name, old.id, &l);
	if (rc)
		return replace_end(st, rc, false);
	tier = tier_of(l.prog_type);
	if (tier != old.tier)
		rc = kfaas_err(-EINVAL, "%s is a %s function but '%s' is %s: "
			       "unload and load instead", path,
			       kfaas_tier_name(tier), name,
			       kfaas_tier_name(old.tier));
	else
		rc = fill_info(&info, name, old.id, tier, path, &l) ?:
		     fn_swap(st, &old, l.prog_fd, &info, &swapped);
	/* its routes follow a changed declared ratio */
	if (!rc && info.reply_ratio != old.reply_ratio)
		rc = kfaas__routes_refresh(st, old.id);
	if (!rc && out)
		*out = info;
	kfaas_obj_close(&l);
	return replace_end(st, rc, swapped);
}

int kfaas_fn_restore(struct kfaas_state *st, const struct kfaas_fn_info *info,
		     int prog_fd)
{
	struct kfaas_fn_info old;
	bool swapped = false;
	int rc;

	rc = replace_begin(st, info->name, &old);
	if (rc)
		return rc;
	if (old.id != info->id)
		rc = kfaas_err(-EINVAL, "function '%s' has id %u, not %u",
			       info->name, old.id, info->id);
	else
		rc = fn_swap(st, &old, prog_fd, info, &swapped);
	if (!rc && info->reply_ratio != old.reply_ratio)
		rc = kfaas__routes_refresh(st, old.id);
	return replace_end(st, rc, swapped);
}

static int routes_using(struct kfaas_state *st, __u32 id, char *buf, size_t len)
{
	struct kfaas_route_ent *r;
	size_t n, i, used = 0;
	int cnt = 0, rc;

	rc = kfaas_route_list(st, &r, &n);
	if (rc)
		return rc;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		char k[96];

		int w = kfaas_route_weight_of(&r[i].val, id);

		if (!w && !kfaas__route_uses(st, &r[i].val, id))
			continue;
		kfaas_route_key_str(&r[i].key, k, sizeof(k));
		if (w > 0)	/* a version of a split: say its weight */
			snprintf(k + strlen(k), sizeof(k) - strlen(k),
				 " with weight %d of %u", w, r[i].val.total);
		if (used < len)
			used += snprintf(buf + used, len - used, "%s'%s'",
					 cnt ? ", " : "", k);
		cnt++;
	}
	free(r);
	return cnt;
}

int kfaas_fn_unload(struct kfaas_state *st, const char *name)
{
	struct kfaas_fn_info info;
	char routes[256], dir[KFAAS_PATH_MAX];
	int rc, pfd;

	rc = require_lock(st) ?: kfaas_fn_find(st, name, &info);
	if (rc)
		return rc;
	rc = routes_using(st, info.id, routes, sizeof(routes));
	if (rc < 0)
		return rc;
	if (rc > 0)
		return kfaas_err(-EBUSY, "function '%s' serves %d route(s) (%s): "
				 "delete them first with 'kfaas route del ...', "
				 "or take a version out of a split with 'kfaas "
				 "route set ... weights' (weight 0)",
				 name, rc, routes);
	rc = kfaas__path(dir, sizeof(dir), "%s/fn/%s", st->root, name) ?:
	     kfaas__busy_set(st, 1);
	if (rc)
		return rc;
	/* commit point */
	if (bpf_map_delete_elem(st->funcs_fd, &info.id)) {
		rc = kfaas__errno_msg(-errno, "cannot unregister the function");
		kfaas__busy_set(st, 0);
		return rc;
	}
	kfaas__crash_point("unload-committed");
	pfd = kfaas__tier_progs_fd(st, info.tier);
	if (pfd >= 0)
		bpf_map_delete_elem(pfd, &info.id);
	kfaas__crash_point("unload-slot");
	kfaas__rmtree(dir);
	kfaas_stats_reset(st, info.id);
	kfaas__guard_stats_reset(st, info.id);
	bpf_map_delete_elem(st->budgets_fd, &info.id);
	kfaas__module_fn_del(st, info.id);
	return kfaas__busy_set(st, 0);
}

int kfaas_fn_register(struct kfaas_state *st, struct kfaas_fn_info *info)
{
	struct kfaas_fn_info cur;
	int rc;

	rc = require_lock(st) ?: kfaas_name_valid(info->name);
	if (rc)
		return rc;
	if (kfaas_fn_find(st, info->name, &cur) == 0)
		return kfaas_err(-EEXIST, "function '%s' already exists (id %u)",
				 info->name, cur.id);
	rc = kfaas_fn_alloc_id(st, &info->id) ?: kfaas_stats_reset(st, info->id) ?:
	     kfaas__guard_stats_reset(st, info->id);
	if (rc)
		return rc;
	info->load_time = (__u64)time(NULL);
	if (bpf_map_update_elem(st->funcs_fd, &info->id, info, BPF_NOEXIST))
		return kfaas__errno_msg(-errno, "cannot register the function");
	return kfaas__module_fn_add(st, info->id, true);
}
