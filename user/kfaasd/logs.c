// SPDX-License-Identifier: GPL-2.0
/*
 * Function logs in kfaasd (kfaas_logs.h): the one stream of every tier.
 *
 *   eBPF tiers  kfaasd is the reader of the pin root's log ring (when
 *               'kfaas logs -f' is not: then it tries again every second)
 *               and turns each record into an entry; every second the
 *               functions' drop counters become "N records dropped"
 *               entries
 *   VM tier     an invocation that wrote to stderr or failed becomes an
 *               entry: its stderr's head (KFAAS_AGENT_STDERR_MAX bytes),
 *               exit status or signal, run time, the error; a function's
 *               entries go through the same token bucket as the eBPF
 *               tiers' records (KFAAS_LOG_RATE a second, KFAAS_LOG_BURST)
 *
 * Every entry is appended to RUNDIR/logs/NAME.log (kept under --log-size
 * bytes a function by rotation) and, under systemd (--journal auto:
 * $INVOCATION_ID or $JOURNAL_STREAM set), sent to the journal with
 * sd_journal_sendv(): SYSLOG_IDENTIFIER=NAME, KFAAS_FUNCTION=NAME,
 * KFAAS_TIER and the request's or invocation's fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <kfaas_logs.h>
#include "kfaasd.h"

static struct kfaas_log_ring *ring;	/* NULL: not the reader (yet) */
static struct watch ring_w = { .fd = -1 };
static char dir[KFAAS_PATH_MAX];	/* RUNDIR/logs, "" when off */
static bool journal;
static struct kfaas_log_drops *drops;
static uint64_t next_check_ms;
static struct kfaas_log_entry entry;	/* the one being written */
static uint64_t written, lost;		/* entries; history write failures */

/* VM-tier functions' token buckets, by id */
struct vm_bucket {
	uint64_t	last_ns;
	uint64_t	tokens;
	uint64_t	dropped;	/* not reported yet */
};
static struct vm_bucket *buckets;

#define LOGS_CHECK_MS	1000

/* ---- the journal ---- */

static bool journal_wanted(void)
{
	if (opts.journal == JOURNAL_YES)
		return true;
	if (opts.journal == JOURNAL_NO)
		return false;
	return getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM");
}

/* ---- every entry's way out ---- */

static void logs_write(const struct kfaas_log_entry *e)
{
	char *line;

	if (!dir[0])
		return;
	line = kfaas_log_entry_json(e);
	if (!line || kfaas_log_file_append(dir, e->fn, line, opts.log_size)) {
		if (!lost++)
			warn("function logs: cannot keep %s's entry: %s", e->fn,
			     line ? kfaas_errmsg() : "out of memory");
	} else {
		written++;
	}
	free(line);
	if (journal) {
		int rc = journal_send(e);

		if (rc < 0)
			dbg("journal: %s", strerror(-rc));
	}
}

static void drop_cb(void *ctx, const struct kfaas_log_entry *e)
{
	(void)ctx;
	logs_write(e);
}

/* ---- the eBPF tiers: the ring ---- */

static int64_t mono_to_real;

static int ring_cb(void *ctx, const struct kfaas_log_rec *r)
{
	struct kfaas_fn_info info;
	char name[16];
	const char *fn = name;

	(void)ctx;
	/* the registry's name: a function unloaded since is "#ID" */
	if (kfaas_fn_get(&pinroot, r->h.fn_id, &info) == 0)
		fn = info.name;
	else
		snprintf(name, sizeof(name), "#%u", r->h.fn_id);
	kfaas_log_entry_of_rec(&entry, r, fn, mono_to_real);
	logs_write(&entry);
	return 0;
}

static void ring_drain(void)
{
	mono_to_real = kfaas_log_mono_to_real();
	if (ring && kfaas_log_ring_read(ring, ring_cb, NULL, NULL) < 0)
		warn("function logs: %s", kfaas_errmsg());
}

static void on_ring(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	ring_drain();
}

/* Become the ring's reader, unless 'kfaas logs -f' is. */
static void ring_take(void)
{
	static bool said;

	if (ring)
		return;
	if (kfaas_log_ring_open(&pinroot, true, &ring)) {
		if (!said)
			info("function logs: %s; trying again every second",
			     kfaas_errmsg());
		said = true;
		return;
	}
	if (loop_add(&ring_w, kfaas_log_ring_fd(ring), EPOLLIN, on_ring)) {
		warn("function logs: cannot watch the ring: %s", strerror(errno));
		kfaas_log_ring_close(ring);
		ring = NULL;
		return;
	}
	said = false;
	ring_drain();
}

/* ---- the VM tier ---- */

