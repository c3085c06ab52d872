/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the etcd client's files share (etcd.c: transport, failover, errors;
 * etcd_kv.c, etcd_lease.c, etcd_watch.c: the calls).  Not for use outside
 * them: the rest of libkfaas uses etcd.h.
 */
#ifndef KFAAS_ETCD_CALL_H
#define KFAAS_ETCD_CALL_H

#include <json-c/json.h>
#include "etcd.h"

enum {
	/* repeating the request is harmless: retried on the next endpoint
	 * even when it may have reached etcd (reads) */
	ETCD_CALL_IDEMPOTENT	= 1 << 0,
};

/*
 * POST req (consumed; NULL, a request that could not be built: -ENOMEM)
 * to path on the current endpoint, the next ones on connection errors.
 * what names the call in messages ("kv/put").
 * timeout_ms: -1 the client's, 0 none.  *resp: the answer's JSON, put it.
 */
int etcd__call(struct etcd *c, const char *what, const char *path,
	       json_object *req, int timeout_ms, unsigned int flags,
	       json_object **resp);

/*
 * The same for a streamed answer: fn gets each JSON object in turn
 * ("result" or "error" wrapped, as the gateway sends them); a non-zero
 * return stops the stream and is returned.  -ECONNRESET when the stream ends or breaks;
 * *got_data tells whether anything arrived before.
 */
typedef int (*etcd__msg_fn)(json_object *msg, void *arg);
int etcd__stream(struct etcd *c, const char *what, const char *path,
		 json_object *req, int idle_timeout_ms, etcd__msg_fn fn,
		 void *arg, bool *got_data);

/* The endpoint of the call under way (for messages). */
const char *etcd__at(const struct etcd *c);

/* The error a gateway "error" object (unary or streamed) stands for. */
int etcd__error(struct etcd *c, const char *what, json_object *err);

/* ---- JSON helpers ---- */
/* An int64 field (the gateway writes them as strings); 0 if absent. */
int64_t etcd__i64(json_object *o, const char *key);
/* Add key: base64(data). */
int etcd__add_b64(json_object *o, const char *key, const void *data, size_t len);
/* Add key and, for a prefix, the range_end that covers it. */
int etcd__add_key(json_object *o, const char *key, bool prefix,
		  const char *range_end);
/* Decode one KeyValue object; -EPROTO if malformed. */
int etcd__kv_parse(json_object *o, struct etcd_kv *kv);
/* Decode a "kvs" array and the header of a range answer. */
int etcd__kvs_parse(json_object *o, struct etcd_kvs *out);
/* Base64 string field -> malloc()ed, NUL-terminated; "" if absent. */
int etcd__b64_field(json_object *o, const char *key, char **out, size_t *len);
/* -EPROTO with a message naming the call. */
int etcd__bad_answer(struct etcd *c, const char *what, const char *why);

#endif
