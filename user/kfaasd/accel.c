// SPDX-License-Identifier: GPL-2.0
/*
 * KVM or TCG.  /dev/kvm existing proves nothing (environment.md: on a
 * host that is itself a PVM guest, a raw KVM ioctl probe passes while
 * every ordinary guest hangs), so KVM is used only when a timed probe boot
 * of the real guest (this kernel, the real agent) answers on its channel.
 * The answer is cached per guest kernel, base image and QEMU version.
 * Cheap rule-outs first: no usable /dev/kvm, a kvm_pvm host, no vmx/svm.
 *
 *   --accel auto    rule-outs, then the cached probe (the default)
 *   --accel probe   the probe boot even when a rule-out says no
 *   --accel kvm|tcg no detection
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kfaasd.h"

static bool cpu_has_virt(void)
{
	char line[4096];
	bool yes = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!yes && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			yes = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return yes;
}

static const char *rule_out(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		return "no usable /dev/kvm";
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "the host is a PVM guest (kvm_pvm): its KVM runs only "
		       "paravirtual guests";
	if (!cpu_has_virt())
		return "the CPU has no vmx/svm flag";
	return NULL;
}

static void cache_key(char *buf, size_t len)
{
	struct stat k = { 0 }, i = { 0 };

	stat(opts.vmlinux, &k);
	stat(opts.initramfs, &i);
	snprintf(buf, len, "kernel=%s:%lld:%lld image=%lld:%lld qemu=%s",
		 opts.vmlinux, (long long)k.st_size, (long long)k.st_mtime,
		 (long long)i.st_size, (long long)i.st_mtime, opts.qemu_version);
}

static int cache_get(const char *key)
{
	char path[512], line[1024];
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/accel", opts.cache_dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strrchr(line, '\t');

		if (!tab)
			continue;
		*tab++ = '\0';
		tab[strcspn(tab, "\n")] = '\0';
		if (strcmp(line, key))
			continue;
		rc = !strcmp(tab, "kvm") ? ACCEL_KVM : ACCEL_TCG;
	}
	fclose(f);
	return rc;
}

static void cache_put(const char *key, int accel)
{
	char path[512];
	FILE *f;

	mkdir(opts.cache_dir, 0755);
	snprintf(path, sizeof(path), "%s/accel", opts.cache_dir);
	f = fopen(path, "a");
	if (!f) {
		warn("cannot cache the accelerator in %s: %s", path,
		     strerror(errno));
		return;
	}
	fprintf(f, "%s\t%s\n", key, accel == ACCEL_KVM ? "kvm" : "tcg");
	fclose(f);
}

/* Boot the guest with KVM; true when the agent says HELLO in time. */
/* A copy of the base image QEMU's uid can read, in the run directory. */
static int probe_image(char *image, size_t len)
{
	struct stat st;
	int in, out, rc;

	snprintf(image, len, "%s/probe.cpio", opts.run_dir);
	in = open(opts.initramfs, O_RDONLY | O_CLOEXEC);
	out = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	rc = in < 0 || out < 0 || fstat(in, &st) ||
	     sendfile(out, in, NULL, (size_t)st.st_size) != st.st_size;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(image);
	return rc ? -1 : 0;
}

/* Did the probe VM's agent say HELLO within the probe timeout from t0
 * (ms)?  why says. */
static bool probe_hello(const struct qemu_proc *p, uint64_t t0, char *why,
			size_t len)
{
	uint64_t left;
	struct kfaas_agent_hdr h;
	ssize_t n;

	snprintf(why, len, "the probe boot did not answer within %u ms",
		 opts.probe_timeout_ms);
	while (kfaas_now_ms() < t0 + opts.probe_timeout_ms) {
		struct pollfd pf[2] = { { .fd = p->chan_fd, .events = POLLIN },
					{ .fd = p->pidfd, .events = POLLIN } };

		left = t0 + opts.probe_timeout_ms - kfaas_now_ms();
		if (poll(pf, 2, (int)left + 1) <= 0)
			continue;
		if (pf[1].revents) {
			snprintf(why, len, "QEMU exited during the probe boot "
				 "(-accel kvm -cpu host)");
			return false;
		}
		/* the HELLO header arrives in one piece */
		n = read(p->chan_fd, &h, sizeof(h));
		if (n == (ssize_t)sizeof(h) && h.magic == KFAAS_AGENT_MAGIC &&
		    h.type == KFAAS_AGENT_HELLO) {
			snprintf(why, len, "a probe boot answered in %llu ms",
				 (unsigned long long)(kfaas_now_ms() - t0));
			return true;
		}
		if (n <= 0)
			snprintf(why, len, "QEMU exited during the probe boot "
				 "(-accel kvm -cpu host)");
		else
			snprintf(why, len, "the probe boot sent garbage");
		return false;
	}
	return false;
}

static bool probe_kvm(char *why, size_t len)
{
	char image[160];
	struct qemu_spec s = {
		.fn_id = 0, .vm_seq = 0, .name = "probe", .image = image,
		.mem_mib = 128, .vcpus = 1, .accel = ACCEL_KVM,
		.state_fd = -1, .uid = qemu_uid(0),
	};
	uint64_t t0 = kfaas_now_ms();
	struct qemu_proc p;
	bool ok;
	int rc;

	if (probe_image(image, sizeof(image))) {
		snprintf(why, len, "cannot copy %s for the probe",
			 opts.initramfs);
		return false;
	}
	rc = qemu_spawn(&s, &p);
	if (rc) {
		snprintf(why, len, "cannot start QEMU: %s", strerror(-rc));
		unlink(image);
		return false;
	}
	ok = probe_hello(&p, t0, why, len);
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	close(p.pidfd);
	close(p.chan_fd);
	close(p.qmp_fd);
	close(p.con_fd);
	unlink(image);
	return ok;
}

int accel_setup(void)
{
	const char *no;
	char key[1024];
	int c;

	switch (opts.accel) {
	case ACCEL_KVM:
	case ACCEL_TCG:
		opts.accel_used = opts.accel;
		snprintf(opts.accel_why, sizeof(opts.accel_why), "--accel %s",
			 opts.accel == ACCEL_KVM ? "kvm" : "tcg");
		return 0;
	case ACCEL_AUTO:
		no = rule_out();
		if (no) {
			opts.accel_used = ACCEL_TCG;
			snprintf(opts.accel_why, sizeof(opts.accel_why), "%s", no);
			return 0;
		}
		break;
	default:
		break;
	}
	cache_key(key, sizeof(key));
	c = opts.accel == ACCEL_AUTO ? cache_get(key) : -1;
	if (c >= 0) {
		opts.accel_used = c;
		snprintf(opts.accel_why, sizeof(opts.accel_why), "cached probe "
			 "result (%s/accel)", opts.cache_dir);
		return 0;
	}
	opts.accel_used = probe_kvm(opts.accel_why, sizeof(opts.accel_why)) ?
			 ACCEL_KVM : ACCEL_TCG;
	cache_put(key, opts.accel_used);
	return 0;
}
