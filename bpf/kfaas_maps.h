/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every BPF map kfaas shares between programs, in one place.
 *
 * Each map is pinned under the pin root (default /sys/fs/bpf/kfaas) as the
 * map name without its "kfaas_" prefix: kfaas_routes -> PINROOT/routes.
 * The loader (user/lib/loader.c) points every map whose name starts with
 * "kfaas_" at that pin, so the dispatcher and every function share one
 * instance.  Sizes are build-time defaults (include/kfaas/abi.h); the
 * loader resizes each object's copy to the pinned map before loading.
 */
#ifndef KFAAS_MAPS_H
#define KFAAS_MAPS_H

#include <kfaas/abi.h>
#include <kfaas/log.h>

/* THE trigger/routing table of every tier: trigger -> function. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_MAX_ROUTES);
	__type(key, struct kfaas_route_key);
	__type(value, struct kfaas_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_routes SEC(".maps");

/*
 * The UDP routes of the XDP dispatcher, indexed by destination port (host
 * order): the port-only route's value (fn_id 0: none), flagged
 * KFAAS_ROUTE_F_ADDRS when the port also has routes with a destination
 * address (then kfaas_routes is asked first).  A copy libkfaas keeps of
 * kfaas_routes, which stays the table of record: an array element is an
 * index, where a hash of a 20-byte key costs ~16 ns per frame.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct kfaas_route);
} kfaas_port_routes SEC(".maps");

/*
 * Function chains (struct kfaas_chain), by the chain id a route with
 * KFAAS_ROUTE_F_CHAIN names.  A hash, not preallocated: replacing a chain
 * puts a new element in place of the old in one update, so the
 * dispatcher reads the old chain or the new one, never a mix.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_MAX_CHAINS);
	__type(key, __u32);
	__type(value, struct kfaas_chain);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_chains SEC(".maps");

/* Function registry: id -> name, tier, source, load time, program tag. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_fn_info);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_funcs SEC(".maps");

/* XDP-tier functions by id: the dispatcher tail-calls through it. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, __u32);
} kfaas_progs SEC(".maps");

/* Per-function counters, per CPU: the accounting used without kfaas.ko. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_stats);
} kfaas_stats SEC(".maps");

/*
 * Budgets set with 'kfaas budget set' (fn id -> struct kfaas_budget_rec):
 * the limits, kept so that 'kfaas module load' gives them to kfaas.ko,
 * and their token buckets, which the dispatchers and the SDKs use when
 * the module does not enforce the budget (routes of a function with a
 * budget carry KFAAS_ROUTE_F_BUDGET, so others never look here).  Not
 * preallocated: a budget change replaces the element, so a program sees
 * the old record or the new one, never a mix.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_budget_rec);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_budgets SEC(".maps");

/*
 * The reflection guard: a token bucket per (function, source prefix) of
 * the routes with KFAAS_ROUTE_F_GUARD (struct kfaas_tat: the bucket's
 * full time; rate and burst in the globals).  LRU: a flood of spoofed
 * prefixes evicts the oldest buckets, never fails.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KFAAS_GUARD_PREFIXES);
	__type(key, struct kfaas_guard_key);
	__type(value, struct kfaas_tat);
} kfaas_guard SEC(".maps");

/*
 * Loop ports: bit p of word p / 64 is set when a request from UDP source
 * port p must not be answered (its reply would be a request to a kfaas
 * route or a well-known UDP service).  Written by libkfaas; below
 * config.loop_below only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536 / 64);
	__type(key, __u32);
	__type(value, __u64);
} kfaas_loop_ports SEC(".maps");

/* Refusals of the reflection and loop defences, per function, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_guard_stats);
} kfaas_guard_stats SEC(".maps");

/*
 * Per-function counters of the tiers userspace charges (kfaasd's VM tier),
 * used without kfaas.ko.  Written only by kfaasd, one read-modify-write
 * at a time (no BPF program touches it: a userspace writer cannot update
 * the per-CPU kfaas_stats safely while programs do); kfaas_stats_read()
 * adds it to kfaas_stats, so every tier shows in one table.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_stats);
} kfaas_ustats SEC(".maps");

/* Dispatcher-wide counters, per CPU, indexed by enum kfaas_dstat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KFAAS_DSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kfaas_dstats SEC(".maps");

/* Dispatcher -> function hand-over for the current invocation, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfaas_scratch);
} kfaas_scratch SEC(".maps");

/* Global configuration written by the CLI (one entry). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfaas_globals);
} kfaas_config SEC(".maps");

/* ---- the socket tier (docs/socket-tier.md) ---- */

