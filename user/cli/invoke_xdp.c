// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke of an XDP-tier function: a real Ethernet/IP/UDP request
 * for one of its routes, run through the pinned dispatcher with
 * BPF_PROG_TEST_RUN (the same path and accounting as live traffic).  A
 * reply frame is checked (checksums, addressed back) before it is
 * printed, with what each hop of a chain did.  --repeat N runs N
 * invocations in batches and times each batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <kfaas_frame.h>
#include "cli.h"

#define FRAME_CAP	(INVOKE_MAX_PAYLOAD + 128)

/* What the dispatcher did with the request. */
struct xdp_result {
	__u32	retval;			/* the XDP verdict */
	__u32	dur;			/* ns per invocation */
	uint8_t	*out;			/* the frame after the run */
	size_t	outlen;
	struct kfaas_frame_info ri;	/* out, parsed, when retval is XDP_TX */
	struct invoke_stats stats;	/* with --repeat */
	struct kfaas_hop hops[KFAAS_CHAIN_MAX];	/* a chain's, once */
	__u32	nhops;
};

/* What hop i of n did, from its body's return and the run's verdict. */
static const char *hop_outcome(const struct xdp_result *x, __u32 i)
{
	__s32 rc = x->hops[i].rc;

	if (rc == KFAAS_NEXT && i + 1 < x->nhops)
		return "next";
	if (rc == KFAAS_NEXT)
		return x->retval == XDP_TX ? "reply" :
		       x->retval == XDP_PASS ? "pass" : "drop";
	if (rc >= 0)
		return x->retval == XDP_TX ? "reply" : "drop";
	return rc == KFAAS_PASS ? "pass" : rc == KFAAS_DROP ? "drop" : "error";
}

/* Each hop of a chain: its function, bytes in and out, what it did. */
static void print_hops(struct kfaas_state *st, const struct xdp_result *x,
		       json_object *o)
{
	json_object *arr = o ? json_object_new_array() : NULL;
	__u32 i;

	if (!o)
		printf("chain: %u hop(s)\n", x->nhops);
	for (i = 0; i < x->nhops; i++) {
		const struct kfaas_hop *h = &x->hops[i];
		struct kfaas_fn_info f;
		json_object *j;

		if (kfaas_fn_get(st, h->fn_id, &f))
			snprintf(f.name, sizeof(f.name), "#%u", h->fn_id);
		if (!o) {
			printf("  %u %-20s %5u -> %-5u bytes  %s\n", i + 1, f.name,
			       h->len_in, h->len_out, hop_outcome(x, i));
			continue;
		}
		j = json_object_new_object();
		json_object_object_add(j, "hop", json_object_new_int((int)i + 1));
		json_object_object_add(j, "fn", json_object_new_string(f.name));
		json_object_object_add(j, "fn_id", json_object_new_int64(h->fn_id));
		json_object_object_add(j, "len_in", json_object_new_int(h->len_in));
		json_object_object_add(j, "len_out", json_object_new_int(h->len_out));
		json_object_object_add(j, "outcome",
				       json_object_new_string(hop_outcome(x, i)));
		json_object_array_add(arr, j);
	}
	if (o)
		json_object_object_add(o, "hops", arr);
}

/* Check the reply frame answers the request; NULL if it does. */
static const char *check_reply(const uint8_t *req, size_t reqlen,
			       const uint8_t *out, size_t outlen,
			       struct kfaas_frame_info *ri)
{
	struct kfaas_frame_info qi;
	const char *why = NULL;

	if (kfaas_frame_parse(req, reqlen, &qi, &why))
		return why;
	if (kfaas_frame_parse(out, outlen, ri, &why))
		return why;
	if (!ri->ip_csum_ok)
		return "bad IPv4 header checksum";
	if (!ri->udp_csum_ok)
		return "bad UDP checksum";
	if (ri->family != qi.family || ri->dport != qi.sport ||
	    ri->sport != qi.dport ||
	    memcmp(ri->daddr, qi.saddr, 16) || memcmp(ri->saddr, qi.daddr, 16) ||
	    memcmp(ri->dst_mac, qi.src_mac, 6))
		return "reply is not addressed back to the requester";
	return NULL;
}

