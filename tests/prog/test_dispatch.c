// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of the real dispatcher and every example, on
 * the host kernel, through a private pin root: valid requests of every
 * shape get exactly the right reply; malformed frames are passed up (or
 * dropped) untouched; accounting counts every invocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "ktap.h"
#include <libkfaas.h>
#include <kfaas_frame.h>
#include "kv.h"
#include "dns.h"

static struct kfaas_state st;
static char bpfdir[512];

struct run {
	__u32 verdict;
	uint8_t out[16384];
	size_t outlen;
	struct kfaas_frame_info ri;	/* parsed reply when XDP_TX */
	int reply_ok;			/* reply parses, checksums valid */
};

static struct kfaas_frame_spec base(int family, uint16_t dport,
				    const void *payload, size_t len)
{
	struct kfaas_frame_spec s = { .family = family, .vlan = -1,
				      .sport = 40000, .dport = dport,
				      .payload = payload, .len = len };
	static const uint8_t cm[6] = { 2, 0, 0, 0, 0, 1 }, sm[6] = { 2, 0, 0, 0, 0, 2 };

	memcpy(s.src_mac, cm, 6);
	memcpy(s.dst_mac, sm, 6);
	if (family == 4) {
		inet_pton(AF_INET, "192.0.2.1", s.saddr);
		inet_pton(AF_INET, "192.0.2.2", s.daddr);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", s.saddr);
		inet_pton(AF_INET6, "2001:db8::2", s.daddr);
	}
	return s;
}

static size_t build(const struct kfaas_frame_spec *s, uint8_t *buf)
{
	ssize_t n = kfaas_frame_build(s, buf, 16384);

	if (n < 0) {
		ktap_print_msg("frame build failed");
		exit(KSFT_FAIL);
	}
	return (size_t)n;
}

static void run_frame(const uint8_t *in, size_t len, struct run *r)
{
	r->outlen = sizeof(r->out);
	r->verdict = ~0U;
	r->reply_ok = 0;
	if (kfaas_invoke_run(&st, in, len, r->out, &r->outlen, 1, &r->verdict,
			     NULL)) {
		ktap_print_msg("test run: %s", kfaas_errmsg());
		return;
	}
	if (r->verdict == XDP_TX)
		r->reply_ok = kfaas_frame_parse(r->out, r->outlen, &r->ri, NULL) == 0 &&
			      r->ri.ip_csum_ok && r->ri.udp_csum_ok;
}

static const uint8_t *reply_payload(const struct run *r)
{
	return r->out + r->ri.payload_off;
}

/* The reply answers the request s: addresses, ports, MACs swapped. */
static int answers(const struct run *r, const struct kfaas_frame_spec *s)
{
	return r->verdict == XDP_TX && r->reply_ok &&
	       r->ri.family == s->family && r->ri.sport == s->dport &&
	       r->ri.dport == s->sport && r->ri.vlan == s->vlan &&
	       !memcmp(r->ri.saddr, s->daddr, 16) &&
	       !memcmp(r->ri.daddr, s->saddr, 16) &&
	       !memcmp(r->ri.dst_mac, s->src_mac, 6) &&
	       !memcmp(r->ri.src_mac, s->dst_mac, 6) && r->ri.ttl == 64;
}

/* Passed up (or dropped) with the frame exactly as it came. */
static int untouched(const struct run *r, const uint8_t *in, size_t len,
		     __u32 verdict)
{
	return r->verdict == verdict && r->outlen == len &&
	       !memcmp(r->out, in, len);
}

static int load(const char *obj, const char *name, int port)
{
	struct kfaas_route_key key;
	struct kfaas_route rt = { .tier = KFAAS_TIER_XDP };
	struct kfaas_fn_info fi;
	char path[600], p[8];

	snprintf(path, sizeof(path), "%s/%s.bpf.o", bpfdir, obj);
	snprintf(p, sizeof(p), "%d", port);
	if (kfaas_fn_load(&st, path, name, &fi)) {
		ktap_print_msg("load %s: %s", name, kfaas_errmsg());
		ktap_print_msg("%s", kfaas_verifier_log());
		return -1;
	}
	rt.fn_id = fi.id;
	if (kfaas_route_key_make(&key, "udp", p, NULL) ||
	    kfaas_route_add(&st, &key, &rt))
		return -1;
	return (int)fi.id;
}

