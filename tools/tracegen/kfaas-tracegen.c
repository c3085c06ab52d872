// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-tracegen: writes a synthetic trace in the exact format of the
 * Azure Functions 2019 trace (AzureFunctionsDataset2019.md), with the
 * shape Shahrad et al. report (USENIX ATC'20, section 3), deterministic
 * from a seed:
 *   invocations_per_function_md.anon.dNN.csv     one per day
 *   function_durations_percentiles.anon.dNN.csv  one per day
 *   app_memory_percentiles.anon.dNN.csv          one per day
 * The model and its parameters: docs/lifecycle.md, "The generated trace".
 *
 *   kfaas-tracegen --out DIR [--seed N] [--days N] [--apps N]
 *                  [--rate-mu X] [--rate-sigma X] [--max-rate X]
 *                  [--timer-frac X] [--periodic-frac X] [--exact-frac X]
 *                  [--bursty-frac X]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIN_PER_DAY	1440
/* fitted to Figure 5a, Figure 6 (docs/lifecycle.md, "The generated trace") */
#define RATE_MU		-3.0
#define RATE_SIGMA	2.0
#define PERIODIC_FRAC	0.15
#define BURSTY_FRAC	0.5

struct cfg {
	const char	*out;
	uint64_t	seed;
	int		days, apps;
	double		rate_mu, rate_sigma, max_rate;
	double		timer_frac, bursty_frac, periodic_frac, exact_frac;
};

/* ---- a seeded generator (splitmix64): the same trace everywhere ------- */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uni(void)	/* (0, 1) */
{
	return ((rnd64() >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uni())) * cos(2 * M_PI * uni());
}

static uint32_t poisson(double lambda)
{
	double l, p = 1;
	uint32_t k = 0;

	if (lambda <= 0)
		return 0;
	if (lambda > 40) {
		double v = round(lambda + sqrt(lambda) * normal());

		return v < 0 ? 0 : (uint32_t)v;
	}
	l = exp(-lambda);
	do {
		k++;
		p *= uni();
	} while (p > l);
	return k - 1;
}

static void hash(char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 64; i += 16) {
		uint64_t v = rnd64();
		int j;

		for (j = 0; j < 16; j++, v >>= 4)
			out[i + j] = hex[v & 15];
	}
	out[64] = '\0';
}

/* ---- the functions ------------------------------------------------------ */

enum kind { TIMER, PERIODIC, POISSON, BURSTY };

struct fn {
	char		func[65];
	const char	*trigger;
	enum kind	kind;
	double		rate;		/* mean invocations per minute */
	uint32_t	period, phase;	/* timer, periodic */
	double		miss;		/* ... probability a firing is missed */
	double		burst_size;	/* bursty: invocations per burst */
	uint32_t	burst_len;	/* minutes a burst lasts */
	double		dur_ms;
};

/* Trigger groups of the non-timer functions, as shares of all functions
 * in the paper's Figure 3 (timers are 15.6 %). */
static const char *non_timer_trigger(void)
{
	static const struct { const char *name; double share; } t[] = {
		{ "http", 55.0 }, { "queue", 15.2 }, { "orchestration", 6.9 },
		{ "storage", 2.8 }, { "event", 2.2 }, { "others", 2.3 },
	};
	double x = uni() * 84.4;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]) - 1; i++) {
		if (x < t[i].share)
			return t[i].name;
		x -= t[i].share;
	}
	return t[i].name;
}

static uint32_t timer_period(void)
{
	static const struct { uint32_t min; double w; } p[] = {
		{ 1, 20 }, { 5, 20 }, { 10, 10 }, { 15, 15 }, { 30, 10 },
		{ 60, 15 }, { 120, 3 }, { 360, 3 }, { 720, 2 }, { 1440, 2 },
	};
	double x = uni() * 100;
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]) - 1; i++) {
		if (x < p[i].w)
			return p[i].min;
		x -= p[i].w;
	}
	return p[i].min;
}

/*
 * A periodic function (timer-triggered, or another trigger called on a
 * schedule): exactly periodic for exact_frac of them; the others miss a
 * firing with probability q, which makes the CV of their inter-arrival
 * times sqrt(q): q = CV^2 with the CV log-uniform in 0.05 .. 0.95
 * (Figure 6, apps with only timers: 49 % at CV 0, 62 % up to 0.1, 84 %
 * up to 0.5, 93 % up to 1).
 */
