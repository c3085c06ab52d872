// SPDX-License-Identifier: GPL-2.0
/*
 * fn show's lifecycle part: what kfaasd learnt about a function (its
 * arrival histogram, any tier) and, for a VM-tier function, the keep-alive
 * decision in force: the histogram's head and tail, its CV, what is held
 * and until when, and why (docs/lifecycle.md).  Asked of kfaasd ("show");
 * without a daemon there is nothing to show and fn show says so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <kfaas_ctlproto.h>
#include "cli.h"

const char *fmt_dur(long long ms, char *buf, size_t len)
{
	long long s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "never");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	return buf;
}

json_object *show_lifecycle_get(const char *name)
{
	json_object *req = kfaas_ctl_req_new(KFAAS_CTL_SHOW, name), *resp = NULL;
	struct kfaas_daemon d;
	int rc;

	rc = kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt));
	if (rc) {
		json_object_put(req);
		if (!json_output)
			p_info("note: kfaasd is not running: no arrival "
			       "histogram or keep-alive decision to show");
		return NULL;
	}
	rc = kfaas_daemon_call(&d, req, &resp);
	kfaas_daemon_close(&d);
	if (rc) {
		if (!json_output)
			p_info("note: kfaasd: %s", kfaas_errmsg());
		json_object_put(resp);
		return NULL;
	}
	return resp;
}

void show_lifecycle_json(json_object *o, json_object *lc)
{
	json_object *v;

	if (!lc)
		return;
	if (json_object_object_get_ex(lc, "histogram", &v))
		json_object_object_add(o, "histogram", json_object_get(v));
	if (json_object_object_get_ex(lc, "lifecycle", &v))
		json_object_object_add(o, "lifecycle", json_object_get(v));
}

static long long i64(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static double dbl(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "?";
}

static void hist_text(json_object *h)
{
	char a[24], b[24], c[24], r[24], t[24];
	json_object *rec;
	size_t i;

	printf("arrivals: %lld idle times (%lld past the range), bins of %s "
	       "over %s, observed from %s; CV %.2f; head (p5) %s, p50 %s, "
	       "tail (p99) %s\n", i64(h, "samples"), i64(h, "out_of_range"),
	       fmt_dur(i64(h, "bin_ms"), a, sizeof(a)),
	       fmt_dur(i64(h, "range_ms"), r, sizeof(r)), str(h, "observed"),
	       dbl(h, "cv"), i64(h, "head_ms") < 0 ? "-" :
	       fmt_dur(i64(h, "head_ms"), b, sizeof(b)),
	       i64(h, "p50_ms") < 0 ? "-" : fmt_dur(i64(h, "p50_ms"), c, sizeof(c)),
	       i64(h, "tail_ms") < 0 ? "-" : fmt_dur(i64(h, "tail_ms"), t, sizeof(t)));
	if (json_object_object_get_ex(h, "recent_ms", &rec) &&
	    json_object_array_length(rec)) {
		printf("recent idle times:");
		for (i = 0; i < json_object_array_length(rec); i++)
			printf(" %s", fmt_dur(json_object_get_int64(
				json_object_array_get_idx(rec, i)), a, sizeof(a)));
		printf("\n");
	}
}

/* what is held now and what comes next */
static void now_text(json_object *l)
{
	char a[24], b[24];
	long long next = i64(l, "next_change_in_ms");

	printf("now: %s, holding %s (VMs %.1f MiB, template %.1f MiB)",
	       json_object_get_boolean(json_object_object_get(l, "idle")) ?
	       "idle" : "serving", str(l, "held"), dbl(l, "vm_mib"),
	       dbl(l, "template_mib"));
	if (json_object_object_get(l, "idle_ms"))
		printf(" for %s", fmt_dur(i64(l, "idle_ms"), a, sizeof(a)));
	if (json_object_object_get(l, "wanted") && next < 0)
		printf("; the schedule wants %s from now on", str(l, "wanted"));
	else if (json_object_object_get(l, "wanted"))
		printf("; the schedule wants %s for %s more, then %s (a rise is "
		       "started %s early)", str(l, "wanted"),
		       fmt_dur(next, b, sizeof(b)), str(l, "next_temp"),
		       fmt_dur(i64(l, "prewarm_lead_ms"), a, sizeof(a)));
	printf("\n");
}

void show_lifecycle_text(json_object *lc)
{
	json_object *h, *l, *d;

	if (!lc)
		return;
	if (json_object_object_get_ex(lc, "histogram", &h))
		hist_text(h);
	if (!json_object_object_get_ex(lc, "lifecycle", &l))
		return;
	if (json_object_object_get_ex(l, "decision", &d))
		printf("decision (%s): %s\n", str(d, "mode"), str(d, "why"));
	now_text(l);
	printf("counters: %lld pre-warms (%lld skipped), %lld evictions, %lld "
	       "released; requests found a warm VM %lld, a template %lld, "
	       "nothing %lld\n", i64(l, "prewarms"), i64(l, "prewarm_skipped"),
	       i64(l, "evictions"), i64(l, "released"), i64(l, "found_warm"),
	       i64(l, "found_template"), i64(l, "found_cold"));
}
