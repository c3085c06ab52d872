// SPDX-License-Identifier: GPL-2.0
/*
 * The apply journal (journal.h).  Every record says how to take its step
 * back whether the step was done, half done or not done at all, so that
 * undoing is the same code after an error (apply.c) and after a crash
 * (kfaas__journal_recover(), run by the next writer of the pin root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <kfaas_conf.h>
#include "internal.h"
#include "journal.h"

#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's, for an op a map does not have */
#endif

/* Routes deleted and set, functions added, changed and deleted: at most. */
#define JOURNAL_MAX	(2 * KFAAS_MAX_ROUTES + 4 * KFAAS_MAX_FUNCS + 1)

static int journal_fd(const struct kfaas_state *st, bool create)
{
	return kfaas__pin_map(st, "journal", BPF_MAP_TYPE_HASH,
			      sizeof(struct kfaas__jrec), JOURNAL_MAX, create);
}

int kfaas__prog_old_path(const struct kfaas_state *st, const char *name,
			 char *buf, size_t len)
{
	return kfaas__path(buf, len, "%s/fn/%s/prog_old", st->root, name);
}

int kfaas__route_put(struct kfaas_state *st, const struct kfaas_route_key *key,
		     const struct kfaas_route *r)
{
	struct kfaas_route cur;

	if (kfaas_route_get(st, key, &cur))
		return kfaas_route_add(st, key, r);
	if (!memcmp(&cur, r, sizeof(cur)))
		return 0;
	return kfaas__route_change(st, key, r);
}

/* Keys 0..n-1 + first, in one array (for the batch calls), or NULL. */
static __u32 *keys_make(size_t n, __u32 first)
{
	__u32 *k = malloc((n ? n : 1) * sizeof(*k));
	size_t i;

	for (i = 0; k && i < n; i++)
		k[i] = (__u32)i + first;
	return k;
}

/*
 * Records 1..n in one BPF_MAP_UPDATE_BATCH (a 1 000-route apply writes
 * 2 000 of them), one update each where the kernel has no batch calls.
 */
static int records_put(int fd, const struct kfaas__jrec *r, size_t n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	__u32 *keys = keys_make(n, 1), count = (__u32)n, key;
	size_t i = 0;
	int rc = 0;

	if (!keys)
		return kfaas_err(-ENOMEM, "out of memory");
	if (n && bpf_map_update_batch(fd, keys, r, &count, &o)) {
		if (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP)
			rc = kfaas__errno_msg(-errno, "cannot write the apply journal");
		i = count;	/* the rest one by one */
	} else {
		i = n;
	}
	for (; i < n && !rc; i++) {
		key = (__u32)i + 1;
		if (bpf_map_update_elem(fd, &key, &r[i], BPF_ANY))
			rc = kfaas__errno_msg(-errno, "cannot write the apply journal");
	}
	free(keys);
	return rc;
}

int kfaas__journal_begin(struct kfaas_state *st, const struct kfaas__jrec *r,
			 size_t n)
{
	struct kfaas__jrec head = { .kind = JOURNAL_OPEN, .n = (__u32)n };
	__u32 key;
	int fd, rc = 0;

	if (n + 1 > JOURNAL_MAX)
		return kfaas_err(-E2BIG, "an apply of %zu steps is more than the "
				 "journal holds (%d): apply in parts", n,
				 JOURNAL_MAX - 1);
	fd = journal_fd(st, true);
	if (fd < 0)
		return fd;
	key = 0;
	if (bpf_map_lookup_elem(fd, &key, &head) == 0) {
		close(fd);
		return kfaas_err(-EBUSY, "an interrupted apply is still in "
				 "%s/journal: internal error, it should have "
				 "been recovered", st->root);
	}
	rc = records_put(fd, r, n);
	key = 0;
	head = (struct kfaas__jrec){ .kind = JOURNAL_OPEN, .n = (__u32)n };
	if (!rc && bpf_map_update_elem(fd, &key, &head, BPF_NOEXIST))
		rc = kfaas__errno_msg(-errno, "cannot write the apply journal");
	close(fd);
	return rc;
}

int kfaas__journal_commit(struct kfaas_state *st)
{
	struct kfaas__jrec head;
	__u32 key = 0;
	int fd = journal_fd(st, false), rc = 0;

	if (fd < 0)
		return kfaas_err(fd, "the apply journal is gone: cannot commit");
	if (bpf_map_lookup_elem(fd, &key, &head))
		rc = kfaas__errno_msg(-errno, "cannot read the apply journal");
	head.kind = JOURNAL_COMMITTED;
	if (!rc && bpf_map_update_elem(fd, &key, &head, BPF_EXIST))
		rc = kfaas__errno_msg(-errno, "cannot commit the apply journal");
	close(fd);
	return rc;
}

/* Forget the journal: head first (then no journal exists), then records. */
static void journal_clear(struct kfaas_state *st, int fd)
{
	__u32 key, next;

	key = 0;
	bpf_map_delete_elem(fd, &key);
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			break;
	(void)st;
}

int kfaas__journal_end(struct kfaas_state *st, const struct kfaas__jrec *r,
		       size_t n)
{
	char path[KFAAS_PATH_MAX];
	int fd = journal_fd(st, false);
	__u32 *keys, count = (__u32)n + 1;
	size_t i;

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	/* the old programs kept for an undo: not needed any more */
	for (i = 0; i < n; i++)
		if (r[i].kind == KFAAS_ACT_FN_REPLACE &&
		    kfaas__prog_old_path(st, r[i].fn.name, path, sizeof(path)) == 0)
			unlink(path);
	/* head first, in one batch call: a walk of the map by
	 * get_next_key restarts at bucket 0 after every delete */
	keys = keys_make(n + 1, 0);
	if (!keys || bpf_map_delete_batch(fd, keys, &count, NULL))
		journal_clear(st, fd);
	free(keys);
	close(fd);
	return 0;
}

