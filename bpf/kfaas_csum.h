/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksums over packet memory, for building replies in place.
 * All sums are one's complement sums of the bytes as they lie in memory,
 * accumulated in 64 bits and folded once at the end.
 */
#ifndef KFAAS_CSUM_H
#define KFAAS_CSUM_H

#include "kfaas_parse.h"

#define KFAAS_CSUM_CHUNK	64
/* Largest UDP datagram the SDK checksums: a 9000-byte jumbo frame. */
#define KFAAS_CSUM_MAX		9000

/*
 * Sum len bytes of the frame starting at off; the folded 16-bit sum, or
 * -1 if the bytes are not in the frame.  A global (separately verified)
 * function: its loop is checked once, not once per path of the caller.
 * Each 64-byte chunk is
 * copied out with bpf_xdp_load_bytes() (which checks the bounds, and
 * works on multi-buffer frames too) and summed with bpf_csum_diff(); the
 * last partial chunk is zero padded, which leaves the sum unchanged and
 * pads an odd final byte exactly as the checksum requires.
 */
__attribute__((noinline))
int kfaas_csum_frame(struct xdp_md *ctx, __u32 off, __u32 len)
{
	__u8 buf[KFAAS_CSUM_CHUNK];
	__u64 sum = 0, full, tail;
	int i;

	if (!ctx || len > KFAAS_CSUM_MAX)
		return -1;
	full = len / KFAAS_CSUM_CHUNK;
	tail = len % KFAAS_CSUM_CHUNK;
	for (i = 0; i < KFAAS_CSUM_MAX / KFAAS_CSUM_CHUNK; i++) {
		if (i >= full)
			break;
		if (bpf_xdp_load_bytes(ctx, off + i * KFAAS_CSUM_CHUNK, buf,
				       KFAAS_CSUM_CHUNK))
			return -1;
		sum += (__u32)bpf_csum_diff(0, 0, (__be32 *)buf, sizeof(buf), 0);
	}
	if (tail > 0 && tail < KFAAS_CSUM_CHUNK) {
		/* 1..CHUNK by construction: 6.1's verifier sees a non-zero size */
		__u32 n = ((tail - 1) & (KFAAS_CSUM_CHUNK - 1)) + 1;

		__builtin_memset(buf, 0, sizeof(buf));
		if (bpf_xdp_load_bytes(ctx, off + full * KFAAS_CSUM_CHUNK, buf,
				       n))
			return -1;
		sum += (__u32)bpf_csum_diff(0, 0, (__be32 *)buf, sizeof(buf), 0);
	}
	return kfaas_csum_fold(sum);
}

/* Sum of an IPv4 or IPv6 pseudo header for a UDP datagram of ulen bytes. */
static __always_inline __u64 kfaas_csum_pseudo(const __u8 *saddr,
					       const __u8 *daddr, int v6,
					       __u32 ulen)
{
	const __u16 *s = (const __u16 *)saddr, *d = (const __u16 *)daddr;
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 8; i++) {
		if (!v6 && i >= 2)
			break;
		sum += s[i];
		sum += d[i];
	}
	/* IPv6 carries a 32-bit length whose upper half is 0 here */
	sum += bpf_htons(KFAAS_IPPROTO_UDP);
	sum += bpf_htons((__u16)ulen);
	return sum;
}

#endif /* KFAAS_CSUM_H */
