/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memcached's text protocol as memcached 1.6 itself frames and answers it
 * (proto_text.c: tokenize_command, process_command_ascii), for the kv
 * cache's write hooks (kv_hooks.bpf.c).  One request line in, what it
 * does out: which keys it writes, whether a data block follows, what its
 * reply looks like.  Whatever is not certain is reported as such (lost,
 * flush, lose_out), never guessed: the caller then falls back to
 * invalidating everything.
 */
#ifndef KFAAS_EX_KV_PROTO_H
#define KFAAS_EX_KV_PROTO_H

#include "kv.h"

#define KV_TOKS		24	/* memcached's MAX_TOKENS */

/* A tokenized line: memcached splits on ' ' only, skipping empty tokens. */
struct kv_toks {
	__u16	off[KV_TOKS];
	__u16	len[KV_TOKS];
	__u32	n;		/* tokens found, at most KV_TOKS - 1 */
	__u32	more;		/* text after token KV_TOKS - 1 (multi-get) */
};

/* kv_cmd.op */
#define KV_OP_READ	0	/* no write */
#define KV_OP_STORE	1	/* add replace cas: key, exptime, data block */
#define KV_OP_SET	2	/* set: the same, always replaces the TTL */
#define KV_OP_CONCAT	3	/* append prepend: data block, TTL kept */
#define KV_OP_KEY	4	/* delete incr decr: the key */
#define KV_OP_TOUCH	5	/* touch: key, exptime */
#define KV_OP_GAT	6	/* gat gats: exptime, keys */
#define KV_OP_FLUSH	7	/* flush_all [delay] */

#define KV_EXP_NONE	((__s64)1 << 40)	/* no exptime given */

struct kv_cmd {
	__u8	op;
	__u8	shape;		/* KV_RS_*: what memcached answers */
	__u8	nkeys;
	__u8	flush;		/* a command this parser does not know: flush */
	__u8	lost;		/* framing not certain: nothing after is */
	__u8	lose_out;	/* reply not countable */
	__u8	pad[2];
	__u32	bytes;		/* data block that follows, "\r\n" included */
	__s64	exptime;	/* as sent (seconds), or KV_EXP_NONE */
	__u16	koff[KV_CMD_KEYS];
	__u16	klen[KV_CMD_KEYS];
};

struct kv_tok_scan {
	struct kv_line	*line;
	struct kv_toks	*t;
	__u32		len;
	__u32		start;
	__u32		in;
	__u32		n;
	int		err;
};

/* One byte of the line (a bpf_loop callback: verified once). */
static long kv_tok_byte(__u32 i, void *arg)
{
	struct kv_tok_scan *s = arg;
	struct kv_toks *t = s->t;
	__u32 n = s->n;
	char c;

	if (i >= s->len || i >= KV_LINE_MAX)
		return 1;
	c = s->line->b[i & (KV_LINE_MAX - 1)];
	if (c == 0) {
		s->err = -1;
		return 1;
	}
	if (c != ' ') {
		if (!s->in) {
			s->start = i;
			s->in = 1;
		}
		return 0;
	}
	if (!s->in)
		return 0;
	s->in = 0;
	if (n >= KV_TOKS - 1)
		return 1;
	t->off[n] = s->start;
	t->len[n] = i - s->start;
	s->n = ++n;
	if (n == KV_TOKS - 1) {
		t->more = i + 1 < s->len;
		return 1;
	}
	return 0;
}

/*
 * Split line (len bytes, its "\n" excluded) like tokenize_command(): a
 * trailing "\r" is dropped when the line has more than one byte, a NUL
 * ends the command (strlen) - reported as lost: memcached would act on a
 * prefix of what this parser sees.  0, or -1 on a NUL.
 */
__attribute__((noinline))
int kv_tokenize(struct kv_line *line, __u32 len, struct kv_toks *t)
{
	struct kv_tok_scan s = { .line = line, .t = t };
	__u32 n;

	if (!line || !t)
		return -1;
	t->n = 0;
	t->more = 0;
	if (len > KV_LINE_MAX)
		return -1;
	if (len > 1 && line->b[(len - 1) & (KV_LINE_MAX - 1)] == '\r')
		len--;
	s.len = len;
	/* carried from byte to byte: unknown to 6.1 (kfaas_opaque) */
	s.start = kfaas_opaque(0);
	s.in = kfaas_opaque(0);
	s.n = kfaas_opaque(0);
	bpf_loop(KV_LINE_MAX, kv_tok_byte, &s, 0);
	if (s.err)
		return -1;
	n = s.n;
	if (s.in && n < KV_TOKS - 1) {
		t->off[n] = s.start;
		t->len[n] = len - s.start;
		n++;
	}
	t->n = n;
	return 0;
}

