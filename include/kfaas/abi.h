/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * kfaas ABI: the one definition of every structure that crosses a boundary
 * between the kernel module (kmod/), the BPF programs (bpf/) and userspace
 * (user/, tests/).  All fields are fixed width; structures are padded
 * explicitly so that layout is identical for every compiler and for the BPF
 * target.  Nothing here may be copied into another header.
 *
 * The header compiles in three environments:
 *   __KERNEL__        the module, with <linux/types.h>
 *   __bpf__           BPF programs, after "vmlinux.h" (CO-RE)
 *   otherwise         userspace, with <linux/types.h>
 */
#ifndef KFAAS_ABI_H
#define KFAAS_ABI_H

#if defined(__KERNEL__)
#include <linux/types.h>
#elif !defined(__bpf__)
#include <linux/types.h>
#endif
#include <kfaas/bucket.h>

/* Version of the map and ioctl layouts below; bump on any change. */
#define KFAAS_ABI_VERSION	5

/*
 * Limits.  Function ids are dense small integers: 1 .. KFAAS_MAX_FUNCS - 1;
 * id 0 means "no function".  The BPF maps are sized by KFAAS_MAX_FUNCS and
 * KFAAS_MAX_ROUTES at build time; the loader sizes every object it loads
 * from the pinned maps, so a function built with other defaults still fits.
 */
#ifndef KFAAS_MAX_FUNCS
#define KFAAS_MAX_FUNCS		4096
#endif
#ifndef KFAAS_MAX_ROUTES
#define KFAAS_MAX_ROUTES	131072
#endif
#define KFAAS_NAME_LEN		32	/* function name, NUL included */
#define KFAAS_PATH_LEN		192	/* source object or executable path */

/* Tiers a function runs at. */
enum kfaas_tier {
	KFAAS_TIER_NONE = 0,
	KFAAS_TIER_XDP	= 1,	/* XDP program, tail-called by the dispatcher */
	KFAAS_TIER_SK	= 2,	/* sk_skb verdict program on a sockmap */
	KFAAS_TIER_VM	= 3,	/* executable run in a microVM by kfaasd */
	KFAAS_TIER_MAX,
};

/* Address family of a route key; ANY matches both IPv4 and IPv6. */
enum kfaas_family {
	KFAAS_FAMILY_ANY  = 0,
	KFAAS_FAMILY_IPV4 = 4,
	KFAAS_FAMILY_IPV6 = 6,
};

/*
 * Route table key: the trigger.  A route either names a destination address
 * (family 4 or 6, addr filled) or matches any address (family ANY, addr all
 * zero).  The dispatcher looks up the exact key first, then the wildcard.
 * IPv4 addresses occupy addr[0..3], the rest is zero.
 */
struct kfaas_route_key {
	__u8	proto;		/* IPPROTO_UDP (17) or IPPROTO_TCP (6) */
	__u8	family;		/* enum kfaas_family */
	__be16	port;		/* destination port, network byte order */
	__u8	addr[16];	/* destination address, network byte order */
};

/* What to do with an invocation refused by the function's budget. */
enum kfaas_policy {
	KFAAS_POLICY_DROP = 0,	/* drop the request (counted as throttled) */
	KFAAS_POLICY_PASS = 1,	/* pass it up the stack / to the fallback */
};

/*
 * Route flags.  BUDGET, GUARD and the loop check are what the dispatchers
 * test per request: a route that needs none of them costs one flag test
 * (docs/reliability.md, "Reflection and amplification").
 */
#define KFAAS_ROUTE_F_FALLBACK	(1U << 0)	/* fallback_id is valid */
/*
 * The function has a budget (kfaas_budgets): the dispatchers enforce it
 * from the map unless kfaas.ko does.  Kept by libkfaas, not chosen.
 */
#define KFAAS_ROUTE_F_BUDGET	(1U << 1)
/* Per-source-prefix token buckets (kfaas_guard) limit the requests. */
#define KFAAS_ROUTE_F_GUARD	(1U << 2)
/* Requests from loop ports are answered (no loop check). */
#define KFAAS_ROUTE_F_LOOP_OK	(1U << 3)
/* GUARD / max_ratio chosen for the route, not derived from the function */
#define KFAAS_ROUTE_F_GUARD_SET	(1U << 4)
#define KFAAS_ROUTE_F_RATIO_SET	(1U << 5)
/*
 * Only in kfaas_port_routes: the port has routes with a destination
 * address, which the XDP dispatcher looks up (in kfaas_routes) before
 * the port's own route.  Kept by libkfaas, never in kfaas_routes.
 */
