// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF tiers' log ring (kfaas_logs) and counters (kfaas_log_state):
 * reading the ring through its mmap()ed pages, as its one consumer or
 * only looking; the per-function counters and the drop notices made of
 * them (kfaas_logs.h).
 *
 * The ring is read here rather than with libbpf's ring_buffer because a
 * look must not consume: 'kfaas logs' without kfaasd shows what the ring
 * holds and leaves it for the reader.  The layout is the kernel's
 * (kernel/bpf/ringbuf.c): a consumer page, a producer page, then the data
 * mapped twice; each record has an 8-byte header whose length word holds
 * the busy and discard bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <libkfaas.h>
#include <kfaas_logs.h>
#include "internal.h"

struct kfaas_log_ring {
	int		map_fd;
	int		lock_fd;	/* PINROOT/log_reader, flock()ed: consumer */
	unsigned long	*consumer;	/* the consumer position's page */
	unsigned long	*producer;	/* the producer page, then the data */
	uint8_t		*data;
	size_t		size;		/* data bytes (a power of two) */
	size_t		page;
};

#define LOG_READER_LOCK	"log_reader"

/*
 * A pin root made before the log maps existed gets them from its next
 * writer (like ustats and budgets, state.c); readers go on without.
 */
int kfaas__log_maps_get(struct kfaas_state *st)
{
	static const struct {
		const char		*pin;
		enum bpf_map_type	type;
		__u32			vsize, max;
	} maps[] = {
		{ "logs", BPF_MAP_TYPE_RINGBUF, 0, KFAAS_LOG_RING_SIZE },
		{ "log_state", BPF_MAP_TYPE_PERCPU_ARRAY,
		  sizeof(struct kfaas_log_state), KFAAS_MAX_FUNCS },
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		fd = kfaas__pin_map(st, maps[i].pin, maps[i].type, maps[i].vsize,
				    maps[i].max, st->locked);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static int log_pin_open(struct kfaas_state *st, const char *name)
{
	int fd = kfaas__pin_open(st, name);

	if (fd == -ENOENT)
		return kfaas_err(-ENOENT, "the pin root %s has no function logs "
				 "(made by an older kfaas): the next 'kfaas fn "
				 "load' adds them", st->root);
	return fd;
}

/* Take the reader lock: 0, or -EBUSY (message set) when it is taken. */
static int reader_lock(struct kfaas_state *st, struct kfaas_log_ring *r)
{
	char path[KFAAS_PATH_MAX];
	int rc;

	rc = kfaas__path(path, sizeof(path), "%s/" LOG_READER_LOCK, st->root);
	if (rc)
		return rc;
	if (mkdir(path, 0700) && errno != EEXIST)
		return kfaas__errno_msg(-errno, path);
	r->lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->lock_fd < 0)
		return kfaas__errno_msg(-errno, path);
	if (flock(r->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	rc = errno == EWOULDBLOCK ?
	     kfaas_err(-EBUSY, "another reader consumes the log ring of %s "
		       "('kfaas logs -f' or kfaasd): stop it, or run kfaasd, "
		       "which keeps every function's logs for any number of "
		       "readers", st->root) :
	     kfaas__errno_msg(-errno, path);
	close(r->lock_fd);
	r->lock_fd = -1;
	return rc;
}

static int ring_map(struct kfaas_log_ring *r, bool consume)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(r->map_fd, &info, &len))
		return kfaas__errno_msg(-errno, "the log ring");
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    info.max_entries & (info.max_entries - 1))
		return kfaas_err(-EPROTO, "the pinned log ring is not a ring "
				 "buffer: remove the pin root and load again");
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	r->consumer = mmap(NULL, r->page, PROT_READ | (consume ? PROT_WRITE : 0),
			   MAP_SHARED, r->map_fd, 0);
	if (r->consumer == MAP_FAILED) {
		r->consumer = NULL;
		return kfaas__errno_msg(-errno, "cannot map the log ring");
	}
	r->producer = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED,
			   r->map_fd, (off_t)r->page);
	if (r->producer == MAP_FAILED) {
		r->producer = NULL;
		return kfaas__errno_msg(-errno, "cannot map the log ring");
	}
	r->data = (uint8_t *)r->producer + r->page;
	return 0;
}

void kfaas_log_ring_close(struct kfaas_log_ring *r)
{
	if (!r)
		return;
	if (r->producer)
		munmap(r->producer, r->page + 2 * r->size);
	if (r->consumer)
		munmap(r->consumer, r->page);
	if (r->map_fd >= 0)
		close(r->map_fd);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	free(r);
}

