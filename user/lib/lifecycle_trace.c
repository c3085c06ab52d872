// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of the Azure Functions 2019 trace (Shahrad et al., ATC'20;
 * AzureFunctionsDataset2019.md of Azure/AzurePublicDataset):
 *   invocations_per_function_md.anon.dNN.csv
 *     HashOwner,HashApp,HashFunction,Trigger,1,...,1440
 *   function_durations_percentiles.anon.dNN.csv
 *     HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,
 *     percentile_Average_{0,1,25,50,75,99,100}
 *   app_memory_percentiles.anon.dNN.csv
 *     HashOwner,HashApp,SampleCount,AverageAllocatedMb,
 *     AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}
 * Every malformed line is an error naming the file and the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kfaas_lifecycle.h"
#include "libkfaas.h"

#define MAX_FIELDS	(4 + KFAAS_TRACE_MINUTES)

struct csv {
	FILE		*f;
	const char	*path;
	unsigned long	line;
	char		*buf;
	size_t		cap;
	char		*fld[MAX_FIELDS + 1];
	int		n;
};

static int csv_err(struct csv *c, const char *fmt, const char *a, const char *b)
{
	char what[512];

	snprintf(what, sizeof(what), fmt, a, b);
	return kfaas_err(-EINVAL, "%s:%lu: %s", c->path, c->line, what);
}

/* Next non-empty line split at commas: 1, 0 at the end, <0 on error. */
static int csv_next(struct csv *c)
{
	ssize_t len;
	char *p;

	for (;;) {
		errno = 0;
		len = getline(&c->buf, &c->cap, c->f);
		if (len < 0)
			return errno ? kfaas_err(-errno, "%s: read failed after line "
						 "%lu: %s", c->path, c->line,
						 strerror(errno)) : 0;
		c->line++;
		while (len && (c->buf[len - 1] == '\n' || c->buf[len - 1] == '\r'))
			c->buf[--len] = '\0';
		if ((size_t)len != strlen(c->buf))
			return csv_err(c, "a NUL byte in the line: not a CSV text "
				       "file%s%s", "", "");
		if (len)
			break;
	}
	p = c->buf;
	if (c->line == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;	/* a UTF-8 byte order mark */
	if (strchr(p, '"'))
		return csv_err(c, "quoted fields are not part of this format%s%s",
			       "", "");
	for (c->n = 0; c->n <= MAX_FIELDS; ) {
		c->fld[c->n++] = p;
		p = strchr(p, ',');
		if (!p)
			return 1;
		*p++ = '\0';
	}
	return csv_err(c, "more than %s fields%s", "1444", "");
}

static int csv_open(struct csv *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->f = fopen(path, "re");
	if (!c->f)
		return kfaas_err(-errno, "cannot open %s: %s", path, strerror(errno));
	return 0;
}

static void csv_close(struct csv *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

/* Column of name in the header line just read, -1 if absent. */
static int csv_col(const struct csv *c, const char *name)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->fld[i], name))
			return i;
	return -1;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno || *v > max ? -1 : 0;
}

static int parse_num(const char *s, double *v)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	return *end || errno || *v != *v || *v < 0 ? -1 : 0;
}

/* ---- the index: owner/app/function -> fns[] -------------------------- */

static uint64_t key_hash(const char *o, const char *a, const char *f)
{
	const char *parts[3] = { o, a, f };
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 3; i++) {
		const char *p;

		for (p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ULL;
		h = (h ^ '/') * 1099511628211ULL;
	}
	return h;
}

/* Slot of the function, or of the empty slot where it would go. */
static size_t index_slot(const struct kfaas_trace *t, const char *o, const char *a,
			 const char *f)
{
	size_t i = key_hash(o, a, f) & (t->nslots - 1);

	for (;; i = (i + 1) & (t->nslots - 1)) {
		const struct kfaas_trace_fn *fn;

		if (!t->slots[i])
			return i;
		fn = &t->fns[t->slots[i] - 1];
		if (!strcmp(fn->func, f) && !strcmp(fn->app, a) && !strcmp(fn->owner, o))
			return i;
	}
}

static int index_grow(struct kfaas_trace *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024, i;
	uint32_t *old = t->slots;
	size_t oldn = t->nslots;

	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return kfaas_err(-ENOMEM, "out of memory indexing the trace");
	}
	t->nslots = n;
	for (i = 0; i < oldn; i++) {
		struct kfaas_trace_fn *fn;

		if (!old[i])
			continue;
		fn = &t->fns[old[i] - 1];
		t->slots[index_slot(t, fn->owner, fn->app, fn->func)] = old[i];
	}
	free(old);
	return 0;
}

static struct kfaas_trace_fn *trace_find(const struct kfaas_trace *t, const char *o,
					 const char *a, const char *f)
{
	size_t s;

	if (!t->nslots)
		return NULL;
	s = index_slot(t, o, a, f);
	return t->slots[s] ? &t->fns[t->slots[s] - 1] : NULL;
}

static struct kfaas_trace_fn *trace_add(struct kfaas_trace *t, char **fld)
{
	struct kfaas_trace_fn *fn;

