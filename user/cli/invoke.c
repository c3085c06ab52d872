// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas invoke NAME [--data STR | --hex HEX | --file F] [--src ADDR:PORT]
 *                   [--dst ADDR:PORT] [--vlan ID] [--repeat N]
 * XDP tier: builds a real request frame for one of the function's routes
 * and runs it through the dispatcher with BPF_PROG_TEST_RUN.  Socket tier:
 * sends the request over a loopback TCP connection (invoke_sk.c).  VM
 * tier: sends the payload through kfaasd (invoke_vm.c).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <linux/bpf.h>
#include <kfaas_frame.h>


#define MAX_PAYLOAD	65000
#define FRAME_CAP	(MAX_PAYLOAD + 128)
#define MAX_BATCHES	100
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
		bin_name, DEF_BATCHES, MAX_BATCHES);
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

bool invoke_printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isprint(p[i]) && p[i] != '\n' && p[i] != '\r' &&
		    p[i] != '\t')
			return false;
	return true;
}

char *invoke_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

void invoke_hexdump(const uint8_t *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += 16) {
		printf("  %04zx ", i);
		for (j = i; j < i + 16; j++)
			j < n ? printf(" %02x", p[j]) : printf("   ");
		printf("  ");
		for (j = i; j < i + 16 && j < n; j++)
			putchar(isprint(p[j]) ? p[j] : '.');
		putchar('\n');
	}
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Check the reply frame answers the request; NULL if it does. */
static const char *check_reply(const uint8_t *req, size_t reqlen,
			       const uint8_t *out, size_t outlen,
			       struct kfaas_frame_info *ri)
{
	struct kfaas_frame_info qi;
	const char *why = NULL;

	if (kfaas_frame_parse(req, reqlen, &qi, &why))
		return why;
	if (kfaas_frame_parse(out, outlen, ri, &why))
		return why;
	if (!ri->ip_csum_ok)
		return "bad IPv4 header checksum";
	if (!ri->udp_csum_ok)
		return "bad UDP checksum";
	if (ri->family != qi.family || ri->dport != qi.sport ||
	    ri->sport != qi.dport ||
	    memcmp(ri->daddr, qi.saddr, 16) || memcmp(ri->saddr, qi.daddr, 16) ||
	    memcmp(ri->dst_mac, qi.src_mac, 6))
		return "reply is not addressed back to the requester";
	return NULL;
}

