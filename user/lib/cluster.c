// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster's desired state in etcd (kfaas_cluster.h): reading it at one
 * revision, `kfaas --cluster apply` (artifacts, then the document, then
 * one transaction guarded by the revision it was computed from), export,
 * and the artifacts a node fetches.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"
#include "cluster_int.h"

int kfaas__cluster_key(const struct kfaas_cluster *c, char *buf, const char *fmt, ...)
{
	size_t n = strlen(c->prefix);
	va_list ap;
	int w;

	memcpy(buf, c->prefix, n);
	va_start(ap, fmt);
	w = vsnprintf(buf + n, CLUSTER_KEY_MAX - n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= CLUSTER_KEY_MAX - n)
		return kfaas_err(-ENAMETOOLONG, "etcd key %s... is too long", c->prefix);
	return 0;
}

int kfaas_cluster_open(struct kfaas_cluster **out, const struct kfaas_cluster_opts *o)
{
	struct etcd_opts eo = { .endpoints = o->endpoints, .ca_file = o->ca_file,
				.cert_file = o->cert_file, .key_file = o->key_file,
				.timeout_ms = o->timeout_ms };
	const char *prefix = o->prefix && *o->prefix ? o->prefix :
			     KFAAS_CLUSTER_PREFIX_DEFAULT;
	struct kfaas_cluster *c;
	int rc;

	*out = NULL;
	if (!o->endpoints || !*o->endpoints)
		return kfaas_err(-EINVAL, "which etcd? give --cluster ENDPOINTS "
				 "(https://HOST:2379,...)");
	if (prefix[0] != '/' || prefix[strlen(prefix) - 1] != '/' ||
	    strlen(prefix) >= sizeof(c->prefix))
		return kfaas_err(-EINVAL, "cluster prefix '%s' must start and end "
				 "with '/' (default %s)", prefix,
				 KFAAS_CLUSTER_PREFIX_DEFAULT);
	c = calloc(1, sizeof(*c));
	if (!c)
		return kfaas_err(-ENOMEM, "out of memory");
	strcpy(c->prefix, prefix);
	rc = etcd_open(&c->etcd, &eo);
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kfaas_cluster_close(struct kfaas_cluster *c)
{
	if (!c)
		return;
	etcd_close(c->etcd);
	free(c->doc);
	free(c);
}

void kfaas_cluster_interrupt(struct kfaas_cluster *c)
{
	etcd_interrupt(c->etcd);
}

const char *kfaas_cluster_prefix(const struct kfaas_cluster *c)
{
	return c->prefix;
}

/* ---- desired/config and the document ---- */

int kfaas__cluster_meta_parse(const char *json, size_t len, int64_t mod_rev,
			      struct kfaas_cluster_meta *m)
{
	json_object *o = json_tokener_parse(json);
	const char *by, *at, *cfg;
	int rc = 0;

	(void)len;
	memset(m, 0, sizeof(*m));
	m->mod_rev = mod_rev;
	by = o ? kfaas__json_str(o, "by") : NULL;
	at = o ? kfaas__json_str(o, "at") : NULL;
	cfg = o ? kfaas__json_str(o, "config") : NULL;
	if (!o || kfaas__json_u64(o, "generation", INT64_MAX, &m->generation) ||
	    !cfg || strlen(cfg) >= sizeof(m->config))
		rc = kfaas_err(-EPROTO, "desired/config is not a kfaas generation "
			       "record");
	else
		strcpy(m->config, cfg);
	snprintf(m->by, sizeof(m->by), "%s", by ? by : "?");
	snprintf(m->at, sizeof(m->at), "%s", at ? at : "?");
	json_object_put(o);
	return rc;
}

int kfaas__cluster_doc(struct kfaas_cluster *c, const char *artifact,
		       struct kfaas_conf *out)
{
	void *data;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!artifact[0])
		return 0;
	if (strcmp(artifact + 7, c->doc_hex)) {
		rc = artifact_get(c->etcd, c->prefix, artifact, &data, &len);
		if (rc)
			return rc;
		free(c->doc);
		c->doc = data;
		c->doc_len = len;
		snprintf(c->doc_hex, sizeof(c->doc_hex), "%s", artifact + 7);
	}
	return kfaas_cluster_doc_decode(c->doc, c->doc_len, out);
}

