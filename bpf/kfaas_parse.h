/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frame parser shared by the dispatcher and the function SDK.
 *
 * Accepts Ethernet with up to two 802.1Q/802.1ad tags, IPv4 (with options,
 * header checksum verified) or IPv6 (UDP directly after the fixed header),
 * and UDP.  Anything it cannot fully validate is reported, never guessed:
 * the caller passes such frames up the stack unanswered.
 */
#ifndef KFAAS_PARSE_H
#define KFAAS_PARSE_H

#include <kfaas/abi.h>

#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#endif
#ifndef ETH_ALEN
#define ETH_ALEN	6
#endif
#define KFAAS_IPPROTO_TCP	6
#define KFAAS_IPPROTO_UDP	17
#define KFAAS_IPPROTO_FRAG6	44
#define KFAAS_IP_MF		0x2000
#define KFAAS_IP_OFFMASK	0x1fff

/* Hide a value from the optimiser so a bounds check stays where it is. */
#define kfaas_barrier_var(v)	asm volatile("" : "+r"(v))

/*
 * Is lo <= len <= hi (lo >= 1, hi < 2^31)?  Checked so that the verifier
 * of kernel 6.1 knows both bounds of len afterwards, as a helper's size
 * argument needs: it learns no lower bound from len != 0 (6.8 and later
 * do), nor a bound from a compare clang made on a copy of len (a range
 * check as one subtraction and compare, say), nor carries what it learns
 * on a register to the copies made before.  So each compare is on the
 * variable itself, hidden from the optimiser so that none is merged or
 * rewritten, the lower one signed so that it never becomes len != 0; and
 * len is hidden once more after them, so that what is used later is that
 * value or a copy made after the checks.  Use it right before the helper
 * call; len must be a variable (an lvalue).
 */
#define kfaas_len_in(len, lo, hi)					\
	({								\
		int __ok = 0;						\
		kfaas_barrier_var(len);					\
		if ((len) <= (hi)) {					\
			kfaas_barrier_var(len);				\
			if ((int)(len) >= (int)(lo)) {			\
				kfaas_barrier_var(len);			\
				__ok = 1;				\
			}						\
		}							\
		__ok;							\
	})

/*
 * v, as a value the verifier of kernel 6.1 cannot know.  It verifies a
 * bpf_loop() callback once, with the state of the first call (6.7 and
 * later verify it as a loop): a field of the loop's context that one
 * iteration sets for the next is taken for its initial value, and the
 * branches that depend on it being anything else are removed as dead
 * code, so the program runs differently there.  Initialise such a field
 * with kfaas_opaque(): r / (r + 1) is 0 for any r below 2^32, but the
 * verifier does not follow a division by a variable.
 */
static __always_inline __u32 kfaas_opaque(__u32 v)
{
	__u64 r = bpf_get_prandom_u32(), q = r + 1;

	kfaas_barrier_var(q);
	return v + (__u32)(r / q);
}

/*
 * struct xdp_md is UAPI with a fixed layout.  Accessing it through this
 * copy, which vmlinux.h's preserve_access_index does not cover, keeps
 * clang from materialising CO-RE offsets into ctx pointer arithmetic
 * (which the verifier rejects as "modified ctx ptr").
 */
struct kfaas_xdp_md {
	__u32	data;
	__u32	data_end;
	__u32	data_meta;
};

static __always_inline void *kfaas_data(struct xdp_md *ctx)
{
	return (void *)(long)((volatile struct kfaas_xdp_md *)ctx)->data;
}

static __always_inline void *kfaas_data_end(struct xdp_md *ctx)
{
	return (void *)(long)((volatile struct kfaas_xdp_md *)ctx)->data_end;
}

static __always_inline void *kfaas_data_meta(struct xdp_md *ctx)
{
	return (void *)(long)((volatile struct kfaas_xdp_md *)ctx)->data_meta;
}

enum kfaas_parse_rc {
	KFAAS_PARSE_OK = 0,
	KFAAS_PARSE_NOT_UDP,	/* not IPv4/IPv6 UDP (or extension headers) */
	KFAAS_PARSE_MALFORMED,	/* truncated, bad lengths, bad checksum */
	KFAAS_PARSE_FRAGMENT,	/* an IP fragment */
	KFAAS_PARSE_MULTICAST,	/* multicast/broadcast destination */
};

/* What the parser found: offsets are from the start of the frame. */
struct kfaas_pkt {
	__u16	l3_off;
	__u16	l4_off;
	__u16	payload_off;
	__u16	payload_len;
	__u8	family;		/* KFAAS_FAMILY_IPV4 / KFAAS_FAMILY_IPV6 */
	__u8	proto;
	__be16	dport;
	__u16	sport;		/* host order */
	__u8	daddr[16];
};

struct kfaas_vlan_hdr {
	__be16	tci;
	__be16	proto;
};

static __always_inline __u16 kfaas_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * One's complement sum of the IPv4 header at off (hlen bytes, 20..60).
 * The caller has checked that the first 20 bytes are in the frame; an
 * option-carrying header is copied out with bpf_xdp_load_bytes(), which
 * checks its bounds.
 */
