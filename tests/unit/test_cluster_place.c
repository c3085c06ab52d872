// SPDX-License-Identifier: GPL-2.0
/*
 * The placement of VM-tier functions (kfaas_cluster_place(), a pure
 * function): each function gets a standby node, another node with room
 * for its template, that takes the function over when its node dies; a
 * standby never takes room a placement needs, stays where it is while it
 * qualifies, and what fits nowhere is still reported unplaced.  No etcd
 * needed: the scheduler writes what this computes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kfaas_conf.h"
#include "kfaas_cluster.h"

static struct kfaas_cluster_node node(const char *name, __u64 mem)
{
	struct kfaas_cluster_node n = { .mem_mib = mem, .cpus = 4 };

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.vm, sizeof(n.vm), "tcg");
	return n;
}

static int parse(const char *text, struct kfaas_conf *c)
{
	int rc = kfaas_conf_parse(text, strlen(text), "place.conf", c);

	if (rc)
		ktap_print_msg("%s", kfaas_errmsg());
	return rc;
}

static const struct kfaas_cluster_placement *of(const struct kfaas_cluster_placement *p,
						size_t n, const char *fn)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(p[i].fn, fn))
			return &p[i];
	return NULL;
}

/* One function on three nodes; its node dies; it comes back. */
static void failover(void)
{
	struct kfaas_cluster_node all[3] = { node("n1", 1024), node("n2", 1024),
					     node("n3", 1024) }, left[2];
	struct kfaas_cluster_placement *p1 = NULL, *p2 = NULL, *p3 = NULL;
	const struct kfaas_cluster_placement *a, *b;
	size_t n1 = 0, n2 = 0, n3 = 0, i, k = 0;
	struct kfaas_conf c;

	if (parse("functions:\n  hello: { vm: hello, min-warm: 1 }\n", &c))
		return;
	kfaas_cluster_place(&c, all, 3, NULL, 0, &p1, &n1);
	a = of(p1, n1, "hello");
	ktap_test_result(a && a->n == 1 && a->standby[0] &&
			 strcmp(a->standby, a->nodes[0]) && !a->unplaced,
			 "placed on one node, a standby on another (%s, %s)",
			 a && a->n ? a->nodes[0] : "-", a ? a->standby : "-");
	for (i = 0; a && i < 3; i++)
		if (strcmp(all[i].name, a->nodes[0]))
			left[k++] = all[i];
	/* its node's lease expired: the two others are left */
	kfaas_cluster_place(&c, left, 2, p1, n1, &p2, &n2);
	b = of(p2, n2, "hello");
	ktap_test_result(a && b && b->n == 1 && !strcmp(b->nodes[0], a->standby) &&
			 b->standby[0] && strcmp(b->standby, b->nodes[0]),
			 "its node dies: it moves to its standby (%s), the other "
			 "node is the standby now (%s)", b && b->n ? b->nodes[0] : "-",
			 b ? b->standby : "-");
	/* the dead node is back: nothing moves */
	kfaas_cluster_place(&c, all, 3, p2, n2, &p3, &n3);
	a = of(p3, n3, "hello");
	ktap_test_result(a && b && a->n == 1 && !strcmp(a->nodes[0], b->nodes[0]) &&
			 !strcmp(a->standby, b->standby),
			 "a node coming back moves neither the function nor its standby");
	kfaas_cluster_placements_free(p1, n1);
	kfaas_cluster_placements_free(p2, n2);
	kfaas_cluster_placements_free(p3, n3);
	kfaas_conf_free(&c);
}

/* Two nodes with room for one function each: no standby, nothing unplaced. */
static void no_room(void)
{
	struct kfaas_cluster_node two[2] = { node("n1", 256), node("n2", 256) },
				  one[1] = { node("n1", 256) };
	struct kfaas_cluster_placement *p = NULL;
	const struct kfaas_cluster_placement *a, *b;
	struct kfaas_conf c;
	size_t n = 0;

	if (parse("functions:\n  a: { vm: a, mem: 256, min-warm: 1 }\n"
		  "  b: { vm: b, mem: 256, min-warm: 1 }\n", &c))
		return;
	kfaas_cluster_place(&c, two, 2, NULL, 0, &p, &n);
	a = of(p, n, "a");
	b = of(p, n, "b");
	ktap_test_result(a && b && a->n == 1 && b->n == 1 && !a->unplaced &&
			 !b->unplaced && !a->standby[0] && !b->standby[0],
			 "standbys take only what placements leave: both placed, "
			 "no standby");
	kfaas_cluster_placements_free(p, n);
	/* one node left: one function fits, the other is unplaced, with why */
	kfaas_cluster_place(&c, one, 1, NULL, 0, &p, &n);
	a = of(p, n, "a");
	b = of(p, n, "b");
	ktap_test_result(a && b && a->n + b->n == 1 && a->unplaced + b->unplaced == 1 &&
			 strstr(a->unplaced ? a->why : b->why, "no room"),
			 "a function that fits nowhere is still reported unplaced: %s",
			 a && b ? (a->unplaced ? a->why : b->why) : "-");
	kfaas_cluster_placements_free(p, n);
	kfaas_conf_free(&c);
}

/* A standby counts its template: mem MiB, whatever min-warm says. */
static void demand(void)
{
	struct kfaas_conf c;
	const struct kfaas_conf_fn *f;

	if (parse("functions:\n  w: { vm: w, mem: 128, min-warm: 3, max: 3 }\n", &c))
		return;
	f = kfaas_conf_fn_find(&c, "w");
	ktap_test_result(f && kfaas_cluster_demand_mib(f, false) == 384 &&
			 kfaas_cluster_demand_mib(f, true) == 128,
			 "a node gives it 384 MiB placed (3 warm VMs), 128 as its "
			 "standby (its template)");
	kfaas_conf_free(&c);
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(6);
	failover();
	no_room();
	demand();
	return ktap_finished();
}
