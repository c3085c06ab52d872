// SPDX-License-Identifier: GPL-2.0
/*
 * What a node does with etcd besides reading the desired state
 * (kfaas_cluster.h): its lease, its keys (registration, status, counters),
 * the scheduler election and the watch of desired/.  Thin: the etcd
 * client (etcd.h) does the work; this file gives it the cluster's keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "cluster_int.h"

int kfaas_cluster_lease_grant(struct kfaas_cluster *c, int64_t ttl, int64_t *id)
{
	int64_t granted;

	*id = 0;
	return etcd_lease_grant(c->etcd, ttl, id, &granted);
}

int kfaas_cluster_lease_keepalive(struct kfaas_cluster *c, int64_t id)
{
	int64_t ttl;

	return etcd_lease_keepalive(c->etcd, id, &ttl);
}

int kfaas_cluster_lease_revoke(struct kfaas_cluster *c, int64_t id)
{
	return etcd_lease_revoke(c->etcd, id);
}

int kfaas_cluster_lease_ttl(struct kfaas_cluster *c, int64_t id, int64_t *ttl)
{
	return etcd_lease_ttl(c->etcd, id, ttl, NULL);
}

int kfaas_cluster_put(struct kfaas_cluster *c, const char *dir, const char *name,
		      json_object *val, int64_t lease)
{
	char key[CLUSTER_KEY_MAX];
	const char *s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	return kfaas__cluster_key(c, key, "%s/%s", dir, name) ?:
	       etcd_kv_put(c->etcd, key, s, strlen(s), lease, NULL);
}

int kfaas_cluster_get_dir(struct kfaas_cluster *c, const char *dir, json_object **out)
{
	char key[CLUSTER_KEY_MAX];
	struct etcd_range q = { .key = key, .prefix = true };
	struct etcd_kvs kvs;
	size_t i, plen;
	int rc;

	*out = NULL;
	rc = kfaas__cluster_key(c, key, "%s/", dir) ?: etcd_kv_range(c->etcd, &q, &kvs);
	if (rc)
		return rc;
	plen = strlen(key);
	*out = json_object_new_object();
	for (i = 0; i < kvs.n && *out; i++) {
		json_object *v = json_tokener_parse(kvs.kv[i].value);

		if (v)
			json_object_object_add(*out, kvs.kv[i].key + plen, v);
	}
	etcd_kvs_free(&kvs);
	return *out ? 0 : kfaas_err(-ENOMEM, "out of memory");
}

int kfaas_cluster_campaign(struct kfaas_cluster *c, int64_t lease,
			   const char *node, int timeout_ms, char *key, size_t len)
{
	char name[CLUSTER_KEY_MAX];
	struct etcd_leader l;
	int rc;

	rc = kfaas__cluster_key(c, name, "scheduler") ?:
	     etcd_election_campaign(c->etcd, name, lease, node, strlen(node),
				    timeout_ms, &l);
	if (rc)
		return rc;
	snprintf(key, len, "%s", l.key);
	etcd_leader_free(&l);
	return 0;
}

int kfaas_cluster_leader(struct kfaas_cluster *c, char *node, size_t len)
{
	char name[CLUSTER_KEY_MAX];
	struct etcd_kv kv;
	int rc;

	node[0] = '\0';
	rc = kfaas__cluster_key(c, name, "scheduler") ?:
	     etcd_election_leader(c->etcd, name, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	snprintf(node, len, "%.*s", (int)kv.value_len, kv.value ? kv.value : "");
	etcd_kv_free(&kv);
	return 0;
}

struct watch_arg {
	int	(*cb)(int64_t rev, void *arg);
	void	*arg;
};

static int on_batch(const struct etcd_watch_batch *b, void *arg)
{
	struct watch_arg *w = arg;

	return b->n ? w->cb(b->revision, w->arg) : 0;
}

int kfaas_cluster_watch(struct kfaas_cluster *c, int64_t from, int idle_timeout_ms,
			int (*cb)(int64_t rev, void *arg), void *arg,
			int64_t *compacted)
{
	char key[CLUSTER_KEY_MAX];
	struct watch_arg wa = { .cb = cb, .arg = arg };
	struct etcd_watch w = { .key = key, .prefix = true, .start_revision = from,
				.progress_notify = true,
				.idle_timeout_ms = idle_timeout_ms,
				.cb = on_batch, .arg = &wa };
	int rc = kfaas__cluster_key(c, key, "desired/");

	if (rc)
		return rc;
	rc = etcd_watch_run(c->etcd, &w);
	*compacted = w.compact_revision;
	return rc;
}
