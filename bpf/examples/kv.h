/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kv: a coherent in-kernel GET cache in front of memcached (BMC-style,
 * docs/kv.md).  Shared by the XDP function (kv.bpf.c), the server-side
 * hooks (kv_hooks.bpf.c), the tool (kv.c, kfaas-kv) and the tests.
 *
 *   - XDP answers memcached UDP "get KEY" from kv_cache when the entry is
 *     still valid; a miss takes a lease (kv_reqs) and goes up.
 *   - memcached's own UDP reply to that get fills the entry, on the
 *     server's egress, if the lease is still good.
 *   - every write memcached accepts (TCP and UDP, any interface or
 *     loopback) invalidates its key before memcached reads it, and holds
 *     the key against fills until memcached has answered past it.
 *
 * Validity is checked, never assumed: an entry is served only while its
 * slot's generation and the cache's epoch are the ones it was filled
 * under, and before its expiry.
 */
#ifndef KFAAS_EX_KV_H
#define KFAAS_EX_KV_H

#define KV_KEY_MAX	64	/* memcached allows 250; this cache: 64 */
/*
 * A hit's reply is the request plus at most 24 bytes plus the value: keep
 * that within the 192 bytes every XDP driver lets a frame grow
 * (KFAAS_GROW_FRONT_MAX, docs/sdk.md).
 */
#define KV_VALUE_MAX	160
#define KV_ENTRIES	65536	/* kv_cache: an LRU hash, the bound */
#define KV_SLOTS	65536	/* kv_slots: a power of two */
#define KV_REQS		16384	/* kv_reqs: UDP requests in flight */
#define KV_CONNS	65536	/* kv_conns: memcached TCP connections */
#define KV_UDP_HDR	8
/* header + "VALUE " key " " flags " " len "\r\n" data "\r\nEND\r\n" */
#define KV_REPLY_MAX	(KV_UDP_HDR + 6 + KV_KEY_MAX + 1 + 10 + 1 + 10 + 2 + \
			 KV_VALUE_MAX + 7)

#define KV_MC_KEY_MAX	250	/* memcached's KEY_MAX_LENGTH */
/* A request line kept whole: "cas" KEY flags exptime bytes cas noreply */
#define KV_LINE_MAX	512
#define KV_CMD_KEYS	8	/* keys of one gat/gats handled one by one */
#define KV_OUTSTANDING	256	/* commands of a connection not yet answered */
#define KV_HELD		16	/* writes of a connection held against fills */

#define KV_NS		1000000000ULL
/* Defaults of kv_conf (kfaas-kv attach --max-age). */
#define KV_MAX_AGE_NS	(10 * KV_NS)
/* A UDP write holds its key this long (no completion for noreply). */
#define KV_UDP_HOLD_NS	(2 * KV_NS)
/* An aborted connection's held keys stay held this long. */
#define KV_ABORT_HOLD_NS (2 * KV_NS)
/* memcached's clock ticks once a second: expiries are taken this early. */
#define KV_TTL_MARGIN_NS (2 * KV_NS)
#define KV_REALTIME_MAXDELTA 2592000	/* memcached: larger exptimes are absolute */

struct kv_key {
	char	key[KV_KEY_MAX];	/* zero padded */
};

/* A memcached request line kept whole (its "\n" excluded). */
struct kv_line {
	char	b[KV_LINE_MAX];
};

/* A cache entry (kv_cache's value; kvtcp's store uses len, flags, data). */
struct kv_value {
	__u32	len;
	__u32	flags;			/* memcached client flags */
	__u32	slot;			/* kv_slots index of the key */
	__u32	pad;
	__u64	gen;			/* the slot's generation at the fill */
	__u64	epoch;			/* kv_conf.epoch at the fill */
	__u64	expires;		/* bpf_ktime_get_ns() after which it is dead */
	char	data[KV_VALUE_MAX];
};

/*
 * Per key slot (hash of the key): a write bumps gen (entries and leases of
 * the slot die) and, until memcached has answered past it, holds the slot:
 * no fill while pend > 0 or before block_until.  TTL deadlines of writes
 * with an exptime bound the entries filled for this slot.
 */
struct kv_slot {
	__u64	gen;
	__u64	pend;			/* held by TCP writes in flight */
	__u64	block_until;		/* held by UDP writes, aborted connections */
	struct bpf_spin_lock lock;	/* block_until and the ttl_* fields */
	__u32	ttl_tag;		/* key tag of the one TTL'd key (!ttl_mixed) */
	__u64	ttl_min;		/* its early deadline; mixed: the earliest */
	__u64	ttl_live;		/* the record holds until (latest late one) */
	__u32	ttl_mixed;		/* several keys' TTLs */
	__u32	pad;
};

