// SPDX-License-Identifier: GPL-2.0
/*
 * Per-function counters of every tier in the Prometheus text exposition
 * format (version 0.0.4): written by `kfaas stats --prometheus` and by the
 * metrics endpoint of kfaasd, from this one function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libkfaas.h>
#include "internal.h"

struct metric {
	const char *name;
	const char *help;
	size_t off;
};

#define M(n, f, h) { "kfaas_function_" n, h, __builtin_offsetof(struct kfaas_stats, f) }
static const struct metric metrics[] = {
	M("invocations_total", invocations, "Requests the function ran."),
	M("throttled_total", throttled, "Requests refused by the function's budget."),
	M("passed_total", passed, "Requests handed to the next tier."),
	M("drops_total", drops, "Requests the function dropped."),
	M("errors_total", errors, "Requests the function failed."),
	M("bytes_in_total", bytes_in, "Request payload bytes."),
	M("bytes_out_total", bytes_out, "Reply payload bytes."),
	M("cpu_seconds_total", cpu_ns, "Time spent in the function."),
};
#undef M

/* A label value escaped as the format requires. */
static void label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*s, out);
	}
}

int kfaas_prometheus_write(struct kfaas_state *st, FILE *out)
{
	return kfaas_prometheus_write_labels(st, out, NULL);
}

int kfaas_prometheus_write_labels(struct kfaas_state *st, FILE *out,
				  const char *labels)
{
	const char *more = labels && *labels ? labels : "";
	const char *sep = *more ? "," : "";

	__u64 d[KFAAS_DSTAT_MAX];
	struct kfaas_fn_info *f;
	struct kfaas_stats *s;
	size_t n, i, m;
	int rc;

	rc = kfaas_fn_list(st, &f, &n);
	if (rc)
		return rc;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s) {
		free(f);
		return kfaas_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < n && !rc; i++)
		rc = kfaas_stats_read(st, f[i].id, &s[i]);
	for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]) && !rc; m++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", metrics[m].name,
			metrics[m].help, metrics[m].name);
		for (i = 0; i < n; i++) {
			__u64 v = *(__u64 *)((char *)&s[i] + metrics[m].off);

			fprintf(out, "%s{function=\"", metrics[m].name);
			label(out, f[i].name);
			fprintf(out, "\",tier=\"%s\"%s%s} ", kfaas_tier_name(f[i].tier),
				sep, more);
			if (metrics[m].off == __builtin_offsetof(struct kfaas_stats, cpu_ns))
				fprintf(out, "%llu.%09llu\n",
					(unsigned long long)(v / 1000000000ULL),
					(unsigned long long)(v % 1000000000ULL));
			else
				fprintf(out, "%llu\n", (unsigned long long)v);
		}
	}
	if (!rc)
		rc = kfaas_dstats_read(st, d);
	if (!rc) {
		fprintf(out, "# HELP kfaas_dispatcher_frames_total Frames seen by "
			"the XDP dispatcher, by outcome.\n"
			"# TYPE kfaas_dispatcher_frames_total counter\n");
		for (i = 0; i < KFAAS_DSTAT_MAX; i++)
			fprintf(out, "kfaas_dispatcher_frames_total{outcome=\"%s\"%s%s} "
				"%llu\n", kfaas_dstat_name((unsigned int)i), sep,
				more, (unsigned long long)d[i]);
		fprintf(out, "# HELP kfaas_functions Functions registered.\n"
			"# TYPE kfaas_functions gauge\nkfaas_functions%s%s%s %zu\n",
			*more ? "{" : "", more, *more ? "}" : "", n);
	}
	free(s);
	free(f);
	return rc;
}
