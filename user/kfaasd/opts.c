// SPDX-License-Identifier: GPL-2.0
/*
 * kfaasd's command line.  One table, options[], says for every option its
 * long name (and short one), what kind of argument it takes, where the
 * value goes, its bounds and its help line; getopt_long()'s option list,
 * the checks with their errors and the usage text are all made from it.
 * Adding an option is one line of the table (and a field of struct
 * kfaasd_opts); docs/kfaasd.md describes them for users.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kfaasd.h"
#include <kfaas_cluster.h>

#ifndef KFAAS_VM_DIR_DEFAULT
#define KFAAS_VM_DIR_DEFAULT "/usr/lib/kfaas/vm"
#endif

struct kfaasd_opts opts = {
	.cache_dir = "/var/cache/kfaasd",
	.qemu = "qemu-system-x86_64",
	.accel = ACCEL_AUTO,
	.snapshot = true,
	.drop_privs = true,
	.uid_base = 1801846784,	/* 0x6b660000 "kf": far from real users */
	.queue_max = 16,
	.max_conns = 1024,
	.max_request = 1 << 20,
	.max_response = 1 << 20,
	.boot_timeout_ms = 30000,
	.probe_timeout_ms = 8000,
	.tcp_timeout_ms = 10000,
	.refresh_ms = 2000,
	.conf_path = KFAASD_CONF_DEFAULT,
	.sk = true,
	.hist_bin_ms = KFAAS_LC_BIN_MS_DEFAULT,
	.hist_bins = KFAAS_LC_NBINS_DEFAULT,
	.sample_ms = 1000,
	.cost_step_s = 60,
	.lease_ttl_s = 10,
	.stats_ms = 2000,
};

enum opt_kind {
	OPT_STR,	/* const char *: the argument */
	OPT_UINT,	/* unsigned int, from min to max */
	OPT_SIZE,	/* size_t, from min to max */
	OPT_WORD,	/* int: the index of the argument in words[] */
	OPT_FALSE,	/* bool set to false, no argument */
	OPT_COUNT,	/* int counting how often the option is given */
	OPT_LABEL,	/* struct kfaas_labels: KEY=VALUE added */
	OPT_VERSION,	/* print the version and exit */
	OPT_HELP,	/* print the usage and exit */
};

struct kfaasd_option {
	const char	*name;		/* --name */
	char		short_name;	/* -c, or 0 */
	enum opt_kind	kind;
	void		*where;		/* the value (of the kind's type) */
	const char	*arg;		/* the argument in the usage; NULL: none */
	unsigned long long min, max;	/* OPT_UINT, OPT_SIZE */
	const char	*too_small;	/* the error below min: "--name ..." */
	const char	*const *words;	/* OPT_WORD: NULL-terminated */
	const char	*none;		/* OPT_STR: this word sets NULL */
	bool		show;		/* the usage shows the value (the default) */
	const char	*help;
};

static const char *const accel_words[] = {
	[ACCEL_AUTO] = "auto", [ACCEL_PROBE] = "probe", [ACCEL_KVM] = "kvm",
	[ACCEL_TCG] = "tcg", NULL,
};
static const char *run_dir_arg;		/* --run-dir, else $KFAAS_RUN_DIR */

#define MS_MAX		3600000		/* one hour */
#define MS_MIN		10, MS_MAX, "must be at least 10 ms"
/* the uids QEMU may run as: below the kernel's overflow uid range */
#define UID_BASE_MAX	(0xfffff000ULL - KFAAS_MAX_FUNCS)
#define PAYLOAD_MAX	(KFAAS_AGENT_MAX_PAYLOAD - 4096ULL)

