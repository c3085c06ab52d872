// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client (user/lib/etcd.h), the artifact store (artifact.h) and
 * the scheduler's write guard (kfaas_cluster.h) against a real etcd
 * cluster, one scenario per run:
 *
 *   test_etcd CASE [ARGS]
 *
 * tests/cluster/test_etcd.sh owns the cluster (tests/cluster/etcd_lib.sh),
 * stops and restarts members between scenarios and runs this program for
 * each; the results of a scenario are a nested KTAP document.  The
 * cluster comes from the environment: KFAAS_ETCD_ENDPOINTS, KFAAS_ETCD_CA,
 * KFAAS_ETCD_CERT, KFAAS_ETCD_KEY (and _ROGUE_CERT, _ROGUE_KEY: another
 * CA's), KFAAS_ETCD_PIDS (member pids in endpoint order),
 * KFAAS_ETCD_PREFIX (of every key).  Not ETCD_*: etcd reads those.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kfaas_cluster.h"
#include "etcd.h"
#include "artifact.h"

static char prefix[256];

static long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void msleep(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* A client of the cluster in the environment, with these endpoints. */
static struct etcd *client_eps(const char *eps, int timeout_ms)
{
	struct etcd_opts o = {
		.endpoints = eps, .ca_file = env("KFAAS_ETCD_CA"),
		.cert_file = env("KFAAS_ETCD_CERT"),
		.key_file = env("KFAAS_ETCD_KEY"),
		.timeout_ms = timeout_ms,
	};
	struct etcd *c;
	int err = etcd_open(&c, &o);

	if (err) {
		ktap_print_msg("etcd_open(%s): %d %s", eps, err, kfaas_errmsg());
		exit(KSFT_FAIL);
	}
	return c;
}

static struct etcd *client(void)
{
	return client_eps(env("KFAAS_ETCD_ENDPOINTS"), 0);
}

/* One check on a call's result: ok when err == want; says why if not. */
static bool expect(int err, int want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool expect(int err, int want, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	ktap_test_result(err == want, "%s", desc);
	if (err != want)
		ktap_print_msg("  got %d (%s), want %d: %s", err,
			       err ? strerror(-err) : "ok", want,
			       err ? kfaas_errmsg() : "");
	return err == want;
}

/* prefix + name, in a ring of buffers that outlives any one scenario */
static char *key(const char *name)
{
	static char k[256][512];
	static int i;

	i = (i + 1) % 256;
	snprintf(k[i], sizeof(k[i]), "%s%s", prefix, name);
	return k[i];
}

static bool val_is(const struct etcd_kv *kv, const char *v)
{
	return kv->value && kv->value_len == strlen(v) && !memcmp(kv->value, v,
								     kv->value_len);
}

/* ---- kv ---- */

/* One sequence (each check works on what the one before left): long. */
static void case_kv(struct etcd *c)
{
	struct etcd_range q = { .key = key("k/"), .prefix = true };
	static char big[2 << 20];
	const char bin[] = "a\0b\xff";
	int64_t r1 = 0, r2 = 0, r4 = 0, n = 0;
	struct etcd_kvs kvs;
	struct etcd_kv kv;

	expect(etcd_kv_put(c, key("k/a"), "1", 1, 0, &r1), 0, "put k/a");
	expect(etcd_kv_put(c, key("k/b"), "2", 1, 0, &r2), 0, "put k/b");
	expect(etcd_kv_put(c, key("k/c"), "3", 1, 0, NULL), 0, "put k/c");
	ktap_test_result(r1 > 0 && r2 == r1 + 1, "each put is a new revision "
			 "(%" PRId64 ", %" PRId64 ")", r1, r2);
	if (expect(etcd_kv_get(c, key("k/b"), &kv), 0, "get k/b")) {
		ktap_test_result(val_is(&kv, "2") && kv.mod_rev == r2 &&
				 kv.version == 1,
				 "get k/b: value, revision, version");
		etcd_kv_free(&kv);
	}
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range over the prefix")) {
		ktap_test_result(kvs.n == 3 && kvs.count == 3 &&
				 !strcmp(kvs.kv[0].key, key("k/a")) &&
				 !strcmp(kvs.kv[2].key, key("k/c")) && !kvs.more,
				 "the range has the 3 keys in order");
		etcd_kvs_free(&kvs);
	}
	q.limit = 2;
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range with limit 2")) {
		ktap_test_result(kvs.n == 2 && kvs.more && kvs.count == 3,
				 "limit: 2 keys, more, count 3");
		etcd_kvs_free(&kvs);
	}
	q.limit = 0;
	q.keys_only = true;
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range keys only")) {
		ktap_test_result(kvs.n == 3 && !kvs.kv[1].value &&
				 kvs.kv[1].mod_rev == r2, "keys only: no values");
		etcd_kvs_free(&kvs);
	}
	q.keys_only = false;
	q.count_only = true;
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range count only")) {
		ktap_test_result(kvs.n == 0 && kvs.count == 3, "count only: 3");
		etcd_kvs_free(&kvs);
	}
	q.count_only = false;
	expect(etcd_kv_put(c, key("k/a"), "10", 2, 0, &r4), 0, "put k/a again");
	q.key = key("k/a");
	q.prefix = false;
	q.revision = r1;
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range at an older revision")) {
		ktap_test_result(kvs.n == 1 && val_is(&kvs.kv[0], "1"),
				 "k/a at revision %" PRId64 " is the old value",
				 r1);
		etcd_kvs_free(&kvs);
	}
	expect(etcd_kv_put(c, key("k/bin"), bin, sizeof(bin), 0, NULL), 0,
	       "put a binary value");
	if (expect(etcd_kv_get(c, key("k/bin"), &kv), 0, "get the binary value")) {
		ktap_test_result(kv.value_len == sizeof(bin) &&
				 !memcmp(kv.value, bin, sizeof(bin)),
				 "binary value round trip (NUL and 0xff bytes)");
		etcd_kv_free(&kv);
	}
	memset(big, 'x', sizeof(big));
	expect(etcd_kv_put(c, key("k/big"), big, sizeof(big), 0, NULL), -EMSGSIZE,
	       "a 2 MiB value is refused as too large");
	ktap_print_msg("  %s", kfaas_errmsg());
	expect(etcd_kv_delete(c, key("k/b"), false, &n, NULL), 0, "delete k/b");
	ktap_test_result(n == 1, "one key deleted");
	expect(etcd_kv_get(c, key("k/b"), &kv), -ENOENT, "k/b is gone");
	expect(etcd_kv_delete(c, key("k/"), true, &n, NULL), 0,
	       "delete the prefix");
	ktap_test_result(n == 3, "the other 3 keys deleted (%" PRId64 ")", n);
	q = (struct etcd_range){ .key = key("k/"), .prefix = true };
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "range the empty prefix")) {
		ktap_test_result(kvs.n == 0 && kvs.count == 0, "nothing left");
		etcd_kvs_free(&kvs);
	}
}

