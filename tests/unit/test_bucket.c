// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the token buckets (include/kfaas/bucket.h), the one
 * arithmetic kfaas.ko, the BPF programs and libkfaas compile: exact
 * products without 128-bit arithmetic, the costs a budget's limits give,
 * admission and refill at chosen times, the refund of bytes, CPU debt,
 * saturation of huge bursts and charges, and exactness under threads
 * racing on one bucket (compare-and-swap: no token handed out twice, no
 * charge lost).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include <kfaas/bucket.h>

#define SEC	1000000000ULL

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_mul(void)
{
	unsigned long bad = 0, i;

	for (i = 0; i < 1000000; i++) {
		/* products below 2^96, as max_amount keeps them */
		uint64_t a = rnd() >> (rnd() % 64), b = rnd() >> (rnd() % 64);
		unsigned __int128 p = (unsigned __int128)a * b;

		if (p >> 96)
			continue;
		if (kfaas_mul_shr32(a, b) != (uint64_t)(p >> 32))
			bad++;
	}
	ktap_test_result(bad == 0 && kfaas_mul_shr32(~0ULL, 1ULL << 32) == ~0ULL &&
			 kfaas_mul_shr32(0xffffffffULL, 0xffffffffULL) ==
			 0xfffffffeULL,
			 "a * b >> 32 without 128 bits: exact (10^6 random pairs, "
			 "the edges)");
}

static void test_costs(void)
{
	struct kfaas_bucket b;

	kfaas_bucket_init(&b, 1000, 0);
	ktap_test_result(kfaas_bucket_cost(&b, 1) == 1000000 && b.tau == SEC &&
			 kfaas_tat_read(&b.tat) == 0,
			 "1000/s: one unit costs 1 ms, the burst left out is one "
			 "second, the bucket starts full");
	kfaas_bucket_init(&b, 3, 7);
	ktap_test_result(kfaas_bucket_cost(&b, 1) == SEC / 3 &&
			 b.tau == kfaas_bucket_cost(&b, 7),
			 "3/s, burst 7: a third of a second per unit, 7 units of burst");
	kfaas_bucket_init(&b, 0, 0);
	ktap_test_result(b.mult == 0 && b.tau == 0, "rate 0: unlimited");
}

/* Admissions of one request of bytes at time now, n times. */
static int admits(struct kfaas_buckets *b, uint64_t now, uint64_t bytes, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += kfaas_buckets_admit(b, now, bytes);
	return k;
}

static void test_rps(void)
{
	struct kfaas_buckets b;
	uint64_t t0 = 1000 * SEC;

	kfaas_buckets_init(&b, 100, 7, 0, 0, 0, 0);
	KTAP_EXPECT_EQ(admits(&b, t0, 0, 50), 7,
		       "100/s burst 7: 7 of 50 at one instant");
	KTAP_EXPECT_EQ(admits(&b, t0 + SEC / 100 - 1, 0, 10), 0,
		       "none 1 ns before a token is back");
	KTAP_EXPECT_EQ(admits(&b, t0 + SEC / 100, 0, 10), 1,
		       "exactly one 10 ms later");
	KTAP_EXPECT_EQ(admits(&b, t0 + 100 * SEC, 0, 50), 7,
		       "after 100 s idle: the burst again, not 100 s of tokens");
}

static void test_bytes_refund(void)
{
	struct kfaas_buckets b;
	uint64_t t0 = 1000 * SEC, tat;

	kfaas_buckets_init(&b, 0, 0, 0, 0, 1000, 250);
	KTAP_EXPECT_EQ(admits(&b, t0, 100, 5), 2,
		       "1000 B/s burst 250: two requests of 100 bytes");
	kfaas_buckets_init(&b, 1, 1, 0, 0, 1000, 1000);
	kfaas_buckets_admit(&b, t0, 100);
	tat = kfaas_tat_read(&b.bytes.tat);
	ktap_test_result(!kfaas_buckets_admit(&b, t0, 100) &&
			 kfaas_tat_read(&b.bytes.tat) == tat,
			 "the invocation bucket refuses: the bytes taken are "
			 "given back");
	kfaas_buckets_init(&b, 0, 0, 0, 0, 1000, 1000);
	kfaas_buckets_admit(&b, t0, 100);
	kfaas_buckets_charge(&b, t0, 0, 850);
	ktap_test_result(!kfaas_buckets_admit(&b, t0, 100) &&
			 kfaas_buckets_admit(&b, t0 + SEC / 20, 100),
			 "reply bytes charged after the run: 50 bytes left, a "
			 "100-byte request waits 50 ms");
}