/* A replaced program back, from the pin kept before the swap. */
static int undo_replace(struct kfaas_state *st, const struct kfaas_fn_info *old)
{
	struct kfaas_fn_info cur;
	char path[KFAAS_PATH_MAX];
	int rc, fd;

	rc = kfaas__prog_old_path(st, old->name, path, sizeof(path));
	if (rc)
		return rc;
	if (kfaas_fn_find(st, old->name, &cur) == 0 && cur.prog_id != old->prog_id) {
		fd = bpf_obj_get(path);
		if (fd < 0)
			return kfaas_err(-errno, "cannot put the old program of '%s' "
					 "back: %s is gone", old->name, path);
		rc = kfaas_fn_restore(st, old, fd);
		close(fd);
		if (rc)
			return rc;
	}
	unlink(path);
	return 0;
}

static int undo_registry(struct kfaas_state *st, const struct kfaas_fn_info *old)
{
	struct kfaas_fn_info cur;

	if (kfaas_fn_find(st, old->name, &cur) || !memcmp(&cur, old, sizeof(cur)))
		return 0;
	if (bpf_map_update_elem(st->funcs_fd, &old->id, old, BPF_EXIST))
		return kfaas__errno_msg(-errno, "cannot restore the registry entry");
	return 0;
}

static int undo_budget(struct kfaas_state *st, const struct kfaas__jrec *r)
{
	struct kfaas_fn_info f;

	if (kfaas_fn_find(st, r->fn.name, &f))
		return 0;	/* added by this apply and gone already */
	return kfaas_budget_set(st, f.id, &r->limits);
}

int kfaas__journal_undo(struct kfaas_state *st, const struct kfaas__jrec *r)
{
	struct kfaas_fn_info f;
	struct kfaas_route cur;

	switch (r->kind) {
	case KFAAS_ACT_FN_ADD:
		if (kfaas_fn_find(st, r->fn.name, &f))
			return 0;
		return kfaas_fn_unload(st, r->fn.name);
	case KFAAS_ACT_FN_REPLACE:
		return undo_replace(st, &r->fn);
	case KFAAS_ACT_VM_UPDATE:
		return undo_registry(st, &r->fn);
	case KFAAS_ACT_BUDGET:
		return undo_budget(st, r);
	case KFAAS_ACT_ROUTE_DEL:
		return kfaas__route_put(st, &r->key, &r->route);
	case KFAAS_ACT_ROUTE_SET:
		if (r->had_route)
			return kfaas__route_put(st, &r->key, &r->route);
		if (kfaas_route_get(st, &r->key, &cur))
			return 0;
		/* the caller recomputes the loop ports after the last undo */
		return kfaas__route_del(st, &r->key, false);
	case KFAAS_ACT_FN_DEL:
		return 0;	/* done only after the commit */
	}
	return kfaas_err(-EINVAL, "unknown step %u in the apply journal", r->kind);
}

int kfaas__journal_redo(struct kfaas_state *st, const struct kfaas__jrec *r)
{
	struct kfaas_fn_info f;

	if (r->kind != KFAAS_ACT_FN_DEL || kfaas_fn_find(st, r->fn.name, &f))
		return 0;
	return kfaas_fn_unload(st, r->fn.name);
}

/* Records 1..n of the journal, or an error naming what is missing. */
static int journal_read(struct kfaas_state *st, int fd, size_t n,
			struct kfaas__jrec **out)
{
	struct kfaas__jrec *r = calloc(n ? n : 1, sizeof(*r));
	__u32 key;
	size_t i;

	if (!r)
		return kfaas_err(-ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		key = (__u32)i + 1;
		if (bpf_map_lookup_elem(fd, &key, &r[i])) {
			free(r);
			return kfaas_err(-EIO, "the apply journal in %s is missing "
					 "record %zu of %zu: remove %s/journal "
					 "and check the state", st->root, i + 1,
					 n, st->root);
		}
	}
	*out = r;
	return 0;
}

int kfaas__journal_recover(struct kfaas_state *st)
{
	struct kfaas__jrec head, *r = NULL;
	char why[600];
	__u32 key = 0;
	size_t i;
	int fd = journal_fd(st, false), rc;
	bool undo;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, &head)) {
		journal_clear(st, fd);	/* records of an apply that never began */
		close(fd);
		return 0;
	}
	undo = head.kind != JOURNAL_COMMITTED;
	rc = journal_read(st, fd, head.n, &r);
	close(fd);
	for (i = head.n; !rc && undo && i-- > 0;)
		rc = kfaas__journal_undo(st, &r[i]);
	if (!rc && undo)
		rc = kfaas__loop_ports_sync(st);
	for (i = 0; !rc && !undo && i < head.n; i++)
		rc = kfaas__journal_redo(st, &r[i]);
	if (!rc)
		rc = kfaas__journal_end(st, r, head.n);
	free(r);
	if (rc) {
		snprintf(why, sizeof(why), "%s", kfaas_errmsg());
		return kfaas_err(-ENOTRECOVERABLE, "an interrupted 'kfaas apply' "
				 "could not be %s: %s; the journal %s/journal "
				 "is kept and the next command that changes "
				 "the state tries again (remove it to give up: "
				 "the state then stays as it is)",
				 undo ? "undone" : "finished", why, st->root);
	}
	return 1;
}
