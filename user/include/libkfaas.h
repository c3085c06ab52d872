/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkfaas: the pinned kfaas state (route table, function registry,
 * accounting) and the operations on it, shared by the kfaas CLI, the
 * daemon and the tests.
 *
 * Errors are negative errno values; the function that failed leaves a
 * one-line message saying what to do in kfaas_errmsg().
 *
 * The library's public headers are the ones in user/include/: this one,
 * kfaas_frame.h (Ethernet/IP/UDP frames), kfaas_conf.h (kfaas.conf(5) and
 * apply), kfaas_ctlproto.h (kfaasd's control protocol), kfaas_iobuf.h (the
 * byte buffer of stream I/O) and kfaas_clock.h (the clock: kfaas_now_ns()
 * is the clock of the durations libkfaas measures).  The headers in
 * user/lib/ are private to the library.
 */
#ifndef LIBKFAAS_H
#define LIBKFAAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <kfaas/abi.h>
#include <kfaas_clock.h>
#include <kfaas_iobuf.h>

#define KFAAS_PIN_ROOT_DEFAULT	"/sys/fs/bpf/kfaas"
#define KFAAS_PIN_ROOT_ENV	"KFAAS_PIN_ROOT"
/* Bytes of a pin root path, NUL included (kfaas_state.root). */
#define KFAAS_PIN_ROOT_MAX	256
/*
 * Bytes of a path buffer below the pin root or another directory of
 * kfaas (ROOT/fn/NAME/MAP, ROOT/net/NETNS-IFINDEX, RUNDIR/fn/ID/...).
 */
#define KFAAS_PATH_MAX		(KFAAS_PIN_ROOT_MAX + 64)


/* ---- errors (err.c) ---- */
const char *kfaas_errmsg(void);
int kfaas_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* libbpf's own messages: off unless on (the CLI's --debug). */
void kfaas_set_verbose(bool on);
/* Verifier log of the last failed load (empty if none). */
const char *kfaas_verifier_log(void);

/* ---- state (state.c) ---- */
struct kfaas_state {
	char	root[KFAAS_PIN_ROOT_MAX];
	int	dir_fd;		/* the pin root directory, flock()ed */
	int	routes_fd;
	int	port_routes_fd;	/* kfaas_port_routes: the UDP routes by port */
	int	funcs_fd;
	int	progs_fd;
	int	sk_progs_fd;	/* socket-tier functions (kfaas_sk_progs) */
	int	stats_fd;
	int	ustats_fd;	/* userspace-charged tiers (kfaasd) */
	int	dstats_fd;
	int	scratch_fd;
	int	config_fd;	/* kfaas_config: the globals */
	int	budgets_fd;
	int	loop_ports_fd;	/* kfaas_loop_ports */
	int	guard_stats_fd;	/* kfaas_guard_stats */
	int	chains_fd;	/* kfaas_chains */
	int	disp_fd;	/* the dispatcher program */
	int	mod_fd;		/* /dev/kfaas, opened on first use, or -1 */
	int	ncpus;		/* possible CPUs (per-CPU map width) */
	bool	locked;
	bool	created;	/* this open made the pin root */
	bool	busy_held;	/* config.busy kept set (kfaas__busy_hold) */
	/* the registry and budgets read once, while nothing changes them
	 * (an apply's route steps; kfaas__registry_snap), or NULL */
	struct kfaas_fn_info	*snap_fns;
	struct kfaas_limits	*snap_limits;
	size_t			snap_n;
};

enum {
	KFAAS_OPEN_CREATE = 1 << 0,	/* create the pin root if missing */
	KFAAS_OPEN_LOCK	  = 1 << 1,	/* take the exclusive state lock */
	KFAAS_OPEN_TRYLOCK = 1 << 2,	/* the same, or -EAGAIN if another
					 * process holds it */
};

int kfaas_state_open(struct kfaas_state *st, const char *root, unsigned int flags);
void kfaas_state_close(struct kfaas_state *st);
/*
 * Close, and remove the pin root when this open made it (st->created): a
 * command whose first change failed leaves no state behind.  0 or -errno.
 */
