// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd --cluster: the node agent (docs/cluster.md).  Three threads do
 * the talking to etcd, each with connections of its own: registration,
 * lease, status and counters (cluster_node.c), the watch of the desired
 * state (cluster_node.c), the scheduler (cluster_sched.c).  The main
 * loop stays the only one to touch the pin root and the VM pools: the
 * watch thread hands it the node's share of the desired state through
 * an eventfd, the main loop applies it with the all-or-nothing apply
 * (conf_apply_ops: VM functions adopted at once) and hands back the
 * result.  The data plane never waits for etcd: when etcd is gone the
 * threads retry, and the node serves what it last applied.
 *
 * QEMU is forked by the main thread only; the child runs only what is
 * safe after fork() in a threaded process (qemu.c), and its parent-death
 * signal follows the main thread, which lives as long as the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "cluster.h"

struct cluster cl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.efd = -1,
};
static pthread_t threads[3];
static int nthreads;
static struct kfaas_cluster *conns[8];	/* to interrupt at stop */
static struct watch efd_w = { .fd = -1 };
static uint64_t retry_at, next_snapshot;

struct kfaas_cluster *cluster_connect(void)
{
	struct kfaas_cluster_opts o = {
		.endpoints = opts.cluster, .ca_file = opts.etcd_ca,
		.cert_file = opts.etcd_cert, .key_file = opts.etcd_key,
		.prefix = opts.cluster_prefix,
	};
	struct kfaas_cluster *c;
	size_t i;
	int rc = kfaas_cluster_open(&c, &o);

	if (rc) {
		cluster_etcd_result(rc);
		return NULL;
	}
	pthread_mutex_lock(&cl.lock);
	for (i = 0; i < sizeof(conns) / sizeof(conns[0]) && conns[i]; i++)
		;
	if (i < sizeof(conns) / sizeof(conns[0]))
		conns[i] = c;
	if (cl.stop)
		kfaas_cluster_interrupt(c);
	pthread_mutex_unlock(&cl.lock);
	return c;
}

void cluster_etcd_result(int rc)
{
	pthread_mutex_lock(&cl.lock);
	if (!rc) {
		if (!cl.etcd_up)
			info("cluster: etcd answers (%s)", opts.cluster);
		cl.etcd_up = true;
		cl.etcd_down_since_ms = 0;
		cl.etcd_error[0] = '\0';
	} else if (rc != -EINTR) {
		if (cl.etcd_up || !cl.etcd_down_since_ms) {
			cl.etcd_down_since_ms = kfaas_now_ms();
			warn("cluster: etcd unreachable, serving what was last "
			     "applied: %s", kfaas_errmsg());
		}
		cl.etcd_up = false;
		snprintf(cl.etcd_error, sizeof(cl.etcd_error), "%s", kfaas_errmsg());
	}
	pthread_mutex_unlock(&cl.lock);
}

bool cluster_wait(unsigned int ms)
{
	struct timespec t;
	bool go;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&cl.lock);
	if (!cl.stop)
		pthread_cond_timedwait(&cl.cond, &cl.lock, &t);
	go = !cl.stop;
	pthread_mutex_unlock(&cl.lock);
	return go;
}

/* ---- the main loop's side: applying the share ---- */

static uint64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int apply_share(struct kfaas_conf *share, int64_t rev, __u64 gen,
		       uint64_t *plan_ms)
{
	uint64_t t0 = kfaas_now_ms();
	struct kfaas_cluster_mark m = { .revision = rev, .generation = gen };
	struct kfaas_state st;
	struct kfaas_plan plan;
	size_t i;
	int rc;

	rc = kfaas_state_open(&st, opts.pin_root, KFAAS_OPEN_TRYLOCK);
	if (rc)
		return rc;
	rc = kfaas_plan_make(&st, share, &conf_apply_ops, &plan);
	*plan_ms = kfaas_now_ms() - t0;
	if (!rc) {
		rc = kfaas_plan_apply(&st, share, &plan, &conf_apply_ops);
		for (i = 0; !rc && i < plan.n; i++)
			info("cluster: revision %lld: %s", (long long)rev,
			     plan.acts[i].text);
		kfaas_plan_free(&plan);
	}
	if (!rc)
		rc = kfaas_cluster_mark_set(&st, &m);
	kfaas_state_close(&st);
	return rc;
}

