// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd's control protocol, both ends (kfaas_ctlproto.h), and the base64
 * its byte fields travel in.  Nothing here touches a socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_ctlproto.h>

static const char *const cmd_names[KFAAS_CTL_MAX] = {
	[KFAAS_CTL_PING] = "ping", [KFAAS_CTL_STATUS] = "status",
	[KFAAS_CTL_RELOAD] = "reload", [KFAAS_CTL_CREATE] = "create",
	[KFAAS_CTL_UNLOAD] = "unload", [KFAAS_CTL_INVOKE] = "invoke",
	[KFAAS_CTL_SHOW] = "show", [KFAAS_CTL_COST] = "cost",
	[KFAAS_CTL_WAIT] = "wait",
};

/* The keep-alive's mode in the protocol, by KFAAS_VM_KEEP_* >> shift; its
 * seconds travel in idle_ttl_s */
static const char *const keep_words[] = { "idle-ttl", "auto", "fixed", "none" };

const char *kfaas_ctl_cmd_name(int cmd)
{
	return cmd >= 0 && cmd < KFAAS_CTL_MAX ? cmd_names[cmd] : "?";
}

static __u64 u64_field(json_object *o, const char *key);

/* ---- the daemon side: parsing requests -------------------------------- */

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An unsigned 32-bit field, or def when absent; -1 when malformed. */
static int get_u32(json_object *o, const char *key, __u32 def, __u32 *out)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v)) {
		*out = def;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < 0 || x > UINT32_MAX)
		return -1;
	*out = (__u32)x;
	return 0;
}

static int get_bool(json_object *o, const char *key, bool *out)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return -1;
	*out = json_object_get_boolean(v);
	return 0;
}

void kfaas_ctl_req_free(struct kfaas_ctl_req *r)
{
	json_object_put(r->obj);
	free(r->data);
	memset(r, 0, sizeof(*r));
	r->cmd = -1;
}

/* "keep_alive": one of keep_words, or the default's */
static int get_keep(json_object *o, __u32 def, __u32 *out)
{
	const char *s = get_str(o, "keep_alive");
	unsigned int i;

	*out = def;
	if (!json_object_object_get_ex(o, "keep_alive", NULL))
		return 0;
	for (i = 0; s && i < sizeof(keep_words) / sizeof(keep_words[0]); i++)
		if (!strcmp(s, keep_words[i])) {
			*out = i << KFAAS_VM_KEEP_SHIFT;
			return 0;
		}
	return -1;
}

static int parse_create(struct kfaas_ctl_req *r, char *why, size_t wlen)
{
	const struct kfaas_vm_params *d = &kfaas_vm_defaults;
	struct kfaas_vm_params *p = &r->params;
	__u32 keep;
	bool fresh, resident;

	r->exec = get_str(r->obj, "exec");
	if (!r->name || !r->exec) {
		snprintf(why, wlen, "create needs \"name\" and \"exec\" strings");
		return -EINVAL;
	}
	*p = *d;
	if (get_u32(r->obj, "mem_mib", d->mem_mib, &p->mem_mib) ||
	    get_u32(r->obj, "vcpus", d->vcpus, &p->vcpus) ||
	    get_u32(r->obj, "min_warm", d->min_warm, &p->min_warm) ||
	    get_u32(r->obj, "max", d->max_instances, &p->max_instances) ||
	    get_u32(r->obj, "idle_ttl_s", d->idle_ttl_s, &p->idle_ttl_s) ||
	    get_u32(r->obj, "timeout_ms", d->timeout_ms, &p->timeout_ms)) {
		snprintf(why, wlen, "create: numbers must be unsigned 32-bit "
			 "integers");
		return -EINVAL;
	}
	if (get_bool(r->obj, "fresh", &fresh) ||
	    get_bool(r->obj, "resident", &resident)) {
		snprintf(why, wlen, "create: \"fresh\" and \"resident\" must "
			 "be true or false");
		return -EINVAL;
	}
	if (get_keep(r->obj, KFAAS_VM_KEEP(d->flags), &keep)) {
		snprintf(why, wlen, "create: \"keep_alive\" must be \"auto\", "
			 "\"none\", \"fixed\" or \"idle-ttl\" (its seconds in "
			 "\"idle_ttl_s\")");
		return -EINVAL;
	}
	p->flags = (fresh ? KFAAS_VM_F_FRESH : 0) |
		   (resident ? KFAAS_VM_F_RESIDENT : 0) | keep;
	return 0;
}