static __always_inline int kfaas_ip4_sum(struct xdp_md *ctx, __u32 off,
					 struct iphdr *iph, __u32 hlen,
					 __u64 *psum)
{
	__u16 *w = (__u16 *)iph;
	__u64 sum = 0;
	int i;

	if (hlen == 20) {
		sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] +
		      w[7] + w[8] + w[9];
	} else {
		__u16 buf[30] = {};

		if (hlen < 20 || hlen > 60 ||
		    bpf_xdp_load_bytes(ctx, off, buf, hlen))
			return -1;
		for (i = 0; i < 30; i++)
			sum += buf[i];
	}
	*psum = sum;
	return 0;
}

static __always_inline int kfaas_parse_udp(void *data, void *end, __u32 l4,
					   __u32 ulen_expect,
					   struct kfaas_pkt *pkt)
{
	struct udphdr *udp = data + l4;

	if ((void *)(udp + 1) > end)
		return KFAAS_PARSE_MALFORMED;
	if (bpf_ntohs(udp->len) != ulen_expect || ulen_expect < sizeof(*udp))
		return KFAAS_PARSE_MALFORMED;
	if (udp->source == 0 || udp->dest == 0)
		return KFAAS_PARSE_MALFORMED;
	pkt->l4_off = l4;
	pkt->payload_off = l4 + sizeof(*udp);
	pkt->payload_len = ulen_expect - sizeof(*udp);
	pkt->dport = udp->dest;
	pkt->sport = bpf_ntohs(udp->source);
	pkt->proto = KFAAS_IPPROTO_UDP;
	return KFAAS_PARSE_OK;
}

static __always_inline int kfaas_parse_ip4(struct xdp_md *ctx, void *data,
					   void *end, __u32 off,
					   struct kfaas_pkt *pkt)
{
	struct iphdr *iph = data + off;
	__u32 hlen, tot;
	__u64 sum;

	if ((void *)(iph + 1) > end)
		return KFAAS_PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return KFAAS_PARSE_MALFORMED;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* 6.1's verifier loses the bounds of a byte swap: give them back */
	kfaas_barrier_var(tot);
	tot &= 0xffff;
	if (tot < hlen || data + off + tot > end)
		return KFAAS_PARSE_MALFORMED;
	if (kfaas_ip4_sum(ctx, off, iph, hlen, &sum) ||
	    kfaas_csum_fold(sum) != 0xffff)
		return KFAAS_PARSE_MALFORMED;
	if (iph->frag_off & bpf_htons(KFAAS_IP_MF | KFAAS_IP_OFFMASK))
		return KFAAS_PARSE_FRAGMENT;
	if (iph->protocol != KFAAS_IPPROTO_UDP)
		return KFAAS_PARSE_NOT_UDP;
	/* multicast 224/4, limited broadcast; a zero source cannot be answered */
	if ((bpf_ntohl(iph->daddr) & 0xf0000000) == 0xe0000000 ||
	    iph->daddr == 0xffffffff || iph->saddr == 0)
		return KFAAS_PARSE_MULTICAST;
	pkt->l3_off = off;
	pkt->family = KFAAS_FAMILY_IPV4;
	__builtin_memset(pkt->daddr, 0, sizeof(pkt->daddr));
	__builtin_memcpy(pkt->daddr, &iph->daddr, 4);
	return kfaas_parse_udp(data, end, off + hlen, tot - hlen, pkt);
}

static __always_inline int kfaas_parse_ip6(void *data, void *end, __u32 off,
					   struct kfaas_pkt *pkt)
{
	struct ipv6hdr *ip6 = data + off;
	__u32 plen;

	if ((void *)(ip6 + 1) > end)
		return KFAAS_PARSE_MALFORMED;
	if (ip6->version != 6)
		return KFAAS_PARSE_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	kfaas_barrier_var(plen);	/* bounds for 6.1's verifier */
	plen &= 0xffff;
	if (data + off + sizeof(*ip6) + plen > end)
		return KFAAS_PARSE_MALFORMED;
	if (ip6->nexthdr == KFAAS_IPPROTO_FRAG6)
		return KFAAS_PARSE_FRAGMENT;
	if (ip6->nexthdr != KFAAS_IPPROTO_UDP)
		return KFAAS_PARSE_NOT_UDP;
	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff)
		return KFAAS_PARSE_MULTICAST;
	pkt->l3_off = off;
	pkt->family = KFAAS_FAMILY_IPV6;
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	return kfaas_parse_udp(data, end, off + sizeof(*ip6), plen, pkt);
}

/* Parse an XDP frame down to the UDP payload. */
static __always_inline int kfaas_parse(struct xdp_md *ctx, struct kfaas_pkt *pkt)
{
	void *data = kfaas_data(ctx);
	void *end = kfaas_data_end(ctx);
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return KFAAS_PARSE_MALFORMED;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct kfaas_vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return KFAAS_PARSE_MALFORMED;
		proto = vh->proto;
		off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_IP))
		return kfaas_parse_ip4(ctx, data, end, off, pkt);
	if (proto == bpf_htons(ETH_P_IPV6))
		return kfaas_parse_ip6(data, end, off, pkt);
	return KFAAS_PARSE_NOT_UDP;
}

#endif /* KFAAS_PARSE_H */
