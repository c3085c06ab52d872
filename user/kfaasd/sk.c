// SPDX-License-Identifier: GPL-2.0
/*
 * The socket tier's listener inside kfaasd (user/lib/sk_server.c): a
 * listening socket for every sk-tier route; the connections it accepts
 * go into the sockhash where the kernel answers them.  One listener per
 * pin root: if `kfaas sk serve` already runs one, kfaasd leaves the
 * socket tier to it and says so.  --no-sk turns it off.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include "kfaasd.h"

static struct kfaas_sk_server *sk;
static struct watch sk_w = { .fd = -1 };

static void sk_log(void *ctx, const char *msg)
{
	(void)ctx;
	info("socket tier: %s", msg);
}

static void on_ready(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	if (kfaas_sk_server_poll(sk, 0) < 0)
		warn("socket tier: %s", kfaas_errmsg());
}

void sk_start(void)
{
	struct kfaas_sk_server_opts o = { .log = sk_log };

	if (!opts.sk)
		return;
	if (kfaas_sk_server_open(opts.pin_root, &o, &sk)) {
		warn("socket tier not served by kfaasd: %s", kfaas_errmsg());
		sk = NULL;
		return;
	}
	if (loop_add(&sk_w, kfaas_sk_server_fd(sk), EPOLLIN, on_ready)) {
		warn("socket tier: cannot watch the listener: %s", strerror(errno));
		kfaas_sk_server_close(sk);
		sk = NULL;
		return;
	}
	info("socket tier: %zu listener(s)", kfaas_sk_server_listeners(sk));
}

/* Routes may have changed: open and close listening sockets to match. */
void sk_refresh(void)
{
	if (sk)
		kfaas_sk_server_sync(sk);
}

uint64_t sk_next_deadline(void)
{
	int t;

	if (!sk)
		return UINT64_MAX;
	t = kfaas_sk_server_timeout_ms(sk);
	return t < 0 ? UINT64_MAX : kfaas_now_ms() + (uint64_t)t;
}

void sk_tick(void)
{
	if (sk && kfaas_sk_server_poll(sk, 0) < 0)
		warn("socket tier: %s", kfaas_errmsg());
}

void sk_stop(void)
{
	if (!sk)
		return;
	loop_remove(&sk_w);
	kfaas_sk_server_close(sk);
	sk = NULL;
}

bool sk_serving(void)
{
	return sk != NULL;
}
