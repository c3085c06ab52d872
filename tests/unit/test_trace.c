// SPDX-License-Identifier: GPL-2.0
/*
 * The Azure Functions 2019 trace readers on real-format rows and on
 * malformed files, and the simulator's totals on small crafted traces
 * checked against numbers computed by hand (docs/lifecycle.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ktap.h"
#include "kfaas_lifecycle.h"
#include "libkfaas.h"

static char dir[] = "/tmp/kfaas-trace-XXXXXX";

/* ids as in the real files: 64 hex digits (HMAC-SHA256) */
#define OWN "5640c1597ef75fa9a7e9c6925022a039a4ba982924170953a51cfe4ef3a54ee9"
#define APP "5126901eff078c9a1f5295c859c9327588284a43cc2c0b4b261426b009ddfe6e"
#define FN1 "c968871b4ef0123401975d026b85cae2ad7dad9d06ae94f13b978bd66dfd063f"
#define FN2 "1bc2d86badd21b18a8533d8e961e52585e5ad1fee0e2c2885220a8463a39492d"

/* A row: minute=count pairs, the rest 0.  Returns the path. */
static FILE *day_file(const char *name, char *path, size_t len)
{
	FILE *f;
	int m;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "HashOwner,HashApp,HashFunction,Trigger");
	for (m = 1; m <= 1440; m++)
		fprintf(f, ",%d", m);
	fprintf(f, "\r\n");	/* CRLF as some copies of the trace have */
	return f;
}

static void row(FILE *f, const char *fn, const char *trig, const int *mc, int n)
{
	int m, i;

	fprintf(f, "%s,%s,%s,%s", OWN, APP, fn, trig);
	for (m = 0; m < 1440; m++) {
		int c = 0;

		for (i = 0; i < n; i += 2)
			if (mc[i] == m)
				c = mc[i + 1];
		fprintf(f, ",%d", c);
	}
	fprintf(f, "\n");
}

static void text_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0)
		abort();
	fclose(f);
}

static char d1[256], d2[256];

static void test_read(void)
{
	static const int a[] = { 0, 1, 5, 1, 20, 2 }, b[] = { 1439, 7 };
	const char *days[2] = { d1, d2 };
	char p[256];
	struct kfaas_trace t;
	FILE *f;
	int rc;

	f = day_file("invocations_per_function_md.anon.d01.csv", d1, sizeof(d1));
	row(f, FN1, "http", a, 6);
	row(f, FN2, "timer", b, 2);
	fclose(f);
	f = day_file("invocations_per_function_md.anon.d02.csv", d2, sizeof(d2));
	row(f, FN2, "timer", a, 2);
	fclose(f);
	rc = kfaas_trace_read(&t, days, 2);
	ktap_test_result(!rc && t.nfns == 2 && t.days == 2 &&
			 !strcmp(t.fns[0].func, FN1) && !strcmp(t.fns[0].trigger, "http") &&
			 t.fns[0].nmin == 3 && t.fns[0].minute[2] == 20 &&
			 t.fns[0].count[2] == 2 && t.fns[1].nmin == 2 &&
			 t.fns[1].minute[0] == 1439 && t.fns[1].count[0] == 7 &&
			 t.fns[1].minute[1] == 1440 && t.fns[0].avg_ms < 0,
			 "two days of real-format rows: per-minute counts, a function "
			 "missing on day 2, day 2 after day 1 (%s)", rc ? kfaas_errmsg() : "");
	text_file("function_durations_percentiles.anon.d01.csv",
		  "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
		  "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
		  "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
		  "percentile_Average_100\n"
		  OWN "," APP "," FN1 ",100,2880,0.0,2595.0,0,0,0,1,1,1376,2595\n"
		  OWN "," APP "," FN2 ",202,365,0.0,2596.0,0,0,1,1,6,2326,2596\n", p, sizeof(p));
	rc = rc ?: kfaas_trace_read_durations(&t, p);
	text_file("function_durations_percentiles.anon.d02.csv",
		  "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
		  "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
		  "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
		  "percentile_Average_100\n"
		  OWN "," APP "," FN1 ",400,960,1.0,3913.0,1,1,3,5,8,155,3146\n", p, sizeof(p));
	rc = rc ?: kfaas_trace_read_durations(&t, p);
	text_file("app_memory_percentiles.anon.d01.csv",
		  "HashOwner,HashApp,SampleCount,AverageAllocatedMb,"
		  "AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
		  "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
		  "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
		  "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n"
		  OWN "," APP ",19342,120,100,102,114,123,127,136,143,152\n", p, sizeof(p));
	rc = rc ?: kfaas_trace_read_memory(&t, p);
	ktap_test_result(!rc && fabs(t.fns[0].avg_ms - 175) < 1e-9 &&
			 t.fns[1].avg_ms == 202 && t.fns[0].mem_mb == 120 &&
			 t.fns[1].mem_mb == 120,
			 "durations (Average weighted by Count over two days: 175 ms) "
			 "and the app's memory for each of its functions (%s)",
			 rc ? kfaas_errmsg() : "");
	kfaas_trace_free(&t);
}

