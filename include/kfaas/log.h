/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * Function logs of the eBPF tiers, defined once for the BPF programs and
 * userspace: the record kfaas_log() (bpf/kfaas_log.h) writes to the ring
 * buffer kfaas_logs, and the per-CPU rate-limit state and counters of
 * every function in kfaas_log_state (both declared in bpf/kfaas_maps.h).
 * kfaasd collects the ring into its run directory; without it 'kfaas logs'
 * reads the ring itself (user/lib/logs_ring.c).  docs/sdk.md, "Logging".
 *
 * The limits are build-time defaults of the SDK: a function built with
 * -DKFAAS_LOG_RATE=N gets another rate; the ring's size is the pinned
 * map's, whatever a function was built with.
 */
#ifndef KFAAS_LOG_H
#define KFAAS_LOG_H

#if !defined(__bpf__) && !defined(__KERNEL__)
#include <linux/types.h>
#endif

/* Message bytes of a record, its NUL included: longer ones are cut. */
#define KFAAS_LOG_MSG_MAX	192
/* Bytes of the ring buffer (a power of two, a multiple of the page). */
#ifndef KFAAS_LOG_RING_SIZE
#define KFAAS_LOG_RING_SIZE	(256 * 1024)
#endif
/*
 * The token bucket of a function, per CPU: KFAAS_LOG_RATE records a
 * second, bursts of KFAAS_LOG_BURST.  A record over it is not written and
 * counted in dropped_rate; one that finds the ring full, in dropped_ring.
 * kfaasd applies the same bucket to a VM-tier function's records.
 */
#ifndef KFAAS_LOG_RATE
#define KFAAS_LOG_RATE		100
#endif
#ifndef KFAAS_LOG_BURST
#define KFAAS_LOG_BURST		50
#endif

/* kfaas_log_rec.flags */
#define KFAAS_LOG_F_TRUNCATED	(1U << 0)	/* the message was cut */
#define KFAAS_LOG_F_BADFMT	(1U << 1)	/* bpf_snprintf() failed */
/*
 * The client's address is not known: a socket-tier connection whose
 * client closed its sending side before the listener accepted it (it is
 * then served through the listener, not from the sockhash).
 */
#define KFAAS_LOG_F_NOSRC	(1U << 2)

/*
 * One record of kfaas_logs: its header, then the message.  The addresses
 * are the request's: src the client's, dst the function's (the route's);
 * family 0 when unknown.
 */
struct kfaas_log_hdr {
	__u64	ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32	fn_id;
	__u8	tier;		/* KFAAS_TIER_XDP or KFAAS_TIER_SK */
	__u8	family;		/* KFAAS_FAMILY_IPV4 / _IPV6, or 0 */
	__u8	proto;		/* IPPROTO_UDP (17) or IPPROTO_TCP (6) */
	__u8	flags;		/* KFAAS_LOG_F_* */
	__be16	sport;		/* network byte order */
	__be16	dport;
	__u16	len;		/* message bytes, the NUL not counted */
	__u16	pad;
	__u8	saddr[16];	/* IPv4 in [0..3] */
	__u8	daddr[16];
};

struct kfaas_log_rec {
	struct kfaas_log_hdr	h;
	char			msg[KFAAS_LOG_MSG_MAX];
};

/* kfaas_log_state: per function (by id), per CPU. */
struct kfaas_log_state {
	__u64	last_ns;	/* the bucket was last filled up to here */
	__u64	tokens;		/* records it may still write */
	__u64	records;	/* written to the ring */
	__u64	dropped_rate;	/* over the rate: not written */
	__u64	dropped_ring;	/* the ring was full: not written */
};

#endif /* KFAAS_LOG_H */
