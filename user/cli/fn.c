// SPDX-License-Identifier: GPL-2.0
/* kfaas fn { load | create | replace | unload | list | show | help } */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include <kfaas/split.h>

static const char *obj_name = "fn";

const char *fmt_tag(const __u8 tag[8], char buf[17])
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(buf + 2 * i, "%02x", tag[i]);
	return buf;
}

static const char *fmt_time(__u64 t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
	return buf;
}

json_object *fn_info_json(const struct kfaas_fn_info *f)
{
	json_object *o = json_object_new_object();
	char tag[17], t[40], keep[40];

	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "tier",
			       json_object_new_string(kfaas_tier_name(f->tier)));
	json_object_object_add(o, "source", json_object_new_string(f->source));
	json_object_object_add(o, "load_time", json_object_new_int64((int64_t)f->load_time));
	json_object_object_add(o, "loaded_at",
			       json_object_new_string(fmt_time(f->load_time, t, sizeof(t))));
	if (f->tier == KFAAS_TIER_XDP || f->tier == KFAAS_TIER_SK) {
		json_object_object_add(o, "prog_id", json_object_new_int64(f->prog_id));
		json_object_object_add(o, "tag",
				       json_object_new_string(fmt_tag(f->tag, tag)));
	}
	if (f->tier == KFAAS_TIER_XDP) {
		char r[16];

		/* KFAAS_REPLY_RATIO(), or null: not declared */
		kfaas_ratio_str(f->reply_ratio, r, sizeof(r));
		json_object_object_add(o, "reply_ratio", f->reply_ratio ?
				       json_object_new_string(r) : NULL);
	}
	if (f->tier == KFAAS_TIER_VM) {
		json_object *vm = json_object_new_object();

		json_object_object_add(vm, "mem_mib", json_object_new_int64(f->vm.mem_mib));
		json_object_object_add(vm, "vcpus", json_object_new_int64(f->vm.vcpus));
		json_object_object_add(vm, "min_warm", json_object_new_int64(f->vm.min_warm));
		json_object_object_add(vm, "max", json_object_new_int64(f->vm.max_instances));
		json_object_object_add(vm, "idle_ttl_s", json_object_new_int64(f->vm.idle_ttl_s));
		json_object_object_add(vm, "timeout_ms", json_object_new_int64(f->vm.timeout_ms));
		json_object_object_add(vm, "fresh", json_object_new_boolean(
			!!(f->vm.flags & KFAAS_VM_F_FRESH)));
		json_object_object_add(vm, "resident", json_object_new_boolean(
			!!(f->vm.flags & KFAAS_VM_F_RESIDENT)));
		json_object_object_add(vm, "keep_alive", json_object_new_string(
			kfaas_vm_keep_name(&f->vm, keep, sizeof(keep))));
		json_object_object_add(o, "vm", vm);
	}
	return o;
}

static void print_fn_row_header(void)
{
	printf("%-4s %-20s %-4s %-7s %-16s %-24s %s\n", "ID", "NAME", "TIER",
	       "PROG", "TAG", "LOADED", "SOURCE");
}

static void print_fn_row(const struct kfaas_fn_info *f)
{
	char tag[17], t[40], prog[16] = "-";
	bool ebpf = f->tier == KFAAS_TIER_XDP || f->tier == KFAAS_TIER_SK;

	if (ebpf)
		snprintf(prog, sizeof(prog), "%u", f->prog_id);
	printf("%-4u %-20s %-4s %-7s %-16s %-24s %s\n", f->id, f->name,
	       kfaas_tier_name(f->tier), prog, ebpf ? fmt_tag(f->tag, tag) : "-",
	       fmt_time(f->load_time, t, sizeof(t)), f->source);
}

