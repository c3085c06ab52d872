// SPDX-License-Identifier: GPL-2.0
/*
 * kv's server-side hooks: everything that keeps the XDP cache (kv.bpf.c)
 * coherent with memcached.  Loaded and attached by 'kfaas-kv attach'
 * (kv.c), on the maps the function pinned; design and guarantee in
 * docs/kv.md, the rules in kv_coherence.h.
 *
 *   kv_sockops    cgroup sock_ops: every TCP connection memcached accepts
 *                 (its port, this network namespace) goes into kv_socks
 *                 and gets a kv_conn; its close releases what it held.
 *   kv_tcp_in     sk_skb verdict on kv_socks: the request stream, in
 *                 order, as memcached will read it: writes invalidate and
 *                 hold their keys.
 *   kv_tcp_out    sk_msg on kv_socks: memcached's replies, counted, tell
 *                 which commands it has done: their holds are released.
 *   kv_udp_in     cgroup skb ingress: UDP requests at memcached's socket
 *                 (whichever interface, loopback too): writes.
 *   kv_udp_out    cgroup skb egress: memcached's UDP replies: a leased
 *                 get's value fills the cache; a write's reply bumps its
 *                 key again.
 *   kv_iter_unseen  tcp iterator: connections opened before the hooks
 *                 (attach refuses them).
 *
 * All of them only watch: every packet and message passes unchanged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "kfaas_parse.h"
#include "kv_coherence.h"

char _license[] SEC("license") = "GPL";

/* memcached's TCP connections, by socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KV_CONNS);
	__type(key, __u64);
	__type(value, struct kv_conn);
} kv_conns SEC(".maps");

/* The same sockets: kv_tcp_in and kv_tcp_out are attached to this map. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, KV_CONNS);
	__type(key, __u64);
	__type(value, __u64);
} kv_socks SEC(".maps");

/* Each socket's cookie, for sk_msg, which cannot ask for it. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} kv_sk SEC(".maps");

/* A zeroed kv_conn to start a connection from (never written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_conn);
} kv_conn_zero SEC(".maps");

/* The request line of a UDP datagram (kv_udp_in runs in softirq only). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kv_line);
} kv_udp_line SEC(".maps");

#define KV_CHUNK	64

/* A bound between 1 and KV_CHUNK the verifier can see. */
static __always_inline __u32 kv_chunk(__u32 left)
{
	if (left > KV_CHUNK)
		left = KV_CHUNK;
	return ((left - 1) & (KV_CHUNK - 1)) + 1;
}

/* Something went wrong badly enough that coherence cannot be kept. */
static __always_inline void kv_disarm(struct kv_conf *conf)
{
	conf->armed = 0;
	kv_flush(1);
	KV_COUNT(lost_conns);
}

/* ---- connections: holds ---------------------------------------------- */

/* From now on the connection holds every slot, until it closes. */
static __always_inline void kv_hold_global(struct kv_conn *c)
{
	struct kv_conf *conf = kv_conf_get();

	if (c->global || !conf)
		return;
	c->global = 1;
	kv_add(&conf->pend_global, 1);
}

/* Replies are no longer counted: what is held stays held until close. */
static __always_inline void kv_lose_out(struct kv_conn *c)
{
	if (!c->out_lost)
		KV_COUNT(lost_conns);
	c->out_lost = 1;
}

/* Framing lost: every segment flushes, every slot held, until close. */
static __always_inline void kv_lose(struct kv_conn *c)
{
	kv_lose_out(c);
	kv_hold_global(c);
	c->in_mode = KV_IN_LOST;
	kv_flush(1);
}

/* Release held[i]: its write is done (or the connection is gone). */
static __always_inline void kv_held_release(struct kv_conn *c, __u32 i,
					    int aborted)
{
	struct kv_held *w = &c->held[i & (KV_HELD - 1)];

	kv_release(w, aborted);
	if (w->slot == KV_SLOT_ALL)
		kv_flush_all(w->exptime);
}

/* Release the holds of every command memcached has answered past. */
__attribute__((noinline))
int kv_retire(struct kv_conn *c)
{
	__u32 i, j = 0;

	if (!c)
		return 0;
	for (i = 0; i < KV_HELD; i++) {
		if (i >= c->nheld)
			break;
		if (c->held[i].cmd <= c->pos) {
			kv_held_release(c, i, 0);
			continue;
		}
		if (j != i)
			c->held[j & (KV_HELD - 1)] = c->held[i];
		j++;
	}
	c->nheld = j;
	return 0;
}

