/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node agent's shared state (kfaasd --cluster): what its threads
 * (cluster_node.c, cluster_sched.c) and the main loop (cluster.c) tell
 * each other, under one mutex.  The threads do all the etcd I/O; the main
 * loop alone changes the pin root and the VM pools: it applies the
 * node's share the watch thread hands it and hands back the result.
 */
#ifndef KFAASD_CLUSTER_H
#define KFAASD_CLUSTER_H

#include <pthread.h>
#include <kfaas_cluster.h>
#include "kfaasd.h"

struct cluster {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;		/* any change below */
	bool		stop;
	struct kfaas_cluster_node self;
	/* the watch thread -> the main loop: a share to apply */
	struct kfaas_conf pending;
	bool		has_pending;
	int64_t		pending_rev;
	__u64		pending_gen;
	int		efd;		/* eventfd: the main loop has work */
	/* the main loop -> the watch thread: the result */
	bool		done;
	int		done_rc;
	/* what the node runs (status/NODE) */
	int64_t		applied_rev;
	__u64		applied_gen;
	uint64_t	applied_at_ns;	/* CLOCK_REALTIME */
	uint64_t	apply_ms;	/* how long the last apply took */
	/* where the last revision's time went (status/NODE "phases-ms"):
	 * the watch thread's read of desired/, the node's share computed,
	 * its artifacts fetched; the main loop's wait for it, its plan, its
	 * apply (apply_ms: the plan and the apply) */
	uint64_t	read_ms, share_ms, fetch_ms, queue_ms, plan_ms;
	uint64_t	handed_ms;	/* kfaas_now_ms() when handed over */
	char		state[24];	/* converged, converging, failed */
	char		error[1024];
	json_object	*refused;	/* functions refused before the apply */
	char		*functions;	/* JSON: per-function state, refreshed */
	unsigned int	status_gen;	/* bumped on every change to publish */
	/* etcd, as the threads see it */
	bool		etcd_up;
	uint64_t	etcd_down_since_ms;	/* 0: up */
	char		etcd_error[600];
	int64_t		lease;
	bool		leader;
	char		resumed[80];	/* how the watch started */
};
extern struct cluster cl;

/* the threads (cluster_node.c, cluster_sched.c) */
void *cluster_node_thread(void *arg);
void *cluster_watch_thread(void *arg);
void *cluster_sched_thread(void *arg);
/* A connection of the thread's own, or NULL (error recorded). */
struct kfaas_cluster *cluster_connect(void);
void cluster_disconnect(struct kfaas_cluster *c);
/* Record etcd as reachable or not (rc and kfaas_errmsg()). */
void cluster_etcd_result(int rc);
/* Sleep up to ms unless stopping; false when stopping. */
bool cluster_wait(unsigned int ms);

#endif
