// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel.  QEMU's microvm boots an uncompressed vmlinux through
 * its PVH entry note ~4 s faster under TCG than a bzImage, which first
 * decompresses itself.  So a bzImage (--kernel, or by default
 * /boot/vmlinuz-KVER of the base image's kernel version) is unpacked once:
 * its payload is the xz stream after the magic FD 37 7A 58 5A 00, and the
 * result is cached in the cache directory under a name that changes with
 * the source file.
 *
 * TCG has no PIT on microvm, so the guest cannot calibrate its TSC: we
 * pass tsc_early_khz, measured here against CLOCK_MONOTONIC_RAW.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdbool.h>
#include "kfaasd.h"

static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

static int read_kver(void)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s.kver", opts.initramfs);
	f = fopen(path, "r");
	if (!f)
		return kfaas_err(-errno, "cannot read %s (%s): build the guest "
				 "image with 'make' or give --kernel", path,
				 strerror(errno));
	if (!fgets(opts.kver, sizeof(opts.kver), f))
		opts.kver[0] = '\0';
	fclose(f);
	opts.kver[strcspn(opts.kver, "\n")] = '\0';
	if (!opts.kver[0])
		return kfaas_err(-EINVAL, "%s is empty: rebuild the guest image",
				 path);
	return 0;
}

/* Decompress the xz stream at src[off..] into fd; -errno. */
static int unxz(const unsigned char *src, size_t len, int fd)
{
	lzma_stream s = LZMA_STREAM_INIT;
	static unsigned char out[1 << 20];
	lzma_ret r;
	int rc = 0;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = src;
	s.avail_in = len;
	do {
		s.next_out = out;
		s.avail_out = sizeof(out);
		r = lzma_code(&s, LZMA_FINISH);
		if (sizeof(out) - s.avail_out &&
		    write(fd, out, sizeof(out) - s.avail_out) !=
		    (ssize_t)(sizeof(out) - s.avail_out)) {
			rc = -EIO;
			break;
		}
	} while (r == LZMA_OK);
	/* the xz stream may be followed by padding: STREAM_END is success */
	if (!rc && r != LZMA_STREAM_END)
		rc = -EINVAL;
	lzma_end(&s);
	return rc;
}

static int extract(const char *src, const struct stat *st)
{
	char dst[sizeof(opts.vmlinux)], tmp[sizeof(dst) + 32], hdr[4];
	const unsigned char *map, *p;
	const char *base = strrchr(src, '/');
	int fd, out, rc;

	base = base ? base + 1 : src;
	if (snprintf(dst, sizeof(dst), "%s/vmlinux-%.64s-%lld-%lld",
		     opts.cache_dir, base, (long long)st->st_size,
		     (long long)st->st_mtime) >= (int)sizeof(dst))
		return kfaas_err(-ENAMETOOLONG, "--cache-dir %s is too long",
				 opts.cache_dir);
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, hdr, 4) == 4 && !memcmp(hdr, "\177ELF", 4)) {
		close(fd);
		snprintf(opts.vmlinux, sizeof(opts.vmlinux), "%s", dst);
		return 0;
	}
	if (fd >= 0)
		close(fd);
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kfaas_err(-errno, "cannot read kernel %s: %s", src,
				 strerror(errno));
	map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return kfaas_err(-errno, "cannot map %s: %s", src, strerror(errno));
	p = memmem(map, (size_t)st->st_size, xz_magic, sizeof(xz_magic));
	if (!p) {
		munmap((void *)map, (size_t)st->st_size);
		return kfaas_err(-EINVAL, "kernel %s is neither an ELF vmlinux "
				 "nor an xz-compressed bzImage: give --kernel "
				 "a vmlinux", src);
	}
	if (mkdir(opts.cache_dir, 0755) && errno != EEXIST) {
		rc = kfaas_err(-errno, "cannot create cache directory %s: %s",
			       opts.cache_dir, strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", dst, getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = kfaas_err(-errno, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = unxz(p, (size_t)st->st_size - (size_t)(p - map), out);
	close(out);
	if (!rc && rename(tmp, dst))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		rc = kfaas_err(rc, "cannot unpack the vmlinux from %s (%s): give "
			       "--kernel an uncompressed vmlinux", src,
			       strerror(-rc));
		goto out;
	}
	info("unpacked the guest kernel %s to %s", src, dst);
	snprintf(opts.vmlinux, sizeof(opts.vmlinux), "%s", dst);
out:
	munmap((void *)map, (size_t)st->st_size);
	return rc;
}

static inline uint64_t rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	return 0;
#endif
}

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Host TSC kHz: TCG guests read the host TSC. */
static unsigned int tsc_khz(void)
{
	uint64_t best = 0;
	int i;

	for (i = 0; i < 3; i++) {
		struct timespec d = { 0, 20 * 1000000L };
		uint64_t t0 = raw_ns(), c0 = rdtsc(), t1, c1, khz;

		nanosleep(&d, NULL);
		c1 = rdtsc();
		t1 = raw_ns();
		if (t1 <= t0 || c1 <= c0)
			return 0;
		khz = (c1 - c0) * 1000000ULL / (t1 - t0);
		if (!best || khz < best)	/* least disturbed sample */
			best = khz;
	}
	return (unsigned int)best;
}

/* Can a process without privileges read path (every directory searchable)? */
static bool others_can_read(const char *path)
{
	char buf[512], *slash;
	struct stat st;

	if (stat(path, &st) || !(st.st_mode & S_IROTH))
		return false;
	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		*slash = '\0';
		if (stat(buf, &st) || !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

int kernel_setup(void)
{
	char path[512], hdr[4] = { 0 };
	struct stat st;
	int fd, rc;

	if (opts.kernel) {
		snprintf(path, sizeof(path), "%s", opts.kernel);
	} else {
		rc = read_kver();
		if (rc)
			return rc;
		snprintf(path, sizeof(path), "/boot/vmlinuz-%s", opts.kver);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return kfaas_err(rc, "cannot read guest kernel %s: %s%s", path,
				 strerror(-rc), opts.kernel ? "" :
				 ": install the kernel the guest image was built "
				 "for (linux-image-amd64) or give --kernel");
	}
	if (read(fd, hdr, 4) != 4)
		hdr[0] = '\0';
	close(fd);
	if (!memcmp(hdr, "\177ELF", 4)) {
		snprintf(opts.vmlinux, sizeof(opts.vmlinux), "%s", path);
	} else {
		rc = extract(path, &st);
		if (rc)
			return rc;
	}
	if (opts.drop_privs && !others_can_read(opts.vmlinux))
		return kfaas_err(-EACCES, "QEMU runs unprivileged but cannot read "
				 "the guest kernel %s: make it and its directories "
				 "readable by others (e.g. a --cache-dir with mode "
				 "0755)", opts.vmlinux);
	if (!opts.tsc_khz)
		opts.tsc_khz = tsc_khz();
	dbg("guest kernel %s, tsc %u kHz", opts.vmlinux, opts.tsc_khz);
	return 0;
}
