// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of function log entries (user/lib/logs.c, logs_file.c):
 * what --since accepts, entries of every kind through their JSON line and
 * back, messages that are not UTF-8, the text form one line a line, lines
 * that are not entries, kfaasd's history rotation under its byte cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "ktap.h"
#include <libkfaas.h>
#include <kfaas_logs.h>

#define NS	1000000000ULL

static void test_time(void)
{
	uint64_t t = 0, u = 0, now = kfaas_clock_ns(CLOCK_REALTIME);
	static const char *const bad[] = { "", "@", "@x", "@-1", "5x", "s",
					   "2026-13-40", "2026-12-03 25:00",
					   "2026-12-03T11:16:17Q", "yesterday" };
	size_t i;
	int ok = 1;

	ktap_test_result(kfaas_log_time_parse("@1700000000.5", &t) == 0 &&
			 t == 1700000000ULL * NS + NS / 2, "@SECONDS.FRACTION");
	ktap_test_result(kfaas_log_time_parse("2026-12-03T11:16:17.123456789Z", &t) == 0 &&
			 t == 1796296577ULL * NS + 123456789,
			 "RFC 3339 in UTC with nanoseconds");
	ktap_test_result(kfaas_log_time_parse("2026-12-03 11:16Z", &t) == 0 &&
			 t == 1796296560ULL * NS, "date, hours and minutes, UTC");
	ok = kfaas_log_time_parse("90s", &t) == 0 && t >= now - 90 * NS &&
	     kfaas_log_time_parse("2h", &u) == 0 && u >= now - 7200 * NS;
	now = kfaas_clock_ns(CLOCK_REALTIME);
	ktap_test_result(ok && t <= now - 90 * NS && u <= now - 7200 * NS,
			 "N{s,m,h,d}: that long ago");
	ok = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kfaas_log_time_parse(bad[i], &t) != -EINVAL) {
			ok = 0;
			ktap_print_msg("accepted: '%s'", bad[i]);
		}
	ktap_test_result(ok, "anything else: -EINVAL");
}

/* e through its JSON line and back into *back; the line in *line. */
static int round_trip(const struct kfaas_log_entry *e,
		      struct kfaas_log_entry *back, char **line)
{
	*line = kfaas_log_entry_json(e);
	return *line ? kfaas_log_entry_parse(*line, back) : -ENOMEM;
}

static void test_records(void)
{
	struct kfaas_log_rec r = { .h = { .ts_ns = 5 * NS, .fn_id = 3,
					  .tier = KFAAS_TIER_XDP,
					  .family = KFAAS_FAMILY_IPV6, .proto = 17,
					  .flags = KFAAS_LOG_F_TRUNCATED,
					  .sport = htons(40000), .dport = htons(53) } };
	struct kfaas_log_entry *e = calloc(2, sizeof(*e)), *b = e + 1;
	char *line;

	inet_pton(AF_INET6, "2001:db8::1", r.h.saddr);
	inet_pton(AF_INET6, "2001:db8::53", r.h.daddr);
	strcpy(r.msg, "a query for www");
	r.h.len = strlen(r.msg);
	kfaas_log_entry_of_rec(e, &r, "dns", 1700000000LL * NS);
	ktap_test_result(round_trip(e, b, &line) == 0 && b->time_ns == e->time_ns &&
			 b->time_ns == 1700000005ULL * NS && !strcmp(b->fn, "dns") &&
			 b->tier == KFAAS_TIER_XDP && b->kind == KFAAS_LOG_RECORD &&
			 b->family == KFAAS_FAMILY_IPV6 && b->proto == 17 &&
			 b->sport == 40000 && b->dport == 53 &&
			 !memcmp(b->saddr, e->saddr, 16) &&
			 !memcmp(b->daddr, e->daddr, 16) && b->truncated &&
			 !strcmp(b->msg, "a query for www") && !b->ran,
			 "an IPv6 record: every field through its JSON line");
	ktap_test_result(strstr(line, "\"src\":\"[2001:db8::1]:40000\"") &&
			 strstr(line, "\"dst\":\"[2001:db8::53]:53\"") &&
			 strstr(line, "\"time\":\"2023-11-14T22:13:25.000000000Z\""),
			 "... its ends and time as written: %s", line);
	free(line);

	/* a record's message stops at its NUL whatever its length says */
	r.h.family = KFAAS_FAMILY_IPV4;
	r.h.flags = KFAAS_LOG_F_NOSRC;
	r.h.tier = KFAAS_TIER_SK;
	r.h.proto = 6;
	memset(r.h.saddr, 0, 16);
	inet_pton(AF_INET, "10.0.0.1", r.h.daddr);
	r.h.len = 250;
	kfaas_log_entry_of_rec(e, &r, "lines", 0);
	ktap_test_result(round_trip(e, b, &line) == 0 && b->nosrc && !strstr(line, "\"src\"") &&
			 strstr(line, "\"dst\":\"10.0.0.1:53\"") && b->proto == 6 &&
			 b->tier == KFAAS_TIER_SK && b->len == strlen("a query for www"),
			 "no client address: no src; a length past the NUL is cut at it");
	free(line);
	free(e);
}