static const struct kfaasd_option options[] = {
	{ "pin-root", 0, OPT_STR, &opts.pin_root, "DIR",
	  .help = "kfaas pin root ($KFAAS_PIN_ROOT, " KFAAS_PIN_ROOT_DEFAULT ")" },
	{ "run-dir", 0, OPT_STR, &run_dir_arg, "DIR",
	  .help = "run directory ($KFAAS_RUN_DIR, derived from the pin root: "
		  "/run/kfaasd for the default one)" },
	{ "cache-dir", 0, OPT_STR, &opts.cache_dir, "DIR", .show = true,
	  .help = "unpacked kernels, accelerator probe" },
	{ "kernel", 0, OPT_STR, &opts.kernel, "FILE",
	  .help = "guest kernel, vmlinux or bzImage (default: "
		  "/boot/vmlinuz-KVER of the guest image)" },
	{ "initramfs", 0, OPT_STR, &opts.initramfs, "FILE",
	  .help = "guest base image (" KFAAS_VM_DIR_DEFAULT "/guest.cpio)" },
	{ "qemu", 0, OPT_STR, &opts.qemu, "FILE", .show = true,
	  .help = "QEMU binary" },
	{ "accel", 0, OPT_WORD, &opts.accel, "MODE", .words = accel_words,
	  .show = true, .help = "auto, probe, kvm or tcg" },
	{ "no-snapshot", 0, OPT_FALSE, &opts.snapshot,
	  .help = "boot every VM cold instead of cloning a template" },
	{ "vm-uid-base", 0, OPT_UINT, &opts.uid_base, "N", 1, UID_BASE_MAX,
	  "0 would run QEMU as root: use --vm-as-root if you mean it",
	  .show = true, .help = "QEMU of function id I runs as uid N+I" },
	{ "vm-as-root", 0, OPT_FALSE, &opts.drop_privs,
	  .help = "do not drop QEMU's privileges (debugging only)" },
	{ "queue", 0, OPT_UINT, &opts.queue_max, "N", 0, 100000, .show = true,
	  .help = "waiting requests per function" },
	{ "max-request", 0, OPT_SIZE, &opts.max_request, "BYTES", 0,
	  PAYLOAD_MAX, .show = true, .help = "largest request" },
	{ "max-response", 0, OPT_SIZE, &opts.max_response, "BYTES", 0,
	  PAYLOAD_MAX, .show = true,
	  .help = "largest response (the function's stdout)" },
	{ "boot-timeout", 0, OPT_UINT, &opts.boot_timeout_ms, "MS", MS_MIN,
	  .show = true, .help = "time a VM has to boot" },
	{ "probe-timeout", 0, OPT_UINT, &opts.probe_timeout_ms, "MS", MS_MIN,
	  .show = true, .help = "time the accelerator's probe boot has" },
	{ "tcp-timeout", 0, OPT_UINT, &opts.tcp_timeout_ms, "MS", MS_MIN,
	  .show = true, .help = "time a TCP client has to send its request" },
	{ "max-conns", 0, OPT_UINT, &opts.max_conns, "N", 1, 1000000,
	  "must be at least 1", .show = true,
	  .help = "TCP clients served at once; more are closed at accept" },
	{ "refresh", 0, OPT_UINT, &opts.refresh_ms, "MS", MS_MIN, .show = true,
	  .help = "re-read routes and registry this often" },
	{ "no-sk", 0, OPT_FALSE, &opts.sk,
	  .help = "leave the socket tier's listener to 'kfaas sk serve'" },
	{ "metrics", 0, OPT_STR, &opts.metrics, "[ADDR:]PORT",
	  .help = "serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR "
		  "default 127.0.0.1)" },
	{ "config", 0, OPT_STR, &opts.conf_path, "FILE", .none = "none",
	  .show = true, .help = "kfaas.conf(5) applied at start and on SIGHUP, "
				"when it exists ('none': no file)" },
	{ "mem-limit", 0, OPT_UINT, &opts.mem_limit_mib, "MIB", 0, 1U << 30,
	  .show = true, .help = "memory of all warm VMs and templates together "
				"(measured; 0: no limit); under it they are "
				"given up by value" },
	{ "hist-bin", 0, OPT_UINT, &opts.hist_bin_ms, "MS", 1, 86400000,
	  "must be at least 1 ms", .show = true,
	  .help = "arrival histograms: bin width" },
	{ "hist-bins", 0, OPT_UINT, &opts.hist_bins, "N", 1,
	  KFAAS_LC_NBINS_MAX, "must be at least 1", .show = true,
	  .help = "arrival histograms: bins (the range is bins x bin width)" },
	{ "sample", 0, OPT_UINT, &opts.sample_ms, "MS", 10, MS_MAX,
	  "must be at least 10 ms", .show = true,
	  .help = "read the eBPF tiers' accounting (their arrivals) and every "
		  "VM's memory this often" },
	{ "cost-step", 0, OPT_UINT, &opts.cost_step_s, "S", 1, 86400,
	  "must be at least 1 s", .show = true,
	  .help = "the cost history keeps a point this often (1440 kept, "
		  "for kfaas cost --since)" },
	{ "cluster", 0, OPT_STR, &opts.cluster, "ENDPOINTS",
	  .help = "join a cluster: etcd endpoints (https://HOST:2379,...), "
		  "docs/cluster.md" },
	{ "etcd-ca", 0, OPT_STR, &opts.etcd_ca, "FILE",
	  .help = "PEM CA of the etcd members" },
	{ "etcd-cert", 0, OPT_STR, &opts.etcd_cert, "FILE",
	  .help = "PEM client certificate for etcd" },
	{ "etcd-key", 0, OPT_STR, &opts.etcd_key, "FILE",
	  .help = "its key" },
	{ "cluster-prefix", 0, OPT_STR, &opts.cluster_prefix, "PREFIX",
	  .help = "etcd key prefix (" KFAAS_CLUSTER_PREFIX_DEFAULT ")" },
	{ "node", 0, OPT_STR, &opts.node, "NAME",
	  .help = "this node's name in the cluster (the host name)" },
	{ "node-addr", 0, OPT_STR, &opts.node_addr, "ADDR",
	  .help = "the address it serves on, shown by 'kfaas cluster status'" },
	{ "label", 0, OPT_LABEL, &opts.labels, "KEY=VALUE",
	  .help = "a node label that selectors match (repeat for more)" },
	{ "node-mem", 0, OPT_UINT, &opts.node_mem_mib, "MIB", 0, 1U << 30,
	  .help = "memory VM-tier functions may be placed in (MemTotal)" },
	{ "node-cpus", 0, OPT_UINT, &opts.node_cpus, "N", 0, 65536,
	  .help = "CPUs they may be placed on (the online CPUs)" },
	{ "lease-ttl", 0, OPT_UINT, &opts.lease_ttl_s, "S", 2, 3600,
	  "must be at least 2 s", .show = true,
	  .help = "the node's lease: it is dead this long after its last "
		  "renewal" },
	{ "artifact-dir", 0, OPT_STR, &opts.artifact_dir, "DIR",
	  .help = "where fetched artifacts are kept, verified (CACHE-DIR/"
		  "artifacts)" },
	{ "stats-interval", 0, OPT_UINT, &opts.stats_ms, "MS", 100, MS_MAX,
	  "must be at least 100 ms", .show = true,
	  .help = "publish the counters this often" },
	{ "tsc-khz", 0, OPT_UINT, &opts.tsc_khz, "N", 0, 100000000,
	  .help = "host TSC frequency for the guest (default: measured)" },
	{ "verbose", 'v', OPT_COUNT, &opts.verbose,
	  .help = "more messages (twice: QEMU command lines, console)" },
	{ "version", 'V', OPT_VERSION, .help = "print the version" },
	{ "help", 'h', OPT_HELP, .help = "this text" },
};
#define N_OPTIONS	(sizeof(options) / sizeof(options[0]))

