// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client's transport (etcd.h): endpoints and failover, timeouts,
 * TLS, interrupts, one HTTP POST per call or one streamed answer, and the
 * gateway's errors turned into negative errno values with a message.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "libkfaas.h"
#include "etcd_call.h"

#define ETCD_CONNECT_MS		1000
#define ETCD_TIMEOUT_MS		5000
/* the largest answer kept: a chunked artifact is read chunk by chunk */
#define ETCD_MAX_ANSWER		(64u << 20)
/* a dead peer on a quiet stream shows after idle + 9 probes * interval */
#define ETCD_KEEPIDLE_S		5
#define ETCD_KEEPINTVL_S	2
#define ETCD_ENDPOINT_MAX	256	/* + the longest path fits the URL */

struct etcd {
	char		**ep;		/* "https://host:port" */
	size_t		nep;
	size_t		cur;		/* the endpoint that answered last */
	size_t		at;		/* the endpoint of the call under way */
	CURL		*curl;
	struct curl_slist *hdrs;
	char		*ca, *cert, *key;
	long		connect_ms;
	long		timeout_ms;
	atomic_int	interrupt;
	char		cerr[CURL_ERROR_SIZE];
};

/* One HTTP exchange. */
struct xfer {
	struct etcd	*c;
	char		*buf;
	size_t		len, cap;
	etcd__msg_fn	fn;		/* a stream: each object to fn */
	void		*arg;
	int		fn_rc;		/* what fn returned to stop */
	int		abort;		/* -EINTR, -ETIMEDOUT (idle), -EPROTO */
	long		idle_ms;
	const char	*advice;	/* what to check, for a transfer error */
	struct timespec	last;		/* last byte received */
	bool		got_data;
	long		http;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long now_ms_since(const struct timespec *t)
{
	struct timespec n;

	clock_gettime(CLOCK_MONOTONIC, &n);
	return (n.tv_sec - t->tv_sec) * 1000 + (n.tv_nsec - t->tv_nsec) / 1000000;
}

/* ---- endpoints ---- */

static int add_endpoint(struct etcd *c, const char *s, size_t n, bool tls)
{
	char **ep;
	char *e;

	while (n && s[n - 1] == '/')
		n--;
	if (!n)
		return 0;
	if (n > ETCD_ENDPOINT_MAX)
		return kfaas_err(-EINVAL, "etcd endpoint '%.40s...': longer than "
				 "%d characters", s, ETCD_ENDPOINT_MAX);
	if ((n > 7 && !strncmp(s, "http://", 7)) ||
	    (n > 8 && !strncmp(s, "https://", 8)))
		e = strndup(s, n);
	else if (memmem(s, n, "://", 3))
		return kfaas_err(-EINVAL, "etcd endpoint '%.*s': the scheme must "
				 "be http:// or https://", (int)n, s);
	else if (asprintf(&e, "%s://%.*s", tls ? "https" : "http", (int)n, s) < 0)
		e = NULL;
	if (!e)
		return -ENOMEM;
	ep = realloc(c->ep, (c->nep + 1) * sizeof(*ep));
	if (!ep) {
		free(e);
		return -ENOMEM;
	}
	c->ep = ep;
	c->ep[c->nep++] = e;
	return 0;
}

static int parse_endpoints(struct etcd *c, const char *list, bool tls)
{
	const char *p = list;
	int err;

	while (p && *p) {
		size_t n = strcspn(p, ", ");

		err = add_endpoint(c, p, n, tls);
		if (err)
			return err;
		p += n;
		p += strspn(p, ", ");
	}
	if (!c->nep)
		return kfaas_err(-EINVAL, "no etcd endpoint given: list the "
				 "client URLs of the etcd members, comma-separated "
				 "(https://10.0.0.1:2379,https://10.0.0.2:2379)");
	return 0;
}

static int dup_path(char **dst, const char *src, const char *what)
{
	if (!src)
		return 0;
	if (access(src, R_OK))
		return kfaas_err(-errno, "etcd %s '%s': %s", what, src,
				 strerror(errno));
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int setup_curl(struct etcd *c)
{
	CURL *h = curl_easy_init();

	if (!h)
		return -ENOMEM;
	c->curl = h;
	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip before large bodies */
	c->hdrs = c->hdrs ? curl_slist_append(c->hdrs, "Expect:") : NULL;
	if (!c->hdrs)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->cerr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, (long)ETCD_KEEPIDLE_S);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, (long)ETCD_KEEPINTVL_S);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/*
	 * TLS 1.2: a refused client certificate then fails the handshake,
	 * before anything is sent, and says so.  With TLS 1.3 the client is
	 * done with the handshake first, and the refusal shows up as a failed
	 * send or read of a request that looks sent (curl 7.88: "getpeername()
	 * failed", or an SSL_read alert), like a member dying mid-request.
	 */
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 |
						      CURL_SSLVERSION_MAX_TLSv1_2));
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (c->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	if (c->cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	return 0;
}

int etcd_open(struct etcd **out, const struct etcd_opts *o)
{
	struct etcd *c;
	int err;

	*out = NULL;
	if (!o->cert_file != !o->key_file)
		return kfaas_err(-EINVAL, "etcd: a client certificate needs its "
				 "key and a key its certificate: give both");
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return kfaas_err(-ENOMEM, "etcd: libcurl: %s",
				 curl_easy_strerror(curl_init_rc));
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
						  : ETCD_CONNECT_MS;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : ETCD_TIMEOUT_MS;
	err = parse_endpoints(c, o->endpoints, o->ca_file || o->cert_file);
	if (!err)
		err = dup_path(&c->ca, o->ca_file, "CA file");
	if (!err)
		err = dup_path(&c->cert, o->cert_file, "certificate");
	if (!err)
		err = dup_path(&c->key, o->key_file, "key");
	if (!err)
		err = setup_curl(c);
	if (err) {
		etcd_close(c);
		return err;
	}
	*out = c;
	return 0;
}

void etcd_close(struct etcd *c)
{
	size_t i;

	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->hdrs);
	for (i = 0; i < c->nep; i++)
		free(c->ep[i]);
	free(c->ep);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c);
}

