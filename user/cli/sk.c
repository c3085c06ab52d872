// SPDX-License-Identifier: GPL-2.0
/*
 * kfaas sk { serve | stop | show | help }: the socket tier without kfaasd.
 * 'serve' runs the listener of the sk-tier routes (user/lib/sk_server.c):
 * in the background by default, reporting its start (or the reason it
 * could not start) before the command returns; in the foreground with
 * --foreground.  SIGTERM or 'kfaas sk stop' stops it cleanly: listeners
 * and connections close, the pinned state stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"

static const char *obj_name = "sk";

static volatile sig_atomic_t stop_flag, sync_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	sync_flag = 1;
}

static FILE *log_file;

static void log_line(void *ctx, const char *msg)
{
	char t[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)ctx;
	if (!log_file)
		return;
	localtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(log_file, "%s kfaas-sk[%d]: %s\n", t, (int)getpid(), msg);
	fflush(log_file);
}

/* Serve until SIGTERM/SIGINT; re-read the routes every second or on SIGHUP. */
static int serve_loop(struct kfaas_sk_server *s)
{
	struct timespec last, now;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_hup);
	clock_gettime(CLOCK_MONOTONIC, &last);
	while (!stop_flag) {
		rc = kfaas_sk_server_poll(s, 250);
		if (rc < 0)
			log_line(NULL, kfaas_errmsg());
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (sync_flag || now.tv_sec != last.tv_sec) {
			sync_flag = 0;
			last = now;
			/* failures are logged by the server; keep serving */
			kfaas_sk_server_sync(s);
		}
	}
	log_line(NULL, "stopping: closing listeners and connections");
	kfaas_sk_server_close(s);
	return 0;
}

static void print_started(__u32 pid, size_t listeners, bool fg)
{
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "pid", json_object_new_int64(pid));
		json_object_object_add(o, "listeners",
				       json_object_new_int64((int64_t)listeners));
		json_object_object_add(o, "foreground",
				       json_object_new_boolean(fg));
		json_print(o);
		return;
	}
	printf("kfaas sk: serving %zu listener(s) of the socket tier (pid %u)%s\n",
	       listeners, pid, fg ? "; Ctrl-C stops" : "; 'kfaas sk stop' stops");
	if (!listeners)
		printf("kfaas sk: no sk-tier route yet: listening once one is "
		       "added ('kfaas route add tcp PORT fn NAME')\n");
	fflush(stdout);
}

static int serve_foreground(const struct kfaas_sk_server_opts *o)
{
	struct kfaas_sk_server *s;

	log_file = log_file ? log_file : stderr;
	if (kfaas_sk_server_open(kfaas_pin_root(pin_root_opt), o, &s))
		return p_lib_err();
	print_started((__u32)getpid(), kfaas_sk_server_listeners(s), true);
	return serve_loop(s);
}

/*
 * The child's error on the pipe: "E", the message, a NUL and the tail of
 * the verifier log (when a program was refused), so that the parent says
 * what kfaas_sk_server_open() would have said in the foreground.
 */
static void serve_report_err(int fd)
{
	const char *err = kfaas_errmsg(), *vlog = kfaas_verifier_log();

	if (write(fd, "E", 1) < 0 || write(fd, err, strlen(err) + 1) < 0 ||
	    write(fd, vlog, strlen(vlog)) < 0)
		_exit(1);
}

/*
 * The child starts the server and reports "OK listeners" or the error on
 * the pipe; the parent prints it and returns, the child serves on.
 */
static int serve_background(const struct kfaas_sk_server_opts *o)
{
	struct kfaas_sk_server *s;
	char msg[8192] = "";
	int p[2], devnull, status;
	size_t listeners, len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return p_err("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return p_err("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		setsid();
		if (kfaas_sk_server_open(kfaas_pin_root(pin_root_opt), o, &s)) {
			serve_report_err(p[1]);
			_exit(1);
		}
		snprintf(msg, sizeof(msg), "OK%zu", kfaas_sk_server_listeners(s));
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			if (!log_file || fileno(log_file) != STDERR_FILENO)
				dup2(devnull, STDERR_FILENO);
			close(devnull);
		}
		if (chdir("/"))
			_exit(1);
		if (write(p[1], msg, strlen(msg)) < 0)
			_exit(1);
		close(p[1]);
		_exit(serve_loop(s));
	}
	close(p[1]);
	/* an error report is read to its end: the child exits after it */
	while (len < sizeof(msg) - 1 &&
	       (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) > 0) {
		len += (size_t)n;
		if (msg[0] == 'O')
			break;
	}
	close(p[0]);
	if (len == 0) {
		waitpid(pid, &status, 0);
		return p_err("the listener exited before it started (status %d)",
			     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	msg[len] = '\0';
	if (msg[0] == 'E') {
		waitpid(pid, &status, 0);
		n = (ssize_t)strlen(msg);
		return p_err_vlog(msg + 1, (size_t)n < len ? msg + n + 1 : "");
	}
	listeners = strtoul(msg + 2, NULL, 10);
	print_started((__u32)pid, listeners, false);
	return 0;
}

static int do_serve(int argc, char **argv)
{
	struct kfaas_sk_server_opts o = { .log = log_line };
	const char *log = NULL;
	bool fg = false;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "--foreground") || !strcmp(argv[0], "-f")) {
			fg = true;
		} else if (!strcmp(argv[0], "--log") && argc > 1) {
			log = argv[1];
			argc--, argv++;
		} else if (!strncmp(argv[0], "--log=", 6)) {
			log = argv[0] + 6;
		} else {
			return p_err("unexpected '%s': usage: %s sk serve "
				     "[--foreground] [--log FILE]", argv[0],
				     bin_name);
		}
	}
	if (log) {
		log_file = fopen(log, "ae");
		if (!log_file)
			return p_err("cannot open --log %s: %s", log,
				     strerror(errno));
	}
	return fg ? serve_foreground(&o) : serve_background(&o);
}

