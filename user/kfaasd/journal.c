// SPDX-License-Identifier: GPL-2.0
/*
 * A function log entry to the journal (logs.c sends every entry here when
 * kfaasd runs under systemd): sd_journal_sendv() with
 *   SYSLOG_IDENTIFIER  the function's name (journalctl -t NAME)
 *   KFAAS_FUNCTION     the same, the exact filter (journalctl KFAAS_FUNCTION=NAME)
 *   KFAAS_TIER         xdp, sk or vm
 *   PRIORITY           warning for drops and failed invocations, else info
 *   KFAAS_PROTO, KFAAS_SRC, KFAAS_DST      the request (eBPF tiers)
 *   KFAAS_EXIT_STATUS or KFAAS_SIGNAL, KFAAS_DURATION_NS, KFAAS_ERROR
 *                      the invocation (VM tier)
 *   KFAAS_DROPPED      records not kept, for a drop entry
 *   MESSAGE            what the function said
 * Its own file: <systemd/sd-journal.h> brings <syslog.h>, whose LOG_*
 * macros are not kfaasd's log levels (kfaasd.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <libkfaas.h>
#include <kfaas_logs.h>

#define FIELDS_MAX	12

/* "KEY=VALUE" of a field into iov (its text kept in buf). */
static void field(struct iovec *iov, int *n, char buf[][96], const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static void field(struct iovec *iov, int *n, char buf[][96], const char *fmt,
		  ...)
{
	va_list ap;
	int len;

	if (*n >= FIELDS_MAX)
		return;
	va_start(ap, fmt);
	len = vsnprintf(buf[*n], 96, fmt, ap);
	va_end(ap);
	iov[*n].iov_base = buf[*n];
	iov[*n].iov_len = len < 96 ? (size_t)len : 95;
	(*n)++;
}

int journal_send(const struct kfaas_log_entry *e)
{
	struct iovec iov[FIELDS_MAX + 1];
	char buf[FIELDS_MAX][96], end[64], *msg;
	int n = 0, rc;

	field(iov, &n, buf, "SYSLOG_IDENTIFIER=%s", e->fn);
	field(iov, &n, buf, "KFAAS_FUNCTION=%s", e->fn);
	field(iov, &n, buf, "KFAAS_TIER=%s", kfaas_tier_name(e->tier));
	field(iov, &n, buf, "PRIORITY=%d",
	      e->kind == KFAAS_LOG_DROPPED || e->error[0] ? LOG_WARNING : LOG_INFO);
	if (e->kind == KFAAS_LOG_DROPPED)
		field(iov, &n, buf, "KFAAS_DROPPED=%llu",
		      (unsigned long long)e->dropped);
	if (e->ran && WIFEXITED(e->status))
		field(iov, &n, buf, "KFAAS_EXIT_STATUS=%d", WEXITSTATUS(e->status));
	else if (e->ran && WIFSIGNALED(e->status))
		field(iov, &n, buf, "KFAAS_SIGNAL=%d", WTERMSIG(e->status));
	if (e->ran)
		field(iov, &n, buf, "KFAAS_DURATION_NS=%llu",
		      (unsigned long long)e->duration_ns);
	if (e->family) {
		field(iov, &n, buf, "KFAAS_PROTO=%s", e->proto == 6 ? "tcp" : "udp");
		kfaas_log_entry_endpoint(e, true, end, sizeof(end));
		if (!e->nosrc)
			field(iov, &n, buf, "KFAAS_SRC=%s", end);
		kfaas_log_entry_endpoint(e, false, end, sizeof(end));
		field(iov, &n, buf, "KFAAS_DST=%s", end);
	}
	if (e->error[0])
		field(iov, &n, buf, "KFAAS_ERROR=%.80s", e->error);
	/* the message: longer than a field's buffer, maybe binary */
	msg = malloc(e->len + 96);
	if (!msg)
		return -ENOMEM;
	if (e->kind == KFAAS_LOG_DROPPED) {
		iov[n].iov_len = (size_t)snprintf(msg, 96,
			"MESSAGE=%llu records dropped (%s)",
			(unsigned long long)e->dropped,
			kfaas_log_drop_reason_name(e->reason));
	} else if (!e->len && e->error[0]) {
		iov[n].iov_len = (size_t)snprintf(msg, 96, "MESSAGE=error: %.80s",
						  e->error);
	} else {
		memcpy(msg, "MESSAGE=", 8);
		memcpy(msg + 8, e->msg, e->len);
		iov[n].iov_len = 8 + e->len;
	}
	iov[n].iov_base = msg;
	rc = sd_journal_sendv(iov, n + 1);
	free(msg);
	return rc;
}

