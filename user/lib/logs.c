// SPDX-License-Identifier: GPL-2.0
/*
 * Log entries (kfaas_logs.h): made from ring records, written as JSON
 * lines (kfaasd's history, 'kfaas logs -j') and parsed back, printed as
 * text; the times --since takes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include <kfaas_logs.h>
#include "internal.h"

static const char *const drop_reasons[KFAAS_LOG_DROP_MAX] = {
	[KFAAS_LOG_DROP_RATE] = "rate limit",
	[KFAAS_LOG_DROP_RING] = "ring full",
};

const char *kfaas_log_drop_reason_name(int reason)
{
	return reason >= 0 && reason < KFAAS_LOG_DROP_MAX ?
	       drop_reasons[reason] : "?";
}

/*
 * Records carry CLOCK_MONOTONIC (bpf_ktime_get_ns()); shown, they need the
 * wall clock.  Every reader measures the offset itself, so two looks at
 * the same record must agree: the offset is read where the two clocks
 * were read closest together (the tightest of a few brackets) and
 * rounded to a millisecond, which two readers then get alike unless the
 * true offset lies within the microsecond of error of a boundary.  Wall
 * times are therefore exact to half a millisecond; their order and
 * spacing, from the monotonic clock, exactly.
 */
int64_t kfaas_log_mono_to_real(void)
{
	uint64_t best = UINT64_MAX;
	int64_t off = 0;
	int i;

	for (i = 0; i < 5; i++) {
		uint64_t a = kfaas_now_ns();
		uint64_t r = kfaas_clock_ns(CLOCK_REALTIME);
		uint64_t b = kfaas_now_ns();

		if (b - a < best) {
			best = b - a;
			off = (int64_t)(r - (a + (b - a) / 2));
		}
	}
	return (off + 500000) / 1000000 * 1000000;
}

void kfaas_log_entry_set_msg(struct kfaas_log_entry *e, const char *text,
			     size_t len)
{
	if (len > KFAAS_LOG_TEXT_MAX) {
		len = KFAAS_LOG_TEXT_MAX;
		e->truncated = true;
	}
	memcpy(e->msg, text, len);
	e->msg[len] = '\0';
	e->len = len;
}

void kfaas_log_entry_of_rec(struct kfaas_log_entry *e,
			    const struct kfaas_log_rec *r, const char *fn,
			    int64_t mono_to_real)
{
	size_t n = r->h.len < KFAAS_LOG_MSG_MAX ? r->h.len : KFAAS_LOG_MSG_MAX - 1;

	memset(e, 0, offsetof(struct kfaas_log_entry, msg));
	e->time_ns = (uint64_t)((int64_t)r->h.ts_ns + mono_to_real);
	snprintf(e->fn, sizeof(e->fn), "%s", fn);
	e->tier = r->h.tier;
	e->kind = KFAAS_LOG_RECORD;
	if (r->h.family == KFAAS_FAMILY_IPV4 || r->h.family == KFAAS_FAMILY_IPV6) {
		e->family = r->h.family;
		e->proto = r->h.proto;
		e->sport = ntohs(r->h.sport);
		e->dport = ntohs(r->h.dport);
		memcpy(e->saddr, r->h.saddr, sizeof(e->saddr));
		memcpy(e->daddr, r->h.daddr, sizeof(e->daddr));
	}
	e->nosrc = r->h.flags & KFAAS_LOG_F_NOSRC;
	e->truncated = r->h.flags & KFAAS_LOG_F_TRUNCATED;
	/* the message stops at its NUL, whatever len says */
	kfaas_log_entry_set_msg(e, r->msg, strnlen(r->msg, n));
}

void kfaas_log_entry_endpoint(const struct kfaas_log_entry *e, bool src,
			      char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (src && e->nosrc) {
		snprintf(buf, len, "?");
		return;
	}
	inet_ntop(e->family == KFAAS_FAMILY_IPV4 ? AF_INET : AF_INET6,
		  src ? e->saddr : e->daddr, a, sizeof(a));
	snprintf(buf, len, e->family == KFAAS_FAMILY_IPV6 ? "[%s]:%u" : "%s:%u",
		 a, src ? e->sport : e->dport);
}

/* Parse what endpoint() wrote; 0 or -EINVAL. */
static int endpoint_parse(const char *s, uint8_t *family, uint8_t addr[16],
			  uint16_t *port)
{
	char a[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long p;
	size_t n;
	char *end;

	if (!colon || colon == s)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -EINVAL;
		s++;
		n -= 2;
	}
	if (n >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, n);
	a[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || errno || p > 65535)
		return -EINVAL;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, a, addr) == 1)
		*family = KFAAS_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*family = KFAAS_FAMILY_IPV6;
	else
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/*
 * The message as valid UTF-8 for JSON: well-formed sequences are kept,
 * any other byte becomes U+FFFD.  malloc()ed, NULL when out of memory.
 */
