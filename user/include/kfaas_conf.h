/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The declarative configuration, kfaas.conf(5): functions, their budgets
 * and routes in YAML, parsed with libyaml's document API (conf.c) and
 * emitted with its emitter (conf_emit.c), and `kfaas apply`: making the
 * pinned state match a configuration, all or nothing (apply.c, with its
 * journal in journal.c).  Not to be confused with the pin root's globals
 * (struct kfaas_globals, libkfaas.h), which `kfaas config` shows.
 */
#ifndef KFAAS_CONF_H
#define KFAAS_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <libkfaas.h>

/* ---- labels and selectors (conf.c) ---- */
/*
 * A node's labels (kfaasd --label KEY=VALUE), or a selector of a function
 * or route (every pair must be among the node's labels).  Keys: 1 to 63
 * of [A-Za-z0-9._/-]; values: 0 to 63 of [A-Za-z0-9._-].
 */
#define KFAAS_LABEL_LEN		64	/* key or value, NUL included */
#define KFAAS_LABELS_MAX	16
struct kfaas_label {
	char	key[KFAAS_LABEL_LEN];
	char	value[KFAAS_LABEL_LEN];
};
struct kfaas_labels {
	unsigned int		n;
	struct kfaas_label	l[KFAAS_LABELS_MAX];
};
/* Add (or change) one pair, checked; message on error. */
int kfaas_labels_set(struct kfaas_labels *ls, const char *key, const char *value);
/* "KEY=VALUE" (the command line's form). */
int kfaas_labels_parse(struct kfaas_labels *ls, const char *kv);
/* Does every pair of sel (NULL or empty: every node) appear in labels? */
bool kfaas_labels_match(const struct kfaas_labels *sel,
			const struct kfaas_labels *labels);
bool kfaas_labels_equal(const struct kfaas_labels *a, const struct kfaas_labels *b);

/* A function's token buckets (kfaas budget set); unset: unlimited. */
struct kfaas_conf_budget {
	bool			set;
	struct kfaas_limits	l;
};

/* "sha256:" and 64 hex digits: the content a function's file must have. */
#define KFAAS_ARTIFACT_LEN	72

struct kfaas_conf_fn {
	char	name[KFAAS_NAME_LEN];
	int	tier;			/* KFAAS_TIER_XDP/SK (object) or VM */
	char	source[KFAAS_PATH_LEN];	/* object file or VM executable */
	struct kfaas_vm_params vm;
	struct kfaas_conf_budget budget;
	/* cluster placement (docs/cluster.md); a single node ignores them */
	struct kfaas_labels *sel;	/* nodes it runs on, or NULL: all */
	__u32	replicas;		/* VM tier: nodes it runs on (1) */
	char	artifact[KFAAS_ARTIFACT_LEN];	/* "" or "sha256:HEX" */
	int	line;			/* where it was defined, for errors */
};

/* One version of a split route (versions: { NAME: WEIGHT, ... }). */
struct kfaas_conf_version {
	char	fn[KFAAS_NAME_LEN];
	__u32	weight;
};

struct kfaas_conf_route {
	struct kfaas_route_key key;
	char	fn[KFAAS_NAME_LEN];		/* with versions: the first */
	struct kfaas_conf_version ver[KFAAS_ROUTE_VERSIONS];
	size_t	nver;				/* 0: fn alone */
	/* a chain (chain: [f1, f2, ...]): fn is its first function */
	char	chain[KFAAS_CHAIN_MAX][KFAAS_NAME_LEN];
	size_t	nchain;				/* 0: no chain */
	char	fallback[KFAAS_NAME_LEN];	/* "" for none */
	int	policy;				/* -1: the default */
	struct kfaas_route_opts opts;		/* guard, ratio, loops */
	struct kfaas_labels *sel;		/* cluster: nodes, NULL: all */
	int	line;
};

struct kfaas_conf {
	struct kfaas_conf_fn	*fns;
	size_t			nfns;
	struct kfaas_conf_route	*routes;
	size_t			nroutes;
};

/* ---- kfaas.conf(5) (conf.c, conf_emit.c) ---- */
void kfaas_conf_free(struct kfaas_conf *c);
/* Parse YAML text (name is used in messages: "NAME:LINE: ..."). */
int kfaas_conf_parse(const char *text, size_t len, const char *name,
		     struct kfaas_conf *c);
int kfaas_conf_load(const char *path, struct kfaas_conf *c);
/* Write c as YAML that kfaas_conf_parse() reads back (libyaml's emitter). */
int kfaas_conf_emit(FILE *out, const struct kfaas_conf *c);
/* The running state as a configuration. */
int kfaas_conf_current(struct kfaas_state *st, struct kfaas_conf *c);
/* Room for one more function / route (zeroed, policy -1); NULL: no memory. */
struct kfaas_conf_fn *kfaas_conf_fn_new(struct kfaas_conf *c);
struct kfaas_conf_route *kfaas_conf_route_new(struct kfaas_conf *c);
/* Do a and b name the same function, or the same versions and weights,
 * or the same chain? */