/* ---- txn ---- */

static void case_txn(struct etcd *c)
{
	const char *k = key("t/config");
	struct etcd_cmp cmp = { .key = k, .target = ETCD_CMP_MOD,
				.result = ETCD_EQUAL };
	struct etcd_op put = { .type = ETCD_OP_PUT, .key = k, .value = "v2",
			       .value_len = 2 };
	struct etcd_op get = { .type = ETCD_OP_RANGE, .key = k };
	struct etcd_txn t = { .cmp = &cmp, .ncmp = 1, .success = &put,
			      .nsuccess = 1, .failure = &get, .nfailure = 1 };
	struct etcd_txn_result r;
	int64_t rev = 0;

	expect(etcd_kv_put(c, k, "v1", 2, 0, &rev), 0, "put the guarded key");
	cmp.rev = rev;
	if (expect(etcd_txn(c, &t, &r), 0, "txn guarded by MOD == %" PRId64, rev)) {
		ktap_test_result(r.succeeded && r.n == 1 &&
				 r.res[0].type == ETCD_OP_PUT && r.revision > rev,
				 "the first guarded txn succeeds and writes");
		etcd_txn_result_free(&r);
	}
	if (expect(etcd_txn(c, &t, &r), 0, "the same txn again")) {
		ktap_test_result(!r.succeeded && r.n == 1 &&
				 r.res[0].type == ETCD_OP_RANGE &&
				 r.res[0].kvs.n == 1 &&
				 val_is(&r.res[0].kvs.kv[0], "v2") &&
				 r.res[0].kvs.kv[0].mod_rev > rev,
				 "the second is a conflict: not applied, the "
				 "failure branch reads what changed");
		etcd_txn_result_free(&r);
	}
	/* create if absent */
	cmp = (struct etcd_cmp){ .key = key("t/new"), .target = ETCD_CMP_CREATE,
				 .result = ETCD_EQUAL, .rev = 0 };
	put.key = key("t/new");
	t.nfailure = 0;
	if (expect(etcd_txn(c, &t, &r), 0, "txn CREATE == 0 (create if absent)")) {
		ktap_test_result(r.succeeded, "creates the absent key");
		etcd_txn_result_free(&r);
	}
	if (expect(etcd_txn(c, &t, &r), 0, "the same create again")) {
		ktap_test_result(!r.succeeded, "fails: the key exists");
		etcd_txn_result_free(&r);
	}
	cmp = (struct etcd_cmp){ .key = k, .target = ETCD_CMP_VALUE,
				 .result = ETCD_EQUAL, .value = "v2",
				 .value_len = 2 };
	if (expect(etcd_txn(c, &t, &r), 0, "txn VALUE == v2")) {
		ktap_test_result(r.succeeded, "the value compare holds");
		etcd_txn_result_free(&r);
	}
	cmp = (struct etcd_cmp){ .key = k, .target = ETCD_CMP_VERSION,
				 .result = ETCD_LESS, .rev = 2 };
	if (expect(etcd_txn(c, &t, &r), 0, "txn VERSION < 2")) {
		ktap_test_result(!r.succeeded, "fails: the key is at version 2");
		etcd_txn_result_free(&r);
	}
	etcd_kv_delete(c, key("t/"), true, NULL, NULL);
}

/* ---- leases ---- */

static bool exists(struct etcd *c, const char *k)
{
	struct etcd_kv kv;

	if (etcd_kv_get(c, k, &kv))
		return false;
	etcd_kv_free(&kv);
	return true;
}

