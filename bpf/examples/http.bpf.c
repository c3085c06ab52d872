// SPDX-License-Identifier: GPL-2.0
/* http: GET /path -> a page from a map, answered in the kernel (http.h). */
#include "vmlinux.h"
/* a request over what a connection holds (KFAAS_SK_HOLD_MAX): 431, close */
#define KFAAS_SK_TOO_LARGE						\
	"HTTP/1.1 431 Request Header Fields Too Large\r\n"		\
	"Content-Type: text/plain\r\n"					\
	"Content-Length: 32\r\n"					\
	"Connection: close\r\n\r\n"					\
	"request header fields too large\n"
#include "kfaas_sk.h"
#include "http.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HTTP_PAGES);
	__type(key, struct http_key);
	__type(value, struct http_page);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} http_pages SEC(".maps");

#define HDR_NOT_FOUND	"HTTP/1.1 404 Not Found\r\n"			\
			"Content-Type: text/plain\r\n"			\
			"Content-Length: 10\r\n"
#define BODY_NOT_FOUND	"not found\n"
#define REPLY_BAD	"HTTP/1.1 400 Bad Request\r\n"			\
			"Content-Type: text/plain\r\n"			\
			"Content-Length: 12\r\n"			\
			"Connection: close\r\n\r\n"			\
			"bad request\n"
#define REPLY_METHOD	"HTTP/1.1 405 Method Not Allowed\r\n"		\
			"Allow: GET, HEAD\r\n"				\
			"Content-Type: text/plain\r\n"			\
			"Content-Length: 19\r\n"			\
			"Connection: close\r\n\r\n"			\
			"method not allowed\n"

/* What the request line and the header lines said. */
#define HTTP_HEAD	(1 << 0)	/* HEAD, not GET */
#define HTTP_10		(1 << 1)	/* HTTP/1.0 */
#define HTTP_HOST	(1 << 2)	/* a Host header */
#define HTTP_CLOSE	(1 << 3)	/* Connection: close */
#define HTTP_KEEP	(1 << 4)	/* Connection: keep-alive */
#define HTTP_BAD	(-1)		/* malformed: 400 */
#define HTTP_METHOD	(-2)		/* another method: 405 */

/* Header scan state, for the byte callback. */
struct http_hdrs {
	struct kfaas_sk_req req;	/* a copy: read-only in the callback */
	__u32	start;		/* start of the header block */
	__u32	line;		/* start of the current line */
	__u32	colon;		/* the line has a ':' */
	__u32	end;		/* the empty line was seen */
	__u32	flags;		/* HTTP_HOST, HTTP_CLOSE, HTTP_KEEP */
	__u32	bad;
};

static __always_inline int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does the request hold s (lower case, n bytes) at off, case-insensitively? */
static __always_inline int ci_at(const struct kfaas_sk_req *req, __u32 off,
				 const char *s, __u32 n)
{
	__u32 k;

	for (k = 0; k < 16; k++) {
		if (k >= n)
			break;
		if (lower(kfaas_sk_byte(req, off + k)) != s[k])
			return 0;
	}
	return 1;
}

/* The header value at off, spaces skipped, is s (case-insensitively)? */
static __always_inline int value_is(const struct kfaas_sk_req *req, __u32 off,
				    __u32 eol, const char *s, __u32 n)
{
	__u32 k;

	for (k = 0; k < 8; k++) {
		int c = kfaas_sk_byte(req, off);

		if (c != ' ' && c != '\t')
			break;
		off++;
	}
	return off + n == eol && ci_at(req, off, s, n);
}

/* One line of the header block, [h->line, eol). */
static __always_inline void header_line(struct http_hdrs *h, __u32 eol)
{
	const struct kfaas_sk_req *req = &h->req;
	int c = kfaas_sk_byte(req, h->line);

	if (!h->colon || c == ' ' || c == '\t') {
		h->bad = 1;		/* no field name, or obsolete folding */
		return;
	}
	if (ci_at(req, h->line, "host:", 5))
		h->flags |= HTTP_HOST;
	if (ci_at(req, h->line, "connection:", 11)) {
		if (value_is(req, h->line + 11, eol, "close", 5))
			h->flags |= HTTP_CLOSE;
		if (value_is(req, h->line + 11, eol, "keep-alive", 10))
			h->flags |= HTTP_KEEP;
	}
}

