// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas.conf(5) written with libyaml's emitter (events), so that any
 * string — a path with a newline, quotes, a colon, '#', leading spaces,
 * non-ASCII letters, or a word YAML reads as something else (yes, no,
 * null, ~) — is quoted and escaped the way YAML says, and kfaas_conf_parse()
 * reads back exactly what was written.  Strings are always double-quoted,
 * numbers plain, names (checked to be plain words) plain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include <kfaas_conf.h>
#include "internal.h"
#include "conf_keys.h"

struct em {
	yaml_emitter_t	e;
	int		rc;
};

static void emit(struct em *m, yaml_event_t *ev, int ok)
{
	if (m->rc) {
		if (ok)
			yaml_event_delete(ev);
		return;
	}
	if (!ok) {
		m->rc = kfaas_err(-EINVAL, "cannot write the configuration: an "
				  "event could not be made");
		return;
	}
	if (!yaml_emitter_emit(&m->e, ev))
		m->rc = kfaas_err(-EIO, "cannot write the configuration: %s",
				  m->e.problem ? m->e.problem : "emitter error");
}

static void scalar(struct em *m, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					      (int)strlen(s), 1, 1, style);

	if (!ok && !m->rc) {	/* libyaml checks the UTF-8 */
		m->rc = kfaas_err(-EINVAL, "cannot write '%s' in YAML: it is not "
				  "valid UTF-8 (rename the file)", s);
		return;
	}
	emit(m, &ev, ok);
}

#define plain(m, s)	scalar(m, s, YAML_PLAIN_SCALAR_STYLE)
#define quoted(m, s)	scalar(m, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE)

static void number(struct em *m, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	plain(m, buf);
}