static void case_lease(struct etcd *c)
{
	int64_t l1 = 0, l2 = 0, g1 = 0, ttl = 0, renewals = 0;
	long t0, expired = -1, now;
	int err = 0;

	expect(etcd_lease_grant(c, 2, &l1, &g1), 0, "grant a 2 s lease");
	expect(etcd_lease_grant(c, 2, &l2, NULL), 0, "grant another");
	t0 = mono_ms();
	expect(etcd_kv_put(c, key("l/unrenewed"), "x", 1, l1, NULL), 0,
	       "a key under the first lease");
	expect(etcd_kv_put(c, key("l/renewed"), "x", 1, l2, NULL), 0,
	       "a key under the second");
	/* renew the second every 500 ms; watch the first expire; go on
	 * until the second has lived three of its TTLs */
	while ((now = mono_ms()) - t0 < 6000 && !err) {
		err = etcd_lease_keepalive(c, l2, &ttl);
		renewals++;
		if (expired < 0 && etcd_lease_ttl(c, l1, &ttl, NULL) == -ENOENT)
			expired = now - t0;
		msleep(500);
	}
	expect(err, 0, "%" PRId64 " renewals of the second lease", renewals);
	ktap_test_result(expired >= 0, "the unrenewed lease expired (after "
			 "%ld ms, granted %" PRId64 " s)", expired, g1);
	ktap_test_result(!exists(c, key("l/unrenewed")), "its key is gone");
	ktap_test_result(exists(c, key("l/renewed")), "the renewed lease's key "
			 "is there after %ld ms", mono_ms() - t0);
	expect(etcd_lease_ttl(c, l2, &ttl, NULL), 0, "the renewed lease has a TTL");
	expect(etcd_lease_keepalive(c, l1, &ttl), -ENOENT,
	       "renewing the expired lease: -ENOENT");
	expect(etcd_lease_revoke(c, l2), 0, "revoke the renewed lease");
	ktap_test_result(!exists(c, key("l/renewed")), "revoking removes its key");
	expect(etcd_lease_revoke(c, l2), -ENOENT, "revoking it again: -ENOENT");
	expect(etcd_lease_grant(c, 0, &l1, NULL), -EINVAL,
	       "a 0 s lease is refused");
}

/* ---- watch ---- */

struct collect {
	struct etcd_event	ev[16];
	size_t			n;
	size_t			want;
	bool			progress_after;	/* progress once all arrived */
	int64_t			progress_rev;
	atomic_int		seen;
	/* resume: kill the member the watch uses after this many events */
	size_t			kill_after;
	struct etcd		*watcher, *writer;
	int			killed;
};

static void copy_kv(struct etcd_kv *d, const struct etcd_kv *s)
{
	*d = *s;
	d->key = strdup(s->key);
	d->value = s->value ? strndup(s->value, s->value_len) : NULL;
}

static int collect_cb(const struct etcd_watch_batch *b, void *arg)
{
	struct collect *col = arg;
	size_t i;

	for (i = 0; i < b->n && col->n < 16; i++) {
		struct etcd_event *e = &col->ev[col->n++];

		e->type = b->ev[i].type;
		e->has_prev = b->ev[i].has_prev;
		copy_kv(&e->kv, &b->ev[i].kv);
		if (e->has_prev)
			copy_kv(&e->prev, &b->ev[i].prev);
	}
	atomic_store(&col->seen, (int)col->n);
	if (b->progress && col->n >= col->want) {
		col->progress_rev = b->revision;
		return 1;
	}
	return col->n >= col->want && !col->progress_after ? 1 : 0;
}

static void collect_free(struct collect *col)
{
	size_t i;

	for (i = 0; i < col->n; i++) {
		etcd_kv_free(&col->ev[i].kv);
		etcd_kv_free(&col->ev[i].prev);
	}
}

struct interrupter {
	struct etcd	*target;
	struct collect	*col;
};

/* Put a key with its own client; once the watch saw it, interrupt it. */
static void *interrupt_thread(void *arg)
{
	struct interrupter *it = arg;
	struct etcd *c = client();
	long t0 = mono_ms();

	while (!atomic_load(&it->col->seen) && mono_ms() - t0 < 10000) {
		etcd_kv_put(c, key("w/late"), "z", 1, 0, NULL);
		msleep(50);
	}
	etcd_interrupt(it->target);
	etcd_close(c);
	return NULL;
}

static void case_watch(struct etcd *c)
{
	struct collect col = { .want = 4, .progress_after = true };
	struct etcd_watch w = {
		.key = key("w/"), .prefix = true, .prev_kv = true,
		.progress_notify = true, .idle_timeout_ms = 10000,
		.cb = collect_cb, .arg = &col,
	};
	struct interrupter it = { .target = c };
	int64_t r0 = 0, last = 0;
	pthread_t th;
	int rc;

	expect(etcd_kv_put(c, key("w/x"), "1", 1, 0, &r0), 0, "put w/x");
	etcd_kv_put(c, key("w/y"), "2", 1, 0, NULL);
	etcd_kv_delete(c, key("w/x"), false, NULL, NULL);
	etcd_kv_put(c, key("w/x"), "3", 1, 0, &last);
	w.start_revision = r0;
	rc = etcd_watch_run(c, &w);
	expect(rc, 1, "watch from revision %" PRId64 " until 4 events and a "
	       "progress notification", r0);
	ktap_test_result(col.n == 4 && col.ev[0].type == ETCD_EV_PUT &&
			 val_is(&col.ev[0].kv, "1") &&
			 col.ev[0].kv.mod_rev == r0 &&
			 col.ev[1].type == ETCD_EV_PUT &&
			 val_is(&col.ev[1].kv, "2") &&
			 col.ev[2].type == ETCD_EV_DELETE &&
			 !strcmp(col.ev[2].kv.key, key("w/x")) &&
			 col.ev[2].has_prev && val_is(&col.ev[2].prev, "1") &&
			 col.ev[3].type == ETCD_EV_PUT &&
			 val_is(&col.ev[3].kv, "3") &&
			 col.ev[3].kv.mod_rev == last,
			 "the history replayed in order: put, put, delete "
			 "(with the previous value), put");
	ktap_test_result(col.progress_rev >= last &&
			 w.next_revision == col.progress_rev + 1,
			 "progress at revision %" PRId64 ": the watch resumes "
			 "at %" PRId64, col.progress_rev, w.next_revision);
	collect_free(&col);

	/* interrupted from another thread */
	memset(&col, 0, sizeof(col));
	col.want = 100;
	it.col = &col;
	w.start_revision = 0;
	w.progress_notify = false;
	pthread_create(&th, NULL, interrupt_thread, &it);
	rc = etcd_watch_run(c, &w);
	pthread_join(th, NULL);
	expect(rc, -EINTR, "a watch interrupted by another thread returns -EINTR");
	ktap_test_result(col.n >= 1 && !strcmp(col.ev[0].kv.key, key("w/late")),
			 "it had seen the other thread's put first");
	collect_free(&col);

	/* a quiet key and no progress notifications: the idle timeout */
	memset(&col, 0, sizeof(col));
	col.want = 1;
	w.key = key("w/quiet");
	w.prefix = false;
	w.idle_timeout_ms = 1500;
	expect(etcd_watch_run(c, &w), -ETIMEDOUT,
	       "a watch that hears nothing for 1.5 s returns -ETIMEDOUT");
	collect_free(&col);
	etcd_kv_delete(c, key("w/"), true, NULL, NULL);
}