/* cost: "since", seconds since the epoch (0 or absent: everything) */
static int parse_cost(struct kfaas_ctl_req *r, char *why, size_t wlen)
{
	json_object *v;

	r->since = 0;
	if (!json_object_object_get_ex(r->obj, "since", &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		snprintf(why, wlen, "cost: \"since\" must be seconds since the "
			 "epoch, 0 or more");
		return -EINVAL;
	}
	r->since = (__u64)json_object_get_int64(v);
	return 0;
}

static int parse_invoke(struct kfaas_ctl_req *r, size_t max_data, char *why,
			size_t wlen)
{
	const char *data = get_str(r->obj, "data");
	size_t n = data ? strlen(data) : 0, cap = n / 4 * 3 + 3;
	ssize_t got;

	if (!r->name) {
		snprintf(why, wlen, "invoke needs \"name\"");
		return -EINVAL;
	}
	if (json_object_object_get_ex(r->obj, "data", NULL) && !data) {
		snprintf(why, wlen, "invoke: \"data\" must be a base64 string");
		return -EINVAL;
	}
	/* a quick bound first: do not decode what is far too big */
	if (n / 4 * 3 > max_data + 3) {
		snprintf(why, wlen, "request of about %zu bytes is over the limit "
			 "of %zu (kfaasd --max-request)", n / 4 * 3, max_data);
		return -E2BIG;
	}
	r->data = malloc(cap + 1);
	if (!r->data) {
		snprintf(why, wlen, "out of memory");
		return -ENOMEM;
	}
	got = data ? kfaas_b64_decode(data, r->data, cap) : 0;
	if (got < 0) {
		snprintf(why, wlen, "invoke: \"data\" is not base64 (RFC 4648, "
			 "padded)");
		return -EINVAL;
	}
	if ((size_t)got > max_data) {
		snprintf(why, wlen, "request of %zd bytes is over the limit of "
			 "%zu (kfaasd --max-request)", got, max_data);
		return -E2BIG;
	}
	r->len = (size_t)got;
	return 0;
}

int kfaas_ctl_parse(const char *line, size_t max_data, struct kfaas_ctl_req *r,
		    char *why, size_t wlen)
{
	const char *cmd;
	int i;

	memset(r, 0, sizeof(*r));
	r->cmd = -1;
	r->obj = json_tokener_parse(line);
	if (!r->obj || !json_object_is_type(r->obj, json_type_object)) {
		snprintf(why, wlen, "not a JSON object: send one {\"cmd\":...} "
			 "per line");
		return -EINVAL;
	}
	cmd = get_str(r->obj, "cmd");
	for (i = 0; cmd && i < KFAAS_CTL_MAX; i++)
		if (!strcmp(cmd, cmd_names[i]))
			break;
	if (!cmd || i == KFAAS_CTL_MAX) {
		snprintf(why, wlen, "unknown command '%.64s': use ping, status, "
			 "reload, create, unload, invoke, wait, show or cost",
			 cmd ? cmd : "(none)");
		return -EINVAL;
	}
	r->cmd = i;
	r->name = get_str(r->obj, "name");
	switch (i) {
	case KFAAS_CTL_CREATE:
		return parse_create(r, why, wlen);
	case KFAAS_CTL_UNLOAD:
	case KFAAS_CTL_SHOW:
		if (!r->name) {
			snprintf(why, wlen, "%s needs \"name\"", cmd_names[i]);
			return -EINVAL;
		}
		return 0;
	case KFAAS_CTL_COST:
		return parse_cost(r, why, wlen);
	case KFAAS_CTL_INVOKE:
		return parse_invoke(r, max_data, why, wlen);
	case KFAAS_CTL_WAIT:
		if (!r->name || !json_object_object_get_ex(r->obj, "load_time",
							   NULL)) {
			snprintf(why, wlen, "wait needs \"name\" and \"load_time\"");
			return -EINVAL;
		}
		r->load_time = u64_field(r->obj, "load_time");
		return 0;
	default:
		return 0;
	}
}

/* ---- the client side: building requests, parsing answers ---------------- */

json_object *kfaas_ctl_req_new(int cmd, const char *name)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "cmd", json_object_new_string(
		kfaas_ctl_cmd_name(cmd)));
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

