// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-kv: fill the cache of the kv example function (kv.bpf.c).
 *   kfaas-kv [--pin-root DIR] [--fn NAME] set KEY VALUE [FLAGS]
 *   kfaas-kv [--pin-root DIR] [--fn NAME] { get KEY | del KEY | list }
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "example_tool.h"
#include "kv.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: kfaas-kv [--pin-root DIR] [--fn NAME] set KEY VALUE [FLAGS]\n"
		"       kfaas-kv [--pin-root DIR] [--fn NAME] get KEY\n"
		"       kfaas-kv [--pin-root DIR] [--fn NAME] del KEY\n"
		"       kfaas-kv [--pin-root DIR] [--fn NAME] list\n"
		"Keys: 1..%d printable bytes without spaces; values: up to %d "
		"bytes.\nNAME defaults to kv.\n", KV_KEY_MAX, KV_VALUE_MAX);
	return 2;
}

static int make_key(const char *s, struct kv_key *k)
{
	size_t i, n = strlen(s);

	memset(k, 0, sizeof(*k));
	if (n == 0 || n > KV_KEY_MAX) {
		fprintf(stderr, "kfaas-kv: key must be 1 to %d bytes\n", KV_KEY_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			fprintf(stderr, "kfaas-kv: key may not hold spaces or "
				"control characters\n");
			return -1;
		}
	}
	memcpy(k->key, s, n);
	return 0;
}

int main(int argc, char **argv)
{
	struct kv_value val;
	struct kv_key key;
	const char *cmd;
	int fd, rc = 1;

	fd = example_map_open(argc, argv, "kfaas-kv", "kv", "kv_cache",
			      "kv.bpf.o", usage);
	if (fd < 0)
		return 1;
	cmd = argv[optind++];
	if (!strcmp(cmd, "set") && argc - optind >= 2 && argc - optind <= 3) {
		size_t n = strlen(argv[optind + 1]);

		if (make_key(argv[optind], &key))
			goto out_fd;
		if (n > KV_VALUE_MAX) {
			fprintf(stderr, "kfaas-kv: value longer than %d bytes\n",
				KV_VALUE_MAX);
			goto out_fd;
		}
		memset(&val, 0, sizeof(val));
		val.len = (__u32)n;
		val.flags = argc - optind == 3 ?
			    (__u32)strtoul(argv[optind + 2], NULL, 0) : 0;
		memcpy(val.data, argv[optind + 1], n);
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY)) {
			fprintf(stderr, "kfaas-kv: set: %s\n", strerror(errno));
			goto out_fd;
		}
	} else if (!strcmp(cmd, "get") && argc - optind == 1) {
		if (make_key(argv[optind], &key))
			goto out_fd;
		if (bpf_map_lookup_elem(fd, &key, &val)) {
			fprintf(stderr, "kfaas-kv: no key '%s'\n", argv[optind]);
			goto out_fd;
		}
		printf("%.*s\n", (int)val.len, val.data);
	} else if (!strcmp(cmd, "del") && argc - optind == 1) {
		if (make_key(argv[optind], &key))
			goto out_fd;
		if (bpf_map_delete_elem(fd, &key)) {
			fprintf(stderr, "kfaas-kv: no key '%s'\n", argv[optind]);
			goto out_fd;
		}
	} else if (!strcmp(cmd, "list") && argc == optind) {
		struct kv_key k, next;
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (!bpf_map_lookup_elem(fd, &k, &val))
				printf("%.*s %.*s\n", KV_KEY_MAX, k.key,
				       (int)val.len, val.data);
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
