// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas-kv attach / detach / stats: the kv cache's server-side hooks
 * (kv_hooks.bpf.c) on the maps 'kfaas fn load' pinned for the function.
 * Everything attach makes is pinned under PINROOT/fn/NAME/ (links
 * hook_*, the hooks' own maps): 'detach' or 'kfaas fn unload' removes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kv_tool.h"
#include "kv_hooks.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

/* The function's maps the hooks share (kv_maps.h). */
static const char *const shared_maps[] = {
	"kv_cache", "kv_slots", "kv_conf", "xstats", "kv_reqs",
};
/* What attach pins besides: the hooks' own maps, links and programs. */
static const char *const hook_pins[] = {
	"hook_sockops", "hook_udp_in", "hook_udp_out", "hook_tcp_in",
	"hook_tcp_out", "hook_bind4", "hook_bind6", "kv_conns", "kv_socks",
	"kv_sk", "kv_conn_zero", "kv_udp_line", "kv_udp_mark",
};

/* How the UDP hooks tell memcached's sockets of this namespace. */
enum udp_match {
	UDP_MATCH_AUTO,		/* netns where the kernel allows it, else mark */
	UDP_MATCH_NETNS,	/* bpf_get_netns_cookie() in cgroup skb */
	UDP_MATCH_MARK,		/* socket storage marked at bind (kv_udp_mark) */
};

struct attach_opts {
	__u16	port;
	char	cgroup[512];
	__u64	max_age_ns;
	enum udp_match udp_match;
};

static void pin_path(const struct example_fn *fn, const char *name,
		     char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", fn->dir, name);
}

static int netns_cookie(__u64 *out)
{
	socklen_t len = sizeof(*out);
	int s = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (s < 0)
		return -errno;
	rc = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, out, &len) ? -errno : 0;
	close(s);
	return rc;
}

/* The cgroup v2 hierarchy's root (hybrid systems mount it elsewhere). */
static int cgroup2_root(char *buf, size_t len)
{
	char dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/mounts", "r");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int parse_opts(int argc, char **argv, struct attach_opts *o)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "udp-match", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	o->port = 11211;
	o->max_age_ns = KV_MAX_AGE_NS;
	o->cgroup[0] = '\0';
	o->udp_match = UDP_MATCH_AUTO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?')
			goto usage;
		if (c == 'u') {
			if (!strcmp(optarg, "auto"))
				o->udp_match = UDP_MATCH_AUTO;
			else if (!strcmp(optarg, "netns"))
				o->udp_match = UDP_MATCH_NETNS;
			else if (!strcmp(optarg, "mark"))
				o->udp_match = UDP_MATCH_MARK;
			else
				goto usage;
			continue;
		}
		errno = 0;
		v = c == 'c' ? 0 : strtoul(optarg, &end, 10);
		if (c != 'c' && (errno || *end || !*optarg)) {
			fprintf(stderr, KV_TOOL ": '%s' is not a number\n", optarg);
			return -1;
		}
		if (c == 'p' && v >= 1 && v <= 65535) {
			o->port = (__u16)v;
		} else if (c == 'm' && v >= 1 && v <= 86400) {
			o->max_age_ns = v * KV_NS;
		} else if (c == 'c') {
			snprintf(o->cgroup, sizeof(o->cgroup), "%s", optarg);
		} else {
usage:
			fprintf(stderr, KV_TOOL ": attach [--port 1..65535] "
				"[--cgroup DIR] [--max-age 1..86400 seconds] "
				"[--udp-match auto|netns|mark]\n");
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, KV_TOOL ": attach takes no argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (!o->cgroup[0] && cgroup2_root(o->cgroup, sizeof(o->cgroup))) {
		fprintf(stderr, KV_TOOL ": no cgroup v2 hierarchy is mounted: "
			"mount one or give --cgroup DIR\n");
		return -1;
	}
	return 0;
}

/* Detach the pinned program pin from the sockhash socks. */
static void sock_prog_detach(const struct example_fn *fn, const char *pin,
			     int socks, enum bpf_attach_type type)
{
	char path[400];
	int fd;

	pin_path(fn, pin, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0 && socks >= 0)
		bpf_prog_detach2(fd, socks, type);
	if (fd >= 0)
		close(fd);
}

