// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas logs with kfaasd running: its history, RUNDIR/logs/NAME.log and
 * NAME.log.1 (kfaas_logs.h), printed oldest first; with -f the files are
 * followed (inotify on the directory), through kfaasd's rotations, until
 * Ctrl-C or until kfaasd stops.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "cli.h"

/* One function's NAME.log, read up to where it ends now. */
struct hfile {
	char	name[KFAAS_NAME_LEN];
	int	fd;		/* -1: no file yet */
	ino_t	ino;
	char	*part;		/* a line not complete yet */
	size_t	plen, pcap;
};

struct history {
	const struct logs_opts	*o;
	char			dir[KFAAS_PATH_MAX];
	struct hfile		*f;
	size_t			n;
	/* entries collected before the first print, to sort them */
	bool			collect;
	struct kfaas_log_entry	**v;
	size_t			nv, cap;
	struct kfaas_log_entry	e;
};

bool logs_history_present(struct kfaas_state *st)
{
	struct kfaas_daemon d;
	char dir[KFAAS_PATH_MAX];
	struct stat sb;

	if (kfaas_log_dir(st->root, dir, sizeof(dir)) || stat(dir, &sb) ||
	    !S_ISDIR(sb.st_mode) || kfaas_daemon_open(&d, st->root))
		return false;
	kfaas_daemon_close(&d);
	return true;
}

bool logs_history_has(struct kfaas_state *st, const char *name)
{
	char dir[KFAAS_PATH_MAX], path[KFAAS_PATH_MAX];

	return kfaas_name_valid(name) == 0 &&
	       kfaas_log_dir(st->root, dir, sizeof(dir)) == 0 &&
	       ((kfaas_log_file(dir, name, false, path, sizeof(path)) == 0 &&
		 access(path, F_OK) == 0) ||
		(kfaas_log_file(dir, name, true, path, sizeof(path)) == 0 &&
		 access(path, F_OK) == 0));
}

static void entry(struct history *h, const struct kfaas_log_entry *e)
{
	struct kfaas_log_entry *c;

	if (!h->collect) {
		logs_emit(h->o, e);
		return;
	}
	if (e->time_ns < h->o->since)
		return;
	if (h->nv == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct kfaas_log_entry **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return;
		h->v = v;
		h->cap = cap;
	}
	c = malloc(sizeof(*c));
	if (!c)
		return;
	*c = *e;
	h->v[h->nv++] = c;
}

/* Complete lines of buf[0, len) to entries; the rest stays in f->part. */
static void lines(struct history *h, struct hfile *f, const char *buf,
		  size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		size_t n = (size_t)(nl - p);
		char *line = malloc(f->plen + n + 1);

		if (line) {
			memcpy(line, f->part, f->plen);
			memcpy(line + f->plen, p, n);
			line[f->plen + n] = '\0';
			if (kfaas_log_entry_parse(line, &h->e) == 0)
				entry(h, &h->e);
			free(line);
		}
		f->plen = 0;
		p = nl + 1;
	}
	if (p < end && f->plen + (size_t)(end - p) <= 1 << 20) {
		if (f->plen + (size_t)(end - p) > f->pcap) {
			size_t cap = f->plen + (size_t)(end - p) + 4096;
			char *np = realloc(f->part, cap);

			if (!np)
				return;
			f->part = np;
			f->pcap = cap;
		}
		memcpy(f->part + f->plen, p, (size_t)(end - p));
		f->plen += (size_t)(end - p);
	}
}

/* What f's file holds past where we read. */
static void hfile_read(struct history *h, struct hfile *f)
{
	char buf[65536];
	ssize_t n;

	if (f->fd < 0)
		return;
	while ((n = read(f->fd, buf, sizeof(buf))) > 0)
		lines(h, f, buf, (size_t)n);
}

/* Open NAME.log (again, after a rotation), from its start. */
static void hfile_open(struct history *h, struct hfile *f)
{
	char path[KFAAS_PATH_MAX];
	struct stat sb;

	if (kfaas_log_file(h->dir, f->name, false, path, sizeof(path)))
		return;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd >= 0 && fstat(f->fd, &sb) == 0)
		f->ino = sb.st_ino;
	f->plen = 0;
}

/*
 * Has kfaasd rotated f's file (or made it)?  Then read on in the new one.
 * Rotated twice since we looked: the file in between is NAME.log.1 now,
 * read it whole first (more rotations than that between two looks lose
 * entries: a history smaller than what kfaasd writes in one go).
 */
