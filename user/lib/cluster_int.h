/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the cluster layer's files share (cluster*.c): the connection and
 * its keys.  Private to libkfaas; the API is user/include/kfaas_cluster.h.
 */
#ifndef KFAAS_CLUSTER_INT_H
#define KFAAS_CLUSTER_INT_H

#include <kfaas_cluster.h>
#include "etcd.h"
#include "artifact.h"

#define CLUSTER_KEY_MAX		512

struct kfaas_cluster {
	struct etcd	*etcd;
	char		prefix[160];
	/* the last configuration document read (content-addressed) */
	char		doc_hex[ARTIFACT_HEX_LEN + 1];
	char		*doc;
	size_t		doc_len;
};

/* PREFIX + fmt...: -ENAMETOOLONG if it does not fit in CLUSTER_KEY_MAX. */
int kfaas__cluster_key(const struct kfaas_cluster *c, char *buf, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The document of artifact hex (cached), decoded. */
int kfaas__cluster_doc(struct kfaas_cluster *c, const char *artifact,
		       struct kfaas_conf *out);
/* desired/config's value. */
int kfaas__cluster_meta_parse(const char *json, size_t len, int64_t mod_rev,
			      struct kfaas_cluster_meta *m);
/* A placement value (desired/placement/NAME), and back. */
json_object *kfaas__placement_json(const struct kfaas_cluster_placement *p);
int kfaas__placement_parse(const char *fn, const char *json, size_t len,
			   int64_t mod_rev, struct kfaas_cluster_placement *p);
/* A JSON object's member as a string / unsigned number, or NULL / -1. */
const char *kfaas__json_str(json_object *o, const char *key);
int kfaas__json_u64(json_object *o, const char *key, __u64 max, __u64 *out);
/* A selector / node labels as JSON, and back (NULL: none). */
json_object *kfaas__labels_json(const struct kfaas_labels *l);
int kfaas__labels_parse(json_object *o, struct kfaas_labels *l);

#endif