/* Remove everything attach pinned; the links go with their pins. */
static void unpin_hooks(const struct example_fn *fn)
{
	char path[400];
	int socks;
	size_t i;

	pin_path(fn, "kv_socks", path, sizeof(path));
	socks = bpf_obj_get(path);
	sock_prog_detach(fn, "hook_tcp_in", socks, BPF_SK_SKB_STREAM_VERDICT);
	sock_prog_detach(fn, "hook_tcp_out", socks, BPF_SK_MSG_VERDICT);
	if (socks >= 0)
		close(socks);
	for (i = 0; i < sizeof(hook_pins) / sizeof(hook_pins[0]); i++) {
		pin_path(fn, hook_pins[i], path, sizeof(path));
		unlink(path);
	}
}

/*
 * Point the skeleton's shared maps at the function's pins, pin its own
 * (pin false: a load only to hear the verifier, its own maps unpinned).
 */
static int maps_setup(const struct example_fn *fn, struct kv_hooks_bpf *skel,
		      bool pin)
{
	struct bpf_map *map;
	char path[400];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++) {
		map = bpf_object__find_map_by_name(skel->obj, shared_maps[i]);
		fd = example_map_fd(fn, shared_maps[i]);
		if (!map || fd < 0)
			return -1;
		if (bpf_map__reuse_fd(map, fd)) {
			fprintf(stderr, KV_TOOL ": map %s does not match the "
				"function's (built from another kv.h?): reload "
				"the function\n", shared_maps[i]);
			close(fd);
			return -1;
		}
		close(fd);
	}
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (!pin || strchr(name, '.'))
			continue;
		for (i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++)
			if (!strcmp(name, shared_maps[i]))
				break;
		if (i < sizeof(shared_maps) / sizeof(shared_maps[0]))
			continue;
		pin_path(fn, name, path, sizeof(path));
		if (bpf_map__set_pin_path(map, path))
			return -1;
	}
	return 0;
}

/*
 * Holds left in kv_slots by connections of an earlier attach are stale:
 * clear them (nothing runs the hooks now).  Generations and TTL records
 * stay.
 */
static int slots_reset(const struct example_fn *fn)
{
	struct kv_slot sl;
	__u32 i;
	int fd = example_map_fd(fn, "kv_slots"), rc = 0;

	if (fd < 0)
		return -1;
	for (i = 0; i < KV_SLOTS && !rc; i++) {
		if (bpf_map_lookup_elem(fd, &i, &sl))
			rc = -errno;
		else if ((sl.pend || sl.block_until) &&
			 (sl.pend = 0, sl.block_until = 0,
			  bpf_map_update_elem(fd, &i, &sl, BPF_ANY)))
			rc = -errno;
	}
	close(fd);
	if (rc)
		fprintf(stderr, KV_TOOL ": kv_slots: %s\n", strerror(-rc));
	return rc;
}

static int link_pin(const struct example_fn *fn, struct bpf_link *link,
		    const char *name)
{
	char path[400];
	int rc;

	if (!link) {
		fprintf(stderr, KV_TOOL ": cannot attach %s: %s\n", name,
			strerror(errno));
		return -1;
	}
	pin_path(fn, name, path, sizeof(path));
	rc = bpf_link__pin(link, path);
	if (rc)
		fprintf(stderr, KV_TOOL ": cannot pin %s: %s\n", path,
			strerror(-rc));
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return rc ? -1 : 0;
}

/*
 * Run iterator prog over this network namespace: the lines it printed,
 * the lines starting with '-' in *bad, or -1.
 */
static int iter_lines(struct bpf_program *prog, int *bad)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char buf[4096];
	ssize_t n;
	int fd, lines = 0, i, bol = 1;

	*bad = 0;
	if (!link)
		return -1;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			*bad += bol && buf[i] == '-';
			bol = buf[i] == '\n';
			lines += bol;
		}
	close(fd);
	bpf_link__destroy(link);
	return n < 0 ? -1 : lines;
}

/*
 * memcached's TCP connections opened before the hooks: the number, or -1.
 * Their writes would go unseen.
 */
static int unseen_conns(struct kv_hooks_bpf *skel)
{
	int bad;

	return iter_lines(skel->progs.kv_iter_unseen, &bad);
}

/*
 * Without bpf_get_netns_cookie() in cgroup skb programs: memcached's UDP
 * sockets are marked, those bound from now on by the post_bind hooks,
 * those bound already by kv_iter_udp (after the hooks: none is missed).
 */
static int udp_mark_attach(const struct example_fn *fn,
			   struct kv_hooks_bpf *skel, int cg)
{
	int n, bad;

