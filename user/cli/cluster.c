// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas --cluster ENDPOINTS ...: the cluster's side of the CLI
 * (docs/cluster.md).
 *   kfaas --cluster EPS apply FILE [--dry-run]   one etcd transaction
 *   kfaas --cluster EPS export [FILE]            the cluster's configuration
 *   kfaas --cluster EPS cluster status           nodes, leases, revisions,
 *                                                who lags or failed and why
 * (stats and top: cluster_stats.c).  The endpoints, TLS files and key
 * prefix come from the global options or $KFAAS_CLUSTER, $KFAAS_ETCD_CA,
 * $KFAAS_ETCD_CERT, $KFAAS_ETCD_KEY, $KFAAS_CLUSTER_PREFIX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <kfaas_cluster.h>

struct kfaas_cluster_opts cluster_opts;

void cluster_opts_env(void)
{
	struct {
		const char **where, *env;
	} e[] = {
		{ &cluster_opts.endpoints, "KFAAS_CLUSTER" },
		{ &cluster_opts.ca_file, "KFAAS_ETCD_CA" },
		{ &cluster_opts.cert_file, "KFAAS_ETCD_CERT" },
		{ &cluster_opts.key_file, "KFAAS_ETCD_KEY" },
		{ &cluster_opts.prefix, "KFAAS_CLUSTER_PREFIX" },
	};
	size_t i;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		if (!*e[i].where)
			*e[i].where = getenv(e[i].env);
}

int cluster_open(struct kfaas_cluster **c)
{
	if (!cluster_opts.endpoints)
		return p_err("which cluster? give --cluster ENDPOINTS or set "
			     "$KFAAS_CLUSTER (https://HOST:2379,...)");
	if (kfaas_cluster_open(c, &cluster_opts))
		return p_lib_err();
	return 0;
}

/* ---- apply and export ---- */

static void print_changes(const char *text, size_t n, bool dry, bool applied,
			  __u64 gen)
{
	char *copy = strdup(text ? text : ""), *line, *save = NULL;

	if (json_output) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			json_object_array_add(a, json_object_new_string(line));
		json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
		json_object_object_add(o, "applied", json_object_new_boolean(applied));
		json_object_object_add(o, "generation", json_object_new_int64((int64_t)gen));
		json_object_object_add(o, "changes", a);
		json_print(o);
	} else {
		printf("%s", text ? text : "");
		if (!n)
			printf("nothing to change (generation %llu)\n",
			       (unsigned long long)gen);
		else if (dry)
			printf("%zu change(s) from generation %llu; nothing "
			       "applied (--dry-run)\n", n, (unsigned long long)gen);
		else
			printf("%zu change(s) applied: generation %llu\n", n,
			       (unsigned long long)gen);
	}
	free(copy);
}

int cluster_apply(const char *file, bool dry)
{
	struct kfaas_cluster *c;
	struct kfaas_conf conf;
	char *changes = NULL;
	size_t n = 0;
	__u64 gen = 0;
	int rc;

	if (kfaas_conf_load(file, &conf))
		return p_lib_err();
	if (cluster_open(&c)) {
		kfaas_conf_free(&conf);
		return -1;
	}
	rc = kfaas_cluster_apply(c, &conf, dry, &changes, &n, &gen);
	if (rc)
		p_lib_err();
	else
		print_changes(changes, n, dry, !dry && n, gen);
	free(changes);
	kfaas_cluster_close(c);
	kfaas_conf_free(&conf);
	return rc ? -1 : 0;
}

int cluster_export(FILE *out)
{
	struct kfaas_cluster_meta meta;
	struct kfaas_cluster *c;
	struct kfaas_conf conf;
	int rc;

	if (cluster_open(&c))
		return -1;
	rc = kfaas_cluster_export(c, &conf, &meta);
	kfaas_cluster_close(c);
	if (rc)
		return p_lib_err();
	rc = kfaas_conf_emit(out, &conf);
	kfaas_conf_free(&conf);
	return rc ? p_lib_err() : 0;
}

/* ---- cluster status ---- */

struct view {
	struct kfaas_cluster_desired d;
	struct kfaas_cluster_node *nodes;
	size_t nn;
	json_object *status;		/* NODE -> status/NODE */
	char leader[KFAAS_NODE_LEN];
};

static const struct kfaas_cluster_node *node_of(const struct view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nn; i++)
		if (!strcmp(v->nodes[i].name, name))
			return &v->nodes[i];
	return NULL;
}

static int64_t i64(json_object *o, const char *key)
{
	json_object *x;

	return json_object_object_get_ex(o, key, &x) ? json_object_get_int64(x) : 0;
}

static const char *str(json_object *o, const char *key)
{
	json_object *x;

	return json_object_object_get_ex(o, key, &x) &&
	       json_object_is_type(x, json_type_string) ?
	       json_object_get_string(x) : "";
}

/*
 * The node's memory for VM-tier functions as the scheduler counts it:
 * what its placements take (mem x min-warm) and its standbys (each a
 * template: the guest's RAM at most).
 */
