/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lifecycle policy of the VM tier (docs/lifecycle.md): when to hold a
 * function warm, as a snapshot template, or not at all, decided from the
 * distribution of its idle times (the hybrid histogram policy of Shahrad
 * et al., "Serverless in the Wild", USENIX ATC'20), and which holding to
 * give up first under a memory cap (value per MiB, frequency-weighted, as
 * in FaaSCache's greedy-dual keep-alive, Fuerst & Sharma, ASPLOS'21).
 *
 * One policy, two drivers: kfaasd's pool and the simulator (`kfaas sim`,
 * kfaas_lc_sim_run()) call the same functions.  Everything here is pure
 * and deterministic given the times it is told (milliseconds on any
 * monotonic clock the driver chooses); the only I/O is
 * kfaas_lc_hist_save()/kfaas_lc_hist_load().  Errors are negative errno
 * values with a message in kfaas_errmsg(), as in the rest of libkfaas.
 */
#ifndef KFAAS_LIFECYCLE_H
#define KFAAS_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arrival histograms (lifecycle_hist.c) ---------------------------- */

#define KFAAS_LC_BIN_MS_DEFAULT	60000u		/* 1-minute bins */
#define KFAAS_LC_NBINS_DEFAULT	240u		/* over 4 hours */
#define KFAAS_LC_NBINS_MAX	100000u
#define KFAAS_LC_RECENT		8		/* idle times kept for the forecast */

/*
 * The idle times of one function: the time from the end of an invocation
 * to the start of the next.  In range: bins[t / bin_ms]; at or past
 * nbins * bin_ms: counted in oob.  The last KFAAS_LC_RECENT idle times
 * (any range) feed the forecaster.
 */
struct kfaas_lc_hist {
	uint32_t	bin_ms;
	uint32_t	nbins;
	uint64_t	total;		/* in-range samples */
	uint64_t	oob;		/* out-of-range samples */
	uint64_t	recent[KFAAS_LC_RECENT];
	uint32_t	nrecent;	/* samples ever put in recent[] */
	uint32_t	*bins;
};

int kfaas_lc_hist_init(struct kfaas_lc_hist *h, uint32_t bin_ms, uint32_t nbins);
void kfaas_lc_hist_free(struct kfaas_lc_hist *h);
/* Count one idle time (n times: kfaas_lc_hist_add_n). */
void kfaas_lc_hist_add(struct kfaas_lc_hist *h, uint64_t idle_ms);
void kfaas_lc_hist_add_n(struct kfaas_lc_hist *h, uint64_t idle_ms, uint64_t n);
/* Range covered by the bins, ms. */
uint64_t kfaas_lc_hist_range_ms(const struct kfaas_lc_hist *h);
/* Bin index holding the p-th percentile (0 < p <= 100) of in-range samples;
 * -1 when there are none. */
int kfaas_lc_hist_percentile_bin(const struct kfaas_lc_hist *h, double p);
/* Coefficient of variation of the bin counts (0 with no samples). */
double kfaas_lc_hist_cv(const struct kfaas_lc_hist *h);

/*
 * On disk (docs/lifecycle.md): "KFLH", format version, bin width, bin
 * count, totals, recent idle times, the bins, a CRC32 of all of it; little
 * endian.  Saved atomically (temporary file + rename).  Load refuses a
 * file that is not one (-EINVAL, what is wrong in kfaas_errmsg()), of
 * another version or geometry than asked for (-ESTALE: the caller starts
 * afresh), or damaged (-EINVAL); h is left untouched on any error.
 */
#define KFAAS_LC_HIST_MAGIC	"KFLH"
#define KFAAS_LC_HIST_VERSION	1
int kfaas_lc_hist_save(const struct kfaas_lc_hist *h, const char *path);
int kfaas_lc_hist_load(struct kfaas_lc_hist *h, const char *path);
/* The same to and from memory (what the two above write and read). */
size_t kfaas_lc_hist_encoded_size(const struct kfaas_lc_hist *h);
size_t kfaas_lc_hist_encode(const struct kfaas_lc_hist *h, uint8_t *buf, size_t len);
int kfaas_lc_hist_decode(struct kfaas_lc_hist *h, const uint8_t *buf, size_t len,
			 const char *what);

/* ---- the policy (lifecycle_policy.c) ---------------------------------- */

/* What is held for a function, coldest first. */
enum kfaas_lc_temp {
	KFAAS_LC_COLD = 0,	/* nothing: a request boots a VM (and template) */
	KFAAS_LC_TEMPLATE,	/* a ready snapshot template: a request clones it */
	KFAAS_LC_WARM,		/* a template and a running idle VM */
	KFAAS_LC_NTEMPS,
};
const char *kfaas_lc_temp_name(enum kfaas_lc_temp t);

