// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures in kfaas.ko (run in the guest of a kernel with fault
 * injection, kfaas.ko not loaded):
 *
 *   kmod_fault KO
 *
 * With /proc/thread-self/fail-nth, the n-th slab or page allocation of
 * this task fails (failslab and fail_page_alloc, sleeping allocations
 * included), for n = 1, 2, ... until the call makes fewer than n
 * allocations:
 *
 *  - across loading the module (finit_module: the kernel's loader, the
 *    module's BTF, then kfaas_init): each attempt either fails with
 *    -ENOMEM and leaves nothing behind (no /sys/module/kfaas, /dev/kfaas,
 *    /proc/kfaas or /sys/kernel/btf/kfaas), or loads a module that works;
 *  - across every ioctl, from the same starting state each time: each
 *    call either fails with -ENOMEM and changes nothing (the registered
 *    functions, their limits and counters are compared), or does exactly
 *    what it does without the failure.
 *
 * Leaks are found by the suite's kmemleak scan afterwards.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kmod_guest.h"

#define MAX_N		20000	/* allocations one call may make */
#define MAX_FNS		16

static int nth_fd = -1;

/* Arm fail-nth: the n-th allocation from now fails (0: off). */
static void nth_set(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		ktap_print_msg("cannot write fail-nth: %s", strerror(errno));
		exit(KSFT_FAIL);
	}
}

/* What is left of it: 0 once the failure was injected. */
static int nth_left(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf);
}

static bool exists(const char *path)
{
	struct stat s;

	return stat(path, &s) == 0;
}