static void snapshot(void);

static void do_apply(void)
{
	struct kfaas_conf share;
	uint64_t t0 = kfaas_now_ms(), plan_ms = 0;
	int64_t rev;
	__u64 gen;
	int rc;

	pthread_mutex_lock(&cl.lock);
	if (!cl.has_pending) {
		pthread_mutex_unlock(&cl.lock);
		return;
	}
	cl.queue_ms = t0 - cl.handed_ms;
	share = cl.pending;		/* taken: the thread's copy is gone */
	cl.pending = (struct kfaas_conf){ 0 };
	rev = cl.pending_rev;
	gen = cl.pending_gen;
	cl.has_pending = false;
	pthread_mutex_unlock(&cl.lock);
	rc = apply_share(&share, rev, gen, &plan_ms);
	if (rc == -EAGAIN) {		/* another kfaas command: soon again */
		pthread_mutex_lock(&cl.lock);
		if (!cl.has_pending) {
			cl.pending = share;
			cl.has_pending = true;
			share = (struct kfaas_conf){ 0 };
		}
		pthread_mutex_unlock(&cl.lock);
		kfaas_conf_free(&share);
		retry_at = kfaas_now_ms() + 200;
		return;
	}
	if (rc)
		err("cluster: revision %lld not applied: %s", (long long)rev,
		    kfaas_errmsg());
	pthread_mutex_lock(&cl.lock);
	cl.done = true;
	cl.done_rc = rc;
	cl.apply_ms = kfaas_now_ms() - t0;
	cl.plan_ms = plan_ms;
	if (!rc) {
		cl.applied_rev = rev;
		cl.applied_gen = gen;
		cl.applied_at_ns = realtime_ns();
		cl.error[0] = '\0';
	} else {
		snprintf(cl.error, sizeof(cl.error), "revision %lld: %s",
			 (long long)rev, kfaas_errmsg());
	}
	snprintf(cl.state, sizeof(cl.state), "%s", rc ? "failed" : "converged");
	cl.status_gen++;
	pthread_cond_broadcast(&cl.cond);
	pthread_mutex_unlock(&cl.lock);
	kfaas_conf_free(&share);
	snapshot();
}

static void on_work(struct watch *w, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		warn("cluster: eventfd: %s", strerror(errno));
	do_apply();
}

/*
 * A VM-tier function's pool as the cluster sees it: its template (a
 * standby's whole holding, counted in the node's capacity as the guest's
 * RAM; here measured) and how its VMs started: cloned from the template
 * or booted cold.
 */
static void vm_state(json_object *o, struct pool *p)
{
	double vm_mib, idle_mib, tpl_mib;

	memcap_pool_mib(p, &vm_mib, &idle_mib, &tpl_mib);
	json_object_object_add(o, "template", json_object_new_string(
		pool_template_state(p)));
	json_object_object_add(o, "template-mib", json_object_new_int64(
		(int64_t)(tpl_mib + 0.5)));
	json_object_object_add(o, "vms", json_object_new_int64(pool_count(p, VM_LIVE)));
	json_object_object_add(o, "cloned", json_object_new_int64((int64_t)p->n_clone));
	json_object_object_add(o, "booted", json_object_new_int64((int64_t)p->n_cold));
}

