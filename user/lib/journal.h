/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The apply journal (journal.c): what `kfaas apply` is doing, pinned in
 * the pin root (PINROOT/journal, a hash map created by the first apply)
 * before it changes anything, so that whatever stops it the next writer
 * brings the state back to exactly before (not yet committed: every step
 * undone) or exactly after (committed: the deletions finished).  Private
 * to libkfaas: apply.c writes it, kfaas_state_repair() recovers it.
 *
 *   key 0          the head: OPEN or COMMITTED, and n
 *   key 1..n       one record per step, in the order of the plan
 */
#ifndef KFAAS_JOURNAL_H
#define KFAAS_JOURNAL_H

#include <libkfaas.h>

enum { JOURNAL_OPEN = 1, JOURNAL_COMMITTED = 2 };

struct kfaas__jrec {
	__u32	kind;		/* enum kfaas_action_kind (head: state) */
	__u32	n;		/* head: records after it */
	struct kfaas_fn_info	fn;	/* FN_ADD: its name and tier; REPLACE,
					 * VM_UPDATE, FN_DEL: the one before;
					 * BUDGET: its name */
	struct kfaas_route_key	key;	/* ROUTE_* */
	struct kfaas_route	route;	/* ROUTE_DEL, ROUTE_SET: before */
	__u32	had_route;	/* ROUTE_SET: route was there before */
	struct kfaas_limits	limits;	/* BUDGET: before */
};

/* Write the records, then the head (OPEN): nothing is changed yet. */
int kfaas__journal_begin(struct kfaas_state *st, const struct kfaas__jrec *r,
			 size_t n);
/* The commit point: the head says COMMITTED. */
int kfaas__journal_commit(struct kfaas_state *st);
/* The apply of records r[0..n-1] is over: the old programs kept for an
 * undo go, then the journal (head first). */
int kfaas__journal_end(struct kfaas_state *st, const struct kfaas__jrec *r,
		       size_t n);
/*
 * Undo record r (idempotent: a step not done, or done only in part, is
 * undone as far as it went).  st locked.  A route it deletes leaves the
 * loop ports to the caller: kfaas__loop_ports_sync() after the last undo.
 */
int kfaas__journal_undo(struct kfaas_state *st, const struct kfaas__jrec *r);
/* Redo a deletion of a committed journal (idempotent). */
int kfaas__journal_redo(struct kfaas_state *st, const struct kfaas__jrec *r);
/*
 * Repair after a crash (from kfaas_state_repair()): no journal, 0; an
 * OPEN one is undone, a COMMITTED one finished, then removed: 1.  When that
 * fails the journal stays for the next writer and the error says so.
 */
int kfaas__journal_recover(struct kfaas_state *st);
/* PINROOT/fn/NAME/prog_old: a replaced program kept until the end. */
int kfaas__prog_old_path(const struct kfaas_state *st, const char *name,
			 char *buf, size_t len);
/* Put a route in place (added or changed), keeping config.addr_routes. */
int kfaas__route_put(struct kfaas_state *st, const struct kfaas_route_key *key,
		     const struct kfaas_route *r);

#endif