static void test_cpu_debt(void)
{
	struct kfaas_buckets b;
	uint64_t t0 = 1000 * SEC;

	kfaas_buckets_init(&b, 0, 0, 1000, 1000, 0, 0);
	ktap_test_result(kfaas_buckets_admit(&b, t0, 0),
			 "1000 CPU ns/s: a full bucket admits");
	kfaas_buckets_charge(&b, t0, 5000, 0);
	ktap_test_result(!kfaas_buckets_admit(&b, t0 + 39 * SEC / 10, 0) &&
			 kfaas_buckets_admit(&b, t0 + 41 * SEC / 10, 0),
			 "5000 ns charged: in debt, refused until 4 s paid it back");
}

static void test_saturation(void)
{
	struct kfaas_buckets b;
	uint64_t t0 = 1000 * SEC;

	kfaas_buckets_init(&b, 1, 1ULL << 55, 0, 0, 0, 0);
	ktap_test_result(b.rps.tau == KFAAS_TAU_MAX &&
			 admits(&b, t0, 0, 1000) == 1000,
			 "a burst of 2^55 at 1/s: capped, not wrapped (admits)");
	kfaas_buckets_init(&b, 0, 0, 1, 1, 0, 0);
	kfaas_buckets_charge(&b, t0, 1ULL << 63, 0);
	ktap_test_result(kfaas_tat_read(&b.cpu.tat) == KFAAS_TAT_MAX &&
			 !kfaas_buckets_admit(&b, t0 + 100ULL * 365 * 86400 * SEC, 0),
			 "a charge of 2^63 ns: the bucket empty for good");
}

/* Threads racing on one bucket at one instant. */
struct race {
	struct kfaas_buckets	*b;
	uint64_t		now;
	int			tries;
	int			admitted;
};

static void *race_admit(void *arg)
{
	struct race *r = arg;

	r->admitted = admits(r->b, r->now, 0, r->tries);
	return NULL;
}

static void *race_charge(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->tries; i++)
		kfaas_buckets_charge(r->b, r->now, 1, 0);
	return NULL;
}

static void test_threads(void)
{
	struct kfaas_buckets b;
	struct race r[4];
	pthread_t th[4];
	int i, total = 0;

	kfaas_buckets_init(&b, 1000, 100000, 0, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		r[i] = (struct race){ &b, 1000 * SEC, 100000, 0 };
		pthread_create(&th[i], NULL, race_admit, &r[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].admitted;
	}
	KTAP_EXPECT_EQ(total, 100000, "4 threads, 400000 tries at one instant, "
		       "burst 100000: exactly the burst admitted");
	kfaas_buckets_init(&b, 0, 0, SEC, SEC, 0, 0);
	kfaas_tat_set(&b.cpu.tat, 2000 * SEC);
	for (i = 0; i < 4; i++) {
		r[i] = (struct race){ &b, 1000 * SEC, 100000, 0 };
		pthread_create(&th[i], NULL, race_charge, &r[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	KTAP_EXPECT_EQ(kfaas_tat_read(&b.cpu.tat) - 2000 * SEC, 400000,
		       "4 threads charging 1 ns 100000 times each: no charge lost");
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(17);
	test_mul();
	test_costs();
	test_rps();
	test_bytes_refund();
	test_cpu_debt();
	test_saturation();
	test_threads();
	return ktap_finished();
}