/* A malformed file: -EINVAL, file and line and what in the message. */
static void bad(const char *desc, const char *text, const char *want)
{
	const char *days[1];
	struct kfaas_trace t;
	char p[256];
	int rc;

	text_file("bad.csv", text, p, sizeof(p));
	days[0] = p;
	rc = kfaas_trace_read(&t, days, 1);
	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(), want) && t.nfns == 0,
			 "%s: %s", desc, kfaas_errmsg());
	unlink(p);
}

static void test_malformed(void)
{
	char hdr[8192], good[8192], *p;
	char text[32768];
	int m;

	p = hdr + sprintf(hdr, "HashOwner,HashApp,HashFunction,Trigger");
	for (m = 1; m <= 1440; m++)
		p += sprintf(p, ",%d", m);
	strcpy(p, "\n");
	p = good + sprintf(good, OWN "," APP "," FN1 ",http");
	for (m = 1; m <= 1440; m++)
		p += sprintf(p, ",%d", m == 3);
	strcpy(p, "\n");

	bad("an empty file", "", "empty file");
	snprintf(text, sizeof(text), "HashOwner,HashApp,SampleCount,AverageAllocatedMb\n");
	bad("another file of the trace (memory)", text, "bad.csv:1: the header has 4 fields");
	snprintf(text, sizeof(text), "%s%s%s", hdr, good, good);
	bad("the same function twice in a day", text, "bad.csv:3: function " FN1);
	snprintf(text, sizeof(text), "%s%s", hdr, good);
	p = strstr(text + strlen(hdr), ",http,0,0,1") + 10;
	memmove(p + 1, p, strlen(p) + 1);
	*p = '-';
	bad("a negative count (line 2, minute 3)", text, "bad.csv:2: minute 3: '-1'");
	snprintf(text, sizeof(text), "%s%s%s", hdr, good, good);
	*strrchr(text, ',') = '\n';
	bad("a short row on line 3", text, "bad.csv:3: 1443 fields, expected 1444");
	snprintf(text, sizeof(text), "%s\n\n%s", hdr, good);
	text[strlen(hdr) + 2 + 3] = '"';
	bad("a quoted field after blank lines (line 4)", text, "bad.csv:4: quoted");
	snprintf(text, sizeof(text), "%s%s", hdr, good + strlen(OWN));
	bad("an empty HashOwner", text, "bad.csv:2: HashOwner is empty");
	snprintf(text, sizeof(text), "%s%s", hdr, good);
	memcpy(strstr(text, ",1440"), ",1441", 5);
	bad("a header with a wrong minute", text, "bad.csv:1: header column '1441'");
	ktap_test_result(kfaas_trace_read_durations(&(struct kfaas_trace){}, "/nonexistent") ==
			 -ENOENT && strstr(kfaas_errmsg(), "/nonexistent"),
			 "a missing file: -ENOENT, named");
}