static int do_stop(int argc, char **argv)
{
	unsigned long long t = 5;
	struct kfaas_state st;
	__u32 pid = 0;
	int rc;

	if (argc == 2 && !strcmp(argv[0], "--timeout")) {
		if (parse_u64("--timeout", argv[1], 3600, &t))
			return -1;
	} else if (argc) {
		return p_err("unexpected '%s': usage: %s sk stop [--timeout SEC]",
			     argv[0], bin_name);
	}
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_sk_stop(&st, (int)t * 1000, &pid);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "stopped", json_object_new_int64(pid));
		json_print(o);
	} else {
		printf("stopped the socket-tier listener (pid %u)\n", pid);
	}
	return 0;
}

static int do_show(int argc, char **argv)
{
	struct kfaas_sk_status s;
	struct kfaas_state st;
	unsigned int i;
	int rc;

	if (argc)
		return p_err("unexpected '%s': usage: %s sk show", argv[0],
			     bin_name);
	if (state_open(&st, 0))
		return -1;
	rc = kfaas_sk_status(&st, &s);
	kfaas_state_close(&st);
	if (rc)
		return p_lib_err();
	if (json_output) {
		json_object *o = json_object_new_object();
		json_object *d = json_object_new_object();

		json_object_object_add(o, "dispatcher",
				       json_object_new_boolean(s.dispatcher));
		json_object_object_add(o, "running",
				       json_object_new_boolean(s.running));
		json_object_object_add(o, "pid", s.running ?
				       json_object_new_int64(s.info.pid) : NULL);
		json_object_object_add(o, "listeners", json_object_new_int64(
					       s.running ? s.info.listeners : 0));
		json_object_object_add(o, "accepted",
				       json_object_new_int64((int64_t)s.info.accepted));
		json_object_object_add(o, "closed",
				       json_object_new_int64((int64_t)s.info.closed));
		json_object_object_add(o, "connections",
				       json_object_new_int64(s.connections));
		json_object_object_add(o, "sockets",
				       json_object_new_int64(s.sockets));
		json_object_object_add(o, "records",
				       json_object_new_int64(s.records));
		for (i = 0; i < KFAAS_SK_DSTAT_MAX; i++)
			json_object_object_add(d, kfaas_sk_dstat_name(i),
					       json_object_new_int64((int64_t)s.dstats[i]));
		json_object_object_add(o, "dispatch", d);
		json_print(o);
		return 0;
	}
	if (s.running)
		printf("listener: pid %u, %u listening socket(s), %llu accepted, "
		       "%llu closed\n", s.info.pid, s.info.listeners,
		       (unsigned long long)s.info.accepted,
		       (unsigned long long)s.info.closed);
	else
		printf("listener: not running ('kfaas sk serve' starts one)\n");
	printf("connections: %u served (%u sockets in the sockhash, %u "
	       "records)\n", s.connections, s.sockets, s.records);
	printf("dispatcher:%s", s.dispatcher ? "" : " not set up");
	for (i = 0; i < KFAAS_SK_DSTAT_MAX; i++)
		printf(" %s %llu", kfaas_sk_dstat_name(i),
		       (unsigned long long)s.dstats[i]);
	printf("\n");
	return 0;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output) {
		json_print_ok();
		return 0;
	}
	fprintf(stderr,
		"Usage: %s sk serve [--foreground] [--log FILE]\n"
		"       %s sk stop [--timeout SEC]\n"
		"       %s sk show\n"
		"       %s sk help\n"
		"\n"
		"The socket tier answers TCP requests in the kernel; a listener\n"
		"accepts the connections of the sk-tier routes and hands them\n"
		"to it.  kfaasd runs one; without kfaasd, 'sk serve' does, in\n"
		"the background (or the foreground) of this network namespace,\n"
		"following route changes every second (SIGHUP: at once).  One\n"
		"listener serves a pin root.  'sk stop' (SIGTERM) closes its\n"
		"listeners and connections; the pinned state stays.\n",
		bin_name, bin_name, bin_name, bin_name);
	return 0;
}

static const struct cmd cmds[] = {
	{ "serve",	do_serve },
	{ "stop",	do_stop },
	{ "show",	do_show },
	{ "help",	do_help },
	{ NULL, NULL },
};

int do_sk(int argc, char **argv)
{
	(void)obj_name;
	return cmd_select(cmds, argc, argv, do_show);
}
