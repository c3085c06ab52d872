// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle policy's pure parts (docs/lifecycle.md): histograms and
 * their file, decisions on crafted arrival sequences (periodic, bursty,
 * rare, out of range, too few, flat), eviction order under a cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ktap.h"
#include "kfaas_lifecycle.h"
#include "libkfaas.h"

#define MIN	60000ULL
#define HOUR	(60 * MIN)

static struct kfaas_lc_params P;
static struct kfaas_lc_costs C;

static void hist(struct kfaas_lc_hist *h)
{
	if (kfaas_lc_hist_init(h, KFAAS_LC_BIN_MS_DEFAULT, KFAAS_LC_NBINS_DEFAULT))
		abort();
}

static void test_hist(void)
{
	struct kfaas_lc_hist h, g;
	int i;

	hist(&h);
	kfaas_lc_hist_add(&h, 0);
	kfaas_lc_hist_add(&h, 59999);
	kfaas_lc_hist_add(&h, 60000);
	kfaas_lc_hist_add_n(&h, 4 * HOUR - 1, 2);
	kfaas_lc_hist_add(&h, 4 * HOUR);
	kfaas_lc_hist_add(&h, 30 * HOUR);
	ktap_test_result(h.bins[0] == 2 && h.bins[1] == 1 && h.bins[239] == 2 &&
			 h.total == 5 && h.oob == 2 && h.nrecent == 7,
			 "1-minute bins over 4 h: edges in the right bins, 4 h and "
			 "more out of range");
	ktap_test_result(kfaas_lc_hist_percentile_bin(&h, 5) == 0 &&
			 kfaas_lc_hist_percentile_bin(&h, 50) == 1 &&
			 kfaas_lc_hist_percentile_bin(&h, 99) == 239,
			 "percentile bins of in-range idle times");
	kfaas_lc_hist_free(&h);
	hist(&h);
	hist(&g);
	for (i = 0; i < 240; i++)
		kfaas_lc_hist_add(&h, i * MIN);
	kfaas_lc_hist_add_n(&g, 30 * MIN, 240);
	ktap_test_result(kfaas_lc_hist_cv(&h) < 0.01 && kfaas_lc_hist_cv(&g) > 15,
			 "CV of bin counts: flat ~0, one peak sqrt(239) (%.2f, %.2f)",
			 kfaas_lc_hist_cv(&h), kfaas_lc_hist_cv(&g));
	kfaas_lc_hist_free(&h);
	kfaas_lc_hist_free(&g);
	ktap_test_result(kfaas_lc_hist_init(&h, 60000, 0) == -EINVAL &&
			 kfaas_lc_hist_init(&h, 0, 240) == -EINVAL &&
			 strstr(kfaas_errmsg(), "bin width"),
			 "a histogram of no bins is refused");
	ktap_test_result(kfaas_lc_hist_init(&h, 30000, 480) == 0 &&
			 kfaas_lc_hist_range_ms(&h) == 4 * HOUR,
			 "bin width and count configurable (30 s x 480)");
	kfaas_lc_hist_free(&h);
}

static void decide(struct kfaas_lc_hist *h, struct kfaas_lc_decision *d)
{
	char why[512];

	kfaas_lc_decide(&P, &C, h, d);
	ktap_print_msg("  %s", kfaas_lc_explain(&P, d, why, sizeof(why)));
}