bool kfaas_conf_versions_equal(const struct kfaas_conf_route *a,
			       const struct kfaas_conf_route *b);
const struct kfaas_conf_fn *kfaas_conf_fn_find(const struct kfaas_conf *c,
					       const char *name);
const struct kfaas_conf_route *kfaas_conf_route_find(const struct kfaas_conf *c,
						     const struct kfaas_route_key *k);
/* A route's trigger as kfaas.conf writes it: "udp 7", "tcp [::1]:80". */
#define kfaas_conf_trigger_str	kfaas_route_key_str
int kfaas_conf_trigger_parse(const char *s, struct kfaas_route_key *key);
/* Check the routes name defined functions of the right tier. */
int kfaas_conf_check_refs(const char *name, const struct kfaas_conf *c);

/* ---- apply (apply.c, journal.c) ---- */
/*
 * In the order apply carries them out.  Everything before FN_DEL can be
 * undone; the apply commits once it has all been done (and the VM-tier
 * functions it started are ready), then deletes the functions the
 * configuration no longer has, which cannot be undone.
 */
enum kfaas_action_kind {
	KFAAS_ACT_FN_ADD,	/* an eBPF function loaded, a VM function registered */
	KFAAS_ACT_FN_REPLACE,	/* an eBPF function's program swapped (same id) */
	KFAAS_ACT_VM_UPDATE,	/* a VM function's executable or size (same id) */
	KFAAS_ACT_BUDGET,	/* a function's budget set, changed or cleared */
	KFAAS_ACT_ROUTE_DEL,
	KFAAS_ACT_ROUTE_SET,	/* a route added or changed in place */
	KFAAS_ACT_FN_DEL,	/* after the commit */
	KFAAS_ACT_MAX,
};
/* "fn_add", "fn_replace", ... (the JSON of `kfaas apply`). */
const char *kfaas_action_name(int kind);

/*
 * How apply reaches kfaasd for VM-tier functions (NULL: it cannot).  The
 * apply registers, updates and unregisters VM-tier functions itself,
 * under the pin-root lock it holds from start to end; kfaasd adopts what
 * the registry says (it needs no lock for that).  Two phases:
 *   ready:  after every step that can be undone, before the commit: make
 *           kfaasd adopt the n functions added or updated now, and answer
 *           once they can serve (0), or why not (-errno, message set):
 *           the apply is then undone;
 *   synced: once the apply ended, committed or undone: kfaasd re-reads
 *           the registry (best effort).
 */
struct kfaas_apply_ops {
	int	(*ready)(void *ctx, const struct kfaas_fn_info *fns, size_t n);
	void	(*synced)(void *ctx);
	void	*ctx;
};

struct kfaas_action {
	enum kfaas_action_kind	kind;
	const struct kfaas_conf_fn	*fn;	/* ADD, REPLACE, VM_UPDATE, BUDGET */
	struct kfaas_fn_info		cur;	/* REPLACE, VM_UPDATE, DEL: now */
	struct kfaas_route_key		key;	/* ROUTE_* */
	struct kfaas_route		route;	/* ROUTE_DEL, ROUTE_SET: now */
	bool				had_route; /* ROUTE_SET: a change */
	struct kfaas_limits		limits;	/* BUDGET: now */
	char				text[320];
};

struct kfaas_plan {
	struct kfaas_action	*acts;
	size_t			n;
};

void kfaas_plan_free(struct kfaas_plan *p);
/* What apply would do to make the state match c (nothing changes). */
int kfaas_plan_make(struct kfaas_state *st, const struct kfaas_conf *c,
		    const struct kfaas_apply_ops *ops, struct kfaas_plan *p);
/*
 * Carry the plan out (locked state), all or nothing: every step is first
 * written to a journal pinned in the pin root (PINROOT/journal), so that
 * whatever stops the apply — an error, or the process killed — the state
 * ends exactly as before or exactly as c says.  On an error the steps
 * done are undone and the error returned.  When undoing fails too, or a
 * deletion after the commit fails, -ENOTRECOVERABLE says the state is
 * neither: the journal stays, and the next writer of the pin root (any
 * command taking its lock) finishes the undo or the deletions first.
 */
int kfaas_plan_apply(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_plan *p, const struct kfaas_apply_ops *ops);
/* The step names KFAAS_CRASH_AT and KFAAS_FAIL_AT take (tests): "apply-
 * journal", "apply-step-N" (1-based, before the pre-commit step N),
 * "apply-ready", "apply-committed", "apply-del-N", "apply-done",
 * "apply-undo-N" (KFAAS_FAIL_AT only: undoing step N). */

#endif
