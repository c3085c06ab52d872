// SPDX-License-Identifier: GPL-2.0
/* Running variants through BPF_PROG_TEST_RUN in rounds; medians, rows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include <kfaas_frame.h>

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int set_shift(struct bvar *v)
{
	struct kfaas_globals cfg;

	if (!v->st)
		return 0;
	if (kfaas_globals_get(v->st, &cfg))
		return -1;
	if (cfg.time_shift == v->time_shift)
		return 0;
	cfg.time_shift = v->time_shift;
	return kfaas_globals_set(v->st, &cfg);
}

/* One BPF_PROG_TEST_RUN of repeat runs; ns per run or a negative value. */
static double run(struct bvar *v, uint32_t repeat, uint32_t *kns,
		  uint8_t *out, uint32_t *outlen)
{
	struct xdp_md md = { .data_end = (uint32_t)v->len,
			     .ingress_ifindex = (uint32_t)v->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, t,
		.data_in = v->frame,
		.data_size_in = (uint32_t)v->len,
		.repeat = (int)repeat,
	);
	double t0, t1;

	if (v->ifindex > 0) {
		t.ctx_in = &md;
		t.ctx_size_in = sizeof(md);
		t.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	} else if (out) {
		t.data_out = out;
		t.data_size_out = *outlen;
	}
	if (set_shift(v)) {
		fprintf(stderr, "kfaas-bench: %s: cannot set time_shift: %s\n",
			v->name, kfaas_errmsg());
		return -1;
	}
	t0 = thread_ns();
	if (bpf_prog_test_run_opts(v->prog_fd, &t)) {
		fprintf(stderr, "kfaas-bench: %s: BPF_PROG_TEST_RUN: %s\n",
			v->name, strerror(errno));
		return -1;
	}
	t1 = thread_ns();
	/* live frames report no verdict: the program's actions happened */
	if (v->ifindex <= 0 && t.retval != v->expect) {
		fprintf(stderr, "kfaas-bench: %s returned verdict %u, expected "
			"%u: the benchmark setup is wrong\n", v->name,
			t.retval, v->expect);
		return -1;
	}
	if (kns)
		*kns = t.duration;
	if (outlen)
		*outlen = t.data_size_out;
	return (t1 - t0) / repeat;
}

int bench_validate(struct bvar *v, int n)
{
	static uint8_t out[16384];
	struct kfaas_frame_info ri, qi;
	const char *why = NULL;
	uint32_t outlen;
	int i;

	for (i = 0; i < n; i++) {
		outlen = sizeof(out);
		if (run(&v[i], 1, NULL, v[i].ifindex > 0 ? NULL : out,
			&outlen) < 0)
			return -1;
		if (v[i].ifindex > 0 || v[i].expect != XDP_TX)
			continue;
		if (kfaas_frame_parse(v[i].frame, v[i].len, &qi, &why) ||
		    kfaas_frame_parse(out, outlen, &ri, &why)) {
			fprintf(stderr, "kfaas-bench: %s: bad frame: %s\n",
				v[i].name, why);
			return -1;
		}
		if (!ri.ip_csum_ok || !ri.udp_csum_ok ||
		    ri.payload_len != qi.payload_len ||
		    memcmp(out + ri.payload_off,
			   v[i].frame + qi.payload_off, qi.payload_len)) {
			fprintf(stderr, "kfaas-bench: %s: the reply is not the "
				"echo of the request\n", v[i].name);
			return -1;
		}
	}
	return 0;
}