/* A timer every 30 minutes: released after each run, warm before the next. */
static void test_periodic(void)
{
	struct kfaas_lc_params paper = P;
	struct kfaas_lc_decision d;
	struct kfaas_lc_hist h;

	hist(&h);
	kfaas_lc_hist_add_n(&h, 30 * MIN + 500, 50);
	paper.worth_mib_s = 0;
	kfaas_lc_decide(&paper, &C, &h, &d);
	ktap_test_result(d.mode == KFAAS_LC_HIST && d.head_ms == 30 * MIN &&
			 d.tail_ms == 31 * MIN && d.prewarm_ms == 27 * MIN &&
			 d.prewarm_ms + d.keep_ms == (uint64_t)(31 * MIN * 1.1),
			 "periodic 30 min, the paper's windows: pre-warm at p5 - 10%% "
			 "(27 min), keep to p99 + 10%% (34.1 min)");
	decide(&h, &d);
	ktap_test_result(d.mode == KFAAS_LC_HIST && d.prewarm_ms == 27 * MIN &&
			 d.prewarm_ms + d.keep_ms == (uint64_t)(31 * MIN * 1.1) &&
			 kfaas_lc_temp_at(&d, 10 * MIN) != KFAAS_LC_WARM &&
			 kfaas_lc_temp_at(&d, 30 * MIN + 500) == KFAAS_LC_WARM &&
			 kfaas_lc_temp_at(&d, 35 * MIN) == KFAAS_LC_COLD,
			 "periodic 30 min: priced, the whole peak still pays: not warm "
			 "at 10 min, warm at the next arrival, cold after 34.1 min");
	ktap_test_result(kfaas_lc_next_change(&d, 0) == (d.gap_temp ? d.prewarm_ms + d.keep_ms :
							  d.prewarm_ms) &&
			 kfaas_lc_next_change(&d, d.prewarm_ms + d.keep_ms +
					      d.after_ms) == UINT64_MAX,
			 "next change: the pre-warm (or the end with a template "
			 "held), then none");
	kfaas_lc_hist_free(&h);
}

/* Bursts: 5 s gaps inside, 2 h between. */
static void test_bursty(void)
{
	struct kfaas_lc_params paper = P;
	struct kfaas_lc_decision d;
	struct kfaas_lc_hist h;

	hist(&h);
	kfaas_lc_hist_add_n(&h, 5000, 200);
	kfaas_lc_hist_add_n(&h, 2 * HOUR, 20);
	paper.worth_mib_s = 0;
	kfaas_lc_decide(&paper, &C, &h, &d);
	ktap_test_result(d.mode == KFAAS_LC_HIST && d.prewarm_ms == 0 &&
			 d.keep_ms == (uint64_t)(121 * MIN * 1.1),
			 "bursty, the paper's windows: no pre-warm, kept to p99 "
			 "(2 h 1 min) + 10%%");
	decide(&h, &d);
	ktap_test_result(d.mode == KFAAS_LC_HIST && d.prewarm_ms == 0 &&
			 d.keep_ms == (uint64_t)(MIN * 1.1) &&
			 kfaas_lc_temp_at(&d, 5000) == KFAAS_LC_WARM &&
			 kfaas_lc_temp_at(&d, HOUR) != KFAAS_LC_WARM,
			 "bursty, priced: warm through the burst (1.1 min), not "
			 "for 2 h between bursts");
	kfaas_lc_hist_free(&h);
}

/* Rare: every 6 h, beyond the 4 h range: the forecast. */
static void test_rare(void)
{
	struct kfaas_lc_decision d;
	struct kfaas_lc_hist h;

	hist(&h);
	kfaas_lc_hist_add_n(&h, 6 * HOUR, 7);
	kfaas_lc_hist_add(&h, 3 * HOUR);
	decide(&h, &d);
	ktap_test_result(d.mode == KFAAS_LC_FORECAST && d.forecast_ms == 6 * HOUR &&
			 d.prewarm_ms == (uint64_t)(6 * HOUR * 0.85) &&
			 d.keep_ms == (uint64_t)(6 * HOUR * 0.3) &&
			 kfaas_lc_temp_at(&d, 6 * HOUR) == KFAAS_LC_WARM &&
			 kfaas_lc_temp_at(&d, 3 * HOUR) == KFAAS_LC_COLD,
			 "out of range (7 of 8 past 4 h): forecast 6 h (median of "
			 "the last 8), warm from 5.1 h for 1.8 h");
	kfaas_lc_hist_free(&h);
}

