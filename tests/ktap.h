/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP output for the C tests, following kselftest conventions:
 * "KTAP version 1", a plan, "ok N desc" / "not ok N desc", "# SKIP", and
 * exit status 0 (all passed), 1 (a failure) or 4 (skipped).
 */
#ifndef KFAAS_KTAP_H
#define KFAAS_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static int ktap_n, ktap_passed, ktap_failed, ktap_skipped, ktap_planned;

static inline void ktap_print_header(void)
{
	printf("KTAP version 1\n");
}

static inline void ktap_set_plan(int n)
{
	ktap_planned = n;
	printf("1..%d\n", n);
}

/*
 * "PROG --ktap-plan" prints how many cases PROG has and exits: a runner
 * that puts several programs' cases into one KTAP list writes its plan
 * before it runs any (tests/kmod/guest/suite.sh).  Call first in main().
 */
static inline void ktap_plan_query(int argc, char **argv, int n)
{
	if (argc == 2 && !strcmp(argv[1], "--ktap-plan")) {
		printf("%d\n", n);
		exit(KSFT_PASS);
	}
}

static inline void ktap_vprint_msg(const char *fmt, va_list ap)
{
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline void ktap_print_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vprint_msg(fmt, ap);
	va_end(ap);
}

static inline int ktap_test_result(int ok, const char *fmt, ...)
{
	va_list ap;

	ktap_n++;
	printf("%sok %d ", ok ? "" : "not ", ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		ktap_passed++;
	else
		ktap_failed++;
	return ok;
}

static inline void ktap_test_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	ktap_n++;
	ktap_skipped++;
	printf("ok %d ", ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

/* Skip the whole program (missing privilege, kernel feature). */
static inline void ktap_exit_skip(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

static inline int ktap_finished(void)
{
	if (ktap_planned && ktap_n != ktap_planned) {
		printf("# planned %d tests, ran %d\n", ktap_planned, ktap_n);
		ktap_failed++;
	}
	printf("# totals: pass:%d fail:%d skip:%d\n", ktap_passed,
	       ktap_failed, ktap_skipped);
	if (ktap_failed)
		return KSFT_FAIL;
	if (ktap_skipped && !ktap_passed)
		return KSFT_SKIP;
	return KSFT_PASS;
}

/* Evaluate cond as one test; print both values on failure. */
#define KTAP_EXPECT_EQ(a, b, ...) do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!ktap_test_result(_a == _b, __VA_ARGS__))			\
		ktap_print_msg("  %s = %lld, expected %s = %lld", #a, _a,	\
			       #b, _b);					\
} while (0)

#endif
