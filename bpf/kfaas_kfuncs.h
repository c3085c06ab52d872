/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfuncs of kfaas.ko (kmod/kfunc.c), for the dispatcher and the SDK.
 *
 * One object must load with and without the module.  On 6.1 with libbpf
 * 1.1 the only way is a __weak extern called behind a .rodata flag that
 * the loader sets before load (user/lib/loader.c, user/lib/state.c): with
 * kfaas_have_module == 0 the verifier drops the calls as dead code.
 * Never call these without testing kfaas_have_module first.
 */
#ifndef KFAAS_KFUNCS_H
#define KFAAS_KFUNCS_H

#include <bpf/bpf_helpers.h>
#include <kfaas/abi.h>

/* 1 when the loader found kfaas.ko (/sys/kernel/btf/kfaas). */
const volatile __u32 kfaas_have_module;

/* KFAAS_ADMIT, KFAAS_THROTTLE (counted), or -errno (unknown fn: admit). */
extern int kfaas_kf_admit(__u32 fn_id, __u32 bytes) __ksym __weak;
/* Account one invocation (enum kfaas_outcome); 0 or -errno (not counted). */
extern int kfaas_kf_charge(__u32 fn_id, __u64 cpu_ns, __u32 bytes_in,
			   __u32 bytes_out, __u32 outcome) __ksym __weak;

#endif /* KFAAS_KFUNCS_H */
