/* SPDX-License-Identifier: GPL-2.0 */
/* Library-internal helpers shared by the files of user/lib/. */
#ifndef KFAAS_INTERNAL_H
#define KFAAS_INTERNAL_H

#include <errno.h>
#include <libkfaas.h>
#include <linux/bpf.h>

#define KFAAS_VLOG_TAIL	2048
#define KFAAS_VLOG_SIZE	(4 * 1024 * 1024)

/* ---- err.c ---- */
void kfaas__set_verifier_log(const char *log);
/*
 * Crash-consistency test hook: dies with SIGKILL here when
 * $KFAAS_CRASH_AT names this point (tests/cli/test_crash.sh), stops with
 * SIGSTOP when $KFAAS_PAUSE_AT does (tests/cluster/test_cluster.sh).  Only
 * in the test build of the library (-DKFAAS_CRASH_POINTS: BUILD/crash/,
 * made by make tests); the library that is installed has no crash point
 * and ignores both variables.
 */
#ifdef KFAAS_CRASH_POINTS
void kfaas__crash_point(const char *where);
/*
 * Error-injection test hook: -EIO (message set) here when $KFAAS_FAIL_AT,
 * a comma-separated list, names this point (tests/cli/test_apply.sh).
 * Test build only, like kfaas__crash_point(); 0 in the installed library.
 */
int kfaas__fail_point(const char *where);
#else
static inline void kfaas__crash_point(const char *where)
{
	(void)where;
}

static inline int kfaas__fail_point(const char *where)
{
	(void)where;
	return 0;
}
#endif
/* kfaas_err() with the usual advice for EPERM/EACCES. */
int kfaas__errno_msg(int err, const char *what);

/* ---- pin.c: paths under the pin root, pinned objects ---- */
/* snprintf into buf, -ENAMETOOLONG if it does not fit. */
int kfaas__path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A new fd of the object pinned as PINROOT/name, or -errno (message set). */
int kfaas__pin_open(const struct kfaas_state *st, const char *name);
/* Maps named kfaas_* are shared: pinned as PINROOT/NAME-without-prefix. */
#define KFAAS_MAP_PREFIX "kfaas_"
/* Point every shared map of an object at its pin (reused or created). */
int kfaas__pin_shared_maps(struct kfaas_state *st, struct bpf_object *obj);
/* Remove a bpffs directory tree (pins and subdirectories). */
int kfaas__rmtree(const char *path);
/*
 * A new fd of the map pinned as PINROOT/name (keys __u32, a ring buffer
 * none: its size in max), created and
 * pinned when missing and create is set (a hash is not preallocated);
 * -ENOENT when missing.
 */
int kfaas__pin_map(const struct kfaas_state *st, const char *name,
		   enum bpf_map_type type, __u32 value_size, __u32 max,
		   bool create);
/* The id and tag of a program fd (either may be NULL). */
int kfaas__prog_info(int fd, __u32 *id, __u8 tag[8]);

/* Is a function of this tier an eBPF program (with a prog-array slot)? */
static inline bool kfaas__tier_ebpf(unsigned int tier)
{
	return tier == KFAAS_TIER_XDP || tier == KFAAS_TIER_SK;
}

/*
 * The prog array an eBPF tier tail-calls through: one per tier, since a
 * prog array holds programs of one type (and expected attach type) only.
 */
static inline int kfaas__tier_progs_fd(const struct kfaas_state *st,
				       unsigned int tier)
{
	if (tier == KFAAS_TIER_XDP)
		return st->progs_fd;
	if (tier == KFAAS_TIER_SK)
		return st->sk_progs_fd;
	return -EOPNOTSUPP;
}

/* ---- logs_ring.c ---- */
/* The log maps of a pin root made before them: made by a writer. */
int kfaas__log_maps_get(struct kfaas_state *st);

/* ---- route.c: finding routes ---- */
/*
 * Which routes a caller looks for: the protocol always; the function, the
 * tier and the port when not 0.  With a port, family and addr (when
 * family is not 0) narrow it to the routes that serve that address: an
 * addressed route of another address does not, a wildcard route does.
 */
struct kfaas_route_filter {
	__u8	proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u32	fn_id;		/* 0: any function */
	unsigned int tier;	/* 0: any tier */
	__u16	port;		/* host order; 0: any */
	int	family;		/* KFAAS_FAMILY_IPV4/IPV6, 0: any address */
	__u8	addr[16];
};
/* Does r run function id (its function, a version, fallback, chain)? */
bool kfaas__route_uses(struct kfaas_state *st, const struct kfaas_route *r,
		       __u32 id);
/* A new chain element for r (r->chain_id set); its removal (chain.c). */
int kfaas__chain_add(struct kfaas_state *st, struct kfaas_route *r,
		     const struct kfaas_chain *c);
void kfaas__chain_del(struct kfaas_state *st, const struct kfaas_route *r);

bool kfaas__route_match(const struct kfaas_route_ent *r,
			const struct kfaas_route_filter *f);
/* The first matching route in kfaas_route_list() order: 0 or -ENOENT, or
 * another -errno with the message set. */
