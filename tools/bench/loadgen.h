/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request/reply side shared by the UDP benchmark's two load
 * generators, udpload (kernel UDP socket) and xskload (AF_XDP): the
 * window of outstanding requests, the request format, the byte-for-byte
 * reply check, the latency record and the JSON report.  Both generators
 * judge replies with this code, so their figures mean the same thing.
 *
 * A request carries a 16-bit id (memcached's UDP request id for kv): the
 * slot in the window (low byte) and a generation (high byte), so a reply
 * that comes after its request was given up (--timeout) is counted as
 * late instead of being mistaken for a newer one.
 */
#ifndef KFAAS_BENCH_LOADGEN_H
#define KFAAS_BENCH_LOADGEN_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define LG_HDR		8	/* id + memcached UDP frame header */
#define LG_MAX_WINDOW	256
#define LG_MAX_PAYLOAD	1400

enum { LG_ECHO, LG_KV };

struct lg_slot {
	uint64_t	sent;		/* ns, 0 = free */
	uint8_t		gen;
	unsigned int	key;
};

struct lg {
	/* options */
	int		port;
	int		mode;
	int		window;
	double		time, warmup, timeout;
	size_t		size;
	unsigned int	keys;
	size_t		vlen;
	double		zipf;		/* kv: 0 = keys in turn, else Zipf(s) */
	double		rate;		/* requests/s offered, 0 = as fast as
					 * the window allows */
	/* state */
	struct lg_slot	slots[LG_MAX_WINDOW];
	uint64_t	t_start, t_meas, t_end, t_last_scan, nk;
	uint64_t	done, lost, bad, late, sent;
	uint64_t	next_send;	/* --rate: when the next may go */
	uint32_t	*lat;
	size_t		nlat, caplat;
	/* requests and replies made once before the clock starts: the
	 * generators' own work per request stays small */
	char		*echo;		/* the echo payload after the id */
	char		*req, *rep;	/* kv: per key, LG_STRIDE bytes each */
	uint16_t	*req_len, *rep_len;
	double		*cdf;		/* --zipf: P(key <= i) */
	uint64_t	rng;
};
#define LG_STRIDE	512

/* The options both generators take (getopt_long values 0x100 and up). */
#define LG_OPTIONS							\
	{ "port", required_argument, NULL, 0x100 },			\
	{ "mode", required_argument, NULL, 0x101 },			\
	{ "window", required_argument, NULL, 0x102 },			\
	{ "time", required_argument, NULL, 0x103 },			\
	{ "warmup", required_argument, NULL, 0x104 },			\
	{ "timeout", required_argument, NULL, 0x105 },			\
	{ "size", required_argument, NULL, 0x106 },			\
	{ "keys", required_argument, NULL, 0x107 },			\
	{ "value-size", required_argument, NULL, 0x108 },		\
	{ "zipf", required_argument, NULL, 0x109 },			\
	{ "rate", required_argument, NULL, 0x10a }
#define LG_USAGE							\
	"  --port P --mode echo|kv [--window W] [--time S] [--warmup S]\n" \
	"  [--timeout S] [--size BYTES] [--keys N] [--value-size V]\n" \
	"  [--zipf S]  (kv: keys drawn Zipf(S), key0000 the hottest)\n" \
	"  [--rate R]  (offer R requests/s, paced, the window still the\n" \
	"              bound on outstanding ones)\n"

void lg_init(struct lg *g);
/* One of LG_OPTIONS: 1 taken, 0 not ours, -1 bad value. */
int lg_option(struct lg *g, int c, const char *arg);
/* Check the options after parsing; 0 or -1 with a message. */
int lg_check(const struct lg *g, const char *prog);

uint64_t lg_now(void);
/* Make the requests and replies, then start the clock: warm-up, then
 * the measured --time.  0, or -1 with a message. */
int lg_start(struct lg *g);
/* Give up on requests older than --timeout (re-sent as new ones). */
void lg_expire(struct lg *g, uint64_t t);
/* The next free slot, marked sent at t, or -1 when the window is full
 * or (--rate) the next request is not due yet. */
int lg_take(struct lg *g, int from, uint64_t t);
/* --rate: ns from t until the next request is due (0: due now, or not
 * paced), at most max. */
uint64_t lg_due_in(const struct lg *g, uint64_t t, uint64_t max);
/* A request that could not be sent after all: its slot is free again. */
void lg_untake(struct lg *g, int s);
/* The request payload (UDP payload) of slot s into buf; its length. */
size_t lg_build(const struct lg *g, int s, char *buf);
/* A reply payload arrived at t: match it to its slot, check it, record. */
void lg_reply(struct lg *g, const char *buf, size_t len, uint64_t t);
/* Print the JSON report (extra: more fields, may be NULL); exit code. */
int lg_report(struct lg *g, json_object *extra);

#endif
