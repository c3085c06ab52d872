// SPDX-License-Identifier: GPL-2.0
/*
 * Random ioctls on /dev/kfaas, checked against a model of the module (run
 * in the guest with kfaas.ko loaded and no function registered):
 *
 *   kmod_fuzz [-n COUNT] [-s SEED] [-f PERCENT]
 *
 * Each call has a random command (any number, size and direction, or one
 * of the module's with a valid or mutated argument: random and boundary
 * ids, limits, sizes, reserved fields), a random argument pointer (valid,
 * ending at an unmapped page, straddling it, read-only, NULL, low, in an
 * unmapped region, kernel, non-canonical, past the end of user space) and,
 * for batch reads, a random output array pointer and capacity.  The model
 * predicts the exact result of every call from the ABI (include/kfaas/
 * abi.h, docs/module.md): 0, -ENOTTY, -EINVAL, -EFAULT, or -EEXIST /
 * -ENOENT for a well-formed request on a missing or existing function.
 *
 * Every argument and output array is filled with a pattern (alternating
 * 0xa5 and 0x5a) before the call.  After a success, every byte the module
 * copies out, reserved fields included, must have its defined value, and
 * the bytes past the last batch entry must still hold the pattern; after
 * an error other than -EFAULT the module must not have written anything.
 * Every 1024 calls, and at the end, the model is compared with the whole
 * state (VERSION, a batch read of all counters, GET of the limits).
 *
 * -f PERCENT also makes that percentage of this task's slab and page
 * allocations fail (failslab, fail_page_alloc, task filter): then a call
 * that allocates may return -ENOMEM, and must leave the state unchanged.
 *
 * Commands the VFS answers itself before any driver sees them (FIOCLEX,
 * FIONBIO, FIFREEZE, FICLONE, ...) are not sent: they never reach kfaas.ko
 * and some would change the file descriptor.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kmod_guest.h"

#define NIDS		KFAAS_MOD_MAX_FUNCS
#define PAGE		4096UL
#define ENT_SZ		sizeof(struct kfaas_stats_entry)
#define ENT_PAGES	((KFAAS_IOC_BATCH_MAX * ENT_SZ + PAGE - 1) / PAGE)
#define NONE_SZ		(1UL << 20)
#define MAX_REPORTS	8

/* ---- the model ----------------------------------------------------------- */
static uint64_t reg_bits[NIDS / 64];
static struct kfaas_limits m_lim[NIDS];
static struct kfaas_stats m_st[NIDS];
static uint32_t m_count;

static bool m_reg(uint32_t id)
{
	return id < NIDS && (reg_bits[id / 64] >> (id % 64) & 1);
}

/* first registered id >= start, or 0 */
static uint32_t m_next(uint32_t start)
{
	uint32_t w;
	uint64_t bits;

	if (!start)
		start = 1;
	if (start >= NIDS)
		return 0;
	w = start / 64;
	bits = reg_bits[w] & (~0ULL << (start % 64));
	while (!bits) {
		if (++w == NIDS / 64)
			return 0;
		bits = reg_bits[w];
	}
	return w * 64 + (uint32_t)__builtin_ctzll(bits);
}

static void m_set(uint32_t id, bool on)
{
	if (on) {
		reg_bits[id / 64] |= 1ULL << (id % 64);
		m_count++;
	} else {
		reg_bits[id / 64] &= ~(1ULL << (id % 64));
		m_count--;
	}
}

static bool limits_ok(const struct kfaas_limits *l)
{
	if (l->rps > KFAAS_RATE_MAX || l->cpu_ns_per_sec > KFAAS_RATE_MAX ||
	    l->bytes_per_sec > KFAAS_RATE_MAX)
		return false;
	return !((!l->rps && l->rps_burst) ||
		 (!l->cpu_ns_per_sec && l->cpu_burst_ns) ||
		 (!l->bytes_per_sec && l->bytes_burst));
}