static void test_unrepresentative(void)
{
	struct kfaas_lc_params paper = P;
	struct kfaas_lc_decision d;
	struct kfaas_lc_hist h;
	char why[512];
	int i;

	hist(&h);
	kfaas_lc_hist_add_n(&h, 30 * MIN, 4);
	decide(&h, &d);
	ktap_test_result(d.mode == KFAAS_LC_DEFAULT && d.prewarm_ms == 0 &&
			 d.keep_ms == P.fixed_ms &&
			 strstr(kfaas_lc_explain(&P, &d, why, sizeof(why)), "4 idle "
				"times seen, 5 needed"),
			 "4 idle times (5 needed): the default keep-alive, said why");
	kfaas_lc_hist_free(&h);
	hist(&h);
	for (i = 0; i < 240; i++)
		kfaas_lc_hist_add(&h, i * MIN + 1000);
	paper.worth_mib_s = 0;
	kfaas_lc_decide(&paper, &C, &h, &d);
	ktap_test_result(d.mode == KFAAS_LC_DEFAULT && d.keep_ms == P.fixed_ms &&
			 strstr(kfaas_lc_explain(&paper, &d, why, sizeof(why)),
				"not representative"),
			 "flat over 4 h (CV 0 < 2), unpriced: the default keep-alive");
	paper = P;
	paper.worth_mib_s = 60000;
	kfaas_lc_decide(&paper, &C, &h, &d);
	ktap_test_result(d.mode == KFAAS_LC_DEFAULT && d.prewarm_ms == 0 &&
			 d.keep_ms == 0,
			 "flat over 4 h, priced at 60000 MiB-s a cold start: a "
			 "179.5 MiB VM catching 1/240 per minute is not worth it: "
			 "nothing kept");
	kfaas_lc_hist_free(&h);
}

static void test_fixed(void)
{
	struct kfaas_lc_decision d;
	char why[512];

	kfaas_lc_decide_fixed(600000, &d);
	ktap_test_result(d.mode == KFAAS_LC_FIXED &&
			 kfaas_lc_temp_at(&d, 599999) == KFAAS_LC_WARM &&
			 kfaas_lc_temp_at(&d, 600000) == KFAAS_LC_COLD &&
			 kfaas_lc_next_change(&d, 0) == 600000 &&
			 !strcmp(kfaas_lc_explain(&P, &d, why, sizeof(why)),
				 "fixed keep-alive: warm for 10m00s after each invocation"),
			 "fixed:600: warm 10 min, then cold, said so");
	kfaas_lc_decide_fixed(0, &d);
	ktap_test_result(d.mode == KFAAS_LC_NONE &&
			 kfaas_lc_temp_at(&d, 0) == KFAAS_LC_COLD &&
			 kfaas_lc_next_change(&d, 0) == UINT64_MAX,
			 "none: nothing held, ever");
}

static void test_evict(void)
{
	struct kfaas_lc_cache c = { 0 };
	struct kfaas_lc_item it[4] = {
		/* hot and small: the most valuable per MiB */
		{ .id = 1, .temp = KFAAS_LC_WARM, .mib = 51.5,
		  .priority = kfaas_lc_priority(&c, 100, 158, 51.5) },
		/* rarely used template: the least */
		{ .id = 2, .temp = KFAAS_LC_TEMPLATE, .mib = 128,
		  .priority = kfaas_lc_priority(&c, 1, 1446, 128) },
		/* even less, but serving a request */
		{ .id = 3, .temp = KFAAS_LC_WARM, .mib = 512, .busy = true,
		  .priority = kfaas_lc_priority(&c, 1, 158, 512) },
		{ .id = 4, .temp = KFAAS_LC_WARM, .mib = 51.5,
		  .priority = kfaas_lc_priority(&c, 10, 158, 51.5) },
	};
	long k = kfaas_lc_evict_pick(&c, it, 4);

	ktap_test_result(k == 1 && c.clock == it[1].priority,
			 "eviction: the lowest value per MiB first (the rarely used "
			 "template), the clock rises to it");
	it[1].temp = KFAAS_LC_COLD;
	k = kfaas_lc_evict_pick(&c, it, 4);
	ktap_test_result(k == 3, "then the next lowest; the busy one, lower "
			 "still, is never chosen");
	it[3].busy = it[0].busy = true;
	ktap_test_result(kfaas_lc_evict_pick(&c, it, 4) == -1,
			 "nothing to evict when every holding is busy");
	ktap_test_result(kfaas_lc_priority(&c, 1, 158, 51.5) > c.clock,
			 "a function used after an eviction starts above the clock");
}

