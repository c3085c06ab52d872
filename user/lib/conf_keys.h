/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The keys of kfaas.conf(5) that map onto structure fields, shared by the
 * parser (conf.c, which defines them) and the emitter (conf_emit.c), so a
 * key is spelled in one place.  Private to libkfaas.
 */
#ifndef KFAAS_CONF_KEYS_H
#define KFAAS_CONF_KEYS_H

#include <stddef.h>
#include <linux/types.h>

struct kfaas__conf_key {
	const char	*key;
	size_t		off;	/* in struct kfaas_limits / kfaas_vm_params */
	__u32		min, max;	/* VM numbers: the range allowed */
	const char	*unit;
};
/* A budget's buckets (__u64 fields of struct kfaas_limits). */
extern const struct kfaas__conf_key kfaas__budget_keys[];
extern const size_t kfaas__n_budget_keys;
/* A VM function's numbers (__u32 fields of struct kfaas_vm_params). */
extern const struct kfaas__conf_key kfaas__vm_keys[];
extern const size_t kfaas__n_vm_keys;

#endif