static void mem_json(json_object *o, const struct view *v, const char *name)
{
	__u64 placed = 0, standby = 0;
	size_t i, j;

	for (i = 0; i < v->d.npl; i++) {
		const struct kfaas_cluster_placement *p = &v->d.pl[i];
		const struct kfaas_conf_fn *f = kfaas_conf_fn_find(&v->d.conf, p->fn);

		if (!f)
			continue;
		for (j = 0; j < p->n; j++)
			if (!strcmp(p->nodes[j], name))
				placed += kfaas_cluster_demand_mib(f, false);
		if (!strcmp(p->standby, name))
			standby += kfaas_cluster_demand_mib(f, true);
	}
	json_object_object_add(o, "placed_mib", json_object_new_int64((int64_t)placed));
	json_object_object_add(o, "standby_mib", json_object_new_int64((int64_t)standby));
}

/* One node: registration, lease, what it applied, whether it lags. */
static json_object *node_row(struct kfaas_cluster *c, const struct view *v,
			     const char *name, json_object *st)
{
	const struct kfaas_cluster_node *n = node_of(v, name);
	json_object *o = json_object_new_object(), *fns, *ph;
	int64_t ttl = -1, rev = st ? i64(st, "applied-rev") : 0;
	const char *state = st ? str(st, "state") : "registering";
	const char *health;

	if (n && kfaas_cluster_lease_ttl(c, n->lease, &ttl))
		ttl = -1;
	health = !n ? "dead (lease expired)" :
		 !strcmp(state, "failed") ? "failed" :
		 rev < v->d.desired_rev ? "lags" : "ok";
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "addr", json_object_new_string(n ? n->addr : ""));
	json_object_object_add(o, "alive", json_object_new_boolean(!!n));
	json_object_object_add(o, "lease_ttl", ttl >= 0 ? json_object_new_int64(ttl) : NULL);
	if (n) {
		char lab[256] = "";
		unsigned int i;

		for (i = 0; i < n->labels.n; i++)
			snprintf(lab + strlen(lab), sizeof(lab) - strlen(lab), "%s%s=%s",
				 i ? "," : "", n->labels.l[i].key, n->labels.l[i].value);
		json_object_object_add(o, "labels", json_object_new_string(lab));
		json_object_object_add(o, "vm", json_object_new_string(n->vm));
		json_object_object_add(o, "mem_mib", json_object_new_int64((int64_t)n->mem_mib));
		json_object_object_add(o, "cpus", json_object_new_int64(n->cpus));
		mem_json(o, v, name);
	}
	json_object_object_add(o, "applied_revision", json_object_new_int64(rev));
	json_object_object_add(o, "generation", json_object_new_int64(
		st ? i64(st, "generation") : 0));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "health", json_object_new_string(health));
	json_object_object_add(o, "error", json_object_new_string(st ? str(st, "error") : ""));
	json_object_object_add(o, "updated", json_object_new_string(st ? str(st, "updated") : ""));
	json_object_object_add(o, "scheduler", json_object_new_boolean(
		!strcmp(v->leader, name)));
	/* where its last apply's time went (kfaasd's status/NODE) */
	json_object_object_add(o, "apply_ms", json_object_new_int64(
		st ? i64(st, "apply-ms") : 0));
	if (st && json_object_object_get_ex(st, "phases-ms", &ph))
		json_object_object_add(o, "phases_ms", json_object_get(ph));
	if (st && json_object_object_get_ex(st, "functions", &fns))
		json_object_object_add(o, "functions", json_object_get(fns));
	return o;
}