/* Measured costs of the three temperatures (docs/lifecycle.md). */
struct kfaas_lc_costs {
	double		lat_ms[KFAAS_LC_NTEMPS];  /* request to first response */
	double		tpl_mib;	/* a template (its RAM file) */
	double		vm_mib;		/* a warm VM on top of its template */
};
/* The numbers measured here (docs/vm-tier.md, make bench item 7). */
void kfaas_lc_costs_default(struct kfaas_lc_costs *c, uint32_t mem_mib);
/* MiB held at a temperature. */
double kfaas_lc_temp_mib(const struct kfaas_lc_costs *c, enum kfaas_lc_temp t);

struct kfaas_lc_params {
	double		head_pct;	/* 5: pre-warm from this percentile */
	double		tail_pct;	/* 99: keep-alive to this one */
	double		margin;		/* 0.10: head lowered, tail raised by it */
	double		cv_min;		/* 2.0: below it the histogram says nothing */
	uint64_t	min_samples;	/* 5: fewer idle times say nothing */
	uint64_t	fixed_ms;	/* keep-alive when it says nothing */
	double		oob_max;	/* 0.5: more out of range: forecast */
	double		fc_margin;	/* 0.15: the forecast window's margin */
	double		worth_mib_s;	/* idle MiB-s one avoided cold start is worth
					 * (0: windows are not trimmed by value) */
	double		fairness;	/* worth scaled by (mean idle / unit)^fairness:
					 * 0 counts every cold start alike, 1 every
					 * function's share of them alike */
	bool		templates;	/* hold templates where they pay */
	double		unit_ms;	/* 60000: the minute of fairness's ratio
					 * (kfaasd: its bin width, kfaasd.md) */
};
void kfaas_lc_params_default(struct kfaas_lc_params *p);

enum kfaas_lc_mode {
	KFAAS_LC_NONE = 0,	/* policy none: nothing is ever kept */
	KFAAS_LC_FIXED,		/* a keep-alive the user fixed */
	KFAAS_LC_HIST,		/* from the histogram's head and tail */
	KFAAS_LC_DEFAULT,	/* histogram not representative: the default keep-alive */
	KFAAS_LC_FORECAST,	/* mostly out of range: forecast of the next idle time */
};
const char *kfaas_lc_mode_name(enum kfaas_lc_mode m);

/*
 * A decision, relative to the start of an idle period (the end of an
 * invocation), in ms:
 *   [0, prewarm_ms)                      gap_temp
 *   [prewarm_ms, prewarm_ms + keep_ms)   warm
 *   [.., + after_ms)                     after_temp
 *   then                                 cold
 */
struct kfaas_lc_decision {
	enum kfaas_lc_mode	mode;
	uint64_t		prewarm_ms;
	uint64_t		keep_ms;
	enum kfaas_lc_temp	gap_temp;
	enum kfaas_lc_temp	after_temp;
	uint64_t		after_ms;
	/* what it was decided from, for `kfaas fn show` */
	uint64_t		samples;	/* in range + out of range */
	double			oob_frac;
	double			cv;
	int64_t			head_ms;	/* -1: none */
	int64_t			tail_ms;
	int64_t			forecast_ms;	/* -1: none */
	uint64_t		range_ms;	/* the histogram's */
	uint32_t		fc_n;		/* idle times the forecast used */
	bool			trimmed;	/* window chosen by value within the head */
};

/* The adaptive policy: decide from h (the histogram at the idle start). */
void kfaas_lc_decide(const struct kfaas_lc_params *p, const struct kfaas_lc_costs *c,
		     const struct kfaas_lc_hist *h, struct kfaas_lc_decision *d);
/* Why, in one line for `kfaas fn show` (p: what d was decided with). */
const char *kfaas_lc_explain(const struct kfaas_lc_params *p,
			     const struct kfaas_lc_decision *d, char *buf, size_t len);
/* The fixed policies: keep_ms warm after each invocation (0: none). */
void kfaas_lc_decide_fixed(uint64_t keep_ms, struct kfaas_lc_decision *d);
/* What to hold `since_ms` into an idle period. */
enum kfaas_lc_temp kfaas_lc_temp_at(const struct kfaas_lc_decision *d, uint64_t since_ms);
/* When (ms into the idle period, > since_ms) the temperature changes
 * next; UINT64_MAX when it never does.  The driver's next deadline. */
uint64_t kfaas_lc_next_change(const struct kfaas_lc_decision *d, uint64_t since_ms);

/* ---- memory cap: what to give up first (lifecycle_evict.c) ------------ */

/*
 * One holding the driver could step down one temperature (warm ->
 * template, template -> cold).  Priority in the greedy-dual sense:
 * clock + freq * latency saved by the step / MiB it frees, computed with
 * kfaas_lc_priority() when the function is last used; the lowest goes
 * first.  A busy holding (serving a request) is never chosen.
 */
struct kfaas_lc_item {
	uint32_t		id;	/* the driver's, breaks ties (lower first) */
	enum kfaas_lc_temp	temp;	/* what is held now (> cold) */
	double			mib;	/* MiB the step down frees */
	double			priority;
	bool			busy;
};

struct kfaas_lc_cache {
	double	clock;		/* greedy-dual aging: priority of the last victim */
};

/* freq: invocations since it was last loaded cold; saved_ms: the latency a
 * request gains from the holding over one temperature colder. */