/* The cache as a whole (kv_conf[0]). */
struct kv_conf {
	__u64	epoch;			/* +1 at every whole-cache flush */
	__u64	pend_global;		/* connections holding every slot */
	__u64	deny_until;		/* no fill before (flush_all DELAY) */
	__u64	netns_cookie;		/* the hooks act in this network namespace */
	__u64	max_age_ns;		/* an entry lives at most this long */
	__u32	armed;			/* the hooks are attached */
	__u16	port;			/* memcached's port, host order */
	__u16	pad;
};

/*
 * Counters (a per-CPU array "xstats": 'kfaas stats kv' prints its fields
 * by name, docs/cli.md).
 */
struct kv_xstats {
	__u64	hits;			/* gets answered in XDP */
	__u64	misses;			/* gets passed up to memcached */
	__u64	fills;			/* entries filled from memcached's replies */
	__u64	fill_races;		/* fills refused: a write raced the get */
	__u64	invalidations;		/* keys invalidated by writes */
	__u64	flushes;		/* whole-cache invalidations (all causes) */
	__u64	conservative;		/* ... of them: a hook could not parse */
	__u64	expired;		/* entries found past max-age or TTL */
	__u64	lost_conns;		/* connections no longer parsed exactly */
};

/* A UDP request in flight, by client and memcached request id. */
struct kv_req_key {
	__u8	addr[16];		/* client address; IPv4 in the first 4 */
	__u16	port;			/* client port, network order */
	__u16	reqid;			/* memcached UDP request id, as sent */
	__u8	family;			/* 4 or 6 */
	__u8	pad[3];
};

#define KV_REQ_GET	1		/* a get's lease */
#define KV_REQ_WRITE	2		/* a write: bump its slot at its reply */

struct kv_req {
	__u64	gen;			/* GET: the slot's generation at the miss */
	__u64	epoch;			/* GET: the epoch at the miss */
	__u32	slot;
	__u8	kind;
	__u8	flush;			/* a write lost its record: flush at reply */
	__u8	klen;
	__u8	pad;
	struct kv_key key;		/* GET: the key asked for */
};

/* Reply shape of a command, as the egress parser expects it. */
#define KV_RS_LINE	1		/* exactly one line */
#define KV_RS_GET	2		/* VALUE blocks, then END (or an error) */
#define KV_RS_STATS	3		/* STAT/ITEM/PREFIX lines then END, or one line */
#define KV_RS_NONE	4		/* no reply (noreply, quit) */

/*
 * A write of a TCP connection, held against fills until memcached has
 * answered past it (kv_coherence.h).
 */
struct kv_held {
	__u32	cmd;			/* command number (1-based) */
	__u32	slot;			/* or every slot (flush_all) */
	__u32	tag;			/* the key's tag: kv_hash() >> 32 */
	__s32	exptime;		/* the write's TTL, 0 if none; flush_all: its delay */
	__u64	early;			/* the TTL's early deadline */
};

/* kv_conn.in_mode */
#define KV_IN_LINE	0		/* reading a command line */
#define KV_IN_DATA	1		/* skipping a data block */
#define KV_IN_LOST	2		/* framing lost: flush at every segment */

/*
 * A memcached TCP connection (kv_conns, by socket cookie).  Ingress
 * (sk_skb) and egress (sk_msg) both run under the socket's lock, so they
 * never overlap on one connection.
 */
struct kv_conn {
	__u32	line_len;		/* bytes of the current line in line[] */
	__u32	data_left;		/* KV_IN_DATA: bytes still to skip */
	__u8	in_mode;
	__u8	line_over;		/* the line outgrew line[] */
	__u8	out_lost;		/* reply counting lost */
	__u8	global;			/* holds kv_conf.pend_global */
	__u32	ncmd;			/* commands parsed */
	__u32	pos;			/* commands known answered */
	__u32	nheld;
	struct kv_held held[KV_HELD];
	/* egress: the reply stream */
	__u32	out_left;		/* bytes of a data block still to skip */
	__u32	out_col;		/* column in the current reply line */
	__u32	out_tok;		/* token index in the current reply line */
	__u32	out_num;		/* the VALUE/VA line's length token */
	__u8	out_unit;		/* inside a multi-line reply */
	__u8	out_numok;		/* out_num is a valid number */
	__u8	pad[2];
	char	out_pfx[16];		/* the reply line's start */
	__u8	kinds[KV_OUTSTANDING];	/* reply shape of command n at n % N */
	struct kv_line line;
};

/*
 * FNV-1a over the key: slot = hash % KV_SLOTS, tag = hash >> 32.  The
 * same in BPF and userspace (kfaas-kv set).
 */
static inline __u64 kv_hash(const char *key, __u32 len)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	for (i = 0; i < KV_KEY_MAX; i++) {
		if (i >= len)
			break;
		h ^= (__u8)key[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline __u32 kv_slot_of(__u64 h)
{
	return (__u32)(h & (KV_SLOTS - 1));
}

#endif
