// SPDX-License-Identifier: GPL-2.0
/* Userspace Ethernet/IPv4/IPv6/UDP frame builder and checker. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_frame.h>

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define IP4_HLEN	20
#define IP6_HLEN	40
#define UDP_HLEN	8

static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	while (len > 1) {
		sum += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t kfaas_csum(const void *p, size_t len, uint32_t sum)
{
	return (uint16_t)~fold(sum16(p, len, sum));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Sum of the pseudo header (host-order arithmetic over network bytes). */
static uint32_t pseudo_sum(int family, const uint8_t *saddr,
			   const uint8_t *daddr, size_t ulen)
{
	size_t alen = family == 6 ? 16 : 4;
	uint32_t sum = 0;

	sum = sum16(saddr, alen, sum);
	sum = sum16(daddr, alen, sum);
	sum += IPPROTO_UDP;
	sum += (uint32_t)ulen;
	return sum;
}

ssize_t kfaas_frame_build(const struct kfaas_frame_spec *s, void *buf, size_t cap)
{
	size_t l2 = ETH_HLEN + (s->vlan >= 0 ? VLAN_HLEN : 0);
	size_t l3len = s->family == 6 ? IP6_HLEN : IP4_HLEN;
	size_t ulen = UDP_HLEN + s->len;
	size_t total = l2 + l3len + ulen;
	uint8_t *p = buf, *ip, *udp;
	uint16_t c;

	if (s->family != 4 && s->family != 6)
		return -EINVAL;
	if (ulen > 0xffff || total > cap)
		return -ENOSPC;
	memset(p, 0, total);
	memcpy(p, s->dst_mac, 6);
	memcpy(p + 6, s->src_mac, 6);
	if (s->vlan >= 0) {
		put16(p + 12, 0x8100);
		put16(p + 14, (uint16_t)(s->vlan & 0xfff));
		put16(p + 16, s->family == 6 ? 0x86dd : 0x0800);
	} else {
		put16(p + 12, s->family == 6 ? 0x86dd : 0x0800);
	}
	ip = p + l2;
	if (s->family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(IP4_HLEN + ulen));
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000);		/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		put16(ip + 10, kfaas_csum(ip, IP4_HLEN, 0));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
	}
	udp = ip + l3len;
	put16(udp, s->sport);
	put16(udp + 2, s->dport);
	put16(udp + 4, (uint16_t)ulen);
	if (s->len)
		memcpy(udp + UDP_HLEN, s->payload, s->len);
	c = kfaas_csum(udp, ulen, pseudo_sum(s->family, s->saddr, s->daddr, ulen));
	put16(udp + 6, c ? c : 0xffff);
	return (ssize_t)total;
}

#define WHY(msg) do { if (why) *why = (msg); return -EINVAL; } while (0)

int kfaas_frame_parse(const void *buf, size_t len, struct kfaas_frame_info *fi,
		      const char **why)
{
	const uint8_t *p = buf, *ip, *udp;
	size_t off = ETH_HLEN, hlen, iplen, ulen;
	uint16_t proto;
	uint32_t sum;

	memset(fi, 0, sizeof(*fi));
	fi->vlan = -1;
	if (len < ETH_HLEN)
		WHY("frame shorter than an Ethernet header");
	memcpy(fi->dst_mac, p, 6);
	memcpy(fi->src_mac, p + 6, 6);
	proto = get16(p + 12);
	if (proto == 0x8100 || proto == 0x88a8) {
		if (len < off + VLAN_HLEN)
			WHY("truncated VLAN tag");
		fi->vlan = get16(p + off) & 0xfff;
		proto = get16(p + off + 2);
		off += VLAN_HLEN;
	}
	ip = p + off;
	if (proto == 0x0800) {
		fi->family = 4;
		if (len < off + IP4_HLEN || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
			WHY("bad IPv4 header");
		hlen = (size_t)(ip[0] & 0xf) * 4;
		iplen = get16(ip + 2);
		if (iplen < hlen + UDP_HLEN || len < off + iplen)
			WHY("bad IPv4 total length");
		if (ip[9] != IPPROTO_UDP)
			WHY("not UDP");
		if (get16(ip + 6) & 0x3fff)
			WHY("IPv4 fragment");
		fi->ip_csum_ok = kfaas_csum(ip, hlen, 0) == 0;
		fi->ttl = ip[8];
		memcpy(fi->saddr, ip + 12, 4);
		memcpy(fi->daddr, ip + 16, 4);
		ulen = iplen - hlen;
		udp = ip + hlen;
	} else if (proto == 0x86dd) {
		fi->family = 6;
		if (len < off + IP6_HLEN || (ip[0] >> 4) != 6)
			WHY("bad IPv6 header");
		ulen = get16(ip + 4);
		if (ip[6] != IPPROTO_UDP)
			WHY("not UDP");
		if (len < off + IP6_HLEN + ulen || ulen < UDP_HLEN)
			WHY("bad IPv6 payload length");
		fi->ip_csum_ok = true;
		fi->ttl = ip[7];
		memcpy(fi->saddr, ip + 8, 16);
		memcpy(fi->daddr, ip + 24, 16);
		udp = ip + IP6_HLEN;
	} else {
		WHY("not IPv4 or IPv6");
	}
	if (get16(udp + 4) != ulen)
		WHY("UDP length does not match the IP length");
	fi->sport = get16(udp);
	fi->dport = get16(udp + 2);
	fi->payload_off = (size_t)(udp - p) + UDP_HLEN;
	fi->payload_len = ulen - UDP_HLEN;
	if (fi->family == 4 && get16(udp + 6) == 0) {
		fi->udp_csum_ok = true;
	} else {
		sum = pseudo_sum(fi->family, fi->saddr, fi->daddr, ulen);
		fi->udp_csum_ok = fold(sum16(udp, ulen, sum)) == 0xffff;
	}
	return 0;
}

int kfaas_hostport_parse(const char *s, int *family, uint8_t addr[16],
			 uint16_t *port)
{
	char host[64];
	const char *portstr = NULL;
	char *end;
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return -EINVAL;
		n = (size_t)(rb - s - 1);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (rb[1] == ':')
			portstr = rb + 2;
	} else {
		const char *c = strchr(s, ':');

		if (c && strchr(c + 1, ':'))	/* bare IPv6, no port */
			c = NULL;
		n = c ? (size_t)(c - s) : strlen(s);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		if (c)
			portstr = c + 1;
	}
	if (portstr) {
		unsigned long v;

		if (!*portstr || !isdigit((unsigned char)*portstr))
			return -EINVAL;
		errno = 0;
		v = strtoul(portstr, &end, 10);
		if (errno || *end || v == 0 || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
	}
	if (!host[0]) {
		if (!portstr)
			return -EINVAL;
		*family = 0;
		return 0;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = 6;
	else
		return -EINVAL;
	return 0;
}
