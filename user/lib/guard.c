// SPDX-License-Identifier: GPL-2.0
/*
 * The reflection and loop defences as the XDP dispatcher reads them
 * (bpf/kfaas_guard.h; docs/reliability.md, "Reflection and
 * amplification"):
 *   - the globals' guard fields: the rate, burst and prefix lengths set
 *     with 'kfaas config set guard-*', and what the dispatcher uses,
 *     computed here with the budgets' arithmetic (include/kfaas/bucket.h):
 *     the cost of a request and the burst in ns, the prefix masks
 *   - kfaas_loop_ports: the well-known UDP services that answer whatever
 *     datagram arrives, and the port of every UDP route
 *   - kfaas_guard_stats: the refusals, per function
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

/*
 * UDP services that answer any datagram, so that a reply sent to one is
 * answered again: the application-loop ("loop DoS", CVE-2024-2169) and
 * amplification lists.  A request from one of these ports is not
 * answered, unless its route allows it ('loops allow').
 */
static const __u16 loop_ports[] = {
	7,	/* echo */
	11,	/* systat */
	13,	/* daytime */
	17,	/* qotd */
	19,	/* chargen */
	37,	/* time */
	53,	/* domain */
	69,	/* tftp */
	111,	/* sunrpc (portmap) */
	123,	/* ntp */
	137,	/* netbios-ns */
	161,	/* snmp */
	389,	/* cldap */
	520,	/* rip */
	1900,	/* ssdp */
	5353,	/* mdns */
	11211,	/* memcached */
};

size_t kfaas_loop_ports_wellknown(const __u16 **ports)
{
	*ports = loop_ports;
	return sizeof(loop_ports) / sizeof(loop_ports[0]);
}

/* A /plen mask of 32-bit words in network order. */
static __be32 mask_word(unsigned int plen, unsigned int word)
{
	unsigned int bits = plen > 32 * word ? plen - 32 * word : 0;

	if (bits == 0)
		return 0;
	return htonl(bits >= 32 ? 0xffffffffU : ~0U << (32 - bits));
}

int kfaas_guard_derive(struct kfaas_globals *g)
{
	struct kfaas_bucket b;
	int i;

	if (g->guard_rate == 0 || g->guard_rate > KFAAS_RATE_MAX)
		return kfaas_err(-EINVAL, "guard-rate %llu: use 1 to %llu "
				 "requests per second per source prefix (turn "
				 "the guard off per route: 'guard off')",
				 (unsigned long long)g->guard_rate,
				 KFAAS_RATE_MAX);
	if (g->guard_plen4 > 32 || g->guard_plen6 > 128)
		return kfaas_err(-EINVAL, "guard-prefix4 is 0 to 32 and "
				 "guard-prefix6 0 to 128 (bits of the source "
				 "address that make a source)");
	kfaas_bucket_init(&b, g->guard_rate, g->guard_burst);
	g->guard_cost = kfaas_bucket_cost(&b, 1);
	g->guard_tau = b.tau;
	g->guard_mask4 = mask_word(g->guard_plen4, 0);
	for (i = 0; i < 4; i++)
		g->guard_mask6[i] = mask_word(g->guard_plen6, i);
	return 0;
}

void kfaas__guard_defaults(struct kfaas_globals *g)
{
	g->guard_rate = KFAAS_GUARD_RATE_DEFAULT;
	g->guard_burst = KFAAS_GUARD_BURST_DEFAULT;
	g->guard_plen4 = KFAAS_GUARD_PLEN4_DEFAULT;
	g->guard_plen6 = KFAAS_GUARD_PLEN6_DEFAULT;
	kfaas_guard_derive(g);
	if (getrandom(&g->invoke_token, sizeof(g->invoke_token), 0) !=
	    sizeof(g->invoke_token) || !g->invoke_token)
		g->invoke_token = (__u64)kfaas_now_ns() * 0x9e3779b97f4a7c15ULL | 1;
	g->loop_below = 0;	/* until the loop ports are written */
}

/* OR (set) or replace (!set) word w of the loop-port map: 0 or -errno. */
static int loop_word_put(struct kfaas_state *st, __u32 w, __u64 bits, bool set)
{
	__u64 cur = 0;

	if (bpf_map_lookup_elem(st->loop_ports_fd, &w, &cur))
		return kfaas__errno_msg(-errno, "cannot read the loop ports");
	if (set)
		bits |= cur;
	if (bits == cur)
		return 0;
	if (bpf_map_update_elem(st->loop_ports_fd, &w, &bits, BPF_ANY))
		return kfaas__errno_msg(-errno, "cannot write the loop ports");
	return 0;
}

/* Raise (or set) config.loop_below to below. */
static int loop_below_put(struct kfaas_state *st, __u32 below, bool raise)
{
	struct kfaas_globals g;
	int rc = kfaas_globals_get(st, &g);

	if (rc || g.loop_below == below || (raise && g.loop_below > below))
		return rc;
	g.loop_below = below;
	return kfaas_globals_set(st, &g);
}

int kfaas__loop_port_add(struct kfaas_state *st, __u16 port)
{
	return loop_word_put(st, port / 64, 1ULL << (port % 64), true) ?:
	       loop_below_put(st, (__u32)port + 1, true);
}

int kfaas__loop_ports_sync(struct kfaas_state *st)
{
	__u64 *bits = calloc(65536 / 64, sizeof(*bits));
	struct kfaas_route_ent *r = NULL;
	size_t n = 0, i;
	__u32 below = 0, w;
	int rc;

	if (!bits)
		return kfaas_err(-ENOMEM, "out of memory");
	rc = kfaas_route_list(st, &r, &n);
	for (i = 0; !rc && i < sizeof(loop_ports) / sizeof(loop_ports[0]) + n; i++) {
		__u16 p;

		if (i < sizeof(loop_ports) / sizeof(loop_ports[0])) {
			p = loop_ports[i];
		} else {
			const struct kfaas_route_ent *e =
				&r[i - sizeof(loop_ports) / sizeof(loop_ports[0])];

			if (e->key.proto != IPPROTO_UDP)
				continue;
			p = ntohs(e->key.port);
		}
		bits[p / 64] |= 1ULL << (p % 64);
		if ((__u32)p + 1 > below)
			below = (__u32)p + 1;
	}
	/* the threshold first when it rises, last when it falls */
	if (!rc)
		rc = loop_below_put(st, below, true);
	for (w = 0; !rc && w < 65536 / 64; w++)
		rc = loop_word_put(st, w, bits[w], false);
	if (!rc)
		rc = loop_below_put(st, below, false);
	free(bits);
	free(r);
	return rc;
}

int kfaas_guard_stats_read(struct kfaas_state *st, __u32 id,
			   struct kfaas_guard_stats *sum)
{
	struct kfaas_guard_stats *v;
	int i;

	memset(sum, 0, sizeof(*sum));
	v = calloc(st->ncpus, sizeof(*v));
	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	if (bpf_map_lookup_elem(st->guard_stats_fd, &id, v)) {
		free(v);
		return kfaas__errno_msg(-errno, "cannot read the guard counters");
	}
	for (i = 0; i < st->ncpus; i++) {
		sum->loop += v[i].loop;
		sum->guard += v[i].guard;
		sum->ratio += v[i].ratio;
	}
	free(v);
	return 0;
}

int kfaas__guard_stats_reset(struct kfaas_state *st, __u32 id)
{
	return kfaas__percpu_zero(st, st->guard_stats_fd, id,
				  sizeof(struct kfaas_guard_stats));
}
