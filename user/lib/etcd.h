/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An etcd v3 client over etcd's JSON gateway (POST /v3/..., keys and values
 * base64), with libcurl for HTTP and json-c for JSON: no maintained C
 * client for the v3 API exists.  Private to libkfaas: the cluster layer
 * built on it is the public API (docs/cluster.md).
 *
 * One struct etcd is one connection to a cluster, used by one thread at a
 * time (etcd_interrupt() excepted); give each thread its own.  Every call
 * has a timeout; on a connection error the request goes to the next
 * endpoint (requests that may have reached etcd are only retried when
 * repeating them is harmless).  Errors are negative errno values with a
 * message in kfaas_errmsg():
 *   -ECONNREFUSED, -ECONNRESET, -ETIMEDOUT   no endpoint answered in time
 *   -EKEYREJECTED  the TLS handshake failed (certificate refused or untrusted)
 *   -ESTALE        the revision asked for has been compacted: re-read
 *                  everything at the current revision, then watch from it
 *   -ENOENT        no such lease / no election leader / no such key (get)
 *   -EAGAIN        the cluster has no leader (no quorum): try again later
 *   -EMSGSIZE      etcd refused the request as too large (--max-request-bytes)
 *   -EINTR         etcd_interrupt() stopped the call
 *   -EPROTO        an answer that is not etcd's
 */
#ifndef KFAAS_ETCD_H
#define KFAAS_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;

struct etcd_opts {
	/* "https://10.0.0.1:2379,https://10.0.0.2:2379"; without a scheme,
	 * https when a CA or certificate is given, else http */
	const char	*endpoints;
	const char	*ca_file;	/* PEM CA of the servers; NULL: system's */
	const char	*cert_file;	/* PEM client certificate and its key */
	const char	*key_file;
	int		connect_timeout_ms;	/* 0: 1000 */
	int		timeout_ms;		/* a unary request; 0: 5000 */
};

int etcd_open(struct etcd **out, const struct etcd_opts *o);
void etcd_close(struct etcd *c);
/* The endpoint the client talks to now (the last that answered). */
const char *etcd_endpoint(const struct etcd *c);
/*
 * Stop the call running in another thread (or from a signal handler), or
 * the next one if none runs: it returns -EINTR.
 */
void etcd_interrupt(struct etcd *c);

/* ---- kv (etcd_kv.c) ---- */

/* A key-value pair: key and value decoded and NUL-terminated. */
struct etcd_kv {
	char		*key;
	size_t		key_len;
	char		*value;		/* NULL for keys_only ranges and deletes */
	size_t		value_len;
	int64_t		create_rev;
	int64_t		mod_rev;
	int64_t		version;
	int64_t		lease;
};

struct etcd_kvs {
	struct etcd_kv	*kv;
	size_t		n;
	int64_t		count;		/* keys in the range (> n with a limit) */
	bool		more;		/* limit cut the answer */
	int64_t		revision;	/* the store's revision of the answer */
};

struct etcd_range {
	const char	*key;
	bool		prefix;		/* every key starting with key */
	const char	*range_end;	/* or [key, range_end); NULL: key alone */
	int64_t		revision;	/* 0: the latest */
	int64_t		limit;		/* 0: no limit */
	bool		keys_only;
	bool		count_only;
};

int etcd_kv_range(struct etcd *c, const struct etcd_range *q, struct etcd_kvs *out);
/* One key: -ENOENT if absent.  Free with etcd_kv_free(). */
int etcd_kv_get(struct etcd *c, const char *key, struct etcd_kv *out);
/* lease 0: none; revision (may be NULL): the revision of the put. */
int etcd_kv_put(struct etcd *c, const char *key, const void *val, size_t len,
		int64_t lease, int64_t *revision);
/* deleted, revision: may be NULL. */
int etcd_kv_delete(struct etcd *c, const char *key, bool prefix,
		   int64_t *deleted, int64_t *revision);
/* Compact the history before revision (what `etcdctl compact` does). */
int etcd_kv_compact(struct etcd *c, int64_t revision);
void etcd_kv_free(struct etcd_kv *kv);
void etcd_kvs_free(struct etcd_kvs *kvs);

/* ---- transactions (etcd_kv.c) ---- */

enum etcd_cmp_target {
	ETCD_CMP_VERSION,	/* the key's version (0: absent) */
	ETCD_CMP_CREATE,	/* create revision (0: absent) */
	ETCD_CMP_MOD,		/* last modification revision */
	ETCD_CMP_VALUE,		/* the value's bytes */
};

enum etcd_cmp_result { ETCD_EQUAL, ETCD_NOT_EQUAL, ETCD_LESS, ETCD_GREATER };

struct etcd_cmp {
	const char	*key;
	int		target;		/* enum etcd_cmp_target */
	int		result;		/* enum etcd_cmp_result */
	int64_t		rev;		/* VERSION, CREATE, MOD */
	const void	*value;		/* VALUE */
	size_t		value_len;
};

enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_RANGE, ETCD_OP_DELETE };