/* The connection is closed: release everything it holds. */
__attribute__((noinline))
int kv_conn_end(struct kv_conn *c, int aborted)
{
	__u32 i;

	if (!c)
		return 0;
	for (i = 0; i < KV_HELD; i++) {
		if (i >= c->nheld)
			break;
		kv_held_release(c, i, aborted);
	}
	c->nheld = 0;
	if (c->global) {
		struct kv_held all = { .slot = KV_SLOT_ALL };

		c->global = 0;
		kv_release(&all, aborted);
	}
	return 0;
}

/* ---- TCP requests (kv_tcp_in) ------------------------------------------ */

/*
 * One parsed command of connection c (number n): its keys invalidated and
 * held, its reply shape queued, its data block to skip.
 */
static __always_inline void kv_conn_cmd(struct kv_conn *c, struct kv_cmd *cmd,
					__u32 n)
{
	struct kv_conf *conf;
	struct kv_held *w;
	__u32 i, mode;
	int slot;

	if (cmd->lost) {
		kv_lose(c);
		return;
	}
	if (cmd->flush)
		kv_flush(1);
	if (cmd->lose_out)
		kv_lose_out(c);
	for (i = 0; i < KV_CMD_KEYS; i++) {
		if (i >= cmd->nkeys)
			break;
		if (!c->global && c->nheld >= KV_HELD)
			kv_hold_global(c);
		mode = c->global ? KV_HOLD_NONE : KV_HOLD_PEND;
		w = &c->held[c->nheld & (KV_HELD - 1)];
		w->exptime = (__s32)cmd->exptime;
		slot = kv_invalidate(&c->line, cmd->koff[i], cmd->klen[i],
				     KV_OP_MODE(cmd, mode), w);
		/* slot < 0: no entry can exist for the key, nothing held */
		if (slot >= 0 && mode == KV_HOLD_PEND) {
			w->cmd = n;
			c->nheld++;
		}
	}
	if (cmd->op == KV_OP_FLUSH) {
		if (!c->global && c->nheld >= KV_HELD)
			kv_hold_global(c);
		conf = kv_conf_get();
		if (!c->global && conf) {
			kv_add(&conf->pend_global, 1);
			w = &c->held[c->nheld & (KV_HELD - 1)];
			w->cmd = n;
			w->slot = KV_SLOT_ALL;
			w->exptime = (__s32)cmd->exptime;
			c->nheld++;
		}
		kv_flush_all(cmd->exptime);
	}
	if (!c->out_lost) {
		if (n - c->pos >= KV_OUTSTANDING)
			kv_lose_out(c);
		else
			c->kinds[n & (KV_OUTSTANDING - 1)] = cmd->shape;
	}
	if (cmd->bytes) {
		c->in_mode = KV_IN_DATA;
		c->data_left = cmd->bytes;
	}
}

/* A request line of connection c is complete (line[0, line_len)). */
__attribute__((noinline))
int kv_conn_line(struct kv_conn *c)
{
	struct kv_toks t;
	struct kv_cmd cmd;
	__u32 len, n;

	if (!c)
		return 0;
	len = c->line_len;
	c->line_len = 0;
	n = ++c->ncmd;
	if (len > KV_LINE_MAX || kv_tokenize(&c->line, len, &t) ||
	    kv_classify(&c->line, &t, &cmd)) {
		kv_lose(c);
		return 0;
	}
	if (c->line_over) {
		/* memcached takes long lines only for multi-gets */
		c->line_over = 0;
		if (!KV_TOK_IS(&c->line, &t, 0, "get") &&
		    !KV_TOK_IS(&c->line, &t, 0, "gets")) {
			kv_lose(c);
			return 0;
		}
		__builtin_memset(&cmd, 0, sizeof(cmd));
		cmd.shape = KV_RS_GET;
	}
	kv_conn_cmd(c, &cmd, n);
	return 0;
}

/* A walk over one segment or message of a connection (bpf_loop). */
struct kv_walk {
	union {
		struct __sk_buff *skb;	/* kv_tcp_in */
		struct sk_msg_md *msg;	/* kv_tcp_out */
	};
	struct kv_conn	*c;
	__u32		off;
	__u32		len;
};

