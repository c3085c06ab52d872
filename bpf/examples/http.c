// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-http: fill the pages of the http example function (http.bpf.c).
 *   kfaas-http [--pin-root DIR] [--fn NAME] set PATH {--data STR | --file F}
 *              [--type TYPE]
 *   kfaas-http [--pin-root DIR] [--fn NAME] { get PATH | del PATH | list }
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <libkfaas.h>
#include "http.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: kfaas-http [--pin-root DIR] [--fn NAME] set PATH "
		"{--data STR | --file FILE} [--type TYPE]\n"
		"       kfaas-http [--pin-root DIR] [--fn NAME] get PATH\n"
		"       kfaas-http [--pin-root DIR] [--fn NAME] del PATH\n"
		"       kfaas-http [--pin-root DIR] [--fn NAME] list\n"
		"PATH: '/' and up to %d more printable bytes, no spaces, no '?'.\n"
		"Bodies: up to %d bytes.  TYPE defaults by extension "
		"(.html, .json, .css, .js; else text/plain).\nNAME defaults to "
		"http.\n", HTTP_PATH_MAX - 2, HTTP_BODY_MAX);
	return 2;
}

static int make_key(const char *s, struct http_key *k)
{
	size_t i, n = strlen(s);

	memset(k, 0, sizeof(*k));
	if (n == 0 || s[0] != '/' || n > HTTP_PATH_MAX - 1) {
		fprintf(stderr, "kfaas-http: path must start with '/' and have "
			"at most %d bytes\n", HTTP_PATH_MAX - 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '?') {
			fprintf(stderr, "kfaas-http: path may not hold spaces, "
				"control characters or '?'\n");
			return -1;
		}
	}
	memcpy(k->path, s, n);
	return 0;
}

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "text/plain";
	if (!strcmp(dot, ".html") || !strcmp(dot, ".htm"))
		return "text/html";
	if (!strcmp(dot, ".json"))
		return "application/json";
	if (!strcmp(dot, ".css"))
		return "text/css";
	if (!strcmp(dot, ".js"))
		return "text/javascript";
	return "text/plain";
}

static int read_body(const char *path, struct http_page *p)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "kfaas-http: cannot read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fread(p->body, 1, sizeof(p->body), f);
	if (!feof(f) && fgetc(f) != EOF) {
		fclose(f);
		fprintf(stderr, "kfaas-http: %s is larger than %d bytes\n", path,
			HTTP_BODY_MAX);
		return -1;
	}
	fclose(f);
	p->len = (__u32)n;
	return 0;
}

static int do_set(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *file = NULL, *type = NULL;
	static struct http_page page;
	struct http_key key;
	int c;

	if (argc < 2 || make_key(argv[1], &key))
		return argc < 2 ? usage() : 1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'f')
			file = optarg;
		else if (c == 't')
			type = optarg;
		else
			return usage();
	}
	if (optind != argc || !!data == !!file) {
		fprintf(stderr, "kfaas-http: set needs the body once: --data "
			"STR or --file FILE\n");
		return 2;
	}
	memset(&page, 0, sizeof(page));
	if (file && read_body(file, &page))
		return 1;
	if (data) {
		if (strlen(data) > HTTP_BODY_MAX) {
			fprintf(stderr, "kfaas-http: --data is longer than %d "
				"bytes\n", HTTP_BODY_MAX);
			return 1;
		}
		page.len = (__u32)strlen(data);
		memcpy(page.body, data, page.len);
	}
	if (!type)
		type = type_of(argv[1]);
	if (strlen(type) == 0 || strlen(type) > HTTP_TYPE_MAX ||
	    strpbrk(type, "\r\n")) {
		fprintf(stderr, "kfaas-http: --type must be 1 to %d bytes on one "
			"line\n", HTTP_TYPE_MAX);
		return 1;
	}
	page.type_len = (__u32)strlen(type);
	memcpy(page.type, type, page.type_len);
	if (bpf_map_update_elem(fd, &key, &page, BPF_ANY)) {
		fprintf(stderr, "kfaas-http: set: %s%s\n", strerror(errno),
			errno == E2BIG ? " (the page table is full)" : "");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-root", required_argument, NULL, 'r' },
		{ "fn", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL, *fn = "http", *cmd;
	static struct http_page page;
	struct kfaas_state st;
	struct http_key key;
	char path[512];
	int c, fd, rc = 1;

	kfaas_set_verbose(false);
	/* options of the tool come first; set has its own */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'f')
			fn = optarg;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	cmd = argv[optind];
	if (kfaas_state_open(&st, kfaas_pin_root(root), 0)) {
		fprintf(stderr, "kfaas-http: %s\n", kfaas_errmsg());
		return 1;
	}
	if (kfaas_fn_map_path(&st, fn, "http_pages", path, sizeof(path)))
		goto out;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "kfaas-http: no page table at %s: load the http "
			"example first ('kfaas fn load http.bpf.o %s')\n", path, fn);
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "set")) {
		rc = do_set(fd, argc, argv);
	} else if (!strcmp(cmd, "get") && argc == 2) {
		if (make_key(argv[1], &key))
			goto out_fd;
		if (bpf_map_lookup_elem(fd, &key, &page)) {
			fprintf(stderr, "kfaas-http: no page '%s'\n", argv[1]);
			goto out_fd;
		}
		fwrite(page.body, 1, page.len, stdout);
		rc = 0;
	} else if (!strcmp(cmd, "del") && argc == 2) {
		if (make_key(argv[1], &key))
			goto out_fd;
		if (bpf_map_delete_elem(fd, &key)) {
			fprintf(stderr, "kfaas-http: no page '%s'\n", argv[1]);
			goto out_fd;
		}
		rc = 0;
	} else if (!strcmp(cmd, "list") && argc == 1) {
		struct http_key k, next;
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (!bpf_map_lookup_elem(fd, &k, &page))
				printf("%.*s %u %.*s\n", HTTP_PATH_MAX, k.path,
				       page.len, (int)page.type_len, page.type);
		}
		rc = 0;
	} else {
		rc = usage();
	}
out_fd:
	close(fd);
out:
	kfaas_state_close(&st);
	return rc;
}
