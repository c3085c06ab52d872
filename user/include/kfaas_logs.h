/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function logs (libkfaas: logs.c, logs_ring.c, logs_file.c): what the
 * functions of every tier said, as one stream of entries.
 *
 *   eBPF tiers  kfaas_log() records (include/kfaas/log.h) in the pinned
 *               ring buffer kfaas_logs; one reader at a time consumes it
 *               (kfaasd, else 'kfaas logs -f'), anyone may look at what
 *               it holds without consuming it
 *   VM tier     kfaasd makes an entry of each invocation that wrote to
 *               stderr or failed
 *   history     kfaasd appends every entry to RUNDIR/logs/NAME.log, one
 *               JSON object a line (the format of 'kfaas logs -j'),
 *               rotated to NAME.log.1 at half the byte cap
 *
 * docs/sdk.md ("Logging"), docs/kfaasd.md, docs/cli.md (kfaas logs).
 */
#ifndef KFAAS_LOGS_H
#define KFAAS_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <kfaas/abi.h>
#include <kfaas/agent.h>
#include <kfaas/log.h>

struct kfaas_state;

/* Bytes of an entry's message: a VM invocation's stderr head at most. */
#define KFAAS_LOG_TEXT_MAX	(KFAAS_AGENT_STDERR_MAX + KFAAS_LOG_MSG_MAX)

enum kfaas_log_kind {
	KFAAS_LOG_RECORD = 0,	/* what the function said */
	KFAAS_LOG_DROPPED,	/* records of it that were not kept: how many */
};

/* What a dropped-records entry counts. */
enum kfaas_log_drop_reason {
	KFAAS_LOG_DROP_RATE = 0,	/* over the function's rate */
	KFAAS_LOG_DROP_RING,		/* the ring buffer was full */
	KFAAS_LOG_DROP_MAX,
};

/* One entry of the stream, of any tier. */
struct kfaas_log_entry {
	uint64_t	time_ns;	/* CLOCK_REALTIME */
	char		fn[KFAAS_NAME_LEN];
	unsigned int	tier;		/* enum kfaas_tier */
	int		kind;		/* enum kfaas_log_kind */
	/* the request (eBPF tiers): family 0 when unknown */
	uint8_t		family;		/* KFAAS_FAMILY_IPV4 / _IPV6 */
	uint8_t		proto;		/* IPPROTO_UDP / _TCP */
	uint16_t	sport, dport;	/* host byte order */
	uint8_t		saddr[16], daddr[16];
	bool		nosrc;		/* the client's address is not known */
	bool		truncated;	/* the message was cut */
	/* the VM tier */
	bool		ran;		/* status and duration are set */
	int		status;		/* wait(2) status of the function */
	uint64_t	duration_ns;	/* its run time in the guest */
	char		error[256];	/* why the invocation failed, or "" */
	/* KFAAS_LOG_DROPPED */
	uint64_t	dropped;
	int		reason;		/* enum kfaas_log_drop_reason */
	size_t		len;
	char		msg[KFAAS_LOG_TEXT_MAX + 1];	/* NUL-terminated */
};

/* ---- entries (logs.c) ---- */
/* An entry of a ring record; mono_to_real: CLOCK_REALTIME - MONOTONIC. */
void kfaas_log_entry_of_rec(struct kfaas_log_entry *e,
			    const struct kfaas_log_rec *r, const char *fn,
			    int64_t mono_to_real);
/* Set the message: len bytes of text (cut to KFAAS_LOG_TEXT_MAX). */
void kfaas_log_entry_set_msg(struct kfaas_log_entry *e, const char *text,
			     size_t len);
/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns. */
int64_t kfaas_log_mono_to_real(void);
/*
 * The entry as one line of JSON, without a newline, malloc()ed: NULL
 * when out of memory.  Its message is valid UTF-8 (other bytes become
 * U+FFFD).
 */