/* One byte of the header block; at each line end, look at the line. */
static long hdr_cb(__u64 i, void *ctx)
{
	struct http_hdrs *h = ctx;
	const struct kfaas_sk_req *req = &h->req;
	__u32 at = h->start + (__u32)i;
	int c = kfaas_sk_byte(req, at);

	if (c < 0)
		return 1;
	if (c == ':') {
		h->colon = 1;
		return 0;
	}
	if (c != '\n') {
		if (c < ' ' && c != '\r' && c != '\t') {
			h->bad = 1;	/* control characters */
			return 1;
		}
		return 0;
	}
	/* a line [line, at): it must end in CR LF */
	if (at == h->line || kfaas_sk_byte(req, at - 1) != '\r') {
		h->bad = 1;
		return 1;
	}
	if (at - 1 == h->line) {
		h->end = 1;		/* the empty line */
		return 1;
	}
	header_line(h, at - 1);
	h->line = at + 1;
	h->colon = 0;
	return h->bad ? 1 : 0;
}

/* The header lines from hdr: HTTP_HOST/CLOSE/KEEP flags, or HTTP_BAD. */
__attribute__((noinline))
int http_headers(struct __sk_buff *skb, __u32 off, __u32 len, __u32 hdr)
{
	struct http_hdrs h = {};

	if (kfaas_sk_req_get(skb, off, len, &h.req) || hdr >= len)
		return HTTP_BAD;
	h.start = hdr;
	h.line = hdr;
	/* state carried from byte to byte: unknown to 6.1 (kfaas_opaque) */
	h.colon = kfaas_opaque(0);
	h.flags = kfaas_opaque(0);
	bpf_loop(len - hdr, hdr_cb, &h, 0);
	return h.end && !h.bad ? (int)h.flags : HTTP_BAD;
}

/* Path scan state, for the byte callback. */
struct http_path {
	struct kfaas_sk_req req;	/* a copy: read-only in the callback */
	__u32	at;		/* start of the path in the request */
	__u32	len;		/* its length, once the space after it is seen */
	__u32	end;		/* ... which it was */
	__u32	query;		/* a '?' was seen: the rest is not the key's */
	char	path[HTTP_PATH_MAX];
};

/*
 * One byte of the path: up to the space after it, at most HTTP_PATH_MAX
 * - 1 bytes, no control byte.  A callback rather than a loop: 6.1's
 * verifier refused the loop clang made of it (a back-edge into its
 * header from the increment laid out just before it).
 */
static long path_cb(__u64 i, void *ctx)
{
	struct http_path *p = ctx;
	int c = kfaas_sk_byte(&p->req, p->at + (__u32)i);

	if (c == ' ') {
		p->len = (__u32)i;
		p->end = 1;
		return 1;
	}
	if (c <= ' ' || c == 0x7f || i >= HTTP_PATH_MAX - 1)
		return 1;	/* a control byte, or too long: not end */
	if (c == '?')
		p->query = 1;
	if (!p->query)
		p->path[i & (HTTP_PATH_MAX - 1)] = c;
	return 0;
}

/*
 * The request line METHOD SP PATH SP HTTP/1.x CRLF: the path (up to a
 * query) into key; the offset of the header lines | HTTP_HEAD/HTTP_10
 * flags << 16, or HTTP_BAD or HTTP_METHOD.
 */
__attribute__((noinline))
int http_request_line(struct __sk_buff *skb, __u32 off, __u32 len,
		      struct http_key *key)
{
	struct http_path path = {};
	struct kfaas_sk_req req;
	const __u8 *v;
	__u32 at, flags = 0;
	int c;

