/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dns: an authoritative DNS responder for A and AAAA records held in a
 * map that userspace fills (kfaas-dns).  Shared by dns.bpf.c and dns.c.
 *
 * Keys are names in DNS wire format (length-prefixed labels, final zero
 * byte), lower case, zero padded: "www.example.com" is
 * "\3www\7example\3com\0".
 */
#ifndef KFAAS_EX_DNS_H
#define KFAAS_EX_DNS_H

#define DNS_NAME_MAX	128	/* wire-format bytes of a stored name */
#define DNS_ENTRIES	65536
#define DNS_TTL_DEFAULT	60

#define DNS_HDR_LEN	12
#define DNS_TYPE_A	1
#define DNS_TYPE_AAAA	28
#define DNS_TYPE_ANY	255
#define DNS_CLASS_IN	1

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5

struct dns_key {
	__u8	name[DNS_NAME_MAX];
};

struct dns_rr {
	__u32	ttl;
	__u8	has_a;
	__u8	has_aaaa;
	__u8	pad[2];
	__u8	a[4];
	__u8	aaaa[16];
};

#endif
