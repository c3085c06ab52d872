// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-dns: manage the records of the dns example function (dns.bpf.c).
 *   kfaas-dns [--pin-root DIR] [--fn NAME] add NAME { A | AAAA } ADDR [TTL]
 *   kfaas-dns [--pin-root DIR] [--fn NAME] { del NAME | list }
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "example_tool.h"
#include "dns.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: kfaas-dns [--pin-root DIR] [--fn NAME] add NAME A|AAAA ADDR [TTL]\n"
		"       kfaas-dns [--pin-root DIR] [--fn NAME] del NAME\n"
		"       kfaas-dns [--pin-root DIR] [--fn NAME] list\n"
		"NAME (the function) defaults to dns; TTL to %d s.\n",
		DNS_TTL_DEFAULT);
	return 2;
}

/* "www.Example.com." -> "\3www\7example\3com\0" (lower case). */
static int name_to_wire(const char *s, struct dns_key *k)
{
	size_t pos = 0;

	memset(k, 0, sizeof(*k));
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s), i;

		if (n == 0 || n > 63 || pos + 1 + n + 1 > DNS_NAME_MAX)
			return -1;
		k->name[pos++] = (__u8)n;
		for (i = 0; i < n; i++)
			k->name[pos++] = (__u8)tolower((unsigned char)s[i]);
		s += n;
		if (*s == '.')
			s++;
	}
	return pos ? 0 : -1;
}

static void wire_to_name(const struct dns_key *k, char *buf, size_t len)
{
	size_t pos = 0, out = 0;

	while (pos < DNS_NAME_MAX && k->name[pos] && out + 65 < len) {
		size_t n = k->name[pos++];

		memcpy(buf + out, &k->name[pos], n);
		out += n;
		buf[out++] = '.';
		pos += n;
	}
	buf[out] = '\0';
}

int main(int argc, char **argv)
{
	struct dns_key key;
	struct dns_rr rr;
	const char *cmd;
	int fd, rc = 1;

	fd = example_map_open(argc, argv, "kfaas-dns", "dns", "dns_records",
			      "dns.bpf.o", usage);
	if (fd < 0)
		return 1;
	cmd = argv[optind++];
	if (!strcmp(cmd, "add") && argc - optind >= 3 && argc - optind <= 4) {
		const char *type = argv[optind + 1], *addr = argv[optind + 2];

		if (name_to_wire(argv[optind], &key)) {
			fprintf(stderr, "kfaas-dns: bad name '%s': labels of 1..63 "
				"bytes, %d bytes in all\n", argv[optind],
				DNS_NAME_MAX - 2);
			goto out_fd;
		}
		if (bpf_map_lookup_elem(fd, &key, &rr))
			memset(&rr, 0, sizeof(rr));
		rr.ttl = argc - optind == 4 ?
			 (__u32)strtoul(argv[optind + 3], NULL, 0) : DNS_TTL_DEFAULT;
		if (!strcasecmp(type, "A") && inet_pton(AF_INET, addr, rr.a) == 1) {
			rr.has_a = 1;
		} else if (!strcasecmp(type, "AAAA") &&
			   inet_pton(AF_INET6, addr, rr.aaaa) == 1) {
			rr.has_aaaa = 1;
		} else {
			fprintf(stderr, "kfaas-dns: '%s %s' is not an A record "
				"with an IPv4 address or an AAAA record with an "
				"IPv6 address\n", type, addr);
			goto out_fd;
		}
		if (bpf_map_update_elem(fd, &key, &rr, BPF_ANY)) {
			fprintf(stderr, "kfaas-dns: add: %s\n", strerror(errno));
			goto out_fd;
		}
	} else if (!strcmp(cmd, "del") && argc - optind == 1) {
		if (name_to_wire(argv[optind], &key) ||
		    bpf_map_delete_elem(fd, &key)) {
			fprintf(stderr, "kfaas-dns: no name '%s'\n", argv[optind]);
			goto out_fd;
		}
	} else if (!strcmp(cmd, "list") && argc == optind) {
		struct dns_key k, next;
		void *prev = NULL;
		char name[300], a[INET6_ADDRSTRLEN];

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, &rr))
				continue;
			wire_to_name(&k, name, sizeof(name));
			if (rr.has_a)
				printf("%s %u IN A %s\n", name, rr.ttl,
				       inet_ntop(AF_INET, rr.a, a, sizeof(a)));
			if (rr.has_aaaa)
				printf("%s %u IN AAAA %s\n", name, rr.ttl,
				       inet_ntop(AF_INET6, rr.aaaa, a, sizeof(a)));
		}
	} else {
		usage();
		goto out_fd;
	}
	rc = 0;
out_fd:
	close(fd);
	return rc;
}