	if (link_pin(fn, bpf_program__attach_cgroup(skel->progs.kv_udp_bind4, cg),
		     "hook_bind4") ||
	    link_pin(fn, bpf_program__attach_cgroup(skel->progs.kv_udp_bind6, cg),
		     "hook_bind6"))
		return -1;
	n = iter_lines(skel->progs.kv_iter_udp, &bad);
	if (n < 0 || bad) {
		fprintf(stderr, KV_TOOL ": cannot mark memcached's UDP "
			"sockets: %s\n", n < 0 ? strerror(errno) :
			"socket storage full");
		return -1;
	}
	return 0;
}

/* Attach everything; conf armed with the attach hold (pend_global 1). */
static int hooks_attach(const struct example_fn *fn, struct kv_hooks_bpf *skel,
			const struct attach_opts *o)
{
	int socks = bpf_map__fd(skel->maps.kv_socks), cg, rc;
	char path[400];

	pin_path(fn, "hook_tcp_in", path, sizeof(path));
	rc = bpf_program__pin(skel->progs.kv_tcp_in, path);
	pin_path(fn, "hook_tcp_out", path, sizeof(path));
	rc = rc ?: bpf_program__pin(skel->progs.kv_tcp_out, path);
	if (rc ||
	    bpf_prog_attach(bpf_program__fd(skel->progs.kv_tcp_in), socks,
			    BPF_SK_SKB_STREAM_VERDICT, 0) ||
	    bpf_prog_attach(bpf_program__fd(skel->progs.kv_tcp_out), socks,
			    BPF_SK_MSG_VERDICT, 0)) {
		fprintf(stderr, KV_TOOL ": cannot attach the TCP hooks: %s\n",
			strerror(errno));
		return -1;
	}
	cg = open(o->cgroup, O_RDONLY | O_DIRECTORY);
	if (cg < 0) {
		fprintf(stderr, KV_TOOL ": cgroup %s: %s\n", o->cgroup,
			strerror(errno));
		return -1;
	}
	rc = (skel->rodata->kv_skb_netns ? 0 : udp_mark_attach(fn, skel, cg)) ?:
	     link_pin(fn, bpf_program__attach_cgroup(skel->progs.kv_udp_in, cg),
		      "hook_udp_in") ?:
	     link_pin(fn, bpf_program__attach_cgroup(skel->progs.kv_udp_out, cg),
		      "hook_udp_out") ?:
	     link_pin(fn, bpf_program__attach_cgroup(skel->progs.kv_sockops, cg),
		      "hook_sockops");
	close(cg);
	return rc;
}

#define KV_VLOG_SIZE	(1 << 20)

/*
 * One verifier log per program (libbpf asks for one only when a load
 * fails): the failed program is the one with a log.
 */
struct hook_logs {
	struct bpf_program *prog[16];
	char *buf[16];
	int n;
};

static int hook_logs_set(struct hook_logs *l, struct kv_hooks_bpf *skel)
{
	struct bpf_program *prog;

	l->n = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		if (l->n == 16)
			return -1;
		l->buf[l->n] = calloc(1, KV_VLOG_SIZE);
		if (!l->buf[l->n])
			return -1;
		l->prog[l->n] = prog;
		bpf_program__set_log_buf(prog, l->buf[l->n], KV_VLOG_SIZE);
		l->n++;
	}
	return 0;
}

static void hook_logs_free(struct hook_logs *l)
{
	while (l->n > 0)
		free(l->buf[--l->n]);
}

/* The end of a verifier log, in 2 KiB at most. */
static void vlog_print(const char *what, const char *log)
{
	size_t n = strlen(log);
	const char *p = n > 2048 ? strchr(log + n - 2048, '\n') : log;

	if (p && *p)
		fprintf(stderr, "-- verifier log of %s (tail) --\n%s%s-- end of "
			"verifier log --\n", what, p + (p != log),
			n && log[n - 1] != '\n' ? "\n" : "");
}

/*
 * What the verifier said when it refused a hook: the end of its log.
 * A kernel before 6.4 keeps a log's beginning when it outgrows the
 * buffer (and fails the load with ENOSPC): the program is then loaded
 * again alone with only the verifier's statistics and error asked for
 * (BPF_LOG_STATS), whose end is the reason.
 */
