// SPDX-License-Identifier: GPL-2.0
/* The etcd client's key-value calls and transactions (etcd.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "libkfaas.h"
#include "etcd_call.h"

void etcd_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_kvs_free(struct etcd_kvs *kvs)
{
	size_t i;

	for (i = 0; i < kvs->n; i++)
		etcd_kv_free(&kvs->kv[i]);
	free(kvs->kv);
	memset(kvs, 0, sizeof(*kvs));
}

static int add_i64(json_object *o, const char *key, int64_t v)
{
	json_object *n;

	if (!v)
		return 0;
	n = json_object_new_int64(v);
	if (!n || json_object_object_add(o, key, n)) {
		json_object_put(n);
		return -ENOMEM;
	}
	return 0;
}

static int add_bool(json_object *o, const char *key, bool v)
{
	json_object *b;

	if (!v)
		return 0;
	b = json_object_new_boolean(1);
	if (!b || json_object_object_add(o, key, b)) {
		json_object_put(b);
		return -ENOMEM;
	}
	return 0;
}

/* A RangeRequest, for kv/range and a transaction's request_range. */
static json_object *range_req(const struct etcd_range *q)
{
	json_object *o = json_object_new_object();

	if (!o || etcd__add_key(o, q->key, q->prefix, q->range_end) ||
	    add_i64(o, "revision", q->revision) || add_i64(o, "limit", q->limit) ||
	    add_bool(o, "keys_only", q->keys_only) ||
	    add_bool(o, "count_only", q->count_only)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int etcd_kv_range(struct etcd *c, const struct etcd_range *q, struct etcd_kvs *out)
{
	json_object *resp;
	int err;

	memset(out, 0, sizeof(*out));
	err = etcd__call(c, "kv/range", "/v3/kv/range", range_req(q), -1,
			 ETCD_CALL_IDEMPOTENT, &resp);
	if (err)
		return err;
	err = etcd__kvs_parse(resp, out);
	json_object_put(resp);
	if (err == -EPROTO)
		return etcd__bad_answer(c, "kv/range", "a malformed key-value");
	return err;
}

int etcd_kv_get(struct etcd *c, const char *key, struct etcd_kv *out)
{
	struct etcd_range q = { .key = key };
	struct etcd_kvs kvs;
	int err;

	memset(out, 0, sizeof(*out));
	err = etcd_kv_range(c, &q, &kvs);
	if (err)
		return err;
	if (!kvs.n) {
		etcd_kvs_free(&kvs);
		return kfaas_err(-ENOENT, "etcd: no key '%s'", key);
	}
	*out = kvs.kv[0];
	kvs.n = 0;
	etcd_kvs_free(&kvs);
	return 0;
}

static json_object *put_req(const char *key, const void *val, size_t len,
			    int64_t lease)
{
	json_object *o = json_object_new_object();

	if (!o || etcd__add_key(o, key, false, NULL) ||
	    etcd__add_b64(o, "value", val, len) || add_i64(o, "lease", lease)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int64_t header_rev(json_object *resp)
{
	json_object *h;

	return json_object_object_get_ex(resp, "header", &h) ?
	       etcd__i64(h, "revision") : 0;
}

int etcd_kv_put(struct etcd *c, const char *key, const void *val, size_t len,
		int64_t lease, int64_t *revision)
{
	json_object *resp;
	int err;

	/* a put repeated sets the same value: harmless */
	err = etcd__call(c, "kv/put", "/v3/kv/put", put_req(key, val, len, lease),
			 -1, ETCD_CALL_IDEMPOTENT, &resp);
	if (err)
		return err;
	if (revision)
		*revision = header_rev(resp);
	json_object_put(resp);
	return 0;
}

static json_object *delete_req(const char *key, bool prefix)
{
	json_object *o = json_object_new_object();

	if (!o || etcd__add_key(o, key, prefix, NULL)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int etcd_kv_delete(struct etcd *c, const char *key, bool prefix,
		   int64_t *deleted, int64_t *revision)
{
	json_object *resp;
	int err;

	err = etcd__call(c, "kv/deleterange", "/v3/kv/deleterange",
			 delete_req(key, prefix), -1, ETCD_CALL_IDEMPOTENT, &resp);
	if (err)
		return err;
	if (deleted)
		*deleted = etcd__i64(resp, "deleted");
	if (revision)
		*revision = header_rev(resp);
	json_object_put(resp);
	return 0;
}

int etcd_kv_compact(struct etcd *c, int64_t revision)
{
	json_object *req = json_object_new_object(), *resp;
	int err;

	if (!req || add_i64(req, "revision", revision)) {
		json_object_put(req);
		return -ENOMEM;
	}
	err = etcd__call(c, "kv/compaction", "/v3/kv/compaction", req, -1,
			 ETCD_CALL_IDEMPOTENT, &resp);
	json_object_put(resp);
	return err;
}

/* ---- transactions ---- */

static const char *const cmp_targets[] = {
	[ETCD_CMP_VERSION] = "VERSION", [ETCD_CMP_CREATE] = "CREATE",
	[ETCD_CMP_MOD] = "MOD", [ETCD_CMP_VALUE] = "VALUE",
};
static const char *const cmp_fields[] = {
	[ETCD_CMP_VERSION] = "version", [ETCD_CMP_CREATE] = "create_revision",
	[ETCD_CMP_MOD] = "mod_revision", [ETCD_CMP_VALUE] = "value",
};
static const char *const cmp_results[] = {
	[ETCD_EQUAL] = "EQUAL", [ETCD_NOT_EQUAL] = "NOT_EQUAL",
	[ETCD_LESS] = "LESS", [ETCD_GREATER] = "GREATER",
};

static json_object *cmp_json(const struct etcd_cmp *k)
{
	json_object *o;
	int err;

	if (k->target < 0 || k->target > ETCD_CMP_VALUE || k->result < 0 ||
	    k->result > ETCD_GREATER)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	err = etcd__add_key(o, k->key, false, NULL);
	err = err ?: json_object_object_add(o, "target",
			json_object_new_string(cmp_targets[k->target]));
	err = err ?: json_object_object_add(o, "result",
			json_object_new_string(cmp_results[k->result]));
	if (!err && k->target == ETCD_CMP_VALUE)
		err = etcd__add_b64(o, "value", k->value, k->value_len);
	else if (!err)	/* 0 too: "absent" is a compare against 0 */
		err = json_object_object_add(o, cmp_fields[k->target],
					     json_object_new_int64(k->rev));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *op_json(const struct etcd_op *op)
{
	struct etcd_range q = { .key = op->key, .prefix = op->prefix };
	json_object *o, *r;
	const char *kind;

	switch (op->type) {
	case ETCD_OP_PUT:
		kind = "request_put";
		r = put_req(op->key, op->value, op->value_len, op->lease);
		break;
	case ETCD_OP_RANGE:
		kind = "request_range";
		r = range_req(&q);
		break;
	case ETCD_OP_DELETE:
		kind = "request_delete_range";
		r = delete_req(op->key, op->prefix);
		break;
	default:
		return NULL;
	}
	o = r ? json_object_new_object() : NULL;
	if (!o || json_object_object_add(o, kind, r)) {
		json_object_put(o);
		json_object_put(r);
		return NULL;
	}
	return o;
}

static int add_ops(json_object *req, const char *key, const struct etcd_op *ops,
		   size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	if (!a || json_object_object_add(req, key, a)) {
		json_object_put(a);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		json_object *o = op_json(&ops[i]);

		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			return -EINVAL;
		}
	}
	return 0;
}

static json_object *txn_req(const struct etcd_txn *t)
{
	json_object *req = json_object_new_object();
	json_object *cmps = json_object_new_array();
	size_t i;

	if (!req || !cmps || json_object_object_add(req, "compare", cmps)) {
		json_object_put(cmps);
		goto fail;
	}
	for (i = 0; i < t->ncmp; i++) {
		json_object *k = cmp_json(&t->cmp[i]);

		if (!k || json_object_array_add(cmps, k)) {
			json_object_put(k);
			goto fail;
		}
	}
	if (add_ops(req, "success", t->success, t->nsuccess) ||
	    add_ops(req, "failure", t->failure, t->nfailure))
		goto fail;
	return req;
fail:
	json_object_put(req);
	return NULL;
}

/* One ResponseOp: {"response_range": {...}} and the like. */
static int op_result_parse(json_object *o, struct etcd_op_result *r)
{
	json_object *v;

	memset(r, 0, sizeof(*r));
	if (json_object_object_get_ex(o, "response_range", &v)) {
		r->type = ETCD_OP_RANGE;
		return etcd__kvs_parse(v, &r->kvs);
	}
	if (json_object_object_get_ex(o, "response_delete_range", &v)) {
		r->type = ETCD_OP_DELETE;
		r->deleted = etcd__i64(v, "deleted");
		return 0;
	}
	if (json_object_object_get_ex(o, "response_put", &v)) {
		r->type = ETCD_OP_PUT;
		return 0;
	}
	return -EPROTO;
}

static int txn_parse(json_object *resp, struct etcd_txn_result *r)
{
	json_object *v, *a;
	size_t i, n;
	int err;

	r->succeeded = json_object_object_get_ex(resp, "succeeded", &v) &&
		       json_object_get_boolean(v);
	r->revision = header_rev(resp);
	if (!json_object_object_get_ex(resp, "responses", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -EPROTO;
	n = json_object_array_length(a);
	r->res = calloc(n ? n : 1, sizeof(*r->res));
	if (!r->res)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = op_result_parse(json_object_array_get_idx(a, i), &r->res[i]);
		if (err)
			return err;
		r->n++;
	}
	return 0;
}

int etcd_txn(struct etcd *c, const struct etcd_txn *t, struct etcd_txn_result *r)
{
	json_object *req, *resp;
	int err;

	memset(r, 0, sizeof(*r));
	req = txn_req(t);
	if (!req)
		return kfaas_err(-EINVAL, "etcd: kv/txn: an unknown compare or "
				 "operation (or out of memory)");
	err = etcd__call(c, "kv/txn", "/v3/kv/txn", req, -1, 0, &resp);
	if (err)
		return err;
	err = txn_parse(resp, r);
	json_object_put(resp);
	if (err) {
		etcd_txn_result_free(r);
		if (err == -EPROTO)
			return etcd__bad_answer(c, "kv/txn",
						"a malformed response");
	}
	return err;
}

void etcd_txn_result_free(struct etcd_txn_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		etcd_kvs_free(&r->res[i].kvs);
	free(r->res);
	memset(r, 0, sizeof(*r));
}