/* One step over a request segment: skip data, or scan a chunk of a line. */
static long kv_in_step(__u32 i, void *arg)
{
	struct kv_walk *in = arg;
	struct kv_conn *c = in->c;
	__u8 buf[KV_CHUNK];
	__u32 n, j, left;

	if (in->off >= in->len || c->in_mode == KV_IN_LOST)
		return 1;
	left = in->len - in->off;
	if (c->in_mode == KV_IN_DATA) {
		n = c->data_left < left ? c->data_left : left;
		in->off += n;
		c->data_left -= n;
		if (c->data_left == 0)
			c->in_mode = KV_IN_LINE;
		return 0;
	}
	n = kv_chunk(left);
	if (bpf_skb_load_bytes(in->skb, in->off, buf, n)) {
		kv_lose(c);
		return 1;
	}
	for (j = 0; j < KV_CHUNK; j++) {
		__u8 ch;

		if (j >= n)
			break;
		ch = buf[j];
		/* memcached speaks binary to a connection starting with 0x80 */
		if (ch == 0x80 && c->ncmd == 0 && c->line_len == 0 &&
		    !c->line_over) {
			kv_lose(c);
			return 1;
		}
		if (ch == '\n') {
			in->off += j + 1;
			kv_conn_line(c);
			return 0;
		}
		if (c->line_len < KV_LINE_MAX)
			c->line.b[c->line_len++ & (KV_LINE_MAX - 1)] = ch;
		else
			c->line_over = 1;
	}
	in->off += n;
	return 0;
}

SEC("sk_skb/stream_verdict")
int kv_tcp_in(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct kv_walk in = { .skb = skb, .off = 0, .len = skb->len };

	in.c = bpf_map_lookup_elem(&kv_conns, &cookie);
	if (!in.c) {
		kv_flush(1);		/* a tracked socket without state */
		return SK_PASS;
	}
	if (in.c->in_mode == KV_IN_LOST) {
		kv_flush(1);
		return SK_PASS;
	}
	/* each step consumes at least one byte or one data block */
	bpf_loop(in.len + 1, kv_in_step, &in, 0);
	if (in.off < in.len && in.c->in_mode != KV_IN_LOST)
		kv_lose(in.c);
	return SK_PASS;
}

/* ---- TCP replies (kv_tcp_out) ------------------------------------------ */

#define KV_RL_OTHER	0	/* a one-line reply */
#define KV_RL_VALUE	1	/* VALUE KEY FLAGS BYTES [CAS]: a data block follows */
#define KV_RL_END	2
#define KV_RL_CONT	3	/* STAT / ITEM / PREFIX: more lines follow */
#define KV_RL_ERROR	4	/* ERROR, CLIENT_ERROR, SERVER_ERROR */

static __always_inline int kv_pfx(const struct kv_conn *c, const char *s,
				  __u32 n)
{
	__u32 j;

	if (c->out_col < n)
		return 0;
	for (j = 0; j < n && j < sizeof(c->out_pfx); j++)
		if (c->out_pfx[j] != s[j])
			return 0;
	return 1;
}

#define KV_PFX(c, lit)	kv_pfx(c, lit, sizeof(lit) - 1)

static __always_inline int kv_reply_kind(const struct kv_conn *c)
{
	if (KV_PFX(c, "VALUE "))
		return KV_RL_VALUE;
	if ((c->out_col == 3 && KV_PFX(c, "END")) ||
	    (c->out_col == 4 && KV_PFX(c, "END\r")))
		return KV_RL_END;
	if (KV_PFX(c, "STAT ") || KV_PFX(c, "ITEM ") || KV_PFX(c, "PREFIX "))
		return KV_RL_CONT;
	if (KV_PFX(c, "ERROR") || KV_PFX(c, "CLIENT_ERROR") ||
	    KV_PFX(c, "SERVER_ERROR"))
		return KV_RL_ERROR;
	return KV_RL_OTHER;
}

/*
 * A reply line of connection c is complete.  A reply that starts belongs
 * to the next command not sent with noreply (classic commands with
 * noreply never answer, not even errors); its shape tells how many lines
 * it has.  Anything unexpected: counting stops (holds stay until close).
 */