double kfaas_lc_priority(const struct kfaas_lc_cache *c, double freq,
			 double saved_ms, double mib);
/* The item to step down first; -1 when every one is busy.  Advances the
 * clock to its priority. */
long kfaas_lc_evict_pick(struct kfaas_lc_cache *c, const struct kfaas_lc_item *items,
			 size_t n);

/* ---- the Azure Functions 2019 trace (lifecycle_trace.c) --------------- */

#define KFAAS_TRACE_MINUTES	1440

struct kfaas_trace_fn {
	char		owner[65], app[65], func[65];
	char		trigger[16];
	/* minutes with invocations, ascending: minute (day * 1440 + m) and count */
	uint32_t	nmin, capmin;
	uint32_t	*minute;
	uint32_t	*count;
	double		avg_ms;		/* average duration (durations file), -1: unknown */
	double		mem_mb;		/* app's average allocated MB (memory file), -1 */
	double		dur_w, mem_w;	/* weights of the averages so far */
};

struct kfaas_trace {
	size_t			nfns, capfns;
	uint32_t		days;
	struct kfaas_trace_fn	*fns;
	uint32_t		*slots;		/* hash index of fns by owner/app/function */
	size_t			nslots;
};

/*
 * Read invocations_per_function_md.anon.dNN.csv files, one per day, in
 * the order given: a function missing from a day has zero invocations
 * that day.  Malformed input: -EINVAL, kfaas_errmsg() says file, line and
 * what is wrong; t is then empty.
 */
int kfaas_trace_read(struct kfaas_trace *t, const char *const *inv_paths, size_t ndays);
/* function_durations_percentiles.anon.dNN.csv: Average per function (the
 * mean over the files given, weighted by Count). */
int kfaas_trace_read_durations(struct kfaas_trace *t, const char *path);
/* app_memory_percentiles.anon.dNN.csv: AverageAllocatedMb per app. */
int kfaas_trace_read_memory(struct kfaas_trace *t, const char *path);
void kfaas_trace_free(struct kfaas_trace *t);

/* ---- the simulator (lifecycle_sim.c) ---------------------------------- */

struct kfaas_lc_policy {
	enum kfaas_lc_mode	mode;	/* NONE, FIXED (keep_ms) or HIST (adaptive) */
	uint64_t		keep_ms;
	char			name[32];
};
/* "none", "fixed:SECONDS", "auto": -EINVAL with a message otherwise. */
int kfaas_lc_policy_parse(struct kfaas_lc_policy *p, const char *s);

struct kfaas_lc_sim_opts {
	struct kfaas_lc_params	params;
	uint32_t		bin_ms, nbins;
	double			mem_limit_mib;	/* 0: no cap */
	uint32_t		mem_mib;	/* guest RAM when the trace has none */
	double			vm_mib;		/* a warm VM over its template */
	double			dur_ms;		/* duration when the trace has none */
	uint32_t		until_min;	/* replay to this minute (0: the trace's end) */
};
void kfaas_lc_sim_opts_default(struct kfaas_lc_sim_opts *o);

struct kfaas_lc_sim_fn {
	uint64_t	invocations;
	uint64_t	warm, restored, cold;	/* what each invocation found */
};

struct kfaas_lc_sim_result {
	struct kfaas_lc_policy	policy;
	uint64_t		invocations, warm, restored, cold;
	double			cold_pct;	/* found no warm VM: restored + cold */
	double			boot_pct;	/* found nothing: cold */
	double			fn_p75_cold_pct; /* 75th percentile over functions */
	double			start_ms_mean;	/* mean start latency over a warm one */
	double			wasted_gib_s;	/* idle VMs and templates */
	double			wasted_vm_gib_s;
	double			wasted_tpl_gib_s;
	uint64_t		evictions, prewarms, cap_overruns;
	uint64_t		fc_windows, fc_hits; /* forecast windows, arrivals in them */
	uint64_t		decisions;
	double			decide_ns;	/* mean cost of a decision */
	double			seconds;	/* simulated */
	size_t			nfns;
	struct kfaas_lc_sim_fn	*fns;		/* per function, trace order */
	uint64_t		mode_fns[5];	/* functions by final decision mode */
	uint64_t		mode_inv[5];	/* invocations by the mode in force */
	uint64_t		mode_cold[5];	/* ... of them not found warm */
};

int kfaas_lc_sim_run(const struct kfaas_trace *t, const struct kfaas_lc_policy *pol,
		     const struct kfaas_lc_sim_opts *o, struct kfaas_lc_sim_result *r);
void kfaas_lc_sim_result_free(struct kfaas_lc_sim_result *r);

/*
 * The fixed keep-alive frontier at a memory: the cold-start percentage the
 * fixed policies would have with `wasted` GiB-s, interpolated linearly
 * between the two fixed points around it (the points need not be
 * sorted).  -1 when wasted is outside their range.
 */
double kfaas_lc_frontier_at(const double *wasted, const double *cold, size_t n,
			    double at);

#endif
