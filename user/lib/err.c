// SPDX-License-Identifier: GPL-2.0
/* The last error of the library: one line saying what went wrong and what to do. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"

static __thread char errmsg[1024];
static __thread char verifier_log[KFAAS_VLOG_TAIL];

const char *kfaas_errmsg(void)
{
	return errmsg;
}

int kfaas_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (!verbose)
		return 0;	/* failures reach the user through kfaas_err() */
	return vfprintf(stderr, fmt, ap);
}

void kfaas_set_verbose(bool on)
{
	verbose = on;
	libbpf_set_print(libbpf_print);
}

const char *kfaas_verifier_log(void)
{
	return verifier_log;
}

void kfaas__set_verifier_log(const char *log)
{
	size_t n;
	const char *p;

	if (!log) {
		verifier_log[0] = '\0';
		return;
	}
	n = strlen(log);
	/* keep the tail: the verifier explains a rejection at the end */
	p = n >= sizeof(verifier_log) ? log + n - (sizeof(verifier_log) - 1) : log;
	if (p != log) {
		const char *nl = strchr(p, '\n');

		if (nl)
			p = nl + 1;
	}
	snprintf(verifier_log, sizeof(verifier_log), "%s", p);
}

#ifdef KFAAS_CRASH_POINTS
void kfaas__crash_point(const char *where)
{
	static const char *at, *pause_at;

	if (!at)
		at = getenv("KFAAS_CRASH_AT") ?: "";
	if (*at && !strcmp(at, where))
		raise(SIGKILL);
	if (!pause_at)
		pause_at = getenv("KFAAS_PAUSE_AT") ?: "";
	if (*pause_at && !strcmp(pause_at, where))
		raise(SIGSTOP);		/* the test lets it go on with SIGCONT */
}

int kfaas__fail_point(const char *where)
{
	static const char *at;
	size_t n = strlen(where);
	const char *p;

	if (!at)
		at = getenv("KFAAS_FAIL_AT") ?: "";
	for (p = at; *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, where, n) && (p[n] == ',' || !p[n]))
			return kfaas_err(-EIO, "failure injected at %s "
					 "(KFAAS_FAIL_AT)", where);
	return 0;
}
#endif

int kfaas__errno_msg(int err, const char *what)
{
	if (err == -EPERM || err == -EACCES)
		return kfaas_err(err, "%s: permission denied: kfaas needs root "
				 "(CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)", what);
	return kfaas_err(err, "%s: %s", what, strerror(-err));
}