const char *etcd_endpoint(const struct etcd *c)
{
	return c->ep[c->cur];
}

const char *etcd__at(const struct etcd *c)
{
	return c->ep[c->at];
}

void etcd_interrupt(struct etcd *c)
{
	atomic_store(&c->interrupt, 1);
}

/* ---- one exchange ---- */

static int buf_add(struct xfer *x, const char *p, size_t n)
{
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *b;

		while (cap < x->len + n + 1)
			cap *= 2;
		b = realloc(x->buf, cap);
		if (!b)
			return -ENOMEM;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return 0;
}

/* Hand every complete line of a stream to fn; keep the rest. */
static int stream_lines(struct xfer *x)
{
	char *nl, *p = x->buf;
	int rc = 0;

	while (!rc && (nl = memchr(p, '\n', x->len - (size_t)(p - x->buf)))) {
		json_object *m;

		*nl = '\0';
		if (*p) {
			m = json_tokener_parse(p);
			if (!m) {
				x->abort = etcd__bad_answer(x->c, "stream",
						"a line that is not JSON");
				return -1;
			}
			rc = x->fn(m, x->arg);
			json_object_put(m);
		}
		p = nl + 1;
	}
	x->len -= (size_t)(p - x->buf);
	memmove(x->buf, p, x->len);
	if (x->buf)
		x->buf[x->len] = '\0';
	if (rc)
		x->fn_rc = rc;
	return rc;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	x->got_data = true;
	clock_gettime(CLOCK_MONOTONIC, &x->last);
	if (x->len + n > ETCD_MAX_ANSWER) {
		x->abort = kfaas_err(-EMSGSIZE, "etcd %s: an answer over %u MiB: "
				     "ask for less (a limit, keys only)",
				     x->c->ep[x->c->at], ETCD_MAX_ANSWER >> 20);
		return 0;
	}
	if (buf_add(x, p, n)) {
		x->abort = kfaas_err(-ENOMEM, "etcd %s: out of memory for an "
				     "answer", x->c->ep[x->c->at]);
		return 0;
	}
	if (!x->fn)
		return n;
	if (!x->http)
		curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &x->http);
	if (x->http != 200)
		return n;	/* an error answer: read it whole */
	return stream_lines(x) ? 0 : n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct xfer *x = arg;

	if (atomic_exchange(&x->c->interrupt, 0)) {
		x->abort = -EINTR;
		return 1;
	}
	if (x->idle_ms && now_ms_since(&x->last) > x->idle_ms) {
		x->abort = -ETIMEDOUT;
		return 1;
	}
	return 0;
}