static void hfile_follow(struct history *h, struct hfile *f)
{
	char path[KFAAS_PATH_MAX], old[KFAAS_PATH_MAX];
	struct hfile mid = { .fd = -1 };
	struct stat sb, so;

	hfile_read(h, f);
	if (kfaas_log_file(h->dir, f->name, false, path, sizeof(path)) ||
	    kfaas_log_file(h->dir, f->name, true, old, sizeof(old)) ||
	    stat(path, &sb) || (f->fd >= 0 && sb.st_ino == f->ino))
		return;
	if (f->fd >= 0 && stat(old, &so) == 0 && so.st_ino != f->ino) {
		mid.fd = open(old, O_RDONLY | O_CLOEXEC);
		hfile_read(h, &mid);
		if (mid.fd >= 0)
			close(mid.fd);
		free(mid.part);
	}
	if (f->fd >= 0)
		close(f->fd);
	hfile_open(h, f);
	hfile_read(h, f);
}

/* Follow name too (once); its file is opened now, if it exists. */
static struct hfile *hfile_add(struct history *h, const char *name)
{
	struct hfile *f;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->f[i].name, name))
			return NULL;
	f = realloc(h->f, (h->n + 1) * sizeof(*f));
	if (!f)
		return NULL;
	h->f = f;
	f = &h->f[h->n++];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	snprintf(f->name, sizeof(f->name), "%s", name);
	hfile_open(h, f);
	return f;
}

/* Every function with a history (or just o->name); new ones are read whole. */
static void scan(struct history *h)
{
	struct hfile *f;
	struct dirent *de;
	DIR *d;

	if (h->o->name) {
		if ((f = hfile_add(h, h->o->name)))
			hfile_read(h, f);
		return;
	}
	d = opendir(h->dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char name[KFAAS_NAME_LEN + 8], *dot;

		if (strlen(de->d_name) >= sizeof(name))
			continue;
		memcpy(name, de->d_name, strlen(de->d_name) + 1);
		dot = strstr(name, ".log");
		if (!dot || (strcmp(dot, ".log") && strcmp(dot, ".log.1")))
			continue;
		*dot = '\0';
		if (kfaas_name_valid(name) == 0 && (f = hfile_add(h, name)))
			hfile_read(h, f);
	}
	closedir(d);
}

static int by_time(const void *a, const void *b)
{
	const struct kfaas_log_entry *x = *(struct kfaas_log_entry *const *)a,
				     *y = *(struct kfaas_log_entry *const *)b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

/*
 * The history so far: the older halves, then what each NAME.log holds
 * (its descriptor stays open: -f goes on from there), by time.
 */
static void history_print(struct history *h)
{
	char path[KFAAS_PATH_MAX];
	struct stat sb;
	size_t i;

	h->collect = true;
	scan(h);
	for (i = 0; i < h->n; i++) {
		struct hfile *f = &h->f[i];
		struct hfile old = { .fd = -1 };

		/* NAME.log.1, unless it is the file we hold (just rotated) */
		if (kfaas_log_file(h->dir, f->name, true, path, sizeof(path)) ||
		    stat(path, &sb) || (f->fd >= 0 && sb.st_ino == f->ino))
			continue;
		old.fd = open(path, O_RDONLY | O_CLOEXEC);
		hfile_read(h, &old);
		if (old.fd >= 0)
			close(old.fd);
		free(old.part);
	}
	/* the older halves were read after the current ones: sort all */
	qsort(h->v, h->nv, sizeof(*h->v), by_time);
	h->collect = false;
	for (i = 0; i < h->nv; i++) {
		logs_emit(h->o, h->v[i]);
		free(h->v[i]);
	}
	h->nv = 0;
	fflush(stdout);
}

static int history_follow(struct history *h)
{
	struct pollfd p = { .events = POLLIN };
	char ev[4096];
	struct stat sb;
	size_t i;

	p.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p.fd < 0 || inotify_add_watch(p.fd, h->dir, IN_MODIFY | IN_CREATE |
					  IN_MOVED_TO | IN_DELETE_SELF) < 0)
		return p_err("cannot watch %s: %s", h->dir, strerror(errno));
	while (!logs_stopped()) {
		/* a second at most: a missed event costs no more */
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			break;
		while (read(p.fd, ev, sizeof(ev)) > 0)
			;
		for (i = 0; i < h->n; i++)
			hfile_follow(h, &h->f[i]);
		scan(h);
		fflush(stdout);
		if (stat(h->dir, &sb)) {
			close(p.fd);
			return p_err("kfaasd stopped: its history is gone "
				     "(without it, 'kfaas logs -f' reads the log "
				     "ring itself)");
		}
	}
	close(p.fd);
	return 0;
}

int logs_history(struct kfaas_state *st, const struct logs_opts *o)
{
	struct history *h = calloc(1, sizeof(*h));
	int rc = 0;
	size_t i;

	if (!h)
		return p_err("out of memory");
	h->o = o;
	if (kfaas_log_dir(st->root, h->dir, sizeof(h->dir))) {
		free(h);
		return p_lib_err();
	}
	history_print(h);
	if (o->follow)
		rc = history_follow(h);
	for (i = 0; i < h->n; i++) {
		if (h->f[i].fd >= 0)
			close(h->f[i].fd);
		free(h->f[i].part);
	}
	free(h->f);
	free(h->v);
	free(h);
	return rc;
}
