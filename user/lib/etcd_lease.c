// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client's leases and elections (etcd.h).  A keep-alive is one
 * request per renewal (the gateway's lease/keepalive answers the one
 * request it is given); elections are etcd's v3election service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "libkfaas.h"
#include "etcd_call.h"

static json_object *id_req(const char *key, int64_t id)
{
	json_object *o = json_object_new_object(), *v = json_object_new_int64(id);

	if (!o || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		json_object_put(o);
		return NULL;
	}
	return o;
}

int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t *id, int64_t *granted)
{
	json_object *req, *resp, *e;
	int err;

	if (ttl <= 0)
		return kfaas_err(-EINVAL, "etcd: a lease needs a TTL of at least "
				 "1 s (got %" PRId64 ")", ttl);
	req = id_req("TTL", ttl);
	if (!req || (*id && json_object_object_add(req, "ID",
						   json_object_new_int64(*id)))) {
		json_object_put(req);
		return -ENOMEM;
	}
	/* not retried once sent: a second grant would leave a lease behind */
	err = etcd__call(c, "lease/grant", "/v3/lease/grant", req, -1, 0, &resp);
	if (err)
		return err;
	if (json_object_object_get_ex(resp, "error", &e) &&
	    *json_object_get_string(e)) {
		err = kfaas_err(-EEXIST, "etcd %s: lease/grant: %s",
				etcd__at(c), json_object_get_string(e));
	} else {
		*id = etcd__i64(resp, "ID");
		if (granted)
			*granted = etcd__i64(resp, "TTL");
		if (!*id)
			err = etcd__bad_answer(c, "lease/grant", "no lease ID");
	}
	json_object_put(resp);
	return err;
}

int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl)
{
	json_object *resp, *r;
	int64_t t = 0;
	int err;

	err = etcd__call(c, "lease/keepalive", "/v3/lease/keepalive",
			 id_req("ID", id), -1, ETCD_CALL_IDEMPOTENT, &resp);
	if (err)
		return err;
	if (json_object_object_get_ex(resp, "error", &r)) {
		err = etcd__error(c, "lease/keepalive", resp);
	} else if (!json_object_object_get_ex(resp, "result", &r)) {
		err = etcd__bad_answer(c, "lease/keepalive", "no result");
	} else {
		t = etcd__i64(r, "TTL");
		/* an expired lease is answered with TTL 0 */
		if (t <= 0)
			err = kfaas_err(-ENOENT, "etcd: lease %" PRIx64 " has "
					"expired: grant a new one", id);
	}
	json_object_put(resp);
	if (!err && ttl)
		*ttl = t;
	return err;
}

int etcd_lease_revoke(struct etcd *c, int64_t id)
{
	json_object *resp;
	int err;

	err = etcd__call(c, "lease/revoke", "/v3/lease/revoke", id_req("ID", id),
			 -1, ETCD_CALL_IDEMPOTENT, &resp);
	json_object_put(resp);
	return err;
}

int etcd_lease_ttl(struct etcd *c, int64_t id, int64_t *ttl, int64_t *granted)
{
	json_object *resp;
	int64_t t;
	int err;

	err = etcd__call(c, "lease/timetolive", "/v3/lease/timetolive",
			 id_req("ID", id), -1, ETCD_CALL_IDEMPOTENT, &resp);
	if (err)
		return err;
	t = etcd__i64(resp, "TTL");
	if (granted)
		*granted = etcd__i64(resp, "grantedTTL");
	json_object_put(resp);
	/* -1: expired or never granted */
	if (t < 0)
		return kfaas_err(-ENOENT, "etcd: lease %" PRIx64 " has expired",
				 id);
	*ttl = t;
	return 0;
}

/* ---- election ---- */

