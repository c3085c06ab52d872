// SPDX-License-Identifier: GPL-2.0
/*
 * What a VM holds and uses, measured, not configured:
 *
 *   private memory  Private_Clean + Private_Dirty of its QEMU process
 *                   (/proc/PID/smaps_rollup): the pages that go when it is
 *                   killed.  Not RSS, which counts the template's RAM file
 *                   again in every clone mapping it; not PSS, which shares
 *                   those pages out and so changes when another clone
 *                   starts or stops; not the guest's configured RAM, which
 *                   a clone of a 128 MiB guest holds a third of.
 *   template        resident pages of its RAM file (mincore): what dropping
 *                   it gives back, counted once however many clones map it
 *   CPU time        utime + stime of QEMU (/proc/PID/stat, all its threads:
 *                   vCPUs, TCG, I/O), while it runs; wait4()'s rusage once
 *                   it is reaped (vm.c)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "kfaasd.h"

double measure_private_mib(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kib, sum = 0;
	bool seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Private_Clean: %llu kB", &kib) == 1 ||
		    sscanf(line, "Private_Dirty: %llu kB", &kib) == 1) {
			sum += kib;
			seen = true;
		}
	}
	fclose(f);
	return seen ? sum / 1024.0 : -1;
}

uint64_t measure_cpu_ns(pid_t pid)
{
	static long hz;
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "(comm)", which may hold spaces: state is field 3, utime 14 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ULL / (unsigned long long)hz);
}

double measure_resident_mib(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *vec = NULL;
	size_t pages, i, n = 0;
	struct stat st;
	void *m;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page;
	vec = malloc(pages);
	if (vec && mincore(m, (size_t)st.st_size, vec) == 0)
		for (i = 0; i < pages; i++)
			n += vec[i] & 1;
	free(vec);
	munmap(m, (size_t)st.st_size);
	return (double)n * (double)page / 1048576.0;
}