	if (!key || kfaas_sk_req_get(skb, off, len, &req))
		return HTTP_BAD;
	/* the method: upper-case letters, then a space */
	for (at = 0; at < 16; at++) {
		c = kfaas_sk_byte(&req, at);
		if (c == ' ' && at > 0)
			break;
		if (c < 'A' || c > 'Z')
			return HTTP_BAD;
	}
	v = kfaas_sk_ptr(&req, 0, 5);
	if (at == 16 || !v)
		return HTTP_BAD;
	if (at == 3 && v[0] == 'G' && v[1] == 'E' && v[2] == 'T') {
		at = 4;
	} else if (at == 4 && v[0] == 'H' && v[1] == 'E' && v[2] == 'A' &&
		   v[3] == 'D') {
		at = 5;
		flags |= HTTP_HEAD;
	} else {
		/* a well-formed request line of another method? */
		c = kfaas_sk_byte(&req, at + 1);
		return c == '/' || c == '*' ? HTTP_METHOD : HTTP_BAD;
	}
	if (kfaas_sk_byte(&req, at) != '/')
		return HTTP_BAD;
	path.req = req;
	path.at = at;
	path.query = kfaas_opaque(0);	/* carried from byte to byte */
	bpf_loop(HTTP_PATH_MAX, path_cb, &path, 0);
	if (!path.end)
		return HTTP_BAD;
	__builtin_memcpy(key->path, path.path, HTTP_PATH_MAX);
	at += path.len + 1;
	v = kfaas_sk_ptr(&req, at, 10);
	if (!v || v[0] != 'H' || v[1] != 'T' || v[2] != 'T' || v[3] != 'P' ||
	    v[4] != '/' || v[5] != '1' || v[6] != '.' ||
	    (v[7] != '0' && v[7] != '1') || v[8] != '\r' || v[9] != '\n')
		return HTTP_BAD;
	if (v[7] == '0')
		flags |= HTTP_10;
	return (int)((at + 10) | (flags << 16));
}

static __always_inline int bad_request(struct kfaas_sk_req *req)
{
	kfaas_sk_close(req);
	return KFAAS_SK_REPLY_STR(req, REPLY_BAD) ? KFAAS_ERROR : 0;
}

static __always_inline int reply_page(struct kfaas_sk_req *req,
				      const struct http_page *p, int head,
				      int close)
{
	__u32 len = p->len, tlen = p->type_len;

	kfaas_barrier_var(len);
	kfaas_barrier_var(tlen);
	if (len > HTTP_BODY_MAX || tlen > HTTP_TYPE_MAX)
		return KFAAS_ERROR;
	if (KFAAS_SK_REPLY_STR(req, "HTTP/1.1 200 OK\r\nContent-Type: ") ||
	    kfaas_sk_reply(req, p->type, tlen) ||
	    KFAAS_SK_REPLY_STR(req, "\r\nContent-Length: ") ||
	    kfaas_sk_reply_dec(req, len) ||
	    (close && KFAAS_SK_REPLY_STR(req, "\r\nConnection: close")) ||
	    KFAAS_SK_REPLY_STR(req, "\r\n\r\n") ||
	    (!head && kfaas_sk_reply(req, p->body, len)))
		return KFAAS_ERROR;
	return 0;
}

KFAAS_SK_FUNCTION(http, "\r\n\r\n")(struct kfaas_sk_req *req)
{
	struct http_key key = {};
	const struct http_page *page;
	int line, hdrs, head, close;

	line = http_request_line(KFAAS_SK_REQ_ARGS(req), &key);
	if (line == HTTP_METHOD) {
		kfaas_sk_close(req);
		return KFAAS_SK_REPLY_STR(req, REPLY_METHOD) ? KFAAS_ERROR : 0;
	}
	if (line < 0)
		return bad_request(req);
	hdrs = http_headers(KFAAS_SK_REQ_ARGS(req), line & 0xffff);
	if (hdrs < 0 || (!((line >> 16) & HTTP_10) && !(hdrs & HTTP_HOST)))
		return bad_request(req);
	head = (line >> 16) & HTTP_HEAD;
	/* HTTP/1.0 closes unless asked to keep alive, 1.1 the other way */
	close = (line >> 16) & HTTP_10 ? !(hdrs & HTTP_KEEP) :
					 !!(hdrs & HTTP_CLOSE);
	if (close)
		kfaas_sk_close(req);

	page = bpf_map_lookup_elem(&http_pages, &key);
	if (page)
		return reply_page(req, page, head, close);
	if (KFAAS_SK_REPLY_STR(req, HDR_NOT_FOUND) ||
	    (close && KFAAS_SK_REPLY_STR(req, "Connection: close\r\n")) ||
	    KFAAS_SK_REPLY_STR(req, "\r\n") ||
	    (!head && KFAAS_SK_REPLY_STR(req, BODY_NOT_FOUND)))
		return KFAAS_ERROR;
	return 0;
}
