// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the lifecycle policy's inputs from disk (its
 * histogram file, the Azure trace's invocation files).  A damaged file is
 * an error, never a crash; a histogram that loads decides, explains
 * itself and survives a round trip.  The first input byte picks which.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kfaas_lifecycle.h"

static void hist(const uint8_t *data, size_t size)
{
	struct kfaas_lc_hist h, g;
	struct kfaas_lc_params p;
	struct kfaas_lc_costs c;
	struct kfaas_lc_decision d;
	uint8_t buf[2048];
	char why[512];
	size_t n;

	if (kfaas_lc_hist_init(&h, 60000, 240) || kfaas_lc_hist_init(&g, 60000, 240))
		abort();
	if (!kfaas_lc_hist_decode(&h, data, size, "fuzz")) {
		kfaas_lc_params_default(&p);
		kfaas_lc_costs_default(&c, 128);
		kfaas_lc_decide(&p, &c, &h, &d);
		kfaas_lc_explain(&p, &d, why, sizeof(why));
		if (kfaas_lc_temp_at(&d, 0) >= KFAAS_LC_NTEMPS)
			abort();
		n = kfaas_lc_hist_encode(&h, buf, sizeof(buf));
		if (n != size || memcmp(buf, data, n) || kfaas_lc_hist_decode(&g, buf, n, "again"))
			abort();
	}
	kfaas_lc_hist_free(&h);
	kfaas_lc_hist_free(&g);
}

static void trace(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-trace", 0);
	struct kfaas_trace t;
	char path[64];
	const char *days[1] = { path };

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!kfaas_trace_read(&t, days, 1)) {
		kfaas_trace_read_durations(&t, path);
		kfaas_trace_read_memory(&t, path);
		kfaas_trace_free(&t);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		hist(data + 1, size - 1);
	else
		trace(data + 1, size - 1);
	return 0;
}
