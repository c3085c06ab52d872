/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest agent's files: agent.c (boot, the channel, a process per
 * request) and resident.c (the resident process of --resident
 * functions, include/kfaas/resident.h).
 */
#ifndef KFAAS_AGENT_PRIV_H
#define KFAAS_AGENT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <kfaas/agent.h>
#include <kfaas/resident.h>

struct kfaas_iobuf;

extern const char *fn_path;	/* /fn, or the executable of --stdio */
extern bool as_init;		/* PID 1 of a guest (not --stdio) */

/* A line on the guest console (or the test's stderr). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send one message made of up to three pieces: 0, or -errno. */
int send_msg(__u16 type, __u32 seq, const void *a, size_t alen,
	     const void *b, size_t blen, const void *c, size_t clen);
/*
 * Start /fn (own session, clean environment, unprivileged; resident:
 * KFAAS_RESIDENT=1 too) on three non-blocking pipes, our ends in *in,
 * *out, *err: 0, or -errno with nothing left open.
 */
int fn_start(bool resident, pid_t *pid, int *pidfd, int *in, int *out,
	     int *err);
/*
 * Read what the function wrote on fd into b, keeping at most limit bytes:
 * *over once it wrote more (what is over is read and dropped, so that the
 * function never blocks on a full pipe).  1: more may come; 0: end of
 * file; -errno.
 */
int capture(int fd, struct kfaas_iobuf *b, size_t limit, bool *over);
int set_nonblock(int fd);
void close_fd(int *fd);
void reap_orphans(void);

/* ---- resident.c ---- */
/* Serve one RUN with the resident process and answer it with a RESULT. */
void resident_run(__u32 seq, const char *req, size_t len, __u32 max_out);

#endif /* KFAAS_AGENT_PRIV_H */
