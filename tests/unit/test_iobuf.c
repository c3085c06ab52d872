// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of struct kfaas_iobuf (user/lib/iobuf.c), the byte buffer of
 * kfaasd's sockets and agent channel, the guest agent and the control
 * socket's client: its bound holds against any peer, reads and writes
 * report progress, EAGAIN and end of file, the blocking forms wait, and a
 * peer gone is -EPIPE, not SIGPIPE (this test does not ignore SIGPIPE).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "ktap.h"
#include <kfaas_iobuf.h>

static void test_append_consume(void)
{
	struct kfaas_iobuf b = { 0 };	/* zeroed: empty, no bound */
	const char *p;
	int ok;

	ok = kfaas_iobuf_len(&b) == 0 && !strcmp(kfaas_iobuf_data(&b), "") &&
	     kfaas_iobuf_append(&b, "hello ", 6) == 0 &&
	     kfaas_iobuf_append(&b, "world", 5) == 0 &&
	     kfaas_iobuf_len(&b) == 11 &&
	     !memcmp(kfaas_iobuf_data(&b), "hello world", 11);
	ktap_test_result(ok, "append: the bytes in order");
	p = kfaas_iobuf_data(&b);
	kfaas_iobuf_consume(&b, 6);
	ok = kfaas_iobuf_len(&b) == 5 && kfaas_iobuf_data(&b) == p + 6 &&
	     !memcmp(kfaas_iobuf_data(&b), "world", 5);
	ktap_test_result(ok, "consume: takes from the head without moving the rest");
	kfaas_iobuf_consume(&b, 100);
	ok = kfaas_iobuf_len(&b) == 0 && b.head == 0 && b.tail == 0;
	ktap_test_result(ok, "consume past the end: empty, room reused from the "
			 "start");
	kfaas_iobuf_free(&b);
}

static void test_limit(void)
{
	struct kfaas_iobuf b;
	char big[100];
	size_t len;
	char *p;
	int ok;

	memset(big, 'x', sizeof(big));
	kfaas_iobuf_init(&b, 64);
	ok = kfaas_iobuf_append(&b, big, 60) == 0 &&
	     kfaas_iobuf_append(&b, big, 5) == -EMSGSIZE &&
	     kfaas_iobuf_len(&b) == 60 && b.cap <= 64;
	ktap_test_result(ok, "limit 64: an append past it fails and adds nothing");
	ok = kfaas_iobuf_append(&b, big, 4) == 0 && kfaas_iobuf_len(&b) == 64 &&
	     kfaas_iobuf_reserve(&b, 1) == -EMSGSIZE &&
	     kfaas_iobuf_space(&b, 10, &p) == -EMSGSIZE;
	ktap_test_result(ok, "full at the limit: no room, no space");
	kfaas_iobuf_consume(&b, 50);
	ok = kfaas_iobuf_append(&b, big, 50) == 0 && kfaas_iobuf_len(&b) == 64 &&
	     b.cap <= 64;
	ktap_test_result(ok, "consumed bytes make room again, within the limit");
	p = kfaas_iobuf_detach(&b, &len);
	ok = p && len == 64 && !memcmp(p, big, 14) && kfaas_iobuf_len(&b) == 0 &&
	     b.limit == 64 && !b.buf;
	ktap_test_result(ok, "detach: the data in one block from its start, "
			 "buffer empty");
	free(p);
	kfaas_iobuf_free(&b);
}