void kfaas_cluster_desired_free(struct kfaas_cluster_desired *d)
{
	kfaas_conf_free(&d->conf);
	kfaas_cluster_placements_free(d->pl, d->npl);
	memset(d, 0, sizeof(*d));
}

/* One key of desired/ into d. */
static int desired_kv(struct kfaas_cluster *c, const struct etcd_kv *kv,
		      struct kfaas_cluster_desired *d)
{
	size_t plen = strlen(c->prefix) + strlen("desired/");
	const char *rest = kv->key + plen;
	struct kfaas_cluster_placement *p;

	if (kv->mod_rev > d->desired_rev)
		d->desired_rev = kv->mod_rev;
	if (!strcmp(rest, "config"))
		return kfaas__cluster_meta_parse(kv->value, kv->value_len,
						 kv->mod_rev, &d->meta);
	if (strncmp(rest, "placement/", 10))
		return 0;
	p = realloc(d->pl, (d->npl + 1) * sizeof(*p));
	if (!p)
		return kfaas_err(-ENOMEM, "out of memory");
	d->pl = p;
	p = &d->pl[d->npl];
	if (kfaas__placement_parse(rest + 10, kv->value, kv->value_len,
				   kv->mod_rev, p))
		return 0;	/* not ours: ignored (the scheduler rewrites it) */
	d->npl++;
	return 0;
}

int kfaas_cluster_read(struct kfaas_cluster *c, int64_t rev,
		       struct kfaas_cluster_desired *d)
{
	char key[CLUSTER_KEY_MAX];
	struct etcd_range q = { .key = key, .prefix = true, .revision = rev };
	struct etcd_kvs kvs;
	size_t i;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = kfaas__cluster_key(c, key, "desired/") ?: etcd_kv_range(c->etcd, &q, &kvs);
	if (rc)
		return rc;
	d->revision = kvs.revision;
	for (i = 0; i < kvs.n && !rc; i++)
		rc = desired_kv(c, &kvs.kv[i], d);
	etcd_kvs_free(&kvs);
	if (!rc)
		rc = kfaas__cluster_doc(c, d->meta.config, &d->conf);
	if (rc)
		kfaas_cluster_desired_free(d);
	return rc;
}

static int meta_get(struct kfaas_cluster *c, struct kfaas_cluster_meta *m)
{
	char key[CLUSTER_KEY_MAX];
	struct etcd_kv kv;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = kfaas__cluster_key(c, key, "desired/config") ?:
	     etcd_kv_get(c->etcd, key, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	rc = kfaas__cluster_meta_parse(kv.value, kv.value_len, kv.mod_rev, m);
	etcd_kv_free(&kv);
	return rc;
}

int kfaas_cluster_export(struct kfaas_cluster *c, struct kfaas_conf *out,
			 struct kfaas_cluster_meta *meta)
{
	return meta_get(c, meta) ?: kfaas__cluster_doc(c, meta->config, out);
}

/* ---- apply ---- */

/*
 * A copy of conf whose functions all carry their artifact: the file's
 * hash (checked against the artifact the file names), or the artifact
 * alone when the file is not here but the store has it.
 */
static int hash_files(struct kfaas_cluster *c, const struct kfaas_conf *conf,
		      struct kfaas_conf *out)
{
	char hex[ARTIFACT_HEX_LEN + 1], real[4096];
	size_t i, sz;
	void *data;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < conf->nfns && !rc; i++) {
		struct kfaas_conf_fn *f = kfaas_conf_fn_new(out);

		if (!f)
			return kfaas_err(-ENOMEM, "out of memory");
		*f = conf->fns[i];
		f->sel = NULL;
		if (conf->fns[i].sel && (f->sel = malloc(sizeof(*f->sel))))
			*f->sel = *conf->fns[i].sel;
		if (access(f->source, R_OK) && f->artifact[0]) {
			rc = artifact_stat(c->etcd, c->prefix, f->artifact, &sz);
			if (rc == -ENOENT)
				rc = kfaas_err(rc, "function '%s': cannot read %s, "
					       "and the cluster has no %s", f->name,
					       f->source, f->artifact);
			continue;
		}
		rc = artifact_file_read(f->source, &data, &sz);
		if (rc)
			break;
		rc = artifact_hash(data, sz, hex);
		free(data);
		if (!rc && f->artifact[0] && strcmp(f->artifact + 7, hex))
			rc = kfaas_err(-EBADMSG, "function '%s' (line %d): %s has "
				       "sha256:%s, not the %s its 'artifact' says",
				       f->name, f->line, f->source, hex, f->artifact);
		snprintf(f->artifact, sizeof(f->artifact), "sha256:%s", hex);
		if (realpath(f->source, real) && strlen(real) < sizeof(f->source))
			strcpy(f->source, real);
	}
	for (i = 0; i < conf->nroutes && !rc; i++) {
		struct kfaas_conf_route *r = kfaas_conf_route_new(out);

		if (!r)
			return kfaas_err(-ENOMEM, "out of memory");
		*r = conf->routes[i];
		r->sel = NULL;
		if (conf->routes[i].sel && (r->sel = malloc(sizeof(*r->sel))))
			*r->sel = *conf->routes[i].sel;
	}
	return rc;
}

