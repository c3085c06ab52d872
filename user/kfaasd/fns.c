// SPDX-License-Identifier: GPL-2.0
/*
 * The VM-tier functions kfaasd serves.  The pinned registry is the truth:
 * "kfaas fn create" registers through here (kfaas_fn_register() under the
 * pin root lock) and only then builds the image and starts the pool; at
 * start-up and on every refresh the daemon adopts VM-tier functions it
 * does not know (a restart, a daemon that died) and forgets those that
 * left the registry (unloaded while no daemon ran).  A function's guest
 * image is rebuilt from its registered source when the daemon adopts it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kfaasd.h"

struct list fns = LIST_INIT(fns);

struct fn *fn_by_id(__u32 id)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);

		if (f->id == id)
			return f;
	}
	return NULL;
}

struct fn *fn_by_name(const char *name)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);

		if (!strncmp(f->name, name, KFAAS_NAME_LEN))
			return f;
	}
	return NULL;
}

static int rmtree_dir(const char *dir)
{
	static const char *const files[] = { "image.cpio", "image.cpio.tmp",
					     "tpl.mem", "tpl.state" };
	char p[400];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	return rmdir(dir) && errno != ENOENT ? -errno : 0;
}

/* The fn struct, its directory and image; not yet in the list. */
static struct fn *fn_new(const struct kfaas_fn_info *info, char *why,
			 size_t len)
{
	struct fn *f = calloc(1, sizeof(*f));
	gid_t gid;

	if (!f) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	f->id = info->id;
	snprintf(f->name, sizeof(f->name), "%s", info->name);
	snprintf(f->source, sizeof(f->source), "%s", info->source);
	f->vm = info->vm;
	f->load_time = info->load_time;
	f->uid = qemu_uid(f->id);
	gid = f->uid == (uid_t)-1 ? (gid_t)-1 : (gid_t)f->uid;
	rundir_fn_dir(f->id, f->dir, sizeof(f->dir));
	rmtree_dir(f->dir);
	if (mkdir(f->dir, 0750) ||
	    (gid != (gid_t)-1 && chown(f->dir, 0, gid))) {
		snprintf(why, len, "cannot create %s: %s", f->dir,
			 strerror(errno));
		free(f);
		return NULL;
	}
	if (image_build(f->source, f->dir, gid, f->image, sizeof(f->image),
			why, len)) {
		rmtree_dir(f->dir);
		free(f);
		return NULL;
	}
	pool_init(&f->pool, f);
	return f;
}

/*
 * A registered function kfaasd cannot run (its executable is gone, say):
 * kept so that its requests get a clear error instead of silence, and so
 * that the failure is logged once, not on every refresh.
 */
static struct fn *fn_broken(const struct kfaas_fn_info *info, const char *why)
{
	struct fn *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->id = info->id;
	snprintf(f->name, sizeof(f->name), "%s", info->name);
	snprintf(f->source, sizeof(f->source), "%s", info->source);
	f->vm = info->vm;
	f->load_time = info->load_time;
	f->uid = qemu_uid(f->id);
	pool_init(&f->pool, f);
	snprintf(f->pool.broken, sizeof(f->pool.broken), "%s: recreate it "
		 "('kfaas fn unload %s', then 'kfaas fn create')", why, f->name);
	return f;
}

static void fn_free(struct fn *f)
{
	pool_stop(&f->pool);
	if (f->dir[0])
		rmtree_dir(f->dir);
	list_del(&f->link);
	free(f);
}