#define KFAAS_ROUTE_F_ADDRS	(1U << 6)
/*
 * The route runs a chain of functions (kfaas_chains[chain_id]): fn_id is
 * its first function, fallback_id its VM-tier end when it has one.
 */
#define KFAAS_ROUTE_F_CHAIN	(1U << 7)

/*
 * Traffic split: a route may name up to KFAAS_ROUTE_VERSIONS versions
 * (functions of one tier) with weights.  Each request's share goes by
 * weight / total: the XDP dispatcher picks by a hash of the flow, the
 * socket tier by the connection, kfaasd per request (the pick itself:
 * include/kfaas/split.h).  A weight is 1 .. KFAAS_WEIGHT_MAX: a version
 * given weight 0 leaves the route.
 */
#define KFAAS_ROUTE_VERSIONS	4
#define KFAAS_WEIGHT_MAX	1000000

struct kfaas_route_version {
	__u32	fn_id;
	__u32	weight;
};

/* Route table value. */
struct kfaas_route {
	/*
	 * The function serving the trigger; with a split (nver >= 2) its
	 * first version, the one every other reader of the route reports.
	 */
	__u32	fn_id;
	__u8	tier;		/* enum kfaas_tier of fn_id */
	__u8	policy;		/* enum kfaas_policy when over budget */
	__u16	flags;		/* KFAAS_ROUTE_F_* */
	__u32	fallback_id;	/* next-tier function (VM tier) or 0 */
	/*
	 * The most reply payload bytes an XDP reply may carry per request
	 * payload byte, in hundredths (300: 3 times); 0: no cap.
	 */
	__u32	max_ratio;
	__u32	nver;		/* versions in ver[]: 0 (fn_id alone) or 2.. */
	__u32	total;		/* the sum of their weights */
	struct kfaas_route_version ver[KFAAS_ROUTE_VERSIONS];
	__u32	chain_id;	/* with KFAAS_ROUTE_F_CHAIN: its chain */
};

/*
 * Function chains (docs/cli.md, "Chains"): a route may run up to
 * KFAAS_CHAIN_MAX functions one after the other, each handing the request
 * on with kfaas_next() (bpf/kfaas.h).  All but the last are XDP-tier
 * functions; the last may be a VM-tier one (KFAAS_CHAIN_F_VM_END), which
 * kfaasd runs on what the XDP part passed up.  A chain is one element of
 * kfaas_chains, replaced whole by one update: the dispatcher copies it
 * into the request's hand-over when the request arrives, so a request
 * runs one version of the chain from its first hop to its last.
 */
#define KFAAS_CHAIN_MAX		8
#ifndef KFAAS_MAX_CHAINS
#define KFAAS_MAX_CHAINS	4096	/* chains in kfaas_chains: ids 1 .. */
#endif
#define KFAAS_CHAIN_STATE	32	/* per-request bytes kfaas_chain_state() */
#define KFAAS_CHAIN_F_VM_END	(1U << 0)	/* fn[len - 1] is VM-tier */

struct kfaas_chain {
	__u32	len;			/* functions in fn[]: 2 .. KFAAS_CHAIN_MAX */
	__u32	flags;			/* KFAAS_CHAIN_F_* */
	__u32	fn[KFAAS_CHAIN_MAX];	/* function ids in order */
};

/* What one hop of a chain did, as kfaas invoke shows it. */
struct kfaas_hop {
	__u32	fn_id;
	__u16	len_in;		/* payload bytes the hop got */
	__u16	len_out;	/* ... it handed on or replied with */
	__s32	rc;		/* the body's return: a length or KFAAS_* */
	__u32	pad;
};

/*
 * Function ids below this are entered from the XDP dispatcher with a tail
 * call whose key is a constant at its call site, which the JIT turns into
 * a direct jump (patched when the prog-array slot changes); higher ids
 * take the tail call with a run-time key, an indirect jump (a retpoline
 * on CPUs that need one: ~13 ns more, docs/performance.md).  Ids are
 * given lowest first, so this covers the first functions loaded.
 */
#define KFAAS_DIRECT_IDS	64

/*
 * The reply/request ratio cap of a route that sets none: its function's
 * declared ratio (KFAAS_REPLY_RATIO()) when that is lower, else this.
 */
#define KFAAS_RATIO_DEFAULT	300

