// SPDX-License-Identifier: GPL-2.0
/*
 * The pinned kfaas state under a pin root:
 *
 *   PINROOT/            bpffs directory, mode 0700, flock()ed by writers
 *     dispatcher        the XDP dispatcher program (pinned last: the
 *                       state exists once this pin exists)
 *     routes port_routes funcs progs stats ustats budgets guard loop_ports guard_stats
 *     dstats scratch config sk_* logs log_state
 *                       the shared maps of bpf/kfaas_maps.h
 *     log_reader/       locked by the one reader of the log ring (logs_ring.c)
 *     sk_dispatch       the socket-tier dispatcher (sk.c), once needed
 *     sk/               locked by the socket-tier listener (sk_server.c)
 *     fn/NAME/prog      each eBPF function's program
 *     fn/NAME/MAP       each eBPF function's private maps
 *     net/NETNS-IFINDEX the XDP link of each attached interface
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"
#include "dispatcher.skel.h"

#define KFAAS_BPFFS	"/sys/fs/bpf"

static int is_bpffs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -errno;
	return sfs.f_type == BPF_FS_MAGIC;
}

/* The pin root is on bpffs (made when create, *made then says so). */
static int check_root(const char *root, bool create, bool *made)
{
	char parent[KFAAS_PIN_ROOT_MAX];
	char *slash;
	int rc;

	if (root[0] != '/')
		return kfaas_err(-EINVAL, "pin root '%s' must be an absolute path "
				 "under a bpffs mount (default %s)", root,
				 KFAAS_PIN_ROOT_DEFAULT);
	rc = is_bpffs(root);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return kfaas_err(-EINVAL, "pin root %s is not on a BPF filesystem: "
				 "mount one with 'mount -t bpf bpf %s' or pick "
				 "another --pin-root", root, root);
	if (rc != -ENOENT)
		return kfaas__errno_msg(rc, root);
	if (!create)
		return kfaas_err(-ENOENT, "no kfaas state at %s: load a function "
				 "first ('kfaas fn load FILE NAME') or check "
				 "--pin-root/$%s", root, KFAAS_PIN_ROOT_ENV);
	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = is_bpffs(parent);
	if (rc == 0 && !strcmp(parent, KFAAS_BPFFS)) {
		/* like bpftool: mount the standard bpffs when it is missing */
		if (mount("bpf", KFAAS_BPFFS, "bpf", 0, "mode=0700"))
			return kfaas__errno_msg(-errno, "cannot mount bpffs on "
						KFAAS_BPFFS);
		rc = is_bpffs(parent);
	}
	if (rc == 1) {
		if (mkdir(root, 0700) == 0)
			*made = true;
		else if (errno != EEXIST)
			return kfaas__errno_msg(-errno, root);
		return 0;
	}
	if (rc == 0 || rc == -ENOENT)
		return kfaas_err(-ENOENT, "cannot create pin root %s: %s is not "
				 "a BPF filesystem; mount one with 'mount -t bpf "
				 "bpf /sys/fs/bpf' or pick another --pin-root",
				 root, parent);
	return kfaas__errno_msg(rc, parent);
}

/* The dispatcher program loaded: with kfaas.ko's kfuncs or without. */
static struct bpf_program *dispatcher_prog(struct dispatcher_bpf *skel)
{
	return bpf_program__autoload(skel->progs.kfaas_dispatch_km) ?
	       skel->progs.kfaas_dispatch_km : skel->progs.kfaas_dispatch;
}

/*
 * Open and load the dispatcher with its shared maps pointed at the pins
 * (created there when missing), in the variant that uses kfaas.ko when
 * the module is there (bpf/kfaas_kfuncs.h).
 */