	if ((t->nfns + 1) * 2 > t->nslots && index_grow(t))
		return NULL;
	if (t->nfns == t->capfns) {
		size_t n = t->capfns ? t->capfns * 2 : 256;
		void *p = realloc(t->fns, n * sizeof(*t->fns));

		if (!p) {
			kfaas_err(-ENOMEM, "out of memory reading the trace");
			return NULL;
		}
		t->fns = p;
		t->capfns = n;
	}
	fn = &t->fns[t->nfns++];
	memset(fn, 0, sizeof(*fn));
	strcpy(fn->owner, fld[0]);
	strcpy(fn->app, fld[1]);
	strcpy(fn->func, fld[2]);
	strcpy(fn->trigger, fld[3]);
	fn->avg_ms = fn->mem_mb = -1;
	t->slots[index_slot(t, fn->owner, fn->app, fn->func)] = (uint32_t)t->nfns;
	return fn;
}

static int fn_push(struct kfaas_trace_fn *fn, uint32_t minute, uint32_t count)
{
	if (fn->nmin == fn->capmin) {
		uint32_t n = fn->capmin ? fn->capmin * 2 : 16;
		uint32_t *m = realloc(fn->minute, n * sizeof(*m)), *c;

		if (!m)
			return kfaas_err(-ENOMEM, "out of memory reading the trace");
		fn->minute = m;
		c = realloc(fn->count, n * sizeof(*c));
		if (!c)
			return kfaas_err(-ENOMEM, "out of memory reading the trace");
		fn->count = c;
		fn->capmin = n;
	}
	fn->minute[fn->nmin] = minute;
	fn->count[fn->nmin++] = count;
	return 0;
}

/* ---- invocations ------------------------------------------------------- */

static int check_ids(struct csv *c, int first, int n)
{
	static const char *const names[] = { "HashOwner", "HashApp", "HashFunction" };
	int i;

	for (i = first; i < first + n; i++) {
		size_t len = strlen(c->fld[i]);

		if (!len || len > 64)
			return csv_err(c, "%s is %s: expected 1 to 64 characters",
				       names[i], len ? "too long" : "empty");
	}
	return 0;
}

static int inv_header(struct csv *c)
{
	static const char *const want[] = { "HashOwner", "HashApp", "HashFunction",
					    "Trigger" };
	char num[8];
	int i;

	if (c->n != MAX_FIELDS)
		return csv_err(c, "the header has %s fields, expected 1444 "
			       "(HashOwner,HashApp,HashFunction,Trigger,1..1440)%s",
			       (snprintf(num, sizeof(num), "%d", c->n), num), "");
	for (i = 0; i < 4; i++)
		if (strcmp(c->fld[i], want[i]))
			return csv_err(c, "header column '%s' where '%s' was expected: "
				       "not an invocations_per_function file",
				       c->fld[i], want[i]);
	for (i = 0; i < KFAAS_TRACE_MINUTES; i++) {
		snprintf(num, sizeof(num), "%d", i + 1);
		if (strcmp(c->fld[4 + i], num))
			return csv_err(c, "header column '%s' where minute '%s' was "
				       "expected", c->fld[4 + i], num);
	}
	return 0;
}

static int inv_row(struct kfaas_trace *t, struct csv *c, uint32_t day)
{
	struct kfaas_trace_fn *fn;
	unsigned long long v;
	char num[8];
	int i, rc;

	if (c->n != MAX_FIELDS)
		return csv_err(c, "%s fields, expected 1444 (the three ids, the "
			       "trigger, 1440 per-minute counts)%s",
			       (snprintf(num, sizeof(num), "%d", c->n), num), "");
	if ((rc = check_ids(c, 0, 3)))
		return rc;
	if (!*c->fld[3] || strlen(c->fld[3]) > 15)
		return csv_err(c, "Trigger '%s' is %s: expected a trigger group "
			       "(http, timer, queue, ...)", c->fld[3],
			       *c->fld[3] ? "too long" : "empty");
	fn = trace_find(t, c->fld[0], c->fld[1], c->fld[2]);
	if (fn && fn->nmin && fn->minute[fn->nmin - 1] >= day * KFAAS_TRACE_MINUTES)
		return csv_err(c, "function %s of app %s appears twice in the day",
			       c->fld[2], c->fld[1]);
	if (!fn && !(fn = trace_add(t, c->fld)))
		return -ENOMEM;
	for (i = 0; i < KFAAS_TRACE_MINUTES; i++) {
		if (parse_uint(c->fld[4 + i], UINT32_MAX, &v)) {
			snprintf(num, sizeof(num), "%d", i + 1);
			return csv_err(c, "minute %s: '%s' is not a count of "
				       "invocations (0 to 4294967295)", num,
				       c->fld[4 + i]);
		}
		if (v && (rc = fn_push(fn, day * KFAAS_TRACE_MINUTES + i, (uint32_t)v)))
			return rc;
	}
	return 0;
}