/* ---- compaction (etcdctl compact runs between the two halves) ---- */

static void case_compact_setup(struct etcd *c)
{
	int64_t r1 = 0, r3 = 0;

	expect(etcd_kv_put(c, key("c/k"), "1", 1, 0, &r1), 0, "put c/k = 1");
	etcd_kv_put(c, key("c/k"), "2", 1, 0, NULL);
	expect(etcd_kv_put(c, key("c/k"), "3", 1, 0, &r3), 0, "put c/k = 3");
	printf("# revs %" PRId64 " %" PRId64 "\n", r1, r3);
	fflush(stdout);
}

static void case_compacted(struct etcd *c, int64_t r1, int64_t r3)
{
	struct collect col = { .want = 1 };
	struct etcd_watch w = {
		.key = key("c/"), .prefix = true, .start_revision = r1,
		.idle_timeout_ms = 10000, .cb = collect_cb, .arg = &col,
	};
	struct etcd_range q = { .key = key("c/k"), .revision = r1 };
	struct etcd_kvs kvs;

	expect(etcd_watch_run(c, &w), -ESTALE, "a watch from revision %" PRId64
	       " after the compaction at %" PRId64 " returns -ESTALE", r1, r3);
	ktap_test_result(w.compact_revision == r3 && col.n == 0,
			 "it names the compact revision (%" PRId64 ") and "
			 "delivered nothing", w.compact_revision);
	ktap_print_msg("  %s", kfaas_errmsg());
	expect(etcd_kv_range(c, &q, &kvs), -ESTALE,
	       "reading at the compacted revision: -ESTALE");
	/* the fall-back: re-read, then watch from the compact revision */
	w.start_revision = r3;
	expect(etcd_watch_run(c, &w), 1, "a watch from the compact revision works");
	ktap_test_result(col.n == 1 && val_is(&col.ev[0].kv, "3") &&
			 col.ev[0].kv.mod_rev == r3, "and sees the kept event");
	collect_free(&col);
	etcd_kv_delete(c, key("c/"), true, NULL, NULL);
}

/* ---- watch across a member's death ---- */

static int member_pid(const char *ep)
{
	const char *eps = env("KFAAS_ETCD_ENDPOINTS"), *p;
	const char *pids = env("KFAAS_ETCD_PIDS");
	int idx = 0, i;

	if (!eps || !pids || !(p = strstr(eps, ep)))
		return -1;
	for (; p > eps; p--)
		idx += *p == ',';
	for (i = 0; i < idx && pids; i++) {
		pids = strchr(pids, ' ');
		pids = pids ? pids + 1 : NULL;
	}
	return pids ? atoi(pids) : -1;
}

/* Writes through the other members while a new leader is elected. */
static int put_retry(struct etcd *c, const char *k, const char *v)
{
	long t0 = mono_ms();
	int err;

	do {
		err = etcd_kv_put(c, k, v, strlen(v), 0, NULL);
	} while (err && mono_ms() - t0 < 15000 && (msleep(100), 1));
	return err;
}

static int resume_cb(const struct etcd_watch_batch *b, void *arg)
{
	struct collect *col = arg;
	int rc = collect_cb(b, arg);
	char v[8];
	int pid, i;

	if (col->killed || col->n < col->kill_after)
		return rc;
	pid = member_pid(etcd_endpoint(col->watcher));
	ktap_print_msg("  killing (SIGKILL) member pid %d under the watch (%s)",
		       pid, etcd_endpoint(col->watcher));
	col->killed = pid > 0 && !kill(pid, SIGKILL) ? 1 : -1;
	for (i = 4; i <= 6; i++) {
		snprintf(v, sizeof(v), "%d", i);
		if (put_retry(col->writer, key("r/k"), v))
			ktap_print_msg("  put %s: %s", v, kfaas_errmsg());
	}
	return rc;
}