/* The errno a transfer error stands for. */
static int curl_errno(CURLcode rc, const char *msg)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return -EKEYREJECTED;
	case CURLE_RECV_ERROR:
		/* TLS 1.3: a refused client certificate shows as an alert
		 * on the first read after the handshake */
		return strstr(msg, "alert") ? -EKEYREJECTED : -ECONNRESET;
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static const char *advice(int err, bool unsent)
{
	if (err == -ETIMEDOUT && !unsent)
		return ": etcd took the request but did not answer in time (a "
		       "member without quorum waits for a leader: are most "
		       "members up?)";
	switch (err) {
	case -EKEYREJECTED:
		return ": check the CA, client certificate and key (etcd with "
		       "--client-cert-auth wants a certificate signed by its "
		       "--trusted-ca-file)";
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
		return ": is etcd running there? (the endpoints are its "
		       "client URLs)";
	default:
		return "";
	}
}

/*
 * POST body to endpoint i.  Returns 0 with x->buf the answer, or a
 * negative errno with its message; *unsent: the request cannot have
 * reached etcd (so another endpoint may take it).
 */
static int perform(struct etcd *c, size_t i, const char *what, const char *path,
		   const char *body, long timeout_ms, struct xfer *x, bool *unsent)
{
	char url[512];
	curl_off_t pre = 0;
	CURLcode rc;
	int err;

	snprintf(url, sizeof(url), "%s%s", c->ep[i], path);
	c->at = i;
	x->len = 0;
	x->http = 0;
	x->got_data = false;
	x->abort = 0;
	x->fn_rc = 0;
	x->advice = "";
	clock_gettime(CLOCK_MONOTONIC, &x->last);
	c->cerr[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)strlen(body));
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, x);
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x->http);
	*unsent = rc != CURLE_OK && pre == 0;
	if (rc == CURLE_OK)
		return 0;
	if (x->abort == -EINTR)
		return kfaas_err(-EINTR, "etcd %s: %s: interrupted", c->ep[i],
				 what);
	if (x->abort == -ETIMEDOUT)
		return kfaas_err(-ETIMEDOUT, "etcd %s: %s: nothing received for "
				 "%ld ms", c->ep[i], what, x->idle_ms);
	if (x->abort)
		return x->abort;
	if (rc == CURLE_WRITE_ERROR && x->fn_rc)
		return x->fn_rc;
	err = curl_errno(rc, c->cerr);
	x->advice = advice(err, *unsent);
	return kfaas_err(err, "etcd %s: %s: %s", c->ep[i], what,
			 c->cerr[0] ? c->cerr : curl_easy_strerror(rc));
}

