// SPDX-License-Identifier: GPL-2.0
/*
 * The socket tier's pinned part: its dispatcher, attached once to the
 * sockhash of served connections (kfaas_sk_socks) as the stream verdict
 * program, so that every connection the listener adds is answered by it;
 * and the listener's status and stopping (the listener is sk_server.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"
#include "sk_dispatch.skel.h"


int kfaas_sk_setup(struct kfaas_state *st)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct sk_dispatch_bpf *skel;
	char path[KFAAS_PATH_MAX], *log;
	int rc;

	rc = kfaas__path(path, sizeof(path), "%s/sk_dispatch", st->root);
	if (rc)
		return rc;
	if (access(path, F_OK) == 0)
		return 0;
	if (!st->locked)
		return kfaas_err(-EINVAL, "internal: state not locked");
	log = calloc(1, KFAAS_VLOG_SIZE);
	if (!log)
		return kfaas_err(-ENOMEM, "out of memory");
	oo.kernel_log_buf = log;
	oo.kernel_log_size = KFAAS_VLOG_SIZE;
	skel = sk_dispatch_bpf__open_opts(&oo);
	if (!skel) {
		rc = kfaas__errno_msg(-errno, "cannot open the socket-tier dispatcher");
		goto out_log;
	}
	rc = kfaas__pin_shared_maps(st, skel->obj);
	if (rc)
		goto out;
	rc = sk_dispatch_bpf__load(skel);
	if (rc) {
		kfaas__set_verifier_log(log);
		if (log[0])
			rc = kfaas_err(rc, "this kernel's verifier rejected the "
				       "socket-tier dispatcher (log tail below)");
		else
			rc = kfaas__errno_msg(rc, "cannot load the socket-tier "
					      "dispatcher");
		goto out;
	}
	/* a program attached to the map: every socket added later runs it */
	if (bpf_prog_attach(bpf_program__fd(skel->progs.kfaas_sk_dispatch),
			    bpf_map__fd(skel->maps.kfaas_sk_socks),
			    BPF_SK_SKB_STREAM_VERDICT, 0)) {
		rc = kfaas__errno_msg(-errno, "cannot attach the socket-tier "
				      "dispatcher to the sockhash (does the "
				      "kernel have CONFIG_BPF_STREAM_PARSER?)");
		goto out;
	}
	rc = kfaas__path(path, sizeof(path), "%s/sk_dispatch", st->root);
	if (rc)
		goto out;
	rc = bpf_program__pin(skel->progs.kfaas_sk_dispatch, path);
	if (rc)
		rc = kfaas__errno_msg(rc, "cannot pin the socket-tier dispatcher");
out:
	sk_dispatch_bpf__destroy(skel);
out_log:
	free(log);
	return rc;
}

static const char *const sk_dstat_names[KFAAS_SK_DSTAT_MAX] = {
	[KFAAS_SK_DSTAT_RX] = "rx",
	[KFAAS_SK_DSTAT_NOT_OURS] = "not_ours",
	[KFAAS_SK_DSTAT_NO_ROUTE] = "no_route",
	[KFAAS_SK_DSTAT_OTHER_TIER] = "other_tier",
	[KFAAS_SK_DSTAT_DISPATCHED] = "dispatched",
	[KFAAS_SK_DSTAT_TAILCALL_FAIL] = "tailcall_fail",
};

const char *kfaas_sk_dstat_name(unsigned int idx)
{
	return idx < KFAAS_SK_DSTAT_MAX ? sk_dstat_names[idx] : "?";
}

/* 1 if a listener holds PINROOT/sk, 0 if not, or a negative errno. */
static int listener_running(struct kfaas_state *st)
{
	char path[KFAAS_PATH_MAX];
	int fd, rc;

	rc = kfaas__path(path, sizeof(path), "%s/sk", st->root);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : kfaas__errno_msg(-errno, path);
	rc = flock(fd, LOCK_EX | LOCK_NB) ? (errno == EWOULDBLOCK ? 1 :
		kfaas__errno_msg(-errno, path)) : 0;
	close(fd);
	return rc;
}

