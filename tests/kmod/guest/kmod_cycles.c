// SPDX-License-Identifier: GPL-2.0
/*
 * Load/unload cycles of kfaas.ko (run in the guest): each cycle inserts
 * the module, registers functions with budgets, charges and reads them
 * through /dev/kfaas, closes the device and removes the module.  Kernel
 * memory (vmalloc, per-CPU, unreclaimable slab) must not grow with the
 * cycles.
 *   kmod_cycles KO N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "ktap.h"
#include "libkfaas.h"

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;	/* kB */
}

static int cycle(const char *ko)
{
	struct kfaas_limits l = { .rps = 1000, .cpu_ns_per_sec = 1000000 };
	struct kfaas_stats d = { .invocations = 1, .cpu_ns = 10 };
	struct kfaas_stats_entry *e;
	int fd, mfd, i, rc, tries;
	size_t n;

	fd = open(ko, O_RDONLY);
	if (fd < 0)
		return -errno;
	rc = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	mfd = kfaas_mod_open();
	if (mfd < 0)
		return mfd;
	for (i = 1; i <= 16 && !rc; i++)
		rc = kfaas_mod_fn_register(mfd, i * 97, &l) ?:
		     kfaas_mod_charge(mfd, i * 97, &d);
	if (!rc) {
		rc = kfaas_mod_stats_all(mfd, &e, &n);
		if (!rc) {
			if (n != 16 || e[0].stats.invocations != 1)
				rc = -EIO;
			free(e);
		}
	}
	close(mfd);
	if (rc)
		return rc;
	/* the device's last reference may still be going away */
	for (tries = 0; tries < 100; tries++) {
		if (!syscall(SYS_delete_module, "kfaas", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

int main(int argc, char **argv)
{
	long v0, p0, s0, v1, p1, s1;
	int n, i, rc = 0;
	struct timespec a, b;

	if (argc != 3) {
		fprintf(stderr, "usage: kmod_cycles KO N\n");
		return 2;
	}
	n = atoi(argv[2]);
	ktap_print_header();
	ktap_set_plan(3);
	/* one cycle first: memory the first load allocates for good */
	rc = cycle(argv[1]);
	v0 = meminfo("VmallocUsed");
	p0 = meminfo("Percpu");
	s0 = meminfo("SUnreclaim");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 1; i < n && !rc; i++)
		rc = cycle(argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	v1 = meminfo("VmallocUsed");
	p1 = meminfo("Percpu");
	s1 = meminfo("SUnreclaim");
	if (!ktap_test_result(rc == 0, "%d load/register/charge/unload cycles", n))
		ktap_print_msg("cycle %d: %s", i, strerror(-rc));
	ktap_print_msg("%.1f ms per cycle; vmalloc %+ld kB, percpu %+ld kB, "
		       "unreclaimable slab %+ld kB", ((b.tv_sec - a.tv_sec) * 1e3 +
		       (b.tv_nsec - a.tv_nsec) / 1e6) / (n > 1 ? n - 1 : 1),
		       v1 - v0, p1 - p0, s1 - s0);
	/* a leak of the 512 KiB id table or of the per-CPU counters per cycle
	 * would be 100 MiB / several MiB here */
	ktap_test_result(v1 - v0 < 2048 && p1 - p0 < 512,
			 "no vmalloc or per-CPU memory kept by the cycles");
	ktap_test_result(s1 - s0 < 4096,
			 "unreclaimable slab does not grow with the cycles");
	return ktap_finished();
}
