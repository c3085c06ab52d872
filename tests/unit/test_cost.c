// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas cost's pricing (kfaas_cost.h): the default sheet says where its
 * figures come from, a price file is read or refused with what is wrong
 * (and nothing changed), and the arithmetic prices requests, CPU and
 * memory apart.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ktap.h"
#include "kfaas_cost.h"
#include "libkfaas.h"

static char dir[] = "/tmp/kfaas-cost.XXXXXX";

static const char *file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
	return path;
}

static bool close_to(double a, double b)
{
	return fabs(a - b) <= 1e-12 * (fabs(a) + fabs(b) + 1e-300);
}

static void refused(const char *name, const char *text, const char *what)
{
	struct kfaas_prices p;
	int rc;

	kfaas_prices_default(&p);
	rc = kfaas_prices_load(&p, file(name, text));
	ktap_test_result(rc == -EINVAL && strstr(kfaas_errmsg(), what) &&
			 strstr(kfaas_errmsg(), name) && p.per_million_requests == 0.40,
			 "refused, default kept: %s", kfaas_errmsg());
}

int main(void)
{
	struct kfaas_prices p;
	struct kfaas_usage u = { 2500000, 10.0, 400.0 };
	struct kfaas_price c;

	ktap_print_header();
	ktap_set_plan(9);
	if (!mkdtemp(dir))
		ktap_exit_skip("cannot make a temporary directory");
	kfaas_prices_default(&p);
	ktap_test_result(strstr(p.source, "cloud.google.com/run/pricing") &&
			 strstr(p.source, "2026") && !strcmp(p.currency, "USD") &&
			 p.per_million_requests == 0.40 && p.per_cpu_second == 0.000024 &&
			 p.per_gib_second == 0.0000025,
			 "the default sheet: Cloud Run's list prices, with where and when");
	kfaas_cost_price(&p, &u, &c);
	ktap_test_result(close_to(c.requests, 1.0) && close_to(c.cpu, 0.00024) &&
			 close_to(c.memory, 0.001) &&
			 close_to(c.total, 1.0 + 0.00024 + 0.001),
			 "2.5 M requests, 10 CPU-s, 400 GiB-s: %.6g + %.6g + %.6g",
			 c.requests, c.cpu, c.memory);
	ktap_test_result(kfaas_prices_load(&p, file("lambda.json",
		"{\"source\": \"AWS Lambda x86 us-east-1\", \"currency\": \"USD\","
		" \"per_million_requests\": 0.2, \"per_gib_second\": 0.0000166667,"
		" \"per_cpu_second\": 0}")) == 0 && p.per_million_requests == 0.2 &&
			 p.per_cpu_second == 0 && !strcmp(p.source, "AWS Lambda x86 us-east-1"),
			 "a price file is read");
	refused("nokey.json", "{\"source\": \"s\", \"currency\": \"USD\", "
		"\"per_million_requests\": 1, \"per_gib_second\": 1}", "per_cpu_second");
	refused("neg.json", "{\"source\": \"s\", \"currency\": \"USD\", "
		"\"per_million_requests\": -1, \"per_gib_second\": 1, "
		"\"per_cpu_second\": 1}", "0 or more");
	refused("str.json", "{\"source\": \"s\", \"currency\": \"USD\", "
		"\"per_million_requests\": \"1\", \"per_gib_second\": 1, "
		"\"per_cpu_second\": 1}", "must be a number");
	refused("extra.json", "{\"source\": \"s\", \"currency\": \"USD\", "
		"\"per_million_requests\": 1, \"per_gib_second\": 1, "
		"\"per_cpu_second\": 1, \"per_gb_out\": 1}", "unknown key");
	refused("nojson.json", "per_million_requests = 1\n", "not a JSON");
	kfaas_prices_default(&p);
	ktap_test_result(kfaas_prices_load(&p, "/nonexistent/prices.json") == -ENOENT &&
			 p.per_million_requests == 0.40, "a missing file: -ENOENT");
	unlink(file("lambda.json", ""));
	unlink(file("nokey.json", ""));
	unlink(file("neg.json", ""));
	unlink(file("str.json", ""));
	unlink(file("extra.json", ""));
	unlink(file("nojson.json", ""));
	rmdir(dir);
	return ktap_finished();
}
