// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas_port_routes: the XDP dispatcher's index of the UDP routes, one
 * array element per destination port (bpf/kfaas_maps.h).  kfaas_routes
 * stays the table of record; route.c writes it first and this copy
 * after, under config.busy, so a crash between the two is repaired from
 * it (kfaas__port_routes_sync(), repair.c).  An element holds the
 * port-only route (fn_id 0: none) and KFAAS_ROUTE_F_ADDRS when the port
 * has address routes too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "internal.h"

#define NPORTS	65536

static int port_get(struct kfaas_state *st, __u32 port, struct kfaas_route *r)
{
	if (bpf_map_lookup_elem(st->port_routes_fd, &port, r))
		return kfaas__errno_msg(-errno, "cannot read the port routes");
	return 0;
}

static int port_set(struct kfaas_state *st, __u32 port,
		    const struct kfaas_route *r)
{
	if (bpf_map_update_elem(st->port_routes_fd, &port, r, BPF_ANY))
		return kfaas__errno_msg(-errno, "cannot write the port routes");
	return 0;
}

int kfaas__port_route_put(struct kfaas_state *st,
			  const struct kfaas_route_key *key,
			  const struct kfaas_route *val)
{
	__u32 port = ntohs(key->port);
	struct kfaas_route cur, next = {};
	int rc;

	if (key->proto != IPPROTO_UDP)
		return 0;
	rc = port_get(st, port, &cur);
	if (rc)
		return rc;
	if (key->family) {
		/* an address route: the port's element only says there are */
		if (!val || (cur.flags & KFAAS_ROUTE_F_ADDRS))
			return 0;
		cur.flags |= KFAAS_ROUTE_F_ADDRS;
		return port_set(st, port, &cur);
	}
	if (val)
		next = *val;
	next.flags &= ~KFAAS_ROUTE_F_ADDRS;
	next.flags |= cur.flags & KFAAS_ROUTE_F_ADDRS;
	return memcmp(&next, &cur, sizeof(cur)) ? port_set(st, port, &next) : 0;
}

int kfaas__port_addrs_clear(struct kfaas_state *st, __u16 port)
{
	struct kfaas_route cur;
	int rc = port_get(st, port, &cur);

	if (rc || !(cur.flags & KFAAS_ROUTE_F_ADDRS))
		return rc;
	cur.flags &= ~KFAAS_ROUTE_F_ADDRS;
	return port_set(st, port, &cur);
}

int kfaas__port_routes_sync(struct kfaas_state *st)
{
	struct kfaas_route *want = calloc(NPORTS, sizeof(*want)), cur;
	struct kfaas_route_ent *all = NULL;
	size_t n = 0, i;
	__u32 p;
	int rc;

	if (!want)
		return kfaas_err(-ENOMEM, "out of memory");
	rc = kfaas_route_list(st, &all, &n);
	for (i = 0; !rc && i < n; i++) {
		const struct kfaas_route_key *k = &all[i].key;
		struct kfaas_route *w = &want[ntohs(k->port)];

		if (k->proto != IPPROTO_UDP)
			continue;
		if (k->family) {
			w->flags |= KFAAS_ROUTE_F_ADDRS;
		} else {
			__u16 addrs = w->flags & KFAAS_ROUTE_F_ADDRS;

			*w = all[i].val;
			w->flags = (w->flags & ~KFAAS_ROUTE_F_ADDRS) | addrs;
		}
	}
	for (p = 0; !rc && p < NPORTS; p++) {
		rc = port_get(st, p, &cur);
		if (!rc && memcmp(&cur, &want[p], sizeof(cur)))
			rc = port_set(st, p, &want[p]);
	}
	free(all);
	free(want);
	return rc;
}
