// SPDX-License-Identifier: GPL-2.0
/*
 * The node agent's threads that speak for the node (cluster.c has the
 * shared state):
 *
 * - the node thread: registers the node under a lease (nodes/NODE),
 *   renews it every third of its TTL, publishes the node's observed state
 *   (status/NODE, no lease: a dead node's last status stays) whenever it
 *   changes and its counters (stats/NODE, under the lease) every
 *   --stats-interval; revokes the lease on a clean stop.
 * - the watch thread: watches desired/ from the revision after the one
 *   the pin root says was applied last (none: everything is read first);
 *   for every revision it reads desired/ at that revision, computes the
 *   node's share, fetches its artifacts (verified), and has the main loop
 *   apply it; then fetches ahead the artifacts of the VM-tier functions it
 *   could be placed on.  A compacted revision means a full re-read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cluster.h"

static bool stopping(void)
{
	bool s;

	pthread_mutex_lock(&cl.lock);
	s = cl.stop;
	pthread_mutex_unlock(&cl.lock);
	return s;
}

static void rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the node thread ---- */

static int node_register(struct kfaas_cluster *c, int64_t *lease)
{
	json_object *rec = kfaas_cluster_node_json(&cl.self);
	int rc;

	rc = kfaas_cluster_lease_grant(c, opts.lease_ttl_s, lease) ?:
	     kfaas_cluster_put(c, "nodes", cl.self.name, rec, *lease);
	json_object_put(rec);
	if (rc)
		return rc;
	info("cluster: registered node '%s' under lease %llx", cl.self.name,
	     (unsigned long long)*lease);
	pthread_mutex_lock(&cl.lock);
	cl.lease = *lease;
	cl.status_gen++;
	pthread_cond_broadcast(&cl.cond);
	pthread_mutex_unlock(&cl.lock);
	return 0;
}

/* Where the last revision's time went (cl.lock held). */
static json_object *phases_json(void)
{
	json_object *o = json_object_new_object();

#define P(name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))
	P("read", cl.read_ms); P("share", cl.share_ms); P("fetch", cl.fetch_ms);
	P("queue", cl.queue_ms); P("plan", cl.plan_ms);
	P("apply", cl.apply_ms - cl.plan_ms);
#undef P
	return o;
}

static json_object *status_json(unsigned int *gen)
{
	json_object *o = json_object_new_object();
	char now[40];

	rfc3339(now, sizeof(now));
	pthread_mutex_lock(&cl.lock);
	*gen = cl.status_gen;
	json_object_object_add(o, "node", json_object_new_string(cl.self.name));
	json_object_object_add(o, "state", json_object_new_string(cl.state));
	json_object_object_add(o, "applied-rev", json_object_new_int64(cl.applied_rev));
	json_object_object_add(o, "generation",
			       json_object_new_int64((int64_t)cl.applied_gen));
	json_object_object_add(o, "applied-at-ns",
			       json_object_new_int64((int64_t)cl.applied_at_ns));
	json_object_object_add(o, "apply-ms", json_object_new_int64((int64_t)cl.apply_ms));
	json_object_object_add(o, "phases-ms", phases_json());
	json_object_object_add(o, "error", json_object_new_string(cl.error));
	json_object_object_add(o, "resumed", json_object_new_string(cl.resumed));
	json_object_object_add(o, "functions", cl.functions ?
			       json_tokener_parse(cl.functions) : json_object_new_object());
	json_object_object_add(o, "updated", json_object_new_string(now));
	pthread_mutex_unlock(&cl.lock);
	return o;
}