static void case_watch_resume(struct etcd *c)
{
	struct collect col = { .want = 6, .kill_after = 3 };
	struct etcd_watch w = {
		.key = key("r/"), .prefix = true, .idle_timeout_ms = 20000,
		.cb = resume_cb, .arg = &col,
	};
	struct etcd *writer = client();
	int64_t r0 = 0;
	bool order = true;
	size_t i;

	col.watcher = c;
	col.writer = writer;
	expect(etcd_kv_put(c, key("r/k"), "1", 1, 0, &r0), 0, "put r/k = 1");
	etcd_kv_put(c, key("r/k"), "2", 1, 0, NULL);
	etcd_kv_put(c, key("r/k"), "3", 1, 0, NULL);
	w.start_revision = r0;
	expect(etcd_watch_run(c, &w), 1, "a watch that loses its member ends "
	       "with all 6 events");
	ktap_test_result(col.killed == 1, "the member under the watch was killed");
	for (i = 0; i < col.n; i++) {
		char v[24];

		snprintf(v, sizeof(v), "%zu", i + 1);
		order = order && val_is(&col.ev[i].kv, v);
	}
	ktap_test_result(col.n == 6 && order && w.resumed >= 1,
			 "each event once, in order, after %u resume(s) on %s",
			 w.resumed, etcd_endpoint(c));
	collect_free(&col);
	etcd_kv_delete(writer, key("r/"), true, NULL, NULL);
	etcd_close(writer);
}

/* ---- elections ---- */

struct candidate {
	const char	*name;
	int64_t		lease;
	const char	*value;
	int		timeout_ms;
	int		err;
	atomic_int	done;
	long		at;		/* when the campaign returned */
	struct etcd_leader l;
};

static void *campaign_thread(void *arg)
{
	struct candidate *cd = arg;
	struct etcd *c = client();

	cd->err = etcd_election_campaign(c, cd->name, cd->lease, cd->value,
					 strlen(cd->value), cd->timeout_ms, &cd->l);
	cd->at = mono_ms();
	atomic_store(&cd->done, 1);
	etcd_close(c);
	return NULL;
}

struct observed {
	char		seq[16];
	size_t		n;
};

static int observe_cb(const struct etcd_kv *leader, void *arg)
{
	struct observed *o = arg;

	if (o->n && o->seq[o->n - 1] == leader->value[0])
		return 0;
	if (o->n < sizeof(o->seq) - 1)
		o->seq[o->n++] = leader->value[0];
	return leader->value[0] == 'C';
}

static void *observe_thread(void *arg)
{
	struct etcd *c = client();
	int err;

	err = etcd_election_observe(c, key("election"), 30000, observe_cb, arg);
	if (err != 1)
		ktap_print_msg("  observe: %d %s", err, kfaas_errmsg());
	etcd_close(c);
	return NULL;
}

static int64_t candidates(struct etcd *c)
{
	struct etcd_range q = { .key = key("election/"), .prefix = true,
				.count_only = true };
	struct etcd_kvs kvs;

	if (etcd_kv_range(c, &q, &kvs))
		return -1;
	return kvs.count;
}

static bool leader_is(struct etcd *c, const char *v)
{
	struct etcd_kv kv;
	bool ok;

	if (etcd_election_leader(c, key("election"), &kv))
		return false;
	ok = val_is(&kv, v);
	etcd_kv_free(&kv);
	return ok;
}

/* Until cond (the candidate count reaching n, or cd done), renewing lease. */
static bool wait_for(struct etcd *c, int64_t n, struct candidate *cd,
		     int64_t renew, long limit_ms)
{
	long t0 = mono_ms(), last = 0;
	int64_t ttl;

	while (mono_ms() - t0 < limit_ms) {
		if (cd ? atomic_load(&cd->done) : candidates(c) == n)
			return true;
		if (renew && mono_ms() - last >= 500) {
			etcd_lease_keepalive(c, renew, &ttl);
			last = mono_ms();
		}
		msleep(20);
	}
	return false;
}

static void case_election(struct etcd *c)
{
	struct candidate a = { .name = key("election"), .value = "A" };
	struct candidate b = a, cc = a, d = a;
	struct observed obs = { 0 };
	pthread_t tb, tc, to, td;
	long stop_renew;
	bool ok;

	b.value = "B";
	cc.value = "C";
	d.value = "D";
	etcd_lease_grant(c, 10, &a.lease, NULL);
	etcd_lease_grant(c, 2, &b.lease, NULL);
	etcd_lease_grant(c, 10, &cc.lease, NULL);
	etcd_lease_grant(c, 10, &d.lease, NULL);
	expect(etcd_election_leader(c, key("election"), &(struct etcd_kv){ 0 }),
	       -ENOENT, "an election nobody campaigned in has no leader");
	expect(etcd_election_campaign(c, a.name, a.lease, "A", 1, 5000, &a.l), 0,
	       "A campaigns and leads");
	ktap_test_result(leader_is(c, "A"), "the leader is A");
	pthread_create(&to, NULL, observe_thread, &obs);
	pthread_create(&tb, NULL, campaign_thread, &b);
	ktap_test_result(wait_for(c, 2, NULL, b.lease, 10000),
			 "B's candidacy is registered (2 keys)");
	ktap_test_result(!atomic_load(&b.done) && leader_is(c, "A"),
			 "B waits: A still leads");
	expect(etcd_election_resign(c, &a.l), 0, "A resigns");
	ktap_test_result(wait_for(c, 0, &b, b.lease, 10000) && !b.err &&
			 leader_is(c, "B"), "B leads after A resigned");
	expect(etcd_election_resign(c, &a.l), 0, "resigning twice is harmless");

	pthread_create(&tc, NULL, campaign_thread, &cc);
	ktap_test_result(wait_for(c, 2, NULL, b.lease, 10000) &&
			 !atomic_load(&cc.done), "C waits behind B");
	/* B's lease is no longer renewed: it ends B's leadership */
	stop_renew = mono_ms();
	ok = wait_for(c, 0, &cc, 0, 15000) && !cc.err && leader_is(c, "C");
	ktap_test_result(ok, "C leads once B's lease expired (%ld ms after "
			 "its last renewal)", cc.at - stop_renew);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	pthread_join(to, NULL);
	ktap_test_result(!strcmp(obs.seq, "ABC"), "an observer saw A, B, C "
			 "lead in turn (%s)", obs.seq);

	d.timeout_ms = 800;
	pthread_create(&td, NULL, campaign_thread, &d);
	pthread_join(td, NULL);
	expect(d.err, -ETIMEDOUT, "a campaign with a 0.8 s timeout behind C "
	       "returns -ETIMEDOUT");
	ktap_test_result(wait_for(c, 1, NULL, 0, 5000),
			 "its candidacy is withdrawn (1 key left)");
	expect(etcd_election_resign(c, &cc.l), 0, "C resigns");
	expect(etcd_election_leader(c, key("election"), &(struct etcd_kv){ 0 }),
	       -ENOENT, "no leader left");
	etcd_leader_free(&a.l);
	etcd_leader_free(&b.l);
	etcd_leader_free(&cc.l);
	etcd_lease_revoke(c, a.lease);
	etcd_lease_revoke(c, cc.lease);
	etcd_lease_revoke(c, d.lease);
}

