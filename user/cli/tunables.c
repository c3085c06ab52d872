// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas config { show | set KEY N }: the tunables, fields of the pin
 * root's globals (struct kfaas_globals, pinned map kfaas_config).
 *   cpu-sample N     measure the CPU time of 1 invocation in N (a power of
 *                    two, 1 = every one) and weight it by N
 *   guard-rate N     the reflection guard: requests per second one source
 *   guard-burst N    prefix may send to one function (burst: at once;
 *   guard-prefix4 N  0 = one second's worth), the prefix being the first
 *   guard-prefix6 N  N bits of the IPv4 / IPv6 source address
 * 'show' also lists the loop ports (docs/reliability.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cli.h"

/* The loop ports in force: the bits of kfaas_loop_ports below loop_below. */
static int loop_ports_read(struct kfaas_state *st, __u32 below,
			   json_object *arr, bool print)
{
	__u32 w;
	int n = 0;

	for (w = 0; w < 65536 / 64 && w * 64 < below; w++) {
		__u64 bits;
		int b;

		if (bpf_map_lookup_elem(st->loop_ports_fd, &w, &bits))
			return p_err("cannot read the loop ports: %s",
				     strerror(errno));
		for (b = 0; b < 64; b++) {
			if (!((bits >> b) & 1) || w * 64 + b >= below)
				continue;
			if (arr)
				json_object_array_add(arr, json_object_new_int(
					(int)(w * 64 + b)));
			if (print)
				printf("%s%u", n ? " " : "", w * 64 + b);
			n++;
		}
	}
	return 0;
}

static json_object *guard_json(const struct kfaas_globals *g)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rate", json_object_new_int64((int64_t)g->guard_rate));
	json_object_object_add(o, "burst", json_object_new_int64((int64_t)(
		g->guard_burst ? g->guard_burst : g->guard_rate)));
	json_object_object_add(o, "prefix4", json_object_new_int(g->guard_plen4));
	json_object_object_add(o, "prefix6", json_object_new_int(g->guard_plen6));
	return o;
}

static int do_show(int argc, char **argv)
{
	struct kfaas_globals g;
	struct kfaas_state st;
	json_object *o = NULL, *ports = NULL;
	int rc;

	if (argc)
		return p_err("unexpected '%s': usage: %s config show", argv[0],
			     bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_globals_get(&st, &g);
	if (rc) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	if (json_output) {
		o = json_object_new_object();
		ports = json_object_new_array();
		json_object_object_add(o, "abi_version",
				       json_object_new_int(g.abi_version));
		json_object_object_add(o, "cpu_sample",
				       json_object_new_int64(1LL << g.time_shift));
		json_object_object_add(o, "addr_routes",
				       json_object_new_boolean(g.addr_routes));
		json_object_object_add(o, "guard", guard_json(&g));
		json_object_object_add(o, "loop_ports", ports);
		rc = loop_ports_read(&st, g.loop_below, ports, false);
	} else {
		printf("abi_version %u\ncpu-sample %llu (CPU time of 1 invocation "
		       "in %llu is measured)\n", g.abi_version,
		       1ULL << g.time_shift, 1ULL << g.time_shift);
		printf("guard-rate %llu (requests/s per source prefix and "
		       "function)\nguard-burst %llu\nguard-prefix4 %u\n"
		       "guard-prefix6 %u\nloop ports: ",
		       (unsigned long long)g.guard_rate,
		       (unsigned long long)(g.guard_burst ? g.guard_burst :
					    g.guard_rate),
		       g.guard_plen4, g.guard_plen6);
		rc = loop_ports_read(&st, g.loop_below, NULL, true);
		printf("\n");
	}
	kfaas_state_close(&st);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	if (o)
		json_print(o);
	return 0;
}

/* N of cpu-sample: a power of two, as a shift. */
static int cpu_sample(const char *v, unsigned int *shift)
{
	unsigned long long n;

	if (parse_u64("cpu-sample", v, 1ULL << KFAAS_TIME_SHIFT_MAX, &n))
		return -1;
	*shift = 0;
	while (*shift <= KFAAS_TIME_SHIFT_MAX && (1ULL << *shift) < n)
		(*shift)++;
	if (!n || (1ULL << *shift) != n)
		return p_err("cpu-sample %llu: use a power of two from 1 (time every "
			     "invocation) to %llu", n, 1ULL << KFAAS_TIME_SHIFT_MAX);
	return 0;
}

/* Set KEY to the value v in g (checked); -1 after saying what is wrong. */
static int set_key(struct kfaas_globals *g, const char *key, const char *v)
{
	unsigned long long n;
	unsigned int shift;

	if (!strcmp(key, "cpu-sample")) {
		if (cpu_sample(v, &shift))
			return -1;
		g->time_shift = shift;
		return 0;
	}
	if (!strcmp(key, "guard-rate") || !strcmp(key, "guard-burst")) {
		if (parse_u64(key, v, KFAAS_RATE_MAX, &n))
			return -1;
		if (key[6] == 'r')
			g->guard_rate = n;
		else
			g->guard_burst = n;
	} else if (!strcmp(key, "guard-prefix4") || !strcmp(key, "guard-prefix6")) {
		if (parse_u64(key, v, key[12] == '4' ? 32 : 128, &n))
			return -1;
		if (key[12] == '4')
			g->guard_plen4 = (__u8)n;
		else
			g->guard_plen6 = (__u8)n;
	} else {
		return p_err("unknown key '%s': use cpu-sample, guard-rate, "
			     "guard-burst, guard-prefix4 or guard-prefix6 (see "
			     "'%s config help')", key, bin_name);
	}
	return kfaas_guard_derive(g) ? p_lib_err() : 0;
}

static int do_set(int argc, char **argv)
{
	struct kfaas_globals g;
	struct kfaas_state st;
	int rc;

	if (argc != 2)
		return p_err("usage: %s config set KEY N (see '%s config help')",
			     bin_name, bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_globals_get(&st, &g);
	if (rc) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	rc = set_key(&g, argv[0], argv[1]);
	if (!rc && kfaas_globals_set(&st, &g))
		rc = p_lib_err();
	kfaas_state_close(&st);
	if (rc)
		return rc;
	json_print_ok();
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s config show\n"
		"       %s config set KEY N\n"
		"       %s config help\n"
		"\n"
		"cpu-sample N: the CPU time of 1 eBPF invocation in N (a power\n"
		"of two; default %d) is measured, at random, and counted N\n"
		"times: an unbiased estimate that keeps the two clock reads off\n"
		"the other invocations.  1 measures every invocation.\n"
		"\n"
		"The reflection guard of XDP routes with 'guard on': one source\n"
		"prefix may send guard-rate requests per second to a function\n"
		"(default %d), guard-burst at once (default %d; 0: one second's\n"
		"worth); a prefix is the first guard-prefix4 bits of an IPv4\n"
		"source (default %d) or guard-prefix6 bits of an IPv6 one\n"
		"(default %d).  See docs/reliability.md.\n",
		bin_name, bin_name, bin_name, 1 << KFAAS_TIME_SHIFT_DEFAULT,
		KFAAS_GUARD_RATE_DEFAULT, KFAAS_GUARD_BURST_DEFAULT,
		KFAAS_GUARD_PLEN4_DEFAULT, KFAAS_GUARD_PLEN6_DEFAULT);
	return 0;
}

static const struct cmd cmds[] = {
	{ "show",	do_show },
	{ "set",	do_set },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_tunables(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_show);
}
