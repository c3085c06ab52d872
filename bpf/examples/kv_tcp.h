/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kv's TCP hooks (kv_hooks.bpf.c): a memcached connection's request
 * stream (kv_tcp_in) - writes invalidate and hold their keys - and its
 * reply stream (kv_tcp_out) - replies counted, holds released - and the
 * connection's start and end (kv_sockops).  Included by kv_hooks.bpf.c
 * after its maps.
 */
#ifndef KFAAS_EX_KV_TCP_H
#define KFAAS_EX_KV_TCP_H

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
	if (cmd->flush) {
		/* it may write keys not held one by one: hold them all */
		kv_hold_global(c);
		kv_flush(1);
	}
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

		/*
		 * j hidden: else clang ends the loop on j == n alone, which
		 * 6.1's verifier cannot bound (it read buf[68])
		 */
		kfaas_barrier_var(j);
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

		/*
		 * j hidden, as in kv_in_step: else clang ends the loop on
		 * j == n alone, which 6.1's verifier follows up to the end
		 * of the packet ("The sequence of 8193 jumps is too complex")
		 */
		kfaas_barrier_var(j);
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

#endif
