/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The declarative configuration, kfaas.conf(5): functions, their budgets
 * and routes in YAML, parsed and emitted with libyaml (conf.c), and
 * `kfaas apply`: making the pinned state match a configuration, all or
 * nothing (apply.c).  Not to be confused with the pin root's globals
 * (struct kfaas_globals, libkfaas.h), which `kfaas config` shows.
 */
#ifndef KFAAS_CONF_H
#define KFAAS_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <libkfaas.h>

/* A function's token buckets (kfaas budget set); unset: unlimited. */
struct kfaas_conf_budget {
	bool			set;
	struct kfaas_limits	l;
};

struct kfaas_conf_fn {
	char	name[KFAAS_NAME_LEN];
	int	tier;			/* KFAAS_TIER_XDP/SK (object) or VM */
	char	source[KFAAS_PATH_LEN];	/* object file or VM executable */
	struct kfaas_vm_params vm;
	struct kfaas_conf_budget budget;
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
	char	fallback[KFAAS_NAME_LEN];	/* "" for none */
	int	policy;				/* -1: the default */
	struct kfaas_route_opts opts;		/* guard, ratio, loops */
	int	line;
};

struct kfaas_conf {
	struct kfaas_conf_fn	*fns;
	size_t			nfns;
	struct kfaas_conf_route	*routes;
	size_t			nroutes;
};

/* ---- kfaas.conf(5) (conf.c) ---- */
void kfaas_conf_free(struct kfaas_conf *c);
/* Parse YAML text (name is used in messages: "NAME:LINE: ..."). */
int kfaas_conf_parse(const char *text, size_t len, const char *name,
		     struct kfaas_conf *c);
int kfaas_conf_load(const char *path, struct kfaas_conf *c);
/* Write c as YAML that kfaas_conf_parse() reads back. */
int kfaas_conf_emit(FILE *out, const struct kfaas_conf *c);
/* The running state as a configuration. */
int kfaas_conf_current(struct kfaas_state *st, struct kfaas_conf *c);

/* ---- apply (apply.c) ---- */
/* In the order apply carries them out. */
enum kfaas_action_kind {
	KFAAS_ACT_FN_ADD,
	KFAAS_ACT_FN_REPLACE,
	KFAAS_ACT_ROUTE_DEL,
	KFAAS_ACT_VM_RECREATE,	/* VM function with another executable/size */
	KFAAS_ACT_BUDGET,	/* a function's budget set, changed or cleared */
	KFAAS_ACT_ROUTE_SET,	/* a route's versions and weights: one update */
	KFAAS_ACT_ROUTE_ADD,
	KFAAS_ACT_FN_DEL,
};

/*
 * How apply reaches kfaasd for VM-tier functions (NULL: it cannot).  The
 * calls are made without the pin-root lock, which kfaasd takes itself.
 */
struct kfaas_apply_ops {
	int	(*vm_create)(void *ctx, const char *name, const char *exe,
			     const struct kfaas_vm_params *p);
	int	(*vm_unload)(void *ctx, const char *name);
	void	*ctx;
};

struct kfaas_action {
	enum kfaas_action_kind	kind;
	const struct kfaas_conf_fn	*fn;	/* FN_ADD/REPLACE: desired */
	struct kfaas_fn_info		cur;	/* FN_REPLACE/DEL: current */
	struct kfaas_route_key		key;	/* ROUTE_* */
	struct kfaas_route		route;	/* ROUTE_ADD: new, DEL: old */
	struct kfaas_limits		limits;	/* BUDGET: the one before */
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
/* Carry the plan out; on any error undo what was done and fail. */
int kfaas_plan_apply(struct kfaas_state *st, const struct kfaas_conf *c,
		     const struct kfaas_plan *p, const struct kfaas_apply_ops *ops);

#endif