static int map_fd(const char *fn, const char *map)
{
	char path[600];

	kfaas_fn_map_path(&st, fn, map, path, sizeof(path));
	return bpf_obj_get(path);
}

/* ---- echo / upper ---- */

static void test_echo(void)
{
	static const char *big;
	struct kfaas_frame_spec s;
	uint8_t in[16384];
	struct run r;
	size_t n;
	char *large = malloc(1400);

	s = base(4, 7, "hello", 5);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == 5 &&
			 !memcmp(reply_payload(&r), "hello", 5),
			 "echo IPv4: reply swapped, checksums valid, payload same");

	s = base(6, 7, "hello6", 6);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == 6 &&
			 !memcmp(reply_payload(&r), "hello6", 6),
			 "echo IPv6: UDP checksum computed");

	s = base(4, 7, "vlan", 4);
	s.vlan = 42;
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s), "echo 802.1Q: tag kept");

	/* QinQ: insert an outer 802.1ad tag */
	s = base(6, 7, "qinq", 4);
	s.vlan = 7;
	n = build(&s, in);
	memmove(in + 16, in + 12, n - 12);
	in[12] = 0x88; in[13] = 0xa8; in[14] = 0x00; in[15] = 0x05;
	n += 4;
	run_frame(in, n, &r);
	ktap_test_result(r.verdict == XDP_TX && r.outlen == n &&
			 !memcmp(r.out + n - 4, "qinq", 4) && r.out[12] == 0x88 &&
			 r.out[16] == 0x81, "echo QinQ (802.1ad + 802.1Q)");

	/* IPv4 with 4 bytes of options (ihl 6) */
	s = base(4, 7, "opts", 4);
	n = build(&s, in);
	memmove(in + 14 + 24, in + 14 + 20, n - 34);
	memset(in + 34, 0x01, 4);			/* NOP options */
	in[14] = 0x46;
	in[16] = 0; in[17] = 24 + 8 + 4;
	in[24] = in[25] = 0;
	{
		uint16_t c = kfaas_csum(in + 14, 24, 0);

		in[24] = c >> 8; in[25] = c & 0xff;
	}
	n += 4;
	/* UDP checksum does not cover IP options: still valid */
	run_frame(in, n, &r);
	ktap_test_result(r.verdict == XDP_TX && r.reply_ok &&
			 r.ri.payload_len == 4 && r.out[14] == 0x46,
			 "echo IPv4 with options: header checksum recomputed");

	s = base(4, 7, "", 0);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == 0,
			 "echo of an empty datagram");

	memset(large, 'z', 1400);
	s = base(6, 7, large, 1400);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == 1400,
			 "echo of 1400 bytes over IPv6 (checksum over chunks)");
	free(large);
	(void)big;
}

static void test_upper(void)
{
	struct kfaas_frame_spec s = base(4, 9, "Hello, kfaas 42!", 16);
	uint8_t in[256];
	struct run r;
	size_t n = build(&s, in);

	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == 16 &&
			 !memcmp(reply_payload(&r), "HELLO, KFAAS 42!", 16),
			 "upper transforms ASCII letters only");
}

/* ---- kv ---- */