/* Token idx equals the n-byte string s (n small, a constant). */
static __always_inline int kv_tok_is(const struct kv_line *line,
				     const struct kv_toks *t, __u32 idx,
				     const char *s, __u32 n)
{
	__u32 j, off;

	if (idx >= KV_TOKS || idx >= t->n || t->len[idx & (KV_TOKS - 1)] != n)
		return 0;
	off = t->off[idx & (KV_TOKS - 1)];
	for (j = 0; j < n; j++)
		if (line->b[(off + j) & (KV_LINE_MAX - 1)] != s[j])
			return 0;
	return 1;
}

#define KV_TOK_IS(line, t, idx, lit) \
	kv_tok_is(line, t, idx, lit, sizeof(lit) - 1)

/*
 * Token idx as a plain decimal number of at most maxd digits (a leading
 * '-' if neg): what memcached's strtol/strtoul accept is wider (signs,
 * spaces, overflowing digits); anything but this strict form is reported
 * as -1 and the caller treats the line as not understood.
 */
static __always_inline int kv_tok_num(const struct kv_line *line,
				      const struct kv_toks *t, __u32 idx,
				      __u32 maxd, int neg, __s64 *out)
{
	__u32 j, off, len, i0 = 0;
	__s64 v = 0;
	int minus = 0;

	if (idx >= KV_TOKS || idx >= t->n)
		return -1;
	off = t->off[idx & (KV_TOKS - 1)];
	len = t->len[idx & (KV_TOKS - 1)];
	if (neg && len > 1 && line->b[off & (KV_LINE_MAX - 1)] == '-') {
		minus = 1;
		i0 = 1;
	}
	if (len - i0 == 0 || len - i0 > maxd)
		return -1;
	for (j = 0; j < 20; j++) {
		char c;

		if (i0 + j >= len)
			break;
		c = line->b[(off + i0 + j) & (KV_LINE_MAX - 1)];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = minus ? -v : v;
	return 0;
}

/* memcached's set_noreply_maybe(): the last token is "noreply". */
static __always_inline int kv_noreply(const struct kv_line *line,
				      const struct kv_toks *t)
{
	return t->n > 0 && KV_TOK_IS(line, t, t->n - 1, "noreply");
}

/* memcached's ntokens: the tokens plus its terminal one. */
static __always_inline __u32 kv_ntokens(const struct kv_toks *t)
{
	return t->n + 1;
}

static __always_inline void kv_cmd_key(struct kv_cmd *c, const struct kv_toks *t,
				       __u32 idx)
{
	__u32 k = c->nkeys;

	if (k >= KV_CMD_KEYS || idx >= KV_TOKS) {
		c->flush = 1;		/* more keys than tracked one by one */
		return;
	}
	c->koff[k] = t->off[idx];
	c->klen[k] = t->len[idx];
	c->nkeys = k + 1;
}

/* set add replace append prepend cas: framing and the key. */
static __always_inline void kv_cmd_update(const struct kv_line *line,
					  const struct kv_toks *t,
					  struct kv_cmd *c, int is_cas)
{
	__u32 nt = kv_ntokens(t);
	__s64 flags, exptime, vlen, cas;

	if (nt != 6 + is_cas && nt != 7 + is_cas) {
		c->shape = KV_RS_LINE;	/* "ERROR", no data block */
		return;
	}
	/* key too long or numbers memcached may read otherwise: lost */
	if (t->len[1] > KV_MC_KEY_MAX ||
	    kv_tok_num(line, t, 2, 10, 0, &flags) ||
	    kv_tok_num(line, t, 3, 9, 1, &exptime) ||
	    kv_tok_num(line, t, 4, 9, 0, &vlen) ||
	    (is_cas && kv_tok_num(line, t, 5, 19, 0, &cas))) {
		c->lost = 1;
		return;
	}
	c->shape = kv_noreply(line, t) ? KV_RS_NONE : KV_RS_LINE;
	c->bytes = (__u32)vlen + 2;
	if (c->op != KV_OP_CONCAT)
		c->exptime = exptime;	/* append/prepend keep the TTL */
	kv_cmd_key(c, t, 1);
}

/* delete incr decr touch: token counts, noreply, the key. */
static __always_inline void kv_cmd_keyed(const struct kv_line *line,
					 const struct kv_toks *t,
					 struct kv_cmd *c, __u32 min, __u32 max)
{
	__u32 nt = kv_ntokens(t);

	if (nt < min || nt > max) {
		c->shape = KV_RS_LINE;	/* "ERROR" */
		return;
	}
	c->shape = KV_RS_LINE;
	/* delete looks for noreply only past "delete KEY" */
	if ((c->op != KV_OP_KEY || nt > 3) && kv_noreply(line, t))
		c->shape = KV_RS_NONE;
	kv_cmd_key(c, t, 1);
	if (c->op == KV_OP_TOUCH && kv_tok_num(line, t, 2, 9, 1, &c->exptime))
		c->exptime = KV_EXP_NONE;	/* memcached refuses it */
}

/* gat gats EXPTIME KEY...: every key is touched. */
static __always_inline void kv_cmd_gat(const struct kv_line *line,
				       const struct kv_toks *t, struct kv_cmd *c)
{
	__u32 i;

	c->shape = KV_RS_GET;
	if (t->n < 3)
		return;			/* "ERROR" */
	if (kv_tok_num(line, t, 1, 9, 1, &c->exptime))
		c->exptime = KV_EXP_NONE;
	for (i = 2; i < KV_TOKS; i++) {
		if (i >= t->n)
			break;
		kv_cmd_key(c, t, i);
	}
	if (t->more)
		c->flush = 1;		/* keys past memcached's first 23 tokens */
}

/* flush_all [DELAY] [noreply] */
static __always_inline void kv_cmd_flush_all(const struct kv_line *line,
					     const struct kv_toks *t,
					     struct kv_cmd *c)
{
	__u32 nt = kv_ntokens(t);
	int noreply;

	if (nt < 2 || nt > 4) {
		c->shape = KV_RS_LINE;
		return;
	}
	noreply = kv_noreply(line, t);
	c->op = KV_OP_FLUSH;
	c->shape = noreply ? KV_RS_NONE : KV_RS_LINE;
	c->exptime = 0;
	if (nt != (noreply ? 3u : 2u) &&
	    kv_tok_num(line, t, 1, 10, 1, &c->exptime))
		c->exptime = 0;		/* refused by memcached; flush anyway */
}

/*
 * What memcached does with a tokenized request line (its dispatch in
 * process_command_ascii).  Commands whose reply this parser cannot count
 * set lose_out; ones it does not know also set flush (a newer memcached
 * may write with them); meta commands (other than mn) and anything whose
 * framing is not certain set lost.
 */
__attribute__((noinline))
int kv_classify(struct kv_line *line, struct kv_toks *t, struct kv_cmd *c)
{
	__u32 nt;

	if (!line || !t || !c)
		return -1;
	__builtin_memset(c, 0, sizeof(*c));
	c->exptime = KV_EXP_NONE;
	c->shape = KV_RS_LINE;
	nt = kv_ntokens(t);
	if (nt < 2 || t->len[0] < 2)
		return 0;			/* "ERROR" */
	if (t->len[0] == 2 && line->b[t->off[0] & (KV_LINE_MAX - 1)] == 'm') {
		if (!KV_TOK_IS(line, t, 0, "mn"))
			c->lost = 1;		/* meta: flags change the reply */
		return 0;
	}
	if (KV_TOK_IS(line, t, 0, "get") || KV_TOK_IS(line, t, 0, "gets") ||
	    KV_TOK_IS(line, t, 0, "bget")) {
		c->shape = KV_RS_GET;
	} else if (KV_TOK_IS(line, t, 0, "gat") || KV_TOK_IS(line, t, 0, "gats")) {
		c->op = KV_OP_GAT;
		kv_cmd_gat(line, t, c);
	} else if (KV_TOK_IS(line, t, 0, "set")) {
		c->op = KV_OP_SET;
		kv_cmd_update(line, t, c, 0);
	} else if (KV_TOK_IS(line, t, 0, "add") ||
		   KV_TOK_IS(line, t, 0, "replace")) {
		c->op = KV_OP_STORE;
		kv_cmd_update(line, t, c, 0);
	} else if (KV_TOK_IS(line, t, 0, "append") ||
		   KV_TOK_IS(line, t, 0, "prepend")) {
		c->op = KV_OP_CONCAT;
		kv_cmd_update(line, t, c, 0);
	} else if (KV_TOK_IS(line, t, 0, "cas")) {
		c->op = KV_OP_STORE;
		kv_cmd_update(line, t, c, 1);
	} else if (KV_TOK_IS(line, t, 0, "delete")) {
		c->op = KV_OP_KEY;
		kv_cmd_keyed(line, t, c, 3, 5);
	} else if (KV_TOK_IS(line, t, 0, "incr") || KV_TOK_IS(line, t, 0, "decr")) {
		c->op = KV_OP_KEY;
		kv_cmd_keyed(line, t, c, 4, 5);
	} else if (KV_TOK_IS(line, t, 0, "touch")) {
		c->op = KV_OP_TOUCH;
		kv_cmd_keyed(line, t, c, 4, 5);
	} else if (KV_TOK_IS(line, t, 0, "flush_all")) {
		kv_cmd_flush_all(line, t, c);
	} else if (KV_TOK_IS(line, t, 0, "stats")) {
		c->shape = KV_RS_STATS;
	} else if (KV_TOK_IS(line, t, 0, "version")) {
		c->shape = KV_RS_LINE;
	} else if (KV_TOK_IS(line, t, 0, "verbosity")) {
		if ((nt == 3 || nt == 4) && kv_noreply(line, t))
			c->shape = KV_RS_NONE;
	} else if (KV_TOK_IS(line, t, 0, "quit")) {
		c->shape = KV_RS_NONE;
	} else {
		/*
		 * Not a command this parser knows (or memcached's admin
		 * commands: shutdown, slabs, lru_crawler, watch, lru,
		 * cache_memlimit, extstore, ...): their replies are not
		 * counted and, as it may write, the cache is flushed.
		 */
		c->flush = 1;
		c->lose_out = 1;
	}
	return 0;
}

#endif
