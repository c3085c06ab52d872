/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfaasd: the VM tier of kfaas.  Declarations shared by its files, one
 * purpose each, from the top (main.c) down:
 *
 *   main.c        start-up, the event loop's rounds, signals, shutdown
 *   opts.c        the command line: the option table, parsing, usage
 *   conf_apply.c  applying kfaas.conf(5) at start and on SIGHUP
 *   control.c     the root-only control socket (line-delimited JSON)
 *   listen.c      UDP and TCP sockets for the routes of the route table
 *   sk.c          the socket tier's listener (unless --no-sk)
 *   metrics.c     the Prometheus endpoint (--metrics)
 *   cluster.c     the node agent (--cluster): its threads' shared state
 *                 and the main loop's side (applying the node's share)
 *   cluster_node.c  its threads: registration and lease, status and
 *                 counters; the watch of the desired state
 *   cluster_sched.c the scheduler thread: election, placement
 *   fns.c         the VM-tier functions, kept in step with the registry;
 *                 a request handed to its function's pool
 *   pool.c        a function's warm pool, template and request queue
 *   lifecycle.c   the lifecycle policy driving a pool: its decisions,
 *                 pre-warms and releases (docs/lifecycle.md)
 *   memcap.c      the memory of all VMs and templates: measured, bounded
 *                 by --mem-limit, given up by value
 *   measure.c     what a VM holds and uses: private memory, CPU time,
 *                 a template's resident RAM
 *   ledger.c      what kfaasd learns and keeps about every function of
 *                 every tier: arrival histogram, cost totals and history,
 *                 saved in RUNDIR/lifecycle
 *   vm.c          one microVM: boot, restore, serve, die; it reports to
 *                 its owner (the pool) through struct vm_ops
 *   qemu.c        QEMU command line, spawning with the fewest privileges
 *   qmp.c         QMP client (snapshot save and restore)
 *   chan.c        the agent channel (include/kfaas/agent.h) on the host
 *   accel.c       KVM or TCG: timed probe boot of the real guest, cached
 *   image.c       per-function initramfs: base image + the executable
 *   kernel.c      the guest kernel (vmlinux from a bzImage), TSC frequency
 *   rundir.c      the run directory it owns; leftovers of a killed daemon
 *   req.c         a request: made, finished once (charged, answered)
 *   account.c     charging invocations to the shared accounting
 *   logs.c        function logs: the eBPF tiers' ring, the VM tier's
 *                 stderr; the history in RUNDIR/logs
 *   journal.c     a function log entry to the journal (under systemd)
 *   pinroot.c     the pin root, open for the daemon's life
 *   loop.c        epoll watches, deferred work
 *   log.c         messages to stderr (the journal under systemd)
 *
 * From libkfaas and beside it: the byte buffer of every socket and
 * channel (kfaas_iobuf.h), the clock (kfaas_clock.h), the agent
 * protocol's decoding (<kfaas/agent_proto.h>).
 *
 * Single-threaded: every socket, pipe and process is a watch in one epoll
 * loop, so a looping or crashing function never stalls another.
 */
#ifndef KFAASD_H
#define KFAASD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <json-c/json.h>
#include <kfaas/abi.h>
#include <kfaas/agent.h>
#include <kfaas/agent_proto.h>
#include <libkfaas.h>
#include <kfaas_conf.h>
#include <kfaas_clock.h>
#include <kfaas_iobuf.h>
#include <kfaas_lifecycle.h>

/* ---- lists (circular, doubly linked) ---- */
struct list {
	struct list *prev, *next;
};
#define LIST_INIT(l)	{ &(l), &(l) }
static inline void list_init(struct list *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }
static inline void list_add_tail(struct list *n, struct list *head)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}
static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))
#define list_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); \
	     pos = tmp, tmp = pos->next)

/* ---- the daemon's options (opts.c): its command line, then what start-up
 * derives from it ---- */
enum accel { ACCEL_AUTO, ACCEL_PROBE, ACCEL_KVM, ACCEL_TCG };
enum journal { JOURNAL_AUTO, JOURNAL_YES, JOURNAL_NO };