static void test_kv(void)
{
	static const char hit[] = "\x12\x34\0\0\0\x01\0\0get foo\r\n";
	static const char miss[] = "\x12\x34\0\0\0\x01\0\0get nope\r\n";
	static const char multi[] = "\x12\x34\0\0\0\x01\0\0get foo bar\r\n";
	static const char noend[] = "\x12\x34\0\0\0\x01\0\0get foo";
	static const char seq1[] = "\x12\x34\0\x01\0\x01\0\0get foo\r\n";
	static const char want[] = "\x12\x34\0\0\0\x01\0\0VALUE foo 7 3\r\nbar\r\nEND\r\n";
	/* a valid entry: epoch and generation 0 (fresh maps), no expiry */
	struct kv_key k = {};
	struct kv_value v = { .len = 3, .flags = 7, .expires = ~0ULL };
	struct kfaas_frame_spec s;
	uint8_t in[256];
	struct run r;
	size_t n;
	int fd = map_fd("kv", "kv_cache"), bad = 0;
	const char *const malformed[] = { multi, noend, seq1 };
	const size_t mlen[] = { sizeof(multi) - 1, sizeof(noend) - 1,
				sizeof(seq1) - 1 };
	int i;

	memcpy(k.key, "foo", 3);
	memcpy(v.data, "bar", 3);
	v.slot = kv_slot_of(kv_hash(k.key, 3));
	if (fd < 0 || bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		ktap_print_msg("cannot fill kv_cache");

	s = base(4, 11211, hit, sizeof(hit) - 1);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == sizeof(want) - 1 &&
			 !memcmp(reply_payload(&r), want, sizeof(want) - 1),
			 "kv hit answered in XDP with VALUE/END, request id kept");

	s = base(6, 11211, miss, sizeof(miss) - 1);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(untouched(&r, in, n, XDP_PASS),
			 "kv miss passed up unchanged");

	for (i = 0; i < 3; i++) {
		s = base(4, 11211, malformed[i], mlen[i]);
		n = build(&s, in);
		run_frame(in, n, &r);
		if (!untouched(&r, in, n, XDP_PASS))
			bad++;
	}
	ktap_test_result(!bad, "kv: multi-key, unterminated, multi-datagram "
			 "requests passed up unchanged");

	/* an entry is served only under its epoch, generation and expiry */
	s = base(4, 11211, hit, sizeof(hit) - 1);
	n = build(&s, in);
	bad = 0;
	for (i = 0; i < 3; i++) {
		struct kv_value stale = v;

		if (i == 0)
			stale.epoch = 1;	/* a flush since */
		else if (i == 1)
			stale.gen = 1;		/* filled under an older generation */
		else
			stale.expires = 1;	/* past max-age or TTL */
		if (bpf_map_update_elem(fd, &k, &stale, BPF_ANY))
			bad++;
		run_frame(in, n, &r);
		if (!untouched(&r, in, n, XDP_PASS))
			bad++;
	}
	ktap_test_result(!bad, "kv: an entry of another epoch or generation, or "
			 "expired, is not served: passed up");
	close(fd);
}

/* ---- dns ---- */

