// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas sim [OPTIONS] INVOCATIONS_FILE...
 * Replay an Azure Functions 2019 trace through lifecycle policies at full
 * speed, without VMs (docs/lifecycle.md): cold starts and idle memory of
 * each policy, and where the adaptive one stands against the fixed
 * keep-alive frontier.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "kfaas_lifecycle.h"

#define POLICIES_DEFAULT "none,fixed:60,fixed:120,fixed:300,fixed:600,fixed:1200," \
			 "fixed:1800,fixed:3600,fixed:7200,fixed:14400,auto"
#define MAX_POLICIES	64
#define MAX_FILES	1024

static int usage(void)
{
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s sim [OPTIONS] INVOCATIONS_CSV...\n"
		"  INVOCATIONS_CSV  invocations_per_function_md.anon.dNN.csv files,\n"
		"                   one per day, in order\n"
		"  --policy LIST    comma-separated: none, fixed:SECONDS, auto\n"
		"                   (default " POLICIES_DEFAULT ")\n"
		"  --durations CSV  function_durations_percentiles file(s) (repeatable)\n"
		"  --memory CSV     app_memory_percentiles file(s) (repeatable)\n"
		"  --mem-limit MIB  cap on warm VMs and templates together (0: none)\n"
		"  --bin SECONDS    histogram bin width (60)\n"
		"  --bins N         histogram bins (240: 4 hours)\n"
		"  --mem MIB        guest RAM when no memory file says (128)\n"
		"  --vm-mib MIB     a warm VM's memory over its template (51.5)\n"
		"  --duration MS    run time when no durations file says (0)\n"
		"  --until MIN      stop at this trace minute: calls after it are\n"
		"                   not replayed, memory is counted to it (0: the end)\n"
		"  --cv-min X       histogram representative from this CV (2)\n"
		"  --min-samples N  idle times needed before the histogram (5)\n"
		"  --default-keep SECONDS  keep-alive when it is not (600)\n"
		"  --worth MIB_S    idle MiB-s an avoided cold start is worth (60000;\n"
		"                   0: the paper's windows, untrimmed)\n"
		"  --fairness X     worth scaled by (mean idle / 1 min)^X (0.5)\n"
		"  --margin X       windows widened by this share (0.1)\n"
		"  --no-templates   auto holds no templates\n"
		"  --functions      with -j: every function's counts too\n",
		bin_name);
	return 0;
}

struct sim_cfg {
	struct kfaas_lc_sim_opts	o;
	struct kfaas_lc_policy		pol[MAX_POLICIES];
	size_t				npol;
	const char			*dur[MAX_FILES], *mem[MAX_FILES];
	size_t				ndur, nmem;
	bool				per_fn;
};

static int parse_policies(struct sim_cfg *cfg, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return p_err("out of memory");
	cfg->npol = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cfg->npol == MAX_POLICIES)
			rc = p_err("more than %d policies: give fewer", MAX_POLICIES);
		else if (kfaas_lc_policy_parse(&cfg->pol[cfg->npol++], tok))
			rc = p_lib_err();
	}
	free(copy);
	if (!rc && !cfg->npol)
		rc = p_err("--policy needs at least one policy (none, fixed:SECONDS, auto)");
	return rc;
}

static int parse_real(const char *opt, const char *s, double min, double max, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (!*s || *end || !(*v >= min && *v <= max))
		return p_err("bad value '%s' for %s: expected a number from %g to %g",
			     s, opt, min, max);
	return 0;
}

