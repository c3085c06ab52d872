/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the programs the kfaas.ko suite runs in its guest
 * (tests/kmod/guest/): the ioctl wrapper, a seeded random generator, and
 * the kernel's fault injection (failslab, fail_page_alloc, fail-nth).
 */
#ifndef KFAAS_KMOD_GUEST_H
#define KFAAS_KMOD_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

/* ioctl returning 0 or -errno */
static inline int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible from the seed the program prints */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static inline void rng_seed(unsigned long long s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ULL;
}

static inline unsigned long long rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static inline unsigned int rnd(unsigned int n)	/* 0 .. n-1 */
{
	return (unsigned int)((rnd64() >> 11) % n);
}

/* Write a short string to a file (debugfs, procfs): 0 or -errno. */
static inline int put_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc"

/* Can this kernel inject allocation failures (CONFIG_FAILSLAB + debugfs)? */
static inline int fault_injection_available(void)
{
	return access(FAILSLAB "/probability", W_OK) == 0 &&
	       access("/proc/thread-self/fail-nth", W_OK) == 0;
}

/*
 * Make every allocation of the calling task eligible: sleeping ones too
 * (GFP_KERNEL, which failslab ignores by default), order-0 and highmem
 * pages (vmalloc), quietly (no "forcing a failure" stack dumps).  With
 * probability 0 nothing fails until fail-nth or make-it-fail asks for it.
 */
static inline int fault_injection_setup(int probability)
{
	char p[16];
	int rc;

	snprintf(p, sizeof(p), "%d", probability);
	rc = put_file(FAILSLAB "/ignore-gfp-wait", "N") ?:
	     put_file(FAILSLAB "/verbose", "0") ?:
	     put_file(FAILSLAB "/task-filter", "Y") ?:
	     put_file(FAILSLAB "/interval", "1") ?:
	     put_file(FAILSLAB "/times", "-1") ?:
	     put_file(FAILSLAB "/probability", p);
	if (rc || access(FAILPAGE "/probability", W_OK))
		return rc;
	return put_file(FAILPAGE "/ignore-gfp-wait", "N") ?:
	       put_file(FAILPAGE "/ignore-gfp-highmem", "N") ?:
	       put_file(FAILPAGE "/min-order", "0") ?:
	       put_file(FAILPAGE "/verbose", "0") ?:
	       put_file(FAILPAGE "/task-filter", "Y") ?:
	       put_file(FAILPAGE "/interval", "1") ?:
	       put_file(FAILPAGE "/times", "-1") ?:
	       put_file(FAILPAGE "/probability", p);
}

/*
 * This task's make-it-fail (failslab and fail_page_alloc with their task
 * filter), switched through a descriptor opened while nothing fails:
 * opening the file with failures on can itself fail, and leave them on
 * for the rest of the task, its exit included.  A task whose allocations
 * fail in the 9p client (a page fault on its binary, the clunk of a file
 * at exit) leaves the test guest's 9p share unusable: every later exec
 * from it fails with -EINVAL.  Writing and reading the open file allocate
 * nothing.  0, -errno, or -EIO when it does not read back as set.
 */
static int task_fail_fd = -1;

static inline int task_fail_set(int on)
{
	char want = on ? '1' : '0', got = 0;

	if (task_fail_fd < 0)
		task_fail_fd = open("/proc/thread-self/make-it-fail", O_RDWR);
	if (task_fail_fd < 0)
		return -errno;
	if (pwrite(task_fail_fd, &want, 1, 0) != 1 ||
	    pread(task_fail_fd, &got, 1, 0) != 1)
		return -errno;
	return got == want ? 0 : -EIO;
}

#endif