static char *utf8_clean(const char *s, size_t n, size_t *out_len)
{
	char *o = malloc(n * 3 + 1);
	size_t i = 0, j = 0, k, len;
	unsigned char c;
	uint32_t cp;

	if (!o)
		return NULL;
	while (i < n) {
		c = (unsigned char)s[i];
		len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		      (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n || ((unsigned char)s[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		}
		/* no overlong forms, surrogates or code points past U+10FFFF */
		if (len && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff)))
			len = 0;
		if (!len) {
			memcpy(o + j, "\xef\xbf\xbd", 3);
			j += 3;
			i++;
			continue;
		}
		memcpy(o + j, s + i, len);
		j += len;
		i += len;
	}
	o[j] = '\0';
	*out_len = j;
	return o;
}

/* RFC 3339 in UTC with nanoseconds: 2026-12-03T11:16:17.123456789Z */
static void time_utc(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char d[32];

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lluZ", d,
		 (unsigned long long)(ns % 1000000000ULL));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* The VM tier's outcome: "exit" or "signal", with the duration. */
static void vm_json(json_object *o, const struct kfaas_log_entry *e)
{
	if (!e->ran)
		return;
	if (WIFEXITED(e->status))
		json_object_object_add(o, "exit",
				       json_object_new_int(WEXITSTATUS(e->status)));
	else if (WIFSIGNALED(e->status))
		add_str(o, "signal", sigabbrev_np(WTERMSIG(e->status)) ?: "?");
	add_u64(o, "duration_ns", e->duration_ns);
}

char *kfaas_log_entry_json(const struct kfaas_log_entry *e)
{
	json_object *o = json_object_new_object();
	char buf[80], *msg, *line;
	size_t mlen;

	if (!o)
		return NULL;
	time_utc(e->time_ns, buf, sizeof(buf));
	add_str(o, "time", buf);
	add_str(o, "fn", e->fn);
	add_str(o, "tier", kfaas_tier_name(e->tier));
	if (e->kind == KFAAS_LOG_DROPPED) {
		add_u64(o, "dropped", e->dropped);
		add_str(o, "reason", kfaas_log_drop_reason_name(e->reason));
	} else {
		if (e->family) {
			add_str(o, "proto", e->proto == 6 ? "tcp" : "udp");
			kfaas_log_entry_endpoint(e, true, buf, sizeof(buf));
			if (!e->nosrc)
				add_str(o, "src", buf);
			kfaas_log_entry_endpoint(e, false, buf, sizeof(buf));
			add_str(o, "dst", buf);
		}
		vm_json(o, e);
		if (e->error[0])
			add_str(o, "error", e->error);
		msg = utf8_clean(e->msg, e->len, &mlen);
		if (!msg) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, "msg", json_object_new_string_len(msg,
								      (int)mlen));
		free(msg);
		if (e->truncated)
			json_object_object_add(o, "truncated",
					       json_object_new_boolean(1));
	}
	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

static int time_parse_date(const char *s, uint64_t *out);

