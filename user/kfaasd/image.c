// SPDX-License-Identifier: GPL-2.0
/*
 * Per-function guest images.  The base image (tools/mkinitramfs-vm.sh:
 * the agent as /init plus the virtio modules) is followed by a second
 * newc archive holding the function's executable as /fn; the kernel
 * unpacks concatenated archives in order.  The executable is copied, not
 * shared: a function keeps the code it was created with, and a snapshot
 * never sees a file change under it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include "kfaasd.h"

static int host_machine(void)
{
	Elf64_Ehdr eh;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, &eh, sizeof(eh)) : -1;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof(eh) ? eh.e_machine : EM_X86_64;
}

int image_check_exec(const char *exe, char *why, size_t len)
{
	Elf64_Ehdr eh;
	struct stat st;
	char magic[2];
	int fd, i, rc = 0;

	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, len, "cannot read %s: %s", exe, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		snprintf(why, len, "%s is not an executable file", exe);
		rc = -EINVAL;
		goto out;
	}
	if (pread(fd, magic, 2, 0) == 2 && !memcmp(magic, "#!", 2)) {
		snprintf(why, len, "%s is a script: the guest has no "
			 "interpreter; give a static executable", exe);
		rc = -ENOEXEC;
		goto out;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		snprintf(why, len, "%s is not a 64-bit ELF executable", exe);
		rc = -ENOEXEC;
		goto out;
	}
	if (eh.e_machine != host_machine()) {
		snprintf(why, len, "%s is built for another machine (ELF "
			 "machine %u)", exe, eh.e_machine);
		rc = -ENOEXEC;
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    (Elf64_Off)i * eh.e_phentsize)) != (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP) {
			snprintf(why, len, "%s is dynamically linked: the guest "
				 "has no shared libraries; build it with "
				 "-static", exe);
			rc = -ENOEXEC;
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Pad to a multiple of 4 bytes; *off follows. */
static int pad4(int fd, size_t *off)
{
	static const char zero[4];
	size_t n = (4 - *off % 4) % 4;

	*off += n;
	return n ? write_all(fd, zero, n) : 0;
}

/* One newc header + name; returns bytes written so far in *off. */
static int cpio_hdr(int fd, size_t *off, const char *name, unsigned int mode,
		    size_t size, unsigned int ino)
{
	char h[111];
	size_t nlen = strlen(name) + 1;
	int rc;

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X"
		 "%08X%08X%08X%08X", ino, mode, 0, 0, 1, 0, (unsigned int)size,
		 0, 0, 0, 0, (unsigned int)nlen, 0);
	rc = write_all(fd, h, 110) ?: write_all(fd, name, nlen);
	*off += 110 + nlen;
	return rc ?: pad4(fd, off);
}

static int copy_fd(int out, int in, size_t len)
{
	while (len) {
		ssize_t n = sendfile(out, in, NULL, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		len -= (size_t)n;
	}
	return 0;
}

int image_build(const char *exe, const char *dir, gid_t gid, char *out,
		size_t len, char *why, size_t wlen)
{
	char tmp[KFAAS_PATH_MAX];
	struct stat bst, est;
	int bfd = -1, efd = -1, ofd = -1, rc;
	size_t off = 0;

	snprintf(out, len, "%s/image.cpio", dir);
	snprintf(tmp, sizeof(tmp), "%s/image.cpio.tmp", dir);
	bfd = open(cfg.initramfs, O_RDONLY | O_CLOEXEC);
	if (bfd < 0 || fstat(bfd, &bst)) {
		rc = -errno;
		snprintf(why, wlen, "cannot read the guest base image %s: %s: "
			 "build it with 'make' or give kfaasd --initramfs",
			 cfg.initramfs, strerror(errno));
		goto out;
	}
	efd = open(exe, O_RDONLY | O_CLOEXEC);
	if (efd < 0 || fstat(efd, &est)) {
		rc = -errno;
		snprintf(why, wlen, "cannot read %s: %s", exe, strerror(errno));
		goto out;
	}
	if (est.st_size > (off_t)0xffffffffU) {
		rc = -EFBIG;
		snprintf(why, wlen, "%s is larger than 4 GiB", exe);
		goto out;
	}
	ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (ofd < 0) {
		rc = -errno;
		snprintf(why, wlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = copy_fd(ofd, bfd, (size_t)bst.st_size);
	off = (size_t)bst.st_size;
	if (!rc)
		rc = pad4(ofd, &off);
	if (!rc)
		rc = cpio_hdr(ofd, &off, "fn", 0100755, (size_t)est.st_size,
			      0x4b460001);
	if (!rc)
		rc = copy_fd(ofd, efd, (size_t)est.st_size);
	off += (size_t)est.st_size;
	if (!rc)
		rc = pad4(ofd, &off) ?: cpio_hdr(ofd, &off, "TRAILER!!!", 0, 0, 0);
	if (!rc && gid != (gid_t)-1 && fchown(ofd, 0, gid))
		rc = -errno;
	if (!rc && close(ofd))
		rc = -errno;
	ofd = -1;
	if (!rc && rename(tmp, out))
		rc = -errno;
	if (rc) {
		snprintf(why, wlen, "cannot write the guest image %s: %s", out,
			 strerror(-rc));
		unlink(tmp);
	}
out:
	if (bfd >= 0)
		close(bfd);
	if (efd >= 0)
		close(efd);
	if (ofd >= 0) {
		close(ofd);
		unlink(tmp);
	}
	return rc;
}