/* A placement of fn on one node, for kfaas_cluster_placement_write(). */
static struct kfaas_cluster_placement placed_on(const char *fn, char (*node)[KFAAS_NODE_LEN])
{
	struct kfaas_cluster_placement p = { .nodes = node, .n = 1, .replicas = 1 };

	snprintf(p.fn, sizeof(p.fn), "%s", fn);
	return p;
}

/* The node desired/placement/FN names first, or "". */
static const char *placement_node(struct kfaas_cluster *kc, const char *fn)
{
	static char node[KFAAS_NODE_LEN];
	json_object *dir = NULL, *p, *nodes;

	node[0] = '\0';
	if (kfaas_cluster_get_dir(kc, "desired/placement", &dir) == 0 &&
	    json_object_object_get_ex(dir, fn, &p) &&
	    json_object_object_get_ex(p, "nodes", &nodes) &&
	    json_object_array_length(nodes) > 0)
		snprintf(node, sizeof(node), "%s", json_object_get_string(
			 json_object_array_get_idx(nodes, 0)));
	json_object_put(dir);
	return node;
}

/*
 * The scheduler's write guard (cluster_place.c): a scheduler whose
 * election key is gone (its lease expired while it was paused or cut
 * off) gets -EPERM and writes nothing; the one elected after it writes.
 */
static void case_sched_lost(void)
{
	struct kfaas_cluster_opts o = {
		.endpoints = env("KFAAS_ETCD_ENDPOINTS"), .ca_file = env("KFAAS_ETCD_CA"),
		.cert_file = env("KFAAS_ETCD_CERT"), .key_file = env("KFAAS_ETCD_KEY"),
		.prefix = key(""),
	};
	char n1[1][KFAAS_NODE_LEN] = { "n1" }, n2[1][KFAAS_NODE_LEN] = { "n2" };
	struct kfaas_cluster_placement p1 = placed_on("hello", n1),
				       p2 = placed_on("hello", n2);
	char k1[512], k2[512];
	struct kfaas_cluster *kc;
	int64_t l1 = 0, l2 = 0;

	if (!expect(kfaas_cluster_open(&kc, &o), 0, "a cluster connection"))
		return;
	expect(kfaas_cluster_lease_grant(kc, 10, &l1) ?:
	       kfaas_cluster_campaign(kc, l1, "n1", 5000, k1, sizeof(k1)), 0,
	       "n1's scheduler is elected");
	expect(kfaas_cluster_placement_write(kc, k1, NULL, 0, &p1, 1), 0,
	       "... and writes a placement");
	/* its lease ends (kill -9, a pause longer than the TTL) */
	expect(kfaas_cluster_lease_revoke(kc, l1), 0, "n1's lease ends");
	expect(kfaas_cluster_placement_write(kc, k1, &p1, 1, &p2, 1), -EPERM,
	       "n1's scheduler writing after it lost its election: -EPERM");
	ktap_test_result(strstr(kfaas_errmsg(), "lost its election") != NULL,
			 "... saying so (%s)", kfaas_errmsg());
	ktap_test_result(!strcmp(placement_node(kc, "hello"), "n1"),
			 "... and nothing was written (hello on '%s')",
			 placement_node(kc, "hello"));
	expect(kfaas_cluster_lease_grant(kc, 10, &l2) ?:
	       kfaas_cluster_campaign(kc, l2, "n2", 5000, k2, sizeof(k2)) ?:
	       kfaas_cluster_placement_write(kc, k2, &p1, 1, &p2, 1), 0,
	       "n2's scheduler, elected next, writes");
	ktap_test_result(!strcmp(placement_node(kc, "hello"), "n2"),
			 "... its placement (hello on '%s')", placement_node(kc, "hello"));
	kfaas_cluster_lease_revoke(kc, l2);
	kfaas_cluster_close(kc);
}

/* ---- failover, quorum, TLS ---- */

static void case_failover(struct etcd *c, const char *down)
{
	struct etcd *only = client_eps(down, 0);
	struct etcd_kv kv;
	long t0 = mono_ms();
	int err;

	err = etcd_kv_put(c, key("f/k"), "v", 1, 0, NULL);
	expect(err, 0, "a put with %s down goes to the next endpoint (%ld ms)",
	       down, mono_ms() - t0);
	ktap_test_result(strcmp(etcd_endpoint(c), down) != 0,
			 "the client now uses %s", etcd_endpoint(c));
	if (expect(etcd_kv_get(c, key("f/k"), &kv), 0, "and reads it back")) {
		ktap_test_result(val_is(&kv, "v"), "the value is there");
		etcd_kv_free(&kv);
	}
	expect(etcd_kv_get(only, key("f/k"), &kv), -ECONNREFUSED,
	       "a client of the stopped member alone: -ECONNREFUSED");
	ktap_test_result(strstr(kfaas_errmsg(), down) &&
			 strstr(kfaas_errmsg(), "is etcd running"),
			 "its message names the endpoint and what to check");
	ktap_print_msg("  %s", kfaas_errmsg());
	etcd_kv_delete(c, key("f/"), true, NULL, NULL);
	etcd_close(only);
}

