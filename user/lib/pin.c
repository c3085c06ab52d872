// SPDX-License-Identifier: GPL-2.0
/*
 * Paths under the pin root and the objects pinned there (the layout is
 * in state.c): the leaf helpers the rest of the library builds on.  They
 * call nothing of the library but err.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"

const char *kfaas_pin_root(const char *opt)
{
	const char *env = getenv(KFAAS_PIN_ROOT_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return KFAAS_PIN_ROOT_DEFAULT;
}

int kfaas__path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return kfaas_err(-ENAMETOOLONG, "path too long: %s...", buf);
	return 0;
}

int kfaas__pin_open(const struct kfaas_state *st, const char *name)
{
	char path[KFAAS_PATH_MAX];
	int fd, rc;

	rc = kfaas__path(path, sizeof(path), "%s/%s", st->root, name);
	if (rc)
		return rc;
	fd = bpf_obj_get(path);
	return fd < 0 ? kfaas__errno_msg(-errno, path) : fd;
}

int kfaas__pin_shared_maps(struct kfaas_state *st, struct bpf_object *obj)
{
	struct bpf_map *map;
	char path[KFAAS_PATH_MAX];
	int rc;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (strncmp(name, KFAAS_MAP_PREFIX, strlen(KFAAS_MAP_PREFIX)))
			continue;
		rc = kfaas__path(path, sizeof(path), "%s/%s", st->root,
				 name + strlen(KFAAS_MAP_PREFIX)) ?:
		     bpf_map__set_pin_path(map, path);
		if (rc)
			return rc;
	}
	return 0;
}

int kfaas_fn_prog_fd(struct kfaas_state *st, const char *name)
{
	char pin[KFAAS_NAME_LEN + 16];

	return kfaas__path(pin, sizeof(pin), "fn/%s/prog", name) ?:
	       kfaas__pin_open(st, pin);
}

int kfaas_fn_map_path(const struct kfaas_state *st, const char *fn,
		      const char *map, char *buf, size_t len)
{
	return kfaas__path(buf, len, "%s/fn/%s/%s", st->root, fn, map);
}

int kfaas__prog_info(int fd, __u32 *id, __u8 tag[8])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (id)
		*id = info.id;
	if (tag)
		memcpy(tag, info.tag, 8);
	return 0;
}

int kfaas__rmtree(const char *path)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(path);
	if (!d) {
		if (errno == ENOTDIR)
			return unlink(path) ? -errno : 0;
		return errno == ENOENT ? 0 : -errno;
	}
	while ((de = readdir(d))) {
		char sub[512];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			continue;
		if (de->d_type == DT_DIR)
			rc = kfaas__rmtree(sub) ?: rc;
		else if (unlink(sub))
			rc = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		rc = -errno;
	return rc;
}

int kfaas__pin_map(const struct kfaas_state *st, const char *name,
		   enum bpf_map_type type, __u32 value_size, __u32 max,
		   bool create)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = type == BPF_MAP_TYPE_HASH ?
		    BPF_F_NO_PREALLOC : 0);
	char path[KFAAS_PATH_MAX], map_name[16];
	int fd, rc;

	rc = kfaas__path(path, sizeof(path), "%s/%s", st->root, name);
	if (rc)
		return rc;
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : kfaas__errno_msg(-errno, path);
	if (!create)
		return -ENOENT;
	snprintf(map_name, sizeof(map_name), "kfaas_%s", name);
	fd = bpf_map_create(type, map_name, sizeof(__u32), value_size, max, &o);
	if (fd < 0)
		return kfaas__errno_msg(-errno, "cannot create a pinned map");
	if (bpf_obj_pin(fd, path)) {
		rc = kfaas__errno_msg(-errno, path);
		close(fd);
		return rc;
	}
	return fd;
}
