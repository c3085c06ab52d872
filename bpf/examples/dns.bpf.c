// SPDX-License-Identifier: GPL-2.0
/*
 * dns: answers A/AAAA queries from the dns_records map (dns.h).
 *   known name, record present    NOERROR with the answer, AA set
 *   known name, no such record    NOERROR, no answer (NODATA)
 *   unknown name                  NXDOMAIN
 *   malformed question            FORMERR (header only)
 *   opcode other than QUERY       NOTIMP; class other than IN: REFUSED
 *   shorter than a header, or a response (QR set): dropped
 * EDNS and other additional records of the query are not echoed.
 */
#include "vmlinux.h"
#include "kfaas.h"
#include "dns.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_ENTRIES);
	__type(key, struct dns_key);
	__type(value, struct dns_rr);
} dns_records SEC(".maps");

#define DNS_QBUF	256

/*
 * The reply is the query's header and question (its additional records
 * dropped) and at most one answer of 28 bytes (AAAA); the shortest
 * question is 17 bytes (the root name): 45 / 17 = 2.65 at most.
 */
KFAAS_REPLY_RATIO(2.65);

struct dns_scratch {
	__u8		q[DNS_QBUF];	/* the question's name bytes */
	struct dns_key	key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");

struct dns_answer {
	__be16	name;		/* pointer to the question name: 0xc00c */
	__be16	type;
	__be16	class;
	__be16	ttl_hi;		/* 32-bit TTL as two halves: no padding */
	__be16	ttl_lo;
	__be16	rdlen;
	__u8	rdata[16];
};

/* Answer with a header only: FORMERR, NOTIMP. */
static __always_inline int reply_bare(struct kfaas_req *req, __u8 rcode)
{
	__u8 *h;

	if (kfaas_reply_reserve(req, DNS_HDR_LEN))
		return KFAAS_ERROR;
	h = kfaas_ptr(req, 0, DNS_HDR_LEN);
	if (!h)
		return KFAAS_ERROR;
	h[2] = 0x80 | (h[2] & 0x79);		/* QR, keep opcode and RD */
	h[3] = rcode;
	__builtin_memset(h + 4, 0, 8);		/* no sections */
	return DNS_HDR_LEN;
}

/*
 * Walk the question name (no compression pointers in a question, at most
 * 255 bytes) and leave it lower-cased in the scratch key when it fits.
 * Returns the name's wire length including the final zero byte, or -1 if
 * the question is malformed.
 */
__attribute__((noinline))
int dns_parse_qname(struct xdp_md *ctx, __u64 off, __u64 len)
{
	struct kfaas_req req = KFAAS_REQ(ctx, off, len);
	struct dns_scratch *sc;
	__u64 avail, pos = 0, nlen = 0;
	__u32 zero = 0;
	int i;

	if (!ctx || len < DNS_HDR_LEN + 5 || len > 0xffff)
		return -1;
	sc = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!sc)
		return -1;
	avail = len - DNS_HDR_LEN;
	if (avail > DNS_QBUF)
		avail = DNS_QBUF;
	if (!kfaas_len_in(avail, 1, DNS_QBUF))
		return -1;
	if (kfaas_load(&req, DNS_HDR_LEN, sc->q, avail))
		return -1;
	for (i = 0; i < 128; i++) {
		__u8 l;

		if (pos >= avail)
			return -1;
		l = sc->q[pos & (DNS_QBUF - 1)];
		if (l == 0) {
			nlen = pos + 1;
			break;
		}
		if (l > 63)
			return -1;
		pos += l + 1;
		if (pos > 254)
			return -1;
	}
	if (nlen == 0)
		return -1;
	for (i = 0; i < DNS_NAME_MAX; i++) {
		__u8 b = i < nlen ? sc->q[i] : 0;

		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		sc->key.name[i] = b;
	}
	return (int)nlen;
}

KFAAS_XDP_FUNCTION(dns)(struct kfaas_req *req)
{
	__u32 len = kfaas_payload_len(req), qend, alen = 0;
	struct dns_answer ans = {};
	struct dns_scratch *sc;
	struct dns_rr *rr = NULL;
	__u16 qtype, qclass;
	__u32 zero = 0;
	__u8 *h, *q, rcode;
	int nlen;

	h = kfaas_ptr(req, 0, DNS_HDR_LEN);
	if (!h)
		return KFAAS_DROP;		/* not even a header */
	if (h[2] & 0x80)
		return KFAAS_DROP;		/* a response: never answer */
	if (h[2] & 0x78)
		return reply_bare(req, DNS_RCODE_NOTIMP);
	/* exactly one question, no answer or authority records */
	if (h[4] || h[5] != 1 || h[6] || h[7] || h[8] || h[9])
		return reply_bare(req, DNS_RCODE_FORMERR);
	nlen = dns_parse_qname(KFAAS_REQ_ARGS(req));
	if (nlen <= 0)
		return reply_bare(req, DNS_RCODE_FORMERR);
	qend = DNS_HDR_LEN + nlen + 4;
	q = kfaas_ptr(req, DNS_HDR_LEN + nlen, 4);
	if (!q || qend > len)
		return reply_bare(req, DNS_RCODE_FORMERR);
	qtype = (__u16)q[0] << 8 | q[1];
	qclass = (__u16)q[2] << 8 | q[3];

	rcode = DNS_RCODE_NXDOMAIN;
	if (qclass != DNS_CLASS_IN) {
		rcode = DNS_RCODE_REFUSED;
	} else if (nlen <= DNS_NAME_MAX) {
		sc = bpf_map_lookup_elem(&dns_scratch, &zero);
		if (!sc)
			return KFAAS_ERROR;
		rr = bpf_map_lookup_elem(&dns_records, &sc->key);
		if (rr)
			rcode = DNS_RCODE_NOERROR;
	}

	ans.name = bpf_htons(0xc00c);
	ans.class = bpf_htons(DNS_CLASS_IN);
	if (rr) {
		ans.ttl_hi = bpf_htons(rr->ttl >> 16);
		ans.ttl_lo = bpf_htons(rr->ttl & 0xffff);
		if ((qtype == DNS_TYPE_A || qtype == DNS_TYPE_ANY) && rr->has_a) {
			ans.type = bpf_htons(DNS_TYPE_A);
			ans.rdlen = bpf_htons(4);
			__builtin_memcpy(ans.rdata, rr->a, 4);
			alen = 12 + 4;
		} else if (qtype == DNS_TYPE_AAAA && rr->has_aaaa) {
			ans.type = bpf_htons(DNS_TYPE_AAAA);
			ans.rdlen = bpf_htons(16);
			__builtin_memcpy(ans.rdata, rr->aaaa, 16);
			alen = 12 + 16;
		}
	}

	/* header + question (already in place) + answer; drop the rest */
	if (kfaas_reply_reserve(req, qend + alen))
		return KFAAS_ERROR;
	h = kfaas_ptr(req, 0, DNS_HDR_LEN);
	if (!h)
		return KFAAS_ERROR;
	h[2] = 0x80 | 0x04 | (h[2] & 0x01);	/* QR, AA, keep RD */
	h[3] = rcode;
	h[7] = alen ? 1 : 0;			/* ANCOUNT */
	h[10] = 0;				/* ARCOUNT: EDNS not echoed */
	h[11] = 0;
	if (alen == 16 && kfaas_store(req, qend, &ans, 16))
		return KFAAS_ERROR;
	if (alen == 28 && kfaas_store(req, qend, &ans, 28))
		return KFAAS_ERROR;
	return qend + alen;
}