char *kfaas_log_entry_json(const struct kfaas_log_entry *e);
/* Parse such a line: 0, or -EINVAL when it is not one. */
int kfaas_log_entry_parse(const char *line, struct kfaas_log_entry *e);
/* One end of its request: "ADDR:PORT", "[ADDR]:PORT" (src: the client). */
void kfaas_log_entry_endpoint(const struct kfaas_log_entry *e, bool src,
			      char *buf, size_t len);
/* One line a line of its message: "TIME NAME[TIER] ...: TEXT" */
void kfaas_log_entry_print(FILE *out, const struct kfaas_log_entry *e);
const char *kfaas_log_drop_reason_name(int reason);

/*
 * A time as --since takes it: "@SECONDS[.FRACTION]" since the epoch,
 * "N{s,m,h,d}" ago, or "YYYY-MM-DD[ HH:MM[:SS[.FRACTION]]]" (also with
 * 'T'; local time, UTC with a trailing 'Z').  0, or -EINVAL.
 */
int kfaas_log_time_parse(const char *s, uint64_t *realtime_ns);

/* ---- the ring buffer and the counters (logs_ring.c) ---- */
struct kfaas_log_ring;
/*
 * Open the pin root's ring.  consume: as its one reader, which takes the
 * reader lock (PINROOT/log_reader): -EBUSY (message set) when another
 * reader has it.  Otherwise a look at what it holds, consuming nothing.
 */
int kfaas_log_ring_open(struct kfaas_state *st, bool consume,
			struct kfaas_log_ring **out);
void kfaas_log_ring_close(struct kfaas_log_ring *r);
/* Readable (epoll) when the ring holds records: the map's fd. */
int kfaas_log_ring_fd(const struct kfaas_log_ring *r);
/*
 * Every record the ring holds, oldest first, to cb (stop early: return
 * non-zero); a consuming ring forgets each after cb.  Returns the number
 * of records, or -errno.  *skipped (or NULL): records of another layout.
 */
int kfaas_log_ring_read(struct kfaas_log_ring *r,
			int (*cb)(void *ctx, const struct kfaas_log_rec *rec),
			void *ctx, size_t *skipped);

/* A function's counters, summed over CPUs (kfaas_log_state). */
struct kfaas_log_counters {
	uint64_t	records;
	uint64_t	dropped[KFAAS_LOG_DROP_MAX];
};
int kfaas_log_counters_read(struct kfaas_state *st, __u32 id,
			    struct kfaas_log_counters *c);
/* Zero them and fill the bucket again (a function (re)loaded). */
int kfaas_log_counters_reset(struct kfaas_state *st, __u32 id);

/*
 * Drop notices: what a reader saw of every function's drop counters, so
 * that it reports each drop once, as a KFAAS_LOG_DROPPED entry.  The
 * first check of a function reports its drops since it was loaded.
 */
struct kfaas_log_drops {
	struct kfaas_log_counters seen[KFAAS_MAX_FUNCS];
	uint64_t	load_time[KFAAS_MAX_FUNCS];	/* whose counters */
};
/* Report new drops of fn_id (0: of every eBPF function) through cb. */
int kfaas_log_drops_check(struct kfaas_state *st, struct kfaas_log_drops *d,
			  __u32 fn_id,
			  void (*cb)(void *ctx, const struct kfaas_log_entry *e),
			  void *ctx);

/* ---- kfaasd's history (logs_file.c) ---- */
/* RUNDIR/logs of the pin root's kfaasd (found as kfaas_daemon_run_dir()). */
int kfaas_log_dir(const char *pin_root, char *buf, size_t len);
/* The history's directory in run_dir (kfaasd: its own --run-dir). */
int kfaas_log_dir_in(const char *run_dir, char *buf, size_t len);
/* DIR/NAME.log (old: DIR/NAME.log.1). */
int kfaas_log_file(const char *dir, const char *fn, bool old, char *buf,
		   size_t len);
/*
 * Append the line (and a newline) to fn's history in dir, keeping it
 * under cap bytes: at cap / 2 NAME.log becomes NAME.log.1 (the one
 * before is gone).  0 or -errno.
 */
int kfaas_log_file_append(const char *dir, const char *fn, const char *line,
			  size_t cap);
#endif /* KFAAS_LOGS_H */
