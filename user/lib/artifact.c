// SPDX-License-Identifier: GPL-2.0
/* The content-addressed artifact store in etcd (artifact.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include "libkfaas.h"
#include "artifact.h"

#define KEY_MAX		512
/* a reader that meets a compaction between manifest and chunks re-reads */
#define GET_ATTEMPTS	3

struct manifest {
	size_t	size;
	size_t	chunk_size;
	size_t	n;
	char	(*hash)[ARTIFACT_HEX_LEN + 1];	/* one per chunk */
};

int artifact_hash(const void *data, size_t len, char hex[ARTIFACT_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return kfaas_err(-EIO, "artifact: SHA-256 failed (OpenSSL)");
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return 0;
}

int artifact_file_read(const char *path, void **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	*data = NULL;
	if (!f)
		return kfaas_err(-errno, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > ARTIFACT_MAX_SIZE) {
		fclose(f);
		return kfaas_err(-EFBIG, "%s: not a regular file of at most %zu "
				 "MiB", path, ARTIFACT_MAX_SIZE >> 20);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return kfaas_err(-EIO, "cannot read %s", path);
	}
	fclose(f);
	*data = buf;
	*len = (size_t)st.st_size;
	return 0;
}

/* "HEX" or "sha256:HEX", 64 hex digits, into canonical lowercase. */
static int parse_hex(const char *in, char out[ARTIFACT_HEX_LEN + 1])
{
	const char *s = !strncmp(in, "sha256:", 7) ? in + 7 : in;
	size_t i;

	for (i = 0; i < ARTIFACT_HEX_LEN; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			break;
		out[i] = ch;
	}
	if (i != ARTIFACT_HEX_LEN || s[i])
		return kfaas_err(-EINVAL, "artifact '%s': not a SHA-256 (64 hex "
				 "digits, optionally after 'sha256:')", in);
	out[i] = '\0';
	return 0;
}

#define MANIFEST	(-2)	/* key(): the manifest's key */
#define ALL_CHUNKS	(-1)	/* key(): the prefix of every chunk */

/* The key of the manifest, of every chunk, or of chunk i. */
static int key(char *buf, const char *prefix, const char *hex, long i)
{
	int n;

	if (i == MANIFEST)
		n = snprintf(buf, KEY_MAX, "%sartifacts/sha256/%s", prefix, hex);
	else if (i == ALL_CHUNKS)
		n = snprintf(buf, KEY_MAX, "%schunks/sha256/%s/", prefix, hex);
	else
		n = snprintf(buf, KEY_MAX, "%schunks/sha256/%s/%06ld", prefix,
			     hex, i);
	return n < 0 || n >= KEY_MAX ? kfaas_err(-ENAMETOOLONG,
			"artifact: key prefix '%s' too long", prefix) : 0;
}

/* The key of the manifest (i = MANIFEST) or chunk i, at revision rev. */
static int read_key(struct etcd *c, const char *prefix, const char *hex,
		    long i, int64_t rev, struct etcd_kvs *kvs)
{
	struct etcd_range q = { .revision = rev };
	char k[KEY_MAX];
	int err;

	err = key(k, prefix, hex, i);
	if (err)
		return err;
	q.key = k;
	return etcd_kv_range(c, &q, kvs);
}

/* ---- put ---- */

static json_object *manifest_json(const char *hex, const void *data, size_t len,
				  size_t n)
{
	json_object *m = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	if (!m || !a || json_object_object_add(m, "chunks", a)) {
		json_object_put(a);
		goto fail;
	}
	json_object_object_add(m, "sha256", json_object_new_string(hex));
	json_object_object_add(m, "size", json_object_new_int64((int64_t)len));
	json_object_object_add(m, "chunk-size",
			       json_object_new_int64(ARTIFACT_CHUNK_SIZE));
	for (i = 0; i < n; i++) {
		size_t off = i * ARTIFACT_CHUNK_SIZE;
		size_t cl = len - off < ARTIFACT_CHUNK_SIZE ? len - off
							    : ARTIFACT_CHUNK_SIZE;
		char h[ARTIFACT_HEX_LEN + 1];

		if (artifact_hash((const char *)data + off, cl, h) ||
		    json_object_array_add(a, json_object_new_string(h)))
			goto fail;
	}
	return m;
fail:
	json_object_put(m);
	return NULL;
}

/* Write the chunks; then the manifest while all of them exist. */
static int put_once(struct etcd *c, const char *prefix, const char *hex,
		    const void *data, size_t len, const char *manifest,
		    char (*keys)[KEY_MAX], struct etcd_cmp *cmp, size_t n)
{
	struct etcd_op op = { .type = ETCD_OP_PUT, .value = manifest,
			      .value_len = strlen(manifest) };
	struct etcd_txn t = { .cmp = cmp, .ncmp = n, .success = &op,
			      .nsuccess = 1 };
	struct etcd_txn_result r;
	char mkey[KEY_MAX];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		size_t off = i * ARTIFACT_CHUNK_SIZE;
		size_t cl = len - off < ARTIFACT_CHUNK_SIZE ? len - off
							    : ARTIFACT_CHUNK_SIZE;

		err = key(keys[i], prefix, hex, (long)i);
		if (!err)
			err = etcd_kv_put(c, keys[i], (const char *)data + off,
					  cl, 0, NULL);
		if (err)
			return err;
		cmp[i] = (struct etcd_cmp){ .key = keys[i],
			.target = ETCD_CMP_VERSION, .result = ETCD_GREATER };
	}
	err = key(mkey, prefix, hex, MANIFEST);
	if (err)
		return err;
	op.key = mkey;
	err = etcd_txn(c, &t, &r);
	if (err)
		return err;
	err = r.succeeded ? 0 : -EAGAIN;
	etcd_txn_result_free(&r);
	return err;
}