static __u32 count_keys(int fd, int role)
{
	struct kfaas_sk_link l;
	__u64 key, next;
	void *prev = NULL;
	__u32 n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (role && (bpf_map_lookup_elem(fd, &key, &l) || l.role != role))
			continue;
		n++;
	}
	return n;
}

int kfaas_sk_status(struct kfaas_state *st, struct kfaas_sk_status *out)
{
	__u64 *v = calloc(st->ncpus, sizeof(*v));
	int sfd = -1, cfd = -1, ifd = -1, dfd = -1, lfd = -1, rc;
	char path[KFAAS_PATH_MAX];
	__u32 k, zero = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (!v)
		return kfaas_err(-ENOMEM, "out of memory");
	rc = kfaas__path(path, sizeof(path), "%s/sk_dispatch", st->root);
	if (rc)
		goto out;
	out->dispatcher = access(path, F_OK) == 0;
	rc = listener_running(st);
	if (rc < 0)
		goto out;
	out->running = rc;
	if ((sfd = rc = kfaas__pin_open(st, "sk_socks")) < 0 ||
	    (cfd = rc = kfaas__pin_open(st, "sk_conns")) < 0 ||
	    (lfd = rc = kfaas__pin_open(st, "sk_links")) < 0 ||
	    (ifd = rc = kfaas__pin_open(st, "sk_server")) < 0 ||
	    (dfd = rc = kfaas__pin_open(st, "sk_dstats")) < 0)
		goto out;
	rc = 0;
	bpf_map_lookup_elem(ifd, &zero, &out->info);
	out->sockets = count_keys(sfd, 0);
	out->connections = count_keys(lfd, KFAAS_SK_ROLE_CLIENT);
	out->records = count_keys(cfd, 0);
	for (k = 0; k < KFAAS_SK_DSTAT_MAX; k++) {
		if (bpf_map_lookup_elem(dfd, &k, v))
			continue;
		for (i = 0; i < st->ncpus; i++)
			out->dstats[k] += v[i];
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (cfd >= 0)
		close(cfd);
	if (ifd >= 0)
		close(ifd);
	if (dfd >= 0)
		close(dfd);
	if (lfd >= 0)
		close(lfd);
	free(v);
	return rc;
}

int kfaas_sk_stop(struct kfaas_state *st, int timeout_ms, __u32 *pid)
{
	struct kfaas_sk_status s = {};
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	__u32 zero = 0;
	int rc, waited, ifd;

	/* the lock and the listener's record only: works on any state */
	rc = listener_running(st);
	if (rc < 0)
		return rc;
	s.running = rc;
	ifd = kfaas__pin_open(st, "sk_server");
	if (ifd >= 0) {
		bpf_map_lookup_elem(ifd, &zero, &s.info);
		close(ifd);
	}
	if (pid)
		*pid = s.info.pid;
	if (!s.running)
		return kfaas_err(-ENOENT, "no socket-tier listener serves %s: "
				 "start one with 'kfaas sk serve'", st->root);
	if (!s.info.pid || kill((pid_t)s.info.pid, 0))
		return kfaas_err(-ESRCH, "a listener holds %s/sk but its pid "
				 "(%u) is not in this pid namespace: stop it "
				 "where it runs", st->root, s.info.pid);
	if (kill((pid_t)s.info.pid, SIGTERM))
		return kfaas__errno_msg(-errno, "cannot signal the listener");
	for (waited = 0; waited < timeout_ms; waited += 20) {
		rc = listener_running(st);
		if (rc <= 0)
			return rc;
		nanosleep(&ts, NULL);
	}
	return kfaas_err(-ETIMEDOUT, "listener pid %u did not stop within %d "
			 "ms: 'kill -9 %u' ends it (connections close, pinned "
			 "state stays)", s.info.pid, timeout_ms, s.info.pid);
}