/* Every function's counters, with the time they were read at. */
static json_object *stats_json(struct kfaas_state *st)
{
	json_object *o = json_object_new_object(), *fo = json_object_new_object();
	struct kfaas_fn_info *f;
	struct kfaas_stats *s;
	struct timespec t;
	size_t n, i;
	__u32 *ids;

	clock_gettime(CLOCK_REALTIME, &t);
	json_object_object_add(o, "at-ns", json_object_new_int64(
		(int64_t)t.tv_sec * 1000000000LL + t.tv_nsec));
	json_object_object_add(o, "functions", fo);
	if (kfaas_fn_list(st, &f, &n))
		return o;
	ids = calloc(n + 1, sizeof(*ids));
	s = calloc(n + 1, sizeof(*s));
	for (i = 0; ids && i < n; i++)
		ids[i] = f[i].id;
	if (ids && s && kfaas_stats_read_list(st, ids, n, s) == 0)
		for (i = 0; i < n; i++) {
			json_object *j = json_object_new_object();

#define C(x) json_object_object_add(j, #x, json_object_new_int64((int64_t)s[i].x))
			json_object_object_add(j, "tier", json_object_new_string(
				kfaas_tier_name(f[i].tier)));
			C(invocations); C(throttled); C(passed); C(drops);
			C(errors); C(bytes_in); C(bytes_out); C(cpu_ns);
#undef C
			json_object_object_add(fo, f[i].name, j);
		}
	free(ids);
	free(s);
	free(f);
	return o;
}

/* One round: lease, status when it changed, counters when due. */
static int node_round(struct kfaas_cluster *c, struct kfaas_state *st,
		      int64_t *lease, uint64_t *next_keep, uint64_t *next_stats,
		      unsigned int *published)
{
	uint64_t now = kfaas_now_ms();
	unsigned int gen;
	json_object *o;
	int rc = 0;

	if (!*lease) {
		rc = node_register(c, lease);
		*next_keep = now + opts.lease_ttl_s * 1000 / 3;
	} else if (now >= *next_keep) {
		rc = kfaas_cluster_lease_keepalive(c, *lease);
		if (rc == -ENOENT) {
			warn("cluster: lease %llx expired: registering again",
			     (unsigned long long)*lease);
			*lease = 0;
			pthread_mutex_lock(&cl.lock);
			cl.lease = 0;
			pthread_mutex_unlock(&cl.lock);
			return 0;
		}
		*next_keep = now + opts.lease_ttl_s * 1000 / 3;
	}
	pthread_mutex_lock(&cl.lock);
	gen = cl.status_gen;
	pthread_mutex_unlock(&cl.lock);
	if (!rc && gen != *published) {
		o = status_json(&gen);
		rc = kfaas_cluster_put(c, "status", cl.self.name, o, 0);
		json_object_put(o);
		if (!rc)
			*published = gen;
	}
	if (!rc && now >= *next_stats) {
		o = stats_json(st);
		rc = kfaas_cluster_put(c, "stats", cl.self.name, o, *lease);
		json_object_put(o);
		*next_stats = now + opts.stats_ms;
	}
	return rc;
}

void *cluster_node_thread(void *arg)
{
	uint64_t next_keep = 0, next_stats = 0, now, next;
	unsigned int published = ~0U;
	struct kfaas_cluster *c = NULL;
	struct kfaas_state st;
	int64_t lease = 0;
	int rc;

	(void)arg;
	if (kfaas_state_open(&st, opts.pin_root, 0)) {
		err("cluster: %s", kfaas_errmsg());
		return NULL;
	}
	while (!stopping()) {
		if (!c && !(c = cluster_connect())) {
			cluster_wait(1000);
			continue;
		}
		rc = node_round(c, &st, &lease, &next_keep, &next_stats, &published);
		cluster_etcd_result(rc);
		now = kfaas_now_ms();
		next = next_keep < next_stats ? next_keep : next_stats;
		pthread_mutex_lock(&cl.lock);
		if (cl.status_gen != published && !rc)
			next = now;
		pthread_mutex_unlock(&cl.lock);
		cluster_wait(rc ? 1000 : next > now ? (unsigned int)(next - now) : 0);
	}
	if (c && lease && kfaas_cluster_lease_revoke(c, lease) == 0)
		info("cluster: node '%s' left (lease revoked)", cl.self.name);
	if (c)
		cluster_disconnect(c);
	kfaas_state_close(&st);
	return NULL;
}

/* ---- the watch thread ---- */

struct watcher {
	struct kfaas_cluster	*c;	/* reads (the watch has its own) */
	struct kfaas_state	st;	/* unlocked: the functions running */
	int64_t			from;	/* the last revision handled */
	char			dir[KFAAS_PATH_MAX];	/* the artifact cache */
};

