/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kv cache's coherence rules, shared by its write hooks
 * (kv_hooks.bpf.c).  docs/kv.md states the guarantee; in short:
 *
 *   write seen (before memcached reads it):  hold the key's slot, then
 *       bump its generation (entries and leases of the slot die) and drop
 *       the entry;
 *   memcached answered past the write:       bump the generation again
 *       (leases taken while held die), then release the hold;
 *   fill (memcached's reply to a leased get): only under the lease's
 *       epoch and generation, with nothing held, and within the TTL.
 *
 * Order matters and is kept with atomic read-modify-writes (full
 * barriers): a hold is visible before the generation moves, a release
 * after it moved again.
 */
#ifndef KFAAS_EX_KV_COHERENCE_H
#define KFAAS_EX_KV_COHERENCE_H

#include "kv_maps.h"
#include "kv_proto.h"

#define KV_SLOT_ALL	0xffffffffu	/* a hold on every slot (flush_all) */

/* Atomic add whose result is kept: the fetching (fully ordered) form. */
static __always_inline __u64 kv_add(__u64 *p, __s64 d)
{
	__u64 old = __sync_fetch_and_add(p, d);

	asm volatile("" : : "r"(old));
	return old;
}

#define KV_COUNT(field)							\
	do {								\
		__u32 _z = 0;						\
		struct kv_xstats *_x = bpf_map_lookup_elem(&xstats, &_z); \
		if (_x)							\
			__sync_fetch_and_add(&_x->field, 1);		\
	} while (0)

static __always_inline struct kv_conf *kv_conf_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kv_conf, &zero);
}

static __always_inline struct kv_slot *kv_slot_get(__u32 slot)
{
	slot &= KV_SLOTS - 1;
	return bpf_map_lookup_elem(&kv_slots, &slot);
}

/* Every entry and lease dies (a flush); conservative: a hook gave up. */
static __always_inline void kv_flush(int conservative)
{
	struct kv_conf *conf = kv_conf_get();

	if (!conf)
		return;
	kv_add(&conf->epoch, 1);
	KV_COUNT(flushes);
	if (conservative)
		KV_COUNT(conservative);
}

/* *p = max(*p, v), *p under a lock */
static __always_inline void kv_max(__u64 *p, __u64 v)
{
	if (*p < v)
		*p = v;
}

/* The same, *p shared without a lock. */
static __always_inline void kv_max_atomic(__u64 *p, __u64 v)
{
	__u64 old;
	int i;

	for (i = 0; i < 64; i++) {
		old = *p;
		if (old >= v ||
		    __sync_val_compare_and_swap(p, old, v) == old)
			return;
	}
}

/*
 * A write's exptime E (memcached: seconds, int32; beyond 30 days a Unix
 * time; negative: expired at once) as two deadlines in monotonic ns:
 *   early: memcached may expire the key from then on (entries filled for
 *          it live no longer), taken early by the margin of memcached's
 *          one-second clock;
 *   late:  memcached has expired it by then, if it applied the write
 *          (lag: how late it may apply it) - until then a reply with
 *          the key's value may be the TTL'd one.
 * CLOCK_TAI is UTC plus the leap-second offset, or UTC when nothing set
 * it: UTC lies in [TAI - 37 s, TAI], each bound used where it is safe.
 */
static __always_inline void kv_deadlines(__s64 e, __u64 now, __u64 lag,
					 __u64 *early, __u64 *late)
{
	__s64 rel_early = e < 0 ? 0 : e, rel_late = rel_early;

	if (e > KV_REALTIME_MAXDELTA) {
		__s64 tai = (__s64)(bpf_ktime_get_tai_ns() / KV_NS);

		rel_early = e - tai;
		rel_late = e - (tai - 37);
	}
	*early = now;
	if (rel_early > 0 && (__u64)rel_early * KV_NS > KV_TTL_MARGIN_NS)
		*early = now + (__u64)rel_early * KV_NS - KV_TTL_MARGIN_NS;
	*late = now + lag + KV_TTL_MARGIN_NS;
	if (rel_late > 0)
		*late += (__u64)rel_late * KV_NS;
}

/*
 * Record a write's TTL (deadlines early, late) in its slot, under the
 * slot's lock: entries filled for a key of the slot live no longer than
 * its early deadline.  One key's record is exact; several keys' make the
 * slot "mixed": entries then live no longer than the earliest deadline,
 * and none is filled from then until the latest late one.  'set' with
 * exptime 0 makes its key immortal again (the other commands may fail
 * and leave the old TTL).
 */
static __always_inline void kv_ttl_note(struct kv_slot *sl, __u32 tag,
					__u8 op, __s64 exptime, __u64 early,
					__u64 late, __u64 now)
{
	if (exptime == KV_EXP_NONE)
		return;
	if (exptime == 0) {
		if (op == KV_OP_SET && !sl->ttl_mixed && sl->ttl_tag == tag)
			sl->ttl_live = 0;
		return;
	}
	if (sl->ttl_live <= now) {
		sl->ttl_tag = tag;
		sl->ttl_min = early;
		sl->ttl_live = late;
		sl->ttl_mixed = 0;
	} else if (!sl->ttl_mixed && sl->ttl_tag == tag && op == KV_OP_SET) {
		sl->ttl_min = early;
		sl->ttl_live = late;
	} else {
		if (sl->ttl_tag != tag)
			sl->ttl_mixed = 1;
		if (early < sl->ttl_min)
			sl->ttl_min = early;
		kv_max(&sl->ttl_live, late);
	}
}

/*
 * The latest expiry an entry of key tag may have (under the slot's lock):
 * its TTL's early deadline, or ~0 for none; <= now: do not fill.
 */