int bench_measure(struct bvar *v, int n, const struct bopts *o)
{
	int i, r;

	for (i = 0; i < n; i++) {
		v[i].ns = calloc(o->rounds, sizeof(*v[i].ns));
		v[i].kns = calloc(o->rounds, sizeof(*v[i].kns));
		if (!v[i].ns || !v[i].kns)
			return -ENOMEM;
	}
	/* warm up: caches, branch predictors, the JIT image */
	for (i = 0; i < n; i++)
		if (run(&v[i], o->repeat / 10 + 1, NULL, NULL, NULL) < 0)
			return -1;
	for (r = 0; r < o->rounds; r++) {
		for (i = 0; i < n; i++) {
			double ns = run(&v[i], o->repeat, &v[i].kns[r], NULL,
					NULL);

			if (ns < 0)
				return -1;
			v[i].ns[r] = ns;
		}
	}
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(const double *x, int n)
{
	double *c, m;

	if (n <= 0)
		return NAN;
	c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, x, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_d);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

double bench_ratio(const struct bvar *a, const struct bvar *b, int rounds)
{
	double x[rounds];
	int r;

	for (r = 0; r < rounds; r++)
		x[r] = a->ns[r] / b->ns[r];
	return bench_median(x, rounds);
}

double bench_delta(const struct bvar *a, const struct bvar *b, int rounds)
{
	double x[rounds];
	int r;

	for (r = 0; r < rounds; r++)
		x[r] = a->ns[r] - b->ns[r];
	return bench_median(x, rounds);
}

json_object *bench_num(double x)
{
	char buf[64];

	if (isnan(x) || isinf(x))
		return NULL;
	snprintf(buf, sizeof(buf), "%.4g", x);
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

json_object *bench_var_json(const struct bvar *v, int rounds)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	double k[rounds], lo = INFINITY, hi = 0;
	int r;

	for (r = 0; r < rounds; r++) {
		json_object_array_add(a, bench_num(v->ns[r]));
		k[r] = v->kns[r];
		lo = fmin(lo, v->ns[r]);
		hi = fmax(hi, v->ns[r]);
	}
	json_object_object_add(o, "desc", json_object_new_string(v->desc));
	json_object_object_add(o, "ns_median", bench_num(bench_median(v->ns, rounds)));
	json_object_object_add(o, "ns_min", bench_num(lo));
	json_object_object_add(o, "ns_max", bench_num(hi));
	json_object_object_add(o, "kernel_ns_median", bench_num(bench_median(k, rounds)));
	json_object_object_add(o, "ns_rounds", a);
	return o;
}

void bench_free(struct bvar *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].ns);
		free(v[i].kns);
		v[i].ns = NULL;
		v[i].kns = NULL;
	}
}

json_object *bench_row(const char *bench, const char *what, double kfaas,
		       double alt, const char *unit, double ratio,
		       const char *target, int met)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bench", json_object_new_string(bench));
	json_object_object_add(o, "what", json_object_new_string(what));
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "kfaas", bench_num(kfaas));
	json_object_object_add(o, "alt", bench_num(alt));
	json_object_object_add(o, "unit", json_object_new_string(unit));
	json_object_object_add(o, "ratio", bench_num(ratio));
	json_object_object_add(o, "target", target ?
			       json_object_new_string(target) : NULL);
	json_object_object_add(o, "met", met < 0 ? NULL :
			       json_object_new_boolean(met));
	return o;
}

size_t bench_frame(uint8_t *buf, size_t cap, uint16_t port, size_t payload)
{
	return bench_frame_head(buf, cap, port, payload, "");
}

size_t bench_frame_head(uint8_t *buf, size_t cap, uint16_t port,
			size_t payload, const char *head)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
	char data[2048];
	struct kfaas_frame_spec s = { .family = 4, .vlan = -1, .sport = port,
				      .dport = port, .payload = data,
				      .len = payload };
	size_t i;
	ssize_t n;

	for (i = 0; i < payload && i < sizeof(data); i++)
		data[i] = 'a' + i % 26;
	for (i = 0; head[i] && i < payload && i < sizeof(data); i++)
		data[i] = head[i];
	memcpy(s.src_mac, mac, 6);
	memcpy(s.dst_mac, mac, 6);
	inet_pton(AF_INET, "192.0.2.2", s.saddr);
	inet_pton(AF_INET, "192.0.2.2", s.daddr);
	n = kfaas_frame_build(&s, buf, cap);
	return n < 0 ? 0 : (size_t)n;
}

int bench_prog_load(const char *path, struct bpf_object **obj)
{
	struct bpf_program *p;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj) {
		fprintf(stderr, "kfaas-bench: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (bpf_object__load(*obj)) {
		fprintf(stderr, "kfaas-bench: cannot load %s: %s\n", path,
			strerror(errno));
		bpf_object__close(*obj);
		*obj = NULL;
		return -1;
	}
	p = bpf_object__next_program(*obj, NULL);
	return p ? bpf_program__fd(p) : -1;
}