int kfaas_state_discard(struct kfaas_state *st);
/* Let another process (kfaasd) change the state for a while, then go on. */
int kfaas_state_unlock(struct kfaas_state *st);
int kfaas_state_relock(struct kfaas_state *st);
/* Bring pinned state back to a consistent point after a crash (locked). */
int kfaas_state_repair(struct kfaas_state *st);
/* Remove everything kfaas pinned under root (links detach interfaces). */
int kfaas_state_destroy(const char *root);

/* ---- paths under the pin root (pin.c) ---- */
/* The pin root from --pin-root, $KFAAS_PIN_ROOT or the default. */
const char *kfaas_pin_root(const char *opt);
/* A new fd of an eBPF function's pinned program, or -errno (message set). */
int kfaas_fn_prog_fd(struct kfaas_state *st, const char *name);
/* Pin path of one of a function's private maps (fills buf). */
int kfaas_fn_map_path(const struct kfaas_state *st, const char *fn,
		      const char *map, char *buf, size_t len);

/* ---- the pin root's globals (globals.c; pinned map kfaas_config) ---- */
int kfaas_globals_get(struct kfaas_state *st, struct kfaas_globals *g);
int kfaas_globals_set(struct kfaas_state *st, const struct kfaas_globals *g);

/* ---- function registry (registry.c) ---- */
const char *kfaas_tier_name(unsigned int tier);
int kfaas_tier_parse(const char *s);
int kfaas_name_valid(const char *name);
int kfaas_fn_find(struct kfaas_state *st, const char *name, struct kfaas_fn_info *out);
int kfaas_fn_get(struct kfaas_state *st, __u32 id, struct kfaas_fn_info *out);
/* All registered functions sorted by id; free(*out) when done. */
int kfaas_fn_list(struct kfaas_state *st, struct kfaas_fn_info **out, size_t *n);
int kfaas_fn_alloc_id(struct kfaas_state *st, __u32 *id);

/* ---- function lifecycle (function.c); all need a locked state ---- */
int kfaas_fn_load(struct kfaas_state *st, const char *path, const char *name,
		  struct kfaas_fn_info *out);
int kfaas_fn_replace(struct kfaas_state *st, const char *name, const char *path,
		     struct kfaas_fn_info *out);
int kfaas_fn_unload(struct kfaas_state *st, const char *name);
/* Put back a program saved before a replace (fd) with its registry entry. */
int kfaas_fn_restore(struct kfaas_state *st, const struct kfaas_fn_info *info,
		     int prog_fd);
/* VM-tier parameters a function gets when it does not say. */
extern const struct kfaas_vm_params kfaas_vm_defaults;
/*
 * The keep-alive of a VM-tier function (keepalive.c, docs/lifecycle.md):
 * "auto" (the lifecycle policy), "none", "fixed:SECONDS" (warm that long
 * after each invocation, then nothing) or "idle-ttl:SECONDS" (what
 * --idle-ttl always meant: VMs above min-warm stop after SECONDS idle, 0
 * never, the template stays).  Sets the keep-alive bits of p->flags and,
 * for the last two, p->idle_ttl_s; -EINVAL with a message otherwise.
 */
int kfaas_vm_keep_parse(struct kfaas_vm_params *p, const char *s);
/* The same words for p's keep-alive ("fixed:600"). */
const char *kfaas_vm_keep_name(const struct kfaas_vm_params *p, char *buf,
			       size_t len);
/* Register a function run by another tier (kfaasd's VM tier). */
int kfaas_fn_register(struct kfaas_state *st, struct kfaas_fn_info *info);

/* ---- object loading (loader.c) ---- */
struct kfaas_loaded {
	struct bpf_object *obj;
	int	prog_fd;
	unsigned int prog_type;
	char	prog_name[64];
	__u32	reply_ratio;	/* KFAAS_REPLY_RATIO(), hundredths; 0: none */
};
/*
 * Open and load a function object: shared maps reuse the pins under the
 * root, private maps are pinned (or reused) under fn/NAME/, the function
 * id is written to .rodata.  On a verifier rejection the log tail is in
 * kfaas_verifier_log().
 */
int kfaas_obj_load(struct kfaas_state *st, const char *path, const char *name,
		   __u32 id, struct kfaas_loaded *out);
