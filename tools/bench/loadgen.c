// SPDX-License-Identifier: GPL-2.0
/*
 * The request/reply side of the UDP benchmark's load generators: see
 * loadgen.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include "kvgen.h"
#include "loadgen.h"

void lg_init(struct lg *g)
{
	memset(g, 0, sizeof(*g));
	g->window = 64;
	g->time = 3;
	g->warmup = 0.5;
	g->timeout = 0.2;
	g->size = 32;
	g->keys = 100;
	g->vlen = 32;
	g->mode = LG_ECHO;
}

int lg_option(struct lg *g, int c, const char *arg)
{
	switch (c) {
	case 0x100: g->port = atoi(arg); break;
	case 0x101:
		if (!strcmp(arg, "echo"))
			g->mode = LG_ECHO;
		else if (!strcmp(arg, "kv"))
			g->mode = LG_KV;
		else
			return -1;
		break;
	case 0x102: g->window = atoi(arg); break;
	case 0x103: g->time = atof(arg); break;
	case 0x104: g->warmup = atof(arg); break;
	case 0x105: g->timeout = atof(arg); break;
	case 0x106: g->size = (size_t)atoi(arg); break;
	case 0x107: g->keys = (unsigned int)atoi(arg); break;
	case 0x108: g->vlen = (size_t)atoi(arg); break;
	case 0x109: g->zipf = atof(arg); break;
	case 0x10a: g->rate = atof(arg); break;
	default: return 0;
	}
	return 1;
}

int lg_check(const struct lg *g, const char *prog)
{
	if (g->keys < 1 || g->keys > KVGEN_MAX_KEYS || g->vlen > KVGEN_VAL_MAX) {
		fprintf(stderr, "%s: --keys 1..%d, --value-size 0..%d\n", prog,
			KVGEN_MAX_KEYS, KVGEN_VAL_MAX);
		return -1;
	}
	if (g->rate < 0 || g->rate > 1e8) {
		fprintf(stderr, "%s: --rate 0..1e8 requests/s\n", prog);
		return -1;
	}
	if (g->zipf < 0 || g->zipf > 5) {
		fprintf(stderr, "%s: --zipf 0..5\n", prog);
		return -1;
	}
	if (g->port <= 0 || g->port > 65535) {
		fprintf(stderr, "%s: --port 1..65535 is required\n", prog);
		return -1;
	}
	if (g->window < 1 || g->window > LG_MAX_WINDOW || g->time <= 0 ||
	    g->size < LG_HDR || g->size > LG_MAX_PAYLOAD) {
		fprintf(stderr, "%s: --window 1..%d, --time > 0, --size "
			"%d..%d\n", prog, LG_MAX_WINDOW, LG_HDR, LG_MAX_PAYLOAD);
		return -1;
	}
	return 0;
}

uint64_t lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The Zipf(s) distribution over the keys, as a cumulative table. */
static int zipf_init(struct lg *g)
{
	double sum = 0;
	unsigned int k;

	g->cdf = malloc(g->keys * sizeof(*g->cdf));
	if (!g->cdf) {
		fprintf(stderr, "loadgen: out of memory\n");
		return -1;
	}
	for (k = 0; k < g->keys; k++)
		g->cdf[k] = sum += 1.0 / pow(k + 1, g->zipf);
	for (k = 0; k < g->keys; k++)
		g->cdf[k] /= sum;
	g->rng = 0x9e3779b97f4a7c15ULL;
	return 0;
}