static void case_no_quorum(void)
{
	struct etcd *c = client_eps(env("KFAAS_ETCD_ENDPOINTS"), 2000);
	struct etcd_kv kv;
	long t0 = mono_ms();
	int err;

	err = etcd_kv_put(c, key("q/k"), "v", 1, 0, NULL);
	ktap_test_result(err == -EAGAIN || err == -ETIMEDOUT,
			 "a put without quorum fails (%d, after %ld ms)", err,
			 mono_ms() - t0);
	ktap_print_msg("  %s", kfaas_errmsg());
	err = etcd_kv_get(c, key("q/k"), &kv);
	ktap_test_result(err == -EAGAIN || err == -ETIMEDOUT,
			 "a read without quorum fails too (%d)", err);
	etcd_close(c);
}

static void case_tls(void)
{
	const char *eps = env("KFAAS_ETCD_ENDPOINTS");
	struct etcd_opts o = { .endpoints = eps, .ca_file = env("KFAAS_ETCD_CA") };
	struct etcd *c;
	struct etcd_kv kv;

	o.cert_file = env("KFAAS_ETCD_ROGUE_CERT");
	o.key_file = env("KFAAS_ETCD_ROGUE_KEY");
	if (expect(etcd_open(&c, &o), 0,
		   "a client with another CA's certificate")) {
		expect(etcd_kv_get(c, key("x"), &kv), -EKEYREJECTED,
		       "is refused: -EKEYREJECTED");
		ktap_print_msg("  %s", kfaas_errmsg());
		etcd_close(c);
	}
	o.cert_file = o.key_file = NULL;
	if (expect(etcd_open(&c, &o), 0, "a client without a certificate")) {
		expect(etcd_kv_get(c, key("x"), &kv), -EKEYREJECTED,
		       "is refused: -EKEYREJECTED");
		etcd_close(c);
	}
	o.cert_file = env("KFAAS_ETCD_CERT");
	o.key_file = env("KFAAS_ETCD_KEY");
	o.ca_file = NULL;
	if (expect(etcd_open(&c, &o), 0, "a client that does not trust the CA")) {
		expect(etcd_kv_get(c, key("x"), &kv), -EKEYREJECTED,
		       "refuses the servers: -EKEYREJECTED");
		etcd_close(c);
	}
	o.ca_file = "/nonexistent/ca.crt";
	expect(etcd_open(&c, &o), -ENOENT, "a missing CA file: -ENOENT at open");
	o.ca_file = env("KFAAS_ETCD_CA");
	o.key_file = NULL;
	expect(etcd_open(&c, &o), -EINVAL,
	       "a certificate without its key: -EINVAL");
	o.key_file = env("KFAAS_ETCD_KEY");
	o.endpoints = "ftp://127.0.0.1:1";
	expect(etcd_open(&c, &o), -EINVAL, "an ftp:// endpoint: -EINVAL");
	o.endpoints = " , ";
	expect(etcd_open(&c, &o), -EINVAL, "no endpoint: -EINVAL");
}

/* ---- artifacts ---- */

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (unsigned char)(seed >> 16);
	}
}

static void roundtrip(struct etcd *c, size_t n, unsigned int seed)
{
	unsigned char *in = malloc(n ? n : 1);
	char hex[ARTIFACT_HEX_LEN + 1], want[ARTIFACT_HEX_LEN + 1];
	void *out = NULL;
	size_t len = 0, size = 0;

	fill(in, n, seed);
	artifact_hash(in, n, want);
	if (expect(artifact_put(c, prefix, in, n, hex), 0,
		   "store a %zu-byte artifact", n)) {
		ktap_test_result(!strcmp(hex, want), "its key is its SHA-256");
		expect(artifact_stat(c, prefix, hex, &size), 0, "stat it");
		ktap_test_result(size == n, "stat: %zu bytes", size);
		if (expect(artifact_get(c, prefix, hex, &out, &len), 0,
			   "read it back by hash"))
			ktap_test_result(len == n && !memcmp(out, in, n),
					 "the same %zu bytes", len);
		free(out);
	}
	free(in);
}

static void case_artifact(struct etcd *c)
{
	size_t huge = ARTIFACT_MAX_SIZE + 1, size;
	char hex[ARTIFACT_HEX_LEN + 1], sha[8 + ARTIFACT_HEX_LEN];
	struct etcd_range q = { 0 };
	struct etcd_kvs kvs;
	void *out, *big;

	roundtrip(c, 5000, 1);
	roundtrip(c, 4u << 20, 2);
	roundtrip(c, 3 * ARTIFACT_CHUNK_SIZE + 17, 3);
	big = malloc(4u << 20);
	fill(big, 4u << 20, 2);
	expect(artifact_put(c, prefix, big, 4u << 20, hex), 0,
	       "storing the 4 MiB artifact again is fine");
	free(big);
	snprintf(sha, sizeof(sha), "sha256:%s", hex);
	q.key = key("chunks/sha256/");
	q.prefix = true;
	q.keys_only = true;
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "list the chunks")) {
		ktap_test_result(kvs.n == 1 + 4 + 4,
				 "1 + 4 + 4 chunks stored (%zu)", kvs.n);
		etcd_kvs_free(&kvs);
	}
	expect(artifact_delete(c, prefix, sha), 0, "delete it (sha256:HEX form)");
	expect(artifact_get(c, prefix, hex, &out, &size), -ENOENT,
	       "a deleted artifact: -ENOENT");
	q.key = key("chunks/sha256/");
	if (expect(etcd_kv_range(c, &q, &kvs), 0, "list the chunks again")) {
		ktap_test_result(kvs.n == 1 + 4, "its 4 chunks went with it");
		etcd_kvs_free(&kvs);
	}
	expect(artifact_get(c, prefix, "sha256:xyz", &out, &size), -EINVAL,
	       "a malformed hash: -EINVAL");
	/* never touched: the size is refused first */
	big = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect(artifact_put(c, prefix, big, huge, hex), -EFBIG,
	       "an artifact over %zu MiB: -EFBIG", ARTIFACT_MAX_SIZE >> 20);
	munmap(big, huge);
}

