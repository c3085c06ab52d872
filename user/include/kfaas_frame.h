/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building and checking Ethernet/IP/UDP frames in userspace (libkfaas,
 * frame.c): the invoker builds requests with it; the CLI, the benchmarks,
 * the tests and the fuzzers check replies with it.  Pure functions, no BPF.
 */
#ifndef KFAAS_FRAME_H
#define KFAAS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kfaas_frame_spec {
	int		family;		/* 4 or 6 */
	uint8_t		src_mac[6];
	uint8_t		dst_mac[6];
	uint8_t		saddr[16];	/* network order; IPv4 in [0..3] */
	uint8_t		daddr[16];
	uint16_t	sport;		/* host order */
	uint16_t	dport;
	int		vlan;		/* VLAN id, or -1 for none */
	const void	*payload;
	size_t		len;
};

struct kfaas_frame_info {
	int		family;
	int		vlan;		/* -1 when untagged */
	uint8_t		src_mac[6];
	uint8_t		dst_mac[6];
	uint8_t		saddr[16];
	uint8_t		daddr[16];
	uint16_t	sport;		/* host order */
	uint16_t	dport;
	uint8_t		ttl;
	size_t		payload_off;
	size_t		payload_len;
	bool		ip_csum_ok;	/* IPv4 header checksum (true for IPv6) */
	bool		udp_csum_ok;	/* UDP checksum (zero is ok on IPv4) */
};

/* Internet checksum of len bytes, starting from a partial sum. */
uint16_t kfaas_csum(const void *p, size_t len, uint32_t sum);
/* Build a request frame; returns its length or -ENOSPC/-EINVAL. */
ssize_t kfaas_frame_build(const struct kfaas_frame_spec *s, void *buf, size_t cap);
/* Parse an Ethernet/IP/UDP frame; 0, or -EINVAL with *why set. */
int kfaas_frame_parse(const void *buf, size_t len, struct kfaas_frame_info *fi,
		      const char **why);
/*
 * "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT".  family 0 and port
 * untouched when absent.  0 or -EINVAL.
 */
int kfaas_hostport_parse(const char *s, int *family, uint8_t addr[16],
			 uint16_t *port);

#endif
