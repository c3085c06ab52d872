// SPDX-License-Identifier: GPL-2.0
/*
 * Arrival histograms: the idle times of one function in fixed-width bins,
 * out-of-range ones counted apart, and their on-disk form (a file in
 * kfaasd's run directory keeps what was learnt across restarts).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "kfaas_lifecycle.h"
#include "libkfaas.h"

int kfaas_lc_hist_init(struct kfaas_lc_hist *h, uint32_t bin_ms, uint32_t nbins)
{
	memset(h, 0, sizeof(*h));
	if (!bin_ms || !nbins || nbins > KFAAS_LC_NBINS_MAX)
		return kfaas_err(-EINVAL, "histogram of %u bins of %u ms: give a "
				 "bin width above 0 and 1 to %u bins", nbins,
				 bin_ms, KFAAS_LC_NBINS_MAX);
	h->bins = calloc(nbins, sizeof(*h->bins));
	if (!h->bins)
		return kfaas_err(-ENOMEM, "out of memory for a histogram of %u bins",
				 nbins);
	h->bin_ms = bin_ms;
	h->nbins = nbins;
	return 0;
}

void kfaas_lc_hist_free(struct kfaas_lc_hist *h)
{
	free(h->bins);
	h->bins = NULL;
}

uint64_t kfaas_lc_hist_range_ms(const struct kfaas_lc_hist *h)
{
	return (uint64_t)h->bin_ms * h->nbins;
}

void kfaas_lc_hist_add_n(struct kfaas_lc_hist *h, uint64_t idle_ms, uint64_t n)
{
	uint64_t i, b = idle_ms / h->bin_ms;

	if (!n)
		return;
	if (b >= h->nbins) {
		h->oob += n;
	} else {
		/* a bin saturates rather than wraps */
		h->bins[b] = h->bins[b] + n > UINT32_MAX ? UINT32_MAX :
			     (uint32_t)(h->bins[b] + n);
		h->total += n;
	}
	for (i = 0; i < n && i < KFAAS_LC_RECENT; i++)
		h->recent[h->nrecent++ % KFAAS_LC_RECENT] = idle_ms;
}

void kfaas_lc_hist_add(struct kfaas_lc_hist *h, uint64_t idle_ms)
{
	kfaas_lc_hist_add_n(h, idle_ms, 1);
}

int kfaas_lc_hist_percentile_bin(const struct kfaas_lc_hist *h, double p)
{
	uint64_t sum = 0, want, all = 0;
	uint32_t i;

	for (i = 0; i < h->nbins; i++)
		all += h->bins[i];	/* total may count saturated bins twice */
	if (!all)
		return -1;
	want = (uint64_t)ceil(p / 100.0 * (double)all);
	if (want < 1)
		want = 1;
	for (i = 0; i < h->nbins; i++) {
		sum += h->bins[i];
		if (sum >= want)
			return (int)i;
	}
	return (int)h->nbins - 1;
}

double kfaas_lc_hist_cv(const struct kfaas_lc_hist *h)
{
	double mean, var = 0, all = 0;
	uint32_t i;

	for (i = 0; i < h->nbins; i++)
		all += h->bins[i];
	if (all == 0)
		return 0;
	mean = all / h->nbins;
	for (i = 0; i < h->nbins; i++)
		var += (h->bins[i] - mean) * (h->bins[i] - mean);
	return sqrt(var / h->nbins) / mean;
}

/* ---- the file --------------------------------------------------------- */
/*
 *  0  "KFLH"                    4
 *  4  version (1)               u16
 *  6  header bytes (104)        u16
 *  8  bin_ms, nbins             u32 u32
 * 16  total, oob                u64 u64
 * 32  nrecent                   u32, 4 reserved (0)
 * 40  recent[8]                 u64 x 8
 * 104 bins                      u32 x nbins
 *     CRC32 (zlib) of all above u32
 */
#define HDR	(40 + 8 * KFAAS_LC_RECENT)

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

size_t kfaas_lc_hist_encoded_size(const struct kfaas_lc_hist *h)
{
	return HDR + 4 * (size_t)h->nbins + 4;
}

size_t kfaas_lc_hist_encode(const struct kfaas_lc_hist *h, uint8_t *buf, size_t len)
{
	size_t n = kfaas_lc_hist_encoded_size(h), off = HDR;
	uint32_t i;

	if (len < n)
		return 0;
	memset(buf, 0, HDR);
	memcpy(buf, KFAAS_LC_HIST_MAGIC, 4);
	put16(buf + 4, KFAAS_LC_HIST_VERSION);
	put16(buf + 6, HDR);
	put32(buf + 8, h->bin_ms);
	put32(buf + 12, h->nbins);
	put64(buf + 16, h->total);
	put64(buf + 24, h->oob);
	put32(buf + 32, h->nrecent);
	for (i = 0; i < KFAAS_LC_RECENT; i++)
		put64(buf + 40 + 8 * i, h->recent[i]);
	for (i = 0; i < h->nbins; i++, off += 4)
		put32(buf + off, h->bins[i]);
	put32(buf + off, crc32(0, buf, off));
	return n;
}