int kfaas_trace_read(struct kfaas_trace *t, const char *const *inv_paths, size_t ndays)
{
	struct csv c;
	size_t d;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (!ndays || ndays > 10000)
		return kfaas_err(-EINVAL, "give 1 to 10000 day files of invocations");
	for (d = 0; d < ndays && !rc; d++) {
		if ((rc = csv_open(&c, inv_paths[d])))
			break;
		rc = csv_next(&c);
		if (rc == 0)
			rc = kfaas_err(-EINVAL, "%s: empty file: expected the header "
				       "HashOwner,HashApp,HashFunction,Trigger,1..1440",
				       inv_paths[d]);
		else if (rc > 0)
			rc = inv_header(&c);
		while (!rc && (rc = csv_next(&c)) > 0)
			rc = inv_row(t, &c, (uint32_t)d);
		csv_close(&c);
		t->days = (uint32_t)d + 1;
	}
	if (rc)
		kfaas_trace_free(t);
	return rc;
}

/* ---- durations and memory --------------------------------------------- */

static int need_cols(struct csv *c, const char *const *names, int n, int *col)
{
	int i;

	for (i = 0; i < n; i++) {
		col[i] = csv_col(c, names[i]);
		if (col[i] < 0)
			return csv_err(c, "the header has no column '%s': not a %s "
				       "file of the Azure Functions 2019 trace",
				       names[i], names[n]);
	}
	return 0;
}

int kfaas_trace_read_durations(struct kfaas_trace *t, const char *path)
{
	static const char *const names[] = { "HashOwner", "HashApp", "HashFunction",
					     "Average", "Count",
					     "function_durations_percentiles" };
	int col[5], rc, hdr_n;
	struct csv c;

	if ((rc = csv_open(&c, path)))
		return rc;
	rc = csv_next(&c);
	if (rc == 0)
		rc = kfaas_err(-EINVAL, "%s: empty file: expected the durations "
			       "header", path);
	if (rc > 0)
		rc = need_cols(&c, names, 5, col);
	hdr_n = c.n;
	while (!rc && (rc = csv_next(&c)) > 0) {
		struct kfaas_trace_fn *fn;
		double avg, cnt;

		rc = 0;
		if (c.n != hdr_n) {
			rc = csv_err(&c, "the line has a different number of fields "
				     "than the header%s%s", "", "");
			break;
		}
		if (parse_num(c.fld[col[3]], &avg) || parse_num(c.fld[col[4]], &cnt)) {
			rc = csv_err(&c, "Average '%s' or Count '%s' is not a "
				     "non-negative number", c.fld[col[3]], c.fld[col[4]]);
			break;
		}
		fn = trace_find(t, c.fld[col[0]], c.fld[col[1]], c.fld[col[2]]);
		if (!fn || cnt <= 0)
			continue;	/* a function without invocations here */
		fn->avg_ms = ((fn->avg_ms < 0 ? 0 : fn->avg_ms) * fn->dur_w + avg * cnt) /
			     (fn->dur_w + cnt);
		fn->dur_w += cnt;
	}
	csv_close(&c);
	return rc;
}

int kfaas_trace_read_memory(struct kfaas_trace *t, const char *path)
{
	static const char *const names[] = { "HashOwner", "HashApp", "SampleCount",
					     "AverageAllocatedMb",
					     "app_memory_percentiles" };
	int col[4], rc, hdr_n;
	struct csv c;
	size_t i;

	if ((rc = csv_open(&c, path)))
		return rc;
	rc = csv_next(&c);
	if (rc == 0)
		rc = kfaas_err(-EINVAL, "%s: empty file: expected the memory header",
			       path);
	if (rc > 0)
		rc = need_cols(&c, names, 4, col);
	hdr_n = c.n;
	while (!rc && (rc = csv_next(&c)) > 0) {
		double mb, w;

		rc = 0;
		if (c.n != hdr_n) {
			rc = csv_err(&c, "the line has a different number of fields "
				     "than the header%s%s", "", "");
			break;
		}
		if (parse_num(c.fld[col[2]], &w) || parse_num(c.fld[col[3]], &mb)) {
			rc = csv_err(&c, "SampleCount '%s' or AverageAllocatedMb '%s' "
				     "is not a non-negative number", c.fld[col[2]],
				     c.fld[col[3]]);
			break;
		}
		if (w <= 0)
			continue;
		/* every function of the app (memory is measured per app) */
		for (i = 0; i < t->nfns; i++) {
			struct kfaas_trace_fn *fn = &t->fns[i];

			if (strcmp(fn->app, c.fld[col[1]]) || strcmp(fn->owner, c.fld[col[0]]))
				continue;
			fn->mem_mb = ((fn->mem_mb < 0 ? 0 : fn->mem_mb) * fn->mem_w +
				      mb * w) / (fn->mem_w + w);
			fn->mem_w += w;
		}
	}
	csv_close(&c);
	return rc;
}

void kfaas_trace_free(struct kfaas_trace *t)
{
	size_t i;

	for (i = 0; i < t->nfns; i++) {
		free(t->fns[i].minute);
		free(t->fns[i].count);
	}
	free(t->fns);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
