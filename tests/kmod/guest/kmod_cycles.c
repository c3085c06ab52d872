// SPDX-License-Identifier: GPL-2.0
/*
 * Load/unload cycles of kfaas.ko with traffic (run in the guest, kfaas.ko
 * not loaded):
 *
 *   kmod_cycles BUILD_DIR KO N [FULL_EVERY]
 *
 * Traffic never stops: one thread sends requests through the real
 * dispatcher of a pin root of its own (echo on udp 7, BPF_PROG_TEST_RUN
 * of the pinned program, taken again for every batch), and one thread per
 * CPU runs whatever kfunc-calling program the current cycle has loaded.
 *
 * Cycle i inserts the module, registers functions with budgets, charges
 * and reads them through /dev/kfaas, loads a small XDP program calling
 * kfaas_kf_charge() (built here from the module's BTF, as libbpf would:
 * a skeleton would parse vmlinux's BTF again every cycle) and lets every
 * kfunc thread run it, checks that the module counted exactly the runs
 * made, and removes the module again.  Every FULL_EVERY-th
 * cycle is instead 'kfaas module load' then 'kfaas module unload' of the
 * pin root (kfaas_module_load/unload): the dispatcher and echo switch to
 * their kfunc variants under traffic and back.
 *
 * At the end every request sent through the dispatcher must have been
 * counted once (by the maps, or by the module and folded into the maps at
 * unload), and vmalloc, per-CPU and unreclaimable slab memory must not
 * have grown with the cycles.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ktap.h"
#include "libkfaas.h"
#include "kmod_guest.h"

/*
 * Runs per test-run call: 1.  With repeat > 1, BPF_PROG_TEST_RUN adds the
 * program to the kernel's XDP dispatcher and removes it again around every
 * call, re-patching its static call each time; three threads doing so for
 * different programs patch it thousands of times a second while the other
 * CPUs run through it.  In the debug kernel under TCG that crashed the
 * guest in bpf_dispatcher_xdp_func (an int3 of the patching no handler
 * claimed: 2 runs of 2, ~8 min in), in the kernel's text patching, not in
 * kfaas.ko.  repeat 1 never touches the dispatcher, and the traffic is the
 * same traffic.
 */
#define DISP_BATCH	1	/* dispatcher runs per test-run call */
#define KF_BATCH	1	/* kfunc program runs per test-run call */
#define KF_ID		4000	/* the function id the kfunc program charges */

static char root[128], disp_pin[192];
static unsigned char frame[256], pkt[64] = { [12] = 0x08 };
static size_t frame_len;
static int ncpu;
static volatile bool stop;
static long disp_runs, disp_fail, kf_runs, kf_fail;

/* the current cycle's kfunc program: -1 between cycles (the lock prefers
 * the writer: the runners take it back to back) */
static pthread_rwlock_t prog_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static int kf_fd = -1;

static void bind_cpu(long i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(i % ncpu), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *disp_traffic(void *arg)
{
	unsigned char out[512];

	while (!stop) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
			    .data_size_in = (__u32)frame_len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = DISP_BATCH);
		int fd = bpf_obj_get(disp_pin);

		if (fd < 0 || bpf_prog_test_run_opts(fd, &t) ||
		    t.retval != XDP_TX)
			__atomic_add_fetch(&disp_fail, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&disp_runs, DISP_BATCH, __ATOMIC_RELAXED);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void *kf_traffic(void *arg)
{
	bind_cpu((long)arg);
	while (!stop) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = KF_BATCH);
		bool ran = false;

		pthread_rwlock_rdlock(&prog_lock);
		if (kf_fd >= 0) {
			if (bpf_prog_test_run_opts(kf_fd, &t) || t.retval)
				__atomic_add_fetch(&kf_fail, 1, __ATOMIC_RELAXED);
			else
				__atomic_add_fetch(&kf_runs, KF_BATCH, __ATOMIC_RELAXED);
			ran = true;
		}
		pthread_rwlock_unlock(&prog_lock);
		if (!ran)
			usleep(1000);
	}
	return NULL;
}

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;	/* kB */
}