/* {"name": base64(name)}: NULL if out of memory. */
static json_object *name_req(const char *name)
{
	json_object *o = json_object_new_object();

	if (o && etcd__add_b64(o, "name", name, strlen(name))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int leader_parse(json_object *o, struct etcd_leader *l)
{
	size_t n;
	int err;

	memset(l, 0, sizeof(*l));
	err = etcd__b64_field(o, "name", &l->name, &n);
	if (!err)
		err = etcd__b64_field(o, "key", &l->key, &n);
	l->rev = etcd__i64(o, "rev");
	l->lease = etcd__i64(o, "lease");
	if (!err && !*l->key)
		err = -EPROTO;
	if (err)
		etcd_leader_free(l);
	return err;
}

void etcd_leader_free(struct etcd_leader *l)
{
	free(l->name);
	free(l->key);
	memset(l, 0, sizeof(*l));
}

int etcd_election_campaign(struct etcd *c, const char *name, int64_t lease,
			   const void *value, size_t len, int timeout_ms,
			   struct etcd_leader *out)
{
	json_object *req = name_req(name), *resp, *l;
	int err;

	memset(out, 0, sizeof(*out));
	if (!req || etcd__add_b64(req, "value", value, len) ||
	    json_object_object_add(req, "lease", json_object_new_int64(lease))) {
		json_object_put(req);
		return -ENOMEM;
	}
	/*
	 * Blocks in etcd until elected.  A campaign that times out or is
	 * interrupted closes its connection; etcd then withdraws the
	 * candidacy (its key) itself.
	 */
	err = etcd__call(c, "election/campaign", "/v3/election/campaign", req,
			 timeout_ms, 0, &resp);
	if (err)
		return err;
	if (!json_object_object_get_ex(resp, "leader", &l) ||
	    leader_parse(l, out))
		err = etcd__bad_answer(c, "election/campaign", "no leader key");
	json_object_put(resp);
	return err;
}

int etcd_election_leader(struct etcd *c, const char *name, struct etcd_kv *out)
{
	json_object *resp, *kv;
	int err;

	memset(out, 0, sizeof(*out));
	err = etcd__call(c, "election/leader", "/v3/election/leader",
			 name_req(name), -1, ETCD_CALL_IDEMPOTENT, &resp);
	if (err == -ENOENT)
		return kfaas_err(err, "etcd: election '%s' has no leader", name);
	if (err)
		return err;
	if (!json_object_object_get_ex(resp, "kv", &kv) ||
	    etcd__kv_parse(kv, out))
		err = etcd__bad_answer(c, "election/leader", "no leader key");
	json_object_put(resp);
	return err;
}

int etcd_election_resign(struct etcd *c, const struct etcd_leader *l)
{
	json_object *req = json_object_new_object(), *ld = json_object_new_object();
	json_object *resp;
	int err;

	if (!req || !ld || json_object_object_add(req, "leader", ld)) {
		json_object_put(ld);
		json_object_put(req);
		return -ENOMEM;
	}
	if (etcd__add_b64(ld, "name", l->name, strlen(l->name)) ||
	    etcd__add_b64(ld, "key", l->key, strlen(l->key)) ||
	    json_object_object_add(ld, "rev", json_object_new_int64(l->rev)) ||
	    json_object_object_add(ld, "lease", json_object_new_int64(l->lease))) {
		json_object_put(req);
		return -ENOMEM;
	}
	/* resigning twice is harmless: etcd deletes the key if it is there */
	err = etcd__call(c, "election/resign", "/v3/election/resign", req, -1,
			 ETCD_CALL_IDEMPOTENT, &resp);
	json_object_put(resp);
	return err;
}

struct observe {
	struct etcd	*c;
	etcd_observe_cb	cb;
	void		*arg;
};

static int observe_msg(json_object *m, void *arg)
{
	struct observe *ob = arg;
	struct etcd_kv kv;
	json_object *r, *o;
	int rc;

	if (json_object_object_get_ex(m, "error", &r))
		return etcd__error(ob->c, "election/observe", m);
	if (!json_object_object_get_ex(m, "result", &r) ||
	    !json_object_object_get_ex(r, "kv", &o) || etcd__kv_parse(o, &kv))
		return etcd__bad_answer(ob->c, "election/observe", "no leader key");
	rc = ob->cb(&kv, ob->arg);
	etcd_kv_free(&kv);
	return rc;
}

int etcd_election_observe(struct etcd *c, const char *name, int idle_timeout_ms,
			  etcd_observe_cb cb, void *arg)
{
	struct observe ob = { .c = c, .cb = cb, .arg = arg };
	bool got;

	return etcd__stream(c, "election/observe", "/v3/election/observe",
			    name_req(name), idle_timeout_ms, observe_msg, &ob,
			    &got);
}
