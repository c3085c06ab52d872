// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster's configuration document (cluster_doc.c) carries a split
 * route's versions and weights, and a chain route's links: kfaas.conf ->
 * the JSON kept in etcd -> back, in order, and a document with bad
 * versions or a bad chain is refused with what is wrong.  No etcd needed: the document is what every node decodes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kfaas_conf.h"
#include "kfaas_cluster.h"

static const char conf[] =
	"functions:\n"
	"  v1: { object: v1.bpf.o }\n"
	"  v2: { object: v2.bpf.o }\n"
	"  v3: { object: v3.bpf.o }\n"
	"routes:\n"
	"  - { trigger: udp 53, versions: { v2: 70, v1: 20, v3: 10 }, guard: off }\n"
	"  - { trigger: udp 54, fn: v1 }\n"
	"  - { trigger: udp 55, chain: [v3, v1, v2] }\n";

#define ART "\"artifact\": \"sha256:" \
	"0000000000000000000000000000000000000000000000000000000000000000\""

/* A document with one function pair and the route r (JSON). */
static int decode_route(const char *r, struct kfaas_conf *out)
{
	char doc[1024];

	snprintf(doc, sizeof(doc), "{ \"functions\": {"
		 " \"v1\": { \"tier\": \"ebpf\", \"source\": \"v1.bpf.o\", " ART " },"
		 " \"v2\": { \"tier\": \"ebpf\", \"source\": \"v2.bpf.o\", " ART " } },"
		 " \"routes\": [ %s ] }", r);
	return kfaas_cluster_doc_decode(doc, strlen(doc), out);
}

static void refused(const char *r, const char *what)
{
	struct kfaas_conf c;
	int rc = decode_route(r, &c);

	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(), what),
			 "refused (%s): %s", what, rc ? kfaas_errmsg() : "accepted");
	if (!rc)
		kfaas_conf_free(&c);
}

int main(void)
{
	struct kfaas_conf c = {}, back = {};
	const struct kfaas_conf_route *a, *b;
	struct kfaas_route_key k53;
	json_object *doc;
	const char *s;
	size_t i;
	int rc;

	ktap_print_header();
	ktap_set_plan(11);
	rc = kfaas_conf_parse(conf, sizeof(conf) - 1, "split.conf", &c);
	ktap_test_result(rc == 0, "the kfaas.conf of a split route parses: %s",
			 rc ? kfaas_errmsg() : "yes");
	if (rc)
		return ktap_finished();
	for (i = 0; i < c.nfns; i++)
		snprintf(c.fns[i].artifact, sizeof(c.fns[i].artifact), "sha256:%064d", 0);
	doc = kfaas_cluster_doc_encode(&c);
	s = doc ? json_object_to_json_string(doc) : NULL;
	rc = s ? kfaas_cluster_doc_decode(s, strlen(s), &back) : -ENOMEM;
	ktap_test_result(rc == 0, "the document of a split route decodes: %s",
			 rc ? kfaas_errmsg() : "yes");
	kfaas_conf_trigger_parse("udp 53", &k53);
	a = kfaas_conf_route_find(&c, &k53);
	b = rc ? NULL : kfaas_conf_route_find(&back, &k53);
	ktap_test_result(a && b && a->nver == 3 && kfaas_conf_versions_equal(a, b) &&
			 !strcmp(b->ver[0].fn, "v2") && b->ver[0].weight == 70 &&
			 !strcmp(b->ver[2].fn, "v3") && b->ver[2].weight == 10 &&
			 b->opts.guard == 0,
			 "versions, their order and weights come back");
	kfaas_conf_trigger_parse("udp 54", &k53);
	b = rc ? NULL : kfaas_conf_route_find(&back, &k53);
	ktap_test_result(b && b->nver == 0 && !b->nchain && !strcmp(b->fn, "v1"),
			 "a route of one function stays one function");
	kfaas_conf_trigger_parse("udp 55", &k53);
	a = kfaas_conf_route_find(&c, &k53);
	b = rc ? NULL : kfaas_conf_route_find(&back, &k53);
	ktap_test_result(a && b && b->nchain == 3 && kfaas_conf_versions_equal(a, b) &&
			 !strcmp(b->fn, "v3") && !strcmp(b->chain[1], "v1") &&
			 !strcmp(b->chain[2], "v2"),
			 "a chain's links come back in order");
	json_object_put(doc);
	kfaas_conf_free(&back);
	kfaas_conf_free(&c);

	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v1\", \"versions\": ["
		" { \"fn\": \"v1\", \"weight\": 1 } ] }", "2 to 4");
	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v1\", \"versions\": ["
		" { \"fn\": \"v1\", \"weight\": 1 }, { \"fn\": \"v2\", \"weight\": 0 } ] }",
		"bad weight");
	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v2\", \"versions\": ["
		" { \"fn\": \"v1\", \"weight\": 1 }, { \"fn\": \"v2\", \"weight\": 1 } ] }",
		"first version");
	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v1\", \"versions\": ["
		" { \"fn\": \"v1\", \"weight\": 1 }, { \"fn\": \"v9\", \"weight\": 1 } ] }",
		"v9");
	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v1\", \"chain\": [ \"v1\" ] }",
		"2 to 8 links");
	refused("{ \"trigger\": \"udp 53\", \"fn\": \"v2\", \"chain\": [ \"v1\", \"v2\" ] }",
		"first link");
	return ktap_finished();
}
