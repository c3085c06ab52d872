// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas budget set NAME [--rps N] [--burst N] [--cpu-ns-per-sec N]
 *                       [--cpu-burst-ns N] [--bytes-per-sec N]
 *                       [--bytes-burst N]
 * kfaas budget show [NAME]
 * kfaas budget clear NAME
 *
 * Each budget is shown with who enforces it, by the function's tier:
 * kfaas.ko's kfuncs or the BPF maps (XDP), the BPF maps (socket tier),
 * kfaasd (VM tier), or nobody: a VM-tier budget while kfaasd is not
 * running (kfaas_budget_enforcer()).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *obj_name = "budget";

/* Does a kfaasd serve this pin root (the VM tier's enforcer)? */
static bool daemon_running(void)
{
	struct kfaas_daemon d;
	bool up = kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt)) == 0;

	kfaas_daemon_close(&d);
	return up;
}

static bool enforced(int e)
{
	return e == KFAAS_ENF_MODULE || e == KFAAS_ENF_MAPS ||
	       e == KFAAS_ENF_KFAASD;
}

static void add_enforcer(json_object *o, int e)
{
	json_object_object_add(o, "enforced", json_object_new_boolean(enforced(e)));
	json_object_object_add(o, "enforced_by", e == KFAAS_ENF_NONE ? NULL :
			       json_object_new_string(kfaas_enforcer_name(e)));
}

static json_object *limits_json(const struct kfaas_limits *l)
{
	json_object *o = json_object_new_object();

#define F(x) json_object_object_add(o, #x, json_object_new_int64((int64_t)l->x))
	F(rps);
	F(rps_burst);
	F(cpu_ns_per_sec);
	F(cpu_burst_ns);
	F(bytes_per_sec);
	F(bytes_burst);
#undef F
	return o;
}

static int do_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rps",		required_argument, NULL, 'r' },
		{ "burst",		required_argument, NULL, 'b' },
		{ "cpu-ns-per-sec",	required_argument, NULL, 'c' },
		{ "cpu-burst-ns",	required_argument, NULL, 'C' },
		{ "bytes-per-sec",	required_argument, NULL, 'y' },
		{ "bytes-burst",	required_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	struct kfaas_limits l = {};
	struct kfaas_fn_info f;
	struct kfaas_state st;
	unsigned long long v;
	const char *name;
	int c, rc, idx = 0, any = 0, e = KFAAS_ENF_NONE;

	REQ_ARGS(1);
	name = argv[0];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		char o[32];

		if (c == '?' || c == ':')
			return p_err("unknown or incomplete option '%s': see "
				     "'%s budget help'", argv[optind - 1],
				     bin_name);
		snprintf(o, sizeof(o), "--%s", opts[idx].name);
		if (parse_u64(o, optarg, KFAAS_RATE_MAX, &v))
			return -1;
		any = 1;
		switch (c) {
		case 'r': l.rps = v; break;
		case 'b': l.rps_burst = v; break;
		case 'c': l.cpu_ns_per_sec = v; break;
		case 'C': l.cpu_burst_ns = v; break;
		case 'y': l.bytes_per_sec = v; break;
		case 'Y': l.bytes_burst = v; break;
		}
	}
	if (optind < argc)
		return p_err("unexpected argument '%s': see '%s budget help'",
			     argv[optind], bin_name);
	if (!any)
		return p_err("give at least one of --rps, --cpu-ns-per-sec, "
			     "--bytes-per-sec (0 = unlimited): see '%s budget "
			     "help'", bin_name);
	if (kfaas_limits_check(&l))
		return p_lib_err();
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_find(&st, name, &f) ?: kfaas_budget_set(&st, f.id, &l);
	if (!rc)
		e = kfaas_budget_enforcer(&st, &f, &l, f.tier == KFAAS_TIER_VM &&
					  daemon_running());
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = limits_json(&l);

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "tier", json_object_new_string(
			kfaas_tier_name(f.tier)));
		add_enforcer(o, e);
		json_print(o);
	} else if (e == KFAAS_ENF_NONE) {
		printf("budget of '%s' set: unlimited\n", name);
	} else {
		printf("budget of '%s' set: %s by %s\n", name,
		       enforced(e) ? "enforced" : "kept, not enforced",
		       kfaas_enforcer_name(e));
	}
	return 0;
}