int do_invoke(int argc, char **argv)
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
	struct kfaas_invoke_opts io = { .vlan = -1 };
	unsigned long long repeat = 0, v;
	uint8_t *payload = NULL, *req = NULL, *out = NULL;
	size_t reqlen, outlen = FRAME_CAP;
	struct kfaas_frame_info ri;
	struct kfaas_fn_info fn;
	struct kfaas_state st;
	const char *name, *bad = NULL;
	__u32 retval = 0, dur = 0, durs[MAX_BATCHES];
	unsigned long long total_ns = 0;
	int c, sources = 0, rc = -1, batches = 1, want_batches = DEF_BATCHES;
	ssize_t n;

	if (argc < 1 || !strcmp(argv[0], "help"))
		return usage();
	name = argv[0];
	payload = calloc(1, MAX_PAYLOAD);
	req = calloc(1, FRAME_CAP);
	out = calloc(1, FRAME_CAP);
	if (!payload || !req || !out) {
		p_err("out of memory");
		goto out_free;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			io.len = strlen(optarg);
			if (io.len > MAX_PAYLOAD) {
				p_err("--data is longer than %d bytes", MAX_PAYLOAD);
				goto out_free;
			}
			memcpy(payload, optarg, io.len);
			sources++;
			break;
		case 'x':
			n = kfaas_hex_decode(optarg, payload, MAX_PAYLOAD);
			if (n < 0) {
				p_err("bad --hex '%s': use pairs of hex digits, "
				      "e.g. 68656c6c6f", optarg);
				goto out_free;
			}
			io.len = (size_t)n;
			sources++;
			break;
		case 'f':
			if (read_file(optarg, payload, MAX_PAYLOAD, &io.len))
				goto out_free;
			sources++;
			break;
		case 's':
			io.src = optarg;
			break;
		case 'D':
			io.dst = optarg;
			break;
		case 'v':
			if (parse_u64("--vlan", optarg, 4094, &v))
				goto out_free;
			io.vlan = (int)v;
			break;
		case 'b':
			if (parse_u64("--batches", optarg, MAX_BATCHES, &v))
				goto out_free;
			if (!v) {
				p_err("--batches needs at least 1");
				goto out_free;
			}
			want_batches = (int)v;
			break;
		case 'r':
			if (parse_u64("--repeat", optarg, 1ULL << 31, &repeat))
				goto out_free;
			if (!repeat) {
				p_err("--repeat needs at least 1");
				goto out_free;
			}
			break;
		default:
			p_err("unknown or incomplete option '%s': see '%s invoke "
			      "help'", argv[optind - 1], bin_name);
			goto out_free;
		}
	}
	if (optind < argc) {
		p_err("unexpected argument '%s': see '%s invoke help'",
		      argv[optind], bin_name);
		goto out_free;
	}
	if (sources > 1) {
		p_err("give the request once: --data, --hex or --file");
		goto out_free;
	}
	io.data = payload;
	io.symmetric = repeat > 0 && !io.src;
	if (state_open(&st, 0))
		goto out_free;
	if (kfaas_fn_find(&st, name, &fn)) {
		p_lib_err();
		goto out_close;
	}
	if (fn.tier == KFAAS_TIER_VM) {
		if (io.src || io.dst || io.vlan >= 0) {
			p_err("--src, --dst and --vlan shape XDP frames: VM-tier "
			      "function '%s' gets the payload only", name);
			goto out_close;
		}
		rc = invoke_vm(name, payload, io.len, repeat);
		goto out_close;
	}
	if (fn.tier == KFAAS_TIER_SK) {
		if (io.src || io.vlan >= 0) {
			p_err("--src and --vlan apply to XDP-tier functions: '%s' "
			      "runs in the socket tier", name);
			goto out_close;
		}
		if (!io.len) {
			p_err("socket-tier function '%s' needs a request: give "
			      "--data, --hex or --file", name);
			goto out_close;
		}
		rc = invoke_sk(&fn, &st, payload, io.len, io.dst, repeat);
		goto out_close;
	}
	if (fn.tier != KFAAS_TIER_XDP) {
		p_err("function '%s' runs in the %s tier: invoke runs XDP and "
		      "socket-tier functions here", name, kfaas_tier_name(fn.tier));
		goto out_close;
	}
	if (kfaas_invoke_frame(&st, &fn, &io, req, FRAME_CAP, &reqlen)) {
		p_lib_err();
		goto out_close;
	}
	if (repeat) {
		unsigned long long per, left = repeat;
		int i;

		batches = repeat < (unsigned long long)want_batches ? (int)repeat :
							       want_batches;
		per = repeat / batches;
		for (i = 0; i < batches; i++) {
			unsigned long long r = i == batches - 1 ? left : per;

			outlen = FRAME_CAP;
			if (kfaas_invoke_run(&st, req, reqlen, out, &outlen,
					     (__u32)r, &retval, &durs[i])) {
				p_lib_err();
				goto out_close;
			}
			total_ns += (unsigned long long)durs[i] * r;
			left -= r;
		}
		dur = (__u32)(total_ns / repeat);
	} else if (kfaas_invoke_run(&st, req, reqlen, out, &outlen, 1, &retval,
				    &dur)) {
		p_lib_err();
		goto out_close;
	}
	if (retval == XDP_TX) {
		bad = check_reply(req, reqlen, out, outlen, &ri);
		if (bad) {
			p_err("function '%s' produced a malformed reply frame: %s",
			      name, bad);
			goto out_close;
		}
	}
	qsort(durs, repeat ? (size_t)batches : 0, sizeof(durs[0]), cmp_u32);
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(name));
		json_object_object_add(o, "verdict",
				       json_object_new_string(kfaas_xdp_verdict(retval)));
		json_object_object_add(o, "request_len", json_object_new_int64((int64_t)io.len));
		if (retval == XDP_TX) {
			const uint8_t *p = out + ri.payload_off;
			char *hex = invoke_hex(p, ri.payload_len);

			json_object_object_add(o, "reply_len",
					       json_object_new_int64((int64_t)ri.payload_len));
			json_object_object_add(o, "reply",
				invoke_printable(p, ri.payload_len) ?
				json_object_new_string_len((const char *)p,
							   (int)ri.payload_len) : NULL);
			json_object_object_add(o, "reply_hex",
					       json_object_new_string(hex ? hex : ""));
			free(hex);
		}
		json_object_object_add(o, "duration_ns", json_object_new_int64(dur));
		if (repeat) {
			json_object_object_add(o, "repeat", json_object_new_int64((int64_t)repeat));
			json_object_object_add(o, "batches", json_object_new_int(batches));
			json_object_object_add(o, "ns_per_invocation",
					       json_object_new_double((double)total_ns / repeat));
			json_object_object_add(o, "p50_ns", json_object_new_int64(durs[batches / 2]));
			json_object_object_add(o, "p99_ns", json_object_new_int64(
				durs[(batches * 99 + 99) / 100 - 1]));
		}
		json_print(o);
	} else {
		printf("%s: %s in %u ns\n", name, kfaas_xdp_verdict(retval), dur);
		if (retval == XDP_TX) {
			const uint8_t *p = out + ri.payload_off;

			printf("reply (%zu bytes):", ri.payload_len);
			if (invoke_printable(p, ri.payload_len)) {
				printf(" %.*s\n", (int)ri.payload_len, p);
			} else {
				printf("\n");
				invoke_hexdump(p, ri.payload_len);
			}
		} else if (retval == XDP_PASS) {
			printf("passed up the stack: no fast-tier reply\n");
		}
		if (repeat)
			printf("%llu invocations: %.1f ns/invocation, p50 %u ns, "
			       "p99 %u ns over %d batches\n", repeat,
			       (double)total_ns / repeat, durs[batches / 2],
			       durs[(batches * 99 + 99) / 100 - 1], batches);
	}
	rc = 0;
out_close:
	kfaas_state_close(&st);
out_free:
	free(payload);
	free(req);
	free(out);
	return rc;
}