json_object *kfaas_ctl_req_create(const char *name, const char *exe,
				  const struct kfaas_vm_params *p)
{
	json_object *o = kfaas_ctl_req_new(KFAAS_CTL_CREATE, name);

	if (!o)
		return NULL;
	json_object_object_add(o, "exec", json_object_new_string(exe));
	json_object_object_add(o, "mem_mib", json_object_new_int64(p->mem_mib));
	json_object_object_add(o, "vcpus", json_object_new_int64(p->vcpus));
	json_object_object_add(o, "min_warm", json_object_new_int64(p->min_warm));
	json_object_object_add(o, "max", json_object_new_int64(p->max_instances));
	json_object_object_add(o, "idle_ttl_s", json_object_new_int64(p->idle_ttl_s));
	json_object_object_add(o, "timeout_ms", json_object_new_int64(p->timeout_ms));
	json_object_object_add(o, "keep_alive", json_object_new_string(
		keep_words[KFAAS_VM_KEEP(p->flags) >> KFAAS_VM_KEEP_SHIFT]));
	if (p->flags & KFAAS_VM_F_FRESH)
		json_object_object_add(o, "fresh", json_object_new_boolean(1));
	if (p->flags & KFAAS_VM_F_RESIDENT)
		json_object_object_add(o, "resident", json_object_new_boolean(1));
	return o;
}

json_object *kfaas_ctl_req_invoke(const char *name, const void *data,
				  size_t len)
{
	json_object *o = kfaas_ctl_req_new(KFAAS_CTL_INVOKE, name);
	char *b64 = kfaas_b64_encode(data, len);

	if (!o || !b64) {
		json_object_put(o);
		free(b64);
		return NULL;
	}
	json_object_object_add(o, "data", json_object_new_string(b64));
	free(b64);
	return o;
}

json_object *kfaas_ctl_req_wait(const char *name, __u64 load_time)
{
	json_object *o = kfaas_ctl_req_new(KFAAS_CTL_WAIT, name);

	if (o)
		json_object_object_add(o, "load_time",
				       json_object_new_int64((int64_t)load_time));
	return o;
}

/* A string field, or NULL when absent or of another type. */
static const char *str_field(json_object *o, const char *key)
{
	return get_str(o, key);
}

static __u64 u64_field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return (__u64)json_object_get_int64(v);
}

int kfaas_ctl_answer(const char *line, json_object **resp)
{
	json_object *o = json_tokener_parse(line), *v;
	const char *err;
	int rc;

	*resp = NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return kfaas_err(-EPROTO, "kfaasd sent an answer that is not a "
				 "JSON object");
	}
	*resp = o;
	if (json_object_object_get_ex(o, "ok", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v))
		return 0;
	rc = json_object_object_get_ex(o, "errno", &v) &&
	     json_object_is_type(v, json_type_int) ?
	     -json_object_get_int(v) : -EIO;
	if (rc >= 0 || rc < -4095)
		rc = -EIO;
	err = str_field(o, "error");
	return kfaas_err(rc, "%s", err ? err : "kfaasd refused the request");
}

