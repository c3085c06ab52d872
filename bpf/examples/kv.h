/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kv: an in-kernel GET cache in front of a memcached-style UDP server
 * (BMC-style).  Requests use memcached's UDP frame header (8 bytes:
 * request id, sequence 0, 1 datagram, reserved) followed by an ASCII
 * "get KEY\r\n".  A key found in the kv_cache map is answered in XDP with
 * "VALUE KEY 0 LEN\r\nDATA\r\nEND\r\n"; any other request is passed up to
 * the server listening on the port.  Userspace fills the map (kfaas-kv).
 * Shared by kv.bpf.c and kv.c.
 */
#ifndef KFAAS_EX_KV_H
#define KFAAS_EX_KV_H

#define KV_KEY_MAX	64	/* memcached allows 250; this cache: 64 */
/*
 * A hit's reply is the request plus at most 24 bytes plus the value: keep
 * that within the 192 bytes every XDP driver lets a frame grow
 * (KFAAS_GROW_FRONT_MAX, docs/sdk.md).
 */
#define KV_VALUE_MAX	160
#define KV_ENTRIES	65536
#define KV_UDP_HDR	8
/* header + "VALUE " key " " flags " " len "\r\n" data "\r\nEND\r\n" */
#define KV_REPLY_MAX	(KV_UDP_HDR + 6 + KV_KEY_MAX + 1 + 10 + 1 + 10 + 2 + \
			 KV_VALUE_MAX + 7)

struct kv_key {
	char	key[KV_KEY_MAX];	/* zero padded */
};

struct kv_value {
	__u32	len;
	__u32	flags;			/* memcached client flags */
	char	data[KV_VALUE_MAX];
};

#endif
