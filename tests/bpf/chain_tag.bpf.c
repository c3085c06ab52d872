// SPDX-License-Identifier: GPL-2.0
/*
 * chain_tag: a link of a function chain for the chain tests and the
 * chain benchmark.  For each letter of TAGS (a build-time string: one
 * letter for a link, "abc" for the whole work in one function) it appends
 * the letter and the number of links the request has run so far, counted
 * in the chain's shared state (kfaas_chain_state(); 1 outside a chain),
 * and hands the payload on with kfaas_next(): "ping" through the chain
 * tag_a,tag_b,tag_c comes back "pinga1b2c3", as from tag_abc alone.
 * Built with TAG_OVERWRITE it writes them over the payload's first bytes
 * instead (the length stays: a reply is again a request, for repeated
 * runs of the benchmark).
 */
#include "vmlinux.h"
#include "kfaas.h"

#ifndef TAGS
#define TAGS "t"
#endif
#define TAG_MAX_IN	1024
#ifdef TAG_OVERWRITE
#define TAG_GROW	0
#define TAG_AT(n, i)	(2 * (i))
#else
#define TAG_GROW	(2 * (sizeof(TAGS) - 1))
#define TAG_AT(n, i)	((n) + 2 * (i))
#endif

KFAAS_XDP_FUNCTION(tag)(struct kfaas_req *req)
{
	const char tags[] = TAGS;
	__u32 n = kfaas_payload_len(req), i;
	__u8 *state = kfaas_chain_state(req);
	__u8 seq = 0;
	char out[2];

	if (n > TAG_MAX_IN || n < 2 * (sizeof(tags) - 1) - TAG_GROW ||
	    kfaas_reply_reserve(req, n + TAG_GROW))
		return KFAAS_ERROR;
	for (i = 0; i < sizeof(tags) - 1; i++) {
		seq = state ? ++state[0] : seq + 1;
		out[0] = tags[i];
		out[1] = (char)('0' + seq % 10);
		if (kfaas_store(req, TAG_AT(n, i), out, 2))
			return KFAAS_ERROR;
	}
	return kfaas_next(req, n + TAG_GROW);
}
