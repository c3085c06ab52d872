// SPDX-License-Identifier: GPL-2.0
/*
 * Loading a function object built with the SDK (bpf/kfaas.h):
 * one function program per object; maps named kfaas_* are the shared ones
 * and reuse the pins under the pin root; every other map belongs to the
 * function and is pinned under PINROOT/fn/NAME/ (reused by "fn replace",
 * filled by userspace); .rodata's kfaas_fn_id is set to the function id.
 * The SDK puts each function in twice: kfaas_fn_NAME (accounting in the
 * maps) and kfaas_fnk_NAME (in kfaas.ko); the one matching the module's
 * presence is loaded (bpf/kfaas_kfuncs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"


/*
 * The 4-byte .rodata variable var (before load): its bytes in the map's
 * initial value, or NULL (-ENOENT: no such variable, -EINVAL: not 4 bytes).
 */
static __u32 *rodata_var(struct bpf_object *obj, const char *var, int *err)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map = NULL, *m;
	struct btf *btf;
	size_t size;
	void *data;
	int id, i;

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t l = strlen(n);

		if (l >= 7 && !strcmp(n + l - 7, ".rodata"))
			map = m;
	}
	*err = -ENOENT;
	btf = bpf_object__btf(obj);
	if (!map || !btf)
		return NULL;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return NULL;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		*err = -EINVAL;
		data = (void *)bpf_map__initial_value(map, &size);
		if (!data || vs->offset + sizeof(__u32) > size ||
		    vs->size != sizeof(__u32))
			return NULL;
		*err = 0;
		return (__u32 *)((char *)data + vs->offset);
	}
	return NULL;
}

/* Write value to the .rodata variable var (before load). */
static int rodata_set(struct bpf_object *obj, const char *var, __u32 value)
{
	int rc;
	__u32 *p = rodata_var(obj, var, &rc);

	if (p)
		memcpy(p, &value, sizeof(value));
	return rc;
}

/* The function's declared reply ratio (KFAAS_REPLY_RATIO()), 0: none. */
static __u32 reply_ratio(struct bpf_object *obj)
{
	int rc;
	__u32 v = 0, *p = rodata_var(obj, "kfaas_reply_ratio", &rc);

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static bool is_internal_map(const struct bpf_map *map)
{
	return strchr(bpf_map__name(map), '.') != NULL;
}

/* Point a shared map at its pin and size it like the pinned map. */
static int map_share(struct kfaas_state *st, struct bpf_map *map,
		     const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *name = bpf_map__name(map);
	char pin[KFAAS_PATH_MAX];
	int fd, rc;

	rc = kfaas__path(pin, sizeof(pin), "%s/%s", st->root,
			 name + strlen(KFAAS_MAP_PREFIX));
	if (rc)
		return rc;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return kfaas_err(-errno, "%s uses map %s, which kfaas does not "
				 "have: rebuild the function with this kfaas "
				 "SDK", path, name);
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!rc && (info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map)))
		rc = kfaas_err(-EPROTO, "%s: map %s does not match the pinned "
			       "one (built against another kfaas ABI): rebuild "
			       "it with this kfaas SDK", path, name);
	else if (!rc)
		rc = bpf_map__set_max_entries(map, info.max_entries) ?:
		     bpf_map__reuse_fd(map, fd);
	close(fd);
	return rc;
}

/* A private map pinned by an earlier load must match the new definition. */
static int map_check_pinned(struct bpf_map *map, const char *pin,
			    const char *fn)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(pin), rc = 0;

	if (fd < 0)
		return 0;	/* not pinned yet: created at load */
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		rc = kfaas__errno_msg(-errno, pin);
	else if (info.type != bpf_map__type(map) ||
		 info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) ||
		 info.max_entries != bpf_map__max_entries(map) ||
		 info.map_flags != bpf_map__map_flags(map))
		rc = kfaas_err(-EINVAL, "map %s of function '%s' changed (key "
			       "%u/%u, value %u/%u, entries %u/%u pinned/"
			       "new): unload the function and load it again "
			       "(its map contents are lost)", bpf_map__name(map),
			       fn, info.key_size, bpf_map__key_size(map),
			       info.value_size, bpf_map__value_size(map),
			       info.max_entries, bpf_map__max_entries(map));
	close(fd);
	return rc;
}