/*
 * A function whose artifact cannot be had keeps what runs (true), or
 * goes, with its routes (false).
 */
static bool refuse(struct watcher *w, struct kfaas_conf *share, size_t i,
		   json_object *refused)
{
	struct kfaas_conf_fn *f = &share->fns[i];
	json_object *o = json_object_new_object();
	struct kfaas_fn_info cur;
	size_t j = 0;

	json_object_object_add(o, "state", json_object_new_string("failed"));
	json_object_object_add(o, "artifact", json_object_new_string(f->artifact));
	json_object_object_add(o, "error", json_object_new_string(kfaas_errmsg()));
	json_object_object_add(refused, f->name, o);
	warn("cluster: function '%s' refused: %s", f->name, kfaas_errmsg());
	if (kfaas_fn_find(&w->st, f->name, &cur) == 0 &&
	    (cur.tier == KFAAS_TIER_VM) == (f->tier == KFAAS_TIER_VM)) {
		snprintf(f->source, sizeof(f->source), "%s", cur.source);
		f->vm = cur.vm;		/* what runs stays as it is */
		return true;
	}
	while (j < share->nroutes) {
		struct kfaas_conf_route *r = &share->routes[j];

		if (!strcmp(r->fallback, f->name))
			r->fallback[0] = '\0';
		if (strcmp(r->fn, f->name))
			j++;
		else
			*r = share->routes[--share->nroutes];
	}
	share->fns[i] = share->fns[--share->nfns];
	return false;
}

/* The share's files from the artifact store, verified, as local paths. */
static json_object *fetch_all(struct watcher *w, struct kfaas_conf *share)
{
	json_object *refused = json_object_new_object();
	size_t i = 0;

	while (i < share->nfns) {
		struct kfaas_conf_fn *f = &share->fns[i];

		if (kfaas_cluster_fetch(w->c, f->artifact, w->dir, f->source,
					sizeof(f->source)) == 0 ||
		    refuse(w, share, i, refused))
			i++;
	}
	return refused;
}

/*
 * The VM-tier functions this node's labels match but that are placed
 * elsewhere: their artifacts are fetched ahead into the cache (verified,
 * under their hash), so that when a failover places one here the node
 * starts its VM without first reading it from etcd.  After the apply:
 * the node's own share never waits for this.
 */
static void prefetch(struct watcher *w, const struct kfaas_cluster_desired *d)
{
	char path[KFAAS_PATH_MAX];
	size_t i;

	for (i = 0; i < d->conf.nfns && !stopping(); i++) {
		const struct kfaas_conf_fn *f = &d->conf.fns[i];

		if (f->tier != KFAAS_TIER_VM || !f->artifact[0] ||
		    !kfaas_labels_match(f->sel, &cl.self.labels))
			continue;
		if (kfaas_cluster_fetch(w->c, f->artifact, w->dir, path, sizeof(path)))
			dbg("cluster: prefetching '%s' for a failover: %s", f->name,
			    kfaas_errmsg());
	}
}