static void case_artifact_put(struct etcd *c)
{
	char hex[ARTIFACT_HEX_LEN + 1];
	void *p = malloc(3u << 20);

	fill(p, 3u << 20, 7);
	expect(artifact_put(c, prefix, p, 3u << 20, hex), 0,
	       "store a 3-chunk artifact");
	printf("# hash %s\n", hex);
	fflush(stdout);
	free(p);
}

/* After the test changed chunk 1 with etcdctl. */
static void case_artifact_tampered(struct etcd *c, const char *hex)
{
	char mkey[512], ckey[512], h[ARTIFACT_HEX_LEN + 1], *m, *at;
	struct etcd_kv kv, chunk;
	void *out = (void *)1;
	size_t len = 1;

	expect(artifact_get(c, prefix, hex, &out, &len), -EBADMSG,
	       "reading the artifact with a changed chunk: -EBADMSG");
	ktap_test_result(!out && !len && strstr(kfaas_errmsg(), hex) &&
			 strstr(kfaas_errmsg(), "chunk 1 of 3"),
			 "nothing returned; the error names the hash and chunk");
	ktap_print_msg("  %s", kfaas_errmsg());
	/* the manifest changed to match the chunk too: the whole is checked */
	snprintf(mkey, sizeof(mkey), "%sartifacts/sha256/%s", prefix, hex);
	snprintf(ckey, sizeof(ckey), "%schunks/sha256/%s/000001", prefix, hex);
	if (!expect(etcd_kv_get(c, mkey, &kv), 0, "read the manifest") ||
	    !expect(etcd_kv_get(c, ckey, &chunk), 0, "read the changed chunk"))
		return;
	artifact_hash(chunk.value, chunk.value_len, h);
	m = strdup(kv.value);
	at = strchr(strchr(strstr(m, "\"chunks\""), ',') + 1, '"') + 1;
	memcpy(at, h, ARTIFACT_HEX_LEN);
	expect(etcd_kv_put(c, mkey, m, strlen(m), 0, NULL), 0,
	       "give chunk 1 its new hash in the manifest");
	expect(artifact_get(c, prefix, hex, &out, &len), -EBADMSG,
	       "the artifact is still refused: -EBADMSG");
	ktap_test_result(!out && strstr(kfaas_errmsg(), "content hashes to"),
			 "because the whole does not hash to its key");
	ktap_print_msg("  %s", kfaas_errmsg());
	free(m);
	etcd_kv_free(&kv);
	etcd_kv_free(&chunk);
	artifact_delete(c, prefix, hex);
}

/*
 * Keys under KFAAS_ETCD_PREFIX + the case's group (its name up to a '-':
 * compact-setup and compact-check share theirs).
 */
int main(int argc, char **argv)
{
	const char *cs = argc > 1 ? argv[1] : "";
	struct etcd *c;

	snprintf(prefix, sizeof(prefix), "%s%.*s/",
		 env("KFAAS_ETCD_PREFIX") ?: "/kfaas-test/",
		 (int)strcspn(cs, "-"), cs);
	ktap_print_header();
	alarm(120);	/* a scenario that hangs fails */
	if (!env("KFAAS_ETCD_ENDPOINTS"))
		ktap_exit_skip("no cluster: run tests/cluster/test_etcd.sh");
	if (!strcmp(cs, "tls")) {
		case_tls();
		return ktap_finished();
	}
	if (!strcmp(cs, "no-quorum")) {
		case_no_quorum();
		return ktap_finished();
	}
	c = client();
	if (!strcmp(cs, "kv"))
		case_kv(c);
	else if (!strcmp(cs, "txn"))
		case_txn(c);
	else if (!strcmp(cs, "lease"))
		case_lease(c);
	else if (!strcmp(cs, "watch"))
		case_watch(c);
	else if (!strcmp(cs, "compact-setup"))
		case_compact_setup(c);
	else if (!strcmp(cs, "compact-check") && argc == 4)
		case_compacted(c, atoll(argv[2]), atoll(argv[3]));
	else if (!strcmp(cs, "watch-resume"))
		case_watch_resume(c);
	else if (!strcmp(cs, "election")) {
		case_election(c);
		case_sched_lost();
	}
	else if (!strcmp(cs, "failover") && argc == 3)
		case_failover(c, argv[2]);
	else if (!strcmp(cs, "artifact"))
		case_artifact(c);
	else if (!strcmp(cs, "tamper-put"))
		case_artifact_put(c);
	else if (!strcmp(cs, "tamper-check") && argc == 3)
		case_artifact_tampered(c, argv[2]);
	else
		ktap_test_result(0, "unknown case '%s'", cs);
	etcd_close(c);
	return ktap_finished();
}