/*
 * Per-function counters.  The same record is kept per CPU by the fallback
 * BPF map (kfaas_stats) and by the kernel module; userspace sums the CPUs.
 *   invocations  the function ran (admitted requests)
 *   throttled    refused by the budget, the function did not run
 *   passed       the function (or the dispatcher for it) passed the request
 *                to the next tier
 *   drops        the function asked to drop the request
 *   errors       the function failed, or its reply could not be built
 *   bytes_in     request payload bytes of invocations
 *   bytes_out    reply payload bytes sent
 *   cpu_ns       time spent in the function (see docs/architecture.md)
 */
struct kfaas_stats {
	__u64	invocations;
	__u64	throttled;
	__u64	passed;
	__u64	drops;
	__u64	errors;
	__u64	bytes_in;
	__u64	bytes_out;
	__u64	cpu_ns;
};

/* Dispatcher-wide counters (kfaas_dstats, per CPU), indexed by this enum. */
enum kfaas_dstat {
	KFAAS_DSTAT_RX = 0,		/* frames seen */
	KFAAS_DSTAT_NOT_UDP,		/* not IPv4/IPv6 UDP: passed */
	KFAAS_DSTAT_MALFORMED,		/* truncated/bad lengths: passed */
	KFAAS_DSTAT_FRAGMENT,		/* IP fragments: passed */
	KFAAS_DSTAT_MULTICAST,		/* multicast/broadcast: passed */
	KFAAS_DSTAT_NO_ROUTE,		/* no route for the trigger: passed */
	KFAAS_DSTAT_OTHER_TIER,		/* route to another tier: passed */
	KFAAS_DSTAT_DISPATCHED,		/* tail calls made */
	KFAAS_DSTAT_TAILCALL_FAIL,	/* route without a loaded program */
	KFAAS_DSTAT_THROTTLED,		/* over budget (module or maps) */
	KFAAS_DSTAT_KM_UNKNOWN,		/* kfaas.ko did not know the function:
					   the budget in the maps applied */
	KFAAS_DSTAT_LOOP,		/* from a loop port: dropped */
	KFAAS_DSTAT_GUARD,		/* over its source prefix's rate: dropped */
	KFAAS_DSTAT_RATIO,		/* reply over the route's ratio cap: dropped */
	KFAAS_DSTAT_CHAINS,		/* requests of chain routes dispatched */
	KFAAS_DSTAT_HOPS,		/* tail calls from a chain's function
					   to the next one */
	KFAAS_DSTAT_MAX,
};

/* VM-tier parameters carried in the registry (zero for eBPF tiers). */
struct kfaas_vm_params {
	__u32	mem_mib;
	__u32	vcpus;
	__u32	min_warm;
	__u32	max_instances;
	__u32	idle_ttl_s;
	__u32	timeout_ms;
	__u32	flags;		/* KFAAS_VM_F_* (appended for issue 7) */
};

/* kfaas_vm_params.flags */
#define KFAAS_VM_F_FRESH	(1U << 0)	/* a new VM for every request */
/*
 * Bits 1-2 of flags: the keep-alive (docs/lifecycle.md).  0 is what a
 * function registered before it has: --idle-ttl, VMs above min-warm
 * stopped after idle_ttl_s (0: never), the template kept.
 */
#define KFAAS_VM_KEEP_SHIFT	1
#define KFAAS_VM_KEEP_MASK	(3U << KFAAS_VM_KEEP_SHIFT)
#define KFAAS_VM_KEEP_TTL	(0U << KFAAS_VM_KEEP_SHIFT)
#define KFAAS_VM_KEEP_AUTO	(1U << KFAAS_VM_KEEP_SHIFT)	/* the lifecycle policy */
#define KFAAS_VM_KEEP_FIXED	(2U << KFAAS_VM_KEEP_SHIFT)	/* warm idle_ttl_s, then nothing */
#define KFAAS_VM_KEEP_NONE	(3U << KFAAS_VM_KEEP_SHIFT)	/* nothing kept after a request */
#define KFAAS_VM_KEEP(flags)	((flags) & KFAAS_VM_KEEP_MASK)
/*
 * One process per VM serves request after request over the framed
 * protocol of include/kfaas/resident.h instead of a process per request.
 */
#define KFAAS_VM_F_RESIDENT	(1U << 3)
/*
 * A cluster standby (docs/cluster.md, "Standby"): the node keeps a ready
 * snapshot template of the function and no VM, and routes nothing to it,
 * until the scheduler places the function here; then it clones.  Set
 * only by the node agent; changing it alone restarts nothing.
 */