__attribute__((noinline))
int kv_conn_reply(struct kv_conn *c)
{
	__u32 i, kind, shape = KV_RS_NONE;

	if (!c)
		return 0;
	kind = kv_reply_kind(c);
	if (kind == KV_RL_VALUE) {
		if (c->out_tok < 3 || !c->out_numok)
			goto lose;
		c->out_left = c->out_num + 2;
	}
	c->out_col = 0;
	c->out_tok = 0;
	c->out_num = 0;
	c->out_numok = 0;
	if (c->out_unit) {
		/* inside a GET or STATS reply */
		if (kind == KV_RL_END || kind == KV_RL_ERROR)
			c->out_unit = 0;
		else if ((c->out_unit == KV_RS_GET && kind != KV_RL_VALUE) ||
			 (c->out_unit == KV_RS_STATS && kind != KV_RL_CONT))
			goto lose;
		return 0;
	}
	/* a new reply: the next command that answers */
	for (i = 0; i < KV_OUTSTANDING; i++) {
		if (c->pos >= c->ncmd)
			goto lose;	/* nothing asked this */
		shape = c->kinds[(c->pos + 1) & (KV_OUTSTANDING - 1)];
		c->pos++;
		if (shape != KV_RS_NONE)
			break;
	}
	if (shape == KV_RS_NONE)
		goto lose;
	if (shape == KV_RS_GET) {
		if (kind == KV_RL_VALUE)
			c->out_unit = KV_RS_GET;
		else if (kind != KV_RL_END && kind != KV_RL_ERROR)
			goto lose;
	} else if (shape == KV_RS_STATS) {
		if (kind == KV_RL_CONT)
			c->out_unit = KV_RS_STATS;
		else if (kind == KV_RL_VALUE)
			goto lose;
	} else if (kind == KV_RL_VALUE || kind == KV_RL_CONT) {
		goto lose;
	}
	return 0;
lose:
	c->out_left = 0;
	kv_lose_out(c);
	return 0;
}

/* One byte of a reply line: its start, its tokens, the length token. */
static __always_inline void kv_reply_byte(struct kv_conn *c, __u8 ch)
{
	if (c->out_col < sizeof(c->out_pfx))
		c->out_pfx[c->out_col & (sizeof(c->out_pfx) - 1)] = ch;
	if (c->out_col < 0xffff)
		c->out_col++;
	if (ch == ' ') {
		c->out_tok++;
		if (c->out_tok == 3) {		/* VALUE KEY FLAGS >BYTES< */
			c->out_num = 0;
			c->out_numok = 1;
		}
		if (c->out_tok == 4)
			c->out_numok = c->out_numok && c->out_num <= KV_NS;
	} else if (c->out_tok == 3 && ch != '\r') {
		if (ch < '0' || ch > '9' || c->out_num > KV_NS)
			c->out_numok = 0;
		else
			c->out_num = c->out_num * 10 + (ch - '0');
	}
}

/* One step over a reply message: skip data, or scan a chunk of a line. */
static long kv_out_step(__u32 i, void *arg)
{
	struct kv_walk *o = arg;
	struct kv_conn *c = o->c;
	__u32 n, j, left;
	__u8 *data, *end;

	if (o->off >= o->len || c->out_lost)
		return 1;
	left = o->len - o->off;
	if (c->out_left) {
		n = c->out_left < left ? c->out_left : left;
		o->off += n;
		c->out_left -= n;
		return 0;
	}
	n = kv_chunk(left);
	if (bpf_msg_pull_data(o->msg, o->off, o->off + n, 0)) {
		kv_lose_out(c);
		return 1;
	}
	data = (__u8 *)(long)o->msg->data;
	end = (__u8 *)(long)o->msg->data_end;
	for (j = 0; j < KV_CHUNK; j++) {
		__u8 ch;

		if (j >= n || data + j + 1 > end)
			break;
		ch = data[j];
		if (ch == '\n') {
			o->off += j + 1;
			kv_conn_reply(c);
			return 0;
		}
		kv_reply_byte(c, ch);
	}
	if (j < n) {
		kv_lose_out(c);		/* the pull gave less than asked */
		return 1;
	}
	o->off += n;
	return 0;
}

SEC("sk_msg")
int kv_tcp_out(struct sk_msg_md *msg)
{
	struct kv_walk o = { .msg = msg, .off = 0, .len = msg->size };
	struct bpf_sock *sk = msg->sk;
	__u64 *cookie;

	if (!sk)
		return SK_PASS;
	cookie = bpf_sk_storage_get(&kv_sk, sk, 0, 0);
	if (!cookie)
		return SK_PASS;
	o.c = bpf_map_lookup_elem(&kv_conns, cookie);
	if (!o.c || o.c->out_lost)
		return SK_PASS;
	bpf_loop(o.len + 1, kv_out_step, &o, 0);
	kv_retire(o.c);
	return SK_PASS;
}

/* ---- connections: open and close (kv_sockops) -------------------------- */

static __always_inline void kv_conn_start(struct bpf_sock_ops *ops,
					  struct kv_conf *conf)
{
	__u64 cookie = bpf_get_socket_cookie(ops);
	struct bpf_sock *sk = ops->sk;
	struct kv_conn *zero;
	__u32 z = 0;
	__u64 *ck;