static int unload(void)
{
	int tries;

	for (tries = 0; tries < 500; tries++) {
		if (!syscall(SYS_delete_module, "kfaas", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

/* A loaded module is whole: its device, /proc file and kfuncs' BTF. */
static const char *module_missing(void)
{
	struct kfaas_ioc_version v = { .size = sizeof(v) };
	int fd, rc;

	if (!exists("/proc/kfaas"))
		return "/proc/kfaas";
	if (!exists(KFAAS_MOD_BTF))
		return KFAAS_MOD_BTF;
	fd = open(KFAAS_MOD_DEV, O_RDWR);
	if (fd < 0)
		return KFAAS_MOD_DEV;
	rc = ioc(fd, KFAAS_IOC_VERSION, &v);
	close(fd);
	return rc == 0 && v.nr_funcs == 0 ? NULL : "the VERSION ioctl";
}

static bool module_gone(void)
{
	return !exists(KFAAS_MOD_SYSFS) && !exists(KFAAS_MOD_DEV) &&
	       !exists("/proc/kfaas") && !exists(KFAAS_MOD_BTF);
}

static void test_load(const char *ko)
{
	int kfd = open(ko, O_RDONLY), n, rc, left, fails = 0, bad = 0,
	    other = 0, tolerated = 0, eloop = 0;
	double t0 = now_s();
	const char *what;

	if (kfd < 0) {
		ktap_test_result(0, "open %s: %s", ko, strerror(errno));
		return;
	}
	for (n = 1; n < MAX_N; n++) {
		nth_set(n);
		rc = syscall(SYS_finit_module, kfd, "", 0) ? -errno : 0;
		left = nth_left();
		nth_set(0);
		if (rc) {
			fails++;
			/*
			 * 6.1's module-BTF check (btf_check_type_tags) reads
			 * what a failed allocation left of the parsed types
			 * and reports "Max chain length or cycle detected":
			 * the kernel's error path, not kfaas.ko's.
			 */
			if (rc == -ELOOP) {
				if (eloop++ < 5)
					ktap_print_msg("load with allocation %d failing: -ELOOP from the kernel's module-BTF check", n);
				continue;
			}
			if (rc != -ENOMEM && other++ < 5)
				ktap_print_msg("load with allocation %d failing: %s",
					       n, strerror(-rc));
			if (!module_gone() && bad++ < 5)
				ktap_print_msg("load with allocation %d failing "
					       "left state behind", n);
			continue;
		}
		what = module_missing();
		if (what && bad++ < 5)
			ktap_print_msg("load with allocation %d failing: loaded "
				       "without %s", n, what);
		if (left == 0)
			tolerated++;	/* a failure the kernel works around */
		rc = unload();
		if (rc) {
			ktap_print_msg("cannot unload: %s", strerror(-rc));
			bad++;
			break;
		}
		if (left)
			break;		/* fewer than n allocations: done */
	}
	close(kfd);
	ktap_print_msg("module load: %d allocations, each made to fail (%d "
		       "failed the load, %d were worked around) in %.0f s",
		       n - 1, fails, tolerated, now_s() - t0);
	ktap_test_result(n > 1 && n < MAX_N && fails > 0,
			 "every allocation of the module load failed once");
	if (eloop)
		ktap_print_msg("%d failed loads got the kernel's module-BTF -ELOOP", eloop);
	KTAP_EXPECT_EQ(other, 0, "a failed load returns -ENOMEM (or the "
		       "kernel's module-BTF -ELOOP)");
	KTAP_EXPECT_EQ(bad, 0, "a failed load leaves nothing behind, a load "
		       "that succeeds is whole");
}

/* ---- ioctls ---------------------------------------------------------------- */
static int dev;

struct fnstate {
	__u32 id;
	struct kfaas_limits lim;
	struct kfaas_stats st;
};

struct state {
	int n;
	struct fnstate f[MAX_FNS];
};

static const struct kfaas_limits lim1 = { .rps = 1000, .rps_burst = 10,
					  .cpu_ns_per_sec = 5000000 };
static const struct kfaas_limits lim2 = { .bytes_per_sec = 100000 };
static const struct kfaas_stats ch1 = { .invocations = 11, .bytes_in = 111,
					.cpu_ns = 1111 };
static const struct kfaas_stats ch2 = { .invocations = 22, .errors = 2 };

/* The whole state, read without fault injection. */
static int snapshot(struct state *s)
{
	struct kfaas_stats_entry e[MAX_FNS];
	struct kfaas_ioc_stats_batch b = { .size = sizeof(b), .start_id = 1,
					   .max_entries = MAX_FNS,
					   .entries = (__u64)(unsigned long)e };
	struct kfaas_ioc_fn f;
	int i, rc;

	memset(s, 0, sizeof(*s));
	rc = ioc(dev, KFAAS_IOC_STATS_BATCH, &b);
	if (rc || b.next_id)
		return rc ? rc : -E2BIG;
	s->n = (int)b.count;
	for (i = 0; i < s->n; i++) {
		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.id = e[i].id;
		rc = ioc(dev, KFAAS_IOC_FN_GET, &f);
		if (rc)
			return rc;
		s->f[i].id = e[i].id;
		s->f[i].lim = f.limits;
		s->f[i].st = e[i].stats;
	}
	return 0;
}

static int fn_ioc(unsigned long cmd, __u32 id, const struct kfaas_limits *l)
{
	struct kfaas_ioc_fn f = { .size = sizeof(f), .id = id };

	if (l)
		f.limits = *l;
	return ioc(dev, cmd, &f);
}

static int charge(__u32 id, const struct kfaas_stats *d)
{
	struct kfaas_ioc_charge c = { .size = sizeof(c), .id = id, .delta = *d };

	return ioc(dev, KFAAS_IOC_CHARGE, &c);
}

/* Functions 1 (limits, counters), 2 (limits, counters), 3 (unlimited). */
static int baseline(void)
{
	struct state s;
	int i, rc = snapshot(&s);

	for (i = 0; i < s.n && !rc; i++)
		rc = fn_ioc(KFAAS_IOC_FN_UNREGISTER, s.f[i].id, NULL);
	return rc ?: fn_ioc(KFAAS_IOC_FN_REGISTER, 1, &lim1) ?:
	       fn_ioc(KFAAS_IOC_FN_REGISTER, 2, &lim2) ?:
	       fn_ioc(KFAAS_IOC_FN_REGISTER, 3, NULL) ?:
	       charge(1, &ch1) ?: charge(2, &ch2);
}

static struct fnstate *find(struct state *s, __u32 id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->f[i].id == id)
			return &s->f[i];
	return NULL;
}

static void add_fn(struct state *s, __u32 id, const struct kfaas_limits *l)
{
	int i = s->n++;

	while (i > 0 && s->f[i - 1].id > id) {
		s->f[i] = s->f[i - 1];
		i--;
	}
	memset(&s->f[i], 0, sizeof(s->f[i]));
	s->f[i].id = id;
	if (l)
		s->f[i].lim = *l;
}

static void del_fn(struct state *s, __u32 id)
{
	struct fnstate *f = find(s, id);

	if (!f)
		return;
	memmove(f, f + 1, (size_t)((s->f + s->n) - (f + 1)) * sizeof(*f));
	s->n--;
	memset(&s->f[s->n], 0, sizeof(s->f[0]));
}

/* One ioctl of the test, its argument and the state after it succeeds. */
struct op {
	const char *name;
	unsigned long cmd;
	int want;		/* its result without a failure */
	union {
		struct kfaas_ioc_version v;
		struct kfaas_ioc_fn f;
		struct kfaas_ioc_stats s;
		struct kfaas_ioc_stats_batch b;
		struct kfaas_ioc_charge c;
		struct kfaas_ioc_reset r;
	} arg;
};

static struct kfaas_stats_entry batch_out[300];

static void op_arg(const struct op *o, void *arg)
{
	memcpy(arg, &o->arg, sizeof(o->arg));
	if (o->cmd == KFAAS_IOC_STATS_BATCH)
		((struct kfaas_ioc_stats_batch *)arg)->entries =
			(__u64)(unsigned long)batch_out;
}

static void expect_after(const struct op *o, struct state *s)
{
	const struct kfaas_stats *d;
	struct fnstate *f;
	int i;

	switch (o->cmd) {
	case KFAAS_IOC_FN_REGISTER:
		if (!o->want)
			add_fn(s, o->arg.f.id, &o->arg.f.limits);
		break;
	case KFAAS_IOC_FN_UNREGISTER:
		del_fn(s, o->arg.f.id);
		break;
	case KFAAS_IOC_FN_SET_LIMITS:
		find(s, o->arg.f.id)->lim = o->arg.f.limits;
		break;
	case KFAAS_IOC_CHARGE:
		f = find(s, o->arg.c.id);
		d = &o->arg.c.delta;
		f->st.invocations += d->invocations;
		f->st.errors += d->errors;
		f->st.bytes_in += d->bytes_in;
		f->st.cpu_ns += d->cpu_ns;
		break;
	case KFAAS_IOC_RESET:
		for (i = 0; i < s->n; i++)
			if (!o->arg.r.id || s->f[i].id == o->arg.r.id)
				memset(&s->f[i].st, 0, sizeof(s->f[i].st));
		break;
	default:
		break;
	}
}

static void test_ioctl(const struct op *o)
{
	struct state before, after, want;
	union { struct kfaas_ioc_fn f; unsigned char b[128]; } arg;
	int n, rc, left, injected = 0, bad = 0;

	for (n = 1; n < MAX_N; n++) {
		if (baseline() || snapshot(&before)) {
			ktap_test_result(0, "%s: set up the functions", o->name);
			return;
		}
		want = before;
		expect_after(o, &want);
		op_arg(o, &arg);
		nth_set(n);
		rc = ioc(dev, o->cmd, &arg);
		left = nth_left();
		nth_set(0);
		if (left == 0)
			injected++;
		if (snapshot(&after)) {
			bad++;
			break;
		}
		if (rc == -ENOMEM) {
			if (memcmp(&after, &before, sizeof(after)) && bad++ < 3)
				ktap_print_msg("%s: failed with allocation %d "
					       "failing, and changed the state",
					       o->name, n);
		} else if (rc != o->want ||
			   memcmp(&after, &want, sizeof(after))) {
			if (bad++ < 3)
				ktap_print_msg("%s with allocation %d failing: "
					       "%s, state %s", o->name, n,
					       strerror(-rc),
					       memcmp(&after, &want, sizeof(after)) ?
					       "wrong" : "right");
		}
		if (left)
			break;	/* fewer than n allocations: done */
	}
	ktap_print_msg("%s: %d allocation%s made to fail", o->name, injected,
		       injected == 1 ? "" : "s");
	ktap_test_result(!bad && n < MAX_N, "%s: -ENOMEM leaves the state as "
			 "it was, or the call does what it does", o->name);
}

/* The ioctls whose allocations are made to fail, each in turn. */
static const struct op ops[] = {
	{ "VERSION", KFAAS_IOC_VERSION, 0,
	  .arg.v = { .size = sizeof(struct kfaas_ioc_version) } },
	{ "FN_REGISTER with a budget", KFAAS_IOC_FN_REGISTER, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 10,
		     .limits = { .rps = 5, .cpu_ns_per_sec = 6 } } },
	{ "FN_REGISTER unlimited", KFAAS_IOC_FN_REGISTER, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 65535 } },
	{ "FN_REGISTER of a registered id", KFAAS_IOC_FN_REGISTER, -EEXIST,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 1,
		     .limits = { .rps = 5 } } },
	{ "FN_UNREGISTER", KFAAS_IOC_FN_UNREGISTER, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 2 } },
	{ "FN_SET_LIMITS", KFAAS_IOC_FN_SET_LIMITS, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 1,
		     .limits = { .rps = 7, .bytes_per_sec = 9,
				 .bytes_burst = 90 } } },
	{ "FN_SET_LIMITS to unlimited", KFAAS_IOC_FN_SET_LIMITS, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 2 } },
	{ "FN_GET", KFAAS_IOC_FN_GET, 0,
	  .arg.f = { .size = sizeof(struct kfaas_ioc_fn), .id = 1 } },
	{ "STATS_GET", KFAAS_IOC_STATS_GET, 0,
	  .arg.s = { .size = sizeof(struct kfaas_ioc_stats), .id = 1 } },
	{ "STATS_BATCH", KFAAS_IOC_STATS_BATCH, 0,
	  .arg.b = { .size = sizeof(struct kfaas_ioc_stats_batch),
		     .start_id = 0, .max_entries = 300 } },
	{ "CHARGE", KFAAS_IOC_CHARGE, 0,
	  .arg.c = { .size = sizeof(struct kfaas_ioc_charge), .id = 2,
		     .delta = { .invocations = 5, .bytes_in = 50 } } },
	{ "RESET of one function", KFAAS_IOC_RESET, 0,
	  .arg.r = { .size = sizeof(struct kfaas_ioc_reset), .id = 1 } },
	{ "RESET of all", KFAAS_IOC_RESET, 0,
	  .arg.r = { .size = sizeof(struct kfaas_ioc_reset) } },
};