static json_object *placements_json(const struct view *v)
{
	json_object *a = json_object_new_array();
	size_t i, j;

	for (i = 0; i < v->d.npl; i++) {
		const struct kfaas_cluster_placement *p = &v->d.pl[i];
		json_object *o = json_object_new_object(), *ns = json_object_new_array();

		for (j = 0; j < p->n; j++)
			json_object_array_add(ns, json_object_new_string(p->nodes[j]));
		json_object_object_add(o, "fn", json_object_new_string(p->fn));
		json_object_object_add(o, "nodes", ns);
		json_object_object_add(o, "replicas", json_object_new_int64(p->replicas));
		json_object_object_add(o, "unplaced", json_object_new_int64(p->unplaced));
		json_object_object_add(o, "why", json_object_new_string(p->why));
		json_object_object_add(o, "standby", p->standby[0] ?
				       json_object_new_string(p->standby) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

/* Every node that is registered or has a status, by name. */
static json_object *nodes_json(struct kfaas_cluster *c, const struct view *v)
{
	json_object *a = json_object_new_array(), *seen = json_object_new_object();
	size_t i;

	for (i = 0; i < v->nn; i++) {
		json_object *st = NULL;

		json_object_object_get_ex(v->status, v->nodes[i].name, &st);
		json_object_array_add(a, node_row(c, v, v->nodes[i].name, st));
		json_object_object_add(seen, v->nodes[i].name, NULL);
	}
	json_object_object_foreach(v->status, name, st)
		if (!json_object_object_get_ex(seen, name, NULL))
			json_object_array_add(a, node_row(c, v, name, st));
	json_object_put(seen);
	return a;
}

static void status_print(json_object *o)
{
	json_object *d, *nodes, *pl;
	unsigned int head;
	size_t i;

	json_object_object_get_ex(o, "desired", &d);
	json_object_object_get_ex(o, "nodes", &nodes);
	json_object_object_get_ex(o, "placements", &pl);
	printf("desired state: generation %lld by %s at %s, revision %lld; "
	       "scheduler: %s\n\n", (long long)i64(d, "generation"), str(d, "by"),
	       str(d, "at"), (long long)i64(d, "revision"),
	       *str(o, "scheduler") ? str(o, "scheduler") : "none");
	printf("%-12s %-15s %-6s %-9s %-11s %-20s %s\n", "NODE", "ADDR", "LEASE",
	       "APPLIED", "STATE", "HEALTH", "ERROR");
	for (i = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i), *ttl;
		char lease[16] = "-";

		if (json_object_object_get_ex(n, "lease_ttl", &ttl) && ttl)
			snprintf(lease, sizeof(lease), "%llds",
				 (long long)json_object_get_int64(ttl));
		printf("%-12s %-15s %-6s %-9lld %-11s %-20s %s\n", str(n, "name"),
		       str(n, "addr"), lease, (long long)i64(n, "applied_revision"),
		       str(n, "state"), str(n, "health"), str(n, "error"));
	}
	for (i = 0; i < json_object_array_length(pl); i++) {
		json_object *p = json_object_array_get_idx(pl, i), *ns;

		json_object_object_get_ex(p, "nodes", &ns);
		printf("%s%-12s on %s", i ? "" : "\nVM-tier placements:\n",
		       str(p, "fn"), json_object_to_json_string_ext(ns,
		       JSON_C_TO_STRING_PLAIN));
		if (*str(p, "standby"))
			printf(", standby %s", str(p, "standby"));
		if (i64(p, "unplaced"))
			printf(", %lld unplaced: %s", (long long)i64(p, "unplaced"),
			       str(p, "why"));
		printf("\n");
	}
	for (i = 0, head = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (json_object_object_get_ex(n, "placed_mib", NULL))
			printf("%s%-12s %lld MiB: %lld placed, %lld standby "
			       "(templates)\n", head++ ? "" : "\nVM-tier memory:\n",
			       str(n, "name"), (long long)i64(n, "mem_mib"),
			       (long long)i64(n, "placed_mib"),
			       (long long)i64(n, "standby_mib"));
	}
}

static int cluster_status(int argc, char **argv)
{
	struct kfaas_cluster *c;
	struct view v = { 0 };
	json_object *o, *d;
	int rc;

	if (argc)
		return p_err("unexpected '%s': usage: %s --cluster EPS cluster status",
			     argv[0], bin_name);
	if (cluster_open(&c))
		return -1;
	rc = kfaas_cluster_read(c, 0, &v.d) ?:
	     kfaas_cluster_nodes(c, &v.nodes, &v.nn) ?:
	     kfaas_cluster_get_dir(c, "status", &v.status) ?:
	     kfaas_cluster_leader(c, v.leader, sizeof(v.leader));
	if (rc) {
		p_lib_err();
		goto out;
	}
	o = json_object_new_object();
	d = json_object_new_object();
	json_object_object_add(d, "generation",
			       json_object_new_int64((int64_t)v.d.meta.generation));
	json_object_object_add(d, "by", json_object_new_string(v.d.meta.by));
	json_object_object_add(d, "at", json_object_new_string(v.d.meta.at));
	json_object_object_add(d, "config", json_object_new_string(v.d.meta.config));
	json_object_object_add(d, "revision", json_object_new_int64(v.d.desired_rev));
	json_object_object_add(o, "desired", d);
	json_object_object_add(o, "scheduler", json_object_new_string(v.leader));
	json_object_object_add(o, "nodes", nodes_json(c, &v));
	json_object_object_add(o, "placements", placements_json(&v));
	if (json_output) {
		json_print(o);
	} else {
		status_print(o);
		json_object_put(o);
	}
out:
	kfaas_cluster_desired_free(&v.d);
	free(v.nodes);
	json_object_put(v.status);
	kfaas_cluster_close(c);
	return rc ? -1 : 0;
}

static int cluster_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s --cluster ENDPOINTS [--etcd-ca FILE --etcd-cert FILE\n"
		"             --etcd-key FILE] [--cluster-prefix P] COMMAND\n"
		"       %s --cluster ENDPOINTS cluster status\n"
		"\n"
		"With --cluster (or $KFAAS_CLUSTER), apply, export, stats and top\n"
		"work on the cluster's desired state in etcd (docs/cluster.md);\n"
		"'cluster status' shows the nodes, their leases, the revision each\n"
		"applied, who lags or failed and why, and the VM-tier placements.\n",
		bin_name, bin_name);
	return 0;
}

int do_cluster(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "status", cluster_status },
		{ "help", cluster_help },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, cluster_status);
}