/* Take a token of fn's bucket: false when it is over the rate (counted). */
static bool vm_admit(__u32 id)
{
	struct vm_bucket *b = &buckets[id];
	uint64_t now = kfaas_now_ns(), per = 1000000000ULL / KFAAS_LOG_RATE, add;

	add = (now - b->last_ns) / per;
	if (add >= KFAAS_LOG_BURST || b->tokens + add >= KFAAS_LOG_BURST) {
		b->tokens = KFAAS_LOG_BURST;
		b->last_ns = now;
	} else if (add) {
		b->tokens += add;
		b->last_ns += add * per;
	}
	if (!b->tokens) {
		b->dropped++;
		return false;
	}
	b->tokens--;
	return true;
}

void logs_vm(__u32 fn_id, const struct result *res)
{
	struct fn *f = fn_by_id(fn_id);

	if (!buckets || !f || fn_id >= KFAAS_MAX_FUNCS || !res->ran ||
	    res->err == REQ_E_GONE || res->err == REQ_E_NOFN ||
	    (res->err == REQ_OK && !res->errtext_len) || !vm_admit(fn_id))
		return;
	memset(&entry, 0, offsetof(struct kfaas_log_entry, msg));
	entry.time_ns = kfaas_clock_ns(CLOCK_REALTIME);
	snprintf(entry.fn, sizeof(entry.fn), "%s", f->name);
	entry.tier = KFAAS_TIER_VM;
	entry.kind = KFAAS_LOG_RECORD;
	/*
	 * A wait status when the function ran to its end, or was killed for
	 * writing too much; not when its VM was (a timeout, a crash), nor
	 * when it could not start (the status is then an errno).
	 */
	entry.ran = res->err == REQ_OK || res->err == REQ_E_TOO_LARGE ||
		    (res->err == REQ_E_FAILED &&
		     strncmp(res->msg, "cannot start", 12));
	entry.status = res->status;
	entry.duration_ns = res->fn_wall_ns;
	if (res->err != REQ_OK)
		snprintf(entry.error, sizeof(entry.error), "%s", res->msg);
	kfaas_log_entry_set_msg(&entry, res->errtext ? res->errtext : "",
				res->errtext_len);
	logs_write(&entry);
}

/* The VM tier's drops since the last check, as entries. */
static void vm_drops(void)
{
	struct list *l, *t;

	list_for_each_safe(l, t, &fns) {
		struct fn *f = container_of(l, struct fn, link);
		struct vm_bucket *b;

		if (f->id >= KFAAS_MAX_FUNCS || !buckets[f->id].dropped)
			continue;
		b = &buckets[f->id];
		memset(&entry, 0, offsetof(struct kfaas_log_entry, msg));
		entry.msg[0] = '\0';
		entry.time_ns = kfaas_clock_ns(CLOCK_REALTIME);
		snprintf(entry.fn, sizeof(entry.fn), "%s", f->name);
		entry.tier = KFAAS_TIER_VM;
		entry.kind = KFAAS_LOG_DROPPED;
		entry.reason = KFAAS_LOG_DROP_RATE;
		entry.dropped = b->dropped;
		b->dropped = 0;
		logs_write(&entry);
	}
}

/* ---- the daemon's side ---- */

void logs_start(void)
{
	if (kfaas_log_dir_in(opts.run_dir, dir, sizeof(dir)) ||
	    (mkdir(dir, 0700) && errno != EEXIST)) {
		warn("function logs: no history: %s", dir[0] ? strerror(errno) :
		     kfaas_errmsg());
		dir[0] = '\0';
	}
	drops = calloc(1, sizeof(*drops));
	buckets = calloc(KFAAS_MAX_FUNCS, sizeof(*buckets));
	if (!drops || !buckets) {
		warn("function logs: out of memory");
		return;
	}
	journal = journal_wanted();
	info("function logs: history in %s (%zu bytes a function)%s", dir,
	     opts.log_size, journal ? ", sent to the journal" : "");
	ring_take();
	next_check_ms = kfaas_now_ms() + LOGS_CHECK_MS;
}

uint64_t logs_next_deadline(void)
{
	return drops ? next_check_ms : UINT64_MAX;
}

void logs_tick(uint64_t now)
{
	if (!drops || now < next_check_ms)
		return;
	next_check_ms = now + LOGS_CHECK_MS;
	ring_take();
	ring_drain();
	if (ring && kfaas_log_drops_check(&pinroot, drops, 0, drop_cb, NULL))
		dbg("function logs: %s", kfaas_errmsg());
	vm_drops();
}

void logs_stop(void)
{
	if (ring) {
		ring_drain();
		loop_remove(&ring_w);
		kfaas_log_ring_close(ring);
		ring = NULL;
	}
	free(drops);
	drops = NULL;
	free(buckets);
	buckets = NULL;
	dbg("function logs: %llu entries kept, %llu lost",
	    (unsigned long long)written, (unsigned long long)lost);
}