/* A mapping or a sequence begins, in block or flow style, or ends. */
static void collection(struct em *m, bool seq, bool flow)
{
	yaml_event_t ev;

	if (seq)
		emit(m, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL,
			1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
	else
		emit(m, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL,
			1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void collection_end(struct em *m, bool seq)
{
	yaml_event_t ev;

	emit(m, &ev, seq ? yaml_sequence_end_event_initialize(&ev) :
			   yaml_mapping_end_event_initialize(&ev));
}

#define map_start(m, flow)	collection(m, false, flow)
#define map_end(m)		collection_end(m, false)
#define seq_start(m, flow)	collection(m, true, flow)
#define seq_end(m)		collection_end(m, true)

static void selector(struct em *m, const struct kfaas_labels *sel)
{
	unsigned int i;

	if (!sel || !sel->n)
		return;
	plain(m, "selector");
	map_start(m, true);
	for (i = 0; i < sel->n; i++) {
		quoted(m, sel->l[i].key);
		quoted(m, sel->l[i].value);
	}
	map_end(m);
}

static void budget(struct em *m, const struct kfaas_conf_budget *b)
{
	size_t k;

	if (!b->set)
		return;
	plain(m, "budget");
	map_start(m, false);
	for (k = 0; k < kfaas__n_budget_keys; k++) {
		__u64 v = *(const __u64 *)((const char *)&b->l +
					   kfaas__budget_keys[k].off);

		if (v) {
			plain(m, kfaas__budget_keys[k].key);
			number(m, v);
		}
	}
	map_end(m);
}

static void function(struct em *m, const struct kfaas_conf_fn *f)
{
	char keep[40];
	size_t k;

	plain(m, f->name);
	map_start(m, false);
	plain(m, f->tier == KFAAS_TIER_VM ? "vm" : "object");
	quoted(m, f->source);
	if (f->artifact[0]) {
		plain(m, "artifact");
		quoted(m, f->artifact);
	}
	if (f->tier == KFAAS_TIER_VM) {
		for (k = 0; k < kfaas__n_vm_keys; k++) {
			/* idle-ttl is said only as the keep-alive it is */
			if (!strcmp(kfaas__vm_keys[k].key, "idle-ttl") &&
			    KFAAS_VM_KEEP(f->vm.flags) != KFAAS_VM_KEEP_TTL) {
				plain(m, "keep-alive");
				plain(m, kfaas_vm_keep_name(&f->vm, keep, sizeof(keep)));
				continue;
			}
			plain(m, kfaas__vm_keys[k].key);
			number(m, *(const __u32 *)((const char *)&f->vm +
						   kfaas__vm_keys[k].off));
		}
		if (f->vm.flags & KFAAS_VM_F_FRESH) {
			plain(m, "fresh");
			plain(m, "true");
		}
		if (f->vm.flags & KFAAS_VM_F_RESIDENT) {
			plain(m, "resident");
			plain(m, "true");
		}
		if (f->replicas > 1) {
			plain(m, "replicas");
			number(m, f->replicas);
		}
	}
	budget(m, &f->budget);
	selector(m, f->sel);
	map_end(m);
}

/* What the route chose of its defences (what it leaves to the function
 * is not written, so an exported file applies back unchanged). */
static void route_opts(struct em *m, const struct kfaas_route_opts *o)
{
	char ratio[16];

	if (o->guard >= 0) {
		plain(m, "guard");
		plain(m, o->guard ? "on" : "off");
	}
	if (o->ratio >= 0) {
		kfaas_ratio_str((__u32)o->ratio, ratio, sizeof(ratio));
		plain(m, "ratio");
		plain(m, ratio);
	}
	if (o->loops) {
		plain(m, "loops");
		plain(m, "allow");
	}
}

static void route(struct em *m, const struct kfaas_conf_route *r)
{
	char k[96];
	size_t i;

	kfaas_route_key_str(&r->key, k, sizeof(k));
	map_start(m, false);
	plain(m, "trigger");
	quoted(m, k);
	if (r->nver) {	/* a split: versions and weights, in order */
		plain(m, "versions");
		map_start(m, false);
		for (i = 0; i < r->nver; i++) {
			plain(m, r->ver[i].fn);
			number(m, r->ver[i].weight);
		}
		map_end(m);
	} else if (r->nchain) {	/* a chain: its links, in order */
		plain(m, "chain");
		seq_start(m, true);
		for (i = 0; i < r->nchain; i++)
			plain(m, r->chain[i]);
		seq_end(m);
	} else {
		plain(m, "fn");
		plain(m, r->fn);
	}
	if (r->fallback[0]) {
		plain(m, "fallback");
		plain(m, r->fallback);
	}
	if (r->policy >= 0) {
		plain(m, "policy");
		plain(m, r->policy == KFAAS_POLICY_PASS ? "pass" : "drop");
	}
	route_opts(m, &r->opts);
	selector(m, r->sel);
	map_end(m);
}

static void document(struct em *m, const struct kfaas_conf *c)
{
	yaml_event_t ev;
	size_t i;

	emit(m, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(m, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	map_start(m, false);
	plain(m, "functions");
	map_start(m, !c->nfns);
	for (i = 0; i < c->nfns; i++)
		function(m, &c->fns[i]);
	map_end(m);
	plain(m, "routes");
	seq_start(m, !c->nroutes);
	for (i = 0; i < c->nroutes; i++)
		route(m, &c->routes[i]);
	seq_end(m);
	map_end(m);
	emit(m, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(m, &ev, yaml_stream_end_event_initialize(&ev));
}

int kfaas_conf_emit(FILE *out, const struct kfaas_conf *c)
{
	struct em m = { .rc = 0 };

	if (!yaml_emitter_initialize(&m.e))
		return kfaas_err(-ENOMEM, "out of memory");
	yaml_emitter_set_output_file(&m.e, out);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, -1);	/* no folded lines */
	fputs("# kfaas configuration (kfaas.conf(5))\n", out);
	document(&m, c);
	if (!m.rc && !yaml_emitter_flush(&m.e))
		m.rc = kfaas_err(-EIO, "cannot write the configuration");
	yaml_emitter_delete(&m.e);
	if (!m.rc && ferror(out))
		m.rc = kfaas_err(-EIO, "cannot write the configuration");
	return m.rc;
}