/* One function's state as the node runs it. */
static json_object *fn_state(const struct kfaas_fn_info *info)
{
	json_object *o = json_object_new_object();
	const char *state = "loaded", *why = NULL;
	struct fn *f;

	json_object_object_add(o, "tier", json_object_new_string(
		kfaas_tier_name(info->tier)));
	if (info->tier == KFAAS_TIER_VM) {
		f = fn_by_id(info->id);
		state = !f ? "starting" : f->pool.broken[0] ? "failed" :
			!pool_ready(&f->pool) ? "starting" :
			pool_standby(&f->pool) ? "standby" : "ready";
		why = f && f->pool.broken[0] ? f->pool.broken : NULL;
		if (f)
			vm_state(o, &f->pool);
	} else {
		json_object_object_add(o, "prog-id", json_object_new_int64(info->prog_id));
	}
	json_object_object_add(o, "state", json_object_new_string(state));
	if (why)
		json_object_object_add(o, "error", json_object_new_string(why));
	return o;
}

/* Every function's state, and those refused before the apply. */
static void snapshot(void)
{
	json_object *o = json_object_new_object();
	struct kfaas_fn_info *arr;
	const char *s;
	size_t n, i;

	if (kfaas_fn_list(&pinroot, &arr, &n) == 0) {
		for (i = 0; i < n; i++)
			json_object_object_add(o, arr[i].name, fn_state(&arr[i]));
		free(arr);
	}
	pthread_mutex_lock(&cl.lock);
	if (cl.refused) {
		json_object_object_foreach(cl.refused, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!cl.functions || strcmp(cl.functions, s)) {
		free(cl.functions);
		cl.functions = strdup(s);
		cl.status_gen++;
		pthread_cond_broadcast(&cl.cond);
	}
	pthread_mutex_unlock(&cl.lock);
	json_object_put(o);
}

uint64_t cluster_next_deadline(void)
{
	uint64_t d = next_snapshot;

	if (!opts.cluster)
		return UINT64_MAX;
	if (retry_at && retry_at < d)
		d = retry_at;
	return d;
}

void cluster_tick(uint64_t now)
{
	if (!opts.cluster)
		return;
	if (retry_at && now >= retry_at) {
		retry_at = 0;
		do_apply();
	}
	if (now >= next_snapshot) {
		snapshot();
		next_snapshot = now + 1000;
	}
}

/* ---- start, stop, status ---- */

static __u64 mem_total_mib(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

static void self_fill(struct kfaas_cluster_node *n)
{
	time_t t = time(NULL);
	struct tm tm;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", opts.node);
	snprintf(n->addr, sizeof(n->addr), "%s", opts.node_addr ? opts.node_addr : "");
	n->mem_mib = opts.node_mem_mib ? opts.node_mem_mib : mem_total_mib();
	n->cpus = opts.node_cpus ? opts.node_cpus : cpus > 0 ? (__u32)cpus : 1;
	n->kmod = kfaas_module_present();
	snprintf(n->vm, sizeof(n->vm), "%s", opts.accel_used == ACCEL_KVM ? "kvm" : "tcg");
	n->labels = opts.labels;
	gmtime_r(&t, &tm);
	strftime(n->started, sizeof(n->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cluster_start(void)
{
	void *(*fns[])(void *) = { cluster_node_thread, cluster_watch_thread,
				   cluster_sched_thread };
	size_t i;
	int rc;

	if (!opts.cluster)
		return 0;
	self_fill(&cl.self);
	snprintf(cl.state, sizeof(cl.state), "converging");
	cl.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cl.efd < 0 || loop_add(&efd_w, cl.efd, EPOLLIN, on_work))
		return kfaas_err(-errno, "cluster: eventfd: %s", strerror(errno));
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		rc = pthread_create(&threads[nthreads], NULL, fns[i], NULL);
		if (rc)
			return kfaas_err(-rc, "cluster: cannot start a thread: %s",
					 strerror(rc));
		nthreads++;
	}
	info("cluster: node '%s' of %s (prefix %s), lease %u s, %llu MiB and "
	     "%u CPU(s) for VMs", cl.self.name, opts.cluster,
	     opts.cluster_prefix ? opts.cluster_prefix : KFAAS_CLUSTER_PREFIX_DEFAULT,
	     opts.lease_ttl_s, (unsigned long long)cl.self.mem_mib, cl.self.cpus);
	return 0;
}

void cluster_stop(void)
{
	size_t i;

	if (!opts.cluster)
		return;
	pthread_mutex_lock(&cl.lock);
	cl.stop = true;
	for (i = 0; i < sizeof(conns) / sizeof(conns[0]); i++)
		if (conns[i])
			kfaas_cluster_interrupt(conns[i]);
	pthread_cond_broadcast(&cl.cond);
	pthread_mutex_unlock(&cl.lock);
	while (nthreads > 0)
		pthread_join(threads[--nthreads], NULL);
	loop_close(&efd_w);
	cl.efd = -1;
	kfaas_conf_free(&cl.pending);
	json_object_put(cl.refused);
	free(cl.functions);
}

/* A thread closes a connection it got from cluster_connect(). */
void cluster_disconnect(struct kfaas_cluster *c)
{
	size_t i;

	pthread_mutex_lock(&cl.lock);
	for (i = 0; i < sizeof(conns) / sizeof(conns[0]); i++)
		if (conns[i] == c)
			conns[i] = NULL;
	pthread_mutex_unlock(&cl.lock);
	kfaas_cluster_close(c);
}

json_object *cluster_status(void)
{
	json_object *o;

	if (!opts.cluster)
		return NULL;
	o = json_object_new_object();
	pthread_mutex_lock(&cl.lock);
	json_object_object_add(o, "node", json_object_new_string(cl.self.name));
	json_object_object_add(o, "endpoints", json_object_new_string(opts.cluster));
	json_object_object_add(o, "etcd", json_object_new_string(
		cl.etcd_up ? "up" : "unreachable"));
	if (!cl.etcd_up)
		json_object_object_add(o, "etcd_error",
				       json_object_new_string(cl.etcd_error));
	if (cl.etcd_down_since_ms)
		json_object_object_add(o, "etcd_down_ms", json_object_new_int64(
			(int64_t)(kfaas_now_ms() - cl.etcd_down_since_ms)));
	json_object_object_add(o, "lease", json_object_new_int64(cl.lease));
	json_object_object_add(o, "scheduler", json_object_new_boolean(cl.leader));
	json_object_object_add(o, "state", json_object_new_string(cl.state));
	json_object_object_add(o, "applied_revision", json_object_new_int64(cl.applied_rev));
	json_object_object_add(o, "generation",
			       json_object_new_int64((int64_t)cl.applied_gen));
	json_object_object_add(o, "error", json_object_new_string(cl.error));
	json_object_object_add(o, "resumed", json_object_new_string(cl.resumed));
	json_object_object_add(o, "functions", cl.functions ?
			       json_tokener_parse(cl.functions) : NULL);
	pthread_mutex_unlock(&cl.lock);
	return o;
}

void cluster_metrics(FILE *f)
{
	if (!opts.cluster)
		return;
	pthread_mutex_lock(&cl.lock);
	fprintf(f, "# HELP kfaas_cluster_etcd_up etcd answers this node (0: it "
		"serves what it last applied).\n# TYPE kfaas_cluster_etcd_up gauge\n"
		"kfaas_cluster_etcd_up{node=\"%s\"} %d\n", cl.self.name, cl.etcd_up);
	fprintf(f, "# HELP kfaas_cluster_applied_revision The desired state's "
		"revision this node applied.\n# TYPE kfaas_cluster_applied_revision "
		"gauge\nkfaas_cluster_applied_revision{node=\"%s\"} %lld\n",
		cl.self.name, (long long)cl.applied_rev);
	fprintf(f, "# HELP kfaas_cluster_converged The last apply succeeded.\n"
		"# TYPE kfaas_cluster_converged gauge\n"
		"kfaas_cluster_converged{node=\"%s\"} %d\n", cl.self.name,
		!strcmp(cl.state, "converged"));
	pthread_mutex_unlock(&cl.lock);
}