static char tmpdir[] = "/tmp/kfaas-lc-XXXXXX";

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void test_file(void)
{
	struct kfaas_lc_hist h, g, other;
	char path[256], bad[256], tmp[270];
	uint8_t buf[2048];
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/fn.hist", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad.hist", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	hist(&h);
	hist(&g);
	kfaas_lc_hist_add_n(&h, 30 * MIN, 50);
	kfaas_lc_hist_add(&h, 5 * HOUR);
	kfaas_lc_hist_add(&h, 1234);
	rc = kfaas_lc_hist_save(&h, path) ?: kfaas_lc_hist_load(&g, path);
	ktap_test_result(!rc && g.total == h.total && g.oob == h.oob &&
			 g.nrecent == h.nrecent &&
			 !memcmp(g.recent, h.recent, sizeof(h.recent)) &&
			 !memcmp(g.bins, h.bins, 240 * sizeof(*h.bins)) &&
			 access(tmp, F_OK),
			 "save and load: the same histogram back, no temporary "
			 "file left");
	n = kfaas_lc_hist_encode(&h, buf, sizeof(buf));
	buf[200] ^= 1;
	write_file(bad, buf, n);
	rc = kfaas_lc_hist_load(&g, bad);
	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(), "checksum") &&
			 g.total == h.total && g.bins[30] == 50,
			 "a flipped bit is refused (checksum), the histogram "
			 "kept: %s", kfaas_errmsg());
	write_file(bad, buf, n - 7);
	rc = kfaas_lc_hist_load(&g, bad);
	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(), "damaged"),
			 "a truncated file is refused: %s", kfaas_errmsg());
	write_file(bad, "HashOwner,HashApp\n", 18);
	rc = kfaas_lc_hist_load(&g, bad);
	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(),
				"not a kfaas arrival histogram"),
			 "a foreign file is refused: %s", kfaas_errmsg());
	write_file(bad, "KF", 2);
	ktap_test_result(kfaas_lc_hist_load(&g, bad) == -EINVAL,
			 "a 2-byte file is refused");
	kfaas_lc_hist_encode(&h, buf, sizeof(buf));
	buf[4] = 9;
	write_file(bad, buf, n);
	rc = kfaas_lc_hist_load(&g, bad);
	ktap_test_result(rc == -ESTALE && strstr(kfaas_errmsg(), "version 9"),
			 "another format version: -ESTALE (start afresh): %s",
			 kfaas_errmsg());
	if (kfaas_lc_hist_init(&other, 30000, 480))
		abort();
	rc = kfaas_lc_hist_load(&other, path);
	ktap_test_result(rc == -ESTALE && other.total == 0 &&
			 strstr(kfaas_errmsg(), "240 bins of 60000 ms"),
			 "another bin geometry: -ESTALE: %s", kfaas_errmsg());
	ktap_test_result(kfaas_lc_hist_load(&g, "/nonexistent/x") == -ENOENT,
			 "a missing file: -ENOENT");
	kfaas_lc_hist_free(&h);
	kfaas_lc_hist_free(&g);
	kfaas_lc_hist_free(&other);
	unlink(bad);
	unlink(path);
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(28);
	if (!mkdtemp(tmpdir))
		ktap_exit_skip("cannot make a temporary directory");
	kfaas_lc_params_default(&P);
	kfaas_lc_costs_default(&C, 128);
	test_hist();
	test_periodic();
	test_bursty();
	test_rare();
	test_unrepresentative();
	test_fixed();
	test_evict();
	test_file();
	rmdir(tmpdir);
	return ktap_finished();
}