/* ---- usage ------------------------------------------------------------ */

#define HELP_COL	23
#define LINE_MAX_COLS	78

/* The words of s from column col on, wrapped at HELP_COL. */
static void print_wrapped(FILE *f, const char *s, int col)
{
	bool first = true;

	while (*s) {
		size_t w = strcspn(s, " ");

		if (!first && col + 1 + (int)w > LINE_MAX_COLS)
			col = fprintf(f, "\n%*s", HELP_COL, "") - 1;
		else if (!first)
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", (int)w, s);
		first = false;
		s += w;
		s += strspn(s, " ");
	}
}

/* The help line, with the value the option has now when it shows it. */
static void print_help(FILE *f, const struct kfaasd_option *o, int col)
{
	char text[400];
	const char *str;

	snprintf(text, sizeof(text), "%s", o->help);
	if (o->show && o->kind == OPT_UINT)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " (%u)", *(unsigned int *)o->where);
	if (o->show && o->kind == OPT_SIZE)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " (%zu)", *(size_t *)o->where);
	str = o->kind == OPT_STR ? *(const char **)o->where :
	      o->kind == OPT_WORD ? o->words[*(int *)o->where] : NULL;
	if (o->show && str)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " (%s)", str);
	print_wrapped(f, text, col);
	fputc('\n', f);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: kfaasd [OPTIONS]\n"
		"Runs kfaas VM-tier functions in QEMU microVMs and serves their "
		"routes.\n\n");
	for (i = 0; i < N_OPTIONS; i++) {
		const struct kfaasd_option *o = &options[i];
		int col;

		if (o->short_name)
			col = fprintf(f, "  -%c, --%s", o->short_name, o->name);
		else
			col = fprintf(f, "  --%s", o->name);
		if (o->arg)
			col += fprintf(f, " %s", o->arg);
		col += fprintf(f, "%*s", col < HELP_COL - 1 ? HELP_COL - col : 2, "");
		print_help(f, o, col);
	}
}