static void vlog_report(const struct hook_logs *l, const struct example_fn *fn,
			int skb_netns)
{
	struct kv_hooks_bpf *again;
	struct bpf_program *prog;
	const char *name;
	int i;

	for (i = 0; i < l->n && !l->buf[i][0]; i++)
		;
	if (i == l->n)
		return;
	name = bpf_program__name(l->prog[i]);
	if (strlen(l->buf[i]) < KV_VLOG_SIZE - 1) {
		vlog_print(name, l->buf[i]);
		return;
	}
	fprintf(stderr, KV_TOOL ": %s's verifier log is over %d KiB; its "
		"error, from a load of %s alone with statistics only:\n",
		name, KV_VLOG_SIZE >> 10, name);
	again = kv_hooks_bpf__open();
	if (!again || maps_setup(fn, again, false))
		goto out;
	again->rodata->kv_skb_netns = skb_netns;
	l->buf[i][0] = '\0';
	bpf_object__for_each_program(prog, again->obj) {
		bool it = !strcmp(bpf_program__name(prog), name);

		bpf_program__set_autoload(prog, it);
		if (it) {
			bpf_program__set_log_buf(prog, l->buf[i], KV_VLOG_SIZE);
			bpf_program__set_log_level(prog, 4);	/* BPF_LOG_STATS */
		}
	}
	if (kv_hooks_bpf__load(again))
		vlog_print(name, l->buf[i]);
	else
		fprintf(stderr, "(it loads alone: the whole object is too "
			"much for this kernel)\n");
out:
	kv_hooks_bpf__destroy(again);
}

/*
 * How the UDP hooks tell memcached's sockets of this namespace: 1 by
 * bpf_get_netns_cookie(), which cgroup skb programs may call from kernel
 * 6.x on but not on 6.1 (probed, never guessed from the version), 0 by
 * the mark the post_bind hooks put on them.
 */
static int udp_match_netns(enum udp_match m)
{
	if (m != UDP_MATCH_AUTO)
		return m == UDP_MATCH_NETNS;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB,
				       BPF_FUNC_get_netns_cookie, NULL) == 1;
}

/* Load the hooks with the mechanism skb_netns says. */
static int hooks_load(const struct example_fn *fn, struct kv_hooks_bpf *skel,
		      int skb_netns)
{
	struct hook_logs logs = {};
	int rc;

	skel->rodata->kv_skb_netns = skb_netns;
	if (skb_netns) {
		bpf_program__set_autoload(skel->progs.kv_udp_bind4, false);
		bpf_program__set_autoload(skel->progs.kv_udp_bind6, false);
		bpf_program__set_autoload(skel->progs.kv_iter_udp, false);
	}
	if (hook_logs_set(&logs, skel) || maps_setup(fn, skel, true)) {
		hook_logs_free(&logs);
		return -1;
	}
	rc = kv_hooks_bpf__load(skel);
	if (rc) {
		fprintf(stderr, KV_TOOL ": cannot load the hooks: %s; nothing "
			"was changed\n", strerror(-rc));
		vlog_report(&logs, fn, skb_netns);
	}
	hook_logs_free(&logs);
	return rc ? -1 : 0;
}

int kv_attach(const struct example_fn *fn, int argc, char **argv)
{
	struct kv_hooks_bpf *skel = NULL;
	struct kv_conf *conf;
	struct attach_opts o;
	__u64 netns;
	char path[400];
	int rc = -1, n, skb_netns;

	if (parse_opts(argc, argv, &o))
		return -1;
	conf = kv_conf_map(fn);
	if (!conf) {
		fprintf(stderr, KV_TOOL ": function '%s' has no kv_conf map: "
			"attach works on the kv cache (kfaas fn load kv.bpf.o "
			"%s)\n", fn->name, fn->name);
		return -1;
	}
	pin_path(fn, "hook_sockops", path, sizeof(path));
	if (conf->armed || access(path, F_OK) == 0) {
		fprintf(stderr, KV_TOOL ": '%s' is already attached: '" KV_TOOL
			" detach' first\n", fn->name);
		goto out;
	}
	if (netns_cookie(&netns)) {
		fprintf(stderr, KV_TOOL ": cannot read this network "
			"namespace's cookie: %s\n", strerror(errno));
		goto out;
	}
	unpin_hooks(fn);		/* leftovers of an attach that died */
	skb_netns = udp_match_netns(o.udp_match);
	skel = kv_hooks_bpf__open();
	if (!skel) {
		fprintf(stderr, KV_TOOL ": cannot open the hooks: %s\n",
			strerror(errno));
		goto out;
	}
	if (hooks_load(fn, skel, skb_netns))
		goto out;
	if (slots_reset(fn))
		goto out;
	conf->port = o.port;
	conf->netns_cookie = netns;
	conf->max_age_ns = o.max_age_ns;
	conf->deny_until = 0;
	/* the attach hold: no fill until the connections are checked */
	__atomic_store_n(&conf->pend_global, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&conf->epoch, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&conf->armed, 1, __ATOMIC_SEQ_CST);
	if (hooks_attach(fn, skel, &o))
		goto undo;
	n = unseen_conns(skel);
	if (n != 0) {
		if (n < 0)
			fprintf(stderr, KV_TOOL ": cannot list memcached's "
				"connections: %s\n", strerror(errno));
		else
			fprintf(stderr, KV_TOOL ": memcached has %d TCP "
				"connection(s) on port %u opened before the "
				"hooks: their writes would go unseen; close them "
				"(restart its clients) and attach again\n", n,
				o.port);
		goto undo;
	}
	__atomic_fetch_sub(&conf->pend_global, 1, __ATOMIC_SEQ_CST);
	printf("attached to port %u: memcached's UDP sockets known by %s\n",
	       o.port, skb_netns ? "their network namespace (bpf_get_netns_cookie)" :
	       "a mark put on them at bind (this kernel's cgroup skb programs "
	       "cannot call bpf_get_netns_cookie)");
	rc = 0;
	goto out;
undo:
	__atomic_store_n(&conf->armed, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&conf->epoch, 1, __ATOMIC_SEQ_CST);
	unpin_hooks(fn);
out:
	kv_hooks_bpf__destroy(skel);
	kv_conf_unmap(conf);
	return rc;
}