int kfaas__route_first(struct kfaas_state *st, const struct kfaas_route_filter *f,
		       struct kfaas_route_ent *out);

/* Re-derive the routes of function id (its budget or ratio changed). */
int kfaas__routes_refresh(struct kfaas_state *st, __u32 id);
/* What r's versions decide of its flags and ratio cap (route.c). */
int kfaas__route_derive(struct kfaas_state *st, struct kfaas_route *r);
/* "udp 53 addr 10.0.0.1": the key as the CLI takes it. */
void kfaas__key_cmdline(const struct kfaas_route_key *key, char *buf, size_t len);

/* ---- globals.c ---- */
/* Set or clear config.busy: a change of several objects is under way. */
int kfaas__busy_set(struct kfaas_state *st, __u32 busy);
/*
 * Set config.busy and keep it set through every kfaas__busy_set() until
 * kfaas__busy_hold(st, false) clears it: a batch of changes (an apply's
 * route steps) sets and clears it once.  st->busy_held = false instead
 * lets go and leaves it set, for the next writer to repair.
 */
int kfaas__busy_hold(struct kfaas_state *st, bool hold);
/*
 * One change of two objects under config.busy (a chain route and its
 * element): enter holds it unless a caller (an apply) holds it already,
 * *mine saying which; leave with the change's rc clears it when mine and
 * rc is 0, and on an error lets go of it set, for the next writer's
 * repair.  leave returns rc, or the clear's error.
 */
int kfaas__busy_enter(struct kfaas_state *st, bool *mine);
int kfaas__busy_leave(struct kfaas_state *st, bool mine, int rc);

/* route.c: key's entry in all[0..n-1], sorted by kfaas_route_list(). */
const struct kfaas_route_ent *kfaas__route_in(const struct kfaas_route_ent *all,
					      size_t n, const struct kfaas_route_key *key);

/* ---- registry.c ---- */
/*
 * Read the registry and every function's budget once (on) and answer
 * kfaas_fn_get(), kfaas_fn_find() and kfaas_budget_get() from that
 * until it is let go (off): for a batch of changes that touch neither
 * (an apply's route steps: ~15 map reads a route otherwise).
 */
int kfaas__registry_snap(struct kfaas_state *st, bool on);
/* id's budget from the snapshot: true, or false (no snapshot, no id). */
bool kfaas__snap_budget(const struct kfaas_state *st, __u32 id,
			struct kfaas_limits *l);

/* ---- port_routes.c ---- */
/*
 * Keep kfaas_port_routes, the XDP dispatcher's index of the UDP routes,
 * in step with kfaas_routes after the route key was written with val, or
 * deleted (val NULL).  Deleting the last address route of a port is
 * kfaas__port_addrs_clear()'s.
 */
/*
 * route.c: change the route of key in place (it exists) and its port
 * index entry, under config.busy.
 */
int kfaas__route_change(struct kfaas_state *st, const struct kfaas_route_key *key,
			const struct kfaas_route *r);
/*
 * route.c: kfaas_route_del(), with the loop ports recomputed (loops) or
 * left to the caller: a batch of deletions (an apply, its undo) calls
 * kfaas__loop_ports_sync() once after the last, instead of once per
 * route (each a walk of the whole route table).  Until then the ports
 * of deleted routes stay loop ports: requests from them are refused, the
 * safe side.
 */
int kfaas__route_del(struct kfaas_state *st, const struct kfaas_route_key *key,
		     bool loops);
int kfaas__port_route_put(struct kfaas_state *st,
			  const struct kfaas_route_key *key,
			  const struct kfaas_route *val);
int kfaas__port_addrs_clear(struct kfaas_state *st, __u16 port);
/* Rebuild kfaas_port_routes from kfaas_routes (crash repair). */
int kfaas__port_routes_sync(struct kfaas_state *st);

/* ---- stats.c ---- */
/* Zero id's entry of a per-CPU map of values of size bytes. */
int kfaas__percpu_zero(const struct kfaas_state *st, int fd, __u32 id,
		       size_t size);

/* ---- guard.c ---- */
/* The guard fields and invoke token of a new pin root's globals. */
void kfaas__guard_defaults(struct kfaas_globals *g);
/* Make a UDP route's port a loop port (before the route goes in). */
int kfaas__loop_port_add(struct kfaas_state *st, __u16 port);
/* The loop ports from the well-known list and every UDP route. */
int kfaas__loop_ports_sync(struct kfaas_state *st);
int kfaas__guard_stats_reset(struct kfaas_state *st, __u32 id);

/* ---- module.c ---- */
/* The first line of a (sysfs) file without its newline; "" if unreadable. */
void kfaas__read_line(const char *path, char *buf, size_t len);

/* ---- budget.c ---- */
/*
 * Tell kfaas.ko (when loaded) about function id: register it with its
 * budget; fresh: a new function, so stale counters of the id are zeroed.
 */
int kfaas__module_fn_add(struct kfaas_state *st, __u32 id, bool fresh);
void kfaas__module_fn_del(struct kfaas_state *st, __u32 id);

#endif
