// SPDX-License-Identifier: GPL-2.0
/* kfaas stats [NAME] [--watch [SEC]] [--count N] | --prometheus */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

json_object *stats_json(const struct kfaas_stats *s)
{
	json_object *o = json_object_new_object();

#define F(x) json_object_object_add(o, #x, json_object_new_int64((int64_t)s->x))
	F(invocations);
	F(throttled);
	F(passed);
	F(drops);
	F(errors);
	F(bytes_in);
	F(bytes_out);
	F(cpu_ns);
#undef F
	return o;
}

/*
 * The function's own counters (its xstats map, docs/sdk.md): into o
 * (JSON) or as an indented line under its row.
 */
static int show_extra(struct kfaas_state *st, const char *fn, json_object *o)
{
	struct kfaas_xstat x[KFAAS_XSTATS_MAX];
	json_object *e;
	size_t n, i;

	if (kfaas_fn_xstats(st, fn, x, KFAAS_XSTATS_MAX, &n))
		return p_lib_err();
	if (!n)
		return 0;
	if (o) {
		e = json_object_new_object();
		for (i = 0; i < n; i++)
			json_object_object_add(e, x[i].name,
					       json_object_new_int64((int64_t)x[i].value));
		json_object_object_add(o, "extra", e);
		return 0;
	}
	printf("  %s:", fn);
	for (i = 0; i < n; i++)
		printf(" %s %llu", x[i].name, (unsigned long long)x[i].value);
	printf("\n");
	return 0;
}

static int show_once(const char *name)
{
	struct kfaas_stats *all = NULL;
	struct kfaas_fn_info *arr;
	struct kfaas_state st;
	json_object *a = NULL;
	__u32 *ids = NULL;
	size_t n, i;
	int rc, shown = 0;

	if (state_open(&st, 0))
		return -1;
	rc = kfaas_fn_list(&st, &arr, &n);
	if (rc) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	/* every function at once: one batch read from kfaas.ko */
	ids = calloc(n + 1, sizeof(*ids));
	all = calloc(n + 1, sizeof(*all));
	for (i = 0; ids && i < n; i++)
		ids[i] = arr[i].id;
	if (!ids || !all)
		rc = p_err("out of memory");
	else if (kfaas_stats_read_list(&st, ids, n, all))
		rc = p_lib_err();
	free(ids);
	if (rc) {
		free(all);
		free(arr);
		kfaas_state_close(&st);
		return rc;
	}
	if (json_output)
		a = json_object_new_array();
	else
		printf("%-20s %-4s %12s %10s %9s %8s %8s %12s %12s %12s %8s\n",
		       "FUNCTION", "TIER", "INVOCATIONS", "THROTTLED", "PASSED",
		       "DROPS", "ERRORS", "BYTES_IN", "BYTES_OUT", "CPU_NS",
		       "NS/INV");
	for (i = 0; i < n; i++) {
		struct kfaas_stats s = all[i];

		if (name && strcmp(arr[i].name, name))
			continue;
		shown++;
		if (json_output) {
			json_object *o = stats_json(&s);

			json_object_object_add(o, "name",
					       json_object_new_string(arr[i].name));
			json_object_object_add(o, "id", json_object_new_int64(arr[i].id));
			json_object_object_add(o, "tier", json_object_new_string(
				kfaas_tier_name(arr[i].tier)));
			json_object_array_add(a, o);
			if (show_extra(&st, arr[i].name, o))
				rc = -1;
			continue;
		}
		printf("%-20s %-4s %12llu %10llu %9llu %8llu %8llu %12llu "
		       "%12llu %12llu %8.0f\n", arr[i].name,
		       kfaas_tier_name(arr[i].tier),
		       (unsigned long long)s.invocations,
		       (unsigned long long)s.throttled,
		       (unsigned long long)s.passed,
		       (unsigned long long)s.drops,
		       (unsigned long long)s.errors,
		       (unsigned long long)s.bytes_in,
		       (unsigned long long)s.bytes_out,
		       (unsigned long long)s.cpu_ns,
		       s.invocations ? (double)s.cpu_ns / s.invocations : 0.0);
		if (show_extra(&st, arr[i].name, NULL))
			rc = -1;
	}
	kfaas_state_close(&st);
	free(arr);
	free(all);
	if (!rc && name && !shown) {
		json_object_put(a);
		return p_err("no function '%s': 'kfaas fn list' shows the loaded "
			     "ones", name);
	}
	if (rc) {
		json_object_put(a);
		return rc;
	}
	if (json_output) {
		if (name) {
			json_object *one = json_object_get(json_object_array_get_idx(a, 0));

			json_object_put(a);
			json_print(one);
		} else {
			json_print(a);
		}
	}
	fflush(stdout);
	return 0;
}

int do_stats(int argc, char **argv)
{
	unsigned long long interval = 0, count = 0, v;
	const char *name = NULL;
	bool prometheus = false;
	unsigned long long i;
	int rc;

	while (argc > 0) {
		if (!strcmp(argv[0], "help")) {
			if (help_json())
				return 0;
			fprintf(stderr,
				"Usage: %s stats [NAME] [--watch [SEC]] [--count N]\n"
				"       %s stats --prometheus\n"
				"\n"
				"Per-function counters summed over CPUs, and the\n"
				"function's own ones (its xstats map: kv's hits,\n"
				"misses, fills...) on a line below its row, or as\n"
				"\"extra\" in JSON; --watch prints them every SEC\n"
				"seconds (default 1) until interrupted or N times;\n"
				"--prometheus prints every function in the\n"
				"Prometheus text format.\n",
				bin_name, bin_name);
			return 0;
		} else if (!strcmp(argv[0], "--watch") || !strcmp(argv[0], "-w")) {
			interval = 1;
			if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
				if (parse_u64("--watch", argv[1], 3600, &v))
					return -1;
				interval = v ? v : 1;
				argc--, argv++;
			}
		} else if (!strcmp(argv[0], "--prometheus")) {
			prometheus = true;
		} else if (!strcmp(argv[0], "--count") && argc > 1) {
			if (parse_u64("--count", argv[1], 1ULL << 32, &count))
				return -1;
			argc--, argv++;
		} else if (argv[0][0] == '-') {
			return p_err("unknown option '%s': see '%s stats help'",
				     argv[0], bin_name);
		} else if (!name) {
			name = argv[0];
		} else {
			return p_err("unexpected argument '%s': see '%s stats "
				     "help'", argv[0], bin_name);
		}
		argc--, argv++;
	}
	if (prometheus) {
		struct kfaas_state st;
		int rc;

		if (name || interval)
			return p_err("--prometheus prints every function once");
		if (state_open(&st, 0))
			return -1;
		rc = kfaas_prometheus_write(&st, stdout);
		kfaas_state_close(&st);
		return rc ? p_lib_err() : 0;
	}
	if (!interval)
		return show_once(name);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (i = 0; !stop && (!count || i < count); i++) {
		if (i)
			sleep((unsigned int)interval);
		if (stop)
			break;
		if (!json_output) {
			time_t t = time(NULL);
			char buf[32];

			strftime(buf, sizeof(buf), "%H:%M:%S", localtime(&t));
			printf("%s--- %s ---\n", i ? "\n" : "", buf);
		}
		rc = show_once(name);
		if (rc)
			return rc;
	}
	return 0;
}