static int do_load(int argc, char **argv)
{
	struct kfaas_fn_info info;
	struct kfaas_state st;
	int rc;

	REQ_ARGS(2);
	if (argc > 2)
		return p_err("unexpected argument '%s': usage: %s fn load FILE "
			     "NAME", argv[2], bin_name);
	/* bad input changes nothing: the object is read before any state */
	if (kfaas_name_valid(argv[1]) || kfaas_obj_check(argv[0]))
		return p_lib_err();
	if (state_open(&st, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_load(&st, argv[0], argv[1], &info);
	if (rc) {
		/* the verifier's no: a pin root made for it goes again */
		p_lib_err();
		kfaas_state_discard(&st);
		return -1;
	}
	kfaas_state_close(&st);
	if (json_output)
		json_print(fn_info_json(&info));
	else
		printf("loaded %s as function '%s' (id %u, tier %s, prog %u)\n",
		       argv[0], info.name, info.id, kfaas_tier_name(info.tier),
		       info.prog_id);
	return 0;
}

/*
 * The keep-alive from --keep-alive and --idle-ttl: auto unless said;
 * --idle-ttl alone keeps what it always meant (and min-warm's default of
 * then, 1); both at once are refused.
 */
static int keep_settle(struct kfaas_vm_params *p, const char *keep,
		       bool ttl_given, bool warm_given)
{
	char buf[40];

	if (keep && ttl_given)
		return p_err("--keep-alive and --idle-ttl both say how long VMs "
			     "stay: give one (--idle-ttl S is --keep-alive "
			     "idle-ttl:S)");
	if (keep)
		return kfaas_vm_keep_parse(p, keep) ? p_lib_err() : 0;
	if (!ttl_given)
		return 0;
	snprintf(buf, sizeof(buf), "idle-ttl:%u", p->idle_ttl_s);
	if (kfaas_vm_keep_parse(p, buf))
		return p_lib_err();
	if (!warm_given)
		p->min_warm = 1;
	return 0;
}

/* kfaas fn create NAME --vm EXEC [--mem MiB] [--vcpus N] ... (via kfaasd) */
static int do_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm",		required_argument, NULL, 'e' },
		{ "mem",	required_argument, NULL, 'm' },
		{ "vcpus",	required_argument, NULL, 'c' },
		{ "min-warm",	required_argument, NULL, 'w' },
		{ "max",	required_argument, NULL, 'M' },
		{ "idle-ttl",	required_argument, NULL, 't' },
		{ "timeout",	required_argument, NULL, 'T' },
		{ "fresh",	no_argument,	   NULL, 'f' },
		{ "resident",	no_argument,	   NULL, 'r' },
		{ "keep-alive",	required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct kfaas_vm_params p = kfaas_vm_defaults;
	bool ttl_given = false, warm_given = false;
	const char *exe = NULL, *keep = NULL;
	struct kfaas_fn_info info;
	struct kfaas_daemon d;
	unsigned long long v;
	char real[PATH_MAX], k[40];
	__u64 ready_ms = 0;
	int c, rc;

	REQ_ARGS(1);
	if (argv[0][0] == '-')
		return p_err("the function name comes first: %s fn create NAME "
			     "--vm EXEC [OPTIONS]", bin_name);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		__u32 *field = NULL;
		unsigned long long max = 0xffffffffULL;
		const char *name = argv[optind - 1];

		switch (c) {
		case 'e': exe = optarg; continue;
		case 'f': p.flags |= KFAAS_VM_F_FRESH; continue;
		case 'r': p.flags |= KFAAS_VM_F_RESIDENT; continue;
		case 'k': keep = optarg; continue;
		case 'm': field = &p.mem_mib; name = "--mem"; break;
		case 'c': field = &p.vcpus; name = "--vcpus"; break;
		case 'w': field = &p.min_warm; name = "--min-warm"; break;
		case 'M': field = &p.max_instances; name = "--max"; break;
		case 't': field = &p.idle_ttl_s; name = "--idle-ttl"; break;
		case 'T': field = &p.timeout_ms; name = "--timeout"; break;
		default:
			return p_err("unknown or incomplete option '%s': see '%s "
				     "fn help'", argv[optind - 1], bin_name);
		}
		if (parse_u64(name, optarg, max, &v))
			return -1;
		*field = (__u32)v;
		ttl_given |= c == 't';
		warm_given |= c == 'w';
	}
	if (keep_settle(&p, keep, ttl_given, warm_given))
		return -1;
	if (optind < argc)
		return p_err("unexpected argument '%s': usage: %s fn create NAME "
			     "--vm EXEC [OPTIONS]", argv[optind], bin_name);
	if (!exe)
		return p_err("which executable? give --vm EXEC (a static program "
			     "reading the request on stdin, writing the reply "
			     "to stdout)");
	if (!realpath(exe, real))
		return p_err("cannot find executable %s: %s", exe, strerror(errno));
	if (kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt)))
		return p_lib_err();
	rc = kfaas_daemon_create(&d, argv[0], real, &p, &info, &ready_ms);
	kfaas_daemon_close(&d);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = fn_info_json(&info);

		json_object_object_add(o, "ready_ms", json_object_new_int64(
			(int64_t)ready_ms));
		json_print(o);
	} else {
		printf("created VM-tier function '%s' (id %u) from %s: keep-alive "
		       "%s, %u warm VM(s) ready in %llu ms\n", info.name, info.id,
		       real, kfaas_vm_keep_name(&p, k, sizeof(k)), p.min_warm,
		       (unsigned long long)ready_ms);
	}
	return 0;
}