/*
 * Read and check a function object without the kernel or a pin root (a
 * readable BPF object with one function program built with the SDK): 0,
 * or -errno with the message set.  The verifier's checks come at load.
 */
int kfaas_obj_check(const char *path);
void kfaas_obj_close(struct kfaas_loaded *l);

/* ---- routes (route.c) ---- */
/* Fill a key from "udp"/"tcp", a port and an optional address. */
int kfaas_route_key_make(struct kfaas_route_key *key, const char *proto,
			 const char *port, const char *addr);
/* "udp 53", "udp 10.0.0.1:53", "udp [fd00::1]:53" */
void kfaas_route_key_str(const struct kfaas_route_key *key, char *buf, size_t len);
/*
 * The route value for fn (and a VM-tier fallback, or NULL), checked: the
 * tier (0: the function's) must be the function's, XDP serves UDP, the
 * socket tier TCP.  policy -1 is the default (pass with a fallback, else
 * drop).
 */
int kfaas_route_make(struct kfaas_state *st, const struct kfaas_route_key *key,
		     const char *fn, int tier, const char *fallback, int policy,
		     struct kfaas_route *out);
/*
 * Add a route (its KFAAS_ROUTE_F_BUDGET flag follows the function's
 * budget, whatever r says); the source port of the route becomes a loop
 * port of the XDP tier.
 */
int kfaas_route_add(struct kfaas_state *st, const struct kfaas_route_key *key,
		    const struct kfaas_route *r);
/* The same for a chain route made by kfaas_route_chain_set(). */
int kfaas_route_add_chain(struct kfaas_state *st, const struct kfaas_route_key *key,
			  const struct kfaas_route *r, const struct kfaas_chain *c);
/* Delete a route; a chain route's chain element goes with it. */
int kfaas_route_del(struct kfaas_state *st, const struct kfaas_route_key *key);
int kfaas_route_get(struct kfaas_state *st, const struct kfaas_route_key *key,
		    struct kfaas_route *r);
struct kfaas_route_ent {
	struct kfaas_route_key	key;
	struct kfaas_route	val;
};
/* All routes sorted by protocol, port, address; free(*out) when done. */
int kfaas_route_list(struct kfaas_state *st, struct kfaas_route_ent **out, size_t *n);

/*
 * What a route asks of the reflection and loop defences (kfaas route add
 * ... guard G ratio R loops L; kfaas.conf(5); docs/reliability.md).
 * kfaas_route_make() starts from KFAAS_ROUTE_OPTS_AUTO.
 */
struct kfaas_route_opts {
	int	guard;	/* 1 on, 0 off, -1 as the function's ratio says
			   (on unless it declares at most 1) */
	int	ratio;	/* the reply/request cap in hundredths, 0: none,
			   -1: the function's declared ratio or 3, the lower */
	int	loops;	/* 1: requests from loop ports answered, 0: not */
};
#define KFAAS_ROUTE_OPTS_AUTO ((struct kfaas_route_opts){ -1, -1, 0 })
/* Apply o to a route made by kfaas_route_make() (checked: message). */
int kfaas_route_opts_set(struct kfaas_state *st, struct kfaas_route *r,
			 const struct kfaas_route_opts *o);
/* The choices a route records (auto where it made none). */
void kfaas_route_opts_get(const struct kfaas_route *r, struct kfaas_route_opts *o);
/*
 * Traffic split (split.c): make r's versions names[i] with weights[i]
 * (n of them, 1 .. KFAAS_ROUTE_VERSIONS): each loaded, in r's tier; a
 * weight of 0 leaves the version out.  Checked, with a message; r
 * unchanged on error.
 */
int kfaas_route_versions_set(struct kfaas_state *st, struct kfaas_route *r,
			     const char *const *names, const __u32 *weights,
			     size_t n);
/* The same for the route at key, in one update of its value (locked). */
int kfaas_route_weights_set(struct kfaas_state *st,
			    const struct kfaas_route_key *key,
			    const char *const *names, const __u32 *weights,
			    size_t n);
