/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pricing what functions used (`kfaas cost`, docs/lifecycle.md "Cost"):
 * a price sheet per million requests, per GiB-second of memory held and
 * per CPU-second, and the arithmetic.  The usage comes from the
 * accounting and kfaasd (its ledger); nothing here does I/O but reading a
 * price file.
 */
#ifndef KFAAS_COST_H
#define KFAAS_COST_H

#include <stdint.h>

struct kfaas_prices {
	char	source[512];		/* where the figures come from */
	char	currency[8];
	double	per_million_requests;
	double	per_gib_second;		/* memory held (VMs and templates) */
	double	per_cpu_second;
};

/* The default sheet (its source says whose list prices, and when). */
void kfaas_prices_default(struct kfaas_prices *p);
/*
 * A price file: a JSON object with "source", "currency",
 * "per_million_requests", "per_gib_second" and "per_cpu_second" (numbers,
 * 0 or more).  -EINVAL (with FILE and what is wrong in kfaas_errmsg())
 * for anything else; p is untouched then.
 */
int kfaas_prices_load(struct kfaas_prices *p, const char *path);

/* What a function used. */
struct kfaas_usage {
	uint64_t	requests;
	double		cpu_s;
	double		gib_s;
};

struct kfaas_price {
	double	requests, cpu, memory, total;
};

void kfaas_cost_price(const struct kfaas_prices *p, const struct kfaas_usage *u,
		      struct kfaas_price *out);

#endif