/* Hand the share to the main loop and wait for its result. */
static int apply(struct kfaas_conf *share, int64_t rev, __u64 gen,
		 json_object *refused)
{
	uint64_t one = 1;
	int rc = -EINTR;

	pthread_mutex_lock(&cl.lock);
	kfaas_conf_free(&cl.pending);
	cl.pending = *share;
	cl.has_pending = true;
	cl.pending_rev = rev;
	cl.pending_gen = gen;
	cl.handed_ms = kfaas_now_ms();
	cl.done = false;
	json_object_put(cl.refused);
	cl.refused = refused;
	snprintf(cl.state, sizeof(cl.state), "converging");
	pthread_mutex_unlock(&cl.lock);
	*share = (struct kfaas_conf){ 0 };
	if (write(cl.efd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	pthread_mutex_lock(&cl.lock);
	while (!cl.done && !cl.stop)
		pthread_cond_wait(&cl.cond, &cl.lock);
	if (cl.done)
		rc = cl.done_rc;
	pthread_mutex_unlock(&cl.lock);
	return rc;
}

/* Converge on desired/ at revision rev (0: the latest). */
static int converge(struct watcher *w, int64_t rev)
{
	uint64_t t[4] = { kfaas_now_ms() };
	struct kfaas_cluster_desired d;
	struct kfaas_conf share;
	json_object *refused;
	int rc;

	rc = kfaas_cluster_read(w->c, rev, &d);
	cluster_etcd_result(rc);
	if (rc)
		return rc;
	t[1] = kfaas_now_ms();
	rc = kfaas_cluster_share(&d, &cl.self, &share);
	t[2] = kfaas_now_ms();
	if (!rc) {
		refused = fetch_all(w, &share);
		t[3] = kfaas_now_ms();
		pthread_mutex_lock(&cl.lock);
		cl.read_ms = t[1] - t[0];
		cl.share_ms = t[2] - t[1];
		cl.fetch_ms = t[3] - t[2];
		pthread_mutex_unlock(&cl.lock);
		rc = apply(&share, d.revision, d.meta.generation, refused);
		kfaas_conf_free(&share);
		if (rc != -EINTR)
			prefetch(w, &d);
		if (rc != -EINTR)
			w->from = d.revision;	/* a failed apply waits for the next */
	}
	kfaas_cluster_desired_free(&d);
	return rc == -EINTR ? rc : 0;
}

static int on_revision(int64_t rev, void *arg)
{
	return stopping() ? -EINTR : converge(arg, rev);
}

/* Where to start: the revision the pin root says the node applied. */
static void resume_point(struct watcher *w)
{
	struct kfaas_cluster_mark m;

	if (kfaas_cluster_mark_get(&w->st, &m) || !m.revision) {
		snprintf(cl.resumed, sizeof(cl.resumed), "none applied: full read");
		return;
	}
	w->from = m.revision;
	pthread_mutex_lock(&cl.lock);
	cl.applied_rev = m.revision;
	cl.applied_gen = m.generation;
	snprintf(cl.state, sizeof(cl.state), "converged");
	snprintf(cl.resumed, sizeof(cl.resumed), "from revision %lld",
		 (long long)m.revision);
	cl.status_gen++;
	pthread_mutex_unlock(&cl.lock);
	info("cluster: resuming from revision %lld (generation %llu), kept in "
	     "the pin root", (long long)m.revision, (unsigned long long)m.generation);
}

static void watch_loop(struct watcher *w, struct kfaas_cluster *wc)
{
	int64_t compacted;
	int rc;

	while (!stopping()) {
		if (!w->from) {		/* nothing applied, or compacted */
			rc = converge(w, 0);
			if (rc) {
				cluster_wait(1000);
				continue;
			}
		}
		rc = kfaas_cluster_watch(wc, w->from + 1, 0, on_revision, w, &compacted);
		if (rc == -ESTALE) {
			warn("cluster: revision %lld was compacted (history starts "
			     "at %lld): reading everything again",
			     (long long)w->from + 1, (long long)compacted);
			snprintf(cl.resumed, sizeof(cl.resumed), "compacted at %lld: "
				 "full read", (long long)compacted);
			w->from = 0;
			continue;
		}
		if (stopping())
			break;
		cluster_etcd_result(rc);
		cluster_wait(1000);
	}
}

void *cluster_watch_thread(void *arg)
{
	struct watcher w = { .from = 0 };
	struct kfaas_cluster *wc = NULL;

	(void)arg;
	if (opts.artifact_dir)
		snprintf(w.dir, sizeof(w.dir), "%s", opts.artifact_dir);
	else
		snprintf(w.dir, sizeof(w.dir), "%s/artifacts", opts.cache_dir);
	if (kfaas_state_open(&w.st, opts.pin_root, 0)) {
		err("cluster: %s", kfaas_errmsg());
		return NULL;
	}
	resume_point(&w);
	while (!stopping() && (!w.c || !wc)) {
		if (!w.c)
			w.c = cluster_connect();
		if (!wc)
			wc = cluster_connect();
		if (!w.c || !wc)
			cluster_wait(1000);
	}
	if (w.c && wc)
		watch_loop(&w, wc);
	if (w.c)
		cluster_disconnect(w.c);
	if (wc)
		cluster_disconnect(wc);
	kfaas_state_close(&w.st);
	return NULL;
}
