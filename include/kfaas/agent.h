/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * The protocol between kfaasd (host) and the guest agent (/init of every
 * VM-tier microVM), spoken over one virtio-serial port named
 * KFAAS_AGENT_PORT.  Both ends are userspace programs built from this
 * tree; the one definition of the messages is here.
 *
 * Every message is a header followed by len payload bytes.  All integers
 * are little endian (both ends run on the same machine).  The agent answers
 * every request with exactly one message carrying the same seq.
 *
 *   guest -> host  HELLO     once, when the agent is ready (after boot)
 *   host -> guest  RUN       struct kfaas_agent_run + request bytes (run
 *                            /fn for it, or give it to the resident /fn)
 *   guest -> host  RESULT    struct kfaas_agent_result + stdout + stderr
 *   host -> guest  RESTORE   struct kfaas_agent_restore (after a snapshot
 *                            restore: reseed the RNG, set the clock)
 *   guest -> host  RESTORED  struct kfaas_agent_restored
 *   host -> guest  PING      no payload
 *   guest -> host  PONG      no payload
 */
#ifndef KFAAS_AGENT_H
#define KFAAS_AGENT_H

#include <linux/types.h>

#define KFAAS_AGENT_MAGIC	0x4d56464bU	/* "KFVM" */
#define KFAAS_AGENT_VERSION	1
#define KFAAS_AGENT_PORT	"org.kfaas.agent.0"
/* Largest payload of one message (request or result). */
#define KFAAS_AGENT_MAX_PAYLOAD	(16U << 20)
/* stderr bytes a RESULT carries at most (the tail is dropped). */
#define KFAAS_AGENT_STDERR_MAX	2048
/* uid/gid the function runs as inside the guest. */
#define KFAAS_AGENT_FN_UID	1000
/* Path of the function executable inside the guest image. */
#define KFAAS_AGENT_FN_PATH	"/fn"
/* List of kernel modules the agent loads, one path per line, in order. */
#define KFAAS_AGENT_MODULES	"/etc/kfaas/modules"

enum kfaas_agent_type {
	KFAAS_AGENT_HELLO	= 1,
	KFAAS_AGENT_RUN		= 2,
	KFAAS_AGENT_RESULT	= 3,
	KFAAS_AGENT_RESTORE	= 4,
	KFAAS_AGENT_RESTORED	= 5,
	KFAAS_AGENT_PING	= 6,
	KFAAS_AGENT_PONG	= 7,
};

struct kfaas_agent_hdr {
	__u32	magic;		/* KFAAS_AGENT_MAGIC */
	__u16	type;		/* enum kfaas_agent_type */
	__u16	flags;		/* zero */
	__u32	seq;		/* echoed in the answer */
	__u32	len;		/* payload bytes that follow */
};

struct kfaas_agent_hello {
	__u32	version;	/* KFAAS_AGENT_VERSION */
	__u32	modules;	/* kernel modules loaded */
	__u64	uptime_ns;	/* guest CLOCK_BOOTTIME when ready */
};

/* RUN flags */
/* serve it with the resident process (include/kfaas/resident.h) */
#define KFAAS_AGENT_RUN_RESIDENT	(1U << 0)

struct kfaas_agent_run {
	__u32	max_out;	/* stdout bytes allowed; more kills the function */
	__u32	flags;		/* KFAAS_AGENT_RUN_* */
	/* followed by the request (the function's stdin) */
};

/* RESULT flags */
#define KFAAS_AGENT_R_SPAWN_FAILED	(1U << 0)	/* exec failed: status = errno */
#define KFAAS_AGENT_R_TOO_LARGE		(1U << 1)	/* stdout over max_out: killed */
/* resident: the process ended while serving it (status: its wait status);
 * the next request gets a new one */
#define KFAAS_AGENT_R_EXITED		(1U << 2)
/* resident: it wrote something that is not the response's header; killed */
#define KFAAS_AGENT_R_BAD_FRAME		(1U << 3)
/* resident: the process was started for this request (not the VM's first) */
#define KFAAS_AGENT_R_RESTARTED		(1U << 4)

struct kfaas_agent_result {
	__s32	status;		/* wait(2) status of the function */
	__u32	flags;		/* KFAAS_AGENT_R_* */
	__u64	wall_ns;	/* fork to exit, guest CLOCK_MONOTONIC */
	__u64	cpu_ns;		/* user + system time of the function */
	__u32	out_len;	/* stdout bytes that follow */
	__u32	err_len;	/* then stderr bytes (its head) */
};

struct kfaas_agent_restore {
	__u64	realtime_ns;	/* host CLOCK_REALTIME */
	__u8	seed[64];	/* fresh host entropy */
};

struct kfaas_agent_restored {
	__s32	rc;		/* 0 or -errno of the first failure */
	__u32	pad;
};

#endif /* KFAAS_AGENT_H */
