// SPDX-License-Identifier: GPL-2.0
/*
 * Price sheets and the arithmetic of `kfaas cost` (kfaas_cost.h).
 *
 * The default sheet is Google Cloud Run's list prices for a service
 * billed per request ("CPU only allocated during request processing"),
 * Tier 1 regions, as published on https://cloud.google.com/run/pricing
 * (consulted 2026-12-03): $0.40 per million requests, $0.00002400 per
 * vCPU-second, $0.00000250 per GiB-second, free tier not applied.  Chosen
 * because it prices the three things kfaas measures separately (AWS
 * Lambda, $0.20 per million requests and $0.0000166667 per GB-second for
 * x86 in us-east-1, folds CPU into memory: tools/prices/aws-lambda.json).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include "kfaas_cost.h"

void kfaas_prices_default(struct kfaas_prices *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->source, sizeof(p->source), "Google Cloud Run list prices, "
		 "request-based billing, Tier 1 regions "
		 "(cloud.google.com/run/pricing, consulted 2026-12-03)");
	snprintf(p->currency, sizeof(p->currency), "USD");
	p->per_million_requests = 0.40;
	p->per_cpu_second = 0.000024;
	p->per_gib_second = 0.0000025;
}

static const char *const keys[] = { "source", "currency",
	"per_million_requests", "per_gib_second", "per_cpu_second" };

static int price_key(json_object *o, const char *path, const char *k,
		     double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return kfaas_err(-EINVAL, "%s: no \"%s\": a price file gives "
				 "source, currency, per_million_requests, "
				 "per_gib_second and per_cpu_second", path, k);
	if ((!json_object_is_type(v, json_type_double) &&
	     !json_object_is_type(v, json_type_int)) ||
	    !isfinite(json_object_get_double(v)) || json_object_get_double(v) < 0)
		return kfaas_err(-EINVAL, "%s: \"%s\" must be a number, 0 or more",
				 path, k);
	*out = json_object_get_double(v);
	return 0;
}

static int text_key(json_object *o, const char *path, const char *k,
		    char *buf, size_t len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v) ||
	    (size_t)json_object_get_string_len(v) >= len)
		return kfaas_err(-EINVAL, "%s: \"%s\" must be a string of 1 to "
				 "%zu characters (%s)", path, k, len - 1,
				 k[0] == 's' ? "where the prices come from, and "
				 "when" : "e.g. USD");
	snprintf(buf, len, "%s", json_object_get_string(v));
	return 0;
}

int kfaas_prices_load(struct kfaas_prices *p, const char *path)
{
	json_object *o = json_object_from_file(path);
	struct kfaas_prices n = { 0 };
	int rc;

	if (!o)
		return kfaas_err(errno == ENOENT ? -ENOENT : -EINVAL, "%s: %s",
				 path, errno == ENOENT ? "no such file" :
				 "not a JSON price file (see docs/cli.md, kfaas "
				 "cost)");
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return kfaas_err(-EINVAL, "%s: a price file is one JSON object",
				 path);
	}
	rc = text_key(o, path, "source", n.source, sizeof(n.source)) ?:
	     text_key(o, path, "currency", n.currency, sizeof(n.currency)) ?:
	     price_key(o, path, "per_million_requests", &n.per_million_requests) ?:
	     price_key(o, path, "per_gib_second", &n.per_gib_second) ?:
	     price_key(o, path, "per_cpu_second", &n.per_cpu_second);
	if (!rc) {
		json_object_object_foreach(o, k, v) {
			size_t i;

			(void)v;
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strcmp(k, keys[i]))
					break;
			if (i == sizeof(keys) / sizeof(keys[0])) {
				rc = kfaas_err(-EINVAL, "%s: unknown key \"%s\"",
					       path, k);
				break;
			}
		}
	}
	json_object_put(o);
	if (!rc)
		*p = n;
	return rc;
}

void kfaas_cost_price(const struct kfaas_prices *p, const struct kfaas_usage *u,
		      struct kfaas_price *out)
{
	out->requests = (double)u->requests / 1e6 * p->per_million_requests;
	out->cpu = u->cpu_s * p->per_cpu_second;
	out->memory = u->gib_s * p->per_gib_second;
	out->total = out->requests + out->cpu + out->memory;
}
