// SPDX-License-Identifier: GPL-2.0
/*
 * The library's userspace charge (kfaasd's VM tier) with kfaas.ko loaded:
 * kfaas_stats_charge() of a registered function lands in the module
 * (KFAAS_IOC_CHARGE), not in the map, and kfaas_stats_read() shows it.
 *   kmod_charge PINROOT FUNCTION
 */
#include <stdio.h>
#include <string.h>
#include "ktap.h"
#include "libkfaas.h"

#define CASES	3	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	struct kfaas_stats d = { .invocations = 3, .bytes_in = 30,
				 .bytes_out = 300, .cpu_ns = 3000, .errors = 1 };
	struct kfaas_stats before, after, mod0, mod1;
	struct kfaas_fn_info f;
	struct kfaas_state st;
	int fd;

	ktap_plan_query(argc, argv, CASES);
	if (argc != 3) {
		fprintf(stderr, "usage: kmod_charge PINROOT FUNCTION\n");
		return 2;
	}
	ktap_print_header();
	ktap_set_plan(CASES);
	if (kfaas_state_open(&st, argv[1], 0) || kfaas_fn_find(&st, argv[2], &f)) {
		ktap_print_msg("%s", kfaas_errmsg());
		return KSFT_FAIL;
	}
	fd = kfaas_state_mod_fd(&st);
	if (fd < 0 || kfaas_stats_read(&st, f.id, &before) ||
	    kfaas_mod_stats(fd, f.id, &mod0)) {
		ktap_print_msg("%s", kfaas_errmsg());
		return KSFT_FAIL;
	}
	KTAP_EXPECT_EQ(kfaas_stats_charge(&st, f.id, &d), 0,
		       "kfaas_stats_charge() with the module loaded");
	kfaas_mod_stats(fd, f.id, &mod1);
	kfaas_stats_read(&st, f.id, &after);
	ktap_test_result(mod1.invocations == mod0.invocations + 3 &&
			 mod1.cpu_ns == mod0.cpu_ns + 3000 &&
			 mod1.bytes_out == mod0.bytes_out + 300 &&
			 mod1.errors == mod0.errors + 1,
			 "the charge is counted by kfaas.ko");
	ktap_test_result(after.invocations == before.invocations + 3 &&
			 after.bytes_in == before.bytes_in + 30,
			 "kfaas stats shows it once");
	kfaas_state_close(&st);
	return ktap_finished();
}