/* The next key: in turn, or drawn from the Zipf table (xorshift64*). */
static unsigned int next_key(struct lg *g)
{
	unsigned int lo = 0, hi = g->keys - 1, mid;
	double u;

	if (!g->cdf)
		return (unsigned int)(g->nk++ % g->keys);
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	u = (double)((g->rng * 0x2545f4914f6cdd1dULL) >> 11) / (double)(1ULL << 53);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (g->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int lg_start(struct lg *g)
{
	unsigned int k;
	size_t n;

	g->echo = malloc(g->size);
	g->req = malloc((size_t)g->keys * LG_STRIDE);
	g->rep = malloc((size_t)g->keys * LG_STRIDE);
	g->req_len = malloc(g->keys * sizeof(*g->req_len));
	g->rep_len = malloc(g->keys * sizeof(*g->rep_len));
	if (!g->echo || !g->req || !g->rep || !g->req_len || !g->rep_len) {
		fprintf(stderr, "loadgen: out of memory\n");
		return -1;
	}
	for (n = 0; n < g->size; n++)
		g->echo[n] = 'a' + n % 26;
	for (k = 0; k < g->keys; k++) {
		char key[KVGEN_KEY_LEN + 1], *q = g->req + (size_t)k * LG_STRIDE;

		/* memcached's UDP frame header after the id, then the command */
		memcpy(q, "\0\0\0\1\0\0", 6);
		kvgen_key(k, key);
		g->req_len[k] = (uint16_t)(6 + sprintf(q + 6, "get %s\r\n", key));
		g->rep_len[k] = (uint16_t)kvgen_reply(k, g->vlen,
						      g->rep + (size_t)k * LG_STRIDE,
						      LG_STRIDE);
		if (!g->rep_len[k]) {
			fprintf(stderr, "loadgen: the reply of key %u does not "
				"fit %d bytes\n", k, LG_STRIDE);
			return -1;
		}
	}
	if (g->zipf > 0 && zipf_init(g))
		return -1;
	g->t_start = lg_now();
	g->t_meas = g->t_start + (uint64_t)(g->warmup * 1e9);
	g->t_end = g->t_meas + (uint64_t)(g->time * 1e9);
	g->next_send = g->t_start;
	return 0;
}

void lg_expire(struct lg *g, uint64_t t)
{
	int i;

	if (t - g->t_last_scan <= 10000000)
		return;
	g->t_last_scan = t;
	for (i = 0; i < g->window; i++) {
		if (g->slots[i].sent && t - g->slots[i].sent >
		    (uint64_t)(g->timeout * 1e9)) {
			g->slots[i].sent = 0;
			g->slots[i].gen++;
			if (t >= g->t_meas)
				g->lost++;
		}
	}
}

/* Paced: one request every 1/rate s; a backlog of at most 1 ms is
 * caught up (a generator that fell behind sends a short burst, never
 * the whole debt). */
static int lg_due(struct lg *g, uint64_t t)
{
	uint64_t gap;

	if (g->rate <= 0)
		return 1;
	if (t < g->next_send)
		return 0;
	gap = (uint64_t)(1e9 / g->rate);
	if (g->next_send + 1000000 < t)
		g->next_send = t - 1000000;
	g->next_send += gap ? gap : 1;
	return 1;
}

uint64_t lg_due_in(const struct lg *g, uint64_t t, uint64_t max)
{
	if (g->rate <= 0 || t >= g->next_send)
		return 0;
	return g->next_send - t < max ? g->next_send - t : max;
}

int lg_take(struct lg *g, int from, uint64_t t)
{
	int i;

	for (i = from; i < g->window; i++) {
		if (g->slots[i].sent)
			continue;
		if (!lg_due(g, t))
			return -1;
		g->slots[i].key = next_key(g);
		g->slots[i].sent = t;
		g->sent++;
		return i;
	}
	return -1;
}

void lg_untake(struct lg *g, int s)
{
	g->slots[s].sent = 0;
	g->sent--;
}

size_t lg_build(const struct lg *g, int s, char *buf)
{
	const struct lg_slot *sl = &g->slots[s];
	uint16_t id = htons((uint16_t)(sl->gen << 8 | s));

	memcpy(buf, &id, 2);
	if (g->mode == LG_KV) {
		memcpy(buf + 2, g->req + (size_t)sl->key * LG_STRIDE,
		       g->req_len[sl->key]);
		return 2 + g->req_len[sl->key];
	}
	memcpy(buf + 2, g->echo + 2, g->size - 2);
	return g->size;
}

/* Is this the right reply to the request in slot sl?  echo: the request's
 * payload back; kv: the memcached frame header and VALUE/END of its key. */
static int reply_ok(const struct lg *g, const char *buf, size_t len,
		    const struct lg_slot *sl)
{
	if (g->mode == LG_ECHO)
		return len == g->size && !memcmp(buf + 2, g->echo + 2, len - 2);
	return len == (size_t)LG_HDR + g->rep_len[sl->key] &&
	       !memcmp(buf + 2, "\0\0\0\1\0\0", 6) &&
	       !memcmp(buf + LG_HDR, g->rep + (size_t)sl->key * LG_STRIDE,
		       g->rep_len[sl->key]);
}

static void lat_add(struct lg *g, uint64_t ns)
{
	if (g->nlat == g->caplat) {
		g->caplat = g->caplat ? g->caplat * 2 : 1 << 20;
		g->lat = realloc(g->lat, g->caplat * sizeof(*g->lat));
		if (!g->lat) {
			fprintf(stderr, "loadgen: out of memory\n");
			exit(1);
		}
	}
	g->lat[g->nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

void lg_reply(struct lg *g, const char *buf, size_t len, uint64_t t)
{
	uint16_t id;
	int s;

	if (len < 2) {
		g->bad++;
		return;
	}
	memcpy(&id, buf, 2);
	id = ntohs(id);
	s = id & 0xff;
	if (s >= g->window || !g->slots[s].sent || g->slots[s].gen != (id >> 8)) {
		g->late++;
		return;
	}
	if (!reply_ok(g, buf, len, &g->slots[s]))
		g->bad++;
	else if (g->slots[s].sent >= g->t_meas) {
		g->done++;
		lat_add(g, t - g->slots[s].sent);
	}
	g->slots[s].sent = 0;
	g->slots[s].gen++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const struct lg *g, double p)
{
	size_t i;

	if (!g->nlat)
		return NAN;
	i = (size_t)ceil(p / 100.0 * g->nlat);
	if (i > 0)
		i--;
	if (i >= g->nlat)
		i = g->nlat - 1;
	return g->lat[i] / 1000.0;
}

static json_object *num(double x)
{
	char b[32];

	if (isnan(x))
		return NULL;
	snprintf(b, sizeof(b), "%.4g", x);
	return json_object_new_double_s(strtod(b, NULL), b);
}

int lg_report(struct lg *g, json_object *extra)
{
	json_object *j, *l;

	qsort(g->lat, g->nlat, sizeof(*g->lat), cmp_u32);
	j = json_object_new_object();
	json_object_object_add(j, "mode", json_object_new_string(g->mode == LG_KV ? "kv" : "echo"));
	json_object_object_add(j, "window", json_object_new_int(g->window));
	if (g->zipf > 0)
		json_object_object_add(j, "zipf", num(g->zipf));
	json_object_object_add(j, "duration_s", num(g->time));
	if (g->rate > 0)
		json_object_object_add(j, "offered_rps", num(g->rate));
	json_object_object_add(j, "sent", json_object_new_int64((int64_t)g->sent));
	json_object_object_add(j, "replies", json_object_new_int64((int64_t)g->done));
	json_object_object_add(j, "rps", num(g->done / g->time));
	json_object_object_add(j, "lost", json_object_new_int64((int64_t)g->lost));
	json_object_object_add(j, "late", json_object_new_int64((int64_t)g->late));
	json_object_object_add(j, "bad", json_object_new_int64((int64_t)g->bad));
	l = json_object_new_object();
	json_object_object_add(l, "p50", num(pct(g, 50)));
	json_object_object_add(l, "p90", num(pct(g, 90)));
	json_object_object_add(l, "p99", num(pct(g, 99)));
	json_object_object_add(l, "p999", num(pct(g, 99.9)));
	json_object_object_add(l, "max", num(g->nlat ? g->lat[g->nlat - 1] / 1000.0 : NAN));
	json_object_object_add(j, "latency_us", l);
	if (extra) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(j, k, json_object_get(v));
		json_object_put(extra);
	}
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	free(g->lat);
	free(g->echo);
	free(g->req);
	free(g->rep);
	free(g->req_len);
	free(g->rep_len);
	free(g->cdf);
	g->lat = NULL;
	g->cdf = NULL;
	return g->done ? 0 : 1;
}