/* Every file of conf in the store (already there: not sent again). */
static int upload(struct kfaas_cluster *c, const struct kfaas_conf *conf)
{
	char hex[ARTIFACT_HEX_LEN + 1];
	size_t i, sz;
	void *data;
	int rc = 0;

	for (i = 0; i < conf->nfns && !rc; i++) {
		const struct kfaas_conf_fn *f = &conf->fns[i];

		if (artifact_stat(c->etcd, c->prefix, f->artifact, &sz) == 0)
			continue;
		rc = artifact_file_read(f->source, &data, &sz);
		if (rc)
			break;
		rc = artifact_put(c->etcd, c->prefix, data, sz, hex);
		free(data);
		if (!rc && strcmp(hex, f->artifact + 7))
			rc = kfaas_err(-EAGAIN, "%s changed while it was applied: "
				       "apply again", f->source);
	}
	return rc;
}

static void who(char *buf, size_t len)
{
	const char *u = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char host[64] = "?";

	gethostname(host, sizeof(host) - 1);
	snprintf(buf, len, "%s@%s", u && *u ? u : pw ? pw->pw_name : "?", host);
}

static void now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The transaction lost: who won, and what they changed. */
static int conflict(struct kfaas_cluster *c, const struct kfaas_cluster_meta *from,
		    const struct kfaas_conf *based_on, const struct etcd_txn_result *r)
{
	struct kfaas_cluster_meta won = { 0 };
	struct kfaas_conf theirs;
	char *text = NULL, *nl;
	size_t n = 0;

	if (r->n && r->res[0].kvs.n)
		kfaas__cluster_meta_parse(r->res[0].kvs.kv[0].value,
					  r->res[0].kvs.kv[0].value_len,
					  r->res[0].kvs.kv[0].mod_rev, &won);
	if (kfaas__cluster_doc(c, won.config, &theirs) == 0) {
		n = kfaas_cluster_diff(based_on, &theirs, &text);
		kfaas_conf_free(&theirs);
	}
	for (nl = text; nl && (nl = strchr(nl, '\n')); )
		*nl = nl[1] ? ';' : '\0';
	kfaas_err(-EBUSY, "conflict: generation %llu was applied by %s at %s "
		  "while this apply was computed from generation %llu (%zu "
		  "change%s: %s): nothing was written; run 'kfaas --cluster ... "
		  "export', merge your changes into it and apply again",
		  (unsigned long long)won.generation, won.by, won.at,
		  (unsigned long long)from->generation, n, n == 1 ? "" : "s",
		  text && *text ? text : "none");
	free(text);
	return -EBUSY;
}