static int dispatcher_load(struct kfaas_state *st, struct dispatcher_bpf **out)
{
	struct dispatcher_bpf *skel;
	int rc;

	LIBBPF_OPTS(bpf_object_open_opts, oo);
	char *log = calloc(1, KFAAS_VLOG_SIZE);

	*out = NULL;
	if (!log)
		return kfaas_err(-ENOMEM, "out of memory");
	oo.kernel_log_buf = log;
	oo.kernel_log_size = KFAAS_VLOG_SIZE;
	skel = dispatcher_bpf__open_opts(&oo);
	if (!skel) {
		free(log);
		return kfaas__errno_msg(-errno, "cannot open the dispatcher object");
	}
	rc = kfaas__pin_shared_maps(st, skel->obj);
	if (rc)
		goto out;
	bpf_program__set_autoload(skel->progs.kfaas_dispatch, !kfaas_module_flag());
	bpf_program__set_autoload(skel->progs.kfaas_dispatch_km, kfaas_module_flag());
	rc = dispatcher_bpf__load(skel);
	if (rc) {
		kfaas__set_verifier_log(log);
		if (log[0])
			rc = kfaas_err(rc, "this kernel's verifier rejected the "
				       "dispatcher (log tail below)");
		else
			rc = kfaas__errno_msg(rc, "cannot load the dispatcher");
		goto out;
	}
	*out = skel;
out:
	if (rc)
		dispatcher_bpf__destroy(skel);
	free(log);
	return rc;
}

/* Load the dispatcher and create (or reuse) the shared maps; pin them. */
static int state_create(struct kfaas_state *st)
{
	struct kfaas_globals g = { .abi_version = KFAAS_ABI_VERSION,
				   .time_shift = KFAAS_TIME_SHIFT_DEFAULT }, cur;
	struct dispatcher_bpf *skel;
	char path[KFAAS_PATH_MAX];
	__u32 zero = 0;
	int rc, cfd;

	kfaas__guard_defaults(&g);
	rc = dispatcher_load(st, &skel);
	if (rc)
		return rc;
	/* the globals entry always exists: stamp it on first creation */
	cfd = bpf_map__fd(skel->maps.kfaas_config);
	if (bpf_map_lookup_elem(cfd, &zero, &cur) == 0 && cur.abi_version == 0 &&
	    bpf_map_update_elem(cfd, &zero, &g, BPF_ANY)) {
		rc = kfaas__errno_msg(-errno, "cannot write the kfaas config");
		goto out;
	}
	rc = kfaas__path(path, sizeof(path), "%s/dispatcher", st->root);
	if (rc)
		goto out;
	rc = bpf_program__pin(dispatcher_prog(skel), path);
	if (rc)
		rc = kfaas__errno_msg(rc, "cannot pin the dispatcher");
out:
	dispatcher_bpf__destroy(skel);
	return rc;
}

/* Point every pinned XDP link at the new dispatcher. */
static int links_update(struct kfaas_state *st, int prog_fd)
{
	char dir[KFAAS_PATH_MAX], pin[600];
	struct dirent *de;
	int rc = 0, fd;
	DIR *d;

	rc = kfaas__path(dir, sizeof(dir), "%s/net", st->root);
	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		/* a link whose interface went away cannot be updated */
		if (bpf_link_update(fd, prog_fd, NULL) && errno != ENOLINK &&
		    !rc)
			rc = kfaas__errno_msg(-errno, "cannot switch an interface "
					      "to the new dispatcher");
		close(fd);
	}
	closedir(d);
	return rc;
}

int kfaas_dispatcher_reload(struct kfaas_state *st)
{
	struct dispatcher_bpf *skel;
	char pin[KFAAS_PATH_MAX], tmp[KFAAS_PATH_MAX];
	int rc, fd;

	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	rc = kfaas__path(pin, sizeof(pin), "%s/dispatcher", st->root) ?:
	     kfaas__path(tmp, sizeof(tmp), "%s/dispatcher_new", st->root) ?:
	     dispatcher_load(st, &skel);
	if (rc)
		return rc;
	fd = bpf_program__fd(dispatcher_prog(skel));
	rc = links_update(st, fd);
	if (rc)
		goto out;
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp)) {
		rc = kfaas__errno_msg(-errno, tmp);
		goto out;
	}
	if (rename(tmp, pin)) {
		rc = kfaas__errno_msg(-errno, pin);
		unlink(tmp);
		goto out;
	}
	fd = dup(fd);
	if (fd >= 0) {
		close(st->disp_fd);
		st->disp_fd = fd;
	}
out:
	dispatcher_bpf__destroy(skel);
	return rc;
}