static void periodic(const struct cfg *c, struct fn *f)
{
	double cv;

	f->period = timer_period();
	f->phase = (uint32_t)(uni() * f->period);
	f->rate = 1.0 / f->period;
	cv = exp(log(0.05) + uni() * log(0.95 / 0.05));
	f->miss = uni() < c->exact_frac ? 0 : cv * cv;
}

static void fn_make(const struct cfg *c, struct fn *f)
{
	double x = uni();

	hash(f->func);
	/* average run time: log-normal, median 0.6 s (the paper: half the
	 * functions run under 1 s on average, 90 % under a minute) */
	f->dur_ms = exp(log(600) + 1.6 * normal());
	if (f->dur_ms > 600000)
		f->dur_ms = 600000;
	if (x < c->timer_frac) {
		f->kind = TIMER;
		f->trigger = "timer";
		periodic(c, f);
		return;
	}
	f->trigger = non_timer_trigger();
	if (x < c->timer_frac + c->periodic_frac) {
		f->kind = PERIODIC;
		periodic(c, f);
		return;
	}
	f->rate = pow(10, c->rate_mu + c->rate_sigma * normal());
	if (f->rate > c->max_rate)
		f->rate = c->max_rate;
	if (uni() < c->bursty_frac / (1 - c->timer_frac - c->periodic_frac)) {
		f->kind = BURSTY;
		/* 2 .. 200, at most a day's calls: a rare function's bursts
		 * are small (else it shows a burst or nothing in the trace,
		 * and no rare bursty functions: Figure 5a) */
		double cap = f->rate * MIN_PER_DAY;

		cap = cap < 2 ? 2 : cap > 200 ? 200 : cap;
		f->burst_size = exp(log(2) + uni() * log(cap / 2));
		f->burst_len = 1 + (uint32_t)(uni() * 5);
	} else {
		f->kind = POISSON;
	}
}

/* One function's per-minute counts over the whole trace. */
static void fn_counts(const struct cfg *c, const struct fn *f, uint32_t *cnt)
{
	uint32_t n = (uint32_t)c->days * MIN_PER_DAY, m, k;
	double gap;

	memset(cnt, 0, n * sizeof(*cnt));
	switch (f->kind) {
	case TIMER:
	case PERIODIC:
		for (m = f->phase; m < n; m += f->period)
			if (f->miss == 0 || uni() >= f->miss)
				cnt[m] = 1;
		break;
	case POISSON:
		/* diurnal: +-50 % around the mean over the day */
		for (m = 0; m < n; m++)
			cnt[m] = poisson(f->rate * (1 + 0.5 * sin(2 * M_PI * m / MIN_PER_DAY)));
		break;
	case BURSTY:
		/* bursts of burst_size over burst_len minutes; the gaps between
		 * them log-normal (sigma 1) with the mean that gives the rate */
		gap = f->burst_size / f->rate;
		for (m = (uint32_t)(uni() * gap); m < n; ) {
			uint32_t b = poisson(f->burst_size);

			for (k = 0; k < f->burst_len && m + k < n; k++)
				cnt[m + k] += b / f->burst_len + (k < b % f->burst_len);
			m += f->burst_len + (uint32_t)(gap * exp(normal() - 0.5));
		}
		break;
	}
}

/* ---- the shape, as the paper measures it --------------------------------- */

/*
 * What the summary reports to compare with Shahrad et al.'s figures
 * (docs/lifecycle.md, "The generated trace"): per application, the
 * coefficient of variation of its inter-arrival times (Figure 6), a
 * minute's count spread evenly as the simulator spreads it, by whether
 * its functions are all, some or none timer-triggered; the rates of
 * functions and applications (Figure 5a).
 */
enum { CLS_ALL, CLS_ONLY_TIMERS, CLS_SOME_TIMER, CLS_NO_TIMER, NCLS };
static const char *const cls_names[NCLS] = { "all", "only_timers",
					     "at_least_one_timer", "no_timers" };
static const double cv_points[] = { 0.02, 0.1, 0.5, 1, 2, 4 };
#define NCV	(sizeof(cv_points) / sizeof(cv_points[0]))

struct shape {
	uint64_t	apps[NCLS];		/* with 2 or more IATs */
	uint64_t	le[NCLS][NCV];		/* ... of them CV <= the point */
	uint64_t	apps_all, apps_timer;	/* any, with a timer function */
	uint64_t	app_le_min, app_le_hour, app_le_day;
	uint64_t	fn_le_day, timer_calls;
};

