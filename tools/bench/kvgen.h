/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key-value data set of the UDP benchmark, generated the same way by
 * the load generator, the userspace server and (through `udpload
 * --print-kv`) the XDP tier's cache: key i is "keyNNNN", its value
 * vlen bytes derived from i, client flags 0.
 */
#ifndef KFAAS_BENCH_KVGEN_H
#define KFAAS_BENCH_KVGEN_H

#include <stdio.h>
#include <string.h>

#define KVGEN_KEY_LEN	7	/* "key" + 4 digits */
#define KVGEN_VAL_MAX	160	/* KV_VALUE_MAX of the XDP example */
#define KVGEN_MAX_KEYS	10000

static inline void kvgen_key(unsigned int i, char *buf)
{
	snprintf(buf, KVGEN_KEY_LEN + 1, "key%04u", i % KVGEN_MAX_KEYS);
}

static inline void kvgen_value(unsigned int i, char *buf, size_t vlen)
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t j;

	for (j = 0; j < vlen; j++)
		buf[j] = a[(i * 7 + j) % (sizeof(a) - 1)];
	buf[vlen] = '\0';
}

/* The memcached reply after the 8-byte frame header; its length. */
static inline size_t kvgen_reply(unsigned int i, size_t vlen, char *buf,
				 size_t cap)
{
	char key[KVGEN_KEY_LEN + 1], val[KVGEN_VAL_MAX + 1];
	int n;

	kvgen_key(i, key);
	kvgen_value(i, val, vlen);
	n = snprintf(buf, cap, "VALUE %s 0 %zu\r\n%s\r\nEND\r\n", key, vlen, val);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

#endif