static int delete_module_wait(void)
{
	int tries;

	/* programs and the device's last reference go a little later */
	for (tries = 0; tries < 1000; tries++) {
		if (!syscall(SYS_delete_module, "kfaas", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		usleep(5000);
	}
	return -EBUSY;
}

/* Wait until counter moved by at least n (or a few seconds passed). */
static void wait_runs(long *counter, long from, long n)
{
	double t0 = now_s();

	while (__atomic_load_n(counter, __ATOMIC_RELAXED) - from < n &&
	       now_s() - t0 < 20)
		usleep(2000);
}

static long mismatches;
static struct btf *vmlinux_btf;

/* The loaded module's BTF: an fd, and the BTF id of kfaas_kf_charge. */
static int module_btf(__s32 *func_id)
{
	struct bpf_btf_info info;
	char name[64];
	__u32 id = 0, len;
	struct btf *btf;
	int fd;

	while (!bpf_btf_get_next_id(id, &id)) {
		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.kernel_btf && !strcmp(name, KFAAS_MOD_NAME)) {
			btf = btf__load_from_kernel_by_id_split(id, vmlinux_btf);
			*func_id = btf ? btf__find_by_name_kind(btf, "kfaas_kf_charge",
								BTF_KIND_FUNC) : -ENOENT;
			btf__free(btf);
			if (*func_id > 0)
				return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

#define MOV_IMM(r, v) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (r), .imm = (v) }

/* XDP: return kfaas_kf_charge(KF_ID, 3 ns, 5 bytes in, 7 out, REPLY) */
static int kf_prog_load(void)
{
	__s32 func_id = 0;
	int btf_fd = module_btf(&func_id), fd;
	struct bpf_insn insns[] = {
		MOV_IMM(BPF_REG_1, KF_ID),
		MOV_IMM(BPF_REG_2, 3),
		MOV_IMM(BPF_REG_3, 5),
		MOV_IMM(BPF_REG_4, 7),
		MOV_IMM(BPF_REG_5, KFAAS_OUTCOME_REPLY),
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL,
		  .off = 1, .imm = func_id },	/* fd_array[1]: the module */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd_array[2] = { -1, btf_fd };
	LIBBPF_OPTS(bpf_prog_load_opts, o, .fd_array = fd_array);

	if (btf_fd < 0)
		return btf_fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "kfaas_kcycle", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &o);
	fd = fd < 0 ? -errno : fd;
	close(btf_fd);
	return fd;
}

/* insmod, register/charge/read, a kfunc program under traffic, rmmod */
static int light_cycle(const char *ko)
{
	struct kfaas_limits l = { .rps = 1000, .cpu_ns_per_sec = 1000000 };
	struct kfaas_stats d = { .invocations = 1, .cpu_ns = 10 }, s;
	struct kfaas_limits none = {};
	struct kfaas_stats_entry *e;
	int fd, mfd, i, rc, prog;
	long runs0, runs;
	size_t n;

	fd = open(ko, O_RDONLY);
	if (fd < 0)
		return -errno;
	rc = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	mfd = kfaas_mod_open();
	if (mfd < 0)
		return mfd;
	for (i = 1; i <= 16 && !rc; i++)
		rc = kfaas_mod_fn_register(mfd, i * 97, &l) ?:
		     kfaas_mod_charge(mfd, i * 97, &d);
	rc = rc ?: kfaas_mod_fn_register(mfd, KF_ID, &none);
	if (!rc) {
		rc = kfaas_mod_stats_all(mfd, &e, &n);
		if (!rc) {
			if (n != 17 || e[0].stats.invocations != 1)
				rc = -EIO;
			free(e);
		}
	}
	prog = rc ? -1 : kf_prog_load();
	if (!rc && prog < 0)
		rc = prog;
	if (!rc) {
		/* the kfuncs in use on every CPU */
		pthread_rwlock_wrlock(&prog_lock);
		kf_fd = prog;
		runs0 = kf_runs;
		pthread_rwlock_unlock(&prog_lock);
		wait_runs(&kf_runs, runs0, (long)ncpu * KF_BATCH);
		pthread_rwlock_wrlock(&prog_lock);
		kf_fd = -1;
		runs = kf_runs - runs0;
		pthread_rwlock_unlock(&prog_lock);
		memset(&s, 0, sizeof(s));
		kfaas_mod_stats(mfd, KF_ID, &s);
		if ((long)s.invocations != runs || s.bytes_out != 7ULL * runs) {
			if (mismatches++ < 5)
				ktap_print_msg("the module counted %llu runs of "
					       "the kfunc program, %ld were made",
					       (unsigned long long)s.invocations, runs);
		}
		if (!runs)
			rc = -ETIMEDOUT;
	}
	if (prog >= 0)
		close(prog);
	close(mfd);
	return delete_module_wait() ?: rc;
}

/* 'kfaas module load' and 'kfaas module unload' under traffic */
static int full_cycle(const char *ko, __u32 echo_id)
{
	struct kfaas_stats s;
	long runs0;
	int rc, fd;

	rc = kfaas_module_load(ko, root);
	if (rc)
		return rc;
	runs0 = disp_runs;
	wait_runs(&disp_runs, runs0, 4L * DISP_BATCH);
	fd = kfaas_mod_open();
	memset(&s, 0, sizeof(s));
	if (fd >= 0) {
		kfaas_mod_stats(fd, echo_id, &s);
		close(fd);
	}
	if (!s.invocations) {
		ktap_print_msg("no request counted by kfaas.ko's kfuncs");
		rc = -EIO;
	}
	return kfaas_module_unload(root) ?: rc;
}

static int setup(const char *b, struct kfaas_fn_info *fi)
{
	struct kfaas_invoke_opts io = { .data = "count", .len = 5, .vlan = -1,
					.symmetric = true };
	/*
	 * The traffic's frames are symmetric (each reply is the next run's
	 * request) and run without kfaas invoke's token: a loop the
	 * dispatcher refuses unless the route allows it.
	 */
	struct kfaas_route r = { .tier = KFAAS_TIER_XDP,
				 .flags = KFAAS_ROUTE_F_LOOP_OK };
	struct kfaas_route_key key;
	struct kfaas_state st;
	char path[512];
	int rc;

	snprintf(root, sizeof(root), "/sys/fs/bpf/kfaas-kcyc-%d", getpid());
	snprintf(disp_pin, sizeof(disp_pin), "%s/dispatcher", root);
	snprintf(path, sizeof(path), "%s/bpf/echo.bpf.o", b);
	rc = kfaas_state_open(&st, root, KFAAS_OPEN_CREATE | KFAAS_OPEN_LOCK);
	if (rc)
		return rc;
	rc = kfaas_fn_load(&st, path, "echo", fi);
	r.fn_id = fi->id;
	rc = rc ?: kfaas_route_key_make(&key, "udp", "7", NULL) ?:
	     kfaas_route_add(&st, &key, &r) ?:
	     kfaas_invoke_frame(&st, fi, &io, frame, sizeof(frame), &frame_len);
	kfaas_state_close(&st);
	return rc;
}

static __u64 counted(__u32 id)
{
	struct kfaas_state st;
	struct kfaas_stats s = {};

	if (kfaas_state_open(&st, root, 0))
		return 0;
	kfaas_stats_read(&st, id, &s);
	kfaas_state_close(&st);
	return s.invocations;
}

#define CASES	6	/* the KTAP cases (--ktap-plan tells) */

int main(int argc, char **argv)
{
	long v0, p0, s0, v1, p1, s1, sent;
	int n, every, i, rc = 0, full = 0;
	pthread_t th[128];
	struct kfaas_fn_info fi;
	double t0, t1, tfull = 0;
	__u64 c0, c1;

	ktap_plan_query(argc, argv, CASES);
	if (argc < 4) {
		fprintf(stderr, "usage: kmod_cycles BUILD_DIR KO N [FULL_EVERY]\n");
		return 2;
	}
	n = atoi(argv[3]);
	every = argc > 4 ? atoi(argv[4]) : 0;
	ktap_print_header();
	ktap_set_plan(CASES);
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 64)
		ncpu = 64;
	kfaas_set_verbose(false);
	if (setup(argv[1], &fi)) {
		ktap_print_msg("setting up echo: %s", kfaas_errmsg());
		return KSFT_FAIL;
	}
	c0 = counted(fi.id);
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf) {
		ktap_print_msg("cannot read the kernel's BTF");
		return KSFT_FAIL;
	}
	for (i = 0; i <= ncpu; i++)
		pthread_create(&th[i], NULL, i ? kf_traffic : disp_traffic,
			       (void *)(long)i);
	/* one cycle first: memory the first load allocates for good */
	rc = light_cycle(argv[2]);
	v0 = meminfo("VmallocUsed");
	p0 = meminfo("Percpu");
	s0 = meminfo("SUnreclaim");
	t0 = now_s();
	for (i = 1; i < n && !rc; i++) {
		double c0 = now_s();

		if (every && i % every == 0) {
			rc = full_cycle(argv[2], fi.id);
			full++;
			tfull += now_s() - c0;
		} else {
			rc = light_cycle(argv[2]);
		}
	}
	t1 = now_s();
	stop = true;
	for (i = 0; i <= ncpu; i++)
		pthread_join(th[i], NULL);
	v1 = meminfo("VmallocUsed");
	p1 = meminfo("Percpu");
	s1 = meminfo("SUnreclaim");
	sent = disp_runs;
	c1 = counted(fi.id);

	if (!ktap_test_result(rc == 0, "%d cycles (%d of them 'kfaas module load' "
			      "+ 'unload') with traffic", n, full))
		ktap_print_msg("cycle %d: %s (%s)", i, strerror(-rc), kfaas_errmsg());
	ktap_print_msg("%.1f s: %.0f ms per cycle, %.0f ms per 'kfaas module "
		       "load' + 'unload'; %ld requests through the dispatcher, "
		       "%ld runs of kfunc programs; vmalloc %+ld kB, percpu %+ld "
		       "kB, unreclaimable slab %+ld kB", t1 - t0,
		       (t1 - t0 - tfull) * 1e3 / (n - 1 - full > 0 ? n - 1 - full : 1),
		       full ? tfull * 1e3 / full : 0.0, sent, kf_runs,
		       v1 - v0, p1 - p0, s1 - s0);
	KTAP_EXPECT_EQ(disp_fail + kf_fail, 0, "every request answered, every "
		       "kfunc program run succeeded");
	KTAP_EXPECT_EQ(mismatches, 0, "the module counted exactly the runs of "
		       "each cycle's kfunc program");
	KTAP_EXPECT_EQ(c1 - c0, sent, "every request through the dispatcher "
		       "counted once across the cycles");
	/* a leak of the 512 KiB id table or of the per-CPU counters per cycle
	 * would be 100 MiB / several MiB here */
	ktap_test_result(v1 - v0 < 2048 && p1 - p0 < 512,
			 "no vmalloc or per-CPU memory kept by the cycles");
	ktap_test_result(s1 - s0 < 4096,
			 "unreclaimable slab does not grow with the cycles");
	{
		struct kfaas_state st;

		if (!kfaas_state_open(&st, root, KFAAS_OPEN_LOCK)) {
			kfaas_fn_unload(&st, "echo");
			kfaas_state_close(&st);
		}
		kfaas_state_destroy(root);
	}
	return ktap_finished();
}