/* ---- values ----------------------------------------------------------- */

static int bad_number(const struct kfaasd_option *o, const char *s,
		      unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || *out > o->max) {
		fprintf(stderr, "kfaasd: bad value '%s' for --%s: expected a "
			"number from 0 to %llu\n", s, o->name, o->max);
		return -1;
	}
	if (*out < o->min) {
		fprintf(stderr, "kfaasd: --%s %s\n", o->name, o->too_small);
		return -1;
	}
	return 0;
}

static int bad_word(const struct kfaasd_option *o, const char *s)
{
	size_t i;

	for (i = 0; o->words[i]; i++)
		if (!strcmp(s, o->words[i])) {
			*(int *)o->where = (int)i;
			return 0;
		}
	fprintf(stderr, "kfaasd: bad --%s '%s': use ", o->name, s);
	for (i = 0; o->words[i]; i++)
		fprintf(stderr, "%s%s", i == 0 ? "" : o->words[i + 1] ? ", " :
			" or ", o->words[i]);
	fputc('\n', stderr);
	return -1;
}

/* Take option o with argument arg (NULL when it has none): 0 or -1. */
static int option_apply(const struct kfaasd_option *o, const char *arg)
{
	unsigned long long v;

	switch (o->kind) {
	case OPT_STR:
		*(const char **)o->where = o->none && !strcmp(arg, o->none) ?
					   NULL : arg;
		return 0;
	case OPT_UINT:
		if (bad_number(o, arg, &v))
			return -1;
		*(unsigned int *)o->where = (unsigned int)v;
		return 0;
	case OPT_SIZE:
		if (bad_number(o, arg, &v))
			return -1;
		*(size_t *)o->where = (size_t)v;
		return 0;
	case OPT_WORD:
		return bad_word(o, arg);
	case OPT_FALSE:
		*(bool *)o->where = false;
		return 0;
	case OPT_COUNT:
		(*(int *)o->where)++;
		return 0;
	case OPT_LABEL:
		if (!kfaas_labels_parse(o->where, arg))
			return 0;
		fprintf(stderr, "kfaasd: --%s: %s\n", o->name, kfaas_errmsg());
		return -1;
	case OPT_VERSION:
		printf("kfaasd v%s (ABI %d)\n", KFAAS_VERSION, KFAAS_ABI_VERSION);
		exit(0);
	case OPT_HELP:
		usage(stdout);
		exit(0);
	}
	return -1;
}