static bool limited(const struct kfaas_limits *l)
{
	return l->rps || l->cpu_ns_per_sec || l->bytes_per_sec;
}

static void stats_add(struct kfaas_stats *s, const struct kfaas_stats *d)
{
	s->invocations += d->invocations;
	s->throttled += d->throttled;
	s->passed += d->passed;
	s->drops += d->drops;
	s->errors += d->errors;
	s->bytes_in += d->bytes_in;
	s->bytes_out += d->bytes_out;
	s->cpu_ns += d->cpu_ns;
}

/* ---- random values ----------------------------------------------------- */
static uint32_t rand_id(void)
{
	switch (rnd(16)) {
	case 0:	 return 0;
	case 1:	 return NIDS - 1;
	case 2:	 return NIDS;
	case 3:	 return UINT32_MAX;
	case 4:	 return (uint32_t)rnd64();
	case 5:	 return 1 + rnd(NIDS - 1);
	default: return 1 + rnd(24);	/* a small pool: collisions */
	}
}

static uint64_t rand_u64(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 1000, KFAAS_RATE_MAX - 1, KFAAS_RATE_MAX,
		KFAAS_RATE_MAX + 1, 0xffffffffULL, 0x100000000ULL,
		1ULL << 55, (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX,
	};

	switch (rnd(4)) {
	case 0:	 return rnd64();
	case 1:	 return rnd(100000);
	default: return v[rnd(sizeof(v) / sizeof(v[0]))];
	}
}

static uint32_t rand_u32(void)
{
	static const uint32_t v[] = { 0, 1, 255, 256, 257, 65535, 65536,
				      0x7fffffff, 0x80000000, UINT32_MAX };

	return rnd(3) ? v[rnd(sizeof(v) / sizeof(v[0]))] : (uint32_t)rnd64();
}

/* a rate and its burst, mostly valid */
static void rand_bucket(__u64 *rate, __u64 *burst)
{
	*rate = rnd(3) ? 0 : rnd(4) ? rnd(1000000) + 1 : rand_u64();
	*burst = !*rate && rnd(8) ? 0 : rnd(2) ? 0 : rand_u64();
}

static void rand_limits(struct kfaas_limits *l)
{
	rand_bucket(&l->rps, &l->rps_burst);
	rand_bucket(&l->cpu_ns_per_sec, &l->cpu_burst_ns);
	rand_bucket(&l->bytes_per_sec, &l->bytes_burst);
}

/* ---- the memory the pointers point into ---------------------------------- */
static unsigned char *arg_page;		/* RW page, then an unmapped page */
static unsigned char *ro_page;		/* read-only view of ro_alias */
static unsigned char *ro_alias;		/* its writable view */
static unsigned char *ent_area;		/* RW pages for entries, then a hole */
static unsigned char *none_area;	/* PROT_NONE */

enum ptr_class {
	P_RW,		/* readable and writable */
	P_RO,		/* readable only */
	P_BAD,		/* neither (unmapped, partly unmapped, kernel, ...) */
};

