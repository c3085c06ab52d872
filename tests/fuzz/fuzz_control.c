// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: kfaasd's control protocol (user/lib/ctlproto.c), both
 * ends, and its base64.
 *   - every line of the input through the daemon's request parser: it
 *     accepts or refuses with a message, never reads or writes out of
 *     bounds, and what it accepts is well formed (names, data within the
 *     limit);
 *   - every line through the client's answer parser and the invoke and
 *     create answer decoders;
 *   - round trips: a request the client builds from fuzzed name, data and
 *     parameters parses back to the same values in the daemon; base64
 *     decodes what it encoded, and accepts only what it would encode.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_ctlproto.h>

#define MAX_DATA	1024

static void daemon_side(const char *line)
{
	struct kfaas_ctl_req r;
	char why[256] = "";
	int rc = kfaas_ctl_parse(line, MAX_DATA, &r, why, sizeof(why));

	if (rc) {
		if (!why[0] || (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM))
			abort();
	} else {
		if (r.cmd < 0 || r.cmd >= KFAAS_CTL_MAX || !r.obj)
			abort();
		if ((r.cmd == KFAAS_CTL_CREATE || r.cmd == KFAAS_CTL_UNLOAD ||
		     r.cmd == KFAAS_CTL_INVOKE || r.cmd == KFAAS_CTL_SHOW) &&
		    !r.name)
			abort();
		if (r.cmd == KFAAS_CTL_CREATE &&
		    (!r.exec || (r.params.flags & ~(KFAAS_VM_F_FRESH |
						    KFAAS_VM_F_RESIDENT |
						    KFAAS_VM_KEEP_MASK))))
			abort();
		if (r.cmd == KFAAS_CTL_INVOKE) {
			if (r.len > MAX_DATA || (r.len && !r.data))
				abort();
			if (r.len)	/* every byte is readable */
				(void)*(volatile char *)(r.data + r.len - 1);
		}
	}
	kfaas_ctl_req_free(&r);
}

static void client_side(const char *line)
{
	static const struct kfaas_vm_params asked = { .mem_mib = 128 };
	struct kfaas_vm_result res;
	struct kfaas_fn_info fi;
	json_object *resp;
	__u64 ready;
	int rc = kfaas_ctl_answer(line, &resp);

	if (rc > 0 || (rc == 0 && !resp) || !kfaas_errmsg())
		abort();
	if (!resp)
		return;
	rc = kfaas_ctl_invoke_result(resp, &res);
	if (rc == 0 && res.reply_len && !res.reply)
		abort();
	if (rc && res.reply)
		abort();
	if (memchr(res.error, '\0', sizeof(res.error)) == NULL)
		abort();
	free(res.reply);
	kfaas_ctl_create_result(resp, &asked, &fi, &ready);
	if (!memchr(fi.name, '\0', sizeof(fi.name)) ||
	    !memchr(fi.source, '\0', sizeof(fi.source)))
		abort();
	json_object_put(resp);
}

static void b64_props(const uint8_t *data, size_t size)
{
	char *s = kfaas_b64_encode(data, size), *str, *again;
	uint8_t *out = malloc(size + 1);
	ssize_t n;

	if (!s || !out)
		abort();
	n = kfaas_b64_decode(s, out, size);
	if (n != (ssize_t)size || memcmp(out, data, size))
		abort();
	if (size && kfaas_b64_decode(s, out, size - 1) != -ENOSPC)
		abort();
	free(s);
	/* the input as a base64 string: accepted only in canonical form */
	str = strndup((const char *)data, size);
	n = str ? kfaas_b64_decode(str, out, size) : -ENOMEM;
	if (n >= 0) {
		again = kfaas_b64_encode(out, (size_t)n);
		if (!again || strcmp(again, str))
			abort();
		free(again);
	}
	free(str);
	free(out);
}

/* Client-built requests parse back to what was asked. */
static void round_trip(const uint8_t *data, size_t size)
{
	struct kfaas_vm_params p = { 0 };
	struct kfaas_ctl_req r;
	char name[65] = "", why[256];
	json_object *o;
	const char *s;
	size_t i;

	for (i = 0; i < size && i < sizeof(name) - 1 && data[i]; i++)
		name[i] = (char)data[i];
	memcpy(&p, data, size < sizeof(p) ? size : sizeof(p));
	p.flags &= KFAAS_VM_F_FRESH | KFAAS_VM_F_RESIDENT | KFAAS_VM_KEEP_MASK;

	o = kfaas_ctl_req_invoke(name, data, size);
	s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (!s)
		abort();
	if (kfaas_ctl_parse(s, size, &r, why, sizeof(why)) ||
	    r.cmd != KFAAS_CTL_INVOKE || strcmp(r.name, name) ||
	    r.len != size || (size && memcmp(r.data, data, size)))
		abort();
	kfaas_ctl_req_free(&r);
	if (size && kfaas_ctl_parse(s, size - 1, &r, why, sizeof(why)) != -E2BIG)
		abort();
	kfaas_ctl_req_free(&r);
	json_object_put(o);

	o = kfaas_ctl_req_create(name, name, &p);
	s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	if (!s)
		abort();
	if (kfaas_ctl_parse(s, 0, &r, why, sizeof(why)) ||
	    r.cmd != KFAAS_CTL_CREATE || strcmp(r.name, name) ||
	    strcmp(r.exec, name) || memcmp(&r.params, &p, sizeof(p)))
		abort();
	kfaas_ctl_req_free(&r);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *nl;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* as the daemon splits its input: at newlines, a NUL ends a line */
	for (line = buf; line < buf + size; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + size - line));
		if (!nl)
			nl = buf + size;
		*nl = '\0';
		daemon_side(line);
		client_side(line);
	}
	free(buf);
	b64_props(data, size);
	round_trip(data, size);
	return 0;
}
