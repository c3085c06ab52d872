// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the userspace frame builder/parser and input parsers. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "ktap.h"
#include <kfaas_frame.h>
#include <libkfaas.h>

static struct kfaas_frame_spec spec(int family, int vlan, const char *payload)
{
	struct kfaas_frame_spec s = { .family = family, .vlan = vlan,
				      .sport = 40000, .dport = 7,
				      .payload = payload,
				      .len = strlen(payload) };

	memset(s.src_mac, 0x11, 6);
	memset(s.dst_mac, 0x22, 6);
	if (family == 4) {
		inet_pton(AF_INET, "192.0.2.1", s.saddr);
		inet_pton(AF_INET, "192.0.2.2", s.daddr);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", s.saddr);
		inet_pton(AF_INET6, "2001:db8::2", s.daddr);
	}
	return s;
}

static void test_roundtrip(int family, int vlan)
{
	struct kfaas_frame_spec s = spec(family, vlan, "hello");
	struct kfaas_frame_info fi;
	const char *why = NULL;
	uint8_t buf[256];
	ssize_t n = kfaas_frame_build(&s, buf, sizeof(buf));
	int ok;

	ok = n == 14 + (vlan >= 0 ? 4 : 0) + (family == 4 ? 20 : 40) + 8 + 5 &&
	     kfaas_frame_parse(buf, (size_t)n, &fi, &why) == 0 &&
	     fi.family == family && fi.vlan == vlan && fi.sport == 40000 &&
	     fi.dport == 7 && fi.payload_len == 5 &&
	     !memcmp(buf + fi.payload_off, "hello", 5) && fi.ip_csum_ok &&
	     fi.udp_csum_ok && !memcmp(fi.saddr, s.saddr, 16);
	ktap_test_result(ok, "build+parse IPv%d %s", family,
			 vlan >= 0 ? "802.1Q" : "untagged");
	if (!ok)
		ktap_print_msg("n=%zd why=%s", n, why ? why : "-");
}

/* RFC 1071 example words and a known IPv4 header. */
static void test_csum(void)
{
	/* header from RFC 791-style example: checksum 0xb861 */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			   0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			   0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t odd[3] = { 0x01, 0x02, 0x03 };

	KTAP_EXPECT_EQ(kfaas_csum(ip, sizeof(ip), 0), 0xb861,
		       "IPv4 header checksum of a known header");
	ip[10] = 0xb8;
	ip[11] = 0x61;
	KTAP_EXPECT_EQ(kfaas_csum(ip, sizeof(ip), 0), 0,
		       "a header with its checksum sums to zero");
	/* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
	KTAP_EXPECT_EQ(kfaas_csum(odd, sizeof(odd), 0), 0xfbfd,
		       "odd length pads the last byte with zero");
}

static void test_corruption(void)
{
	struct kfaas_frame_spec s = spec(4, -1, "payload");
	struct kfaas_frame_info fi;
	uint8_t buf[256];
	ssize_t n = kfaas_frame_build(&s, buf, sizeof(buf));
	size_t cut;
	int all = 1;

	buf[14 + 28 + 2] ^= 0x40;		/* flip a payload bit */
	kfaas_frame_parse(buf, (size_t)n, &fi, NULL);
	ktap_test_result(fi.ip_csum_ok && !fi.udp_csum_ok,
			 "a flipped payload bit fails the UDP checksum only");
	buf[14 + 28 + 2] ^= 0x40;
	for (cut = 0; cut < (size_t)n; cut++)
		if (kfaas_frame_parse(buf, cut, &fi, NULL) == 0)
			all = 0;
	ktap_test_result(all, "every truncation of a frame is rejected");
	s.len = 70000;
	ktap_test_result(kfaas_frame_build(&s, buf, sizeof(buf)) < 0,
			 "an oversized payload is refused");
}

