/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfuncs of kfaas.ko: their one declaration, compiled by the module
 * (kmod/kfunc.c defines them) and by the BPF programs that call them (the
 * dispatcher, the SDK, the module tests), as the kernel's
 * tools/testing/selftests/bpf/bpf_testmod/bpf_testmod_kfunc.h is.
 *
 * One object must load with and without the module (kernel 6.1, libbpf
 * 1.1).  For BPF programs the kfuncs are __weak externs, and every program
 * that calls them exists twice in its object: a variant without kfunc
 * calls and one with them (name prefix kfaas_fnk_ / suffix _km).  The
 * loader (user/lib/loader.c, user/lib/state.c) loads exactly one: the
 * kfunc variant when /sys/kernel/btf/kfaas exists.  A .rodata flag that
 * turns the calls into dead code is not enough: once libbpf has resolved
 * the extern against the module, the verifier takes a reference on the
 * module for every kfunc call in the instructions, dead or not, and rmmod
 * is refused for as long as the program lives.  So a program loaded
 * without the module's accounting must not contain the calls at all.
 */
#ifndef KFAAS_KFUNCS_H
#define KFAAS_KFUNCS_H

#include <kfaas/abi.h>

#ifdef __KERNEL__
#define __kfaas_kfunc
#else
#include <bpf/bpf_helpers.h>
#define __kfaas_kfunc	__ksym __weak
#endif

/* KFAAS_ADMIT, KFAAS_THROTTLE (counted), or -errno (unknown fn: admit). */
extern int kfaas_kf_admit(__u32 fn_id, __u32 bytes) __kfaas_kfunc;
/* Account one invocation (enum kfaas_outcome); 0 or -errno (not counted). */
extern int kfaas_kf_charge(__u32 fn_id, __u64 cpu_ns, __u32 bytes_in,
			   __u32 bytes_out, __u32 outcome) __kfaas_kfunc;

#endif /* KFAAS_KFUNCS_H */