static const char *get_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static bool get_u64(json_object *o, const char *k, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

/* The request's ends and the VM outcome of a parsed entry. */
static int parse_record(json_object *o, struct kfaas_log_entry *e)
{
	const char *src = get_str(o, "src"), *dst = get_str(o, "dst"),
		   *proto = get_str(o, "proto"), *sig = get_str(o, "signal"),
		   *err = get_str(o, "error"), *msg = get_str(o, "msg");
	json_object *v;
	uint64_t x;
	int s;

	if (dst && proto) {
		if (endpoint_parse(dst, &e->family, e->daddr, &e->dport) ||
		    (src && endpoint_parse(src, &e->family, e->saddr, &e->sport)))
			return -EINVAL;
		e->nosrc = !src;
		e->proto = !strcmp(proto, "tcp") ? 6 : 17;
	}
	if (json_object_object_get_ex(o, "exit", &v)) {
		e->ran = true;
		e->status = (json_object_get_int(v) & 0xff) << 8;
	} else if (sig) {
		e->ran = true;
		for (s = 1; s < NSIG; s++)
			if (sigabbrev_np(s) && !strcmp(sigabbrev_np(s), sig))
				e->status = s;
	}
	/* a run time belongs to an invocation's outcome */
	if (e->ran && get_u64(o, "duration_ns", &x))
		e->duration_ns = x;
	if (err)
		snprintf(e->error, sizeof(e->error), "%s", err);
	if (msg)
		kfaas_log_entry_set_msg(e, msg, strlen(msg));
	e->truncated = json_object_object_get_ex(o, "truncated", &v) &&
		       json_object_get_boolean(v);
	return 0;
}

int kfaas_log_entry_parse(const char *line, struct kfaas_log_entry *e)
{
	json_object *o = json_tokener_parse(line);
	const char *fn, *tier, *when, *reason;
	int rc = -EINVAL, t, i;

	memset(e, 0, offsetof(struct kfaas_log_entry, msg));
	e->msg[0] = '\0';
	if (!o || !json_object_is_type(o, json_type_object))
		goto out;
	fn = get_str(o, "fn");
	tier = get_str(o, "tier");
	when = get_str(o, "time");
	t = tier ? kfaas_tier_parse(tier) : -1;
	if (!fn || strlen(fn) >= sizeof(e->fn) || t <= 0 || !when ||
	    time_parse_date(when, &e->time_ns))
		goto out;
	snprintf(e->fn, sizeof(e->fn), "%s", fn);
	e->tier = (unsigned int)t;
	if (get_u64(o, "dropped", &e->dropped)) {
		e->kind = KFAAS_LOG_DROPPED;
		reason = get_str(o, "reason");
		for (i = 0; reason && i < KFAAS_LOG_DROP_MAX; i++)
			if (!strcmp(reason, drop_reasons[i]))
				e->reason = i;
		rc = 0;
	} else {
		rc = parse_record(o, e);
	}
out:
	json_object_put(o);
	return rc;
}

/* "exit 3 after 5.2 ms" / "killed by SIGKILL after 5000.0 ms" */
static void vm_text(const struct kfaas_log_entry *e, char *buf, size_t len)
{
	double ms = (double)e->duration_ns / 1e6;

	if (WIFSIGNALED(e->status))
		snprintf(buf, len, " killed by SIG%s after %.1f ms",
			 sigabbrev_np(WTERMSIG(e->status)) ?: "?", ms);
	else
		snprintf(buf, len, " exit %d after %.1f ms",
			 WEXITSTATUS(e->status), ms);
}

/* Control bytes of a line as \xHH, so one line stays one line. */
static void print_text(FILE *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t')
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void kfaas_log_entry_print(FILE *out, const struct kfaas_log_entry *e)
{
	char head[160], t[32], a[64], b[64], what[160] = "";
	time_t sec = (time_t)(e->time_ns / 1000000000ULL);
	const char *p = e->msg, *nl, *end = e->msg + e->len;
	struct tm tm;

	localtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(head, sizeof(head), "%s.%06llu %s[%s]", t,
		 (unsigned long long)(e->time_ns % 1000000000ULL / 1000),
		 e->fn, kfaas_tier_name(e->tier));
	if (e->kind == KFAAS_LOG_DROPPED) {
		fprintf(out, "%s %llu record%s dropped (%s)\n", head,
			(unsigned long long)e->dropped, e->dropped == 1 ? "" : "s",
			kfaas_log_drop_reason_name(e->reason));
		return;
	}
	if (e->family) {
		kfaas_log_entry_endpoint(e, true, a, sizeof(a));
		kfaas_log_entry_endpoint(e, false, b, sizeof(b));
		snprintf(what, sizeof(what), " %s %s > %s",
			 e->proto == 6 ? "tcp" : "udp", a, b);
	} else if (e->ran) {
		vm_text(e, what, sizeof(what));
	}
	if (e->error[0]) {
		fprintf(out, "%s%s: error: %s\n", head, what, e->error);
		if (!e->len)
			return;
	}
	/* one line a line of the message, each with the head */
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		fprintf(out, "%s%s: ", head, what);
		print_text(out, p, (size_t)((nl ? nl : end) - p));
		if (!nl || nl + 1 == end) {
			fputs(e->truncated ? " [cut]\n" : "\n", out);
			return;
		}
		fputc('\n', out);
		p = nl + 1;
	}
}

/* "YYYY-MM-DD[ HH:MM[:SS[.F]]][Z]" */
static int time_parse_date(const char *s, uint64_t *out)
{
	struct tm tm = { .tm_isdst = -1 };
	const char *p;
	uint64_t frac = 0, scale = 100000000ULL;
	bool utc = false;
	time_t t;

	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -EINVAL;
	if (*p == ' ' || *p == 'T') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);

		if (!q)
			q = strptime(p + 1, "%H:%M", &tm);
		if (!q)
			return -EINVAL;
		p = q;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				frac += (uint64_t)(*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	}
	if (*p)
		return -EINVAL;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*out = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

int kfaas_log_time_parse(const char *s, uint64_t *out)
{
	uint64_t now = kfaas_clock_ns(CLOCK_REALTIME), mul;
	double v;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '@') {
		errno = 0;
		v = strtod(s + 1, &end);
		if (!s[1] || *end || errno || v < 0 || v > 1e10)
			return -EINVAL;
		*out = (uint64_t)(v * 1e9);
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && !strchr(s, '-')) {
		errno = 0;
		v = strtod(s, &end);
		mul = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
		      !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;
		if (errno || !mul || v < 0 || v * mul > 1e9)
			return -EINVAL;
		*out = now - (uint64_t)(v * (double)mul * 1e9);
		return 0;
	}
	return time_parse_date(s, out);
}