static int setup_memory(void)
{
	int mfd = memfd_create("kfaas-fuzz", 0);

	arg_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ent_area = mmap(NULL, (ENT_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none_area = mmap(NULL, NONE_SZ, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mfd < 0 || ftruncate(mfd, PAGE) || arg_page == MAP_FAILED ||
	    ent_area == MAP_FAILED || none_area == MAP_FAILED)
		return -errno;
	ro_alias = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	if (ro_alias == MAP_FAILED || ro_page == MAP_FAILED ||
	    mprotect(arg_page + PAGE, PAGE, PROT_NONE) ||
	    mprotect(ent_area + ENT_PAGES * PAGE, PAGE, PROT_NONE))
		return -errno;
	/* no page fault (and so no allocation) in the middle of a call */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		return -errno;
	memset(arg_page, 0, PAGE);
	memset(ro_alias, 0, PAGE);
	memset(ent_area, 0, ENT_PAGES * PAGE);
	return 0;
}

/* A pointer that is not readable at all, or not for size bytes. */
static void *bad_pointer(size_t size, unsigned char *readable_end)
{
	switch (rnd(8)) {
	case 0:	 return NULL;
	case 1:	 return (void *)(uintptr_t)(1 + rnd(65535));
	case 2:	 return none_area + rnd(NONE_SZ);
	case 3:	 return (void *)(0xffff888000000000ULL + (rnd64() & 0xffffffffffULL));
	case 4:	 /* past the end of user space, or not canonical */
		return (void *)(uintptr_t)((rnd64() & 0x7fff000000000fffULL) |
					   0x0000800000000000ULL);
	case 5:	 return (void *)(uintptr_t)(0x7ffffffff000ULL - size / 2);
	case 6:	 return (void *)(uintptr_t)(rnd64() | 0x8000000000000000ULL);
	default: /* straddling the end of a mapping */
		return readable_end - 1 - rnd((unsigned int)(size > 1 ? size - 1 : 1));
	}
}

/* Where the argument goes: writes its bytes there and returns its class. */
static int place_arg(const void *arg, size_t size, void **ptr)
{
	unsigned int r = rnd(100);
	size_t off;

	if (size > PAGE)
		size = PAGE;
	if (r < 80) {		/* anywhere in the page, or right at its end */
		off = rnd(4) ? rnd((unsigned int)(PAGE - size + 1)) : PAGE - size;
		memcpy(arg_page + off, arg, size);
		*ptr = arg_page + off;
		return P_RW;
	}
	if (r < 88) {
		off = rnd((unsigned int)(PAGE - size + 1));
		memcpy(ro_alias + off, arg, size);
		*ptr = ro_page + off;
		return P_RO;
	}
	*ptr = bad_pointer(size, arg_page + PAGE);
	if ((unsigned char *)*ptr >= arg_page && (unsigned char *)*ptr < arg_page + PAGE)
		memcpy(*ptr, arg, arg_page + PAGE - (unsigned char *)*ptr);
	return P_BAD;
}

/* ---- one call -------------------------------------------------------------- */
static const unsigned int vfs_cmds[] = {
	FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIONREAD, FIFREEZE,
	FITHAW, FS_IOC_FIEMAP, FIGETBSZ, FIBMAP, FICLONE, FICLONERANGE,
	FIDEDUPERANGE, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR,
	FS_IOC_FSSETXATTR,
};

static const unsigned int kcmds[] = {
	KFAAS_IOC_VERSION, KFAAS_IOC_FN_REGISTER, KFAAS_IOC_FN_UNREGISTER,
	KFAAS_IOC_FN_SET_LIMITS, KFAAS_IOC_FN_GET, KFAAS_IOC_STATS_GET,
	KFAAS_IOC_STATS_BATCH, KFAAS_IOC_CHARGE, KFAAS_IOC_RESET,
};

static bool vfs_cmd(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < sizeof(vfs_cmds) / sizeof(vfs_cmds[0]); i++)
		if (cmd == vfs_cmds[i])
			return true;
	return false;
}

static unsigned int rand_size(unsigned int want)
{
	static const unsigned int v[] = { 0, 1, 4, 8, 16, 24, 32, 40, 64, 72,
					  80, 88, 127, 128, 4096, 0x3fff };

	switch (rnd(4)) {
	case 0:	 return rnd(0x4000);
	case 1:	 return want + rnd(17) - 8;
	default: return v[rnd(sizeof(v) / sizeof(v[0]))];
	}
}

/* A command: the module's, one near them, or any other. */
static unsigned int rand_cmd(void)
{
	unsigned int r = rnd(100), cmd, nr, type, dir;

	do {
		if (r < 70)
			return kcmds[rnd(9)];
		if (r < 85) {
			nr = rnd(4) ? rnd(12) : rnd(256);
			type = KFAAS_IOC_MAGIC;
		} else if (r < 95) {
			nr = rnd(256);
			type = rnd(256);
		} else {
			cmd = (unsigned int)rnd64();
			continue;
		}
		dir = rnd(4);
		cmd = _IOC(dir, type, nr, rand_size(rnd(2) ? 32 : 64) & 0x3fff);
	} while (vfs_cmd(cmd));
	return cmd;
}

/* A valid argument for a command, then maybe mutated. */
static void make_arg(unsigned int cmd, unsigned char *buf, size_t size)
{
	uint32_t *w = (uint32_t *)buf;	/* size, then the id at w[1] */
	unsigned int i, nmut;

	memset(buf, 0, size);
	switch (cmd) {
	case KFAAS_IOC_FN_REGISTER:
	case KFAAS_IOC_FN_SET_LIMITS:
		w[1] = rand_id();
		rand_limits(&((struct kfaas_ioc_fn *)buf)->limits);
		break;
	case KFAAS_IOC_FN_UNREGISTER:
	case KFAAS_IOC_FN_GET:
	case KFAAS_IOC_STATS_GET:
	case KFAAS_IOC_RESET:
		w[1] = rnd(8) ? rand_id() : 0;
		break;
	case KFAAS_IOC_STATS_BATCH: {
		struct kfaas_ioc_stats_batch *b = (void *)buf;

		b->start_id = rnd(2) ? rand_id() : rnd(30);
		b->max_entries = rnd(3) ? rnd(KFAAS_IOC_BATCH_MAX + 2) : rand_u32();
		break;
	}
	case KFAAS_IOC_CHARGE: {
		struct kfaas_ioc_charge *c = (void *)buf;
		uint64_t *d = (uint64_t *)&c->delta;

		c->id = rand_id();
		for (i = 0; i < 8; i++)
			d[i] = rnd(4) ? rnd(1000) : rand_u64();
		break;
	}
	default:
		break;
	}
	w[0] = (uint32_t)size;
	/* mutations: any 32- or 64-bit word to a boundary or random value */
	nmut = rnd(10) < 7 ? 0 : 1 + rnd(3);
	for (i = 0; i < nmut; i++) {
		unsigned int at = rnd((unsigned int)size / 4);

		if (rnd(2) && at % 2 == 0 && at * 4 + 8 <= size) {
			uint64_t v = rand_u64();

			memcpy(buf + at * 4, &v, 8);
		} else {
			w[at] = rand_u32();
		}
	}
}

struct expect {
	int rc;
	bool may_enomem;	/* the call allocates at this point */
	bool out;		/* the argument is written back (on success) */
	unsigned char arg[128];	/* ... with these bytes */
	uint32_t nent;		/* batch entries written */
};

static struct kfaas_stats_entry want_ents[KFAAS_IOC_BATCH_MAX];

/* What the module must answer, following its order of checks. */
static void predict(unsigned int cmd, const unsigned char *in, int cls,
		    int ecls, size_t ecap, struct expect *e)
{
	unsigned int nr = _IOC_NR(cmd);
	size_t size = _IOC_SIZE(cmd);
	uint32_t w0, id;

	memset(e, 0, sizeof(*e));
	if (_IOC_TYPE(cmd) != KFAAS_IOC_MAGIC || nr < 1 || nr > 9) {
		e->rc = -ENOTTY;
		return;
	}
	if (cmd != kcmds[nr - 1]) {
		e->rc = -EINVAL;
		return;
	}
	if (cls == P_BAD) {
		e->rc = -EFAULT;
		return;
	}
	memcpy(e->arg, in, size);
	memcpy(&w0, in, 4);
	memcpy(&id, in + 4, 4);
	if (w0 != size) {
		e->rc = -EINVAL;
		return;
	}
	switch (cmd) {
	case KFAAS_IOC_VERSION: {
		struct kfaas_ioc_version *v = (void *)e->arg;

		if (v->abi_version || v->max_funcs || v->nr_funcs ||
		    v->reserved[0] || v->reserved[1]) {
			e->rc = -EINVAL;
			return;
		}
		v->abi_version = KFAAS_IOC_ABI_VERSION;
		v->max_funcs = KFAAS_MOD_MAX_FUNCS;
		v->nr_funcs = m_count;
		e->out = true;
		break;
	}
	case KFAAS_IOC_FN_REGISTER:
	case KFAAS_IOC_FN_UNREGISTER:
	case KFAAS_IOC_FN_SET_LIMITS:
	case KFAAS_IOC_FN_GET: {
		struct kfaas_ioc_fn *f = (void *)e->arg;

		if (f->flags || f->reserved || !id || id >= NIDS) {
			e->rc = -EINVAL;
			return;
		}
		if (cmd == KFAAS_IOC_FN_REGISTER) {
			if (!limits_ok(&f->limits)) {
				e->rc = -EINVAL;
				return;
			}
			e->may_enomem = true;
			e->rc = m_reg(id) ? -EEXIST : 0;
		} else if (cmd == KFAAS_IOC_FN_SET_LIMITS) {
			if (!limits_ok(&f->limits)) {
				e->rc = -EINVAL;
				return;
			}
			e->may_enomem = limited(&f->limits);
			e->rc = m_reg(id) ? 0 : -ENOENT;
		} else if (cmd == KFAAS_IOC_FN_UNREGISTER) {
			e->rc = m_reg(id) ? 0 : -ENOENT;
		} else {
			e->rc = m_reg(id) ? 0 : -ENOENT;
			f->limits = m_lim[id];
			e->out = true;
		}
		break;
	}
	case KFAAS_IOC_STATS_GET: {
		struct kfaas_ioc_stats *s = (void *)e->arg;

		if (s->reserved || !id || id >= NIDS) {
			e->rc = -EINVAL;
			return;
		}
		e->rc = m_reg(id) ? 0 : -ENOENT;
		s->stats = m_st[id];
		e->out = true;
		break;
	}
	case KFAAS_IOC_STATS_BATCH: {
		struct kfaas_ioc_stats_batch *b = (void *)e->arg;
		uint32_t max, n = 0;

		if (b->reserved || b->count || b->next_id || b->start_id >= NIDS) {
			e->rc = -EINVAL;
			return;
		}
		e->may_enomem = true;
		max = b->max_entries < KFAAS_IOC_BATCH_MAX ? b->max_entries :
		      KFAAS_IOC_BATCH_MAX;
		id = m_next(b->start_id);
		while (id && n < max) {
			want_ents[n].id = id;
			want_ents[n].reserved = 0;
			want_ents[n].stats = m_st[id];
			n++;
			id = m_next(id + 1);
		}
		b->count = n;
		b->next_id = id;
		e->nent = n;
		e->out = true;
		if (n && (ecls != P_RW || n > ecap)) {
			e->rc = -EFAULT;	/* the entries cannot be written */
			return;
		}
		break;
	}
	case KFAAS_IOC_CHARGE: {
		struct kfaas_ioc_charge *c = (void *)e->arg;

		if (c->reserved || !id || id >= NIDS) {
			e->rc = -EINVAL;
			return;
		}
		e->rc = m_reg(id) ? 0 : -ENOENT;
		break;
	}
	default: {	/* RESET */
		struct kfaas_ioc_reset *r = (void *)e->arg;

		if (r->reserved || id >= NIDS) {
			e->rc = -EINVAL;
			return;
		}
		e->rc = !id || m_reg(id) ? 0 : -ENOENT;
		break;
	}
	}
	if (!e->rc && e->out && cls != P_RW)
		e->rc = -EFAULT;	/* the answer cannot be written */
}

/* The model after a call that succeeded. */
static void apply(unsigned int cmd, const unsigned char *in)
{
	const struct kfaas_ioc_fn *f = (const void *)in;
	uint32_t id;
	unsigned int i;

	memcpy(&id, in + 4, 4);
	switch (cmd) {
	case KFAAS_IOC_FN_REGISTER:
		m_set(id, true);
		m_lim[id] = f->limits;
		memset(&m_st[id], 0, sizeof(m_st[id]));
		break;
	case KFAAS_IOC_FN_UNREGISTER:
		m_set(id, false);
		memset(&m_lim[id], 0, sizeof(m_lim[id]));
		memset(&m_st[id], 0, sizeof(m_st[id]));
		break;
	case KFAAS_IOC_FN_SET_LIMITS:
		m_lim[id] = f->limits;
		break;
	case KFAAS_IOC_CHARGE:
		stats_add(&m_st[id], &((const struct kfaas_ioc_charge *)in)->delta);
		break;
	case KFAAS_IOC_RESET:
		if (id) {
			memset(&m_st[id], 0, sizeof(m_st[id]));
			break;
		}
		for (i = m_next(1); i; i = m_next(i + 1))
			memset(&m_st[i], 0, sizeof(m_st[i]));
		break;
	default:
		break;
	}
}

/* ---- the run --------------------------------------------------------------- */
static int dev;
static long calls, mismatches, by_rc[5], enomem;
static bool failslab;		/* a run with failing allocations */
static bool failing;		/* ... and they fail now */

/* A message: printed with this task's allocations not failing. */
static void note(const char *fmt, ...)
{
	va_list ap;

	if (failing)
		task_fail_set(0);
	va_start(ap, fmt);
	ktap_vprint_msg(fmt, ap);
	va_end(ap);
	if (failing)
		task_fail_set(1);
}

static void report(long n, unsigned int cmd, const void *ptr, const char *what,
		   int got, int want)
{
	if (++mismatches > MAX_REPORTS)
		return;
	note("call %ld: cmd %#x (nr %u size %u dir %u) arg %p: %s: got %d, "
	     "expected %d", n, cmd, _IOC_NR(cmd), _IOC_SIZE(cmd),
	     _IOC_DIR(cmd), ptr, what, got, want);
}

static void count_rc(int rc)
{
	switch (rc) {
	case 0:		by_rc[0]++; break;
	case -ENOTTY:	by_rc[1]++; break;
	case -EINVAL:	by_rc[2]++; break;
	case -EFAULT:	by_rc[3]++; break;
	default:	by_rc[4]++; break;
	}
}

static void one_call(long n)
{
	static unsigned char in[0x4000];
	unsigned char pat = n & 1 ? 0xa5 : 0x5a;
	unsigned int cmd = rand_cmd();
	size_t size = _IOC_SIZE(cmd), ecap = 0, cmp;
	int cls, ecls = P_BAD, rc;
	struct expect e;
	void *ptr, *eptr = NULL;

	if (size > sizeof(in))
		size = sizeof(in);
	memset(in, pat, size);
	if (_IOC_TYPE(cmd) == KFAAS_IOC_MAGIC && _IOC_NR(cmd) >= 1 &&
	    _IOC_NR(cmd) <= 9 && cmd == kcmds[_IOC_NR(cmd) - 1])
		make_arg(cmd, in, size);
	if (cmd == KFAAS_IOC_STATS_BATCH) {
		struct kfaas_ioc_stats_batch *b = (void *)in;
		unsigned char *end = ent_area + ENT_PAGES * PAGE;
		unsigned int r = rnd(100);

		memset(ent_area, pat, ENT_PAGES * PAGE);
		if (r < 85) {	/* ecap entries, right before an unmapped page */
			ecap = rnd(KFAAS_IOC_BATCH_MAX + 1);
			eptr = end - ecap * ENT_SZ;
			ecls = P_RW;
		} else if (r < 90) {
			eptr = ro_page;
			ecls = P_RO;
		} else if (r < 98) {
			eptr = bad_pointer(ENT_SZ, end);
		} else {	/* anything: practically never mapped */
			eptr = (void *)(uintptr_t)rnd64();
		}
		b->entries = (uint64_t)(uintptr_t)eptr;
	}
	cls = place_arg(in, size, &ptr);
	predict(cmd, in, cls, ecls, ecap, &e);
	rc = ioc(dev, cmd, ptr);
	count_rc(rc);
	calls++;
	if (rc == -ENOMEM && failslab && e.may_enomem) {
		enomem++;
		rc = e.rc = -ENOMEM;	/* allowed: nothing changed */
	}
	if (rc != e.rc) {
		report(n, cmd, ptr, "return value", rc, e.rc);
		if (!rc)
			apply(cmd, in);	/* keep following the module */
		return;
	}
	if (!rc)
		apply(cmd, in);
	if (cls != P_RW || rc == -EFAULT)
		return;
	/* the bytes the module wrote, or must not have written */
	cmp = size < PAGE ? size : PAGE;
	if (!rc && e.out) {
		if (memcmp(ptr, e.arg, cmp))
			report(n, cmd, ptr, "output bytes differ", 1, 0);
	} else if (memcmp(ptr, in, cmp)) {
		report(n, cmd, ptr, "argument written on error", 1, 0);
	}
	if (cmd == KFAAS_IOC_STATS_BATCH && ecls == P_RW) {
		const unsigned char *p = (const unsigned char *)
			(uintptr_t)((struct kfaas_ioc_stats_batch *)in)->entries;
		size_t done = rc ? 0 : e.nent * ENT_SZ, i;

		if (done && memcmp(p, want_ents, done))
			report(n, cmd, ptr, "batch entries differ", 1, 0);
		for (i = done; i < ecap * ENT_SZ; i++)
			if (p[i] != pat) {
				report(n, cmd, ptr, "written past the entries", (int)i, 0);
				break;
			}
	}
}

/* The whole state against the model; 0 or the number of differences. */
static int full_check(const char *when)
{
	static struct kfaas_stats_entry ents[KFAAS_IOC_BATCH_MAX];
	struct kfaas_ioc_version v;
	struct kfaas_ioc_stats_batch b;
	struct kfaas_ioc_fn f;
	uint32_t id = 1, seen = 0, want;
	int bad = 0, rc, i;

	do {
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		rc = ioc(dev, KFAAS_IOC_VERSION, &v);
	} while (rc == -ENOMEM && failslab);
	if (rc || v.nr_funcs != m_count) {
		note("%s: VERSION %d, %u functions, model %u", when, rc,
		     v.nr_funcs, m_count);
		bad++;
	}
	want = m_next(1);
	while (id) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.start_id = id;
		b.max_entries = KFAAS_IOC_BATCH_MAX;
		b.entries = (uint64_t)(uintptr_t)ents;
		rc = ioc(dev, KFAAS_IOC_STATS_BATCH, &b);
		if (rc == -ENOMEM && failslab)
			continue;
		if (rc) {
			note("%s: batch read: %d", when, rc);
			return bad + 1;
		}
		for (i = 0; i < (int)b.count; i++, seen++) {
			if (ents[i].id != want ||
			    memcmp(&ents[i].stats, &m_st[want], sizeof(m_st[0]))) {
				if (bad++ < MAX_REPORTS)
					note("%s: id %u (model: %u) counters "
					     "differ", when, ents[i].id, want);
			}
			want = m_next(want + 1);
		}
		id = b.next_id;
	}
	if (seen != m_count) {
		note("%s: %u functions read, model %u", when, seen, m_count);
		bad++;
	}
	for (id = m_next(1); id && id <= 24; id = m_next(id + 1)) {
		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.id = id;
		do
			rc = ioc(dev, KFAAS_IOC_FN_GET, &f);
		while (rc == -ENOMEM && failslab);
		if (rc || memcmp(&f.limits, &m_lim[id], sizeof(f.limits))) {
			if (bad++ < MAX_REPORTS)
				note("%s: limits of %u differ (%d)", when,
				     id, rc);
		}
	}
	return bad;
}