int artifact_put(struct etcd *c, const char *prefix, const void *data,
		 size_t len, char out[ARTIFACT_HEX_LEN + 1])
{
	size_t n = (len + ARTIFACT_CHUNK_SIZE - 1) / ARTIFACT_CHUNK_SIZE;
	char hex[ARTIFACT_HEX_LEN + 1], (*keys)[KEY_MAX];
	struct etcd_cmp *cmp;
	json_object *m;
	int err, tries;

	if (len > ARTIFACT_MAX_SIZE)
		return kfaas_err(-EFBIG, "artifact of %zu bytes: the store takes "
				 "at most %u MiB (%u chunks of %u MiB)", len,
				 (unsigned int)(ARTIFACT_MAX_SIZE >> 20),
				 ARTIFACT_MAX_CHUNKS, ARTIFACT_CHUNK_SIZE >> 20);
	err = artifact_hash(data, len, hex);
	if (err)
		return err;
	m = manifest_json(hex, data, len, n);
	keys = calloc(n ? n : 1, sizeof(*keys));
	cmp = calloc(n ? n : 1, sizeof(*cmp));
	if (!m || !keys || !cmp) {
		err = -ENOMEM;
		goto out;
	}
	/* a failed transaction means a chunk vanished (a concurrent delete):
	 * write them again */
	for (tries = 0; tries < 2; tries++) {
		err = put_once(c, prefix, hex, data, len,
			       json_object_to_json_string_ext(m,
						JSON_C_TO_STRING_PLAIN),
			       keys, cmp, n);
		if (err != -EAGAIN)
			break;
	}
	if (err == -EAGAIN)
		err = kfaas_err(err, "artifact sha256:%s: its chunks were deleted "
				"while it was written (twice): try again", hex);
	if (!err && out)
		memcpy(out, hex, sizeof(hex));
out:
	json_object_put(m);
	free(keys);
	free(cmp);
	return err;
}

/* ---- get ---- */

static int bad(const char *hex, const char *why)
{
	return kfaas_err(-EBADMSG, "artifact sha256:%s: %s: refused; store it "
			 "again", hex, why);
}

static int manifest_parse(const char *hex, const struct etcd_kv *kv,
			  struct manifest *m)
{
	json_object *o = json_tokener_parse(kv->value), *a, *v;
	int64_t size, cs;
	size_t i;
	int err = 0;

	if (!o || !json_object_object_get_ex(o, "sha256", &v) ||
	    strcmp(json_object_get_string(v), hex) ||
	    !json_object_object_get_ex(o, "chunks", &a) ||
	    !json_object_is_type(a, json_type_array))
		goto malformed;
	size = json_object_object_get_ex(o, "size", &v) ?
	       json_object_get_int64(v) : -1;
	cs = json_object_object_get_ex(o, "chunk-size", &v) ?
	     json_object_get_int64(v) : 0;
	m->n = json_object_array_length(a);
	if (size < 0 || (uint64_t)size > ARTIFACT_MAX_SIZE || cs <= 0 ||
	    cs > 2 * ARTIFACT_CHUNK_SIZE || m->n != ((uint64_t)size + cs - 1) / cs)
		goto malformed;
	m->size = (size_t)size;
	m->chunk_size = (size_t)cs;
	m->hash = calloc(m->n ? m->n : 1, sizeof(*m->hash));
	if (!m->hash) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		const char *s;
		size_t k;

		s = json_object_get_string(json_object_array_get_idx(a, i));
		if (!s || strlen(s) != ARTIFACT_HEX_LEN)
			goto malformed;
		for (k = 0; k < ARTIFACT_HEX_LEN; k++)
			if (!strchr("0123456789abcdef", s[k]))
				goto malformed;
		memcpy(m->hash[i], s, ARTIFACT_HEX_LEN + 1);
	}
	goto out;
