// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-kv: the kv example's cache (kv.bpf.c) and the hooks that keep it
 * coherent with memcached (kv_hooks.bpf.c; docs/kv.md).
 *   kfaas-kv [--pin-root DIR] [--fn NAME] attach [--port N] [--cgroup DIR]
 *            [--max-age SEC] [--udp-match auto|netns|mark]
 *   kfaas-kv [--pin-root DIR] [--fn NAME] { detach | stats }
 *   kfaas-kv [--pin-root DIR] [--fn NAME] { set KEY VALUE [FLAGS] | get KEY |
 *            del KEY | list }
 * set/get/del/list also fill the kvtcp example's store (same layout).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "kv_tool.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: kfaas-kv [--pin-root DIR] [--fn NAME] COMMAND\n"
		"  attach [--port N] [--cgroup DIR] [--max-age SEC]\n"
		"         [--udp-match auto|netns|mark]\n"
		"                      hook memcached (port N, default 11211) in\n"
		"                      this network namespace: the cache fills and\n"
		"                      stays coherent (docs/kv.md); its UDP sockets\n"
		"                      known by the namespace's cookie or, where\n"
		"                      the kernel (6.1) cannot, a mark put at bind\n"
		"  detach              unhook; every entry is dropped\n"
		"  stats               hits, misses, fills, invalidations, flushes\n"
		"  set KEY VALUE [FLAGS]  a warm-up entry (served until a write\n"
		"                      invalidates it or max-age passes)\n"
		"  get KEY | del KEY | list\n"
		"Keys: 1..%d printable bytes without spaces; values: up to %d "
		"bytes.\nNAME defaults to kv.\n", KV_KEY_MAX, KV_VALUE_MAX);
	return 2;
}

__u64 kv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * KV_NS + (__u64)ts.tv_nsec;
}

