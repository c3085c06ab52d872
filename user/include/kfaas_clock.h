/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock of kfaas's userspace: deadlines, durations and timestamps in
 * nanoseconds (kfaasd, the guest agent, libkfaas).  Header only: the
 * static guest agent includes it without linking libkfaas.
 */
#ifndef KFAAS_CLOCK_H
#define KFAAS_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of clock clk (CLOCK_MONOTONIC, CLOCK_BOOTTIME, ...). */
static inline uint64_t kfaas_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC: what durations and deadlines are measured in. */
static inline uint64_t kfaas_now_ns(void)
{
	return kfaas_clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t kfaas_now_ms(void)
{
	return kfaas_now_ns() / 1000000ULL;
}

#endif /* KFAAS_CLOCK_H */
