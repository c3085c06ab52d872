// SPDX-License-Identifier: GPL-2.0
/*
 * Random and mutated frames through the real dispatcher and every example
 * (BPF_PROG_TEST_RUN), each checked against a userspace model of what the
 * XDP tier must do with it:
 *   - a frame the model cannot fully validate, or one with no XDP route,
 *     is passed up unchanged;
 *   - a reply is only ever built for a well-formed request, is itself a
 *     well-formed frame addressed back to the requester, and carries
 *     exactly the payload the model computes (echo, upper, kv, dns);
 *   - kv misses and non-gets are passed up unchanged; DNS drops what it
 *     must drop.
 * FRAMES=N sets the count (default 10^6, about 3 s).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "ktap.h"
#include <libkfaas.h>
#include <kfaas_frame.h>
#include "kv.h"
#include "dns.h"

enum { V_PASS, V_DROP, V_TX };

static struct kfaas_state st;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* ---- the model: which frames the dispatcher may route ---- */

struct req {
	int family;
	size_t l3, l4, poff, plen;
	uint16_t sport, dport;
};

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int model_parse(const uint8_t *f, size_t len, struct req *r)
{
	size_t off = 14, hlen, tot, ulen;
	uint16_t proto;
	int i;

	if (len < 14)
		return -1;
	proto = g16(f + 12);
	for (i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (len < off + 4)
			return -1;
		proto = g16(f + off + 2);
		off += 4;
	}
	r->l3 = off;
	if (proto == 0x0800) {
		const uint8_t *ip = f + off;

		if (len < off + 20 || ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
			return -1;
		hlen = (size_t)(ip[0] & 15) * 4;
		tot = g16(ip + 2);
		if (tot < hlen || off + tot > len || len < off + hlen ||
		    kfaas_csum(ip, hlen, 0) != 0 || (g16(ip + 6) & 0x3fff) ||
		    ip[9] != 17 || (ip[16] & 0xf0) == 0xe0 ||
		    !memcmp(ip + 16, "\xff\xff\xff\xff", 4) ||
		    !memcmp(ip + 12, "\0\0\0\0", 4))
			return -1;
		r->family = 4;
		r->l4 = off + hlen;
		ulen = tot - hlen;
	} else if (proto == 0x86dd) {
		const uint8_t *ip = f + off;

		if (len < off + 40 || ip[0] >> 4 != 6)
			return -1;
		ulen = g16(ip + 4);
		if (off + 40 + ulen > len || ip[6] != 17 || ip[24] == 0xff)
			return -1;
		r->family = 6;
		r->l4 = off + 40;
	} else {
		return -1;
	}
	if (r->l4 + 8 > len || g16(f + r->l4 + 4) != ulen || ulen < 8)
		return -1;
	r->sport = g16(f + r->l4);
	r->dport = g16(f + r->l4 + 2);
	if (!r->sport || !r->dport)
		return -1;
	r->poff = r->l4 + 8;
	r->plen = ulen - 8;
	return 0;
}

/* ---- the model of each example ---- */

static const char kv_key[] = "foo", kv_val[] = "bar";

static int model_kv(const uint8_t *p, size_t len, uint8_t *out, size_t *olen)
{
	int i, klen = -1;

	if (len < KV_UDP_HDR + 7 || len > KV_UDP_HDR + 4 + KV_KEY_MAX + 2 ||
	    p[2] || p[3] || p[4] || p[5] != 1 || memcmp(p + 8, "get ", 4))
		return V_PASS;
	for (i = 0; i < KV_KEY_MAX + 1; i++) {
		uint8_t c = 12 + i < (int)len ? p[12 + i] : 0;

		if (c == '\r') {
			klen = i;
			break;
		}
		if (c <= ' ' || c == 0x7f || i >= KV_KEY_MAX)
			return V_PASS;
	}
	if (klen <= 0 || (size_t)(12 + klen + 2) != len || p[12 + klen + 1] != '\n' ||
	    klen != 3 || memcmp(p + 12, kv_key, 3))
		return V_PASS;
	memcpy(out, p, 8);
	*olen = 8 + (size_t)sprintf((char *)out + 8, "VALUE %s 0 %zu\r\n%s\r\nEND\r\n",
				    kv_key, strlen(kv_val), kv_val);
	return V_TX;
}

static const uint8_t dns_name[] = "\3www\7example\3com";	/* + final 0 */

static int dns_bare(const uint8_t *q, uint8_t rcode, uint8_t *out, size_t *olen)
{
	memcpy(out, q, 12);
	out[2] = 0x80 | (q[2] & 0x79);
	out[3] = rcode;
	memset(out + 4, 0, 8);
	*olen = 12;
	return V_TX;
}

static int model_dns(const uint8_t *q, size_t len, uint8_t *out, size_t *olen)
{
	size_t pos = 0, nlen = 0, avail, qend, alen = 0, i;
	uint16_t qtype, qclass;
	uint8_t rcode = 3, key[DNS_NAME_MAX] = {};
	int found = 0;

	if (len < 12 || (q[2] & 0x80))
		return V_DROP;
	if (q[2] & 0x78)
		return dns_bare(q, 4, out, olen);
	if (q[4] || q[5] != 1 || q[6] || q[7] || q[8] || q[9])
		return dns_bare(q, 1, out, olen);
	avail = len - 12 < 256 ? len - 12 : 256;
	if (len < 12 + 5)
		return dns_bare(q, 1, out, olen);
	for (i = 0; i < 128; i++) {
		uint8_t l;

		if (pos >= avail)
			return dns_bare(q, 1, out, olen);
		l = q[12 + pos];
		if (l == 0) {
			nlen = pos + 1;
			break;
		}
		if (l > 63)
			return dns_bare(q, 1, out, olen);
		pos += l + 1;
		if (pos > 254)
			return dns_bare(q, 1, out, olen);
	}
	if (!nlen)
		return dns_bare(q, 1, out, olen);
	qend = 12 + nlen + 4;
	if (qend > len)
		return dns_bare(q, 1, out, olen);
	qtype = g16(q + 12 + nlen);
	qclass = g16(q + 12 + nlen + 2);
	if (qclass != 1) {
		rcode = 5;
	} else if (nlen <= DNS_NAME_MAX) {
		for (i = 0; i < nlen; i++)
			key[i] = (uint8_t)tolower(q[12 + i]);
		found = nlen == sizeof(dns_name) && !memcmp(key, dns_name, nlen);
		if (found)
			rcode = 0;
	}
	memcpy(out, q, qend);
	out[2] = 0x80 | 0x04 | (q[2] & 1);
	out[3] = rcode;
	out[10] = out[11] = 0;
	if (found && (qtype == 1 || qtype == 255)) {
		static const uint8_t a[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60,
					     0, 4, 10, 1, 2, 3 };

		memcpy(out + qend, a, sizeof(a));
		alen = sizeof(a);
	} else if (found && qtype == 28) {
		static const uint8_t aaaa[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0,
						60, 0, 16, 0xfd, 0, 0, 0, 0, 0,
						0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };

		memcpy(out + qend, aaaa, sizeof(aaaa));
		alen = sizeof(aaaa);
	}
	out[7] = alen ? 1 : 0;
	*olen = qend + alen;
	return V_TX;
}

/* What the tier must do with frame f: V_PASS (unchanged), V_DROP, V_TX. */
static int model(const uint8_t *f, size_t len, uint8_t *out, size_t *olen)
{
	const uint8_t *p;
	struct req r;
	size_t i;

	if (model_parse(f, len, &r))
		return V_PASS;
	p = f + r.poff;
	switch (r.dport) {
	case 7:
		memcpy(out, p, r.plen);
		*olen = r.plen;
		return V_TX;
	case 9:
		if (r.plen > 1472)
			return V_PASS;
		for (i = 0; i < r.plen; i++)
			out[i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 32 : p[i];
		*olen = r.plen;
		return V_TX;
	case 11211:
		return model_kv(p, r.plen, out, olen);
	case 53:
		return model_dns(p, r.plen, out, olen);
	default:
		return V_PASS;
	}
}

/* ---- frame generation ---- */

static size_t gen_payload(uint16_t port, uint8_t *p)
{
	size_t n, i;

	switch (port) {
	case 53: {
		static const uint16_t types[] = { 1, 28, 15, 255 };

		memset(p, 0, 12);
		p[0] = rnd(); p[1] = rnd(); p[2] = 1; p[5] = 1;
		if (rnd() % 4 == 0)
			memcpy(p + 12, "\4nope\7example\3com", 18), n = 12 + 18;
		else
			memcpy(p + 12, dns_name, sizeof(dns_name)), n = 12 + sizeof(dns_name);
		if (rnd() % 3 == 0)
			p[12 + 1] = 'W';	/* case */
		p[n] = 0; p[n + 1] = types[rnd() % 4]; p[n + 2] = 0; p[n + 3] = 1;
		n += 4;
		if (rnd() % 2) {	/* EDNS OPT */
			static const uint8_t opt[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0,
						       0, 0, 0 };
			memcpy(p + n, opt, sizeof(opt));
			n += sizeof(opt);
			p[11] = 1;
		}
		return n;
	}
	case 11211:
		return (size_t)sprintf((char *)p, "%c%c%c%c%c%c%c%cget %s\r\n", 0, 1,
				       0, 0, 0, 1, 0, 0,
				       rnd() % 3 ? "foo" : "other");
	default:
		n = rnd() % 4 == 0 ? rnd() % 1400 : rnd() % 64;
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)(rnd() % 3 ? 'a' + rnd() % 26 : rnd());
		return n;
	}
}

static size_t gen(uint8_t *f, size_t cap)
{
	static const uint16_t ports[] = { 7, 9, 11211, 53, 5353 };
	uint8_t payload[1500];
	struct kfaas_frame_spec s = { .vlan = -1 };
	size_t n, k, nm;
	ssize_t len;

	s.family = rnd() % 2 ? 4 : 6;
	s.dport = ports[rnd() % 5];
	s.sport = (uint16_t)(1024 + rnd() % 60000);
	if (rnd() % 5 == 0)
		s.vlan = (int)(rnd() % 4095);
	memset(s.src_mac, 2, 6);
	memset(s.dst_mac, 4, 6);
	for (k = 0; k < 16; k++) {
		s.saddr[k] = (uint8_t)rnd();
		s.daddr[k] = (uint8_t)rnd();
	}
	if (s.family == 4) {
		s.saddr[0] = 10;
		s.daddr[0] = 10;
	} else {
		s.saddr[0] = s.daddr[0] = 0xfd;
	}
	n = gen_payload(s.dport, payload);
	s.payload = payload;
	s.len = n;
	len = kfaas_frame_build(&s, f, cap);
	if (len < 0)
		return 0;
	n = (size_t)len;
	if (rnd() % 2 == 0)
		return n;		/* a valid request */
	nm = 1 + rnd() % 4;
	for (k = 0; k < nm; k++) {
		switch (rnd() % 6) {
		case 0:			/* flip bits of a random byte */
			f[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
			break;
		case 1:			/* truncate */
			n = 14 + rnd() % (n - 13);
			break;
		case 2:			/* trailing garbage */
			for (k = 0; k < 1 + rnd() % 32 && n < cap; k++)
				f[n++] = (uint8_t)rnd();
			break;
		case 3:			/* a byte in the headers */
			f[rnd() % (n < 64 ? n : 64)] = (uint8_t)rnd();
			break;
		case 4:			/* a byte in the payload */
			f[n - 1 - rnd() % (n > 60 ? 20 : 1)] = (uint8_t)rnd();
			break;
		default:		/* swap to a routed port */
			break;
		}
	}
	return n;
}

static void hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	printf("#   %s (%zu):", what, n);
	for (i = 0; i < n && i < 96; i++)
		printf(" %02x", p[i]);
	printf("%s\n", n > 96 ? " ..." : "");
}

int main(void)
{
	static const char *const objs[] = { "echo", "upper", "kv", "dns" };
	static const char *const ports[] = { "7", "9", "11211", "53" };
	long frames = getenv("FRAMES") ? atol(getenv("FRAMES")) : 1000000;
	long cnt[3] = { 0 }, bad = 0, wrongreply = 0, touched = 0, i;
	uint8_t in[2048], out[4096], want[2048];
	char root[128], path[600];
	struct kv_key kk = {};
	struct kv_value kvv = { .len = 3, .expires = ~0ULL };	/* never expires */
	struct dns_key dk = {};
	struct dns_rr rr = { .ttl = 60, .has_a = 1, .has_aaaa = 1 };
	int fd;
	unsigned int k;

	ktap_print_header();
	if (getuid() != 0)
		ktap_exit_skip("needs root");
	kfaas_set_verbose(false);
	snprintf(root, sizeof(root), "/sys/fs/bpf/kfaas-test-frames-%d", getpid());
	if (kfaas_state_open(&st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK))
		ktap_exit_skip("cannot create kfaas state");
	ktap_set_plan(5);
	for (k = 0; k < 4; k++) {
		struct kfaas_route_key key;
		struct kfaas_route r = { .tier = KFAAS_TIER_XDP };
		struct kfaas_fn_info fi;

		snprintf(path, sizeof(path), "%s/bpf/%s.bpf.o",
			 getenv("B") ? getenv("B") : "build", objs[k]);
		if (kfaas_fn_load(&st, path, objs[k], &fi))
			ktap_print_msg("%s", kfaas_errmsg());
		r.fn_id = fi.id;
		kfaas_route_key_make(&key, "udp", ports[k], NULL);
		kfaas_route_add(&st, &key, &r);
	}
	memcpy(kk.key, kv_key, 3);
	memcpy(kvv.data, kv_val, 3);
	kvv.slot = kv_slot_of(kv_hash(kk.key, 3));
	kfaas_fn_map_path(&st, "kv", "kv_cache", path, sizeof(path));
	fd = bpf_obj_get(path);
	bpf_map_update_elem(fd, &kk, &kvv, BPF_ANY);
	close(fd);
	memcpy(dk.name, dns_name, sizeof(dns_name));
	inet_pton(AF_INET, "10.1.2.3", rr.a);
	inet_pton(AF_INET6, "fd00::3", rr.aaaa);
	kfaas_fn_map_path(&st, "dns", "dns_records", path, sizeof(path));
	fd = bpf_obj_get(path);
	bpf_map_update_elem(fd, &dk, &rr, BPF_ANY);
	close(fd);

	for (i = 0; i < frames; i++) {
		size_t n = gen(in, sizeof(in)), outlen = sizeof(out), wlen = 0;
		struct kfaas_frame_info ri;
		struct req q;
		__u32 verdict;
		int exp;

		if (!n)
			continue;
		exp = model(in, n, want, &wlen);
		if (kfaas_invoke_run(&st, in, n, out, &outlen, 1, &verdict, NULL)) {
			bad++;
			continue;
		}
		if (verdict == XDP_TX) {
			cnt[V_TX]++;
			model_parse(in, n, &q);
			if (exp != V_TX ||
			    kfaas_frame_parse(out, outlen, &ri, NULL) ||
			    !ri.ip_csum_ok || !ri.udp_csum_ok ||
			    ri.dport != q.sport || ri.sport != q.dport ||
			    ri.payload_len != wlen ||
			    memcmp(out + ri.payload_off, want, wlen)) {
				if (wrongreply++ < 3) {
					ktap_print_msg("wrong reply (model %d)", exp);
					hex("request", in, n);
					hex("reply", out, outlen);
					hex("expected payload", want, wlen);
				}
			}
		} else if (verdict == XDP_PASS || verdict == XDP_DROP) {
			int v = verdict == XDP_PASS ? V_PASS : V_DROP;

			cnt[v]++;
			if (exp != v || outlen != n || memcmp(out, in, n)) {
				if (touched++ < 3) {
					ktap_print_msg("%s, model %d", verdict ==
						       XDP_PASS ? "PASS" : "DROP", exp);
					hex("request", in, n);
				}
			}
		} else {
			bad++;
		}
	}
	ktap_print_msg("%ld frames: %ld replied, %ld passed, %ld dropped",
		       frames, cnt[V_TX], cnt[V_PASS], cnt[V_DROP]);
	KTAP_EXPECT_EQ(bad, 0, "every frame ran and got XDP_TX, XDP_PASS or XDP_DROP");
	KTAP_EXPECT_EQ(wrongreply, 0, "every reply answers a well-formed request "
		       "with exactly the modelled payload");
	KTAP_EXPECT_EQ(touched, 0, "every frame passed or dropped is the model's "
		       "choice and left unchanged");
	ktap_test_result(cnt[V_TX] > frames / 10 && cnt[V_PASS] > frames / 10,
			 "the mix exercises replies and passes");
	ktap_test_result(cnt[V_DROP] > 0, "and drops (DNS responses, short DNS)");
	kfaas_state_close(&st);
	kfaas_state_destroy(root);
	return ktap_finished();
}