static int obj_get(struct kfaas_state *st, const char *name, int *fd)
{
	*fd = kfaas__pin_open(st, name);
	if (*fd == -ENOENT)
		return kfaas_err(-ENOENT, "kfaas state at %s is incomplete "
				 "(%s missing): remove the directory and load "
				 "again", st->root, name);
	return *fd < 0 ? *fd : 0;
}

/*
 * kfaas_ustats came after the first pinned states: a writer (locked) adds
 * it to a state made without it; a reader goes on without it.
 */
static int ustats_get(struct kfaas_state *st)
{
	char path[KFAAS_PATH_MAX];
	int rc, fd;

	rc = kfaas__path(path, sizeof(path), "%s/ustats", st->root);
	if (rc)
		return rc;
	st->ustats_fd = bpf_obj_get(path);
	if (st->ustats_fd >= 0 || errno != ENOENT || !st->locked)
		return st->ustats_fd >= 0 || errno == ENOENT ? 0 :
		       kfaas__errno_msg(-errno, path);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "kfaas_ustats", sizeof(__u32),
			    sizeof(struct kfaas_stats), KFAAS_MAX_FUNCS, NULL);
	if (fd < 0)
		return kfaas__errno_msg(-errno, "cannot create the ustats map");
	if (bpf_obj_pin(fd, path)) {
		rc = kfaas__errno_msg(-errno, path);
		close(fd);
		return rc;
	}
	st->ustats_fd = fd;
	return 0;
}

void kfaas_state_close(struct kfaas_state *st)
{
	int *fds[] = { &st->routes_fd, &st->port_routes_fd, &st->funcs_fd, &st->progs_fd,
		       &st->sk_progs_fd,
		       &st->stats_fd, &st->ustats_fd, &st->dstats_fd,
		       &st->scratch_fd, &st->config_fd, &st->budgets_fd,
		       &st->loop_ports_fd, &st->guard_stats_fd,
		       &st->disp_fd, &st->mod_fd, &st->dir_fd };
	size_t i;

	kfaas__registry_snap(st, false);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	st->locked = false;
}

/* An empty state (every fd -1) for root, trailing slashes stripped. */
static int state_init(struct kfaas_state *st, const char *root)
{
	size_t n;

	memset(st, 0, sizeof(*st));
	st->dir_fd = st->routes_fd = st->funcs_fd = st->progs_fd = -1;
	st->port_routes_fd = -1;
	st->sk_progs_fd = -1;
	st->stats_fd = st->dstats_fd = st->scratch_fd = st->config_fd = -1;
	st->ustats_fd = -1;
	st->disp_fd = st->budgets_fd = st->mod_fd = -1;
	st->loop_ports_fd = st->guard_stats_fd = -1;
	if (strlen(root) >= sizeof(st->root))
		return kfaas_err(-ENAMETOOLONG, "pin root path too long: %s", root);
	snprintf(st->root, sizeof(st->root), "%s", root);
	for (n = strlen(st->root); n > 1 && st->root[n - 1] == '/'; n--)
		st->root[n - 1] = '\0';
	return 0;
}

/* A state laid out by another kfaas is refused whole. */
static int abi_check(struct kfaas_state *st)
{
	struct kfaas_globals g;
	int rc = kfaas_globals_get(st, &g);

	if (rc)
		return rc;
	if (g.abi_version != KFAAS_ABI_VERSION)
		return kfaas_err(-EPROTO, "kfaas state at %s has ABI version %u, "
				 "this kfaas speaks %u: unload it with the kfaas "
				 "that made it, or remove the directory",
				 st->root, g.abi_version, KFAAS_ABI_VERSION);
	return 0;
}

/*
 * The pinned maps and the dispatcher of the state, and the CPU count;
 * the globals first, whose ABI version says whether the rest is ours.
 */
