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

/* THE trigger/routing table of every tier: trigger -> function. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KFAAS_MAX_ROUTES);
	__type(key, struct kfaas_route_key);
	__type(value, struct kfaas_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} kfaas_routes SEC(".maps");

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
	__type(value, struct kfaas_config);
} kfaas_config SEC(".maps");

#endif /* KFAAS_MAPS_H */
