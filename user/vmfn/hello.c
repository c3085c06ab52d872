// SPDX-License-Identifier: GPL-2.0
/*
 * hello: a VM-tier example.  A VM-tier function is any static executable
 * that reads the request on stdin and writes the reply to stdout; kfaasd
 * runs it in a QEMU microVM, once per request, with a clean environment.
 *
 *   $ echo -n world | socat - UDP:10.0.0.1:7000
 *   hello, world: from a kfaas microVM (Linux 6.1.0-26-amd64, 1 CPU)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

int main(void)
{
	char name[256];
	struct utsname u;
	size_t n = fread(name, 1, sizeof(name) - 1, stdin);

	while (n && (name[n - 1] == '\n' || name[n - 1] == '\r'))
		n--;
	name[n] = '\0';
	uname(&u);
	printf("hello, %s: from a kfaas microVM (Linux %s, %ld CPU)\n",
	       n ? name : "stranger", u.release, sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}