/* "90" -> 90 (0 .. KFAAS_WEIGHT_MAX); -1 with a message. */
int kfaas_weight_parse(const char *s, __u32 *out);
/*
 * Function chains (chain.c).  "f1,f2,f3" into names (checked: message);
 * the chain of those functions (XDP-tier ones, the last may be VM-tier);
 * r made to run it (with kfaas_route_make()'s options: policy, defences);
 * the chain of an existing chain route replaced in one update.
 */
int kfaas_chain_parse(const char *list, char names[][KFAAS_NAME_LEN], size_t *n);
int kfaas_chain_make(struct kfaas_state *st, const char *const *names, size_t n,
		     struct kfaas_chain *out);
int kfaas_route_chain_set(struct kfaas_state *st, struct kfaas_route *r,
			  const struct kfaas_chain *c);
int kfaas_route_chain_replace(struct kfaas_state *st,
			      const struct kfaas_route_key *key,
			      const struct kfaas_chain *c);
int kfaas_chain_get(struct kfaas_state *st, __u32 id, struct kfaas_chain *c);
/*
 * Function id's place in the chain route r runs (1: its first function),
 * 0 when r runs no chain or id is none of its links; *len the chain's
 * length (0: no chain).
 */
__u32 kfaas_chain_place(struct kfaas_state *st, const struct kfaas_route *r,
			__u32 id, __u32 *len);
/*
 * Delete the chains no route names (a deleted route's, an applied
 * route's old one): 'route del' and apply call it once nothing can undo
 * back to them.
 */
int kfaas_chains_gc(struct kfaas_state *st);
/* id's weight in r: > 0 a version of r's split, -1 r's only function,
 * 0 not in r. */
int kfaas_route_weight_of(const struct kfaas_route *r, __u32 id);
/* "2.5" -> 250, "any" -> 0 (hundredths); -1 with a message. */
int kfaas_ratio_parse(const char *s, int *out);
/* 250 -> "2.5", 0 -> "any" */
void kfaas_ratio_str(__u32 hundredths, char *buf, size_t len);

/* ---- the reflection guard and loop ports (guard.c) ---- */
/*
 * Check the guard fields a caller set in g (guard_rate, guard_burst,
 * guard_plen4/6) and compute what the dispatcher uses from them.
 */
int kfaas_guard_derive(struct kfaas_globals *g);
/* The well-known UDP services whose ports are loop ports. */
size_t kfaas_loop_ports_wellknown(const __u16 **ports);
/* A function's refusals (every CPU summed). */
int kfaas_guard_stats_read(struct kfaas_state *st, __u32 id,
			   struct kfaas_guard_stats *sum);

/* ---- accounting (stats.c) ---- */
/* The function's counters: every CPU of kfaas_stats plus kfaas_ustats. */
int kfaas_stats_read(struct kfaas_state *st, __u32 id, struct kfaas_stats *sum);
int kfaas_stats_reset(struct kfaas_state *st, __u32 id);
/*
 * Add delta to a function's counters from userspace (kfaasd's VM tier).
 * The one place the charge is made: kfaas_ustats today (one writer only,
 * kfaasd), the kfaas.ko charge ioctl once the module provides it.
 */
int kfaas_stats_charge(struct kfaas_state *st, __u32 id,
		       const struct kfaas_stats *delta);
int kfaas_dstats_read(struct kfaas_state *st, __u64 out[KFAAS_DSTAT_MAX]);
const char *kfaas_dstat_name(unsigned int idx);

/*
 * A function's own counters (xstats.c): the __u64 fields of its private
 * per-CPU map "xstats", by name, summed over CPUs; *n is 0 when it has
 * none.
 */
#define KFAAS_XSTATS_MAX	32
struct kfaas_xstat {
	char	name[48];
	__u64	value;
};
int kfaas_fn_xstats(struct kfaas_state *st, const char *fn,
		    struct kfaas_xstat *out, size_t max, size_t *n);

/* Every function's counters in the Prometheus text format (metrics.c). */
int kfaas_prometheus_write(struct kfaas_state *st, FILE *out);
/* The same with more labels on every sample: 'node="n1"' (or NULL). */
int kfaas_prometheus_write_labels(struct kfaas_state *st, FILE *out,
				  const char *labels);

/* Counters of n functions at once (map + kfaas.ko batch read). */
int kfaas_stats_read_list(struct kfaas_state *st, const __u32 *ids, size_t n,
			  struct kfaas_stats *out);