	zero = bpf_map_lookup_elem(&kv_conn_zero, &z);
	if (!zero || !sk ||
	    bpf_map_update_elem(&kv_conns, &cookie, zero, BPF_NOEXIST)) {
		kv_disarm(conf);
		return;
	}
	ck = bpf_sk_storage_get(&kv_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!ck) {
		bpf_map_delete_elem(&kv_conns, &cookie);
		kv_disarm(conf);
		return;
	}
	*ck = cookie;
	if (bpf_sock_hash_update(ops, &kv_socks, &cookie, BPF_NOEXIST)) {
		bpf_map_delete_elem(&kv_conns, &cookie);
		kv_disarm(conf);
		return;
	}
	bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG);
}

SEC("sockops")
int kv_sockops(struct bpf_sock_ops *ops)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_conn *c;
	__u64 cookie;
	__u32 old;

	if (!conf)
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (conf->armed && ops->local_port == conf->port &&
		    bpf_get_netns_cookie(ops) == conf->netns_cookie)
			kv_conn_start(ops, conf);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (ops->args[1] != BPF_TCP_CLOSE)
			break;
		cookie = bpf_get_socket_cookie(ops);
		c = bpf_map_lookup_elem(&kv_conns, &cookie);
		if (!c)
			break;
		/* reset: memcached may still act on what it has read */
		old = ops->args[0];
		kv_conn_end(c, old == BPF_TCP_ESTABLISHED ||
			       old == BPF_TCP_CLOSE_WAIT ||
			       old == BPF_TCP_SYN_RECV);
		bpf_map_delete_elem(&kv_conns, &cookie);
		break;
	}
	return 1;
}

/* ---- UDP (kv_udp_in, kv_udp_out) --------------------------------------- */

struct kv_udp {
	__u32	off;		/* memcached's 8-byte frame header */
	__u32	len;		/* from there to the end of the datagram */
	__u8	family;
	__u8	addr[16];	/* the client's */
	__be16	port;		/* the client's */
};

/*
 * A datagram of memcached's UDP socket (skb at the network header), src:
 * the client is the source (a request) or the destination (a reply).
 * 0 when it is one, with its payload and client.
 */
static __always_inline int kv_udp_parse(struct __sk_buff *skb,
					struct kv_conf *conf, int src,
					struct kv_udp *u)
{
	struct bpf_sock *sk = skb->sk;
	struct udphdr uh;
	__u8 vihl;
	__u32 l4;

	if (!conf->armed || !sk)
		return -1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != KFAAS_IPPROTO_UDP ||
	    sk->src_port != conf->port ||
	    bpf_get_netns_cookie(skb) != conf->netns_cookie)
		return -1;
	if (bpf_skb_load_bytes(skb, 0, &vihl, 1))
		return -1;
	if ((vihl >> 4) == 4) {
		u->family = 4;
		l4 = (vihl & 0xf) * 4;
		if (bpf_skb_load_bytes(skb, src ? 12 : 16, u->addr, 4))
			return -1;
	} else if ((vihl >> 4) == 6) {
		__u8 nh;

		u->family = 6;
		l4 = 40;
		if (bpf_skb_load_bytes(skb, 6, &nh, 1) ||
		    bpf_skb_load_bytes(skb, src ? 8 : 24, u->addr, 16))
			return -1;
		if (nh != KFAAS_IPPROTO_UDP)
			return -2;	/* extension headers: not parsed */
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh)) ||
	    bpf_ntohs(uh.len) < sizeof(uh) ||
	    l4 + bpf_ntohs(uh.len) > skb->len)
		return -2;
	u->port = src ? uh.source : uh.dest;
	u->off = l4 + sizeof(uh);
	u->len = bpf_ntohs(uh.len) - sizeof(uh);
	return 0;
}

static __always_inline void kv_req_key_of(const struct kv_udp *u, __u16 reqid,
					  struct kv_req_key *rk)
{
	__builtin_memcpy(rk->addr, u->addr, sizeof(rk->addr));
	rk->port = u->port;
	rk->reqid = reqid;
	rk->family = u->family;
}

/* No fill for a while: a UDP request this hook could not follow. */
static __always_inline void kv_udp_giveup(struct kv_conf *conf)
{
	kv_max_atomic(&conf->deny_until, bpf_ktime_get_ns() + KV_UDP_HOLD_NS);
	kv_flush(1);
}

/*
 * Copy the first line of the request at off (len bytes) into line: its
 * length, or -1 if it has no end within KV_LINE_MAX bytes.
 */