void kfaas_obj_close(struct kfaas_loaded *l)
{
	if (l->obj)
		bpf_object__close(l->obj);
	memset(l, 0, sizeof(*l));
	l->prog_fd = -1;
}

#define KFAAS_KM_PREFIX	"kfaas_fnk_"

static bool is_function(const struct bpf_program *p)
{
	enum bpf_prog_type t = bpf_program__type(p);

	return t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SK_SKB;
}

/* kfaas_fnk_NAME is the kfaas.ko variant of kfaas_fn_NAME. */
static bool is_km_variant(const struct bpf_program *p)
{
	return !strncmp(bpf_program__name(p), KFAAS_KM_PREFIX,
			strlen(KFAAS_KM_PREFIX));
}

static struct bpf_program *km_variant_of(struct bpf_object *obj,
					 const struct bpf_program *plain)
{
	const char *name = bpf_program__name(plain);
	struct bpf_program *p;

	if (strncmp(name, "kfaas_fn_", 9))
		return NULL;
	bpf_object__for_each_program(p, obj)
		if (is_km_variant(p) && !strcmp(bpf_program__name(p) +
					strlen(KFAAS_KM_PREFIX), name + 9))
			return p;
	return NULL;
}

static int find_function(struct bpf_object *obj, const char *path,
			 bool *allow_km, struct bpf_program **out)
{
	struct bpf_program *p, *found = NULL, *km;
	int n = 0;

	bpf_object__for_each_program(p, obj) {
		if (!is_function(p) || is_km_variant(p))
			continue;
		n++;
		if (!found)
			found = p;
	}
	if (n == 0)
		return kfaas_err(-ENOENT, "%s has no kfaas function: define one "
				 "with KFAAS_XDP_FUNCTION() or KFAAS_SK_FUNCTION() "
				 "(see docs/sdk.md, docs/socket-tier.md)", path);
	if (n > 1)
		return kfaas_err(-EINVAL, "%s defines %d function programs: put "
				 "one function in each object", path, n);
	/* the kfaas.ko variant when the module is there (and the SDK made one) */
	km = km_variant_of(obj, found);
	if (km && *allow_km)
		found = km;
	else
		*allow_km = false;	/* tells the caller: plain variant */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == found);
	*out = found;
	return 0;
}

/*
 * Every map of the object at its pin: shared maps at PINROOT's, private
 * ones under PINROOT/fn/NAME/ (made here), reused when pinned already.
 */
static int maps_pin(struct kfaas_state *st, struct bpf_object *obj,
		    const char *path, const char *name)
{
	char pin[KFAAS_PATH_MAX], dir[KFAAS_PATH_MAX];
	struct bpf_map *map;
	int rc;

	rc = kfaas__path(dir, sizeof(dir), "%s/fn", st->root);
	if (rc)
		return rc;
	mkdir(dir, 0700);
	rc = kfaas__path(dir, sizeof(dir), "%s/fn/%s", st->root, name);
	if (rc)
		return rc;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return kfaas__errno_msg(-errno, dir);
	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map);

		if (is_internal_map(map))
			continue;
		if (!strncmp(mname, KFAAS_MAP_PREFIX, strlen(KFAAS_MAP_PREFIX))) {
			rc = map_share(st, map, path);
		} else {
			rc = kfaas_fn_map_path(st, name, mname, pin, sizeof(pin)) ?:
			     map_check_pinned(map, pin, name) ?:
			     bpf_map__set_pin_path(map, pin);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* bpf_object__load()'s failure rc as a message (log: the verifier's). */