static size_t dns_query(uint8_t *q, uint16_t id, const char *wire, size_t wlen,
			uint16_t qtype, uint16_t qclass, int edns)
{
	size_t n = 12;

	memset(q, 0, 12);
	q[0] = id >> 8; q[1] = id & 0xff;
	q[2] = 0x01;				/* RD */
	q[5] = 1;				/* QDCOUNT */
	q[11] = edns ? 1 : 0;			/* ARCOUNT */
	memcpy(q + n, wire, wlen);
	n += wlen;
	q[n++] = qtype >> 8; q[n++] = qtype & 0xff;
	q[n++] = qclass >> 8; q[n++] = qclass & 0xff;
	if (edns) {	/* OPT: root name, type 41, size 1232, no options */
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0,
					       0, 0 };

		memcpy(q + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

#define WWW "\3www\7example\3com\0"

static struct run dns_run(const uint8_t *q, size_t qlen, int family,
			  struct kfaas_frame_spec *s, uint8_t *in, size_t *n)
{
	struct run r;

	*s = base(family, 53, q, qlen);
	*n = build(s, in);
	run_frame(in, *n, &r);
	return r;
}

static void test_dns(void)
{
	struct dns_key k = {};
	struct dns_rr rr = { .ttl = 300, .has_a = 1, .has_aaaa = 1 };
	struct kfaas_frame_spec s;
	uint8_t q[512], in[1024];
	const uint8_t *p;
	size_t qlen, n;
	struct run r;
	int fd = map_fd("dns", "dns_records");

	memcpy(k.name, WWW, sizeof(WWW) - 1);
	inet_pton(AF_INET, "10.1.2.3", rr.a);
	inet_pton(AF_INET6, "fd00::3", rr.aaaa);
	if (fd < 0 || bpf_map_update_elem(fd, &k, &rr, BPF_ANY))
		ktap_print_msg("cannot fill dns_records");
	close(fd);

	qlen = dns_query(q, 0xbeef, WWW, sizeof(WWW) - 1, 1, 1, 0);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == qlen + 16 &&
			 p[0] == 0xbe && p[1] == 0xef && (p[2] & 0x84) == 0x84 &&
			 (p[3] & 0xf) == 0 && p[7] == 1 &&
			 !memcmp(p + 12, q + 12, qlen - 12) &&
			 p[qlen] == 0xc0 && p[qlen + 1] == 0x0c &&
			 p[qlen + 2] == 0 && p[qlen + 3] == 1 &&
			 p[qlen + 8] == 0x01 && p[qlen + 9] == 0x2c &&
			 !memcmp(p + qlen + 12, rr.a, 4),
			 "dns A: NOERROR, AA, question echoed, TTL 300, 10.1.2.3");

	qlen = dns_query(q, 2, WWW, sizeof(WWW) - 1, 28, 1, 0);
	r = dns_run(q, qlen, 6, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && r.ri.payload_len == qlen + 28 &&
			 p[7] == 1 && p[qlen + 3] == 28 &&
			 !memcmp(p + qlen + 12, rr.aaaa, 16),
			 "dns AAAA over IPv6: fd00::3");

	qlen = dns_query(q, 3, "\3WwW\7ExAmple\3COM\0", 17, 1, 1, 0);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && p[7] == 1 && (p[3] & 0xf) == 0,
			 "dns names match case-insensitively");

	qlen = dns_query(q, 4, "\4nope\7example\3com\0", 18, 1, 1, 0);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 3 && p[7] == 0 &&
			 r.ri.payload_len == qlen, "dns unknown name: NXDOMAIN");

	qlen = dns_query(q, 5, WWW, sizeof(WWW) - 1, 15, 1, 0);	/* MX */
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 0 && p[7] == 0,
			 "dns known name, no such record: NODATA");

	qlen = dns_query(q, 6, WWW, sizeof(WWW) - 1, 1, 1, 1);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && p[7] == 1 && p[11] == 0 &&
			 r.ri.payload_len == qlen - 11 + 16,
			 "dns with EDNS: answered, OPT not echoed");

	qlen = dns_query(q, 7, WWW, sizeof(WWW) - 1, 1, 1, 0);
	q[5] = 2;
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 1 &&
			 r.ri.payload_len == 12 && p[5] == 0,
			 "dns QDCOUNT 2: FORMERR, header only");

	qlen = dns_query(q, 8, "\x40xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\0",
			 66, 1, 1, 0);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 1,
			 "dns label longer than 63: FORMERR");

	qlen = dns_query(q, 9, "\xc0\x0c", 2, 1, 1, 0);
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 1,
			 "dns compression pointer in the question: FORMERR");

	qlen = dns_query(q, 10, WWW, sizeof(WWW) - 1, 1, 1, 0);
	r = dns_run(q, qlen - 3, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 1,
			 "dns question cut short: FORMERR");

	qlen = dns_query(q, 11, WWW, sizeof(WWW) - 1, 1, 1, 0);
	q[2] = 0x10;					/* opcode 2 */
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 4 &&
			 ((p[2] >> 3) & 0xf) == 2, "dns opcode STATUS: NOTIMP");

	qlen = dns_query(q, 12, WWW, sizeof(WWW) - 1, 1, 3, 0);	/* CH */
	r = dns_run(q, qlen, 4, &s, in, &n);
	p = reply_payload(&r);
	ktap_test_result(answers(&r, &s) && (p[3] & 0xf) == 5,
			 "dns class CH: REFUSED");

	qlen = dns_query(q, 13, WWW, sizeof(WWW) - 1, 1, 1, 0);
	q[2] |= 0x80;					/* a response */
	r = dns_run(q, qlen, 4, &s, in, &n);
	ktap_test_result(r.verdict == XDP_DROP, "dns response (QR set) dropped");

	r = dns_run(q, 11, 4, &s, in, &n);
	ktap_test_result(r.verdict == XDP_DROP, "dns datagram shorter than a "
			 "header dropped");
}

/* ---- the dispatcher on malformed and unrouted frames ---- */