__attribute__((noinline))
int kv_udp_line_of(struct __sk_buff *skb, __u32 off, __u32 len,
		   struct kv_line *line)
{
	__u32 i, j, n;
	__u8 buf[KV_CHUNK];

	if (!skb || !line)
		return -1;
	for (i = 0; i < KV_LINE_MAX / KV_CHUNK; i++) {
		if (i * KV_CHUNK >= len)
			return -1;
		n = kv_chunk(len - i * KV_CHUNK);
		if (bpf_skb_load_bytes(skb, off + i * KV_CHUNK, buf, n))
			return -1;
		for (j = 0; j < KV_CHUNK; j++) {
			if (j >= n)
				break;
			if (buf[j] == '\n')
				return i * KV_CHUNK + j;
			line->b[(i * KV_CHUNK + j) & (KV_LINE_MAX - 1)] = buf[j];
		}
	}
	return -1;
}

/*
 * A UDP write that memcached will answer: recorded by client, port and
 * request id, so that its reply bumps the key (slot) again, or flushes.
 */
__attribute__((noinline))
int kv_udp_record(struct kv_udp *u, __u32 reqid, __u32 slot)
{
	struct kv_req r = { .kind = KV_REQ_WRITE, .slot = slot }, *old;
	struct kv_conf *conf = kv_conf_get();
	struct kv_req_key rk = {};

	if (!u || !conf)
		return 0;
	kv_req_key_of(u, (__u16)reqid, &rk);
	old = bpf_map_lookup_elem(&kv_reqs, &rk);
	if (old && old->kind == KV_REQ_WRITE) {
		/* two writes under one id: which reply is whose is unknown */
		r.flush = 1;
		kv_udp_giveup(conf);
	}
	bpf_map_update_elem(&kv_reqs, &rk, &r, BPF_ANY);
	return 0;
}

/*
 * A UDP request (the 8-byte header at u->off): writes invalidate and hold
 * their keys for KV_UDP_HOLD_NS; a write that will be answered is recorded
 * so its reply bumps its key again.
 */
__attribute__((noinline))
int kv_udp_request(struct __sk_buff *skb, struct kv_udp *u)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_held w = {};
	struct kv_line *line;
	struct kv_toks t;
	struct kv_cmd cmd;
	__u8 hdr[KV_UDP_HDR];
	__u32 z = 0, i, rest;
	int len, slot = -1;

	if (!skb || !u || !conf)
		return 0;
	line = bpf_map_lookup_elem(&kv_udp_line, &z);
	if (!line || u->len <= KV_UDP_HDR ||
	    bpf_skb_load_bytes(skb, u->off, hdr, sizeof(hdr)))
		return 0;
	if (hdr[4] != 0 || hdr[5] != 1)
		return 0;		/* memcached drops multi-datagram requests */
	len = kv_udp_line_of(skb, u->off + KV_UDP_HDR, u->len - KV_UDP_HDR,
			     line);
	if (len < 0) {
		/* memcached waits for the line's end: none comes in UDP */
		if (u->len - KV_UDP_HDR > KV_LINE_MAX)
			kv_udp_giveup(conf);
		return 0;
	}
	if (kv_tokenize(line, len, &t) || kv_classify(line, &t, &cmd) ||
	    cmd.lost) {
		kv_udp_giveup(conf);
		return 0;
	}
	if (cmd.flush)
		kv_udp_giveup(conf);
	for (i = 0; i < KV_CMD_KEYS; i++) {
		if (i >= cmd.nkeys)
			break;
		w.exptime = (__s32)cmd.exptime;
		slot = kv_invalidate(line, cmd.koff[i], cmd.klen[i],
				     KV_OP_MODE(&cmd, KV_HOLD_TIME), &w);
	}
	if (cmd.op == KV_OP_FLUSH) {
		kv_max_atomic(&conf->deny_until, bpf_ktime_get_ns() +
			      KV_UDP_HOLD_NS);
		kv_flush_all(cmd.exptime);
	}
	/* exactly one command: memcached would go on with what follows */
	rest = u->len - KV_UDP_HDR - (len + 1);
	if (rest != cmd.bytes)
		kv_udp_giveup(conf);
	if (cmd.op == KV_OP_READ || cmd.shape != KV_RS_LINE)
		return 0;
	kv_udp_record(u, *(__u16 *)hdr,
		      cmd.nkeys == 1 && slot >= 0 ? (__u32)slot : KV_SLOT_ALL);
	return 0;
}