struct kfaasd_opts {
	const char	*pin_root;
	char		run_dir[108];
	const char	*cache_dir;
	const char	*kernel;	/* --kernel, or NULL: from the image */
	const char	*initramfs;	/* base image (tools/mkinitramfs-vm.sh) */
	const char	*qemu;
	int		accel;		/* enum accel asked for */
	bool		snapshot;	/* clone VMs from a template snapshot */
	bool		drop_privs;	/* run QEMU as its own uid */
	uid_t		uid_base;	/* QEMU of function id N runs as base+N */
	unsigned int	queue_max;	/* waiting requests per function */
	size_t		max_request;
	size_t		max_response;
	unsigned int	boot_timeout_ms;
	unsigned int	probe_timeout_ms;
	unsigned int	tcp_timeout_ms;	/* a TCP client must send in time */
	unsigned int	max_conns;	/* TCP clients at once (listen.c) */
	unsigned int	refresh_ms;	/* route/registry re-read period */
	unsigned int	tsc_khz;
	int		verbose;
	const char	*conf_path;	/* kfaas.conf(5) to apply, or NULL */
	const char	*metrics;	/* [ADDR:]PORT of /metrics, or NULL */
	bool		sk;		/* serve the socket tier's listener */
	unsigned int	mem_limit_mib;	/* all VMs and templates, 0: no cap */
	unsigned int	hist_bin_ms;	/* arrival histograms: bin width */
	unsigned int	hist_bins;	/* ... and bin count */
	unsigned int	sample_ms;	/* accounting and memory read this often */
	unsigned int	cost_step_s;	/* the cost history keeps a point this often */
	size_t		log_size;	/* history bytes a function (logs.c) */
	int		journal;	/* enum journal: function logs there */
	/* the cluster (cluster.c): NULL endpoints, a single node */
	const char	*cluster;	/* etcd endpoints */
	const char	*etcd_ca, *etcd_cert, *etcd_key;
	const char	*cluster_prefix;
	const char	*node;		/* this node's name (hostname) */
	const char	*node_addr;	/* where it serves, for people */
	struct kfaas_labels labels;
	unsigned int	node_mem_mib;	/* capacity for VMs, 0: MemTotal */
	unsigned int	node_cpus;	/* 0: the online CPUs */
	unsigned int	lease_ttl_s;
	unsigned int	stats_ms;	/* counters published this often */
	const char	*artifact_dir;	/* fetched artifacts (CACHE/artifacts) */
	/* derived at start-up */
	char		vmlinux[512];
	char		kver[64];
	int		accel_used;	/* ACCEL_KVM or ACCEL_TCG */
	char		accel_why[160];
	char		qemu_version[64];
};
extern struct kfaasd_opts opts;
/* opts from the command line (opts.c); 0, or -1 after saying what is wrong */
int opts_parse(int argc, char **argv);

#define KFAASD_CONF_DEFAULT	"/etc/kfaas/kfaas.yaml"

/* ---- pinroot.c: the pin root, open (unlocked) for the daemon's life ---- */
extern struct kfaas_state pinroot;
int pinroot_open(void);		/* create it if needed; -errno */
/* A locked state of the pin root, waited for briefly (-EAGAIN: busy). */
int pinroot_lock(struct kfaas_state *st);
void pinroot_close(void);

/* ---- sk.c: the socket tier's listener (unless --no-sk) ---- */
void sk_start(void);
void sk_refresh(void);
uint64_t sk_next_deadline(void);
void sk_tick(void);
void sk_stop(void);
bool sk_serving(void);

/* ---- metrics.c: the Prometheus endpoint (--metrics) ---- */
int metrics_start(const char *spec);
uint64_t metrics_next_deadline(void);
void metrics_tick(void);
void metrics_stop(void);