static void test_malformed(void)
{
	struct kfaas_frame_spec s = base(4, 7, "hello", 5), s6 = base(6, 7, "hello", 5);
	uint8_t in[256], m[256];
	size_t n = build(&s, in), n6, cut;
	struct run r;
	int bad = 0;

	/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header */
	for (cut = 14; cut < n; cut++) {
		run_frame(in, cut, &r);
		if (!untouched(&r, in, cut, XDP_PASS))
			bad++;
	}
	ktap_test_result(!bad, "every truncation of an IPv4 request passed up "
			 "unchanged (%d bad)", bad);

	memcpy(m, in, n);
	m[14 + 6] |= 0x20;				/* MF */
	m[24] = m[25] = 0;
	{ uint16_t c = kfaas_csum(m + 14, 20, 0); m[24] = c >> 8; m[25] = c; }
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "IPv4 first fragment (MF) passed");

	memcpy(m, in, n);
	m[14 + 6] = 0x00; m[14 + 7] = 0x10;		/* offset 128 */
	m[24] = m[25] = 0;
	{ uint16_t c = kfaas_csum(m + 14, 20, 0); m[24] = c >> 8; m[25] = c; }
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "IPv4 later fragment passed");

	memcpy(m, in, n);
	m[24] ^= 0xff;					/* bad header checksum */
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "bad IPv4 header checksum passed");

	memcpy(m, in, n);
	m[34 + 5] += 1;					/* UDP length + 1 */
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "UDP length beyond IP length passed");

	memcpy(m, in, n);
	m[34 + 4] = 0; m[34 + 5] = 4;			/* UDP length 4 */
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "UDP length below 8 passed");

	memcpy(m, in, n);
	m[17] += 10;					/* tot_len past the frame */
	m[24] = m[25] = 0;
	{ uint16_t c = kfaas_csum(m + 14, 20, 0); m[24] = c >> 8; m[25] = c; }
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "IPv4 total length past the frame passed");

	memcpy(m, in, n);
	m[34] = m[35] = 0;				/* source port 0 */
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "source port 0 passed (cannot be answered)");

	memcpy(m, in, n);
	m[30] = 224; m[31] = 0; m[32] = 0; m[33] = 1;	/* multicast dst */
	m[24] = m[25] = 0;
	{ uint16_t c = kfaas_csum(m + 14, 20, 0); m[24] = c >> 8; m[25] = c; }
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "multicast destination passed");

	memcpy(m, in, n);
	m[12] = 0x08; m[13] = 0x06;			/* ARP */
	run_frame(m, n, &r);
	ktap_test_result(untouched(&r, m, n, XDP_PASS), "non-IP ethertype passed");

	n6 = build(&s6, m);
	m[14 + 6] = 44;					/* fragment header */
	run_frame(m, n6, &r);
	ktap_test_result(untouched(&r, m, n6, XDP_PASS), "IPv6 fragment header passed");

	n6 = build(&s6, m);
	m[14 + 6] = 0;					/* hop-by-hop */
	run_frame(m, n6, &r);
	ktap_test_result(untouched(&r, m, n6, XDP_PASS), "IPv6 extension header passed");

	n6 = build(&s6, m);
	m[14 + 5] += 1;					/* payload_len + 1 */
	run_frame(m, n6, &r);
	ktap_test_result(untouched(&r, m, n6, XDP_PASS), "IPv6 payload length past the frame passed");

	n6 = build(&s6, m);
	m[14 + 24] = 0xff; m[14 + 25] = 0x02;		/* ff02::... */
	run_frame(m, n6, &r);
	ktap_test_result(untouched(&r, m, n6, XDP_PASS), "IPv6 multicast destination passed");

	s = base(4, 9999, "hello", 5);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(untouched(&r, in, n, XDP_PASS), "no route: passed up unchanged");
}

/* ---- routing ---- */