malformed:
	err = bad(hex, "its manifest is malformed");
out:
	json_object_put(o);
	return err;
}

static int manifest_read(struct etcd *c, const char *prefix, const char *hex,
			 struct manifest *m, int64_t *rev)
{
	struct etcd_kvs kvs;
	int err;

	memset(m, 0, sizeof(*m));
	err = read_key(c, prefix, hex, MANIFEST, 0, &kvs);
	if (err)
		return err;
	if (!kvs.n)
		err = kfaas_err(-ENOENT, "artifact sha256:%s is not in etcd: "
				"store it first", hex);
	else
		err = manifest_parse(hex, &kvs.kv[0], m);
	*rev = kvs.revision;
	etcd_kvs_free(&kvs);
	return err;
}

/* Chunk i, read at revision rev, checked against the manifest. */
static int chunk_read(struct etcd *c, const char *prefix, const char *hex,
		      const struct manifest *m, size_t i, int64_t rev, char *dst)
{
	size_t want = i + 1 < m->n ? m->chunk_size : m->size - i * m->chunk_size;
	char h[ARTIFACT_HEX_LEN + 1], why[96];
	struct etcd_kvs kvs;
	int err;

	err = read_key(c, prefix, hex, (long)i, rev, &kvs);
	if (err)
		return err;
	if (!kvs.n) {
		snprintf(why, sizeof(why), "chunk %zu of %zu is missing", i, m->n);
		err = bad(hex, why);
	} else if (kvs.kv[0].value_len != want ||
		   artifact_hash(kvs.kv[0].value, want, h) ||
		   strcmp(h, m->hash[i])) {
		snprintf(why, sizeof(why), "chunk %zu of %zu does not match its "
			 "hash (damaged or tampered with)", i, m->n);
		err = bad(hex, why);
	} else {
		memcpy(dst, kvs.kv[0].value, want);
	}
	etcd_kvs_free(&kvs);
	return err;
}

static int get_once(struct etcd *c, const char *prefix, const char *hex,
		    void **data, size_t *len)
{
	char h[ARTIFACT_HEX_LEN + 1];
	struct manifest m;
	int64_t rev;
	char *buf;
	size_t i;
	int err;

	err = manifest_read(c, prefix, hex, &m, &rev);
	if (err)
		goto out;
	buf = malloc(m.size ? m.size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	/* at the manifest's revision: the chunks it was written with */
	for (i = 0; !err && i < m.n; i++)
		err = chunk_read(c, prefix, hex, &m, i, rev,
				 buf + i * m.chunk_size);
	if (!err && (err = artifact_hash(buf, m.size, h)) == 0 && strcmp(h, hex)) {
		char why[96];

		snprintf(why, sizeof(why), "its content hashes to sha256:%s", h);
		err = bad(hex, why);
	}
	if (err) {
		free(buf);
	} else {
		*data = buf;
		*len = m.size;
	}
out:
	free(m.hash);
	return err;
}

int artifact_get(struct etcd *c, const char *prefix, const char *in,
		 void **data, size_t *len)
{
	char hex[ARTIFACT_HEX_LEN + 1];
	int err, tries;

	*data = NULL;
	*len = 0;
	err = parse_hex(in, hex);
	if (err)
		return err;
	for (tries = 0; tries < GET_ATTEMPTS; tries++) {
		err = get_once(c, prefix, hex, data, len);
		if (err != -ESTALE)
			return err;
	}
	return kfaas_err(-ESTALE, "artifact sha256:%s: etcd compacted the "
			 "revision being read %d times: try again", hex, tries);
}

int artifact_stat(struct etcd *c, const char *prefix, const char *in,
		  size_t *size)
{
	char hex[ARTIFACT_HEX_LEN + 1];
	struct manifest m;
	int64_t rev;
	int err;

	err = parse_hex(in, hex);
	if (err)
		return err;
	err = manifest_read(c, prefix, hex, &m, &rev);
	if (!err)
		*size = m.size;
	free(m.hash);
	return err;
}

int artifact_delete(struct etcd *c, const char *prefix, const char *in)
{
	char hex[ARTIFACT_HEX_LEN + 1], mkey[KEY_MAX], ckey[KEY_MAX];
	struct etcd_op ops[2] = {
		{ .type = ETCD_OP_DELETE, .key = mkey },
		{ .type = ETCD_OP_DELETE, .key = ckey, .prefix = true },
	};
	struct etcd_txn t = { .success = ops, .nsuccess = 2 };
	struct etcd_txn_result r;
	int err;

	err = parse_hex(in, hex);
	err = err ?: key(mkey, prefix, hex, MANIFEST);
	err = err ?: key(ckey, prefix, hex, ALL_CHUNKS);
	err = err ?: etcd_txn(c, &t, &r);
	if (!err)
		etcd_txn_result_free(&r);
	return err;
}