SEC("cgroup_skb/ingress")
int kv_udp_in(struct __sk_buff *skb)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_udp u = {};
	int rc;

	if (!conf)
		return 1;
	rc = kv_udp_parse(skb, conf, 1, &u);
	if (rc == -2)
		kv_udp_giveup(conf);
	else if (rc == 0)
		kv_udp_request(skb, &u);
	return 1;
}

/* b (n bytes) starts with the m bytes of s (a constant). */
static __always_inline int kv_bytes_is(const __u8 *b, __u32 n, const char *s,
				       __u32 m)
{
	__u32 j;

	if (n < m)
		return 0;
	for (j = 0; j < m; j++)
		if (b[j] != (__u8)s[j])
			return 0;
	return 1;
}

#define KV_BYTES_IS(b, n, lit)	kv_bytes_is(b, n, lit, sizeof(lit) - 1)

/* The reply is one of memcached's answers to a write. */
static __always_inline int kv_write_reply(const __u8 *b, __u32 n)
{
	return KV_BYTES_IS(b, n, "STORED\r\n") ||
	       KV_BYTES_IS(b, n, "NOT_STORED\r\n") ||
	       KV_BYTES_IS(b, n, "EXISTS\r\n") ||
	       KV_BYTES_IS(b, n, "NOT_FOUND\r\n") ||
	       KV_BYTES_IS(b, n, "DELETED\r\n") ||
	       KV_BYTES_IS(b, n, "TOUCHED\r\n") ||
	       KV_BYTES_IS(b, n, "OK\r\n") ||
	       (n > 0 && b[0] >= '0' && b[0] <= '9');	/* incr, decr */
}

/*
 * Parse "VALUE KEY FLAGS BYTES\r\n" in b (n bytes) for the leased key:
 * the header's length, with flags and bytes, or -1.
 */
static __always_inline int kv_value_hdr(const __u8 *b, __u32 n,
					const struct kv_req *r,
					__u32 *flags, __u32 *bytes)
{
	__u32 i, p, klen = r->klen, v;

	if (klen == 0 || klen > KV_KEY_MAX || n < 6 + klen + 6)
		return -1;
	for (i = 0; i < KV_KEY_MAX; i++) {
		if (i >= klen)
			break;
		if (b[(6 + i) & 127] != (__u8)r->key.key[i])
			return -1;
	}
	p = 6 + klen;
	if (b[p & 127] != ' ')
		return -1;
	for (i = 0; i < 2; i++) {
		__u32 d, nd = 0;

		v = 0;
		for (d = 0; d < 10; d++) {
			__u8 ch = b[(p + 1 + d) & 127];

			if (p + 1 + d >= n || ch < '0' || ch > '9')
				break;
			v = v * 10 + (ch - '0');
			nd++;
		}
		if (nd == 0 || nd == 10)
			return -1;
		p += 1 + nd;
		if (i == 0) {
			*flags = v;
			if (p >= n || b[p & 127] != ' ')
				return -1;
		}
	}
	*bytes = v;
	if (p + 2 > n || b[p & 127] != '\r' || b[(p + 1) & 127] != '\n')
		return -1;
	return p + 2;
}

/*
 * memcached's reply to a leased get: fill the entry, if no write came
 * since the lease and none is in flight, and within the key's TTL.
 */
__attribute__((noinline))
int kv_fill(struct __sk_buff *skb, __u32 off, __u32 len, struct kv_req *r)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_value v = {};
	__u8 b[128] = {}, tail[8] = {};
	__u32 n, flags = 0, bytes = 0, tag;
	struct kv_slot *sl;
	__u64 now, bound;
	int h;

	if (!skb || !r || !conf || r->klen == 0 || r->klen > KV_KEY_MAX)
		return 0;
	n = len < 96 ? len : 96;
	kfaas_barrier_var(n);
	if (n < 16 || n > 96 || bpf_skb_load_bytes(skb, off, b, n))
		return 0;
	h = kv_value_hdr(b, n, r, &flags, &bytes);
	if (h < 0 || bytes > KV_VALUE_MAX || h + bytes + 7 != len ||
	    bpf_skb_load_bytes(skb, off + h + bytes, tail, 7) ||
	    !KV_BYTES_IS(tail, 7, "\r\nEND\r\n"))
		return 0;
	sl = kv_slot_get(r->slot);
	if (!sl)
		return 0;
	now = bpf_ktime_get_ns();
	tag = (__u32)(kv_hash(r->key.key, r->klen) >> 32);
	if (!conf->armed || r->epoch != conf->epoch || sl->gen != r->gen ||
	    sl->pend || conf->pend_global || now < conf->deny_until)
		goto race;
	bpf_spin_lock(&sl->lock);
	bound = now < sl->block_until ? 0 : kv_ttl_bound(sl, tag, now);
	bpf_spin_unlock(&sl->lock);
	if (bound <= now)
		goto race;
	v.expires = now + conf->max_age_ns;
	if (v.expires > bound)
		v.expires = bound;
	v.len = bytes;
	v.flags = flags;
	v.slot = r->slot;
	v.gen = r->gen;
	v.epoch = r->epoch;
	kfaas_barrier_var(bytes);
	if (bytes > 0 && bytes <= KV_VALUE_MAX &&
	    bpf_skb_load_bytes(skb, off + h, v.data, bytes))
		return 0;
	if (bpf_map_update_elem(&kv_cache, &r->key, &v, BPF_ANY))
		return 0;
	KV_COUNT(fills);
	return 0;
