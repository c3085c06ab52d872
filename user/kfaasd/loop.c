// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: one epoll set, one event per wake-up.  Handling a single
 * event at a time means a callback may free any other watch without
 * leaving a stale pointer in a pending batch.  Work that must not run
 * inside a callback chain (freeing a function whose pool is on the stack)
 * is deferred to the end of the event with loop_defer().
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "kfaasd.h"

static int epfd = -1;

struct deferred {
	struct deferred	*next;
	void		(*fn)(void *arg);
	void		*arg;
};
static struct deferred *dq, *dq_last;

int loop_defer(void (*fn)(void *arg), void *arg)
{
	struct deferred *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->fn = fn;
	d->arg = arg;
	if (dq_last)
		dq_last->next = d;
	else
		dq = d;
	dq_last = d;
	return 0;
}

static void run_deferred(void)
{
	while (dq) {
		struct deferred *d = dq;

		dq = d->next;
		if (!dq)
			dq_last = NULL;
		d->fn(d->arg);
		free(d);
	}
}

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

int loop_add(struct watch *w, int fd, uint32_t events,
	     void (*cb)(struct watch *w, uint32_t events))
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->cb = cb;
	w->events = events;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	w->in_loop = true;
	return 0;
}

int loop_mod(struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || !w->in_loop || w->events == events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

void loop_remove(struct watch *w)
{
	if (w->fd < 0 || !w->in_loop)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->in_loop = false;
}

void loop_close(struct watch *w)
{
	if (w->fd < 0)
		return;
	if (w->in_loop)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
	w->events = 0;
	w->in_loop = false;
}

int loop_run_once(int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(epfd, &ev, 1, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 1) {
		struct watch *w = ev.data.ptr;

		w->cb(w, ev.events);
	}
	run_deferred();
	return 0;
}