int kv_detach(const struct example_fn *fn)
{
	struct kv_conf *conf = kv_conf_map(fn);
	char path[400];
	int attached;

	if (!conf) {
		fprintf(stderr, KV_TOOL ": function '%s' has no kv_conf map: "
			"not the kv cache\n", fn->name);
		return -1;
	}
	pin_path(fn, "hook_sockops", path, sizeof(path));
	attached = conf->armed || access(path, F_OK) == 0;
	/* entries die first, then the hooks that kept them right go */
	__atomic_store_n(&conf->armed, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&conf->epoch, 1, __ATOMIC_SEQ_CST);
	unpin_hooks(fn);
	kv_conf_unmap(conf);
	if (!attached) {
		fprintf(stderr, KV_TOOL ": '%s' is not attached\n", fn->name);
		return -1;
	}
	return 0;
}

/* The counters summed over CPUs, and the cache's state. */
int kv_stats(const struct example_fn *fn)
{
	int ncpu = libbpf_num_possible_cpus(), fd, slots_fd, i, rc = -1;
	struct kv_conf *conf = kv_conf_map(fn);
	struct kv_xstats *per = NULL, sum = {};
	struct kv_key k, next;
	struct kv_value v;
	struct kv_slot sl;
	__u64 now = kv_now_ns(), entries = 0, valid = 0;
	__u32 zero = 0;
	void *prev = NULL;

	if (!conf) {
		fprintf(stderr, KV_TOOL ": function '%s' has no kv_conf map: "
			"not the kv cache\n", fn->name);
		return -1;
	}
	fd = example_map_fd(fn, "xstats");
	if (fd < 0 || ncpu <= 0)
		goto out;
	per = calloc(ncpu, sizeof(*per));
	if (!per || bpf_map_lookup_elem(fd, &zero, per))
		goto out;
	for (i = 0; i < ncpu; i++) {
#define F(x) sum.x += per[i].x
		F(hits); F(misses); F(fills); F(fill_races); F(invalidations);
		F(flushes); F(conservative); F(expired); F(lost_conns);
#undef F
	}
	close(fd);
	fd = example_map_fd(fn, "kv_cache");
	slots_fd = example_map_fd(fn, "kv_slots");
	while (fd >= 0 && slots_fd >= 0 &&
	       bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		entries++;
		valid += bpf_map_lookup_elem(slots_fd, &v.slot, &sl) == 0 &&
			 v.epoch == conf->epoch && v.gen == sl.gen &&
			 now < v.expires;
	}
	if (slots_fd >= 0)
		close(slots_fd);
	printf("attached %s\nport %u\nmax_age_s %llu\nentries %llu\nvalid %llu\n",
	       conf->armed ? "yes" : "no", conf->port,
	       (unsigned long long)(conf->max_age_ns / KV_NS),
	       (unsigned long long)entries, (unsigned long long)valid);
#define P(x) printf(#x " %llu\n", (unsigned long long)sum.x)
	P(hits); P(misses); P(fills); P(fill_races); P(invalidations);
	P(flushes); P(conservative); P(expired); P(lost_conns);
#undef P
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(per);
	kv_conf_unmap(conf);
	return rc;
}