struct etcd_op {
	int		type;		/* enum etcd_op_type */
	const char	*key;
	bool		prefix;		/* RANGE, DELETE */
	const void	*value;		/* PUT */
	size_t		value_len;
	int64_t		lease;		/* PUT */
};

struct etcd_txn {
	const struct etcd_cmp	*cmp;
	size_t			ncmp;
	const struct etcd_op	*success;
	size_t			nsuccess;
	const struct etcd_op	*failure;
	size_t			nfailure;
};

struct etcd_op_result {
	int		type;		/* enum etcd_op_type */
	struct etcd_kvs	kvs;		/* RANGE */
	int64_t		deleted;	/* DELETE */
};

struct etcd_txn_result {
	bool			succeeded;	/* the compares held: success ran */
	int64_t			revision;
	struct etcd_op_result	*res;		/* one per op of the branch run */
	size_t			n;
};

/*
 * One transaction: 0 whether the compares held or not (see succeeded);
 * never retried on another endpoint once sent (it may have been applied).
 */
int etcd_txn(struct etcd *c, const struct etcd_txn *t, struct etcd_txn_result *r);
void etcd_txn_result_free(struct etcd_txn_result *r);

/* ---- leases (etcd_lease.c) ---- */

/* A lease of ttl seconds (etcd may grant more); id 0 on input: etcd picks. */
int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t *id, int64_t *granted);
/* One renewal (one request): ttl the new TTL; -ENOENT once it expired. */
int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl);
/* -ENOENT if it already expired. */
int etcd_lease_revoke(struct etcd *c, int64_t id);
/* Seconds left; -ENOENT if expired or unknown.  granted may be NULL. */
int etcd_lease_ttl(struct etcd *c, int64_t id, int64_t *ttl, int64_t *granted);

/* ---- election (etcd_lease.c, etcd's v3election gateway) ---- */

/* Who leads: enough to resign. */
struct etcd_leader {
	char		*name;		/* the election */
	char		*key;		/* the leader's key: NAME/LEASE-IN-HEX */
	int64_t		rev;
	int64_t		lease;
};

/*
 * Block until this lease leads the election name (value: what observers
 * read), or timeout_ms (0: none; -ETIMEDOUT).  A campaign that gives up
 * withdraws its candidacy.  The leadership ends with resign or with the
 * lease.
 */
int etcd_election_campaign(struct etcd *c, const char *name, int64_t lease,
			   const void *value, size_t len, int timeout_ms,
			   struct etcd_leader *out);
/* The leader's key and value; -ENOENT when nobody leads. */
int etcd_election_leader(struct etcd *c, const char *name, struct etcd_kv *out);
int etcd_election_resign(struct etcd *c, const struct etcd_leader *l);
void etcd_leader_free(struct etcd_leader *l);
/*
 * Call cb with each leader in turn (the current one first), until cb
 * returns non-zero (returned), idle_timeout_ms without news (-ETIMEDOUT),
 * or an error.
 */
typedef int (*etcd_observe_cb)(const struct etcd_kv *leader, void *arg);
int etcd_election_observe(struct etcd *c, const char *name, int idle_timeout_ms,
			  etcd_observe_cb cb, void *arg);

/* ---- watch (etcd_watch.c) ---- */

enum etcd_event_type { ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_event {
	int		type;		/* enum etcd_event_type */
	struct etcd_kv	kv;		/* a delete: key and mod_rev only */
	struct etcd_kv	prev;		/* with prev_kv, if there was one */
	bool		has_prev;
};

/* One message of the watch: events of one or more revisions, or progress. */
struct etcd_watch_batch {
	const struct etcd_event	*ev;
	size_t			n;
	/* the store's revision: with progress, every event up to it was sent */
	int64_t			revision;
	bool			progress;
};

/* 0: go on; non-zero: stop, etcd_watch_run() returns it. */
typedef int (*etcd_watch_cb)(const struct etcd_watch_batch *b, void *arg);

struct etcd_watch {
	/* in */
	const char	*key;
	bool		prefix;
	bool		prev_kv;
	bool		progress_notify; /* ask for progress at etcd's interval */
	int64_t		start_revision;	/* 0: from now */
	int		idle_timeout_ms; /* silence until -ETIMEDOUT; 0: none */
	etcd_watch_cb	cb;
	void		*arg;
	/* out */
	int64_t		next_revision;	/* a new watch from here misses nothing */
	int64_t		compact_revision; /* with -ESTALE: history starts here */
	unsigned int	resumed;	/* times the stream was re-opened */
};

/*
 * Watch as one streamed response.  Events reach cb once each, in revision
 * order: when the stream breaks (a member dies) the watch re-opens on the
 * next endpoint from next_revision.  Returns what cb returned, or -ESTALE
 * when start_revision (or the resume point) was compacted (compact_revision
 * set: re-read, then watch again), -ECANCELED when etcd cancels the watch,
 * -EINTR, -ETIMEDOUT, or the connection error once no endpoint answers.
 */
int etcd_watch_run(struct etcd *c, struct etcd_watch *w);

#endif