#define KFAAS_VM_F_STANDBY	(1U << 4)

/* Function registry record (kfaas_funcs, keyed by __u32 id). */
struct kfaas_fn_info {
	char	name[KFAAS_NAME_LEN];
	__u32	id;
	__u8	tier;		/* enum kfaas_tier */
	__u8	pad[3];
	__u64	load_time;	/* CLOCK_REALTIME seconds of the (re)load */
	__u32	prog_id;	/* kernel program id (eBPF tiers) */
	__u8	tag[8];		/* program tag (eBPF tiers) */
	/*
	 * The most reply bytes per request byte the function says it sends,
	 * in hundredths (KFAAS_REPLY_RATIO(), bpf/kfaas.h); 0: not said.
	 */
	__u32	reply_ratio;
	char	source[KFAAS_PATH_LEN];	/* object file or executable */
	struct kfaas_vm_params vm;
};

/*
 * CPU time is measured on 1 invocation in 2^time_shift, at random, and
 * weighted: the two clock reads cost more than the rest of the accounting.
 */
#define KFAAS_TIME_SHIFT_DEFAULT	6
#define KFAAS_TIME_SHIFT_MAX		16

/*
 * The reflection guard's defaults (kfaas config set guard-*): requests
 * per second and burst of one source prefix, per function, and the
 * prefix lengths that make a source.
 */
#define KFAAS_GUARD_RATE_DEFAULT	1000
#define KFAAS_GUARD_BURST_DEFAULT	1000
#define KFAAS_GUARD_PLEN4_DEFAULT	24
#define KFAAS_GUARD_PLEN6_DEFAULT	56
/* Source prefixes the guard keeps buckets for (an LRU hash). */
#ifndef KFAAS_GUARD_PREFIXES
#define KFAAS_GUARD_PREFIXES		16384
#endif

/* Global configuration (kfaas_config, one entry). */
struct kfaas_globals {
	__u32	abi_version;	/* KFAAS_ABI_VERSION of the creator */
	__u32	addr_routes;	/* routes with a destination address */
	__u32	time_shift;	/* time 1 in 2^time_shift invocations */
	__u32	busy;		/* a writer is mid-change (crash => repair) */
	/*
	 * Source ports below this may be loop ports (kfaas_loop_ports):
	 * every port above the highest one needs no look-up.  Kept by
	 * libkfaas from the UDP routes and the well-known loop ports.
	 */
	__u32	loop_below;
	/* the reflection guard: prefix lengths and rate (as configured) */
	__u8	guard_plen4;
	__u8	guard_plen6;
	__u16	pad;
	__u64	guard_rate;	/* requests per second per source prefix */
	__u64	guard_burst;	/* requests */
	/* ... and what the dispatcher uses, computed when they are set */
	__u64	guard_cost;	/* ns of bucket time per request */
	__u64	guard_tau;	/* the burst, ns */
	__be32	guard_mask4;	/* network order */
	__be32	guard_mask6[4];
	/*
	 * A random word kfaas invoke puts in the XDP metadata of its test
	 * frames: they never reach a network, so the loop check and the
	 * source prefix buckets let them through (docs/reliability.md).
	 */
	__u64	invoke_token;
};

/*
 * Per-CPU hand-over from the dispatcher to the function it tail-calls
 * (kfaas_scratch): what the SDK needs of the parse and of the route, in
 * three words the dispatcher writes whole.  valid is set by the
 * dispatcher right before the tail call and cleared by the function; a
 * function run on its own (not through the dispatcher) finds it clear
 * and parses the frame itself.
 */
struct kfaas_scratch {
	__u32	fn_id;
	__u16	flags;		/* the route's KFAAS_ROUTE_F_* */
	__u8	family;		/* KFAAS_FAMILY_IPV4/IPV6 */
	__u8	valid;
	__u16	l3_off;		/* offset of the IP header */
	__u16	l4_off;		/* offset of the UDP header */
	__u16	payload_off;	/* offset of the UDP payload */
	__u16	payload_len;	/* UDP payload length */
	__u32	max_ratio;	/* the route's (kfaas_route.max_ratio) */
	__u32	time_shift;	/* time 1 in 2^time_shift invocations */
	__u64	rng;		/* xorshift state: which invocations are timed */
	/*
	 * A chain's request (chain_len > 0): its functions as the dispatcher
	 * found them, the hop running now, the request's payload length at
	 * the first hop (the ratio cap's base), the route's over-budget
	 * policy, what each hop did (kfaas invoke) and the bytes the
	 * functions share (kfaas_chain_state()).  Written for chains only.
	 */
	__u8	chain_len;
	__u8	hop;
	__u8	chain_flags;	/* KFAAS_CHAIN_F_* */
	__u8	policy;		/* enum kfaas_policy */
	__u16	chain_in;
	__u16	pad;
	__u32	chain_fn[KFAAS_CHAIN_MAX];
	struct kfaas_hop trace[KFAAS_CHAIN_MAX];
	__u8	state[KFAAS_CHAIN_STATE];
};

