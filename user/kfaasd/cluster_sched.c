// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler thread of the node agent: every kfaasd campaigns in the
 * etcd election PREFIX/scheduler with its node's lease; the one elected
 * places the VM-tier functions (kfaas_cluster_place()) every half second
 * from the configuration, the live nodes and the placements before, and
 * writes what changed in transactions that hold only while its election
 * key exists.  A node whose lease expires loses its nodes/ key, so its
 * placements move to the nodes left with room, or are marked unplaced
 * with the reason; a scheduler whose lease expires loses its key, so it
 * can write nothing more, and another node is elected.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cluster.h"

#define SCHED_PERIOD_MS		500
#define CAMPAIGN_MS		2000	/* then look at the lease and stop */

static int64_t lease_now(void)
{
	int64_t l;

	pthread_mutex_lock(&cl.lock);
	l = cl.stop ? -1 : cl.lease;
	pthread_mutex_unlock(&cl.lock);
	return l;
}

static void set_leader(bool on)
{
	pthread_mutex_lock(&cl.lock);
	cl.leader = on;
	pthread_mutex_unlock(&cl.lock);
}

static void log_moves(const struct kfaas_cluster_placement *old, size_t nold,
		      const struct kfaas_cluster_placement *new, size_t nnew)
{
	size_t i, j;

	for (i = 0; i < nnew; i++) {
		char nodes[256] = "";
		const struct kfaas_cluster_placement *was = NULL;

		for (j = 0; j < nold; j++)
			if (!strcmp(old[j].fn, new[i].fn))
				was = &old[j];
		for (j = 0; j < new[i].n; j++)
			snprintf(nodes + strlen(nodes), sizeof(nodes) - strlen(nodes),
				 "%s%s", j ? "," : "", new[i].nodes[j]);
		if (was && was->n == new[i].n && was->unplaced == new[i].unplaced &&
		    (!was->n || !strcmp(was->nodes[0], new[i].nodes[0])) &&
		    !strcmp(was->standby, new[i].standby))
			continue;
		if (new[i].unplaced)
			warn("scheduler: '%s' on [%s], %u unplaced: %s", new[i].fn,
			     nodes, new[i].unplaced, new[i].why);
		else
			info("scheduler: '%s' on [%s], standby %s", new[i].fn, nodes,
			     new[i].standby[0] ? new[i].standby : "none (no room)");
	}
}

/* One round: read, place, write what changed; -EPERM: not the leader. */
static int place_once(struct kfaas_cluster *c, const char *key)
{
	struct kfaas_cluster_placement *pl = NULL;
	struct kfaas_cluster_node *nodes = NULL;
	struct kfaas_cluster_desired d;
	size_t nn = 0, np = 0;
	int rc;

	rc = kfaas_cluster_read(c, 0, &d);
	if (rc)
		return rc;
	rc = kfaas_cluster_nodes(c, &nodes, &nn) ?:
	     kfaas_cluster_place(&d.conf, nodes, nn, d.pl, d.npl, &pl, &np);
	if (!rc) {
		rc = kfaas_cluster_placement_write(c, key, d.pl, d.npl, pl, np);
		if (!rc)
			log_moves(d.pl, d.npl, pl, np);
	}
	kfaas_cluster_placements_free(pl, np);
	free(nodes);
	kfaas_cluster_desired_free(&d);
	return rc;
}

/* Lead until the lease changes, leadership is lost, or the daemon stops. */
static void lead(struct kfaas_cluster *c, int64_t lease, const char *key)
{
	int rc;

	set_leader(true);
	info("scheduler: elected (%s)", key);
	while (lease_now() == lease) {
		rc = place_once(c, key);
		if (rc == -EPERM) {
			warn("scheduler: %s", kfaas_errmsg());
			break;
		}
		if (rc && rc != -EINTR)
			dbg("scheduler: %s", kfaas_errmsg());
		if (!cluster_wait(SCHED_PERIOD_MS))
			break;
	}
	set_leader(false);
}

void *cluster_sched_thread(void *arg)
{
	struct kfaas_cluster *c = NULL;
	char key[512];
	int64_t lease;
	int rc;

	(void)arg;
	while ((lease = lease_now()) >= 0) {
		if (!c && !(c = cluster_connect())) {
			cluster_wait(1000);
			continue;
		}
		if (!lease) {		/* the node thread registers first */
			cluster_wait(200);
			continue;
		}
		rc = kfaas_cluster_campaign(c, lease, cl.self.name, CAMPAIGN_MS,
					    key, sizeof(key));
		if (rc == -ETIMEDOUT || rc == -EINTR)
			continue;
		if (rc) {
			dbg("scheduler: campaign: %s", kfaas_errmsg());
			cluster_wait(1000);
			continue;
		}
		lead(c, lease, key);
	}
	if (c)
		cluster_disconnect(c);
	return NULL;
}