/* ---- kfaas.ko client (module.c) ---- */
#define KFAAS_MOD_DEV		"/dev/kfaas"
#define KFAAS_MOD_BTF		"/sys/kernel/btf/kfaas"
#define KFAAS_MOD_SYSFS		"/sys/module/kfaas"
/* Path of kfaas.ko for 'kfaas module load' (else modprobe, else the build). */
#define KFAAS_KO_ENV		"KFAAS_KO"
/* Is kfaas.ko loaded with its kfuncs (its BTF exists)? */
bool kfaas_module_present(void);
/* Whether the loader picks the programs' kfunc variants (kfaas_kfuncs.h):
 * kfaas_module_present(), unless forced (0/1) while the module is being
 * loaded or unloaded. */
__u32 kfaas_module_flag(void);
void kfaas_module_force_flag(int flag);	/* -1: back to automatic */
/* Open /dev/kfaas (creating the node from sysfs if needed): fd or -errno. */
int kfaas_mod_open(void);
/* One ioctl: 0 or -errno (message set). */
int kfaas_mod_ioctl(int fd, unsigned long cmd, void *arg, const char *what);
int kfaas_mod_version(int fd, struct kfaas_ioc_version *v);
int kfaas_mod_fn_register(int fd, __u32 id, const struct kfaas_limits *l);
int kfaas_mod_fn_unregister(int fd, __u32 id);
int kfaas_mod_fn_set_limits(int fd, __u32 id, const struct kfaas_limits *l);
int kfaas_mod_fn_get(int fd, __u32 id, struct kfaas_limits *l);
int kfaas_mod_stats(int fd, __u32 id, struct kfaas_stats *s);
/* Every registered function's counters; free(*out). */
int kfaas_mod_stats_all(int fd, struct kfaas_stats_entry **out, size_t *n);
int kfaas_mod_charge(int fd, __u32 id, const struct kfaas_stats *d);
int kfaas_mod_reset(int fd, __u32 id);
/* The state's device fd (opened once), or -ENOENT without the module. */
int kfaas_state_mod_fd(struct kfaas_state *st);

struct kfaas_module_status {
	bool	loaded;		/* /sys/module/kfaas */
	bool	btf;		/* its kfuncs exist */
	bool	device;		/* /dev/kfaas answers */
	int	refcnt;		/* programs (and others) holding it, or -1 */
	struct kfaas_ioc_version version;
	char	srcversion[64];
};
int kfaas_module_status(struct kfaas_module_status *s);
/*
 * Load kfaas.ko (ko: a path, or NULL for $KFAAS_KO, modprobe, the build),
 * then, if root holds kfaas state, register every function with its budget
 * and reload the dispatcher and every eBPF function so they use the kfuncs.
 */
int kfaas_module_load(const char *ko, const char *root);
/* The reverse: programs back to map accounting, counters folded into the
 * maps, rmmod.  Refused (-EBUSY) while other programs use the kfuncs. */
int kfaas_module_unload(const char *root);
/* Register every function of the state with the module (with budgets). */
int kfaas_module_sync(struct kfaas_state *st);
/* Reload the dispatcher and every eBPF function in the variant that
 * kfaas_module_flag() says (atomic swaps: links updated, prog-array slots
 * replaced). */
int kfaas_state_reload(struct kfaas_state *st);
/* The dispatcher alone (state.c). */
int kfaas_dispatcher_reload(struct kfaas_state *st);

/* ---- budgets (budget.c) ---- */
/* Fill l from its rates and bursts; checks them; message on error. */
int kfaas_limits_check(const struct kfaas_limits *l);
/* Remember fn's budget in the state and give it to kfaas.ko if loaded. */
int kfaas_budget_set(struct kfaas_state *st, __u32 id, const struct kfaas_limits *l);
/* fn's budget (all zero: unlimited). */
int kfaas_budget_get(struct kfaas_state *st, __u32 id, struct kfaas_limits *l);
int kfaas_budget_clear(struct kfaas_state *st, __u32 id);