/* ---- cluster.c: the node agent (opts.cluster set) ---- */
int cluster_start(void);		/* threads; -errno */
void cluster_stop(void);
uint64_t cluster_next_deadline(void);
void cluster_tick(uint64_t now);
json_object *cluster_status(void);	/* for 'kfaas daemon status', or NULL */
void cluster_metrics(FILE *f);		/* gauges for /metrics */

/* ---- conf_apply.c: kfaas.conf(5) at opts.conf_path, at start and SIGHUP ---- */
/* -EAGAIN: the pin root is busy, try again later. */
int conf_apply(void);
/* The apply ops of an in-process apply: kfaasd adopts VM functions now. */
struct kfaas_apply_ops;
extern const struct kfaas_apply_ops conf_apply_ops;

/* ---- log.c ---- */
enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define dbg(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- loop.c ---- */
struct watch {
	int	fd;
	void	(*cb)(struct watch *w, uint32_t events);
	uint32_t events;	/* registered events */
	bool	in_loop;
};
int loop_init(void);
int loop_add(struct watch *w, int fd, uint32_t events,
	     void (*cb)(struct watch *w, uint32_t events));
int loop_mod(struct watch *w, uint32_t events);
/* Remove from the loop and close the fd. */
void loop_close(struct watch *w);
/* Remove from the loop, keep the fd. */
void loop_remove(struct watch *w);
/* Run fn(arg) once the current event's callback has returned. */
int loop_defer(void (*fn)(void *arg), void *arg);
/* Wait for one event up to timeout_ms (-1: forever) and run it. */
int loop_run_once(int timeout_ms);

/* ---- rundir.c ---- */
int rundir_take(void);		/* create, lock, clean leftovers */
void rundir_release(void);	/* remove everything (clean stop) */
int rundir_fn_dir(__u32 id, char *buf, size_t len);
/* The -name tag QEMU runs with: "guest=kfaasd:RUNDIR:FN:VM". */
int rundir_vm_tag(__u32 fn_id, unsigned int vm, char *buf, size_t len);

/* ---- kernel.c ---- */
int kernel_setup(void);		/* opts.vmlinux, opts.kver, opts.tsc_khz */

/* ---- accel.c ---- */
int accel_setup(void);		/* opts.accel_used */

/* ---- image.c ---- */
/* Check exe can run in the guest: a static ELF for this machine. */
int image_check_exec(const char *exe, char *why, size_t len);
/* dir/image.cpio = base image + exe as /fn, readable by gid. */
int image_build(const char *exe, const char *dir, gid_t gid, char *out,
		size_t len, char *why, size_t wlen);

/* ---- qemu.c ---- */
struct qemu_spec {
	__u32		fn_id;
	unsigned int	vm_seq;
	const char	*name;		/* function name (process name) */
	const char	*image;
	unsigned int	mem_mib;
	unsigned int	vcpus;
	int		accel;		/* ACCEL_KVM or ACCEL_TCG */
	const char	*mem_path;	/* file-backed RAM, or NULL */
	bool		mem_share;	/* share=on (template) or off (clone) */
	int		state_fd;	/* restore from this, or -1 */
	uid_t		uid;		/* -1: do not drop */
};
struct qemu_proc {
	pid_t	pid;
	int	pidfd;
	int	chan_fd;	/* agent channel (our end) */
	int	qmp_fd;		/* QMP (our end) */
	int	con_fd;		/* console and QEMU's stderr (read end) */
};
int qemu_spawn(const struct qemu_spec *s, struct qemu_proc *p);
uid_t qemu_uid(__u32 fn_id);
/* "7.2.22": the version of opts.qemu (runs it with -version). */
int qemu_version(char *buf, size_t len);

/* ---- chan.c: framing of the agent protocol over a byte stream ---- */
struct chan {
	struct watch	w;
	struct kfaas_iobuf in;		/* bytes of messages not yet handled:
					 * one message of max_payload at most */
	struct kfaas_iobuf out;		/* messages not yet written */
	size_t		max_payload;	/* the largest message the peer may send */
	__u32		seq;
};
void chan_init(struct chan *c, size_t max_payload);
void chan_free(struct chan *c);
int chan_send(struct chan *c, __u16 type, const void *a, size_t alen,
	      const void *b, size_t blen);
/* Flush pending output; 0, or -errno when the peer is gone. */
int chan_flush(struct chan *c);
/*
 * Read what is there, a round's share at most (the rest comes in the next
 * rounds of the loop); 0, -EPIPE at EOF, -errno.
 */
int chan_fill(struct chan *c);
/*
 * The header of the next message, as soon as it is in: 1 (*h), 0 (not all
 * of it yet), -EPROTO (the input is not a message header) or -EMSGSIZE
 * (it announces more than max_payload).
 */
int chan_header(const struct chan *c, struct kfaas_agent_hdr *h);
/* Its payload once all of it is in (h->len bytes, valid until the next
 * chan_fill()), or NULL.  Then chan_consume() it. */
const char *chan_payload(const struct chan *c, const struct kfaas_agent_hdr *h);
void chan_consume(struct chan *c, const struct kfaas_agent_hdr *h);
/* The epoll events the channel wants. */
uint32_t chan_events(const struct chan *c);

/* ---- qmp.c ---- */
struct qmp;
typedef void (*qmp_cb)(struct qmp *q, json_object *ret, const char *error,
		       void *ctx);
struct qmp_cmd;
struct qmp {
	struct watch	w;
	struct kfaas_iobuf in;		/* lines not yet handled */
	bool		greeted;
	struct qmp_cmd	*pending, *last;	/* FIFO of sent commands */
	void		(*on_event)(struct qmp *q, const char *event,
				    json_object *data, void *ctx);
	void		*ctx;
};
void qmp_init(struct qmp *q, void *ctx);
void qmp_free(struct qmp *q);
/* Queue a command (with an fd for SCM_RIGHTS, or -1). */
int qmp_send(struct qmp *q, const char *cmd, json_object *args, int fd,
	     qmp_cb cb);
/* Handle readable input; -errno when QEMU is gone. */
int qmp_input(struct qmp *q);
/* A string member of an object, or NULL. */
const char *qmp_str(json_object *o, const char *key);
/* The status of a MIGRATION event, or NULL for any other event. */
const char *qmp_migration_status(const char *event, json_object *data);

/*
 * ---- requests (req.c) ----
 * A request walks down once: listener or control socket -> req_submit()
 * (fns.c) -> its pool (queued, pool.c) -> a VM (vm.c) -> the agent channel
 * (chan.c); and comes back once: req_finish() calls its done().
 */
enum req_err {
	REQ_OK = 0,
	REQ_E_QUEUE_FULL,	/* over the queue bound (throttled) */
	REQ_E_OVER_BUDGET,	/* over the function's budget: shed (throttled) */
	REQ_E_TIMEOUT,		/* over the function's timeout */
	REQ_E_CRASH,		/* the VM died while serving it */
	REQ_E_FAILED,		/* the function exited non-zero / by signal */
	REQ_E_TOO_LARGE,	/* its response was over the limit */
	REQ_E_UNAVAILABLE,	/* the function cannot start VMs */
	REQ_E_GONE,		/* the function was unloaded */
	REQ_E_NOFN,		/* no such function */
};
struct result {
	int		err;		/* enum req_err */
	char		msg[256];	/* for errors: what happened */
	int		status;		/* wait status when the function ran */
	const char	*out;
	size_t		out_len;
	const char	*errtext;	/* the function's stderr (head) */
	size_t		errtext_len;
	uint64_t	fn_wall_ns;
	uint64_t	fn_cpu_ns;
	int		vm_id;
	bool		ran;		/* dispatched to a VM */
};
struct req;
typedef void (*req_done_fn)(struct req *r, const struct result *res);
struct pool;
struct req {
	struct list	link;		/* in its pool's queue */
	struct pool	*pool;		/* the pool it is queued in */
	__u32		fn_id;
	char		*data;
	size_t		len;
	uint64_t	t_recv_ns;
	req_done_fn	done;		/* exactly once; then the req is freed */
	void		*ctx;
	struct vm	*vm;		/* serving it */
};
/* A request to function fn_id (owning data), answered by done() (with
 * ctx in r->ctx). */
struct req *req_new(__u32 fn_id, char *data, size_t len, req_done_fn done,
		    void *ctx);
/* Account, call done() (unless orphaned), free. */
void req_finish(struct req *r, struct result *res);
/* Finish with an error (enum req_err) and what happened. */
void req_fail(struct req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- vm.c ---- */
enum vm_state {
	VM_BOOTING,	/* cold boot: waiting for HELLO */
	VM_RESTORING,	/* incoming migration running */
	VM_RESEEDING,	/* RESTORE sent: waiting for RESTORED */
	VM_SAVING,	/* template: migrating to the state file */
	VM_IDLE,
	VM_BUSY,
	VM_DEAD,
};
struct vm;
/*
 * What a VM tells its owner (the pool), from the VM's own events (its
 * channel, QMP, process; vm_tick() for a template that did not start in
 * time): the owner decides what comes next.
 */
struct vm_ops {
	/* booted (or restored and reseeded): idle and ready to serve */
	void (*ready)(struct vm *v);
	/* its request was answered: idle again */
	void (*answered)(struct vm *v);
	/* a template's snapshot: saved (rc 0), or -errno and why not */
	void (*saved)(struct vm *v, int rc, const char *why);
	/* its QEMU is gone and reaped: the last call, v is freed after it */
	void (*dead)(struct vm *v);
};
/* What a VM is started with. */
struct vm_spec {
	__u32		fn_id;
	unsigned int	seq;		/* VM number within the function */
	const char	*name;		/* the function's, for messages */
	const char	*image;
	unsigned int	mem_mib;
	unsigned int	vcpus;
	uid_t		uid;		/* QEMU's, or -1 */
	const char	*tpl_mem;	/* the template's RAM file */
	const char	*tpl_state;	/* the template's device state file */
	bool		is_template;	/* boot, save the snapshot, die */
	bool		clone;		/* restore from the template */
	bool		resident;	/* requests go to the resident /fn */
	const struct vm_ops *ops;
	void		*owner;		/* for ops */
};
struct vm {
	struct list	link;		/* in its owner's list */
	const struct vm_ops *ops;
	void		*owner;
	const char	*name;		/* the function's */
	const char	*tpl_state;	/* template: where to save */
	unsigned int	seq;		/* VM number within the function */
	int		state;
	bool		is_template;
	bool		cloned;		/* restored from the snapshot */
	bool		resident;	/* requests go to the resident /fn */
	unsigned int	restarts;	/* of its resident process */
	struct qemu_proc proc;
	struct watch	pidw;
	struct watch	conw;
	struct chan	chan;
	struct qmp	qmp;
	char		con[2048];	/* console tail */
	size_t		con_len;
	uint64_t	t_start_ns;
	uint64_t	t_ready_ns;
	uint64_t	idle_since_ms;
	uint64_t	deadline_ms;	/* boot or request timeout, 0 = none */
	struct req	*req;
	uint64_t	req_start_ns;
	unsigned int	req_timeout_ms;	/* the timeout req runs with */
	const char	*kill_reason;	/* why we killed it */
	char		why[160];	/* a kill_reason made up for it */
	bool		crashed;	/* it broke before we killed it */
	int		served;
	double		mem_mib;	/* private memory: measured, or estimated
					 * until the first measurement */
	bool		mem_measured;
	uint64_t	cpu_ns;		/* QEMU's CPU time once reaped (rusage) */
};
/* Start QEMU (NULL: it did not start, logged); the owner lists it. */
struct vm *vm_start(const struct vm_spec *s);
/* Kill (SIGKILL); the exit is handled when the process is reaped. */
void vm_kill(struct vm *v, const char *why);
/* Send a request to an idle VM, to be answered within timeout_ms. */
void vm_dispatch(struct vm *v, struct req *r, unsigned int timeout_ms);
/* Kill a VM past its deadline; true when that was a request's timeout. */
bool vm_tick(struct vm *v, uint64_t now);
/* Complete the VM's current request with res. */
void vm_finish_req(struct vm *v, struct result *res);
/* Wait for a killed VM's QEMU to exit and reap it (its CPU time kept). */
void vm_reap(struct vm *v);
/* Free a VM whose process has been reaped. */
void vm_destroy(struct vm *v);
const char *vm_state_name(int state);
/* Last lines of the guest console, for error messages. */
const char *vm_console_tail(const struct vm *v, char *buf, size_t len);

/* ---- lifecycle.c: the lifecycle policy driving a pool ---- */
struct pool;
struct lc {
	bool		on;		/* keep-alive auto, fixed or none (not idle-ttl) */
	struct kfaas_lc_params	params;
	struct kfaas_lc_costs	c;	/* measured where the pool measured them */
	struct kfaas_lc_decision d;	/* made when the idle period started */
	bool		started;	/* a request came since the pool started */
	bool		idle;		/* nothing queued or running */
	uint64_t	idle_start_ms;
	bool		hold_off;	/* pre-warm skipped or evicted: hold what
					 * is there until the schedule changes */
	int		last_want;	/* temperature last applied, -1: none */
	double		freq;		/* requests since it was last cold */
	double		clock;		/* memcap's clock at its last request */
	/* counters for status, stats and metrics */
	uint64_t	n_prewarms, n_prewarm_skipped, n_evictions, n_released,
			n_decisions;
	uint64_t	n_found[KFAAS_LC_NTEMPS];	/* what requests found */
	uint64_t	n_found_starting;	/* of those not warm: a VM or
						 * template was already starting */
};
void lc_init(struct pool *p);
/* A request arrived (before it is queued or served). */
void lc_arrival(struct pool *p);
/* The pool may have gone idle (nothing queued or running): decide. */
void lc_check_idle(struct pool *p);
/* What the policy holds now: VMs to keep started (at least min-warm),
 * whether a template is wanted. */
unsigned int lc_target_vms(struct pool *p);
bool lc_template_wanted(struct pool *p);
/* A VM or template was started ahead of requests / could not be. */
void lc_prewarmed(struct pool *p);
void lc_prewarm_skipped(struct pool *p);
/* Memory was taken from it (memcap.c) */
void lc_evicted(struct pool *p, bool template);
void lc_tick(struct pool *p, uint64_t now);
uint64_t lc_next_deadline(struct pool *p);
/* The temperature the pool holds now. */
enum kfaas_lc_temp lc_held(struct pool *p);
json_object *lc_status(struct pool *p);
/* fn show: the decision, what is held and until when, why */
json_object *lc_show(struct pool *p);

/* ---- pool.c ---- */
enum tpl_state { TPL_NONE, TPL_BOOTING, TPL_SAVING, TPL_READY, TPL_FAILED };
struct fn;
struct pool {
	struct fn	*fn;
	struct list	vms;
	struct list	queue;
	unsigned int	nqueue;
	unsigned int	next_seq;
	int		tpl_state;
	char		tpl_mem[200];
	char		tpl_state_path[200];
	uint64_t	tpl_ms;		/* how long the template took */
	char		broken[640];	/* why VMs cannot start, or "" */
	uint64_t	retry_at_ms;	/* next start attempt after failures */
	unsigned int	fails;		/* consecutive failed starts */
	bool		stopping;
	/* counters for status */
	uint64_t	n_cold, n_clone, n_timeouts, n_crashes, n_overflows,
			n_reclaimed, n_served, n_failed_starts,
			n_discarded,	/* fresh: VMs killed after one request */
			n_restarts_dead; /* resident restarts in VMs now gone */
	uint64_t	last_cold_ms, last_clone_ms;
	/* control connections waiting for the pool to be ready */
	struct list	waiters;
	struct lc	lc;		/* the lifecycle policy (lifecycle.c) */
	bool		mem_wait;	/* a request waits for memory (memcap.c) */
	uint64_t	last_tpl_ms;	/* the last template's boot and save */
	uint64_t	slow_clone_ms;	/* the slowest recent clone (decaying) */
	double		tpl_mib;	/* the template's resident RAM, measured */
	double		vm_mib_max;	/* largest private memory of its clones */
	uint64_t	cpu_dead_ns;	/* CPU of its QEMU processes reaped */
};
void pool_init(struct pool *p, struct fn *fn);
/* Stop everything; queued requests fail with REQ_E_GONE. */
void pool_stop(struct pool *p);
void pool_maintain(struct pool *p);
void pool_tick(struct pool *p, uint64_t now);
uint64_t pool_next_deadline(struct pool *p);
/* Serve r (to an idle VM, or queued), or finish it with an error. */
void pool_enqueue(struct pool *p, struct req *r);
/* Forget r's client (it went away): the reply is dropped, a queued r too. */
void req_orphan(struct req *r);
json_object *pool_status(struct pool *p);
/* "none", "booting", "saving", "ready" or "failed" */
const char *pool_template_state(const struct pool *p);
/* true when the template exists and min_warm VMs are ready (a standby:
 * its template) */
bool pool_ready(const struct pool *p);
/* A cluster standby: a ready template kept, no VM ahead (pool.c). */
#define pool_standby(p)	(!!((p)->fn->vm.flags & KFAAS_VM_F_STANDBY))
/* VMs of the pool (not the template) in any of the states (bits) */
unsigned int pool_count(struct pool *p, unsigned int states);
#define VM_S(x)		(1U << (x))
#define VM_STARTING	(VM_S(VM_BOOTING) | VM_S(VM_RESTORING) | VM_S(VM_RESEEDING))
#define VM_LIVE		(VM_STARTING | VM_S(VM_IDLE) | VM_S(VM_BUSY))
/* Kill idle VMs above keep (why says what for); how many. */
unsigned int pool_release_vms(struct pool *p, unsigned int keep, const char *why);
/* Drop a ready template no VM runs from (its files): true when dropped. */
bool pool_drop_template(struct pool *p);
/* QEMU CPU time of the pool's VMs, those reaped and those running. */
uint64_t pool_cpu_ns(struct pool *p);
/* call cb(ctx, err) once ready (err NULL) or failed */
struct pool_waiter {
	struct list	link;
	void		(*cb)(struct pool_waiter *w, const char *err);
};
void pool_wait_ready(struct pool *p, struct pool_waiter *w);

/* ---- fns.c ---- */
struct fn {
	struct list	link;
	__u32		id;
	char		name[KFAAS_NAME_LEN];
	char		source[KFAAS_PATH_LEN];
	struct kfaas_vm_params vm;
	__u64		load_time;	/* tells a reused id apart */
	char		dir[160];	/* RUNDIR/fn/ID */
	char		image[200];
	uid_t		uid;
	struct pool	pool;
	/*
	 * Its budget (kfaas budget set), enforced on the requests it gets:
	 * the same token buckets as the eBPF tiers', so an XDP function's
	 * overflow passed to it is bounded too.
	 */
	struct kfaas_local_budget budget;
	uint64_t	n_shed;		/* requests refused by it */
	bool		seen;
};
extern struct list fns;
struct fn *fn_by_id(__u32 id);
struct fn *fn_by_name(const char *name);
/* Register a new VM-tier function and start its pool. */
int fn_create(const char *name, const char *exe, const struct kfaas_vm_params *p,
	      struct fn **out, char *why, size_t len);
/* Undo a create whose pool never became ready. */
void fn_abort(struct fn *f);
/* Unregister (refused while routes use it) and stop its pool. */
int fn_unload(const char *name, char *why, size_t len);
/* Adopt/forget functions to match the registry. */
void fns_sync(void);
void fns_stop_all(void);
/*
 * Give r to its function's pool, if its budget admits it (else it is
 * shed: REQ_E_OVER_BUDGET); done() is called exactly once.
 */
void req_submit(struct req *r);
uint64_t fns_next_deadline(void);
void fns_tick(uint64_t now);

/* ---- measure.c ---- */
/* Private memory (Private_Clean + Private_Dirty) of a process, MiB; -1. */
double measure_private_mib(pid_t pid);
/* utime + stime of a process (all its threads), ns; 0 when gone. */
uint64_t measure_cpu_ns(pid_t pid);
/* Resident pages of a file (mincore), MiB; 0 when it is not there. */
double measure_resident_mib(const char *path);

/* ---- memcap.c: the memory of all VMs and templates ---- */
/* MiB held now: VMs (measured, or estimated until measured) + templates */
double memcap_held_mib(void);
/* What a VM of p about to start will hold: its QEMU alone, and with a
 * template's RAM file. */
double memcap_vm_estimate(struct pool *p, bool is_template);
double memcap_estimate(struct pool *p, bool is_template);
/* Room for need MiB more for p, made by evicting others by value:
 * true when it fits (always without --mem-limit). */
bool memcap_admit(struct pool *p, double need);
/* Measure every VM and template (every opts.sample_ms, from ledger.c);
 * over the cap, evict idle holdings. */
void memcap_measure(double dt_s);
/* Memory was freed: pools waiting for some try again. */
void memcap_freed(void);
/* The greedy-dual clock (kfaas_lc_cache) new requests are stamped with. */
double memcap_clock(void);
/* Memory of one pool, MiB: VMs, idle VMs, template. */
void memcap_pool_mib(struct pool *p, double *vms, double *idle, double *tpl);
json_object *memcap_status(void);

/* ---- ledger.c: every function of every tier ---- */
struct ledger;
/* Adopt/forget functions to match the registry (all tiers). */
void ledger_sync(const struct kfaas_fn_info *fns, size_t n);
/* Start keeping a function just registered (its saved files are read). */
void ledger_adopt(const struct kfaas_fn_info *f);
/* The function's arrival histogram (NULL: no such function). */
struct kfaas_lc_hist *ledger_hist(__u32 id);
/* n arrivals, the first after idle_ms of idleness, the others alike. */
void ledger_arrivals(__u32 id, uint64_t idle_ms, uint64_t n);
void ledger_tick(uint64_t now);
uint64_t ledger_next_deadline(void);
/* Save every histogram and cost total (a clean stop). */
void ledger_save_all(void);
/* The histogram in JSON, for fn show. */
json_object *ledger_show(__u32 id);
/* What every function cost since `since` (epoch seconds, 0: all). */
json_object *ledger_cost(uint64_t since);
/* Memory held for a function over dt seconds (memcap.c). */
void ledger_held(__u32 id, double mib, double idle_mib, double tpl_mib,
		 double dt_s);

/* ---- listen.c ---- */
void listen_refresh(void);
void listen_close_all(void);
json_object *listen_status(void);
/* TCP clients now, and those closed at accept over opts.max_conns. */
void listen_counts(unsigned int *conns_now, uint64_t *refused);
void listen_tick(uint64_t now);
uint64_t listen_next_deadline(void);

/* ---- control.c ---- */
#define CONTROL_CONNS_MAX	64	/* control clients at once */
int control_open(void);
void control_close(void);

/* ---- logs.c: function logs (kfaas_logs.h) ---- */
void logs_start(void);
uint64_t logs_next_deadline(void);
void logs_tick(uint64_t now);
/* A finished VM-tier request: an entry when it wrote stderr or failed. */
void logs_vm(__u32 fn_id, const struct result *res);
void logs_stop(void);
/* ---- journal.c: an entry to the journal; 0 or -errno ---- */
struct kfaas_log_entry;
int journal_send(const struct kfaas_log_entry *e);

/* ---- account.c ---- */
/*
 * Charge one finished (or refused) request to the function's counters,
 * and what it ran for to its budget.
 */
void account_charge(__u32 fn_id, size_t bytes_in, size_t bytes_out,
		    const struct result *res);

#endif /* KFAASD_H */