/* The reflection guard's bucket key: a function and a source prefix. */
struct kfaas_guard_key {
	__u32	fn_id;
	__u8	family;		/* KFAAS_FAMILY_IPV4/IPV6 */
	__u8	pad[3];
	__u8	prefix[16];	/* the source address, masked */
};

/*
 * Per function, per CPU (kfaas_guard_stats): the requests the reflection
 * and loop defences refused, and the replies the ratio cap stopped.
 */
struct kfaas_guard_stats {
	__u64	loop;		/* from a loop port */
	__u64	guard;		/* over the source prefix's rate */
	__u64	ratio;		/* reply over the route's ratio cap */
};

/*
 * The socket tier (docs/socket-tier.md).  Each accepted connection of an
 * sk-tier route (the client socket) comes with a relay: an AF_UNIX
 * socketpair.  Both are in kfaas_sk_socks, keyed by socket cookie
 * (SO_COOKIE in userspace, bpf_get_socket_cookie() in BPF).  A segment
 * the client sends is forwarded unchanged to the relay; the function runs
 * on the relay's receiving end, where it may resize the skb, and its
 * reply is redirected to the client socket's egress.  (A TCP socket's own
 * verdict must not change a segment's length: the kernel charges
 * copied_seq with the changed length and the connection stalls.)
 * kfaas_sk_links says which socket is which; the function reassembles
 * requests that span segments in kfaas_sk_conns, keyed by the client
 * socket's cookie, which is the connection's id.
 */
#define KFAAS_SK_MAX_CONNS	16384
#define KFAAS_SK_MAX_SOCKS	(3 * KFAAS_SK_MAX_CONNS)	/* client + relay */
/*
 * Request bytes a connection can hold: an element of kfaas_sk_conns stays
 * within 16 KiB of kernel memory.
 */
#define KFAAS_SK_BUF		16256
/* An incomplete request carried over to the next segment: at most this. */
#define KFAAS_SK_HOLD_MAX	8192
/*
 * Reply bytes one segment of requests can produce: the replies are written
 * into that segment's skb, which BPF can grow to SKB_MAX_ALLOC (16064
 * bytes with 4 KiB pages, measured) and no further.
 */
#define KFAAS_SK_OUT_MAX	16000

/* kfaas_sk_link.role */
enum kfaas_sk_role {
	KFAAS_SK_ROLE_CLIENT = 1,	/* the accepted TCP socket */
	KFAAS_SK_ROLE_RELAY = 2,	/* the relay end whose skbs the function gets */
};

/*
 * kfaas_sk_links, keyed by the cookie a verdict program sees: the client
 * socket's, and for the relay the sending end's (an AF_UNIX skb belongs to
 * its sender).  Written by the listener at accept, removed at close.
 */
struct kfaas_sk_link {
	__u64	peer;		/* client: the relay's sending end; relay: the client */
	__u64	conn;		/* the client socket's cookie: the connection id */
	__u8	role;		/* enum kfaas_sk_role */
	__u8	family;		/* KFAAS_FAMILY_IPV4/IPV6: local address of the client socket */
	__be16	port;		/* local port, network byte order */
	__u32	flags;		/* KFAAS_SK_LINK_F_* */
	__u8	addr[16];	/* local address (IPv4 in addr[0..3]) */
	/*
	 * The relay's route as the socket-tier dispatcher last found it, for
	 * the function it tail-calls (its budget flag and policy): written
	 * per segment by the dispatcher, zero from the listener.
	 */
	__u16	route_flags;	/* KFAAS_ROUTE_F_* */
	__u8	route_policy;	/* enum kfaas_policy */
	__u8	pad[5];
};

/*
 * The client socket is not in the sockhash (its peer had closed its side
 * before the listener accepted it, and the kernel takes only established
 * sockets): the listener feeds its bytes to the relay and forwards the
 * replies, which go to the relay's sending end (its ingress) instead.
 */