static void test_hostport(void)
{
	uint8_t a[16];
	uint16_t port = 0;
	int fam = -1;

	ktap_test_result(!kfaas_hostport_parse("10.1.2.3:53", &fam, a, &port) &&
			 fam == 4 && port == 53 && a[0] == 10 && a[3] == 3,
			 "hostport IPv4 with port");
	port = 9;
	ktap_test_result(!kfaas_hostport_parse("[fd00::1]:5353", &fam, a, &port) &&
			 fam == 6 && port == 5353 && a[0] == 0xfd && a[15] == 1,
			 "hostport [IPv6]:port");
	port = 9;
	ktap_test_result(!kfaas_hostport_parse("fd00::1", &fam, a, &port) &&
			 fam == 6 && port == 9, "hostport bare IPv6 keeps the port");
	ktap_test_result(kfaas_hostport_parse("10.1.2.3:0", &fam, a, &port) &&
			 kfaas_hostport_parse("10.1.2.3:65536", &fam, a, &port) &&
			 kfaas_hostport_parse("nohost:1", &fam, a, &port) &&
			 kfaas_hostport_parse("[fd00::1", &fam, a, &port) &&
			 kfaas_hostport_parse("", &fam, a, &port),
			 "hostport rejects bad ports, names, brackets");
}

static void test_hex(void)
{
	uint8_t b[8];

	ktap_test_result(kfaas_hex_decode("0x68 65:6c6C6f", b, sizeof(b)) == 5 &&
			 !memcmp(b, "hello", 5), "hex with 0x, spaces, colons");
	ktap_test_result(kfaas_hex_decode("abc", b, sizeof(b)) < 0 &&
			 kfaas_hex_decode("zz", b, sizeof(b)) < 0 &&
			 kfaas_hex_decode("000000000000000000", b, sizeof(b)) ==
			 -ENOSPC, "hex rejects odd digits, non-hex, overflow");
}

static void test_route_key(void)
{
	struct kfaas_route_key k;
	char s[96];

	ktap_test_result(!kfaas_route_key_make(&k, "udp", "53", NULL) &&
			 k.proto == 17 && k.family == 0 && k.port == htons(53),
			 "route key: udp port, any address");
	kfaas_route_key_str(&k, s, sizeof(s));
	ktap_test_result(!strcmp(s, "udp 53"), "route key prints as 'udp 53'");
	ktap_test_result(!kfaas_route_key_make(&k, "tcp", "8080", "fd00::1") &&
			 k.proto == 6 && k.family == 6, "route key: tcp with IPv6");
	kfaas_route_key_str(&k, s, sizeof(s));
	ktap_test_result(!strcmp(s, "tcp [fd00::1]:8080"),
			 "route key prints as 'tcp [fd00::1]:8080'");
	ktap_test_result(kfaas_route_key_make(&k, "sctp", "1", NULL) == -EINVAL &&
			 kfaas_route_key_make(&k, "udp", "0", NULL) == -EINVAL &&
			 kfaas_route_key_make(&k, "udp", "65536", NULL) == -EINVAL &&
			 kfaas_route_key_make(&k, "udp", "5x", NULL) == -EINVAL &&
			 kfaas_route_key_make(&k, "udp", "-1", NULL) == -EINVAL &&
			 kfaas_route_key_make(&k, "udp", "1", "1.2.3") == -EINVAL,
			 "route key rejects bad protocol, ports, addresses");
	ktap_test_result(strstr(kfaas_errmsg(), "1.2.3") != NULL,
			 "the error names the bad address");
}

static void test_names(void)
{
	ktap_test_result(!kfaas_name_valid("echo") && !kfaas_name_valid("a_b-1"),
			 "valid function names");
	ktap_test_result(kfaas_name_valid("") && kfaas_name_valid("a.b") &&
			 kfaas_name_valid("-x") && kfaas_name_valid("a/b") &&
			 kfaas_name_valid("0123456789012345678901234567890123"),
			 "invalid names: empty, dot, dash first, slash, too long");
	ktap_test_result(kfaas_tier_parse("xdp") == KFAAS_TIER_XDP &&
			 kfaas_tier_parse("vm") == KFAAS_TIER_VM &&
			 kfaas_tier_parse("gpu") < 0, "tier names");
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(25);
	test_roundtrip(4, -1);
	test_roundtrip(6, -1);
	test_roundtrip(4, 100);
	test_roundtrip(6, 4094);
	test_csum();
	test_corruption();
	test_hostport();
	test_hex();
	test_route_key();
	test_names();
	return ktap_finished();
}