struct kv_conf *kv_conf_map(const struct example_fn *fn)
{
	char path[400];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%skv_conf", fn->dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

void kv_conf_unmap(struct kv_conf *conf)
{
	if (conf)
		munmap(conf, sysconf(_SC_PAGESIZE));
}

static int make_key(const char *s, struct kv_key *k)
{
	size_t i, n = strlen(s);

	memset(k, 0, sizeof(*k));
	if (n == 0 || n > KV_KEY_MAX) {
		fprintf(stderr, KV_TOOL ": key must be 1 to %d bytes\n",
			KV_KEY_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			fprintf(stderr, KV_TOOL ": key may not hold spaces or "
				"control characters\n");
			return -1;
		}
	}
	memcpy(k->key, s, n);
	return 0;
}

/*
 * A warm-up entry of the cache: valid under the current epoch and the
 * key's current generation, so a write coming in at the same time
 * already invalidates it.
 */
static int cache_warm(const struct example_fn *fn, struct kv_conf *conf,
		      const struct kv_key *key, struct kv_value *val)
{
	struct kv_slot sl;
	__u32 slot;
	int fd, rc = -1;

	if (!conf->armed) {
		fprintf(stderr, KV_TOOL ": the cache is not attached to "
			"memcached: nothing would invalidate the entry; run '"
			KV_TOOL " attach' first\n");
		return -1;
	}
	fd = example_map_fd(fn, "kv_slots");
	if (fd < 0)
		return -1;
	slot = kv_slot_of(kv_hash(key->key, strnlen(key->key, KV_KEY_MAX)));
	if (bpf_map_lookup_elem(fd, &slot, &sl)) {
		fprintf(stderr, KV_TOOL ": kv_slots: %s\n", strerror(errno));
	} else if (sl.pend || conf->pend_global) {
		fprintf(stderr, KV_TOOL ": a write to this key is in flight "
			"through memcached: set it there\n");
	} else {
		val->slot = slot;
		val->gen = sl.gen;
		val->epoch = __atomic_load_n(&conf->epoch, __ATOMIC_SEQ_CST);
		val->expires = kv_now_ns() + conf->max_age_ns;
		rc = 0;
	}
	close(fd);
	return rc;
}

/*
 * Why the XDP function would not serve the entry (slots_fd: kv_slots), or
 * NULL when it would.
 */
static const char *cache_why(int slots_fd, struct kv_conf *conf,
			     const struct kv_value *v)
{
	struct kv_slot sl;

	if (!conf)
		return NULL;		/* kvtcp's store */
	if (bpf_map_lookup_elem(slots_fd, &v->slot, &sl) ||
	    v->epoch != conf->epoch || v->gen != sl.gen)
		return "was invalidated by a write";
	if (kv_now_ns() >= v->expires)
		return "has expired";
	return NULL;
}

static int cmd_set(const struct example_fn *fn, int fd, struct kv_conf *conf,
		   char **argv, int n)
{
	size_t len = strlen(argv[1]);
	struct kv_value val;
	struct kv_key key;
	char *end;

	if (make_key(argv[0], &key))
		return -1;
	if (len > KV_VALUE_MAX) {
		fprintf(stderr, KV_TOOL ": value longer than %d bytes\n",
			KV_VALUE_MAX);
		return -1;
	}
	memset(&val, 0, sizeof(val));
	val.len = (__u32)len;
	if (n == 3) {
		errno = 0;
		val.flags = (__u32)strtoul(argv[2], &end, 0);
		if (errno || *end || !*argv[2]) {
			fprintf(stderr, KV_TOOL ": FLAGS '%s' is not a number\n",
				argv[2]);
			return -1;
		}
	}
	memcpy(val.data, argv[1], len);
	val.expires = ~0ULL;		/* kvtcp's store: no expiry */
	if (conf && cache_warm(fn, conf, &key, &val))
		return -1;
	if (bpf_map_update_elem(fd, &key, &val, BPF_ANY)) {
		fprintf(stderr, KV_TOOL ": set: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_list(int fd, int slots_fd, struct kv_conf *conf)
{
	struct kv_key k, next;
	struct kv_value val;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		/* only what the cache would serve */
		if (bpf_map_lookup_elem(fd, &k, &val) ||
		    cache_why(slots_fd, conf, &val))
			continue;
		printf("%.*s %.*s\n", KV_KEY_MAX, k.key, (int)val.len, val.data);
	}
	return 0;
}

static int entries(const struct example_fn *fn, const char *cmd, char **argv,
		   int n)
{
	struct kv_conf *conf = kv_conf_map(fn);
	int fd, slots_fd = -1, rc = -1;
	struct kv_value val;
	struct kv_key key;
	const char *why;

	fd = example_map_fd(fn, "kv_cache");
	if (fd < 0 || (conf && (slots_fd = example_map_fd(fn, "kv_slots")) < 0))
		goto out;
	if (!strcmp(cmd, "set") && n >= 2 && n <= 3) {
		rc = cmd_set(fn, fd, conf, argv, n);
	} else if (!strcmp(cmd, "get") && n == 1) {
		if (make_key(argv[0], &key))
			goto out;
		if (bpf_map_lookup_elem(fd, &key, &val)) {
			fprintf(stderr, KV_TOOL ": no key '%s'\n", argv[0]);
			goto out;
		}
		why = cache_why(slots_fd, conf, &val);
		if (why) {
			fprintf(stderr, KV_TOOL ": '%s' %s\n", argv[0], why);
			goto out;
		}
		printf("%.*s\n", (int)val.len, val.data);
		rc = 0;
	} else if (!strcmp(cmd, "del") && n == 1) {
		if (make_key(argv[0], &key))
			goto out;
		if (bpf_map_delete_elem(fd, &key)) {
			fprintf(stderr, KV_TOOL ": no key '%s'\n", argv[0]);
			goto out;
		}
		rc = 0;
	} else if (!strcmp(cmd, "list") && n == 0) {
		rc = cmd_list(fd, slots_fd, conf);
	} else {
		usage();
	}
out:
	if (fd >= 0)
		close(fd);
	if (slots_fd >= 0)
		close(slots_fd);
	kv_conf_unmap(conf);
	return rc;
}

int main(int argc, char **argv)
{
	struct example_fn fn = { .name = "kv", .tool = KV_TOOL,
				 .obj = "kv.bpf.o" };
	const char *cmd;
	int rc;

	if (example_fn_find(argc, argv, &fn, usage))
		return 1;
	cmd = argv[optind++];
	if (!strcmp(cmd, "attach"))
		rc = kv_attach(&fn, argc - optind + 1, argv + optind - 1);
	else if (!strcmp(cmd, "detach") && optind == argc)
		rc = kv_detach(&fn);
	else if (!strcmp(cmd, "stats") && optind == argc)
		rc = kv_stats(&fn);
	else
		rc = entries(&fn, cmd, argv + optind, argc - optind);
	return rc ? 1 : 0;
}