/* CV of the inter-arrival times of per-minute counts; -1: under 2 IATs */
static double iat_cv(const uint32_t *cnt, uint32_t n)
{
	double sum = 0, sq = 0, last = -1, mean, var;
	uint64_t k = 0;
	uint32_t m;

	for (m = 0; m < n; m++) {
		double step, first;

		if (!cnt[m])
			continue;
		step = 60.0 / cnt[m];
		first = m * 60.0 + step / 2;
		if (last >= 0) {
			sum += first - last;
			sq += (first - last) * (first - last);
			k++;
		}
		sum += (cnt[m] - 1) * step;
		sq += (cnt[m] - 1) * step * step;
		k += cnt[m] - 1;
		last = first + (cnt[m] - 1) * step;
	}
	if (k < 2)
		return -1;
	mean = sum / k;
	var = sq / k - mean * mean;
	return sqrt(var > 0 ? var : 0) / mean;
}

static void shape_app(struct shape *sh, const uint32_t *cnt, uint32_t n,
		      int nfn, int ntimer, uint64_t calls, int days)
{
	double cv = iat_cv(cnt, n), rate = calls / (days * 1440.0);
	int cls = ntimer == nfn ? CLS_ONLY_TIMERS : ntimer ? CLS_SOME_TIMER :
		  CLS_NO_TIMER;
	size_t i;

	if (!calls)
		return;		/* not in the trace */
	sh->apps_all++;
	sh->apps_timer += ntimer > 0;
	sh->app_le_min += rate <= 1;
	sh->app_le_hour += rate <= 1 / 60.0;
	sh->app_le_day += rate <= 1 / 1440.0;
	if (cv < 0)
		return;
	sh->apps[CLS_ALL]++;
	sh->apps[cls]++;
	if (cls == CLS_ONLY_TIMERS)
		sh->apps[CLS_SOME_TIMER]++;	/* "at least one" counts them too */
	for (i = 0; i < NCV; i++) {
		if (cv > cv_points[i])
			continue;
		sh->le[CLS_ALL][i]++;
		sh->le[cls][i]++;
		if (cls == CLS_ONLY_TIMERS)
			sh->le[CLS_SOME_TIMER][i]++;
	}
}

static void shape_print(const struct shape *sh, uint64_t nfn, uint64_t total)
{
	size_t c, i;

	printf(", \"shape\": {\"apps_with_timer_pct\": %.1f, "
	       "\"timer_invocations_pct\": %.2f, \"fn_pct_at_most_1_per_day\": %.1f, "
	       "\"app_pct_at_most_1_per_min\": %.1f, \"app_pct_at_most_1_per_hour\": %.1f, "
	       "\"app_pct_at_most_1_per_day\": %.1f, \"app_iat_cv_cdf\": {",
	       100.0 * sh->apps_timer / sh->apps_all,
	       total ? 100.0 * sh->timer_calls / total : 0,
	       100.0 * sh->fn_le_day / nfn, 100.0 * sh->app_le_min / sh->apps_all,
	       100.0 * sh->app_le_hour / sh->apps_all,
	       100.0 * sh->app_le_day / sh->apps_all);
	for (c = 0; c < NCLS; c++) {
		printf("%s\"%s\": {\"apps\": %llu", c ? ", " : "", cls_names[c],
		       (unsigned long long)sh->apps[c]);
		for (i = 0; i < NCV; i++)
			printf(", \"%g\": %.2f", cv_points[i], sh->apps[c] ?
			       (double)sh->le[c][i] / sh->apps[c] : 0);
		printf("}");
	}
	printf("}}");
}

/* ---- the files ---------------------------------------------------------- */

static FILE *open_day(const struct cfg *c, const char *what, int day)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.anon.d%02d.csv", c->out, what, day + 1);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "kfaas-tracegen: cannot write %s: %s\n", path,
			strerror(errno));
	return f;
}

static void write_durations(FILE *f, const char *owner, const char *app,
			    const struct fn *fn, uint64_t count)
{
	double a = fn->dur_ms;

	if (!count)
		return;
	fprintf(f, "%s,%s,%s,%.0f,%llu,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n",
		owner, app, fn->func, a, (unsigned long long)count, a * 0.1,
		a * 8, a * 0.1, a * 0.2, a * 0.6, a * 0.9, a * 1.2, a * 4, a * 8);
}

static void write_memory(FILE *f, const char *owner, const char *app, double mb)
{
	fprintf(f, "%s,%s,%u,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n",
		owner, app, 1000 + (unsigned int)(uni() * 20000), mb, mb * 0.7,
		mb * 0.8, mb * 0.9, mb, mb * 1.05, mb * 1.2, mb * 1.3, mb * 1.5);
}