void kfaas_ctl_create_result(json_object *resp, const struct kfaas_vm_params *p,
			     struct kfaas_fn_info *out, __u64 *ready_ms)
{
	json_object *fn;
	const char *s;

	if (ready_ms)
		*ready_ms = u64_field(resp, "ready_ms");
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	out->tier = KFAAS_TIER_VM;
	out->vm = *p;
	if (!json_object_object_get_ex(resp, "fn", &fn) ||
	    !json_object_is_type(fn, json_type_object))
		return;
	out->id = (__u32)u64_field(fn, "id");
	out->load_time = u64_field(fn, "load_time");
	s = str_field(fn, "name");
	snprintf(out->name, sizeof(out->name), "%s", s ? s : "");
	s = str_field(fn, "source");
	snprintf(out->source, sizeof(out->source), "%s", s ? s : "");
}

int kfaas_ctl_invoke_result(json_object *resp, struct kfaas_vm_result *r)
{
	const char *verdict = str_field(resp, "verdict"), *s;
	json_object *v;

	memset(r, 0, sizeof(*r));
	r->ok = verdict && !strcmp(verdict, "reply");
	r->duration_ns = u64_field(resp, "duration_ns");
	r->ran = json_object_object_get_ex(resp, "status", &v) &&
		 json_object_is_type(v, json_type_int);
	r->status = r->ran ? json_object_get_int(v) : 0;
	r->vm = json_object_object_get_ex(resp, "vm", &v) &&
		json_object_is_type(v, json_type_int) ?
		json_object_get_int(v) : -1;
	r->fn_wall_ns = u64_field(resp, "fn_wall_ns");
	r->fn_cpu_ns = u64_field(resp, "fn_cpu_ns");
	s = str_field(resp, "error");
	if (s)
		snprintf(r->error, sizeof(r->error), "%s", s);
	if (!verdict || (r->ok ? false : strcmp(verdict, "error")))
		return kfaas_err(-EPROTO, "kfaasd sent an invoke answer without "
				 "a verdict");
	if (json_object_object_get_ex(resp, "reply", &v)) {
		size_t cap;
		ssize_t n;

		s = str_field(resp, "reply");
		if (!s)
			return kfaas_err(-EPROTO, "kfaasd sent a reply that is "
					 "not a string");
		cap = strlen(s) / 4 * 3 + 3;
		r->reply = malloc(cap + 1);
		n = r->reply ? kfaas_b64_decode(s, r->reply, cap) : -ENOMEM;
		if (n < 0) {
			free(r->reply);
			r->reply = NULL;
			return kfaas_err(n == -ENOMEM ? -ENOMEM : -EPROTO,
					 "kfaasd sent a reply that is not base64");
		}
		r->reply_len = (size_t)n;
	} else if (r->ok) {
		return kfaas_err(-EPROTO, "kfaasd sent a reply verdict without "
				 "a reply");
	}
	return 0;
}

/* ---- base64 (RFC 4648, padded, canonical) ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kfaas_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *s = malloc((len + 2) / 3 * 4 + 1), *o = s;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return s;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Only what kfaas_b64_encode() writes is accepted: groups of four, at most
 * two '=' at the very end, unused bits zero.  Anything else is -EINVAL;
 * more than cap bytes of output is -ENOSPC.
 */
ssize_t kfaas_b64_decode(const char *s, void *out, size_t cap)
{
	unsigned char *o = out;
	unsigned int acc = 0;
	size_t n = 0, chars = 0;
	int bits = 0, pad = 0;

	for (; *s; s++, chars++) {
		int c;

		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -EINVAL;	/* data after padding */
		c = b64_value(*s);
		if (c < 0)
			return -EINVAL;
		acc = ((acc << 6) | (unsigned int)c) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -ENOSPC;
			o[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (chars % 4 || pad > 2 || (pad && (chars - (size_t)pad) % 4 + (size_t)pad != 4))
		return -EINVAL;
	if (acc & ((1U << bits) - 1))
		return -EINVAL;	/* bits the encoder would have left zero */
	return (ssize_t)n;
}
