// SPDX-License-Identifier: GPL-2.0
/*
 * A node's share of the cluster's document (kfaas_cluster_share()): a
 * chain route is served whole or not at all.  A chain ending at a
 * VM-tier function goes to the nodes that function is placed on; on any
 * other node its XDP links would pass their work up to no one, so the
 * route is not there (a plain route's VM-tier fallback placed elsewhere
 * is dropped from the route instead: the XDP function still answers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kfaas_conf.h"
#include "kfaas_cluster.h"

static const char conf[] =
	"functions:\n"
	"  a: { object: a.bpf.o }\n"
	"  b: { object: b.bpf.o }\n"
	"  kfn: { vm: /srv/kfn }\n"
	"routes:\n"
	"  - { trigger: udp 9000, chain: [a, b, kfn] }\n"
	"  - { trigger: udp 9001, chain: [a, b] }\n"
	"  - { trigger: udp 9002, fn: a, fallback: kfn }\n";

/* The triggers of node's share, "udp 9000,udp 9001", and 9002's fallback. */
static void share_of(struct kfaas_cluster_desired *d, const char *node,
		     char *out, size_t len)
{
	struct kfaas_cluster_node self = {};
	struct kfaas_conf s;
	size_t i, o = 0;
	char k[96];

	snprintf(self.name, sizeof(self.name), "%s", node);
	out[0] = '\0';
	if (kfaas_cluster_share(d, &self, &s)) {
		snprintf(out, len, "error: %s", kfaas_errmsg());
		return;
	}
	for (i = 0; i < s.nroutes; i++) {
		kfaas_route_key_str(&s.routes[i].key, k, sizeof(k));
		o += (size_t)snprintf(out + o, len - o, "%s%s%s%s", i ? "," : "", k,
				      s.routes[i].fallback[0] ? ">" : "",
				      s.routes[i].fallback);
	}
	kfaas_conf_free(&s);
}

int main(void)
{
	struct kfaas_cluster_desired d = {};
	char nodes[1][KFAAS_NODE_LEN] = { "n2" };
	struct kfaas_cluster_placement pl = { .fn = "kfn", .n = 1, .replicas = 1 };
	char got[256];
	int rc;

	ktap_print_header();
	ktap_set_plan(3);
	rc = kfaas_conf_parse(conf, sizeof(conf) - 1, "share.conf", &d.conf);
	ktap_test_result(rc == 0, "a document with a chain ending at the VM tier parses: %s",
			 rc ? kfaas_errmsg() : "yes");
	if (rc)
		return ktap_finished();
	pl.nodes = nodes;
	d.pl = &pl;
	d.npl = 1;
	share_of(&d, "n2", got, sizeof(got));
	ktap_test_result(!strcmp(got, "udp 9000,udp 9001,udp 9002>kfn"),
			 "the node kfn is placed on serves the chain to it, whole: %s", got);
	share_of(&d, "n1", got, sizeof(got));
	ktap_test_result(!strcmp(got, "udp 9001,udp 9002"),
			 "another node: not the chain ending at kfn, the XDP-only "
			 "chain, the route without its fallback: %s", got);
	kfaas_conf_free(&d.conf);
	return ktap_finished();
}