int kfaas_lc_hist_decode(struct kfaas_lc_hist *h, const uint8_t *buf, size_t len,
			 const char *what)
{
	struct kfaas_lc_hist n;
	uint32_t i, bin_ms, nbins;
	uint64_t sum = 0;
	size_t want;

	if (len < 8 || memcmp(buf, KFAAS_LC_HIST_MAGIC, 4))
		return kfaas_err(-EINVAL, "%s is not a kfaas arrival histogram "
				 "(no KFLH header): remove it to start afresh", what);
	if (get16(buf + 4) != KFAAS_LC_HIST_VERSION)
		return kfaas_err(-ESTALE, "%s is a histogram of format version %u, "
				 "this kfaas reads version %u: it starts afresh",
				 what, get16(buf + 4), KFAAS_LC_HIST_VERSION);
	if (len < HDR || get16(buf + 6) != HDR || get32(buf + 36))
		return kfaas_err(-EINVAL, "%s: histogram header is damaged "
				 "(truncated or wrong size): remove it", what);
	bin_ms = get32(buf + 8);
	nbins = get32(buf + 12);
	if (bin_ms != h->bin_ms || nbins != h->nbins)
		return kfaas_err(-ESTALE, "%s holds %u bins of %u ms, %u bins of "
				 "%u ms are configured: it starts afresh", what,
				 nbins, bin_ms, h->nbins, h->bin_ms);
	want = kfaas_lc_hist_encoded_size(h);
	if (len != want)
		return kfaas_err(-EINVAL, "%s: %zu bytes where %u bins need %zu: "
				 "the file is damaged, remove it", what, len,
				 nbins, want);
	if (get32(buf + want - 4) != crc32(0, buf, want - 4))
		return kfaas_err(-EINVAL, "%s: checksum mismatch: the file is "
				 "damaged, remove it", what);
	n = *h;
	n.bins = calloc(nbins, sizeof(*n.bins));
	if (!n.bins)
		return kfaas_err(-ENOMEM, "out of memory reading %s", what);
	for (i = 0; i < nbins; i++) {
		n.bins[i] = get32(buf + HDR + 4 * i);
		sum += n.bins[i];
	}
	n.total = get64(buf + 16);
	n.oob = get64(buf + 24);
	n.nrecent = get32(buf + 32);
	for (i = 0; i < KFAAS_LC_RECENT; i++)
		n.recent[i] = get64(buf + 40 + 8 * i);
	if (sum > n.total) {
		free(n.bins);
		return kfaas_err(-EINVAL, "%s: bins add up to %llu, more than "
				 "the %llu samples recorded: remove it", what,
				 (unsigned long long)sum, (unsigned long long)n.total);
	}
	free(h->bins);
	*h = n;
	return 0;
}

int kfaas_lc_hist_save(const struct kfaas_lc_hist *h, const char *path)
{
	size_t n = kfaas_lc_hist_encoded_size(h);
	char tmp[4096];
	uint8_t *buf;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return kfaas_err(-ENAMETOOLONG, "histogram path too long: %s", path);
	buf = malloc(n);
	if (!buf)
		return kfaas_err(-ENOMEM, "out of memory saving %s", path);
	kfaas_lc_hist_encode(h, buf, n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = kfaas_err(-errno, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, buf, n) != (ssize_t)n || fsync(fd)) {
		rc = kfaas_err(-EIO, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		rc = kfaas_err(-errno, "cannot rename %s to %s: %s", tmp, path,
			       strerror(errno));
		unlink(tmp);
	}
out:
	free(buf);
	return rc;
}

int kfaas_lc_hist_load(struct kfaas_lc_hist *h, const char *path)
{
	size_t max = kfaas_lc_hist_encoded_size(h) + 1, n = 0;
	uint8_t *buf;
	ssize_t r = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kfaas_err(-errno, "cannot open %s: %s", path, strerror(errno));
	buf = malloc(max);
	if (!buf) {
		close(fd);
		return kfaas_err(-ENOMEM, "out of memory reading %s", path);
	}
	/* read one byte more than a valid file has: longer is damaged */
	while (n < max && (r = read(fd, buf + n, max - n)) > 0)
		n += (size_t)r;
	if (n < max && r < 0) {
		rc = kfaas_err(-EIO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = kfaas_lc_hist_decode(h, buf, n, path);
out:
	close(fd);
	free(buf);
	return rc;
}
