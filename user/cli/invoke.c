// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke NAME [--data STR | --hex HEX | --file F] [--src ADDR:PORT]
 *                   [--dst ADDR:PORT] [--vlan ID] [--repeat N [--batches B]]
 * The command: its options, and the invoker of the function's tier.  XDP
 * tier: a real request frame through the dispatcher with
 * BPF_PROG_TEST_RUN (invoke_xdp.c).  Socket tier: the request over a TCP
 * connection to one of its routes (invoke_sk.c).  VM tier: the payload
 * through kfaasd (invoke_vm.c).  The output they share: invoke_out.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/*
 * Every BPF_PROG_TEST_RUN of XDP with repeat > 1 swaps the kernel's XDP
 * dispatcher image and waits for RCU (~16 ms here): few batches by default.
 */
#define DEF_BATCHES	20

static int usage(void)
{
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s invoke NAME [--data STR | --hex HEX | --file FILE]\n"
		"                  [--src ADDR:PORT] [--dst ADDR:PORT] [--vlan ID]\n"
		"                  [--repeat N [--batches B]]\n"
		"\n"
		"Runs one request through the dispatcher (BPF_PROG_TEST_RUN),\n"
		"with the same path and accounting as live traffic, and prints\n"
		"the verdict, the reply and the time taken.  --repeat N runs N\n"
		"invocations in B batches (default %d, at most %d) and prints ns\n"
		"per invocation with p50/p99 of the batches' averages; its\n"
		"frames have source = destination so that each reply is again\n"
		"a request.\n"
		"\n"
		"Socket-tier (sk) functions: the kernel cannot test-run SK_SKB\n"
		"programs, so the request goes over a TCP connection to the\n"
		"function's route (--dst picks one; a wildcard route is reached\n"
		"on 127.0.0.1) through the listener ('kfaas sk serve' or kfaasd,\n"
		"in this network namespace).  The verdict is REPLY, NO_REPLY\n"
		"(nothing within 1 s) or CLOSED; the time is the round trip.\n"
		"--repeat sends N requests one after the other on the connection.\n"
		"\n"
		"A VM-tier function is invoked through kfaasd instead (same\n"
		"output; --repeat times every invocation; no --src/--dst/--vlan).\n",
		bin_name, DEF_BATCHES, INVOKE_MAX_BATCHES);
	return 0;
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return p_err("cannot read --file %s: %s", path, strerror(errno));
	n = fread(buf, 1, cap, f);
	if (!feof(f)) {
		fclose(f);
		return p_err("--file %s is larger than %zu bytes", path, cap);
	}
	fclose(f);
	*len = n;
	return 0;
}

/* --data, --hex or --file (c): the request payload into buf. */
static int payload_opt(int c, const char *arg, uint8_t *buf, size_t *len)
{
	ssize_t n;

	switch (c) {
	case 'd':
		*len = strlen(arg);
		if (*len > INVOKE_MAX_PAYLOAD)
			return p_err("--data is longer than %d bytes",
				     INVOKE_MAX_PAYLOAD);
		memcpy(buf, arg, *len);
		return 0;
	case 'x':
		n = kfaas_hex_decode(arg, buf, INVOKE_MAX_PAYLOAD);
		if (n < 0)
			return p_err("bad --hex '%s': use pairs of hex digits, "
				     "e.g. 68656c6c6f", arg);
		*len = (size_t)n;
		return 0;
	default:
		return read_file(arg, buf, INVOKE_MAX_PAYLOAD, len);
	}
}

/* The options after NAME into r, the payload into buf; prints the error. */
static int parse_opts(int argc, char **argv, uint8_t *buf, struct invoke_req *r)
{
	static const struct option opts[] = {
		{ "data",	required_argument, NULL, 'd' },
		{ "hex",	required_argument, NULL, 'x' },
		{ "file",	required_argument, NULL, 'f' },
		{ "src",	required_argument, NULL, 's' },
		{ "dst",	required_argument, NULL, 'D' },
		{ "vlan",	required_argument, NULL, 'v' },
		{ "repeat",	required_argument, NULL, 'r' },
		{ "batches",	required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c, sources = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'x':
		case 'f':
			if (payload_opt(c, optarg, buf, &r->len))
				return -1;
			sources++;
			break;
		case 's':
			r->src = optarg;
			break;
		case 'D':
			r->dst = optarg;
			break;
		case 'v':
			if (parse_u64("--vlan", optarg, 4094, &v))
				return -1;
			r->vlan = (int)v;
			break;
		case 'b':
			if (parse_u64("--batches", optarg, INVOKE_MAX_BATCHES, &v))
				return -1;
			if (!v)
				return p_err("--batches needs at least 1");
			r->batches = (int)v;
			break;
		case 'r':
			if (parse_u64("--repeat", optarg, 1ULL << 31, &r->repeat))
				return -1;
			if (!r->repeat)
				return p_err("--repeat needs at least 1");
			break;
		default:
			return p_err("unknown or incomplete option '%s': see '%s "
				     "invoke help'", argv[optind - 1], bin_name);
		}
	}
	if (optind < argc)
		return p_err("unexpected argument '%s': see '%s invoke help'",
			     argv[optind], bin_name);
	if (sources > 1)
		return p_err("give the request once: --data, --hex or --file");
	return 0;
}

/* The invoker of fn's tier, once the options fit that tier. */
static int invoke_tier(struct kfaas_state *st, const struct kfaas_fn_info *fn,
		       const struct invoke_req *r)
{
	switch (fn->tier) {
	case KFAAS_TIER_XDP:
		return invoke_xdp(st, fn, r);
	case KFAAS_TIER_SK:
		if (r->src || r->vlan >= 0)
			return p_err("--src and --vlan apply to XDP-tier functions: "
				     "'%s' runs in the socket tier", r->name);
		if (!r->len)
			return p_err("socket-tier function '%s' needs a request: "
				     "give --data, --hex or --file", r->name);
		return invoke_sk(st, fn, r);
	case KFAAS_TIER_VM:
		if (r->src || r->dst || r->vlan >= 0)
			return p_err("--src, --dst and --vlan shape XDP frames: "
				     "VM-tier function '%s' gets the payload only",
				     r->name);
		return invoke_vm(r);
	default:
		return p_err("function '%s' runs in the %s tier: invoke runs XDP "
			     "and socket-tier functions here", r->name,
			     kfaas_tier_name(fn->tier));
	}
}

int do_invoke(int argc, char **argv)
{
	struct invoke_req r = { .vlan = -1, .batches = DEF_BATCHES };
	struct kfaas_fn_info fn;
	struct kfaas_state st;
	uint8_t *payload;
	int rc = -1;

	if (argc < 1 || !strcmp(argv[0], "help"))
		return usage();
	r.name = argv[0];
	payload = calloc(1, INVOKE_MAX_PAYLOAD);
	if (!payload)
		return p_err("out of memory");
	r.payload = payload;
	if (!parse_opts(argc, argv, payload, &r) && !state_open(&st, 0)) {
		if (kfaas_fn_find(&st, r.name, &fn))
			rc = p_lib_err();
		else
			rc = invoke_tier(&st, &fn, &r);
		kfaas_state_close(&st);
	}
	free(payload);
	return rc;
}