static int params_check(const struct kfaas_vm_params *p, char *why, size_t len)
{
	if (p->mem_mib < 96 || p->mem_mib > 65536) {
		snprintf(why, len, "--mem %u: a guest needs 96 to 65536 MiB "
			 "(Debian's kernel oopses below 96)", p->mem_mib);
		return -EINVAL;
	}
	if (p->vcpus < 1 || p->vcpus > 64) {
		snprintf(why, len, "--vcpus %u: use 1 to 64", p->vcpus);
		return -EINVAL;
	}
	if (p->max_instances < 1 || p->max_instances > 256) {
		snprintf(why, len, "--max %u: use 1 to 256", p->max_instances);
		return -EINVAL;
	}
	if (p->min_warm > p->max_instances) {
		snprintf(why, len, "--min-warm %u is above --max %u", p->min_warm,
			 p->max_instances);
		return -EINVAL;
	}
	if (p->timeout_ms < 1 || p->timeout_ms > 3600000) {
		snprintf(why, len, "--timeout %u: use 1 to 3600000 ms",
			 p->timeout_ms);
		return -EINVAL;
	}
	if (p->flags & ~(KFAAS_VM_F_FRESH | KFAAS_VM_F_RESIDENT |
			 KFAAS_VM_KEEP_MASK)) {
		snprintf(why, len, "unknown VM flags %#x: this kfaasd knows "
			 "fresh, resident and the keep-alive", p->flags &
			 ~(KFAAS_VM_F_FRESH | KFAAS_VM_F_RESIDENT |
			   KFAAS_VM_KEEP_MASK));
		return -EINVAL;
	}
	if (p->idle_ttl_s > 86400 * 30) {
		snprintf(why, len, "--idle-ttl %u: use 0 (never) to 2592000 s",
			 p->idle_ttl_s);
		return -EINVAL;
	}
	if (KFAAS_VM_KEEP(p->flags) == KFAAS_VM_KEEP_FIXED && !p->idle_ttl_s) {
		snprintf(why, len, "--keep-alive fixed:0: give 1 to 2592000 "
			 "seconds, or --keep-alive none");
		return -EINVAL;
	}
	return 0;
}

static int locked(struct kfaas_state *st, char *why, size_t len)
{
	int rc = pinroot_lock(st);

	if (rc)
		snprintf(why, len, "%s", kfaas_errmsg());
	return rc;
}

int fn_create(const char *name, const char *exe, const struct kfaas_vm_params *p,
	      struct fn **out, char *why, size_t len)
{
	struct kfaas_fn_info info = { .tier = KFAAS_TIER_VM, .vm = *p };
	struct kfaas_state st;
	char real[PATH_MAX];
	struct fn *f;
	int rc;