int kfaas_log_ring_open(struct kfaas_state *st, bool consume,
			struct kfaas_log_ring **out)
{
	struct kfaas_log_ring *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return kfaas_err(-ENOMEM, "out of memory");
	r->lock_fd = -1;
	r->map_fd = log_pin_open(st, "logs");
	rc = r->map_fd < 0 ? r->map_fd : 0;
	if (!rc && consume)
		rc = reader_lock(st, r);
	if (!rc)
		rc = ring_map(r, consume);
	if (rc) {
		kfaas_log_ring_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int kfaas_log_ring_fd(const struct kfaas_log_ring *r)
{
	return r->map_fd;
}

int kfaas_log_ring_read(struct kfaas_log_ring *r,
			int (*cb)(void *ctx, const struct kfaas_log_rec *rec),
			void *ctx, size_t *skipped)
{
	unsigned long cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE),
		      prod;
	bool consume = r->lock_fd >= 0;
	struct kfaas_log_rec rec;
	int n = 0, stop = 0;
	uint32_t len;

	while (!stop) {
		prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		len = __atomic_load_n((uint32_t *)(r->data + (cons & (r->size - 1))),
				      __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;		/* not committed yet: the rest waits */
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			if (len == sizeof(rec)) {
				memcpy(&rec, r->data + (cons & (r->size - 1)) +
				       BPF_RINGBUF_HDR_SZ, sizeof(rec));
				/*
				 * Only looking, a consumer may have freed the
				 * record and a producer reused its bytes.
				 */
				if (!consume &&
				    __atomic_load_n(r->producer, __ATOMIC_ACQUIRE) >
				    cons + r->size)
					break;
				n++;
				stop = cb(ctx, &rec);
			} else if (skipped) {
				(*skipped)++;
			}
		}
		len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
		if (consume)
			__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	}
	return n;
}

int kfaas_log_counters_read(struct kfaas_state *st, __u32 id,
			    struct kfaas_log_counters *c)
{
	struct kfaas_log_state *v;
	int fd, rc = 0, i;

	memset(c, 0, sizeof(*c));
	fd = log_pin_open(st, "log_state");
	if (fd < 0)
		return fd;
	v = calloc(st->ncpus, sizeof(*v));
	if (!v) {
		close(fd);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	if (bpf_map_lookup_elem(fd, &id, v)) {
		rc = kfaas__errno_msg(-errno, "cannot read the log counters");
	} else {
		for (i = 0; i < st->ncpus; i++) {
			c->records += v[i].records;
			c->dropped[KFAAS_LOG_DROP_RATE] += v[i].dropped_rate;
			c->dropped[KFAAS_LOG_DROP_RING] += v[i].dropped_ring;
		}
	}
	free(v);
	close(fd);
	return rc;
}

int kfaas_log_counters_reset(struct kfaas_state *st, __u32 id)
{
	struct kfaas_log_state *v;
	int fd, rc = 0;

	fd = kfaas__pin_open(st, "log_state");
	if (fd == -ENOENT)
		return 0;	/* a pin root without logs */
	if (fd < 0)
		return fd;
	v = calloc(st->ncpus, sizeof(*v));
	if (!v)
		rc = kfaas_err(-ENOMEM, "out of memory");
	else if (bpf_map_update_elem(fd, &id, v, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot reset the log counters");
	free(v);
	close(fd);
	return rc;
}

/* Report fn's drops since d last saw its counters. */
static int drops_one(struct kfaas_state *st, struct kfaas_log_drops *d,
		     const struct kfaas_fn_info *fn,
		     void (*cb)(void *ctx, const struct kfaas_log_entry *e),
		     void *ctx)
{
	struct kfaas_log_counters c, *seen = &d->seen[fn->id];
	struct kfaas_log_entry *e;
	int rc, i;

	rc = kfaas_log_counters_read(st, fn->id, &c);
	if (rc)
		return rc;
	if (d->load_time[fn->id] != fn->load_time) {
		/* another function, or reloaded: its counters started at 0 */
		memset(seen, 0, sizeof(*seen));
		d->load_time[fn->id] = fn->load_time;
	}
	for (i = 0; i < KFAAS_LOG_DROP_MAX; i++) {
		if (c.dropped[i] < seen->dropped[i])
			seen->dropped[i] = 0;	/* reset meanwhile */
		if (c.dropped[i] == seen->dropped[i])
			continue;
		e = calloc(1, sizeof(*e));
		if (!e)
			return kfaas_err(-ENOMEM, "out of memory");
		e->time_ns = kfaas_clock_ns(CLOCK_REALTIME);
		snprintf(e->fn, sizeof(e->fn), "%s", fn->name);
		e->tier = fn->tier;
		e->kind = KFAAS_LOG_DROPPED;
		e->reason = i;
		e->dropped = c.dropped[i] - seen->dropped[i];
		cb(ctx, e);
		free(e);
	}
	*seen = c;
	return 0;
}

int kfaas_log_drops_check(struct kfaas_state *st, struct kfaas_log_drops *d,
			  __u32 fn_id,
			  void (*cb)(void *ctx, const struct kfaas_log_entry *e),
			  void *ctx)
{
	struct kfaas_fn_info *fns;
	size_t n, i;
	int rc;

	rc = kfaas_fn_list(st, &fns, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		if (!kfaas__tier_ebpf(fns[i].tier) || fns[i].id >= KFAAS_MAX_FUNCS ||
		    (fn_id && fns[i].id != fn_id))
			continue;
		rc = drops_one(st, d, &fns[i], cb, ctx);
	}
	free(fns);
	return rc;
}