static int usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"Usage: kfaas-tracegen --out DIR [--seed N] [--days N] [--apps N]\n"
		"         [--rate-mu X] [--rate-sigma X] [--max-rate X]\n"
		"         [--timer-frac X] [--periodic-frac X] [--exact-frac X]\n"
		"         [--bursty-frac X]\n"
		"Writes the three file kinds of the Azure Functions 2019 trace for\n"
		"DAYS days into DIR (docs/lifecycle.md, \"The generated trace\").\n");
	return rc;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "apps", required_argument, NULL, 'a' },
		{ "rate-mu", required_argument, NULL, 'm' },
		{ "rate-sigma", required_argument, NULL, 'S' },
		{ "max-rate", required_argument, NULL, 'M' },
		{ "timer-frac", required_argument, NULL, 't' },
		{ "bursty-frac", required_argument, NULL, 'b' },
		{ "periodic-frac", required_argument, NULL, 'p' },
		{ "exact-frac", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	*c = (struct cfg){ .seed = 1, .days = 14, .apps = 400, .rate_mu = RATE_MU,
			   .rate_sigma = RATE_SIGMA, .max_rate = 2000,
			   .timer_frac = 0.156, .periodic_frac = PERIODIC_FRAC,
			   .exact_frac = 0.5, .bursty_frac = BURSTY_FRAC };
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		double v = optarg && o != 'o' ? strtod(optarg, &end) : 0;

		if (end && (!*optarg || *end)) {
			fprintf(stderr, "kfaas-tracegen: '%s' is not a number\n", optarg);
			return -1;
		}
		switch (o) {
		case 'o': c->out = optarg; break;
		case 's': c->seed = (uint64_t)v; break;
		case 'd': c->days = (int)v; break;
		case 'a': c->apps = (int)v; break;
		case 'm': c->rate_mu = v; break;
		case 'S': c->rate_sigma = v; break;
		case 'M': c->max_rate = v; break;
		case 't': c->timer_frac = v; break;
		case 'b': c->bursty_frac = v; break;
		case 'p': c->periodic_frac = v; break;
		case 'x': c->exact_frac = v; break;
		case 'h': exit(usage(0));
		default: return -1;
		}
	}
	if (optind < argc || !c->out || c->days < 1 || c->days > 99 || c->apps < 1 ||
	    c->apps > 1000000 || c->max_rate <= 0 || c->rate_sigma < 0 ||
	    c->timer_frac < 0 || c->bursty_frac < 0 || c->periodic_frac < 0 ||
	    c->exact_frac < 0 || c->exact_frac > 1 ||
	    c->timer_frac + c->periodic_frac + c->bursty_frac >= 1) {
		fprintf(stderr, "kfaas-tracegen: give --out DIR; --days 1..99, --apps "
			"1..1000000, --max-rate > 0, fractions from 0 with "
			"timer + periodic + bursty < 1, exact up to 1\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	FILE *inv[99], *dur[99], *mem[99];
	uint64_t nfn = 0, ninv = 0, le_min = 0, le_hour = 0, total = 0, kinds[4] = {};
	double rmin = INFINITY, rmax = 0;
	struct shape sh = { 0 };
	struct cfg c;
	uint32_t *cnt, *appcnt, nmin;
	int d, a, m, rc = 0;

	if (parse_args(argc, argv, &c))
		return usage(2);
	if (mkdir(c.out, 0755) && errno != EEXIST) {
		fprintf(stderr, "kfaas-tracegen: cannot make %s: %s\n", c.out, strerror(errno));
		return 1;
	}
	rng_state = c.seed;
	nmin = (uint32_t)c.days * MIN_PER_DAY;
	cnt = malloc(nmin * sizeof(*cnt));
	appcnt = malloc(nmin * sizeof(*appcnt));
	if (!cnt || !appcnt)
		return 1;
	for (d = 0; d < c.days; d++) {
		inv[d] = open_day(&c, "invocations_per_function_md", d);
		dur[d] = open_day(&c, "function_durations_percentiles", d);
		mem[d] = open_day(&c, "app_memory_percentiles", d);
		if (!inv[d] || !dur[d] || !mem[d])
			return 1;
		fprintf(inv[d], "HashOwner,HashApp,HashFunction,Trigger");
		for (m = 1; m <= MIN_PER_DAY; m++)
			fprintf(inv[d], ",%d", m);
		fprintf(inv[d], "\n");
		fprintf(dur[d], "HashOwner,HashApp,HashFunction,Average,Count,Minimum,"
			"Maximum,percentile_Average_0,percentile_Average_1,"
			"percentile_Average_25,percentile_Average_50,"
			"percentile_Average_75,percentile_Average_99,"
			"percentile_Average_100\n");
		fprintf(mem[d], "HashOwner,HashApp,SampleCount,AverageAllocatedMb,"
			"AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
			"AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
			"AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
			"AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n");
	}
	for (a = 0; a < c.apps; a++) {
		char owner[65], app[65];
		/* functions per app: 1 for 54 %, else geometric (the paper's Fig. 1) */
		int nf = uni() < 0.54 ? 1 : 2 + (int)floor(log(uni()) / log(0.75));
		double mb = exp(log(150) + 0.5 * normal());	/* app memory, MB */
		uint64_t app_calls = 0;
		int f, ntimer = 0;

		hash(owner);
		hash(app);
		if (nf > 50)
			nf = 50;
		memset(appcnt, 0, nmin * sizeof(*appcnt));
		for (f = 0; f < nf; f++) {
			struct fn fn;
			uint64_t sum = 0;
			double rate;

			/* the trace shows functions that were called: one that
			 * drew no call is drawn again (so the shares of kinds,
			 * the timers' 15.6 %, are of the functions shown) */
			do {
				fn_make(&c, &fn);
				fn_counts(&c, &fn, cnt);
				for (sum = 0, m = 0; m < (int)nmin; m++)
					sum += cnt[m];
			} while (!sum);
			sum = 0;
			for (d = 0; d < c.days; d++) {
				uint64_t day = 0;

				for (m = 0; m < MIN_PER_DAY; m++)
					day += cnt[d * MIN_PER_DAY + m];
				sum += day;
				write_durations(dur[d], owner, app, &fn, day);
				if (!day)
					continue;	/* the trace lists the functions of the day */
				fprintf(inv[d], "%s,%s,%s,%s", owner, app, fn.func, fn.trigger);
				for (m = 0; m < MIN_PER_DAY; m++)
					fprintf(inv[d], ",%u", cnt[d * MIN_PER_DAY + m]);
				fprintf(inv[d], "\n");
			}
			rate = sum / (double)(c.days * MIN_PER_DAY);
			nfn++;
			total += sum;
			kinds[fn.kind]++;
			/* the rates of the functions the trace shows (called) */
			ninv += sum > 0;
			le_min += sum && rate <= 1;
			le_hour += sum && rate <= 1 / 60.0;
			sh.fn_le_day += sum && rate <= 1 / 1440.0;
			for (m = 0; m < (int)nmin; m++)
				appcnt[m] += cnt[m];
			app_calls += sum;
			ntimer += fn.kind == TIMER;
			if (fn.kind == TIMER)
				sh.timer_calls += sum;
			if (sum) {
				rmin = rate < rmin ? rate : rmin;
				rmax = rate > rmax ? rate : rmax;
			}
		}
		for (d = 0; d < c.days; d++)
			write_memory(mem[d], owner, app, mb);
		shape_app(&sh, appcnt, nmin, nf, ntimer, app_calls, c.days);
	}
	for (d = 0; d < c.days; d++)
		if (fclose(inv[d]) | fclose(dur[d]) | fclose(mem[d]))
			rc = 1;
	free(cnt);
	free(appcnt);
	printf("{\"seed\": %llu, \"days\": %d, \"apps\": %d, \"functions\": %llu, "
	       "\"functions_called\": %llu, \"invocations\": %llu, \"timer\": %llu, "
	       "\"periodic\": %llu, \"poisson\": %llu, \"bursty\": %llu, "
	       "\"pct_at_most_1_per_min\": %.1f, \"pct_at_most_1_per_hour\": %.1f, "
	       "\"rate_per_min_min\": %.3g, \"rate_per_min_max\": %.3g",
	       (unsigned long long)c.seed, c.days, c.apps, (unsigned long long)nfn,
	       (unsigned long long)ninv, (unsigned long long)total,
	       (unsigned long long)kinds[TIMER], (unsigned long long)kinds[PERIODIC],
	       (unsigned long long)kinds[POISSON], (unsigned long long)kinds[BURSTY],
	       100.0 * le_min / ninv, 100.0 * le_hour / ninv, rmin, rmax);
	/* the summary's last brace comes after the shape */
	shape_print(&sh, ninv, total);
	printf("}\n");
	if (rc)
		fprintf(stderr, "kfaas-tracegen: writing %s failed\n", c.out);
	return rc;
}