static void test_routing(int upper_id)
{
	struct kfaas_route rt = { .fn_id = (__u32)upper_id, .tier = KFAAS_TIER_XDP };
	struct kfaas_fn_info vm = { .tier = KFAAS_TIER_VM };
	struct kfaas_route_key key;
	struct kfaas_frame_spec s;
	__u64 d0[KFAAS_DSTAT_MAX], d1[KFAAS_DSTAT_MAX];
	uint8_t in[256];
	struct run r;
	size_t n;

	kfaas_route_key_make(&key, "udp", "7", "192.0.2.99");
	kfaas_route_add(&st, &key, &rt);
	s = base(4, 7, "abc", 3);
	inet_pton(AF_INET, "192.0.2.99", s.daddr);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && !memcmp(reply_payload(&r), "ABC", 3),
			 "a route with an address wins over the port route");
	s = base(4, 7, "abc", 3);
	n = build(&s, in);
	run_frame(in, n, &r);
	ktap_test_result(answers(&r, &s) && !memcmp(reply_payload(&r), "abc", 3),
			 "other addresses still use the port route");
	kfaas_route_del(&st, &key);

	snprintf(vm.name, sizeof(vm.name), "vmfn");
	kfaas_fn_register(&st, &vm);
	rt.fn_id = vm.id;
	rt.tier = KFAAS_TIER_VM;
	kfaas_route_key_make(&key, "udp", "8000", NULL);
	kfaas_route_add(&st, &key, &rt);
	kfaas_dstats_read(&st, d0);
	s = base(4, 8000, "to the vm", 9);
	n = build(&s, in);
	run_frame(in, n, &r);
	kfaas_dstats_read(&st, d1);
	ktap_test_result(untouched(&r, in, n, XDP_PASS) &&
			 d1[KFAAS_DSTAT_OTHER_TIER] == d0[KFAAS_DSTAT_OTHER_TIER] + 1,
			 "a VM-tier route is passed up to the daemon");
}

/* ---- the dispatcher's port index (kfaas_port_routes) ---- */

static int port_elem(__u16 port, struct kfaas_route *r)
{
	__u32 k = port;

	return bpf_map_lookup_elem(st.port_routes_fd, &k, r);
}

/* A frame to addr:port: answered by upper ("ABC"), echo ("abc") or passed. */
static int served(const char *addr, uint16_t port, const char *want)
{
	struct kfaas_frame_spec s = base(4, port, "abc", 3);
	uint8_t in[256];
	struct run r;
	size_t n;

	inet_pton(AF_INET, addr, s.daddr);
	n = build(&s, in);
	run_frame(in, n, &r);
	if (!want)
		return untouched(&r, in, n, XDP_PASS);
	return answers(&r, &s) && !memcmp(reply_payload(&r), want, 3);
}

static void test_port_index(int echo_id, int upper_id)
{
	struct kfaas_route rt = { .tier = KFAAS_TIER_XDP }, e;
	struct kfaas_route_key ka, kp;
	struct kfaas_limits lim = { .rps = 1000000 };
	struct kfaas_globals cfg;
	struct kfaas_fn_info fi, vm = { .tier = KFAAS_TIER_VM };
	char path[600];
	int i, ok;

	/* an address route alone on its port */
	rt.fn_id = (__u32)upper_id;
	kfaas_route_key_make(&ka, "udp", "7100", "192.0.2.2");
	ok = kfaas_route_add(&st, &ka, &rt) == 0 &&
	     served("192.0.2.2", 7100, "ABC") && served("192.0.2.7", 7100, NULL);
	kfaas_route_del(&st, &ka);
	ktap_test_result(ok && served("192.0.2.2", 7100, NULL) &&
			 port_elem(7100, &e) == 0 && e.flags == 0 && e.fn_id == 0,
			 "an address route alone on its port: served, other "
			 "addresses passed; deleted, the port is clear again");

	/* the port route deleted, the address route on its port stays */
	rt.fn_id = (__u32)echo_id;
	kfaas_route_key_make(&kp, "udp", "7101", NULL);
	kfaas_route_add(&st, &kp, &rt);
	rt.fn_id = (__u32)upper_id;
	kfaas_route_key_make(&ka, "udp", "7101", "192.0.2.99");
	kfaas_route_add(&st, &ka, &rt);
	ok = served("192.0.2.99", 7101, "ABC") && served("192.0.2.2", 7101, "abc");
	kfaas_route_del(&st, &kp);
	ktap_test_result(ok && served("192.0.2.99", 7101, "ABC") &&
			 served("192.0.2.2", 7101, NULL),
			 "port route deleted: its address route still served, "
			 "other addresses passed");
	kfaas_route_del(&st, &ka);

	/* a budget reaches the index, as the route table */
	kfaas_route_add(&st, &kp, &(struct kfaas_route){ .fn_id = (__u32)upper_id,
							  .tier = KFAAS_TIER_XDP });
	ok = kfaas_budget_set(&st, (__u32)upper_id, &lim) == 0 &&
	     port_elem(7101, &e) == 0 && (e.flags & KFAAS_ROUTE_F_BUDGET);
	lim.rps = 0;
	kfaas_budget_set(&st, (__u32)upper_id, &lim);
	ktap_test_result(ok && port_elem(7101, &e) == 0 &&
			 !(e.flags & KFAAS_ROUTE_F_BUDGET) &&
			 served("192.0.2.2", 7101, "ABC"),
			 "a budget set and cleared changes the port index's "
			 "copy of the route");

	/* crash between the table and the index: repair rebuilds it */
	memset(&e, 0, sizeof(e));
	bpf_map_update_elem(st.port_routes_fd, &(__u32){ 7101 }, &e, BPF_ANY);
	kfaas_globals_get(&st, &cfg);
	cfg.busy = 1;
	kfaas_globals_set(&st, &cfg);
	kfaas_state_repair(&st);
	ktap_test_result(served("192.0.2.2", 7101, "ABC"),
			 "repair puts a lost port index element back");
	kfaas_route_del(&st, &kp);

	/* an id past the direct jumps: the run-time key */
	for (i = 0, ok = 1; i < KFAAS_DIRECT_IDS && ok; i++) {
		snprintf(vm.name, sizeof(vm.name), "pad%d", i);
		vm.id = 0;
		ok = kfaas_fn_register(&st, &vm) == 0;
	}
	snprintf(path, sizeof(path), "%s/upper.bpf.o", bpfdir);
	ok = ok && kfaas_fn_load(&st, path, "upper_hi", &fi) == 0 &&
	     fi.id >= KFAAS_DIRECT_IDS;
	rt.fn_id = fi.id;
	kfaas_route_key_make(&kp, "udp", "7102", NULL);
	ok = ok && kfaas_route_add(&st, &kp, &rt) == 0;
	ktap_test_result(ok && served("192.0.2.2", 7102, "ABC"),
			 "a function id >= KFAAS_DIRECT_IDS is served (tail "
			 "call with a run-time key)");
	kfaas_route_del(&st, &kp);
	kfaas_fn_unload(&st, "upper_hi");
	for (i = 0; i < KFAAS_DIRECT_IDS; i++) {
		snprintf(vm.name, sizeof(vm.name), "pad%d", i);
		kfaas_fn_unload(&st, vm.name);
	}
}