/* One option (getopt_long's answer c). */
static int sim_opt(struct sim_cfg *cfg, int c, const char *arg)
{
	struct kfaas_lc_sim_opts *o = &cfg->o;
	unsigned long long v;

	switch (c) {
	case 'P': return parse_policies(cfg, arg);
	case 'D':
	case 'M':
		if ((c == 'D' ? cfg->ndur : cfg->nmem) == MAX_FILES)
			return p_err("more than %d files for one option", MAX_FILES);
		if (c == 'D')
			cfg->dur[cfg->ndur++] = arg;
		else
			cfg->mem[cfg->nmem++] = arg;
		return 0;
	case 'L': return parse_real("--mem-limit", arg, 0, 1e9, &o->mem_limit_mib);
	case 'b':
		if (parse_u64("--bin", arg, 86400, &v))
			return -1;
		if (!v)
			return p_err("--bin must be at least 1 second");
		o->bin_ms = (uint32_t)v * 1000;
		return 0;
	case 'n':
		if (parse_u64("--bins", arg, KFAAS_LC_NBINS_MAX, &v))
			return -1;
		if (!v)
			return p_err("--bins must be at least 1");
		o->nbins = (uint32_t)v;
		return 0;
	case 'm':
		if (parse_u64("--mem", arg, 65536, &v))
			return -1;
		if (v < 96)
			return p_err("--mem %llu: a VM needs 96 MiB at least", v);
		o->mem_mib = (uint32_t)v;
		return 0;
	case 'v': return parse_real("--vm-mib", arg, 0, 65536, &o->vm_mib);
	case 'd': return parse_real("--duration", arg, 0, 3600000, &o->dur_ms);
	case 'u':
		if (parse_u64("--until", arg, UINT32_MAX, &v))
			return -1;
		o->until_min = (uint32_t)v;
		return 0;
	case 'c': return parse_real("--cv-min", arg, 0, 1000, &o->params.cv_min);
	case 's':
		return parse_u64("--min-samples", arg, 1000000, &v) ? -1 :
		       (o->params.min_samples = v, 0);
	case 'k':
		if (parse_u64("--default-keep", arg, 7 * 86400, &v))
			return -1;
		o->params.fixed_ms = v * 1000;
		return 0;
	case 'w': return parse_real("--worth", arg, 0, 1e12, &o->params.worth_mib_s);
	case 'F': return parse_real("--fairness", arg, 0, 2, &o->params.fairness);
	case 'g': return parse_real("--margin", arg, 0, 0.9, &o->params.margin);
	case 't':
		o->params.templates = false;
		return 0;
	case 'f':
		cfg->per_fn = true;
		return 0;
	}
	return p_err("unknown option: see '%s sim help'", bin_name);
}

static json_object *jnum(double v)
{
	return json_object_new_double(round(v * 1000) / 1000);
}

static json_object *functions_json(const struct kfaas_trace *t,
				   const struct kfaas_lc_sim_result *r)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < r->nfns; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(t->fns[i].func));
		json_object_object_add(o, "trigger", json_object_new_string(t->fns[i].trigger));
		json_object_object_add(o, "invocations",
				       json_object_new_int64((int64_t)r->fns[i].invocations));
		json_object_object_add(o, "warm", json_object_new_int64((int64_t)r->fns[i].warm));
		json_object_object_add(o, "restored",
				       json_object_new_int64((int64_t)r->fns[i].restored));
		json_object_object_add(o, "cold", json_object_new_int64((int64_t)r->fns[i].cold));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *result_json(const struct kfaas_lc_sim_result *r, double wall_s)
{
	json_object *o = json_object_new_object(), *m = json_object_new_object();
	int i;

#define U(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
#define D(k, v) json_object_object_add(o, k, jnum(v))
	json_object_object_add(o, "policy", json_object_new_string(r->policy.name));
	U("invocations", r->invocations);
	U("warm", r->warm);
	U("restored", r->restored);
	U("cold", r->cold);
	D("cold_pct", r->cold_pct);
	D("boot_pct", r->boot_pct);
	D("fn_p75_cold_pct", r->fn_p75_cold_pct);
	D("start_ms_mean", r->start_ms_mean);
	D("wasted_gib_s", r->wasted_gib_s);
	D("wasted_vm_gib_s", r->wasted_vm_gib_s);
	D("wasted_tpl_gib_s", r->wasted_tpl_gib_s);
	U("prewarms", r->prewarms);
	U("evictions", r->evictions);
	U("cap_overruns", r->cap_overruns);
	U("decisions", r->decisions);
	D("decide_ns_mean", r->decide_ns);
	U("forecast_windows", r->fc_windows);
	U("forecast_hits", r->fc_hits);
	D("wall_s", wall_s);
	for (i = KFAAS_LC_NONE; i <= KFAAS_LC_FORECAST; i++) {
		json_object *x;

		if (!r->mode_inv[i] && !r->mode_fns[i])
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "functions", json_object_new_int64((int64_t)r->mode_fns[i]));
		json_object_object_add(x, "invocations", json_object_new_int64((int64_t)r->mode_inv[i]));
		json_object_object_add(x, "not_warm", json_object_new_int64((int64_t)r->mode_cold[i]));
		json_object_object_add(m, kfaas_lc_mode_name(i), x);
	}
	json_object_object_add(o, "modes", m);
