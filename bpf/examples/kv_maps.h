/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kv cache's maps, declared once for its two objects: the XDP
 * function (kv.bpf.c, loaded by 'kfaas fn load', which pins them under
 * PINROOT/fn/NAME/) and the server-side hooks (kv_hooks.bpf.c, loaded by
 * 'kfaas-kv attach', which reuses those pins).  Layouts: kv.h.
 */
#ifndef KFAAS_EX_KV_MAPS_H
#define KFAAS_EX_KV_MAPS_H

#include "kv.h"

/* The cache: key -> entry; bounded, least recently used evicted first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KV_ENTRIES);
	__type(key, struct kv_key);
	__type(value, struct kv_value);
} kv_cache SEC(".maps");

/* Per key slot: generation, holds, TTL deadlines (struct kv_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KV_SLOTS);
	__type(key, __u32);
	__type(value, struct kv_slot);
} kv_slots SEC(".maps");

/*
 * The cache as a whole: epoch, global hold, configuration.  Mappable:
 * kfaas-kv changes epoch and pend_global with atomic operations too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_conf);
} kv_conf SEC(".maps");

/* Counters, printed by name by 'kfaas stats NAME' (struct kv_xstats). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_xstats);
} xstats SEC(".maps");

/* UDP requests in flight: a get's lease, a write's pending reply. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KV_REQS);
	__type(key, struct kv_req_key);
	__type(value, struct kv_req);
} kv_reqs SEC(".maps");

#endif
