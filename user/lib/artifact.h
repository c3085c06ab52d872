/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The content-addressed artifact store in etcd (docs/cluster.md): a blob
 * (a BPF object, a VM executable) kept under the SHA-256 of its bytes,
 * in chunks small enough for etcd's request limit, described by a
 * manifest written last.  Private to libkfaas, like etcd.h.
 *
 *   PREFIX/artifacts/sha256/HEX        manifest (JSON: size, chunk size,
 *                                      the SHA-256 of every chunk)
 *   PREFIX/chunks/sha256/HEX/NNNNNN    chunk NNNNNN (decimal, from 0)
 */
#ifndef KFAAS_ARTIFACT_H
#define KFAAS_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>
#include "etcd.h"

/*
 * 1 MiB chunks.  etcd refuses a request whose decoded size exceeds
 * --max-request-bytes (default 1.5 MiB: a 1572000-byte value is taken,
 * 1572864 refused, measured on 3.4.23), and the gateway's JSON carries the
 * value in base64, a third larger (a 1 MiB chunk is a 1398129-byte
 * request body).  1 MiB keeps both the decoded request and the JSON body
 * under 1.5 MiB, with ~170 KiB of margin for the key and framing.
 */
#define ARTIFACT_CHUNK_SIZE	(1u << 20)
/*
 * The manifest is written in one transaction that checks every chunk is
 * still there; etcd takes at most --max-txn-ops (default 128) compares
 * (measured: 128 accepted, 129 refused).
 */
#define ARTIFACT_MAX_CHUNKS	128
#define ARTIFACT_MAX_SIZE	((size_t)ARTIFACT_MAX_CHUNKS * ARTIFACT_CHUNK_SIZE)
#define ARTIFACT_HEX_LEN	64	/* a SHA-256 in hex */

/* SHA-256 of data as 64 lowercase hex digits and a NUL. */
int artifact_hash(const void *data, size_t len, char hex[ARTIFACT_HEX_LEN + 1]);

/* A file's bytes (at most ARTIFACT_MAX_SIZE), malloc()ed. */
int artifact_file_read(const char *path, void **data, size_t *len);

/*
 * Store data; hex (may be NULL) gets its hash, the key it is read back
 * with.  Chunks first, then the manifest in a transaction that holds only
 * while every chunk exists: a reader finds a whole artifact or none.
 * Storing an artifact again rewrites it (repairing a damaged one).
 */
int artifact_put(struct etcd *c, const char *prefix, const void *data,
		 size_t len, char hex[ARTIFACT_HEX_LEN + 1]);

/*
 * Read the artifact whose hash is hex ("HEX" or "sha256:HEX") into a
 * malloc()ed *data.  Chunks are read at the manifest's revision, and the
 * whole is checked against hex before it is returned: on any mismatch
 * nothing is returned and the error (-EBADMSG) names the hash.  -ENOENT
 * when there is no such artifact.
 */
int artifact_get(struct etcd *c, const char *prefix, const char *hex,
		 void **data, size_t *len);

/* 0 and the size when the artifact's manifest exists, -ENOENT if not. */
int artifact_stat(struct etcd *c, const char *prefix, const char *hex,
		  size_t *size);

/* Remove manifest and chunks in one transaction (absent: 0). */
int artifact_delete(struct etcd *c, const char *prefix, const char *hex);

#endif