#define KFAAS_SK_LINK_F_USER	(1U << 0)

/* kfaas_sk_conn.flags */
#define KFAAS_SK_CONN_F_DISCARD	(1U << 0)	/* drop all further input */
#define KFAAS_SK_CONN_F_PASSED	(1U << 1)	/* handed to userspace */

/* Per-connection state of the socket tier (kfaas_sk_conns). */
struct kfaas_sk_conn {
	__u32	fn_id;		/* function the held bytes belong to */
	__u32	len;		/* bytes held in buf: an incomplete request */
	__u32	flags;		/* KFAAS_SK_CONN_F_* */
	__u32	pad;
	__u64	requests;	/* requests answered on the connection */
	__u64	reserved;
	__u8	buf[KFAAS_SK_BUF];
};

/* Socket-tier dispatcher counters (kfaas_sk_dstats, per CPU). */
enum kfaas_sk_dstat {
	KFAAS_SK_DSTAT_RX = 0,		/* segments clients sent */
	KFAAS_SK_DSTAT_NOT_OURS,	/* a socket without a link: passed up */
	KFAAS_SK_DSTAT_NO_ROUTE,	/* no route for the connection: passed up */
	KFAAS_SK_DSTAT_OTHER_TIER,	/* route to another tier: passed up */
	KFAAS_SK_DSTAT_DISPATCHED,	/* tail calls made */
	KFAAS_SK_DSTAT_TAILCALL_FAIL,	/* route without a loaded program */
	KFAAS_SK_DSTAT_MAX,
};

/* Records of the kfaas_sk_events ring buffer, read by the listener. */
enum kfaas_sk_event_kind {
	KFAAS_SK_EV_CLOSE = 1,	/* close the connection once its replies left */
	KFAAS_SK_EV_PASSED,	/* bytes were passed up: readable on the relay */
};

struct kfaas_sk_event {
	__u64	cookie;		/* the connection (its client socket's cookie) */
	__u32	kind;		/* enum kfaas_sk_event_kind */
	__u32	fn_id;
};

/* The listener serving a pin root's sk routes (kfaas_sk_server, 1 entry). */
struct kfaas_sk_server_info {
	__u32	pid;		/* 0: none has run */
	__u32	listeners;	/* listening sockets */
	__u64	started;	/* CLOCK_REALTIME seconds */
	__u64	accepted;	/* connections accepted */
	__u64	closed;		/* connections closed */
	__u64	netns_cookie;	/* network namespace it serves */
};

/* Verdicts a function returns besides a reply length (>= 0). */
#define KFAAS_PASS	(-1)	/* hand the request to the next tier */
#define KFAAS_DROP	(-2)	/* drop the request */
#define KFAAS_ERROR	(-3)	/* the function failed: counted, passed */
/*
 * What kfaas_next() returns: the payload (its length in the invocation)
 * goes to the chain's next function, or is the reply at the chain's end.
 */
#define KFAAS_NEXT	(-4)

/*
 * ---- kfaas.ko ----------------------------------------------------------
 * The kernel module keeps per-function accounting (struct kfaas_stats, per
 * CPU) and token-bucket budgets, offers kfuncs to the BPF programs
 * (include/kfaas/kfuncs.h) and a control device /dev/kfaas.  docs/module.md
 * describes the semantics.
 */

/* Function ids the module accepts: 1 .. KFAAS_MOD_MAX_FUNCS - 1. */
#define KFAAS_MOD_MAX_FUNCS	65536
#define KFAAS_MOD_NAME		"kfaas"		/* module, BTF and device */
/* Version of the ioctl structures below; bump on any change. */
#define KFAAS_IOC_ABI_VERSION	1

/* What a charged invocation ended with (kfaas_kf_charge's outcome). */
enum kfaas_outcome {
	KFAAS_OUTCOME_REPLY = 0,	/* answered */
	KFAAS_OUTCOME_PASS  = 1,	/* passed to the next tier */
	KFAAS_OUTCOME_DROP  = 2,	/* dropped on the function's request */
	KFAAS_OUTCOME_ERROR = 3,	/* the function failed */
	KFAAS_OUTCOME_MAX,
};

/* kfaas_kf_admit()'s answers (negative: errno, e.g. -ENOENT unknown id). */
#define KFAAS_ADMIT	0	/* run the function */
#define KFAAS_THROTTLE	1	/* over budget: counted throttled, not run */

