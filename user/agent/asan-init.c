// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the guest image of the sanitizer build (make asan): mounts /proc
 * and execs the ASan+UBSan agent (dynamically linked: ASan cannot be
 * static) as PID 1.  The sanitizer runtime reads /proc/self/maps when it
 * starts; without /proc it cannot find the main thread's stack and the
 * leak checker finds nothing.  Static, no libraries.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	(void)argc;
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		perror("kfaas-init: mount /proc");
	argv[0] = "/kfaas-agent";
	execv(argv[0], argv);
	perror("kfaas-init: exec /kfaas-agent");
	for (;;)
		pause();	/* PID 1 must not exit: the boot timeout ends it */
}