/* Client sockets of sk-tier routes and their relays, keyed by cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, KFAAS_SK_MAX_SOCKS);
	__type(key, __u64);
	__type(value, __u64);
} kfaas_sk_socks SEC(".maps");

/* Which socket of kfaas_sk_socks is which: cookie -> struct kfaas_sk_link. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * KFAAS_SK_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct kfaas_sk_link);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_sk_links SEC(".maps");

/* Socket-tier functions by id: the sk dispatcher tail-calls through it. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, __u32);
} kfaas_sk_progs SEC(".maps");

/* Per-connection request reassembly, keyed by the client socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_SK_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct kfaas_sk_conn);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_sk_conns SEC(".maps");

/* Socket-tier dispatcher counters, per CPU, by enum kfaas_sk_dstat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KFAAS_SK_DSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kfaas_sk_dstats SEC(".maps");

/* Function -> listener requests (close a connection), kfaas_sk_event. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} kfaas_sk_events SEC(".maps");

/* The listener serving the sk routes (written by userspace only). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kfaas_sk_server_info);
} kfaas_sk_server SEC(".maps");

/* ---- function logs (include/kfaas/log.h, docs/sdk.md "Logging") ---- */

/*
 * What the eBPF tiers' functions log with kfaas_log(): struct
 * kfaas_log_rec records, read by kfaasd (or 'kfaas logs -f' without it).
 * A full ring drops records (counted), it never stalls a function.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KFAAS_LOG_RING_SIZE);
} kfaas_logs SEC(".maps");

/*
 * Per function (by id), per CPU: the rate limit of its records (a token
 * bucket) and its counters: written, dropped over the rate, dropped on a
 * full ring.  Reset when the function is (re)loaded.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KFAAS_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct kfaas_log_state);
} kfaas_log_state SEC(".maps");

/* Count a dispatcher event (enum kfaas_dstat). */
static __always_inline void kfaas_dstat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kfaas_dstats, &idx);

	if (v)
		*v += 1;
}

/* The globals (one entry, always there). */
static __always_inline struct kfaas_globals *kfaas_globals(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kfaas_config, &zero);
}

/*
 * The route for a trigger, as every tier's dispatcher looks it up: the
 * exact destination address first when such routes exist
 * (cfg->addr_routes), then the port-only route.  addr: 16 bytes.
 */
static __always_inline const struct kfaas_route *
kfaas_route_lookup(const struct kfaas_globals *cfg, __u8 proto, __u8 family,
		   __be16 port, const __u8 *addr)
{
	struct kfaas_route_key key = { .proto = proto, .port = port };
	const struct kfaas_route *r;

	if (cfg->addr_routes) {
		key.family = family;
		__builtin_memcpy(key.addr, addr, sizeof(key.addr));
		r = bpf_map_lookup_elem(&kfaas_routes, &key);
		if (r)
			return r;
		key.family = KFAAS_FAMILY_ANY;
		__builtin_memset(key.addr, 0, sizeof(key.addr));
	}
	return bpf_map_lookup_elem(&kfaas_routes, &key);
}

/*
 * The same for a UDP frame, as the XDP dispatcher looks it up: the port's
 * element of kfaas_port_routes, and the hash only for a port that has
 * address routes.  port: host order.  NULL: no route.
 */
static __always_inline const struct kfaas_route *
kfaas_udp_route_lookup(__u32 port, __u8 family, const __u8 *addr)
{
	const struct kfaas_route *p = bpf_map_lookup_elem(&kfaas_port_routes,
							  &port);
	struct kfaas_route_key key = {
		.proto = 17 /* IPPROTO_UDP */,
		.family = family,
		.port = bpf_htons((__u16)port),
	};
	const struct kfaas_route *r;

	if (!p)
		return NULL;
	if (p->flags & KFAAS_ROUTE_F_ADDRS) {
		__builtin_memcpy(key.addr, addr, sizeof(key.addr));
		r = bpf_map_lookup_elem(&kfaas_routes, &key);
		if (r)
			return r;
	}
	return p->fn_id ? p : NULL;
}

#endif /* KFAAS_MAPS_H */