/* An answer other than 200: etcd's error object, or not etcd at all. */
static int http_error(struct etcd *c, const char *what, struct xfer *x)
{
	json_object *o = x->len ? json_tokener_parse(x->buf) : NULL;
	int err;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return kfaas_err(-EPROTO, "etcd %s: %s: HTTP %ld%s%.80s: is this "
				 "the client URL of an etcd 3.4 or later?",
				 c->ep[c->at], what, x->http,
				 x->len ? ", " : "", x->len ? x->buf : "");
	}
	err = etcd__error(c, what, o);
	json_object_put(o);
	return err;
}

/* "no leader" is refused before anything is applied: another member may lead. */
static bool etcd_unavailable_retryable(int err)
{
	return err == -EAGAIN && strstr(kfaas_errmsg(), "no leader");
}

static int call_on(struct etcd *c, size_t i, const char *what, const char *path,
		   const char *body, long timeout_ms, struct xfer *x, bool *retry,
		   unsigned int flags)
{
	bool unsent;
	int err;

	err = perform(c, i, what, path, body, timeout_ms, x, &unsent);
	*retry = false;
	if (err == -EINTR || err == -EMSGSIZE)
		return err;
	if (err) {
		*retry = unsent || ((flags & ETCD_CALL_IDEMPOTENT) &&
				    !x->got_data && err != -EKEYREJECTED);
		return err;
	}
	if (x->http == 200)
		return 0;
	err = http_error(c, what, x);
	*retry = etcd_unavailable_retryable(err) ||
		 ((flags & ETCD_CALL_IDEMPOTENT) && err == -EAGAIN);
	return err;
}

/* Add this endpoint's failure to the summary of all of them. */
static void note_failure(char *sum, size_t len, size_t *used)
{
	int n;

	if (*used >= len)
		return;
	n = snprintf(sum + *used, len - *used, "%s%s", *used ? "; " : "",
		     kfaas_errmsg());
	*used += n > 0 ? (size_t)n : 0;
}

/*
 * Try the endpoints from the current one while the failure allows another
 * (call_on()); the first that answers becomes the current one.  When all
 * fail, the error returned is the one to fix first: a refused
 * certificate, else what a running member said, else the connection
 * error.
 */
/* The message of err, followed by what to check. */
static int with_advice(int err, const char *advice)
{
	char msg[1024];

	if (!err || !advice || !*advice)
		return err;
	snprintf(msg, sizeof(msg), "%s", kfaas_errmsg());
	return kfaas_err(err, "%s%s", msg, advice);
}

static int with_failover(struct etcd *c, const char *what, const char *path,
			 const char *body, long timeout_ms, struct xfer *x,
			 unsigned int flags)
{
	const char *adv = "", *tls_adv = "", *up_adv = "";
	char sum[1024];
	size_t used = 0, k;
	int err = -EIO, tls = 0, up = 0;
	bool retry;

	if (atomic_exchange(&c->interrupt, 0))
		return kfaas_err(-EINTR, "etcd: %s: interrupted", what);
	for (k = 0; k < c->nep; k++) {
		size_t i = (c->cur + k) % c->nep;

		err = call_on(c, i, what, path, body, timeout_ms, x, &retry, flags);
		if (!err || !retry) {
			if (!err || x->got_data)
				c->cur = i;
			return with_advice(err, x->advice);
		}
		adv = x->advice;
		if (err == -EKEYREJECTED) {
			tls = err;
			tls_adv = adv;
		} else if (err != -ECONNREFUSED && err != -EHOSTUNREACH) {
			up = err;
			up_adv = adv;
		}
		note_failure(sum, sizeof(sum), &used);
	}
	if (c->nep == 1)
		return with_advice(err, adv);
	adv = tls ? tls_adv : up ? up_adv : adv;
	err = tls ?: up ?: err;
	if (err == -EAGAIN)
		return kfaas_err(err, "etcd: %s: no member has a leader (%s): is a "
				 "quorum of the members up?", what, sum);
	return kfaas_err(err, "etcd: %s: no endpoint answered (%s)%s", what,
			 sum, adv);
}