static int do_replace(int argc, char **argv)
{
	struct kfaas_fn_info info;
	struct kfaas_state st;
	int rc;

	REQ_ARGS(2);
	if (argc > 2)
		return p_err("unexpected argument '%s': usage: %s fn replace "
			     "NAME FILE", argv[2], bin_name);
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_replace(&st, argv[0], argv[1], &info);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output)
		json_print(fn_info_json(&info));
	else
		printf("replaced function '%s' (id %u) with %s (prog %u)\n",
		       info.name, info.id, argv[1], info.prog_id);
	return 0;
}

/* A VM-tier function: kfaasd stops its VMs and unregisters it. */
static int unload_vm(const char *name)
{
	struct kfaas_daemon d;
	struct kfaas_state st;
	int rc;

	rc = kfaas_daemon_open(&d, kfaas_pin_root(pin_root_opt));
	if (rc == 0) {
		rc = kfaas_daemon_unload(&d, name);
		kfaas_daemon_close(&d);
		return rc ? p_lib_err() : 0;
	}
	if (rc != -ENOENT && rc != -ECONNREFUSED)
		return p_lib_err();
	/* no daemon, so no VMs: the registry entry is all there is */
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_unload(&st, name);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	p_info("note: kfaasd is not running: '%s' was only unregistered", name);
	return 0;
}

static int do_unload(int argc, char **argv)
{
	struct kfaas_fn_info info;
	struct kfaas_state st;
	int rc;

	REQ_ARGS(1);
	if (argc > 1)
		return p_err("unexpected argument '%s': usage: %s fn unload NAME",
			     argv[1], bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_fn_find(&st, argv[0], &info);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (info.tier == KFAAS_TIER_VM) {
		if (unload_vm(argv[0]))
			return -1;
		if (json_output)
			json_print_ok();
		else
			printf("unloaded function '%s'\n", argv[0]);
		return 0;
	}
	if (state_open(&st, KFAAS_OPEN_LOCK))
		return -1;
	rc = kfaas_fn_unload(&st, argv[0]);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output)
		json_print_ok();
	else
		printf("unloaded function '%s'\n", argv[0]);
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct kfaas_fn_info *arr;
	struct kfaas_state st;
	size_t n, i;
	int rc;

	(void)argv;
	if (argc)
		return p_err("unexpected argument '%s': usage: %s fn list",
			     argv[0], bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_fn_list(&st, &arr, &n);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *a = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(a, fn_info_json(&arr[i]));
		json_print(a);
	} else {
		print_fn_row_header();
		for (i = 0; i < n; i++)
			print_fn_row(&arr[i]);
	}
	free(arr);
	return 0;
}

/* {"route": K, "weight": W, "total": T} */
static json_object *weight_json(const char *k, __u32 w, __u32 total)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "route", json_object_new_string(k));
	json_object_object_add(o, "weight", json_object_new_int64(w));
	json_object_object_add(o, "total", json_object_new_int64(total));
	return o;
}

