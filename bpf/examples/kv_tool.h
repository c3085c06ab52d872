/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaas-kv's parts (kv.c: the entries; kv_attach.c: the server-side
 * hooks and the counters).
 */
#ifndef KFAAS_EX_KV_TOOL_H
#define KFAAS_EX_KV_TOOL_H

#include <stdbool.h>
#include "example_tool.h"
#include "kv.h"

#define KV_TOOL	"kfaas-kv"

/* The function's kv_conf, mapped (NULL: not the cache, e.g. kvtcp). */
struct kv_conf *kv_conf_map(const struct example_fn *fn);
void kv_conf_unmap(struct kv_conf *conf);
/* Monotonic ns, bpf_ktime_get_ns()'s clock. */
__u64 kv_now_ns(void);

int kv_attach(const struct example_fn *fn, int argc, char **argv);
int kv_detach(const struct example_fn *fn);
int kv_stats(const struct example_fn *fn);

#endif