/* ---- what the options leave open --------------------------------------- */

static int run_dir_setup(void)
{
	const char *dir = run_dir_arg ? run_dir_arg : getenv(KFAAS_RUN_DIR_ENV);

	if (dir && *dir) {
		if (strlen(dir) >= sizeof(opts.run_dir)) {
			fprintf(stderr, "kfaasd: --run-dir is too long\n");
			return -1;
		}
		snprintf(opts.run_dir, sizeof(opts.run_dir), "%s", dir);
	} else if (kfaas_run_dir(opts.pin_root, opts.run_dir,
				 sizeof(opts.run_dir))) {
		fprintf(stderr, "kfaasd: %s\n", kfaas_errmsg());
		return -1;
	}
	if (opts.run_dir[0] != '/') {
		fprintf(stderr, "kfaasd: the run directory must be absolute\n");
		return -1;
	}
	return 0;
}

/* Installed: PREFIX/sbin/kfaasd and PREFIX/lib/kfaas/vm/guest.cpio; else
 * the build's. */
static const char *initramfs_default(void)
{
	static char buf[512];
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(buf, sizeof(buf), "%s/guest.cpio", KFAAS_VM_DIR_DEFAULT);
	if (n <= 0)
		return buf;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return buf;
	*slash = '\0';
	if (snprintf(buf, sizeof(buf), "%s/../lib/kfaas/vm/guest.cpio", exe) >=
	    (int)sizeof(buf) || access(buf, R_OK))
		snprintf(buf, sizeof(buf), "%s/guest.cpio", KFAAS_VM_DIR_DEFAULT);
	return buf;
}

/* The cluster's options go together. */
static int cluster_opts_check(void)
{
	static char host[KFAAS_NODE_LEN];

	if (!opts.cluster) {
		if (opts.etcd_ca || opts.etcd_cert || opts.node || opts.labels.n) {
			fprintf(stderr, "kfaasd: --etcd-*, --node and --label "
				"need --cluster\n");
			return -1;
		}
		return 0;
	}
	if (!!opts.etcd_cert != !!opts.etcd_key) {
		fprintf(stderr, "kfaasd: --etcd-cert and --etcd-key go together\n");
		return -1;
	}
	/* the desired state is the cluster's, not a local file's */
	opts.conf_path = NULL;
	if (!opts.node) {
		gethostname(host, sizeof(host) - 1);
		opts.node = host;
	}
	if (!*opts.node || strlen(opts.node) >= KFAAS_NODE_LEN ||
	    strchr(opts.node, '/')) {
		fprintf(stderr, "kfaasd: --node '%s': 1 to %d characters, no '/'\n",
			opts.node, KFAAS_NODE_LEN - 1);
		return -1;
	}
	return 0;
}

int opts_parse(int argc, char **argv)
{
	struct option longopts[N_OPTIONS + 1] = { { 0 } };
	char shortopts[N_OPTIONS + 1] = "";
	size_t i, ns = 0;
	int c;

	for (i = 0; i < N_OPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = options[i].arg ? required_argument :
						       no_argument;
		longopts[i].val = options[i].short_name ? options[i].short_name :
				  256 + (int)i;
		if (options[i].short_name)
			shortopts[ns++] = options[i].short_name;
	}
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct kfaasd_option *o = NULL;

		for (i = 0; i < N_OPTIONS && !o; i++)
			if (longopts[i].val == c)
				o = &options[i];
		if (!o) {
			fprintf(stderr, "kfaasd: see 'kfaasd --help'\n");
			return -1;
		}
		if (option_apply(o, optarg))
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "kfaasd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	opts.pin_root = kfaas_pin_root(opts.pin_root);
	if (run_dir_setup())
		return -1;
	if (!opts.initramfs)
		opts.initramfs = initramfs_default();
	return cluster_opts_check();
}
