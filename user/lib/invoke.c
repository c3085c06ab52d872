// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace invoker: build a real request frame for one of a
 * function's routes and run it through the pinned dispatcher with
 * BPF_PROG_TEST_RUN, so it takes the same path and accounting as traffic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"
#include <kfaas_frame.h>

static const uint8_t mac_client[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mac_server[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
/* documentation addresses (RFC 5737, RFC 3849) */
static const uint8_t v4_client[4] = { 192, 0, 2, 1 };
static const uint8_t v4_server[4] = { 192, 0, 2, 2 };
static const uint8_t v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* The first UDP route of fn (for dst, when given). */
static int pick_route(struct kfaas_state *st, const struct kfaas_fn_info *fn,
		      int dfam, const uint8_t *daddr, uint16_t dport,
		      struct kfaas_route_key *out)
{
	struct kfaas_route_filter f = { .proto = IPPROTO_UDP, .fn_id = fn->id,
					.port = dport, .family = dfam };
	struct kfaas_route_ent e;
	int rc;

	memcpy(f.addr, daddr, 16);
	rc = kfaas__route_first(st, &f, &e);
	if (rc == -ENOENT)
		return kfaas_err(-ENOENT, "function '%s' has no UDP route%s: add "
				 "one with 'kfaas route add udp PORT fn %s'",
				 fn->name, dport ? " for that --dst" : "",
				 fn->name);
	if (!rc)
		*out = e.key;
	return rc;
}

int kfaas_invoke_frame(struct kfaas_state *st, const struct kfaas_fn_info *fn,
		       const struct kfaas_invoke_opts *o, void *buf, size_t cap,
		       size_t *len)
{
	struct kfaas_frame_spec s = { .vlan = o->vlan, .payload = o->data,
				      .len = o->len };
	struct kfaas_route_key key = {};
	uint8_t saddr[16] = {}, daddr[16] = {};
	uint16_t sport = 40000, dport = 0;
	int sfam = 0, dfam = 0, rc;
	ssize_t n;

	if (o->src && kfaas_hostport_parse(o->src, &sfam, saddr, &sport))
		return kfaas_err(-EINVAL, "bad --src '%s': use ADDR:PORT, "
				 "[V6ADDR]:PORT or ADDR", o->src);
	if (o->dst && kfaas_hostport_parse(o->dst, &dfam, daddr, &dport))
		return kfaas_err(-EINVAL, "bad --dst '%s': use ADDR:PORT or "
				 "[V6ADDR]:PORT", o->dst);
	rc = pick_route(st, fn, dfam, daddr, dport, &key);
	if (rc)
		return rc;
	s.family = key.family ? key.family : dfam ? dfam : sfam ? sfam : 4;
	if ((sfam && sfam != s.family) || (dfam && dfam != s.family))
		return kfaas_err(-EINVAL, "--src/--dst address family does not "
				 "match the route (IPv%d)", s.family);
	memcpy(s.src_mac, mac_client, 6);
	memcpy(s.dst_mac, mac_server, 6);
	if (key.family)
		memcpy(s.daddr, key.addr, 16);
	else if (dfam)
		memcpy(s.daddr, daddr, 16);
	else
		memcpy(s.daddr, s.family == 6 ? v6_server : v4_server,
		       s.family == 6 ? 16 : 4);
	if (sfam)
		memcpy(s.saddr, saddr, 16);
	else
		memcpy(s.saddr, s.family == 6 ? v6_client : v4_client,
		       s.family == 6 ? 16 : 4);
	s.dport = ntohs(key.port);
	s.sport = sport;
	if (o->symmetric) {
		/* the reply is again a request: stable under repeat */
		memcpy(s.saddr, s.daddr, 16);
		memcpy(s.src_mac, s.dst_mac, 6);
		s.sport = s.dport;
	}
	n = kfaas_frame_build(&s, buf, cap);
	if (n < 0)
		return kfaas_err((int)n, "request too large for one frame (%zu "
				 "bytes of payload)", o->len);
	*len = (size_t)n;
	return 0;
}

/*
 * The frame runs with the pin root's invoke token in its XDP metadata
 * (bpf/kfaas_guard.h): it never reaches a network, so the loop check and
 * the source prefix buckets let it through, also when --repeat makes it
 * its own reply's request.  The output starts after the metadata.
 */
int kfaas_invoke_run(struct kfaas_state *st, const void *in, size_t len,
		     void *out, size_t *outlen, __u32 repeat, __u32 *retval,
		     __u32 *duration_ns)
{
	struct xdp_md ctx = { .data = sizeof(__u64),
			      .data_end = (__u32)(sizeof(__u64) + len) };
	struct kfaas_globals g;
	size_t cap = out ? *outlen + sizeof(__u64) : 0;
	char *ibuf, *obuf = NULL;
	int rc;

	LIBBPF_OPTS(bpf_test_run_opts, t,
		.data_size_in = (__u32)(sizeof(__u64) + len),
		.data_size_out = (__u32)cap,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.ctx_out = &ctx,
		.ctx_size_out = sizeof(ctx),
		.repeat = (int)repeat,
	);
	rc = kfaas_globals_get(st, &g);
	if (rc)
		return rc;
	ibuf = malloc(sizeof(__u64) + len);
	if (cap)
		obuf = malloc(cap);
	if (!ibuf || (cap && !obuf)) {
		free(ibuf);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	memcpy(ibuf, &g.invoke_token, sizeof(__u64));
	memcpy(ibuf + sizeof(__u64), in, len);
	t.data_in = ibuf;
	t.data_out = obuf;
	if (bpf_prog_test_run_opts(st->disp_fd, &t)) {
		rc = kfaas__errno_msg(-errno, "BPF_PROG_TEST_RUN of the "
				      "dispatcher failed");
		goto out;
	}
	if (out) {
		/* the frame begins ctx.data bytes in (after the metadata) */
		size_t n = t.data_size_out > ctx.data ? t.data_size_out - ctx.data : 0;

		if (n > *outlen)
			n = *outlen;
		memcpy(out, obuf + (ctx.data < t.data_size_out ? ctx.data : 0), n);
		*outlen = n;
	}
	*retval = t.retval;
	if (duration_ns)
		*duration_ns = t.duration;
out:
	free(ibuf);
	free(obuf);
	return rc;
}

/* CPU cpu's copy of element key of the per-CPU map fd, size bytes. */
static int percpu_get(struct kfaas_state *st, int fd, __u32 key, int cpu,
		      void *out, size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7;
	char *all = calloc((size_t)st->ncpus, stride);
	int rc = 0;

	if (!all)
		return kfaas_err(-ENOMEM, "out of memory");
	if (bpf_map_lookup_elem(fd, &key, all))
		rc = kfaas__errno_msg(-errno, "cannot read a per-CPU map");
	else
		memcpy(out, all + (size_t)cpu * stride, size);
	free(all);
	return rc;
}

/*
 * One run on one CPU, whose hand-over then holds what each hop of a chain
 * did: the run was a chain's request when the CPU's count of chain
 * requests moved (another request of a chain on that CPU at the same
 * instant could overwrite the hops: kfaas invoke is a tool, not a probe).
 */
int kfaas_invoke_traced(struct kfaas_state *st, const void *in, size_t len,
			void *out, size_t *outlen, __u32 *retval,
			__u32 *duration_ns, struct kfaas_hop *hops, __u32 *nhops)
{
	__u64 before = 0, after = 0;
	struct kfaas_scratch sc;
	cpu_set_t set, old;
	int cpu = sched_getcpu(), rc;
	__u32 i;

	*nhops = 0;
	if (cpu < 0 || cpu >= st->ncpus || sched_getaffinity(0, sizeof(old), &old))
		return kfaas__errno_msg(-errno, "cannot find this CPU");
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return kfaas__errno_msg(-errno, "cannot stay on one CPU");
	rc = percpu_get(st, st->dstats_fd, KFAAS_DSTAT_CHAINS, cpu, &before,
			sizeof(before)) ?:
	     kfaas_invoke_run(st, in, len, out, outlen, 1, retval, duration_ns) ?:
	     percpu_get(st, st->dstats_fd, KFAAS_DSTAT_CHAINS, cpu, &after,
			sizeof(after)) ?:
	     percpu_get(st, st->scratch_fd, 0, cpu, &sc, sizeof(sc));
	sched_setaffinity(0, sizeof(old), &old);
	if (rc || after == before)
		return rc;
	for (i = 0; i <= sc.hop && i < sc.chain_len && i < KFAAS_CHAIN_MAX; i++) {
		if (sc.trace[i].fn_id != sc.chain_fn[i])
			break;	/* the hop's function did not run */
		hops[i] = sc.trace[i];
	}
	*nhops = i;
	return 0;
}

const char *kfaas_xdp_verdict(__u32 v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP",
					     "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "XDP_UNKNOWN";
}