/*
 * Who enforces a function's budget, per tier (kfaas budget show): the
 * XDP tier by kfaas.ko's kfuncs or by the BPF maps, the socket tier by
 * the BPF maps, the VM tier by kfaasd (or nobody while it is not running).
 */
enum kfaas_enforcer {
	KFAAS_ENF_NONE = 0,	/* no budget */
	KFAAS_ENF_MODULE,	/* kfaas.ko's kfuncs */
	KFAAS_ENF_MAPS,		/* the dispatchers, from kfaas_budgets */
	KFAAS_ENF_KFAASD,	/* kfaasd admits the VM tier's requests */
	KFAAS_ENF_NOBODY,	/* a VM-tier budget while kfaasd is not running */
};
const char *kfaas_enforcer_name(int e);
/*
 * For function f with limits l (daemon: kfaasd answers): the XDP tier's
 * is the module's when the pinned dispatcher calls it and it knows f.
 */
int kfaas_budget_enforcer(struct kfaas_state *st, const struct kfaas_fn_info *f,
			  const struct kfaas_limits *l, bool daemon);

/*
 * A budget enforced in this process (kfaasd's VM tier): the same token
 * buckets (include/kfaas/bucket.h), re-made full when the limits in the
 * pinned map change.
 */
struct kfaas_local_budget {
	struct kfaas_limits	limits;
	struct kfaas_buckets	b;
	bool			set;	/* a budget exists */
};
/* Follow fn's budget in the pinned map (cheap when unchanged). */
int kfaas_local_budget_sync(struct kfaas_state *st, __u32 id,
			    struct kfaas_local_budget *lb);
/* Admit a request of bytes: true, or false (over budget). */
bool kfaas_local_budget_admit(struct kfaas_local_budget *lb, __u64 bytes);
/* After it ran: its CPU time and reply bytes. */
void kfaas_local_budget_charge(struct kfaas_local_budget *lb, __u64 cpu_ns,
			       __u64 bytes);

/* ---- interfaces (netif.c) ---- */
enum kfaas_xdp_mode { KFAAS_XDP_NATIVE, KFAAS_XDP_GENERIC };
struct kfaas_netif {
	char	ifname[32];
	int	ifindex;
	__u32	link_id;
	__u32	prog_id;
	int	mode;		/* enum kfaas_xdp_mode */
	bool	attached;	/* false when the interface went away */
	char	pin[64];
};
int kfaas_net_attach(struct kfaas_state *st, const char *dev, int mode);
int kfaas_net_detach(struct kfaas_state *st, const char *dev);
int kfaas_net_list(struct kfaas_state *st, struct kfaas_netif **out, size_t *n);

/* ---- the socket tier (sk.c, sk_server.c; docs/socket-tier.md) ---- */
/*
 * Load the socket-tier dispatcher and attach it to kfaas_sk_socks, once
 * per pin root (locked state); a no-op when it is there.
 */
int kfaas_sk_setup(struct kfaas_state *st);
const char *kfaas_sk_dstat_name(unsigned int idx);

struct kfaas_sk_status {
	bool	dispatcher;	/* the sk dispatcher is set up */
	bool	running;	/* a listener holds PINROOT/sk */
	struct kfaas_sk_server_info info;	/* the last listener's record */
	__u32	sockets;	/* in kfaas_sk_socks: 3 a connection */
	__u32	connections;	/* client sockets in kfaas_sk_links */
	__u32	records;	/* connections in kfaas_sk_conns */
	__u64	dstats[KFAAS_SK_DSTAT_MAX];
};
int kfaas_sk_status(struct kfaas_state *st, struct kfaas_sk_status *out);
/* Stop the running listener (SIGTERM) and wait up to timeout_ms for it. */
int kfaas_sk_stop(struct kfaas_state *st, int timeout_ms, __u32 *pid);

/*
 * The listener: for every sk-tier route a listening socket; each accepted
 * connection goes into kfaas_sk_socks, where the kernel answers it, and
 * leaves it when it closes.  One listener per pin root (it locks
 * PINROOT/sk): kfaasd embeds one, 'kfaas sk serve' runs one standalone.
 * Drive it from an event loop: wait for kfaas_sk_server_fd() to be
 * readable (or kfaas_sk_server_timeout_ms() to pass), then call
 * kfaas_sk_server_poll(); call kfaas_sk_server_sync() when routes may
 * have changed (every second does).
 */
