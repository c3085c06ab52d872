/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One kfaas across many nodes, on etcd (docs/cluster.md): the desired
 * state (a kfaas.conf(5) document and the placements of VM-tier
 * functions), the nodes, their observed state and their counters, under
 * one key prefix.  Used by the CLI (`kfaas --cluster ...`) and by kfaasd's
 * node agent (`kfaasd --cluster ...`).  Built on libkfaas's private etcd
 * client and artifact store.
 *
 *   PREFIX/desired/config              {"generation", "by", "at", "config":
 *                                      "sha256:HEX"}: the guard key of every
 *                                      apply; the document is an artifact
 *   PREFIX/desired/placement/NAME      {"nodes": [...], "unplaced", "why"}:
 *                                      written by the elected scheduler
 *   PREFIX/artifacts/..., chunks/...   the artifact store (artifact.h)
 *   PREFIX/nodes/NODE                  registration, under the node's lease
 *   PREFIX/status/NODE                 what the node applied (no lease)
 *   PREFIX/stats/NODE                  its counters, under its lease
 *   PREFIX/scheduler/LEASE             the scheduler election
 *
 * Errors are negative errno values with a message in kfaas_errmsg(), as
 * in the rest of libkfaas.
 */
#ifndef KFAAS_CLUSTER_H
#define KFAAS_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <kfaas_conf.h>

#define KFAAS_CLUSTER_PREFIX_DEFAULT	"/kfaas/v1/"
#define KFAAS_NODE_LEN			64	/* a node's name, NUL included */

struct kfaas_cluster_opts {
	const char	*endpoints;	/* "https://10.0.0.1:2379,..." */
	const char	*ca_file;	/* PEM: the CA, a client certificate */
	const char	*cert_file;
	const char	*key_file;
	const char	*prefix;	/* NULL: KFAAS_CLUSTER_PREFIX_DEFAULT */
	int		timeout_ms;	/* a request; 0: 5000 */
};

/* A connection to the cluster: one thread at a time, like etcd.h's. */
struct kfaas_cluster;
int kfaas_cluster_open(struct kfaas_cluster **out, const struct kfaas_cluster_opts *o);
void kfaas_cluster_close(struct kfaas_cluster *c);
/* Stop the call running in another thread: it returns -EINTR. */
void kfaas_cluster_interrupt(struct kfaas_cluster *c);
const char *kfaas_cluster_prefix(const struct kfaas_cluster *c);

/* ---- the desired state (cluster_doc.c, cluster.c) ---- */
struct kfaas_cluster_meta {
	__u64	generation;		/* 0: nothing applied yet */
	char	by[96];			/* user@host */
	char	at[40];			/* RFC 3339 */
	char	config[KFAAS_ARTIFACT_LEN];	/* the document's artifact */
	int64_t	mod_rev;		/* of desired/config */
};

struct kfaas_cluster_placement {
	char	fn[KFAAS_NAME_LEN];
	char	(*nodes)[KFAAS_NODE_LEN];
	size_t	n;
	__u32	replicas;
	__u32	unplaced;		/* replicas no node had room for */
	char	why[320];		/* why they are unplaced */
	/* the node that keeps a ready template of it and no VM, to take
	 * it over when one of nodes dies ("": none had room) */
	char	standby[KFAAS_NODE_LEN];
	int64_t	mod_rev;
};

struct kfaas_cluster_desired {
	struct kfaas_cluster_meta meta;
	struct kfaas_conf	conf;	/* the document; sources as applied */
	struct kfaas_cluster_placement *pl;
	size_t			npl;
	int64_t			revision;	/* the store's, read at */
	int64_t			desired_rev;	/* last change under desired/ */
};
void kfaas_cluster_desired_free(struct kfaas_cluster_desired *d);
/* Everything under desired/ at one revision (0: the latest). */
int kfaas_cluster_read(struct kfaas_cluster *c, int64_t rev,
		       struct kfaas_cluster_desired *d);

/* The document: a configuration as canonical JSON, and back (checked as
 * kfaas_conf_parse() checks a file). */
json_object *kfaas_cluster_doc_encode(const struct kfaas_conf *conf);
int kfaas_cluster_doc_decode(const char *json, size_t len, struct kfaas_conf *out);

/*
 * The changes from one configuration to another, function by function
 * and route by route ("+ fn echo", "~ route udp 7 -> echo", ...), one per
 * line in *text (malloc()ed); their number.
 */
size_t kfaas_cluster_diff(const struct kfaas_conf *from, const struct kfaas_conf *to,
			  char **text);

/*
 * kfaas --cluster apply: the files of conf stored as artifacts, then the
 * document, then one transaction that moves desired/config to a new
 * generation only if it is still the one read (-EBUSY otherwise, with an
 * error naming the generation, who applied it, when, and what it
 * changed, and how to retry).  With dry_run nothing is written.  *changes
 * (malloc()ed) and *n say what differs from the cluster's configuration;
 * *generation the one written.
 */
int kfaas_cluster_apply(struct kfaas_cluster *c, const struct kfaas_conf *conf,
			bool dry_run, char **changes, size_t *n, __u64 *generation);
/* The cluster's configuration, with the artifact of every function. */
int kfaas_cluster_export(struct kfaas_cluster *c, struct kfaas_conf *out,
			 struct kfaas_cluster_meta *meta);