/* ---- accounting ---- */

static void test_accounting(int echo_id)
{
	struct kfaas_frame_spec s = base(4, 7, "count me", 8);
	struct kfaas_stats a, b;
	__u64 d0[KFAAS_DSTAT_MAX], d1[KFAAS_DSTAT_MAX];
	uint8_t in[256], out[512];
	size_t n, outlen = sizeof(out);
	__u32 verdict, dur;

	memcpy(s.saddr, s.daddr, 16);	/* symmetric: stable under repeat */
	s.sport = s.dport;
	n = build(&s, in);
	kfaas_stats_read(&st, echo_id, &a);
	kfaas_dstats_read(&st, d0);
	kfaas_invoke_run(&st, in, n, out, &outlen, 100000, &verdict, &dur);
	kfaas_stats_read(&st, echo_id, &b);
	kfaas_dstats_read(&st, d1);
	KTAP_EXPECT_EQ(b.invocations - a.invocations, 100000,
		       "100000 runs count 100000 invocations");
	ktap_test_result(b.bytes_in - a.bytes_in == 800000 &&
			 b.bytes_out - a.bytes_out == 800000,
			 "bytes in and out counted per invocation");
	ktap_test_result(b.cpu_ns > a.cpu_ns && b.errors == a.errors &&
			 b.drops == a.drops, "cpu_ns grows, no errors or drops");
	ktap_test_result(d1[KFAAS_DSTAT_RX] - d0[KFAAS_DSTAT_RX] == 100000 &&
			 d1[KFAAS_DSTAT_DISPATCHED] - d0[KFAAS_DSTAT_DISPATCHED] == 100000,
			 "dispatcher counters: rx and dispatched");
}

/* ---- lifecycle: replace, standalone, tail-call failure, repair ---- */