struct kfaas_sk_server;
struct kfaas_sk_server_opts {
	/*
	 * Bytes of a connection were passed up to userspace (no route any
	 * more, or its function returned KFAAS_PASS): they are readable on
	 * relay_fd, from where the kernel stopped answering on, and the
	 * connection's replies go to client_fd.  Return 0 to keep serving
	 * it from userspace, < 0 to have it closed.  NULL: close it.
	 */
	int	(*on_passed)(void *ctx, int client_fd, int relay_fd, __u64 cookie);
	/* One line of log (accept failures, listeners opened...), or NULL. */
	void	(*log)(void *ctx, const char *msg);
	void	*ctx;
	int	backlog;	/* listen() backlog, 0: 1024 */
};
int kfaas_sk_server_open(const char *root, const struct kfaas_sk_server_opts *o,
			 struct kfaas_sk_server **out);
/* Open and close listening sockets to match the sk routes. */
int kfaas_sk_server_sync(struct kfaas_sk_server *s);
int kfaas_sk_server_fd(const struct kfaas_sk_server *s);
int kfaas_sk_server_timeout_ms(const struct kfaas_sk_server *s);
/* Accept, close and hand over without blocking longer than timeout_ms. */
int kfaas_sk_server_poll(struct kfaas_sk_server *s, int timeout_ms);
size_t kfaas_sk_server_listeners(const struct kfaas_sk_server *s);
size_t kfaas_sk_server_connections(const struct kfaas_sk_server *s);
/* Close every connection and listener, release the lock. */
void kfaas_sk_server_close(struct kfaas_sk_server *s);

/*
 * Invoking a socket-tier function: a TCP client of one of its routes
 * (BPF_PROG_TEST_RUN does not run SK_SKB programs).  target picks the
 * route (--dst ADDR:PORT or the first one), connect opens a connection
 * through the listener; once sends a request and reads until wait_ms pass
 * without a first byte, or idle_ms without another (closed: the peer
 * closed); exact reads exactly want bytes.  ns: request sent to last byte.
 */
struct sockaddr_storage;
int kfaas_sk_invoke_target(struct kfaas_state *st, const struct kfaas_fn_info *fn,
			   const char *dst, struct sockaddr_storage *ss,
			   unsigned int *sslen, char *desc, size_t dlen);
int kfaas_sk_invoke_connect(const struct sockaddr_storage *ss, unsigned int len,
			    const char *desc, int timeout_ms);
int kfaas_sk_invoke_once(int fd, const void *req, size_t len, void *out,
			 size_t cap, size_t *outlen, int wait_ms, int idle_ms,
			 bool *closed, __u64 *ns);
int kfaas_sk_invoke_exact(int fd, const void *req, size_t len, void *out,
			  size_t want, int timeout_ms, __u64 *ns);

/* ---- the invoker (invoke.c) ---- */
struct kfaas_invoke_opts {
	const void	*data;		/* request payload */
	size_t		len;
	const char	*src;		/* "ADDR:PORT" or NULL */
	const char	*dst;		/* pick the route to this, or NULL */
	int		vlan;		/* VLAN id or -1 */
	bool		symmetric;	/* src = dst: replies are requests too */
};
/* Build a request frame for one of fn's UDP routes. */
int kfaas_invoke_frame(struct kfaas_state *st, const struct kfaas_fn_info *fn,
		       const struct kfaas_invoke_opts *o, void *buf, size_t cap,
		       size_t *len);
/* Run a frame through the dispatcher (BPF_PROG_TEST_RUN). */
int kfaas_invoke_run(struct kfaas_state *st, const void *in, size_t len,
		     void *out, size_t *outlen, __u32 repeat, __u32 *retval,
		     __u32 *duration_ns);
/*
 * The same, once, on this CPU; a chain route's request also gives what
 * each hop did (hops[KFAAS_CHAIN_MAX], *nhops; 0 for another route).
 */
int kfaas_invoke_traced(struct kfaas_state *st, const void *in, size_t len,
			void *out, size_t *outlen, __u32 *retval,
			__u32 *duration_ns, struct kfaas_hop *hops, __u32 *nhops);