/*
 * A function's budget: three token buckets.  A rate of 0 means unlimited.
 * A burst of 0 means one second's worth of the rate.
 *   rps             invocations per second; each admission takes one token
 *   cpu_ns_per_sec  function CPU time; charged after the run (may go into
 *                   debt), an admission needs a non-empty bucket
 *   bytes_per_sec   request bytes (taken at admission, which needs them
 *                   all) plus reply bytes (charged after the run)
 * Kept in the pinned map kfaas_budgets (struct kfaas_budget_rec below)
 * across reloads.
 */
struct kfaas_limits {
	__u64	rps;
	__u64	rps_burst;		/* invocations */
	__u64	cpu_ns_per_sec;
	__u64	cpu_burst_ns;		/* ns */
	__u64	bytes_per_sec;
	__u64	bytes_burst;		/* bytes */
};

/*
 * A function's budget in the maps (kfaas_budgets, keyed by id): its
 * limits as set, and their token buckets (include/kfaas/bucket.h), which
 * the dispatchers use when kfaas.ko does not enforce the budget.  A new
 * record (kfaas budget set) has full buckets.
 */
struct kfaas_budget_rec {
	struct kfaas_limits	limits;
	struct kfaas_buckets	b;
};

/*
 * The highest rate a budget may have, per second: it keeps the module's
 * cost of one unit (10^9 / rate ns, in 32.32 fixed point) >= 4096.
 */
#define KFAAS_RATE_MAX		1000000000000000ULL

/* Which rule a budget breaks (kfaas_limits_validate()). */
enum kfaas_limits_err {
	KFAAS_LIMITS_VALID = 0,
	KFAAS_LIMITS_E_RATE,		/* a rate above KFAAS_RATE_MAX */
	KFAAS_LIMITS_E_RPS_BURST,	/* rps_burst without rps */
	KFAAS_LIMITS_E_CPU_BURST,	/* cpu_burst_ns without cpu_ns_per_sec */
	KFAAS_LIMITS_E_BYTES_BURST,	/* bytes_burst without bytes_per_sec */
};

/*
 * The one check of a budget, compiled by the module (which refuses a
 * broken one with -EINVAL) and by libkfaas (which says which rule failed
 * before asking the module): a rate may be at most KFAAS_RATE_MAX, and a
 * burst without a rate means nothing.
 */
static inline enum kfaas_limits_err
kfaas_limits_validate(const struct kfaas_limits *l)
{
	if (l->rps > KFAAS_RATE_MAX || l->cpu_ns_per_sec > KFAAS_RATE_MAX ||
	    l->bytes_per_sec > KFAAS_RATE_MAX)
		return KFAAS_LIMITS_E_RATE;
	if (!l->rps && l->rps_burst)
		return KFAAS_LIMITS_E_RPS_BURST;
	if (!l->cpu_ns_per_sec && l->cpu_burst_ns)
		return KFAAS_LIMITS_E_CPU_BURST;
	if (!l->bytes_per_sec && l->bytes_burst)
		return KFAAS_LIMITS_E_BYTES_BURST;
	return KFAAS_LIMITS_VALID;
}

/*
 * Every ioctl argument starts with its own size (set it to sizeof the
 * structure: the module refuses any other value with -EINVAL) and has
 * reserved fields that must be zero.
 */

/* KFAAS_IOC_VERSION: what the module speaks. */
struct kfaas_ioc_version {
	__u32	size;
	__u32	abi_version;		/* out: KFAAS_IOC_ABI_VERSION */
	__u32	max_funcs;		/* out: KFAAS_MOD_MAX_FUNCS */
	__u32	nr_funcs;		/* out: registered functions */
	__u64	reserved[2];		/* out: zero */
};

/* KFAAS_IOC_FN_REGISTER, _FN_UNREGISTER, _FN_SET_LIMITS, _FN_GET. */
struct kfaas_ioc_fn {
	__u32	size;
	__u32	id;			/* 1 .. KFAAS_MOD_MAX_FUNCS - 1 */
	__u32	flags;			/* zero */
	__u32	reserved;		/* zero */
	struct kfaas_limits limits;	/* in (register, set), out (get) */
};

/* KFAAS_IOC_STATS_GET: one function's counters, summed over CPUs. */
struct kfaas_ioc_stats {
	__u32	size;
	__u32	id;
	__u64	reserved;		/* zero */
	struct kfaas_stats stats;	/* out */
};