static void test_lifecycle(int echo_id)
{
	struct kfaas_frame_spec s = base(4, 7, "swap", 4);
	struct kfaas_fn_info before, after;
	struct kfaas_stats a, b;
	struct kfaas_globals cfg;
	uint8_t in[256];
	char path[600], dir[600];
	struct run r;
	size_t n = build(&s, in);
	__u32 id = (__u32)echo_id;
	int fd;

	kfaas_fn_find(&st, "echo", &before);
	kfaas_stats_read(&st, id, &a);
	snprintf(path, sizeof(path), "%s/upper.bpf.o", bpfdir);
	ktap_test_result(kfaas_fn_replace(&st, "echo", path, &after) == 0,
			 "fn replace echo with the upper object");
	kfaas_stats_read(&st, id, &b);
	run_frame(in, n, &r);
	ktap_test_result(after.id == before.id && after.prog_id != before.prog_id &&
			 b.invocations == a.invocations &&
			 !memcmp(reply_payload(&r), "SWAP", 4),
			 "replace keeps id and counters, swaps behaviour");
	snprintf(path, sizeof(path), "%s/echo.bpf.o", bpfdir);
	kfaas_fn_replace(&st, "echo", path, NULL);

	/* the function program on its own parses the frame itself */
	fd = kfaas_fn_prog_fd(&st, "echo");
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = n,
			    .data_out = r.out, .data_size_out = sizeof(r.out),
			    .repeat = 1);

		kfaas_stats_read(&st, id, &a);
		bpf_prog_test_run_opts(fd, &t);
		kfaas_stats_read(&st, id, &b);
		ktap_test_result(t.retval == XDP_TX &&
				 b.invocations == a.invocations + 1,
				 "a function run without the dispatcher answers "
				 "and accounts to its own id");
		close(fd);
	}

	/* an empty slot: the dispatcher counts an error and passes */
	bpf_map_delete_elem(st.progs_fd, &id);
	kfaas_stats_read(&st, id, &a);
	run_frame(in, n, &r);
	kfaas_stats_read(&st, id, &b);
	ktap_test_result(untouched(&r, in, n, XDP_PASS) && b.errors == a.errors + 1,
			 "route without a program: passed, error counted");

	/* crash leftovers: busy flag, stray slot and stray pins */
	kfaas_globals_get(&st, &cfg);
	cfg.busy = 1;
	kfaas_globals_set(&st, &cfg);
	snprintf(dir, sizeof(dir), "%s/fn/ghost", st.root);
	mkdir(dir, 0700);
	fd = kfaas_fn_prog_fd(&st, "upper");
	{
		__u32 ghost = 77;

		bpf_map_update_elem(st.progs_fd, &ghost, &fd, BPF_ANY);
		close(fd);
		kfaas_state_repair(&st);
		kfaas_globals_get(&st, &cfg);
		ktap_test_result(access(dir, F_OK) != 0 &&
				 bpf_map_lookup_elem(st.progs_fd, &ghost, &fd) != 0 &&
				 bpf_map_lookup_elem(st.progs_fd, &id, &fd) == 0 &&
				 cfg.busy == 0,
				 "repair removes strays and restores a registered "
				 "function's slot");
	}
}

int main(void)
{
	char root[128];
	int echo_id, upper_id;

	ktap_print_header();
	if (getuid() != 0)
		ktap_exit_skip("needs root");
	kfaas_set_verbose(false);
	snprintf(bpfdir, sizeof(bpfdir), "%s/bpf", getenv("B") ? getenv("B") : "build");
	snprintf(root, sizeof(root), "/sys/fs/bpf/kfaas-test-prog-%d", getpid());
	if (kfaas_state_open(&st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK)) {
		printf("# %s\n", kfaas_errmsg());
		ktap_exit_skip("cannot create kfaas state (BPF unavailable?)");
	}
	ktap_set_plan(59);
	echo_id = load("echo", "echo", 7);
	upper_id = load("upper", "upper", 9);
	ktap_test_result(echo_id > 0 && upper_id > 0 && load("kv", "kv", 11211) > 0 &&
			 load("dns", "dns", 53) > 0,
			 "the four examples load and get routes");
	test_echo();
	test_upper();
	test_kv();
	test_dns();
	test_malformed();
	test_routing(upper_id);
	test_port_index(echo_id, upper_id);
	test_accounting(echo_id);
	test_lifecycle(echo_id);
	kfaas_state_close(&st);
	kfaas_state_destroy(root);
	return ktap_finished();
}