static int state_pins(struct kfaas_state *st)
{
	int rc;

	if ((rc = obj_get(st, "config", &st->config_fd)) ||
	    (rc = abi_check(st)) ||
	    (rc = obj_get(st, "routes", &st->routes_fd)) ||
	    (rc = obj_get(st, "port_routes", &st->port_routes_fd)) ||
	    (rc = obj_get(st, "funcs", &st->funcs_fd)) ||
	    (rc = obj_get(st, "progs", &st->progs_fd)) ||
	    (rc = obj_get(st, "sk_progs", &st->sk_progs_fd)) ||
	    (rc = obj_get(st, "stats", &st->stats_fd)) ||
	    (rc = obj_get(st, "dstats", &st->dstats_fd)) ||
	    (rc = obj_get(st, "scratch", &st->scratch_fd)) ||
	    (rc = obj_get(st, "budgets", &st->budgets_fd)) ||
	    (rc = obj_get(st, "loop_ports", &st->loop_ports_fd)) ||
	    (rc = obj_get(st, "guard_stats", &st->guard_stats_fd)) ||
	    (rc = obj_get(st, "dispatcher", &st->disp_fd)))
		return rc;
	rc = ustats_get(st) ?: kfaas__log_maps_get(st);
	if (rc)
		return rc;
	st->ncpus = libbpf_num_possible_cpus();
	if (st->ncpus <= 0)
		return kfaas_err(-EINVAL, "cannot count possible CPUs");
	return 0;
}

/*
 * The loop ports of a new state (or of one whose creator died before it
 * wrote them): config.loop_below is 0 until they are there.
 */
static int loop_ports_check(struct kfaas_state *st)
{
	struct kfaas_globals g;
	int rc = kfaas_globals_get(st, &g);

	return rc ?: g.loop_below ? 0 : kfaas__loop_ports_sync(st);
}

int kfaas_state_open(struct kfaas_state *st, const char *root, unsigned int flags)
{
	char path[KFAAS_PATH_MAX];
	int rc;

	rc = state_init(st, root) ?:
	     check_root(st->root, flags & KFAAS_OPEN_CREATE, &st->created);
	if (rc)
		return rc;
	st->dir_fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0)
		return kfaas__errno_msg(-errno, st->root);
	if (flags & (KFAAS_OPEN_LOCK | KFAAS_OPEN_CREATE | KFAAS_OPEN_TRYLOCK)) {
		if (flock(st->dir_fd, LOCK_EX | (flags & KFAAS_OPEN_TRYLOCK ?
						 LOCK_NB : 0))) {
			rc = errno == EWOULDBLOCK ?
			     kfaas_err(-EAGAIN, "the pin root %s is locked by "
				       "another kfaas command (an apply?): "
				       "try again", st->root) :
			     kfaas__errno_msg(-errno, "cannot lock the pin root");
			goto err;
		}
		st->locked = true;
	}
	rc = kfaas__path(path, sizeof(path), "%s/dispatcher", st->root);
	if (rc)
		goto err;
	if (access(path, F_OK)) {
		if (!(flags & KFAAS_OPEN_CREATE)) {
			rc = kfaas_err(-ENOENT, "no kfaas state at %s: load a "
				       "function first ('kfaas fn load FILE NAME')",
				       st->root);
			goto err;
		}
		rc = state_create(st);
		if (rc)
			goto err;
	}
	rc = state_pins(st);
	if (!rc && st->locked)
		rc = kfaas_state_repair(st) ?: loop_ports_check(st);
	if (rc)
		goto err;
	return 0;
err:
	if (st->created)	/* made here, half-made: not left behind */
		kfaas__rmtree(st->root);
	kfaas_state_close(st);
	return rc;
}

int kfaas_state_unlock(struct kfaas_state *st)
{
	if (st->locked && flock(st->dir_fd, LOCK_UN))
		return kfaas__errno_msg(-errno, "cannot unlock the pin root");
	st->locked = false;
	return 0;
}

int kfaas_state_relock(struct kfaas_state *st)
{
	if (!st->locked && flock(st->dir_fd, LOCK_EX))
		return kfaas__errno_msg(-errno, "cannot lock the pin root");
	st->locked = true;
	return 0;
}

int kfaas_state_discard(struct kfaas_state *st)
{
	int rc = 0;

	/* under the lock still: nobody has seen the new pin root's state */
	if (st->created)
		rc = kfaas__rmtree(st->root);
	kfaas_state_close(st);
	return rc ? kfaas__errno_msg(rc, "cannot remove the new pin root") : 0;
}

int kfaas_state_destroy(const char *root)
{
	bool made = false;
	int rc = check_root(root, false, &made);

	if (rc)
		return rc;
	rc = kfaas__rmtree(root);
	if (rc)
		return kfaas__errno_msg(rc, root);
	return 0;
}