/* One entry of a batch read. */
struct kfaas_stats_entry {
	__u32	id;
	__u32	reserved;		/* zero */
	struct kfaas_stats stats;
};

/*
 * KFAAS_IOC_STATS_BATCH: the counters of the registered functions with
 * id >= start_id, in id order, at most max_entries of them (and at most
 * KFAAS_IOC_BATCH_MAX), into the user array at entries.  next_id is where
 * to continue (0: no more).
 */
#define KFAAS_IOC_BATCH_MAX	256	/* keeps the module's bounce buffer small */
struct kfaas_ioc_stats_batch {
	__u32	size;
	__u32	start_id;		/* in */
	__u32	max_entries;		/* in: capacity of entries */
	__u32	count;			/* out: entries filled */
	__u32	next_id;		/* out */
	__u32	reserved;		/* zero */
	__u64	entries;		/* in: struct kfaas_stats_entry * */
};

/*
 * KFAAS_IOC_CHARGE: add usage measured outside BPF (the microVM tier of
 * kfaasd) to a function's counters; the CPU time and bytes also drain its
 * budget.
 */
struct kfaas_ioc_charge {
	__u32	size;
	__u32	id;
	__u64	reserved;		/* zero */
	struct kfaas_stats delta;
};

/* KFAAS_IOC_RESET: zero the counters of one function, or all (id 0). */
struct kfaas_ioc_reset {
	__u32	size;
	__u32	id;
	__u64	reserved;		/* zero */
};

/*
 * No implicit padding in the ioctl structures: each size is the sum of its
 * fields' sizes, so every byte the module copies out is a field it set
 * (nothing uninitialised reaches userspace, kmod/dev.c) and the tests can
 * check every byte (tests/kmod/guest/kmod_fuzz.c).  C11's _Static_assert:
 * the module, the BPF programs and userspace compile these alike.
 */
_Static_assert(sizeof(struct kfaas_ioc_version) == 4 * 4 + 2 * 8,
	       "struct kfaas_ioc_version has padding");
_Static_assert(sizeof(struct kfaas_ioc_fn) == 4 * 4 + 6 * 8,
	       "struct kfaas_ioc_fn has padding");
_Static_assert(sizeof(struct kfaas_ioc_stats) == 2 * 4 + 8 + 8 * 8,
	       "struct kfaas_ioc_stats has padding");
_Static_assert(sizeof(struct kfaas_stats_entry) == 2 * 4 + 8 * 8,
	       "struct kfaas_stats_entry has padding");
_Static_assert(sizeof(struct kfaas_ioc_stats_batch) == 6 * 4 + 8,
	       "struct kfaas_ioc_stats_batch has padding");
_Static_assert(sizeof(struct kfaas_ioc_charge) == 2 * 4 + 8 + 8 * 8,
	       "struct kfaas_ioc_charge has padding");
_Static_assert(sizeof(struct kfaas_ioc_reset) == 2 * 4 + 8,
	       "struct kfaas_ioc_reset has padding");

#ifndef __bpf__
#ifdef __KERNEL__
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif
#define KFAAS_IOC_MAGIC		0xfa
#define KFAAS_IOC_VERSION	_IOWR(KFAAS_IOC_MAGIC, 1, struct kfaas_ioc_version)
#define KFAAS_IOC_FN_REGISTER	_IOWR(KFAAS_IOC_MAGIC, 2, struct kfaas_ioc_fn)
#define KFAAS_IOC_FN_UNREGISTER	_IOWR(KFAAS_IOC_MAGIC, 3, struct kfaas_ioc_fn)
#define KFAAS_IOC_FN_SET_LIMITS	_IOWR(KFAAS_IOC_MAGIC, 4, struct kfaas_ioc_fn)
#define KFAAS_IOC_FN_GET	_IOWR(KFAAS_IOC_MAGIC, 5, struct kfaas_ioc_fn)
#define KFAAS_IOC_STATS_GET	_IOWR(KFAAS_IOC_MAGIC, 6, struct kfaas_ioc_stats)
#define KFAAS_IOC_STATS_BATCH	_IOWR(KFAAS_IOC_MAGIC, 7, struct kfaas_ioc_stats_batch)
#define KFAAS_IOC_CHARGE	_IOWR(KFAAS_IOC_MAGIC, 8, struct kfaas_ioc_charge)
#define KFAAS_IOC_RESET		_IOWR(KFAAS_IOC_MAGIC, 9, struct kfaas_ioc_reset)
#endif /* !__bpf__ */

#endif /* KFAAS_ABI_H */