static __always_inline __u64 kv_ttl_bound(struct kv_slot *sl, __u32 tag,
					  __u64 now)
{
	if (sl->ttl_live <= now)
		return ~0ULL;
	if (!sl->ttl_mixed)
		return sl->ttl_tag == tag ? sl->ttl_min : ~0ULL;
	return sl->ttl_min > now ? sl->ttl_min : 0;
}

/* kv_invalidate() modes: how the write holds its slot. */
#define KV_HOLD_NONE	0	/* held globally by the caller already */
#define KV_HOLD_PEND	1	/* slot.pend++: released when answered */
#define KV_HOLD_TIME	2	/* slot.block_until = now + KV_UDP_HOLD_NS */
#define KV_HAS_EXP	(1u << 16)	/* the command sets an exptime */

/* kv_invalidate()'s op_mode: the command's op, the mode, its exptime */
#define KV_OP_MODE(c, mode)						\
	((__u32)(c)->op | (__u32)(mode) << 8 |				\
	 ((c)->exptime != KV_EXP_NONE ? KV_HAS_EXP : 0))
#define KV_MODE(op_mode)	(((op_mode) >> 8) & 0xff)

/*
 * A write of the key at line[off, off + len): TTL recorded, slot held
 * (op_mode: KV_OP_MODE()), generation bumped, entry dropped.  w: in, the
 * write's exptime (if op_mode says it has one); out, what to release.
 * The slot, or -1 when no entry can exist for the key (longer than
 * KV_KEY_MAX).
 */
__attribute__((noinline))
int kv_invalidate(struct kv_line *line, __u32 off, __u32 len, __u32 op_mode,
		  struct kv_held *w)
{
	__u64 h, now, early = 0, late = 0;
	__s64 exptime;
	struct kv_key k = {};
	struct kv_slot *sl;
	__u32 i, slot;

	if (!line || !w || len == 0 || len > KV_KEY_MAX)
		return -1;
	exptime = op_mode & KV_HAS_EXP ? w->exptime : KV_EXP_NONE;
	for (i = 0; i < KV_KEY_MAX; i++) {
		if (i >= len)
			break;
		k.key[i] = line->b[(off + i) & (KV_LINE_MAX - 1)];
	}
	h = kv_hash(k.key, len);
	slot = kv_slot_of(h);
	sl = kv_slot_get(slot);
	if (!sl)
		return -1;
	now = bpf_ktime_get_ns();
	/* a held write's late deadline moves to its release (kv_release) */
	if (exptime != KV_EXP_NONE && exptime != 0)
		kv_deadlines(exptime, now, KV_MODE(op_mode) == KV_HOLD_TIME ?
			     KV_UDP_HOLD_NS : 0, &early, &late);
	bpf_spin_lock(&sl->lock);
	kv_ttl_note(sl, (__u32)(h >> 32), op_mode & 0xff, exptime, early, late,
		    now);
	if (KV_MODE(op_mode) == KV_HOLD_TIME)
		kv_max(&sl->block_until, now + KV_UDP_HOLD_NS);
	bpf_spin_unlock(&sl->lock);
	if (KV_MODE(op_mode) == KV_HOLD_PEND)
		kv_add(&sl->pend, 1);
	kv_add(&sl->gen, 1);
	bpf_map_delete_elem(&kv_cache, &k);
	KV_COUNT(invalidations);
	w->slot = slot;
	w->tag = (__u32)(h >> 32);
	w->exptime = exptime == KV_EXP_NONE ? 0 : (__s32)exptime;
	w->early = early;
	return (int)slot;
}


/*
 * memcached answered past a held write w: bump again (leases taken while
 * it was held die), then release.  A TTL's late deadline counts from now
 * (memcached applied the write by now).  aborted: the connection was
 * reset, memcached may still act on what it had read: keep the key from
 * fills a while longer.
 */
static __always_inline void kv_release(const struct kv_held *w, int aborted)
{
	__u64 now, early, late = 0;
	struct kv_conf *conf;
	struct kv_slot *sl;

	if (w->slot == KV_SLOT_ALL) {
		conf = kv_conf_get();
		if (!conf)
			return;
		if (aborted)
			kv_max_atomic(&conf->deny_until, bpf_ktime_get_ns() +
				      KV_ABORT_HOLD_NS);
		kv_add(&conf->epoch, 1);
		kv_add(&conf->pend_global, -1);
		return;
	}
	sl = kv_slot_get(w->slot);
	if (!sl)
		return;
	now = bpf_ktime_get_ns();
	if (w->exptime)
		kv_deadlines(w->exptime, now, aborted ? KV_ABORT_HOLD_NS : 0,
			     &early, &late);
	bpf_spin_lock(&sl->lock);
	if (aborted)
		kv_max(&sl->block_until, now + KV_ABORT_HOLD_NS);
	/* merged, never replaced: the early deadline stays the ingress one */
	if (w->exptime)
		kv_ttl_note(sl, w->tag, KV_OP_STORE, w->exptime, w->early, late,
			    now);
	bpf_spin_unlock(&sl->lock);
	kv_add(&sl->gen, 1);
	kv_add(&sl->pend, -1);
}

/* A UDP write was answered: leases taken since it came in die. */
static __always_inline void kv_bump(__u32 slot)
{
	struct kv_slot *sl = kv_slot_get(slot);

	if (sl)
		kv_add(&sl->gen, 1);
}

/* A whole-cache write (flush_all [DELAY]): no fill until it has passed. */
static __always_inline void kv_flush_all(__s64 delay)
{
	struct kv_conf *conf = kv_conf_get();
	__u64 early, late;

	if (conf && delay > 0) {
		kv_deadlines(delay, bpf_ktime_get_ns(), 0, &early, &late);
		kv_max_atomic(&conf->deny_until, late);
	}
	kv_flush(0);
}

#endif