/* r->repeat invocations in at most r->batches runs, each one timed. */
static int run_batches(struct kfaas_state *st, const uint8_t *req,
		       size_t reqlen, const struct invoke_req *r,
		       struct xdp_result *x)
{
	unsigned long long per, left = r->repeat, total_ns = 0;
	__u64 durs[INVOKE_MAX_BATCHES];
	int i, batches;

	batches = r->repeat < (unsigned long long)r->batches ? (int)r->repeat :
							       r->batches;
	per = r->repeat / batches;
	for (i = 0; i < batches; i++) {
		unsigned long long n = i == batches - 1 ? left : per;
		__u32 d;

		x->outlen = FRAME_CAP;
		if (kfaas_invoke_run(st, req, reqlen, x->out, &x->outlen,
				     (__u32)n, &x->retval, &d))
			return p_lib_err();
		durs[i] = d;
		total_ns += (unsigned long long)d * n;
		left -= n;
	}
	x->dur = (__u32)(total_ns / r->repeat);
	x->stats.repeat = r->repeat;
	x->stats.per = (double)total_ns / r->repeat;
	invoke_stats_pick(&x->stats, durs, (size_t)batches);
	return 0;
}

static void print_result(struct kfaas_state *st, const struct invoke_req *r,
			 const struct xdp_result *x)
{
	const uint8_t *reply = x->out + x->ri.payload_off;

	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(r->name));
		json_object_object_add(o, "verdict", json_object_new_string(
			kfaas_xdp_verdict(x->retval)));
		json_object_object_add(o, "request_len",
				       json_object_new_int64((int64_t)r->len));
		if (x->retval == XDP_TX)
			invoke_json_reply(o, reply, x->ri.payload_len);
		json_object_object_add(o, "duration_ns",
				       json_object_new_int64(x->dur));
		if (x->nhops)
			print_hops(st, x, o);
		if (r->repeat)
			invoke_json_stats(o, &x->stats, -1);
		json_print(o);
		return;
	}
	printf("%s: %s in %u ns\n", r->name, kfaas_xdp_verdict(x->retval), x->dur);
	if (x->nhops)
		print_hops(st, x, NULL);
	if (x->retval == XDP_TX)
		invoke_print_reply(reply, x->ri.payload_len, false);
	else if (x->retval == XDP_PASS)
		printf("passed up the stack: no fast-tier reply\n");
	if (r->repeat)
		invoke_print_stats(&x->stats, -1);
}

int invoke_xdp(struct kfaas_state *st, const struct kfaas_fn_info *fn,
	       const struct invoke_req *r)
{
	struct kfaas_invoke_opts io = {
		.data = r->payload, .len = r->len, .src = r->src, .dst = r->dst,
		.vlan = r->vlan,
		/* source = destination: each reply is again a request */
		.symmetric = r->repeat > 0 && !r->src,
	};
	struct xdp_result x = { .outlen = FRAME_CAP };
	uint8_t *req = calloc(1, FRAME_CAP);
	const char *bad;
	size_t reqlen;
	int rc = -1;

	x.out = calloc(1, FRAME_CAP);
	if (!req || !x.out)
		p_err("out of memory");
	else if (kfaas_invoke_frame(st, fn, &io, req, FRAME_CAP, &reqlen))
		p_lib_err();
	else if (r->repeat)
		rc = run_batches(st, req, reqlen, r, &x);
	else if (kfaas_invoke_traced(st, req, reqlen, x.out, &x.outlen,
				     &x.retval, &x.dur, x.hops, &x.nhops))
		p_lib_err();
	else
		rc = 0;
	if (!rc && x.retval == XDP_TX) {
		bad = check_reply(req, reqlen, x.out, x.outlen, &x.ri);
		if (bad)
			rc = p_err("function '%s' produced a malformed reply "
				   "frame: %s", r->name, bad);
	}
	if (!rc)
		print_result(st, r, &x);
	free(req);
	free(x.out);
	return rc;
}
