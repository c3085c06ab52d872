// SPDX-License-Identifier: GPL-2.0
/*
 * Crash repair of the pinned state.  Writers set config.busy while they
 * change several objects; whoever next takes the lock and finds it set
 * makes the state consistent again, with the registry as the truth:
 *   - a prog-array slot without a registered eBPF function is cleared;
 *   - fn/NAME without a registered function is removed, as is prog_new;
 *   - a registered eBPF function whose program pin is gone is unregistered;
 *   - otherwise its slot and registry entry follow its pinned program;
 *   - a budget of an id nobody has is forgotten;
 *   - the dispatcher's port index follows the route table.
 * Then an apply that was interrupted is undone or finished from its
 * journal (journal.c), and a chain element no route names is deleted
 * (a chain route added or deleted, or an apply, cut short).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"
#include "journal.h"

static const struct kfaas_fn_info *by_name(const struct kfaas_fn_info *arr,
					   size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(arr[i].name, name, KFAAS_NAME_LEN))
			return &arr[i];
	return NULL;
}

static void repair_dirs(struct kfaas_state *st, const struct kfaas_fn_info *arr,
			size_t n)
{
	char dir[KFAAS_PATH_MAX], sub[600];
	struct dirent *de;
	DIR *d;

	if (kfaas__path(dir, sizeof(dir), "%s/fn", st->root))
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const struct kfaas_fn_info *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		f = by_name(arr, n, de->d_name);
		if (!f || !kfaas__tier_ebpf(f->tier)) {
			kfaas__rmtree(sub);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s/%s/prog_new", dir, de->d_name);
		unlink(sub);
	}
	closedir(d);
}

/* Clear the slots of a tier's prog array that no function of it owns. */
static void repair_slots(struct kfaas_state *st, const struct kfaas_fn_info *arr,
			 size_t n, unsigned int tier)
{
	bool *want = calloc(KFAAS_MAX_FUNCS, sizeof(*want));
	int pfd = kfaas__tier_progs_fd(st, tier);
	__u32 id, pid;
	size_t i;

	if (!want || pfd < 0) {
		free(want);
		return;
	}
	for (i = 0; i < n; i++)
		if (arr[i].tier == tier && arr[i].id < KFAAS_MAX_FUNCS)
			want[arr[i].id] = true;
	for (id = 0; id < KFAAS_MAX_FUNCS; id++) {
		if (want[id])
			continue;
		if (bpf_map_lookup_elem(pfd, &id, &pid) == 0)
			bpf_map_delete_elem(pfd, &id);
	}
	free(want);
}

static void repair_budgets(struct kfaas_state *st,
			   const struct kfaas_fn_info *arr, size_t n)
{
	__u32 key, next, stale[64];
	void *prev = NULL;
	size_t i, ns = 0;

	if (st->budgets_fd < 0)
		return;
	while (ns < 64 && bpf_map_get_next_key(st->budgets_fd, prev, &next) == 0) {
		bool known = false;

		key = next;
		prev = &key;
		for (i = 0; i < n && !known; i++)
			known = arr[i].id == key;
		if (!known)
			stale[ns++] = key;
	}
	for (i = 0; i < ns; i++)
		bpf_map_delete_elem(st->budgets_fd, &stale[i]);
}

static void repair_fn(struct kfaas_state *st, struct kfaas_fn_info *f)
{
	int fd = kfaas_fn_prog_fd(st, f->name);
	int pfd = kfaas__tier_progs_fd(st, f->tier);
	__u32 pid = 0, slot = 0;

	if (fd < 0) {
		bpf_map_delete_elem(st->funcs_fd, &f->id);
		if (pfd >= 0)
			bpf_map_delete_elem(pfd, &f->id);
		return;
	}
	if (kfaas__prog_info(fd, &pid, NULL) == 0) {
		if (pfd >= 0 &&
		    (bpf_map_lookup_elem(pfd, &f->id, &slot) || slot != pid))
			bpf_map_update_elem(pfd, &f->id, &fd, BPF_ANY);
		if (f->prog_id != pid) {
			f->prog_id = pid;
			kfaas__prog_info(fd, NULL, f->tag);
			bpf_map_update_elem(st->funcs_fd, &f->id, f, BPF_EXIST);
		}
	}
	close(fd);
}

/* A writer died between set_busy(1) and set_busy(0): objects follow the
 * registry. */
static int repair_busy(struct kfaas_state *st, struct kfaas_globals *g)
{
	struct kfaas_fn_info *arr;
	size_t n, i;
	int rc;

	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		if (kfaas__tier_ebpf(arr[i].tier))
			repair_fn(st, &arr[i]);
	free(arr);
	/* the registry may have shrunk: list again */
	rc = kfaas_fn_list(st, &arr, &n);
	if (rc)
		return rc;
	repair_dirs(st, arr, n);
	repair_slots(st, arr, n, KFAAS_TIER_XDP);
	repair_slots(st, arr, n, KFAAS_TIER_SK);
	repair_budgets(st, arr, n);
	free(arr);
	rc = kfaas__port_routes_sync(st);
	if (rc)
		return rc;
	g->busy = 0;
	return kfaas_globals_set(st, g);
}

/*
 * First the objects of one change (busy), then what an interrupted
 * `kfaas apply` had done (its journal, journal.c): undone, or finished.
 */
int kfaas_state_repair(struct kfaas_state *st)
{
	struct kfaas_globals g;
	bool busy;
	int rc;

	rc = kfaas_globals_get(st, &g);
	busy = !rc && g.busy;
	if (busy)
		rc = repair_busy(st, &g);
	rc = rc ?: kfaas__journal_recover(st);
	/* then the chain elements of routes that went (or never came) */
	if (rc == 1 || (!rc && busy))
		rc = kfaas_chains_gc(st);
	return rc < 0 ? rc : 0;
}