/* kfaas_lc_sim_run() with a cap, f1's duration and an end (0: none) */
static int sim_until(const char *const *days, size_t n, const char *pol, double cap,
		     double dur1, uint32_t until_min, struct kfaas_lc_sim_result *r)
{
	struct kfaas_lc_sim_opts o;
	struct kfaas_lc_policy p;
	struct kfaas_trace t;
	int rc;

	kfaas_lc_sim_opts_default(&o);
	o.mem_limit_mib = cap;
	o.until_min = until_min;
	rc = kfaas_lc_policy_parse(&p, pol) ?: kfaas_trace_read(&t, days, n);
	if (rc)
		return rc;
	t.fns[0].avg_ms = dur1;
	rc = kfaas_lc_sim_run(&t, &p, &o, r);
	kfaas_trace_free(&t);
	return rc;
}

static int sim(const char *const *days, size_t n, const char *pol, double cap,
	       double dur1, struct kfaas_lc_sim_result *r)
{
	return sim_until(days, n, pol, cap, dur1, 0, r);
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static void test_sim(void)
{
	/* f1: minutes 0, 5 and 20 (twice); f2: minute 100, once */
	static const int f1[] = { 0, 1, 5, 1, 20, 2 }, f2[] = { 100, 1 };
	static const int g1[] = { 0, 1, 3, 1 }, g2[] = { 1, 1 };
	const char *days[1] = { d1 };
	struct kfaas_lc_sim_result r;
	struct kfaas_lc_policy p;
	FILE *f;
	int rc;

	f = day_file("sim.d01.csv", d1, sizeof(d1));
	row(f, FN1, "http", f1, 6);
	row(f, FN2, "http", f2, 2);
	fclose(f);
	/*
	 * fixed:600, duration 0.  f1 arrives at 0:30 (cold), 5:30 (idle 5 min:
	 * warm), 20:15 (idle 14:45: cold), 20:45 (idle 30 s: warm); f2 at
	 * 100:30 (cold).  Idle warm: 300 + 600 + 30 + 600 s (f1) + 600 s (f2)
	 * = 2130 s of a 128 + 51.5 MiB VM = 2130 * 179.5 / 1024 GiB-s.
	 */
	rc = sim(days, 1, "fixed:600", 0, 0, &r);
	ktap_test_result(!rc && r.invocations == 5 && r.warm == 2 && r.cold == 3 &&
			 NEAR(r.cold_pct, 60) && NEAR(r.wasted_gib_s, 2130 * 179.5 / 1024) &&
			 NEAR(r.wasted_vm_gib_s, 2130 * 51.5 / 1024) &&
			 NEAR(r.fn_p75_cold_pct, 100) &&
			 r.fns[0].cold == 2 && r.fns[1].cold == 1 &&
			 NEAR(r.start_ms_mean, 3 * (1609 - 5.5) / 5),
			 "fixed:600 by hand: 5 invocations, 2 warm, 373.38 GiB-s idle, "
			 "p75 over functions 100%% (got %llu/%llu, %.3f GiB-s)",
			 (unsigned long long)r.warm, (unsigned long long)r.invocations,
			 r.wasted_gib_s);
	kfaas_lc_sim_result_free(&r);
	/* to minute 25: f2's call at 100:30 is not replayed, f1's last VM is
	 * idle from 20:45 to 25:00 (255 s): 300 + 600 + 30 + 255 s */
	rc = sim_until(days, 1, "fixed:600", 0, 0, 25, &r);
	ktap_test_result(!rc && r.invocations == 4 && r.warm == 2 && r.cold == 2 &&
			 NEAR(r.wasted_gib_s, 1185 * 179.5 / 1024) && NEAR(r.seconds, 1500),
			 "until minute 25: the calls after it are not replayed, the "
			 "memory is counted to it (%llu calls, %.3f GiB-s)",
			 (unsigned long long)r.invocations, r.wasted_gib_s);
	kfaas_lc_sim_result_free(&r);
	rc = sim(days, 1, "none", 0, 0, &r);
	ktap_test_result(!rc && r.cold == 5 && r.wasted_gib_s == 0 && r.cold_pct == 100,
			 "none: every invocation cold, nothing idle");
	kfaas_lc_sim_result_free(&r);
	/* f1 runs 60 s: 0:30-1:30 busy; 5:30-6:30; 20:15 (cold) runs to
	 * 21:15, so 20:45 finds it still running (warm); idle from 21:45
	 * after the second: 240 + 600 + 600 (f1) + 600 (f2) s */
	rc = sim(days, 1, "fixed:600", 0, 60000, &r);
	ktap_test_result(!rc && r.warm == 2 && NEAR(r.wasted_gib_s, 2040 * 179.5 / 1024),
			 "durations: a running invocation is not idle memory (%.3f GiB-s)",
			 r.wasted_gib_s);
	kfaas_lc_sim_result_free(&r);

	/* the cap: one warm VM (179.5 MiB).  g1 at 0:30 and 3:30, g2 at 1:30 */
	f = day_file("cap.d01.csv", d1, sizeof(d1));
	row(f, FN1, "http", g1, 4);
	row(f, FN2, "http", g2, 2);
	fclose(f);
	rc = sim(days, 1, "fixed:600", 0, 0, &r);
	ktap_test_result(!rc && r.warm == 1 && r.evictions == 0,
			 "no cap: g1's second call is warm");
	kfaas_lc_sim_result_free(&r);
	/* g2 evicts g1 (warm -> template -> cold), g1 then evicts g2 */
	rc = sim(days, 1, "fixed:600", 179.5, 0, &r);
	ktap_test_result(!rc && r.warm == 0 && r.cold == 3 && r.evictions == 4 &&
			 r.cap_overruns == 0 &&
			 NEAR(r.wasted_gib_s, (60 + 120 + 600) * 179.5 / 1024),
			 "cap of one VM: each start evicts the other idle one, both "
			 "steps (%llu evictions, %.3f GiB-s)",
			 (unsigned long long)r.evictions, r.wasted_gib_s);
	kfaas_lc_sim_result_free(&r);
	/* g1 runs 2 min: busy when g2 comes, so it is not evicted */
	rc = sim(days, 1, "fixed:600", 179.5, 120000, &r);
	ktap_test_result(!rc && r.cap_overruns == 1 && r.evictions == 0 &&
			 r.fns[0].warm == 1,
			 "a VM serving a request is never evicted: the cap is "
			 "overrun instead, and counted");
	kfaas_lc_sim_result_free(&r);
	rc = sim(days, 1, "auto", 0, 0, &r);
	ktap_test_result(!rc && r.invocations == 3 && r.decisions > 0,
			 "auto runs on it too (%llu decisions)",
			 (unsigned long long)r.decisions);
	kfaas_lc_sim_result_free(&r);
	ktap_test_result(kfaas_lc_policy_parse(&p, "fixed:0") == -EINVAL &&
			 kfaas_lc_policy_parse(&p, "fixed:10s") == -EINVAL &&
			 kfaas_lc_policy_parse(&p, "adaptive") == -EINVAL &&
			 strstr(kfaas_errmsg(), "none, fixed:SECONDS or auto") &&
			 !kfaas_lc_policy_parse(&p, "fixed:60") && p.keep_ms == 60000,
			 "policy names: none, fixed:SECONDS, auto; others refused");
	{
		double w[] = { 10, 30, 20 }, c[] = { 5, 1, 3 };

		ktap_test_result(NEAR(kfaas_lc_frontier_at(w, c, 3, 25), 2) &&
				 NEAR(kfaas_lc_frontier_at(w, c, 3, 10), 5) &&
				 kfaas_lc_frontier_at(w, c, 3, 5) == -1,
				 "the frontier interpolated between its two points");
	}
	unlink(d1);
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(21);
	if (!mkdtemp(dir))
		ktap_exit_skip("cannot make a temporary directory");
	test_read();
	test_malformed();
	test_sim();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			ktap_print_msg("could not remove %s", dir);
	}
	return ktap_finished();
}