/* Send req (consumed; NULL: it could not be built) with failover. */
static int send_req(struct etcd *c, const char *what, const char *path,
		    json_object *req, long timeout_ms, struct xfer *x,
		    unsigned int flags)
{
	const char *body;
	int err;

	body = req ? json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)
		   : NULL;
	if (!body)
		err = kfaas_err(-ENOMEM, "etcd: %s: out of memory", what);
	else
		err = with_failover(c, what, path, body, timeout_ms, x, flags);
	json_object_put(req);
	return err;
}

int etcd__call(struct etcd *c, const char *what, const char *path,
	       json_object *req, int timeout_ms, unsigned int flags,
	       json_object **resp)
{
	struct xfer x = { .c = c };
	int err;

	*resp = NULL;
	err = send_req(c, what, path, req, timeout_ms < 0 ? c->timeout_ms :
		       timeout_ms, &x, flags);
	if (!err) {
		*resp = x.len ? json_tokener_parse(x.buf) : NULL;
		if (!*resp || !json_object_is_type(*resp, json_type_object)) {
			json_object_put(*resp);
			*resp = NULL;
			err = etcd__bad_answer(c, what, "an answer that is not a "
					       "JSON object");
		}
	}
	free(x.buf);
	return err;
}

int etcd__stream(struct etcd *c, const char *what, const char *path,
		 json_object *req, int idle_timeout_ms, etcd__msg_fn fn,
		 void *arg, bool *got_data)
{
	struct xfer x = { .c = c, .fn = fn, .arg = arg,
			  .idle_ms = idle_timeout_ms };
	int err;

	/* a stream only stops on its own: no total timeout */
	err = send_req(c, what, path, req, 0, &x, ETCD_CALL_IDEMPOTENT);
	*got_data = x.got_data;
	if (!err && x.len && x.http == 200) {
		/* a last object without its newline */
		err = buf_add(&x, "\n", 1) ?: (stream_lines(&x) ? x.fn_rc : 0);
		if (x.abort)
			err = x.abort;
	}
	if (!err)
		err = kfaas_err(-ECONNRESET, "etcd %s: %s: the stream ended",
				c->ep[c->at], what);
	free(x.buf);
	return err;
}

/* ---- errors ---- */

/* gRPC status codes (google.golang.org/grpc/codes) etcd answers with. */
static int grpc_errno(int code, const char *msg)
{
	switch (code) {
	case 3:		/* InvalidArgument: "request is too large" */
		return strstr(msg, "too large") ? -EMSGSIZE : -EINVAL;
	case 4:		/* DeadlineExceeded */
		return -ETIMEDOUT;
	case 5:		/* NotFound */
		return -ENOENT;
	case 7:		/* PermissionDenied */
	case 16:	/* Unauthenticated */
		return -EACCES;
	case 8:		/* ResourceExhausted: the gateway's gRPC limit, quota */
		if (strstr(msg, "larger than max"))
			return -EMSGSIZE;
		return strstr(msg, "space") ? -ENOSPC : -EAGAIN;
	case 10:	/* Aborted */
	case 14:	/* Unavailable */
		return -EAGAIN;
	case 11:	/* OutOfRange */
		return strstr(msg, "compacted") ? -ESTALE : -ERANGE;
	default:	/* Unknown: the election service's own errors */
		if (strstr(msg, "no leader") || strstr(msg, "not found"))
			return -ENOENT;
		return -EIO;
	}
}

int etcd__error(struct etcd *c, const char *what, json_object *o)
{
	json_object *e, *m, *code;
	const char *msg = "unknown error";
	int n = 2;

	/* unary: {"error": "...", "message": "...", "code": N};
	 * streamed: {"error": {"grpc_code": N, "message": "...", ...}} */
	if (json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object))
		o = e;
	if (json_object_object_get_ex(o, "message", &m))
		msg = json_object_get_string(m);
	if (json_object_object_get_ex(o, "code", &code) ||
	    json_object_object_get_ex(o, "grpc_code", &code))
		n = json_object_get_int(code);
	n = grpc_errno(n, msg);
	return kfaas_err(n, "etcd %s: %s: %s%s", c->ep[c->at], what, msg,
			 n == -EMSGSIZE ? ": etcd takes requests up to its "
			 "--max-request-bytes (1.5 MiB by default)" : "");
}