#define NOPS	(sizeof(ops) / sizeof(ops[0]))
#define CASES	(3 + (int)NOPS)	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	int kfd, rc;
	size_t i;

	ktap_plan_query(argc, argv, CASES);
	if (argc != 2) {
		fprintf(stderr, "usage: kmod_fault KO\n");
		return 2;
	}
	ktap_print_header();
	if (!fault_injection_available())
		ktap_exit_skip("this kernel has no fault injection (CONFIG_FAILSLAB, "
			       "CONFIG_FAULT_INJECTION_DEBUG_FS); make check-debug "
			       "runs it in a kernel with it");
	if (exists(KFAAS_MOD_SYSFS)) {
		ktap_print_msg("kfaas.ko must not be loaded");
		return KSFT_FAIL;
	}
	ktap_set_plan(CASES);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	/* no page fault (and so no allocation) in the middle of a call */
	if (nth_fd < 0 || fault_injection_setup(0) ||
	    mlockall(MCL_CURRENT | MCL_FUTURE)) {
		ktap_print_msg("cannot set up fault injection: %s", strerror(errno));
		return KSFT_FAIL;
	}
	test_load(argv[1]);

	kfd = open(argv[1], O_RDONLY);
	rc = kfd < 0 || syscall(SYS_finit_module, kfd, "", 0) ? -errno : 0;
	if (kfd >= 0)
		close(kfd);
	dev = rc ? -1 : open(KFAAS_MOD_DEV, O_RDWR);
	if (dev < 0) {
		ktap_print_msg("cannot load %s: %s", argv[1], strerror(errno));
		return KSFT_FAIL;
	}
	for (i = 0; i < NOPS; i++)
		test_ioctl(&ops[i]);
	baseline();
	fn_ioc(KFAAS_IOC_FN_UNREGISTER, 1, NULL);
	fn_ioc(KFAAS_IOC_FN_UNREGISTER, 2, NULL);
	fn_ioc(KFAAS_IOC_FN_UNREGISTER, 3, NULL);
	close(dev);
	close(nth_fd);
	return ktap_finished();
}