const char *kfaas_xdp_verdict(__u32 v);

/* ---- bytes as text (hex.c) ---- */
/*
 * Decode a hex string ("0x" prefix, spaces and ':' allowed) into buf: its
 * length, -EINVAL (not hex) or -ENOSPC (more than cap bytes).
 */
ssize_t kfaas_hex_decode(const char *hex, uint8_t *buf, size_t cap);
/* n bytes as lowercase hex, malloc()ed (free() it); NULL: out of memory. */
char *kfaas_hex_encode(const void *data, size_t n);
/* Offset, 16 bytes in hex, the same as text ('.' unprintable), per line. */
void kfaas_hexdump(FILE *out, const void *data, size_t n);
/* Do the bytes read as text (printable, tabs and line ends)? */
bool kfaas_printable(const void *data, size_t n);

/* ---- kfaasd, the VM-tier daemon (daemon.c) ---- */
#define KFAAS_RUN_DIR_ENV	"KFAAS_RUN_DIR"
/*
 * kfaasd's run directory for a pin root: $KFAAS_RUN_DIR, else /run/kfaasd
 * for the default pin root, else /run/kfaasd-ESCAPED (the pin root's path
 * below /sys/fs/bpf with '/' as '-').  Its control socket is
 * RUNDIR/control.sock.
 */
int kfaas_run_dir(const char *pin_root, char *buf, size_t len);
/*
 * PINROOT/kfaasd: a symlink to the run directory of the kfaasd serving the
 * pin root, whatever --run-dir it was given (made at its start, removed at
 * its clean stop; bpffs holds no files, a symlink it does).
 */
#define KFAAS_RUN_DIR_LINK	"kfaasd"
/*
 * Where the CLI finds kfaasd: $KFAAS_RUN_DIR, else the directory
 * PINROOT/kfaasd points to, else kfaas_run_dir()'s.
 */
int kfaas_daemon_run_dir(const char *pin_root, char *buf, size_t len);

struct json_object;
struct kfaas_daemon {
	int	fd;
	char	path[128];
	struct kfaas_iobuf in;	/* answers read, not yet taken */
};
/* Connect to the kfaasd of the pin root; -ENOENT/-ECONNREFUSED: none runs. */
int kfaas_daemon_open(struct kfaas_daemon *d, const char *pin_root);
void kfaas_daemon_close(struct kfaas_daemon *d);
/*
 * One request/answer (req is consumed).  An answer with "ok": false
 * becomes a negative errno with its "error" in kfaas_errmsg(); *resp is
 * then still set (free it with json_object_put()).
 */
int kfaas_daemon_call(struct kfaas_daemon *d, struct json_object *req,
		      struct json_object **resp);
int kfaas_daemon_create(struct kfaas_daemon *d, const char *name,
			const char *exe, const struct kfaas_vm_params *p,
			struct kfaas_fn_info *out, __u64 *ready_ms);
int kfaas_daemon_unload(struct kfaas_daemon *d, const char *name);
/* Until kfaasd serves the function registered at load_time (kfaas apply). */
int kfaas_daemon_wait(struct kfaas_daemon *d, const char *name, __u64 load_time);

struct kfaas_vm_result {
	bool	ok;		/* the function replied (else error says why) */
	char	error[512];
	void	*reply;		/* malloc()ed; free() it */
	size_t	reply_len;
	int	status;		/* wait status, when the function ran */
	bool	ran;
	int	vm;		/* VM number that served it */
	__u64	duration_ns;	/* in kfaasd: request in to answer out */
	__u64	fn_wall_ns;	/* in the guest: the function process */
	__u64	fn_cpu_ns;
};
int kfaas_daemon_invoke(struct kfaas_daemon *d, const char *name,
			const void *data, size_t len, struct kfaas_vm_result *r);
/* Tell a running kfaasd to re-read the route table now (best effort). */
void kfaas_daemon_notify(const char *pin_root);

/* base64 for the control protocol: malloc()ed string / decoded length. */
char *kfaas_b64_encode(const void *data, size_t len);
ssize_t kfaas_b64_decode(const char *s, void *out, size_t cap);

#endif /* LIBKFAAS_H */