int etcd__bad_answer(struct etcd *c, const char *what, const char *why)
{
	return kfaas_err(-EPROTO, "etcd %s: %s: %s: is this the client URL of "
			 "an etcd 3.4 or later?", c->ep[c->at], what, why);
}

/* ---- JSON ---- */

int64_t etcd__i64(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_get_int64(v);
}

int etcd__add_b64(json_object *o, const char *key, const void *data, size_t len)
{
	char *s = kfaas_b64_encode(data, len);
	json_object *v;

	if (!s)
		return -ENOMEM;
	v = json_object_new_string(s);
	free(s);
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int etcd__add_key(json_object *o, const char *key, bool prefix,
		  const char *range_end)
{
	size_t n = strlen(key);
	char *end;
	int err;

	err = etcd__add_b64(o, "key", key, n);
	if (err || (!prefix && !range_end))
		return err;
	if (range_end)
		return etcd__add_b64(o, "range_end", range_end, strlen(range_end));
	/* the prefix's end: its last byte below 0xff plus one */
	end = strndup(key, n);
	if (!end)
		return -ENOMEM;
	while (n && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (!n) {
		free(end);
		return etcd__add_b64(o, "range_end", "", 1);	/* "\0": all keys */
	}
	end[n - 1]++;
	err = etcd__add_b64(o, "range_end", end, n);
	free(end);
	return err;
}

int etcd__b64_field(json_object *o, const char *key, char **out, size_t *len)
{
	json_object *v;
	const char *s = "";
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (json_object_object_get_ex(o, key, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -EPROTO;
		s = json_object_get_string(v);
	}
	*out = malloc(strlen(s) / 4 * 3 + 1);
	if (!*out)
		return -ENOMEM;
	n = kfaas_b64_decode(s, *out, strlen(s) / 4 * 3);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return -EPROTO;
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int etcd__kv_parse(json_object *o, struct etcd_kv *kv)
{
	json_object *v;
	int err;

	memset(kv, 0, sizeof(*kv));
	err = etcd__b64_field(o, "key", &kv->key, &kv->key_len);
	if (!err && json_object_object_get_ex(o, "value", &v))
		err = etcd__b64_field(o, "value", &kv->value, &kv->value_len);
	if (err) {
		etcd_kv_free(kv);
		return err;
	}
	kv->create_rev = etcd__i64(o, "create_revision");
	kv->mod_rev = etcd__i64(o, "mod_revision");
	kv->version = etcd__i64(o, "version");
	kv->lease = etcd__i64(o, "lease");
	return 0;
}

int etcd__kvs_parse(json_object *o, struct etcd_kvs *out)
{
	json_object *h, *a, *m;
	size_t i, n;
	int err;

	memset(out, 0, sizeof(*out));
	if (json_object_object_get_ex(o, "header", &h))
		out->revision = etcd__i64(h, "revision");
	out->count = etcd__i64(o, "count");
	out->more = json_object_object_get_ex(o, "more", &m) &&
		    json_object_get_boolean(m);
	if (!json_object_object_get_ex(o, "kvs", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -EPROTO;
	n = json_object_array_length(a);
	out->kv = calloc(n ? n : 1, sizeof(*out->kv));
	if (!out->kv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = etcd__kv_parse(json_object_array_get_idx(a, i), &out->kv[i]);
		if (err) {
			etcd_kvs_free(out);
			return err;
		}
		out->n++;
	}
	return 0;
}