static void unregister_all(void)
{
	struct kfaas_ioc_fn f;
	uint32_t id;

	for (id = m_next(1); id; id = m_next(id + 1)) {
		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.id = id;
		if (!ioc(dev, KFAAS_IOC_FN_UNREGISTER, &f))
			m_set(id, false);
	}
}

#define CASES	4	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	unsigned long long seed = (unsigned long long)time(NULL) ^ getpid();
	long n = 100000, i;
	int percent = 0, opt, bad = 0, rc;
	struct kfaas_ioc_version v = { .size = sizeof(v) };
	double t0, t1;

	ktap_plan_query(argc, argv, CASES);
	while ((opt = getopt(argc, argv, "n:s:f:")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'f': percent = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: kmod_fuzz [-n COUNT] [-s SEED] [-f PERCENT]\n");
			return 2;
		}
	}
	ktap_print_header();
	if (percent && !fault_injection_available())
		ktap_exit_skip("this kernel has no fault injection (failslab, fail-nth)");
	ktap_set_plan(CASES);
	rng_seed(seed);
	ktap_print_msg("seed %llu (kmod_fuzz -s %llu reproduces the run), %ld calls%s",
		       seed, seed, n, percent ? ", failslab on" : "");
	dev = open(KFAAS_MOD_DEV, O_RDWR);
	rc = setup_memory();
	if (dev < 0 || rc || ioc(dev, KFAAS_IOC_VERSION, &v) || v.nr_funcs) {
		ktap_print_msg("needs /dev/kfaas with no function registered "
			       "(%s, %d functions)", strerror(dev < 0 ? errno : -rc),
			       v.nr_funcs);
		return KSFT_FAIL;
	}
	if (percent) {
		if (fault_injection_setup(percent) || task_fail_set(1)) {
			ktap_print_msg("cannot set up fault injection");
			return KSFT_FAIL;
		}
		failslab = failing = true;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		one_call(i);
		if ((i & 1023) == 1023)
			bad += full_check("check");
		if (bad > MAX_REPORTS)
			break;
	}
	t1 = now_s();
	bad += full_check("at the end");
	if (failslab) {
		rc = task_fail_set(0);
		failing = false;
		if (rc || fault_injection_setup(0)) {
			ktap_print_msg("cannot switch the failures off: %s",
				       strerror(rc ? -rc : errno));
			return KSFT_FAIL;
		}
	}
	ktap_print_msg("%ld calls in %.1f s (%.1f us each): %ld succeeded, "
		       "%ld -ENOTTY, %ld -EINVAL, %ld -EFAULT, %ld other "
		       "(-EEXIST, -ENOENT%s), %ld -ENOMEM injected; %u "
		       "functions registered", calls, t1 - t0,
		       (t1 - t0) * 1e6 / (calls ? calls : 1), by_rc[0], by_rc[1],
		       by_rc[2], by_rc[3], by_rc[4], failslab ? ", -ENOMEM" : "",
		       enomem, m_count);
	KTAP_EXPECT_EQ(mismatches, 0, "%ld random ioctls: every result as the ABI says", calls);
	KTAP_EXPECT_EQ(bad, 0, "the module's state matches the model after every 1024 calls");
	ktap_test_result(by_rc[0] && by_rc[1] && by_rc[2] && by_rc[3] &&
			 (!failslab || enomem),
			 "every outcome was exercised (success, -ENOTTY, -EINVAL, "
			 "-EFAULT%s)", failslab ? ", -ENOMEM" : "");
	unregister_all();
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	KTAP_EXPECT_EQ(ioc(dev, KFAAS_IOC_VERSION, &v) == 0 ? (long)v.nr_funcs : -1L, 0,
		       "every function unregistered again");
	close(dev);
	return ktap_finished();
}