static void test_vm_and_drops(void)
{
	struct kfaas_log_entry *e = calloc(2, sizeof(*e)), *b = e + 1;
	char *line;

	e->time_ns = 1700000000ULL * NS;
	strcpy(e->fn, "kfn");
	e->tier = KFAAS_TIER_VM;
	e->ran = true;
	e->status = 3 << 8;
	e->duration_ns = 4100000;
	strcpy(e->error, "function 'kfn' exited with status 3");
	kfaas_log_entry_set_msg(e, "bad\n", 4);
	ktap_test_result(round_trip(e, b, &line) == 0 && b->ran &&
			 WIFEXITED(b->status) && WEXITSTATUS(b->status) == 3 &&
			 b->duration_ns == 4100000 && !strcmp(b->error, e->error) &&
			 !strcmp(b->msg, "bad\n") && !b->family,
			 "a VM-tier entry: exit status, run time, error, stderr");
	free(line);
	e->status = SIGSEGV;
	ktap_test_result(round_trip(e, b, &line) == 0 && strstr(line, "\"signal\":\"SEGV\"") &&
			 WIFSIGNALED(b->status) && WTERMSIG(b->status) == SIGSEGV,
			 "... killed by a signal: its name");
	free(line);
	memset(e, 0, sizeof(*e));
	e->time_ns = 1700000000ULL * NS;
	strcpy(e->fn, "flood");
	e->tier = KFAAS_TIER_XDP;
	e->kind = KFAAS_LOG_DROPPED;
	e->dropped = 1234;
	e->reason = KFAAS_LOG_DROP_RING;
	ktap_test_result(round_trip(e, b, &line) == 0 && b->kind == KFAAS_LOG_DROPPED &&
			 b->dropped == 1234 && b->reason == KFAAS_LOG_DROP_RING &&
			 !strstr(line, "\"msg\""),
			 "a drop entry: how many, why, no message");
	free(line);
	free(e);
}

static void test_utf8(void)
{
	struct kfaas_log_entry *e = calloc(1, sizeof(*e));
	/* valid é, a stray continuation byte, an overlong '/', a cut é, a control byte */
	static const char msg[] = "caf\xc3\xa9 \x80 \xc0\xaf \x01 \xc3";
	json_object *o;
	char *line;

	e->time_ns = NS;
	strcpy(e->fn, "x");
	e->tier = KFAAS_TIER_VM;
	kfaas_log_entry_set_msg(e, msg, sizeof(msg) - 1);
	line = kfaas_log_entry_json(e);
	o = line ? json_tokener_parse(line) : NULL;
	ktap_test_result(o && !strcmp(json_object_get_string(json_object_object_get(o, "msg")),
				     "caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \x01 \xef\xbf\xbd"),
			 "a message that is not UTF-8: valid sequences kept, each "
			 "other byte U+FFFD, control bytes escaped by JSON");
	json_object_put(o);
	free(line);
	free(e);
}

static void test_print(void)
{
	struct kfaas_log_entry *e = calloc(1, sizeof(*e));
	char *buf = NULL, *l2;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	e->time_ns = 1700000000ULL * NS + 123456789;
	strcpy(e->fn, "kfn");
	e->tier = KFAAS_TIER_VM;
	e->ran = true;
	e->duration_ns = 2500000;
	kfaas_log_entry_set_msg(e, "one\ntwo\x01\n", 9);
	kfaas_log_entry_print(f, e);
	fclose(f);
	l2 = buf ? strchr(buf, '\n') : NULL;
	ktap_test_result(l2 && strstr(buf, ".123456 kfn[vm] exit 0 after 2.5 ms: one\n") &&
			 strstr(l2 + 1, "kfn[vm] exit 0 after 2.5 ms: two\\x01\n") &&
			 !strchr(strchr(l2 + 1, '\n') + 1, '\n'),
			 "text: one line a line of the message, each with the head; "
			 "control bytes as \\xHH; no line for the last newline");
	free(buf);
	free(e);
}

static void test_not_entries(void)
{
	static const char *const bad[] = {
		"", "not json", "[1]", "{}", "{\"fn\":\"x\",\"tier\":\"xdp\"}",
		"{\"fn\":\"x\",\"tier\":\"nope\",\"time\":\"2026-12-03T11:16:17Z\"}",
		"{\"fn\":\"x\",\"tier\":\"xdp\",\"time\":\"later\"}",
		"{\"fn\":\"x\",\"tier\":\"xdp\",\"time\":\"2026-12-03T11:16:17Z\","
		"\"proto\":\"udp\",\"src\":\"1.2.3.4\",\"dst\":\"1.2.3.4:5\"}",
		"{\"fn\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"tier\":\"xdp\","
		"\"time\":\"2026-12-03T11:16:17Z\"}",
	};
	struct kfaas_log_entry *e = calloc(1, sizeof(*e));
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kfaas_log_entry_parse(bad[i], e) != -EINVAL) {
			ok = 0;
			ktap_print_msg("taken for an entry: %s", bad[i]);
		}
	ktap_test_result(ok, "lines that are not entries: -EINVAL");
	free(e);
}

static void test_rotation(void)
{
	char dir[] = "/tmp/kfaas-test-logs-XXXXXX", path[256], line[200];
	struct stat a, b;
	int i, rc = 0;

	if (!mkdtemp(dir)) {
		ktap_test_result(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i < 100 && !rc; i++)
		rc = kfaas_log_file_append(dir, "fn", line, 4096);
	snprintf(path, sizeof(path), "%s/fn.log", dir);
	rc = rc ?: stat(path, &a);
	snprintf(path, sizeof(path), "%s/fn.log.1", dir);
	rc = rc ?: stat(path, &b);
	ktap_test_result(!rc && a.st_size + b.st_size <= 4096 &&
			 a.st_size % 200 == 0 && b.st_size == 2000,
			 "history: 100 lines of 200 bytes under a 4096-byte cap: "
			 "two halves of whole lines (%lld + %lld bytes)",
			 (long long)a.st_size, (long long)b.st_size);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fn.log", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(15);
	test_time();
	test_records();
	test_vm_and_drops();
	test_utf8();
	test_print();
	test_not_entries();
	test_rotation();
	return ktap_finished();
}