static int load_err(int rc, const char *log, const struct bpf_program *prog,
		    const char *path)
{
	kfaas__set_verifier_log(log);
	if (log[0])
		return kfaas_err(rc, "the verifier rejected %s in %s (verifier "
				 "log tail below)", bpf_program__name(prog), path);
	if (rc == -EPERM || rc == -EACCES)
		return kfaas__errno_msg(rc, path);
	return kfaas_err(rc, "cannot load %s: %s", path, strerror(-rc));
}

/*
 * Read the object at path without the kernel: its one function program
 * (*prog, set to load alone), the function id in .rodata set to id.
 * 0 with *obj open, or -errno (message set) with *obj NULL.
 */
static int obj_open(const char *path, const struct bpf_object_open_opts *oo,
		    __u32 id, bool *allow_km, struct bpf_object **obj,
		    struct bpf_program **prog)
{
	int rc;

	*obj = NULL;
	if (access(path, R_OK))
		return kfaas_err(-errno, "cannot read %s: %s", path,
				 strerror(errno));
	*obj = bpf_object__open_file(path, oo);
	if (!*obj) {
		rc = kfaas_err(-errno, "cannot open %s: not a BPF object built "
			       "with the kfaas SDK (clang -target bpf)", path);
		*obj = NULL;
		return rc;
	}
	rc = find_function(*obj, path, allow_km, prog);
	if (!rc) {
		rc = rodata_set(*obj, "kfaas_fn_id", id);
		if (rc)
			rc = kfaas_err(rc, "%s: no kfaas_fn_id in .rodata: build "
				       "the function with the kfaas SDK "
				       "(bpf/kfaas.h)", path);
	}
	if (rc) {
		bpf_object__close(*obj);
		*obj = NULL;
	}
	return rc;
}

int kfaas_obj_check(const char *path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	bool km = false;
	int rc = obj_open(path, NULL, 0, &km, &obj, &prog);

	if (!rc)
		bpf_object__close(obj);
	return rc;
}

static int obj_load(struct kfaas_state *st, const char *path, const char *name,
		    __u32 id, bool *allow_km, struct kfaas_loaded *out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpf_program *prog = NULL;
	char *log;
	int rc;

	memset(out, 0, sizeof(*out));
	out->prog_fd = -1;
	kfaas__set_verifier_log(NULL);
	log = calloc(1, KFAAS_VLOG_SIZE);
	if (!log)
		return kfaas_err(-ENOMEM, "out of memory");
	oo.kernel_log_buf = log;
	oo.kernel_log_size = KFAAS_VLOG_SIZE;
	rc = obj_open(path, &oo, id, allow_km, &out->obj, &prog) ?:
	     maps_pin(st, out->obj, path, name);
	if (rc)
		goto out;
	rc = bpf_object__load(out->obj);
	if (rc) {
		rc = load_err(rc, log, prog, path);
		goto out;
	}
	out->prog_fd = bpf_program__fd(prog);
	out->prog_type = bpf_program__type(prog);
	out->reply_ratio = reply_ratio(out->obj);
	snprintf(out->prog_name, sizeof(out->prog_name), "%s",
		 bpf_program__name(prog));
out:
	free(log);
	if (rc && out->obj) {
		bpf_object__close(out->obj);
		out->obj = NULL;
	}
	return rc;
}

int kfaas_obj_load(struct kfaas_state *st, const char *path, const char *name,
		   __u32 id, struct kfaas_loaded *out)
{
	bool km = kfaas_module_flag();
	int rc = obj_load(st, path, name, id, &km, out);

	/*
	 * The kernel may not offer the kfuncs to this program type (sk_skb
	 * on 6.1): then the plain variant, accounting in the maps.
	 */
	if (rc && km) {
		km = false;
		rc = obj_load(st, path, name, id, &km, out);
	}
	return rc;
}