	rc = kfaas_name_valid(name);
	if (rc) {
		snprintf(why, len, "%s", kfaas_errmsg());
		return rc;
	}
	rc = params_check(p, why, len);
	if (rc)
		return rc;
	if (exe[0] != '/') {
		snprintf(why, len, "executable path '%s' must be absolute (the "
			 "CLI makes it so)", exe);
		return -EINVAL;
	}
	rc = image_check_exec(exe, why, len);
	if (rc)
		return rc;
	if (!realpath(exe, real) || strlen(real) >= sizeof(info.source)) {
		snprintf(why, len, "%s: cannot resolve the path, or it is longer "
			 "than %zu bytes", exe, sizeof(info.source) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(info.name, sizeof(info.name), "%s", name);
	memcpy(info.source, real, strlen(real) + 1);
	rc = locked(&st, why, len);
	if (rc)
		return rc;
	rc = kfaas_fn_register(&st, &info);
	if (rc) {
		snprintf(why, len, "%s", kfaas_errmsg());
		kfaas_state_close(&st);
		return rc;
	}
	ledger_adopt(&info);	/* its histogram, before its pool decides */
	f = fn_new(&info, why, len);
	if (!f) {
		/* no state changed: take the registration back */
		kfaas_fn_unload(&st, name);
		kfaas_state_close(&st);
		return -EIO;
	}
	kfaas_state_close(&st);
	list_add_tail(&f->link, &fns);
	info("created VM-tier function '%s' (id %u) from %s", f->name, f->id,
	     f->source);
	pool_maintain(&f->pool);
	*out = f;
	return 0;
}

/* Take a function out of the registry after its create failed. */
void fn_abort(struct fn *f)
{
	struct kfaas_state st;
	char why[256];

	if (locked(&st, why, sizeof(why)) == 0) {
		kfaas_fn_unload(&st, f->name);
		kfaas_state_close(&st);
	} else {
		warn("cannot unregister '%s': %s", f->name, why);
	}
	fn_free(f);
}

int fn_unload(const char *name, char *why, size_t len)
{
	struct kfaas_fn_info info;
	struct kfaas_state st;
	struct fn *f;
	int rc;

	rc = locked(&st, why, len);
	if (rc)
		return rc;
	rc = kfaas_fn_find(&st, name, &info);
	if (!rc && info.tier != KFAAS_TIER_VM) {
		snprintf(why, len, "function '%s' runs in the %s tier: unload "
			 "it with 'kfaas fn unload' (kfaasd serves the vm tier "
			 "only)", name, kfaas_tier_name(info.tier));
		kfaas_state_close(&st);
		return -EINVAL;
	}
	if (!rc)
		rc = kfaas_fn_unload(&st, name);
	if (rc)
		snprintf(why, len, "%s", kfaas_errmsg());
	kfaas_state_close(&st);
	if (rc)
		return rc;
	f = fn_by_name(name);
	if (f) {
		info("unloaded VM-tier function '%s' (id %u)", f->name, f->id);
		fn_free(f);
	}
	return 0;
}

/*
 * The same function but for its standby flag (the cluster's node agent
 * promoted it, or made it a standby again): kept, pool and template
 * included, so that a promoted standby clones instead of booting.
 */
static bool standby_only(const struct fn *f, const struct kfaas_fn_info *info)
{
	struct kfaas_vm_params a = f->vm, b = info->vm;

	a.flags &= ~KFAAS_VM_F_STANDBY;
	b.flags &= ~KFAAS_VM_F_STANDBY;
	return f->load_time != info->load_time &&
	       !strncmp(f->name, info->name, KFAAS_NAME_LEN) &&
	       !strncmp(f->source, info->source, sizeof(f->source)) &&
	       !memcmp(&a, &b, sizeof(a)) && f->vm.flags != info->vm.flags;
}

static void standby_set(struct fn *f, const struct kfaas_fn_info *info)
{
	f->vm = info->vm;
	f->load_time = info->load_time;
	info("function '%s': %s", f->name, f->vm.flags & KFAAS_VM_F_STANDBY ?
	     "standby (a ready template, no VM)" : "placed here: serving from "
	     "its template");
	pool_maintain(&f->pool);
}

void fns_sync(void)
{
	struct kfaas_fn_info *arr;
	struct list *l, *t;
	size_t n, i;

	if (kfaas_fn_list(&pinroot, &arr, &n)) {
		warn("cannot read the registry: %s", kfaas_errmsg());
		return;
	}
	ledger_sync(arr, n);
	list_for_each_safe(l, t, &fns)
		container_of(l, struct fn, link)->seen = false;
	for (i = 0; i < n; i++) {
		struct fn *f;
		char why[512];

		if (arr[i].tier != KFAAS_TIER_VM)
			continue;
		f = fn_by_id(arr[i].id);
		if (f && standby_only(f, &arr[i]))
			standby_set(f, &arr[i]);
		if (f && (strncmp(f->name, arr[i].name, KFAAS_NAME_LEN) ||
			  f->load_time != arr[i].load_time)) {
			/* the id was reused for another function */
			fn_free(f);
			f = NULL;
		}
		if (!f) {
			f = fn_new(&arr[i], why, sizeof(why));
			if (!f) {
				warn("cannot serve VM-tier function '%s': %s",
				     arr[i].name, why);
				f = fn_broken(&arr[i], why);
				if (!f)
					continue;
			}
			list_add_tail(&f->link, &fns);
			info("serving VM-tier function '%s' (id %u) from the "
			     "registry", f->name, f->id);
			pool_maintain(&f->pool);
		}
		f->seen = true;
	}
	free(arr);
	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);

		if (!f->seen) {
			info("function '%s' left the registry: stopping its VMs",
			     f->name);
			fn_free(f);
		}
	}
}

void fns_stop_all(void)
{
	while (!list_empty(&fns))
		fn_free(container_of(fns.next, struct fn, link));
}

uint64_t fns_next_deadline(void)
{
	uint64_t next = UINT64_MAX;
	struct list *l, *t;

	list_for_each_safe(l, t, &fns) {
		uint64_t d = pool_next_deadline(&container_of(l, struct fn,
							       link)->pool);

		if (d < next)
			next = d;
	}
	return next;
}

void fns_tick(uint64_t now)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &fns)
		pool_tick(&container_of(l, struct fn, link)->pool, now);
}

void req_submit(struct req *r)
{
	struct fn *f = fn_by_id(r->fn_id);

	if (!f) {
		req_fail(r, REQ_E_NOFN, "no VM-tier function with id %u: "
			 "'kfaas fn list' shows the functions", r->fn_id);
		return;
	}
	/* the budget as the pinned map has it now (one lookup) */
	if (kfaas_local_budget_sync(&pinroot, f->id, &f->budget))
		warn("cannot read the budget of '%s': %s", f->name,
		     kfaas_errmsg());
	if (!kfaas_local_budget_admit(&f->budget, r->len)) {
		f->n_shed++;
		req_fail(r, REQ_E_OVER_BUDGET, "function '%s' is over its "
			 "budget: request shed ('kfaas budget show %s')",
			 f->name, f->name);
		return;
	}
	pool_enqueue(&f->pool, r);
}