static void test_read(void)
{
	struct kfaas_iobuf b;
	char data[100];
	int fd[2], ok;
	ssize_t n1, n2, n3;

	memset(data, 'r', sizeof(data));
	if (pipe2(fd, O_NONBLOCK)) {
		ktap_test_result(0, "pipe: %s", strerror(errno));
		return;
	}
	kfaas_iobuf_init(&b, 30);
	ok = kfaas_iobuf_read(&b, fd[0], 4096) == -EAGAIN;
	ktap_test_result(ok, "read of nothing on a non-blocking fd: -EAGAIN");
	ok = write(fd[1], data, sizeof(data)) == (ssize_t)sizeof(data);
	n1 = kfaas_iobuf_read(&b, fd[0], 4096);
	n2 = kfaas_iobuf_read(&b, fd[0], 4096);
	ok = ok && n1 == 30 && n2 == -EMSGSIZE && kfaas_iobuf_len(&b) == 30;
	ktap_test_result(ok, "a peer sending 100 bytes into limit 30: 30 read, then "
			 "-EMSGSIZE (%zd, %zd)", n1, n2);
	kfaas_iobuf_consume(&b, 30);
	close(fd[1]);
	n1 = kfaas_iobuf_read(&b, fd[0], 4096);
	n2 = kfaas_iobuf_read(&b, fd[0], 4096);
	ok = n1 == 30 && n2 == -EMSGSIZE;
	kfaas_iobuf_consume(&b, 30);
	n2 = kfaas_iobuf_read(&b, fd[0], 4096);
	kfaas_iobuf_consume(&b, 30);
	n3 = kfaas_iobuf_read(&b, fd[0], 4096);
	ok = ok && n2 == 30 && n3 == 10 &&
	     kfaas_iobuf_read(&b, fd[0], 4096) == 0 && kfaas_iobuf_len(&b) == 10 &&
	     !memcmp(kfaas_iobuf_data(&b), data, 10);
	ktap_test_result(ok, "the rest as room frees up, then end of file: 0");
	close(fd[0]);
	kfaas_iobuf_free(&b);
}

/* A peer that reads everything, then answers with the byte count. */
static pid_t counter(int fd, int other_end)
{
	pid_t pid = fork();
	unsigned long total = 0;
	char buf[65536];
	ssize_t n;

	if (pid)
		return pid;
	close(other_end);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (unsigned long)n;
	dprintf(fd, "%lu\n", total);
	_exit(0);
}

static void test_write(void)
{
	size_t big = 4 << 20, len;
	struct kfaas_iobuf out = { 0 }, in = { 0 };
	char *data = malloc(big);
	int sv[2], ok, rc, st;
	pid_t pid;

	if (!data || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		ktap_test_result(0, "socketpair: %s", strerror(errno));
		free(data);
		return;
	}
	memset(data, 'w', big);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	kfaas_iobuf_append(&out, data, big);
	rc = kfaas_iobuf_write(&out, sv[0]);
	len = kfaas_iobuf_len(&out);
	ok = rc == -EAGAIN && len > 0 && len < big;
	ktap_test_result(ok, "write of 4 MiB to a peer not reading: -EAGAIN, the "
			 "rest kept (%zu bytes)", len);
	pid = counter(sv[1], sv[0]);
	close(sv[1]);
	rc = kfaas_fd_write_all(sv[0], kfaas_iobuf_data(&out), len);
	shutdown(sv[0], SHUT_WR);
	while (kfaas_iobuf_read_wait(&in, sv[0], 64) > 0)
		;
	ok = rc == 0 && kfaas_iobuf_len(&in) > 1 &&
	     strtoul(kfaas_iobuf_data(&in), NULL, 10) == big;
	ktap_test_result(ok, "the blocking forms wait for the peer: it got all "
			 "4 MiB, its answer read to end of file");
	waitpid(pid, &st, 0);
	rc = kfaas_fd_write_all(sv[0], data, 10);
	ok = rc == -EPIPE;
	ktap_test_result(ok, "a peer gone: -EPIPE (%d), no SIGPIPE", rc);
	close(sv[0]);
	kfaas_iobuf_free(&out);
	kfaas_iobuf_free(&in);
	free(data);
}

static void test_pipe_write(void)
{
	int fd[2], ok;
	char buf[8] = { 0 };

	if (pipe(fd)) {
		ktap_test_result(0, "pipe: %s", strerror(errno));
		return;
	}
	ok = kfaas_fd_write(fd[1], "pipe", 4) == 4 &&
	     kfaas_fd_read(fd[0], buf, sizeof(buf)) == 4 && !strcmp(buf, "pipe");
	ktap_test_result(ok, "a pipe (not a socket) is written too");
	close(fd[0]);
	close(fd[1]);
}

int main(void)
{
	ktap_print_header();
	ktap_set_plan(14);
	test_append_consume();
	test_limit();
	test_read();
	test_write();
	test_pipe_write();
	return ktap_finished();
}
