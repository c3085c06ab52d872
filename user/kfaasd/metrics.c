// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus endpoint of kfaasd (--metrics [ADDR:]PORT): GET /metrics
 * answers every function's counters, of every tier, in the text
 * exposition format — the same text as `kfaas stats --prometheus`
 * (kfaas_prometheus_write()).  libmicrohttpd runs in epoll mode inside
 * kfaasd's own event loop (a cluster node's threads, cluster.c, only talk
 * to etcd).  On a cluster node every sample carries node="NAME".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <microhttpd.h>
#include "kfaasd.h"

static struct MHD_Daemon *mhd;
static char node_label[KFAAS_LABEL_LEN + 16];	/* a cluster node's samples */
static struct watch mhd_w = { .fd = -1 };

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The lifecycle's counters, per VM-tier function (struct lc). */
static const struct {
	const char	*name;
	const char	*help;
	size_t		off;
} lc_counters[] = {
#define L(n, f, h) { "kfaas_vm_" n "_total", h, offsetof(struct lc, f) }
	L("prewarms", n_prewarms, "VMs and templates started ahead of requests "
	  "by the lifecycle policy."),
	L("prewarms_skipped", n_prewarm_skipped, "Pre-warms skipped for want of "
	  "memory under --mem-limit."),
	L("evictions", n_evictions, "Idle VMs and templates given up to make "
	  "room under --mem-limit."),
	L("released", n_released, "Idle VMs and templates released when the "
	  "keep-alive ended."),
	L("found_warm", n_found[KFAAS_LC_WARM], "Requests that found a warm VM."),
	L("found_template", n_found[KFAAS_LC_TEMPLATE], "Requests that found a "
	  "snapshot template (a clone to start)."),
	L("found_cold", n_found[KFAAS_LC_COLD], "Requests that found nothing "
	  "(a template to boot)."),
	L("found_starting", n_found_starting, "Requests that found no warm VM "
	  "but one (or its template) already starting."),
#undef L
};

/* The lifecycle's counters and memory (names are kfaas_name_valid()). */
static void lifecycle_metrics(FILE *f)
{
	struct list *l, *t;
	double v, i, tp;
	size_t k;

	for (k = 0; k < sizeof(lc_counters) / sizeof(lc_counters[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", lc_counters[k].name,
			lc_counters[k].help, lc_counters[k].name);
		list_for_each_safe(l, t, &fns) {
			struct fn *fn = container_of(l, struct fn, link);

			fprintf(f, "%s{function=\"%s\"} %llu\n", lc_counters[k].name,
				fn->name, (unsigned long long)*(uint64_t *)
				((char *)&fn->pool.lc + lc_counters[k].off));
		}
	}
	fprintf(f, "# HELP kfaas_vm_memory_mib Memory held for the function: "
		"private memory of its QEMU processes and its template's resident "
		"RAM.\n# TYPE kfaas_vm_memory_mib gauge\n");
	list_for_each_safe(l, t, &fns) {
		struct fn *fn = container_of(l, struct fn, link);

		memcap_pool_mib(&fn->pool, &v, &i, &tp);
		fprintf(f, "kfaas_vm_memory_mib{function=\"%s\"} %.1f\n", fn->name,
			v + tp);
	}
	fprintf(f, "# HELP kfaasd_memory_held_mib Memory of all VMs and "
		"templates.\n# TYPE kfaasd_memory_held_mib gauge\n"
		"kfaasd_memory_held_mib %.1f\n# HELP kfaasd_memory_limit_mib "
		"--mem-limit (0: none).\n# TYPE kfaasd_memory_limit_mib gauge\n"
		"kfaasd_memory_limit_mib %u\n", memcap_held_mib(),
		opts.mem_limit_mib);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_len, void **state)
{
	static char not_found[] = "kfaasd serves /metrics only\n";
	static char not_allowed[] = "GET /metrics\n";
	struct kfaas_state st;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	(void)cls;
	(void)version;
	(void)data;
	(void)data_len;
	if (!*state) {			/* headers only so far */
		*state = (void *)1;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     not_allowed, sizeof(not_allowed) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	rc = kfaas_state_open(&st, opts.pin_root, 0);
	if (!rc) {
		rc = kfaas_prometheus_write_labels(&st, f, node_label);
		kfaas_state_close(&st);
	}
	if (!rc) {
		lifecycle_metrics(f);
		fprintf(f, "# HELP kfaasd_up kfaasd answers.\n"
			"# TYPE kfaasd_up gauge\nkfaasd_up 1\n");
		cluster_metrics(f);
	}
	if (fclose(f) || rc) {
		free(body);
		warn("metrics: %s", rc ? kfaas_errmsg() : strerror(errno));
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE);
}

static void on_ready(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	MHD_run(mhd);
}

int metrics_start(const char *spec)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;
	char host[64];
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	char *end;

	if (colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return kfaas_err(-EINVAL, "--metrics %s: use [IPv4:]PORT, "
					 "e.g. 127.0.0.1:9467", spec);
		spec = colon + 1;
	}
	errno = 0;
	port = strtoul(spec, &end, 10);
	if (errno || *end || !port || port > 65535)
		return kfaas_err(-EINVAL, "--metrics: bad port '%s'", spec);
	sin.sin_port = htons((uint16_t)port);
	if (opts.cluster)
		snprintf(node_label, sizeof(node_label), "node=\"%s\"", opts.node);
	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)port,
			       NULL, NULL, on_request, NULL,
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
			       MHD_OPTION_CONNECTION_TIMEOUT, 10U,
			       MHD_OPTION_CONNECTION_LIMIT, 64U,
			       MHD_OPTION_END);
	if (!mhd)
		return kfaas_err(-EADDRINUSE, "--metrics: cannot listen on %s:%lu "
				 "(in use?)", inet_ntoa(sin.sin_addr), port);
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || loop_add(&mhd_w, info->epoll_fd, EPOLLIN, on_ready)) {
		MHD_stop_daemon(mhd);
		mhd = NULL;
		return kfaas_err(-EIO, "--metrics: cannot watch its sockets");
	}
	info("metrics on http://%s:%lu/metrics", inet_ntoa(sin.sin_addr), port);
	return 0;
}

uint64_t metrics_next_deadline(void)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!mhd || MHD_get_timeout(mhd, &t) != MHD_YES)
		return UINT64_MAX;
	return kfaas_now_ms() + t;
}

void metrics_tick(void)
{
	if (mhd)
		MHD_run(mhd);
}

void metrics_stop(void)
{
	if (!mhd)
		return;
	loop_remove(&mhd_w);
	MHD_stop_daemon(mhd);
	mhd = NULL;
}