/* desired/config -> generation + 1, if it is still the one read. */
static int commit(struct kfaas_cluster *c, const struct kfaas_cluster_meta *from,
		  const struct kfaas_conf *based_on, const char *doc_hex,
		  __u64 *generation)
{
	char key[CLUSTER_KEY_MAX], by[96], at[40];
	json_object *v = json_object_new_object();
	struct etcd_txn_result r;
	const char *s;
	int rc;

	who(by, sizeof(by));
	now_rfc3339(at, sizeof(at));
	json_object_object_add(v, "generation",
			       json_object_new_int64((int64_t)from->generation + 1));
	json_object_object_add(v, "by", json_object_new_string(by));
	json_object_object_add(v, "at", json_object_new_string(at));
	json_object_object_add(v, "config", json_object_new_string(doc_hex));
	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	rc = kfaas__cluster_key(c, key, "desired/config");
	if (!rc) {
		struct etcd_cmp cmp = { .key = key, .target = ETCD_CMP_MOD,
					.result = ETCD_EQUAL, .rev = from->mod_rev };
		struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .value = s,
				       .value_len = strlen(s) };
		struct etcd_op get = { .type = ETCD_OP_RANGE, .key = key };
		struct etcd_txn t = { .cmp = &cmp, .ncmp = 1, .success = &put,
				      .nsuccess = 1, .failure = &get, .nfailure = 1 };

		kfaas__crash_point("cluster-txn");
		rc = etcd_txn(c->etcd, &t, &r);
		if (!rc && !r.succeeded)
			rc = conflict(c, from, based_on, &r);
		if (!rc)
			*generation = from->generation + 1;
		etcd_txn_result_free(&r);
	}
	json_object_put(v);
	return rc;
}

/* The document as an artifact: its "sha256:HEX". */
static int put_doc(struct kfaas_cluster *c, const struct kfaas_conf *conf,
		   char out[KFAAS_ARTIFACT_LEN])
{
	json_object *doc = kfaas_cluster_doc_encode(conf);
	char hex[ARTIFACT_HEX_LEN + 1];
	const char *s;
	int rc;

	if (!doc)
		return kfaas_err(-ENOMEM, "out of memory");
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = artifact_put(c->etcd, c->prefix, s, strlen(s), hex);
	if (!rc)
		snprintf(out, KFAAS_ARTIFACT_LEN, "sha256:%s", hex);
	json_object_put(doc);
	return rc;
}

int kfaas_cluster_apply(struct kfaas_cluster *c, const struct kfaas_conf *conf,
			bool dry_run, char **changes, size_t *n, __u64 *generation)
{
	struct kfaas_cluster_meta from;
	struct kfaas_conf cur = { 0 }, want = { 0 };
	char doc[KFAAS_ARTIFACT_LEN];
	int rc;

	*changes = NULL;
	*n = 0;
	*generation = 0;
	rc = meta_get(c, &from) ?: kfaas__cluster_doc(c, from.config, &cur) ?:
	     hash_files(c, conf, &want);
	if (!rc) {
		*n = kfaas_cluster_diff(&cur, &want, changes);
		*generation = from.generation;
	}
	if (!rc && !dry_run && *n) {
		kfaas__crash_point("cluster-read");
		rc = upload(c, &want) ?: put_doc(c, &want, doc) ?:
		     commit(c, &from, &cur, doc, generation);
	}
	kfaas_conf_free(&cur);
	kfaas_conf_free(&want);
	return rc;
}

/* ---- artifacts for nodes ---- */

int kfaas_cluster_fetch(struct kfaas_cluster *c, const char *artifact,
			const char *dir, char *path, size_t len)
{
	char tmp[KFAAS_PATH_MAX + 32];
	const char *hex = artifact + 7;
	size_t n = 0;
	void *data;
	int rc, fd;

	if (strncmp(artifact, "sha256:", 7) ||
	    (size_t)snprintf(path, len, "%s/%s", dir, hex) >= len)
		return kfaas_err(-ENAMETOOLONG, "artifact path %s/%s too long",
				 dir, hex);
	if (access(path, R_OK) == 0)
		return 0;	/* written only once verified, under its hash */
	rc = artifact_get(c->etcd, c->prefix, artifact, &data, &n);
	if (rc)
		return rc;
	mkdir(dir, 0700);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, hex, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	rc = fd < 0 ? kfaas__errno_msg(-errno, tmp) : kfaas_fd_write_all(fd, data, n);
	if (fd >= 0 && (close(fd) || rc))
		rc = rc ?: kfaas__errno_msg(-errno, tmp);
	if (!rc && rename(tmp, path))
		rc = kfaas__errno_msg(-errno, path);
	if (rc)
		unlink(tmp);
	free(data);
	return rc;
}