#undef U
#undef D
	return o;
}

/*
 * Where auto stands: the fixed keep-alive frontier (cold starts against
 * idle memory of the fixed:S policies) read at auto's idle memory, and
 * auto beside fixed:600.
 */
struct frontier {
	bool	have;
	double	at, cold, p75, ratio, ratio_p75;
	bool	have10;
	double	cold10, waste10;
};

static struct frontier frontier_of(const struct kfaas_lc_sim_result *r, size_t n)
{
	double w[MAX_POLICIES], c[MAX_POLICIES], p[MAX_POLICIES];
	const struct kfaas_lc_sim_result *a = NULL;
	struct frontier f = {};
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (r[i].policy.mode == KFAAS_LC_HIST && !a)
			a = &r[i];
		if (r[i].policy.mode != KFAAS_LC_FIXED)
			continue;
		w[k] = r[i].wasted_gib_s;
		c[k] = r[i].cold_pct;
		p[k++] = r[i].fn_p75_cold_pct;
		if (r[i].policy.keep_ms == 600000) {
			f.have10 = true;
			f.cold10 = r[i].cold_pct;
			f.waste10 = r[i].wasted_gib_s;
		}
	}
	if (!a || k < 2)
		return f;
	f.at = a->wasted_gib_s;
	f.cold = kfaas_lc_frontier_at(w, c, k, f.at);
	f.p75 = kfaas_lc_frontier_at(w, p, k, f.at);
	if (f.cold < 0 || f.p75 < 0)
		return f;
	f.have = true;
	f.ratio = a->cold_pct > 0 ? f.cold / a->cold_pct : INFINITY;
	f.ratio_p75 = a->fn_p75_cold_pct > 0 ? f.p75 / a->fn_p75_cold_pct : INFINITY;
	return f;
}

static json_object *frontier_json(const struct frontier *f)
{
	json_object *o;

	if (!f->have)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "at_wasted_gib_s", jnum(f->at));
	json_object_object_add(o, "fixed_cold_pct", jnum(f->cold));
	json_object_object_add(o, "fixed_fn_p75_cold_pct", jnum(f->p75));
	json_object_object_add(o, "ratio", isinf(f->ratio) ? NULL : jnum(f->ratio));
	json_object_object_add(o, "ratio_p75", isinf(f->ratio_p75) ? NULL :
			       jnum(f->ratio_p75));
	return o;
}

static void print_plain(const struct kfaas_trace *t, const struct kfaas_lc_sim_result *r,
			size_t n, const struct frontier *f)
{
	size_t i;

	printf("trace: %zu functions, %u day(s), %llu invocations\n\n", t->nfns,
	       t->days, (unsigned long long)(n ? r[0].invocations : 0));
	printf("%-14s %8s %8s %9s %9s %12s %10s %9s\n", "policy", "cold%", "boot%",
	       "fn-p75%", "start-ms", "wasted-GiBs", "evictions", "decide-ns");
	for (i = 0; i < n; i++)
		printf("%-14s %8.3f %8.3f %9.2f %9.2f %12.1f %10llu %9.0f\n",
		       r[i].policy.name, r[i].cold_pct, r[i].boot_pct,
		       r[i].fn_p75_cold_pct, r[i].start_ms_mean, r[i].wasted_gib_s,
		       (unsigned long long)r[i].evictions, r[i].decide_ns);
	if (!f->have)
		return;
	printf("\nauto at %.1f GiB-s: the fixed keep-alive frontier there has "
	       "%.3f%% cold (%.2fx auto's), per-function p75 %.2f%% (%.2fx)\n",
	       f->at, f->cold, f->ratio, f->p75, f->ratio_p75);
}

