/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http: a minimal HTTP/1.1 responder answered in the kernel at the socket
 * tier.  GET and HEAD of a path found in the http_pages map get 200 and
 * the page; other paths 404; malformed requests 400 (and the connection
 * closes); other methods 405; a request over the socket tier's 8192 bytes
 * 431 (and the connection closes).  Keep-alive and pipelining work; requests
 * may arrive split over segments.  Userspace fills the map (kfaas-http).
 * Shared by http.bpf.c and http.c.
 */
#ifndef KFAAS_EX_HTTP_H
#define KFAAS_EX_HTTP_H

#define HTTP_PATH_MAX	64	/* path with the leading '/', NUL padded */
#define HTTP_TYPE_MAX	48	/* Content-Type */
#define HTTP_BODY_MAX	8192	/* page body */
#define HTTP_PAGES	1024

struct http_key {
	char	path[HTTP_PATH_MAX];	/* "/index.html": no query, NUL padded */
};

struct http_page {
	__u32	len;			/* body bytes */
	__u32	type_len;		/* Content-Type bytes */
	char	type[HTTP_TYPE_MAX];
	char	body[HTTP_BODY_MAX];
};

#endif