static int do_clear(int argc, char **argv)
{
	struct kfaas_fn_info f;
	struct kfaas_state st;
	int rc;

	REQ_ARGS(1);
	if (argc > 1)
		return p_err("unexpected argument '%s': usage: %s budget clear "
			     "NAME", argv[1], bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_find(&st, argv[0], &f) ?: kfaas_budget_clear(&st, f.id);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("budget of '%s' cleared: unlimited\n", argv[0]);
	return 0;
}

static void print_num(unsigned long long v)
{
	if (v)
		printf(" %14llu", v);
	else
		printf(" %14s", "-");
}

static void print_row(const struct kfaas_fn_info *f, const struct kfaas_limits *l,
		      int e)
{
	printf("%-20s %5u %-4s", f->name, f->id, kfaas_tier_name(f->tier));
	print_num(l->rps);
	print_num(l->rps ? (l->rps_burst ? l->rps_burst : l->rps) : 0);
	print_num(l->cpu_ns_per_sec);
	print_num(l->cpu_ns_per_sec ? (l->cpu_burst_ns ? l->cpu_burst_ns :
				       l->cpu_ns_per_sec) : 0);
	print_num(l->bytes_per_sec);
	print_num(l->bytes_per_sec ? (l->bytes_burst ? l->bytes_burst :
				      l->bytes_per_sec) : 0);
	printf("  %s\n", kfaas_enforcer_name(e));
}

static json_object *fn_limits_json(const struct kfaas_fn_info *f,
				   const struct kfaas_limits *l, int e)
{
	json_object *o = limits_json(l);

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "tier", json_object_new_string(
		kfaas_tier_name(f->tier)));
	add_enforcer(o, e);
	return o;
}

static int do_show(int argc, char **argv)
{
	struct kfaas_fn_info *arr;
	struct kfaas_state st;
	json_object *a = NULL;
	const char *name = argc ? argv[0] : NULL;
	bool daemon = false;
	size_t n, i;
	int rc, shown = 0;

	if (argc > 1)
		return p_err("unexpected argument '%s': usage: %s budget show "
			     "[NAME]", argv[1], bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_fn_list(&st, &arr, &n);
	if (rc) {
		kfaas_state_close(&st);
		return p_lib_err();
	}
	for (i = 0; i < n && !daemon; i++)
		daemon = arr[i].tier == KFAAS_TIER_VM &&
			 (!name || !strcmp(arr[i].name, name));
	daemon = daemon && daemon_running();
	if (json_output)
		a = json_object_new_array();
	else
		printf("%-20s %5s %-4s %14s %14s %14s %14s %14s %14s  %s\n",
		       "FUNCTION", "ID", "TIER", "RPS", "BURST", "CPU_NS/S",
		       "CPU_BURST_NS", "BYTES/S", "BYTES_BURST", "ENFORCED BY");
	for (i = 0; i < n; i++) {
		struct kfaas_limits l;
		int e;

		if (name && strcmp(arr[i].name, name))
			continue;
		rc = kfaas_budget_get(&st, arr[i].id, &l);
		if (rc) {
			rc = p_lib_err();
			break;
		}
		shown++;
		e = kfaas_budget_enforcer(&st, &arr[i], &l, daemon);
		if (json_output)
			json_object_array_add(a, fn_limits_json(&arr[i], &l, e));
		else
			print_row(&arr[i], &l, e);
	}
	kfaas_state_close(&st);
	free(arr);
	if (rc) {
		json_object_put(a);
		return rc;
	}
	return listing_end(a, name, shown);
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s budget set NAME [--rps N] [--burst N]\n"
		"                 [--cpu-ns-per-sec N] [--cpu-burst-ns N]\n"
		"                 [--bytes-per-sec N] [--bytes-burst N]\n"
		"       %s budget show [NAME]\n"
		"       %s budget clear NAME\n"
		"       %s budget help\n"
		"\n"
		"Token buckets per function: invocations/s (--burst:\n"
		"invocations), CPU ns/s and bytes/s (request + reply).  A rate\n"
		"of 0 is unlimited; a burst left out is one second's worth.  An\n"
		"invocation over budget is not run: it is counted as throttled\n"
		"and passed up the stack or dropped per the route's policy.\n"
		"Enforced by the function's tier: XDP by kfaas.ko's kfuncs when\n"
		"it is loaded, else by the BPF maps; the socket tier by the BPF\n"
		"maps; the VM tier by kfaasd (not while it is not running).\n"
		"'show' says which.  See docs/module.md.\n",
		bin_name, bin_name, bin_name, bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "set",	do_set },
	{ "show",	do_show },
	{ "clear",	do_clear },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_budget(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_show);
}