static int run(struct sim_cfg *cfg, int nfiles, char **files)
{
	struct kfaas_lc_sim_result *res = calloc(cfg->npol, sizeof(*res));
	double wall[MAX_POLICIES];
	struct kfaas_trace t;
	struct frontier f;
	size_t i;
	int rc = 0;

	if (!res)
		return p_err("out of memory");
	if (kfaas_trace_read(&t, (const char *const *)files, (size_t)nfiles)) {
		free(res);
		return p_lib_err();
	}
	for (i = 0; !rc && i < cfg->ndur; i++)
		rc = kfaas_trace_read_durations(&t, cfg->dur[i]);
	for (i = 0; !rc && i < cfg->nmem; i++)
		rc = kfaas_trace_read_memory(&t, cfg->mem[i]);
	for (i = 0; !rc && i < cfg->npol; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = kfaas_lc_sim_run(&t, &cfg->pol[i], &cfg->o, &res[i]);
		clock_gettime(CLOCK_MONOTONIC, &b);
		wall[i] = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	}
	if (rc) {
		p_lib_err();
		goto out;
	}
	f = frontier_of(res, cfg->npol);
	if (json_output) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();
		json_object *tr = json_object_new_object(), *op = json_object_new_object();

		json_object_object_add(tr, "functions", json_object_new_int64((int64_t)t.nfns));
		json_object_object_add(tr, "days", json_object_new_int64(t.days));
		json_object_object_add(tr, "invocations",
				       json_object_new_int64((int64_t)res[0].invocations));
		json_object_object_add(o, "trace", tr);
		json_object_object_add(op, "bin_s", jnum(cfg->o.bin_ms / 1000.0));
		json_object_object_add(op, "bins", json_object_new_int64(cfg->o.nbins));
		json_object_object_add(op, "mem_limit_mib", jnum(cfg->o.mem_limit_mib));
		json_object_object_add(op, "cv_min", jnum(cfg->o.params.cv_min));
		json_object_object_add(op, "default_keep_s",
				       jnum(cfg->o.params.fixed_ms / 1000.0));
		json_object_object_add(op, "templates",
				       json_object_new_boolean(cfg->o.params.templates));
		json_object_object_add(o, "options", op);
		for (i = 0; i < cfg->npol; i++) {
			json_object *p = result_json(&res[i], wall[i]);

			if (cfg->per_fn)
				json_object_object_add(p, "functions", functions_json(&t, &res[i]));
			json_object_array_add(a, p);
		}
		json_object_object_add(o, "policies", a);
		json_object_object_add(o, "frontier", frontier_json(&f));
		json_print(o);
	} else {
		print_plain(&t, res, cfg->npol, &f);
	}
out:
	for (i = 0; i < cfg->npol; i++)
		kfaas_lc_sim_result_free(&res[i]);
	free(res);
	kfaas_trace_free(&t);
	return rc ? -1 : 0;
}

int do_sim(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy",	  required_argument, NULL, 'P' },
		{ "durations",	  required_argument, NULL, 'D' },
		{ "memory",	  required_argument, NULL, 'M' },
		{ "mem-limit",	  required_argument, NULL, 'L' },
		{ "bin",	  required_argument, NULL, 'b' },
		{ "bins",	  required_argument, NULL, 'n' },
		{ "mem",	  required_argument, NULL, 'm' },
		{ "vm-mib",	  required_argument, NULL, 'v' },
		{ "duration",	  required_argument, NULL, 'd' },
		{ "until",	  required_argument, NULL, 'u' },
		{ "cv-min",	  required_argument, NULL, 'c' },
		{ "min-samples",  required_argument, NULL, 's' },
		{ "default-keep", required_argument, NULL, 'k' },
		{ "worth",	  required_argument, NULL, 'w' },
		{ "fairness",	  required_argument, NULL, 'F' },
		{ "margin",	  required_argument, NULL, 'g' },
		{ "no-templates", no_argument,	     NULL, 't' },
		{ "functions",	  no_argument,	     NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_cfg *cfg;
	int c, rc;

	if (argc >= 1 && !strcmp(argv[0], "help"))
		return usage();
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return p_err("out of memory");
	kfaas_lc_sim_opts_default(&cfg->o);
	rc = parse_policies(cfg, POLICIES_DEFAULT);
	/* getopt from argv[0]: the word "sim" before it stands as argv[0] */
	argc++;
	argv--;
	optind = 1;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			rc = p_err("unknown option or missing value '%s': see "
				   "'%s sim help'", argv[optind - 1], bin_name);
		else
			rc = sim_opt(cfg, c, optarg);
	}
	if (!rc && optind >= argc)
		rc = p_err("give the trace: one or more "
			   "invocations_per_function_md.anon.dNN.csv files "
			   "(tools/tracegen makes some): see '%s sim help'", bin_name);
	if (!rc)
		rc = run(cfg, argc - optind, argv + optind);
	free(cfg);
	return rc;
}