race:
	KV_COUNT(fill_races);
	return 0;
}

/*
 * A reply of memcached's UDP socket (the 8-byte header at u->off): 1 when
 * it is the value of a leased get (rk: its record), for kv_fill().
 */
__attribute__((noinline))
int kv_udp_reply(struct __sk_buff *skb, struct kv_udp *u, struct kv_req_key *rk)
{
	struct kv_req *r;
	__u8 b[16] = {};
	__u32 n;

	if (!skb || !u || !rk || u->len < KV_UDP_HDR + 3)
		return 0;
	n = u->len - KV_UDP_HDR;
	if (n > sizeof(b))
		n = sizeof(b);
	if (bpf_skb_load_bytes(skb, u->off, b, KV_UDP_HDR) ||
	    (b[2] | b[3]))
		return 0;		/* not the first datagram of a reply */
	kv_req_key_of(u, *(__u16 *)b, rk);
	r = bpf_map_lookup_elem(&kv_reqs, rk);
	if (bpf_skb_load_bytes(skb, u->off + KV_UDP_HDR, b, ((n - 1) & 15) + 1))
		return 0;
	if (KV_BYTES_IS(b, n, "VALUE ") || KV_BYTES_IS(b, n, "END\r\n")) {
		/* a get's reply: fill if leased, never touch a write's record */
		if (!r || r->kind != KV_REQ_GET)
			return 0;
		if (b[0] == 'V')
			return 1;
		bpf_map_delete_elem(&kv_reqs, rk);
		return 0;
	}
	if (r && r->kind == KV_REQ_WRITE) {
		if (r->flush || r->slot == KV_SLOT_ALL)
			kv_flush(r->flush);
		else
			kv_bump(r->slot);
		bpf_map_delete_elem(&kv_reqs, rk);
		return 0;
	}
	if (kv_write_reply(b, n))
		kv_flush(1);		/* a write this hook has no record of */
	if (r)
		bpf_map_delete_elem(&kv_reqs, rk);
	return 0;
}

SEC("cgroup_skb/egress")
int kv_udp_out(struct __sk_buff *skb)
{
	struct kv_conf *conf = kv_conf_get();
	struct kv_req_key rk = {};
	struct kv_udp u = {};
	struct kv_req *r;

	if (!conf || kv_udp_parse(skb, conf, 0, &u) ||
	    kv_udp_reply(skb, &u, &rk) != 1)
		return 1;
	r = bpf_map_lookup_elem(&kv_reqs, &rk);
	if (r) {
		kv_fill(skb, u.off + KV_UDP_HDR, u.len - KV_UDP_HDR, r);
		bpf_map_delete_elem(&kv_reqs, &rk);
	}
	return 1;
}

/* ---- attach (kv_iter_unseen) ------------------------------------------- */

/*
 * memcached's connections that kv_sockops did not see open (opened before
 * the hooks): one line each.  'kfaas-kv attach' refuses them: their
 * writes would not be seen.  Iterates the reader's network namespace.
 */
SEC("iter/tcp")
int kv_iter_unseen(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct kv_conf *conf = kv_conf_get();
	struct tcp_sock *tp;
	__u64 cookie;
	int state;

	if (!skc || !conf || skc->skc_num != conf->port)
		return 0;
	state = skc->skc_state;
	if (state == BPF_TCP_LISTEN || state == BPF_TCP_TIME_WAIT ||
	    state == BPF_TCP_CLOSE || state == BPF_TCP_NEW_SYN_RECV)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	cookie = bpf_get_socket_cookie(tp);
	if (!bpf_map_lookup_elem(&kv_conns, &cookie))
		BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", state);
	return 0;
}