/* ---- nodes (cluster_node.c) ---- */
struct kfaas_cluster_node {
	char	name[KFAAS_NODE_LEN];
	char	addr[64];		/* for people: where it serves */
	__u64	mem_mib;		/* capacity for VM-tier functions */
	__u32	cpus;
	bool	kmod;			/* kfaas.ko present */
	char	vm[8];			/* "kvm", "tcg" or "" (no VM tier) */
	struct kfaas_labels labels;
	int64_t	lease;
	char	started[40];
};
json_object *kfaas_cluster_node_json(const struct kfaas_cluster_node *n);
int kfaas_cluster_node_parse(const char *json, size_t len, struct kfaas_cluster_node *n);
/* Registered nodes (those whose lease lives), sorted by name. */
int kfaas_cluster_nodes(struct kfaas_cluster *c, struct kfaas_cluster_node **out,
			size_t *n);

/* A node's share of the desired state: the functions and routes it runs
 * (eBPF: selector matches; VM: placed on it, or its standby: flagged
 * KFAAS_VM_F_STANDBY, without routes), sources left empty. */
int kfaas_cluster_share(const struct kfaas_cluster_desired *d,
			const struct kfaas_cluster_node *self, struct kfaas_conf *out);

/* ---- placement (cluster_place.c): pure, then written by the leader ---- */
/*
 * Place every VM-tier function of conf on replicas nodes: those already
 * placed stay where the node lives, matches and has room; others go to
 * matching nodes with room for mem * max(1, min-warm) MiB and vcpus CPUs,
 * its standby node first, then fewest placements (spread), then most
 * free memory.  What fits nowhere is unplaced, with why.  Then, with the
 * room every placement left, each function gets a standby node (another
 * matching node with room for its template, mem MiB): the one before
 * when it still qualifies.  A standby never takes room a placement
 * needs.  *out: one per VM function, by name.
 */
int kfaas_cluster_place(const struct kfaas_conf *conf,
			const struct kfaas_cluster_node *nodes, size_t nn,
			const struct kfaas_cluster_placement *prev, size_t nprev,
			struct kfaas_cluster_placement **out, size_t *nout);
void kfaas_cluster_placements_free(struct kfaas_cluster_placement *p, size_t n);
/* MiB a node gives a VM-tier function placed on it, or as its standby. */
__u64 kfaas_cluster_demand_mib(const struct kfaas_conf_fn *f, bool standby);
/*
 * Write what changed from old to new (puts and deletes) in transactions
 * that hold only while leader_key (this scheduler's election key)
 * exists: -EPERM when leadership was lost.
 */
int kfaas_cluster_placement_write(struct kfaas_cluster *c, const char *leader_key,
				  const struct kfaas_cluster_placement *old, size_t nold,
				  const struct kfaas_cluster_placement *new, size_t nnew);

/* ---- a node's lease, keys and the election (cluster_lease.c) ---- */
int kfaas_cluster_lease_grant(struct kfaas_cluster *c, int64_t ttl, int64_t *id);
/* -ENOENT once it expired. */
int kfaas_cluster_lease_keepalive(struct kfaas_cluster *c, int64_t id);
int kfaas_cluster_lease_revoke(struct kfaas_cluster *c, int64_t id);
/* Seconds left, -ENOENT when expired. */
int kfaas_cluster_lease_ttl(struct kfaas_cluster *c, int64_t id, int64_t *ttl);
/* PREFIX/DIR/NAME = json (under lease, 0: none). */
int kfaas_cluster_put(struct kfaas_cluster *c, const char *dir, const char *name,
		      json_object *val, int64_t lease);
/* PREFIX/DIR/ as an object NAME -> parsed JSON value (json_object_put). */
int kfaas_cluster_get_dir(struct kfaas_cluster *c, const char *dir,
			  json_object **out);
/* Block until this lease leads the scheduler election or timeout_ms
 * (-ETIMEDOUT); *key: the leader key, for kfaas_cluster_placement_write. */
int kfaas_cluster_campaign(struct kfaas_cluster *c, int64_t lease,
			   const char *node, int timeout_ms, char *key, size_t len);
/* The scheduler's node, or "" when none leads. */
int kfaas_cluster_leader(struct kfaas_cluster *c, char *node, size_t len);

/*
 * Watch desired/ from revision from (> 0): cb with the store's revision
 * of every change (each apply and each placement is one revision); 0 to
 * go on.  -ESTALE when from was compacted (*compacted: where history
 * starts now): re-read and watch from there.
 */
int kfaas_cluster_watch(struct kfaas_cluster *c, int64_t from, int idle_timeout_ms,
			int (*cb)(int64_t rev, void *arg), void *arg,
			int64_t *compacted);

/* ---- artifacts for nodes (cluster.c) ---- */
/* The artifact "sha256:HEX", verified, as file dir/HEX (kept: content-
 * addressed); path (KFAAS_PATH_LEN) gets it. */
int kfaas_cluster_fetch(struct kfaas_cluster *c, const char *artifact,
			const char *dir, char *path, size_t len);

/* ---- the last revision a node applied, pinned in its pin root ---- */
struct kfaas_cluster_mark {
	int64_t	revision;	/* of the desired state applied */
	__u64	generation;
};
int kfaas_cluster_mark_get(struct kfaas_state *st, struct kfaas_cluster_mark *m);
int kfaas_cluster_mark_set(struct kfaas_state *st, const struct kfaas_cluster_mark *m);

#endif