/* id's weight in a split route r (versions of id added up), 0 when r is not split. */
static __u32 route_weight(const struct kfaas_route *r, __u32 id)
{
	__u32 i, w = 0;

	if (r->nver < 2)
		return 0;
	for (i = 0; i < KFAAS_ROUTE_VERSIONS && i < r->nver; i++)
		if (r->ver[i].fn_id == id)
			w += r->ver[i].weight;
	return w;
}

/* Where id is in each route's chain: place (1-based, 0 none) and length. */
struct chain_link {
	__u32 place, len;
};

static struct chain_link *chain_links(struct kfaas_state *st,
				      const struct kfaas_route_ent *r,
				      size_t n, __u32 id)
{
	struct chain_link *l = calloc(n + 1, sizeof(*l));
	size_t i;

	for (i = 0; l && i < n; i++)
		l[i].place = kfaas_chain_place(st, &r[i].val, id, &l[i].len);
	return l;
}

/* {"route": K, "place": P, "of": N}: id is the chain's Pth of N */
static json_object *link_json(const char *k, const struct chain_link *l)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "route", json_object_new_string(k));
	json_object_object_add(o, "place", json_object_new_int64(l->place));
	json_object_object_add(o, "of", json_object_new_int64(l->len));
	return o;
}

static int do_show(int argc, char **argv)
{
	struct kfaas_route_ent *routes = NULL;
	struct chain_link *cl = NULL;
	struct kfaas_fn_info f;
	struct kfaas_stats s;
	struct kfaas_state st;
	json_object *o, *ra, *wa, *ca, *lc;
	size_t n = 0, i;
	__u32 w;
	char k[96];
	int rc;

	REQ_ARGS(1);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_fn_find(&st, argv[0], &f) ?: kfaas_stats_read(&st, f.id, &s) ?:
	     kfaas_route_list(&st, &routes, &n);
	if (!rc && !(cl = chain_links(&st, routes, n, f.id)))
		rc = kfaas_err(-ENOMEM, "out of memory");
	kfaas_state_close(&st);
	if (rc) {
		free(routes);
		return p_lib_err();
	}
#define SHOWN(i) (kfaas_route_serves(&routes[i].val, f.id) || cl[i].place)
	lc = show_lifecycle_get(f.name);
	if (json_output) {
		o = fn_info_json(&f);
		ra = json_object_new_array();
		wa = json_object_new_array();
		ca = json_object_new_array();
		for (i = 0; i < n; i++) {
			if (!SHOWN(i))
				continue;
			kfaas_route_key_str(&routes[i].key, k, sizeof(k));
			json_object_array_add(ra, json_object_new_string(k));
			w = route_weight(&routes[i].val, f.id);
			if (w)
				json_object_array_add(wa, weight_json(k, w, routes[i].val.total));
			if (cl[i].place)
				json_object_array_add(ca, link_json(k, &cl[i]));
		}
		json_object_object_add(o, "routes", ra);
		json_object_object_add(o, "weights", wa);
		json_object_object_add(o, "chains", ca);
		json_object_object_add(o, "stats", stats_json(&s));
		show_lifecycle_json(o, lc);
		json_print(o);
	} else {
		print_fn_row_header();
		print_fn_row(&f);
		if (f.tier == KFAAS_TIER_VM)
			printf("vm: %u MiB, %u vCPU(s), keep-alive %s, min-warm "
			       "%u, max %u, timeout %u ms, %s, %s\n",
			       f.vm.mem_mib, f.vm.vcpus,
			       kfaas_vm_keep_name(&f.vm, k, sizeof(k)),
			       f.vm.min_warm, f.vm.max_instances, f.vm.timeout_ms,
			       f.vm.flags & KFAAS_VM_F_FRESH ?
			       "fresh (a new VM per request)" :
			       "warm VMs serve request after request",
			       f.vm.flags & KFAAS_VM_F_RESIDENT ?
			       "resident (one process per VM)" :
			       "a process per request");
		if (f.tier == KFAAS_TIER_XDP) {
			char r[16];

			kfaas_ratio_str(f.reply_ratio, r, sizeof(r));
			printf("reply ratio: %s\n", f.reply_ratio ? r :
			       "not declared (assumed to amplify)");
		}
		printf("routes:");
		for (i = 0; i < n; i++) {
			if (!SHOWN(i))
				continue;
			kfaas_route_key_str(&routes[i].key, k, sizeof(k));
			w = route_weight(&routes[i].val, f.id);
			if (w)
				printf(" [%s weight %u of %u]", k, w,
				       routes[i].val.total);
			else if (cl[i].place)
				printf(" [%s chain link %u of %u]", k,
				       cl[i].place, cl[i].len);
			else
				printf(" [%s]", k);
		}
		printf("\ninvocations %llu  throttled %llu  passed %llu  drops "
		       "%llu  errors %llu  bytes_in %llu  bytes_out %llu  "
		       "cpu_ns %llu\n",
		       (unsigned long long)s.invocations,
		       (unsigned long long)s.throttled,
		       (unsigned long long)s.passed,
		       (unsigned long long)s.drops,
		       (unsigned long long)s.errors,
		       (unsigned long long)s.bytes_in,
		       (unsigned long long)s.bytes_out,
		       (unsigned long long)s.cpu_ns);
		show_lifecycle_text(lc);
	}
	json_object_put(lc);
#undef SHOWN
	free(cl);
	free(routes);
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (help_json())
		return 0;
	fprintf(stderr,
		"Usage: %s fn load FILE NAME\n"
		"       %s fn create NAME --vm EXEC [--mem MiB] [--vcpus N]\n"
		"                 [--keep-alive auto|none|fixed:S] [--min-warm N]\n"
		"                 [--max N] [--idle-ttl S] [--timeout MS] [--fresh]\n"
		"                 [--resident]\n"
		"       %s fn replace NAME FILE\n"
		"       %s fn unload NAME\n"
		"       %s fn list\n"
		"       %s fn show NAME\n"
		"       %s fn help\n"
		"\n"
		"FILE is a BPF object built with the kfaas SDK (bpf/kfaas.h).\n"
		"replace swaps the program atomically; counters and the\n"
		"function's pinned maps are kept.\n"
		"create makes a VM-tier function run by kfaasd: EXEC is a static\n"
		"executable getting the request on stdin and writing the reply\n"
		"to stdout, run in a QEMU microVM from a pool of up to --max (4)\n"
		"VMs of --mem MiB (128, at least 96) and --vcpus (1).  What is\n"
		"kept warm between requests is the --keep-alive: auto (the\n"
		"default) learns each function's idle times and keeps a VM (or\n"
		"its snapshot template) when the next request is likely; fixed:S\n"
		"keeps a VM S seconds after each request, then nothing; none\n"
		"keeps nothing.  --min-warm (0) VMs are kept whatever the policy\n"
		"says.  --idle-ttl S is the older rule: VMs above min-warm (then\n"
		"1 by default) stop after S idle seconds (0 = never), the\n"
		"template stays.  A request running over --timeout ms (5000)\n"
		"gets an error and its VM is replaced.  show explains the\n"
		"current keep-alive decision (kfaasd).  A warm VM serves\n"
		"request after request (what one leaves in its memory or /tmp\n"
		"the next one can see); with --fresh every request gets a VM\n"
		"no other request has run in, discarded after its answer.\n"
		"By default each request runs EXEC in a new process; with\n"
		"--resident one process per VM serves request after request\n"
		"over the framed protocol of <kfaas/resident.h> (the C helper:\n"
		"kfaas_resident.h), is restarted if it crashes (that request\n"
		"gets an error) and loses its VM past --timeout.\n",
		bin_name, bin_name, bin_name, bin_name, bin_name, bin_name,
		bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "load",	do_load },
	{ "create",	do_create },
	{ "replace",	do_replace },
	{ "unload",	do_unload },
	{ "list",	do_list },
	{ "show",	do_show },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_fn(int argc, char **argv)
{
	return cmd_select(cmds, argc, argv, do_list);
}
