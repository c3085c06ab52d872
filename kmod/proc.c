// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kfaas: a read-only text view for sysadmins, one line per
 * registered function with its counters and budget (0: unlimited).
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include "kfaas.h"

/* Records are id + 1: (void *)1 is SEQ_START_TOKEN. */
#define REC(id)		((void *)(unsigned long)((id) + 1))
#define REC_ID(v)	((u32)((unsigned long)(v) - 1))

static void *kfaas_seq_start(struct seq_file *m, loff_t *pos)
{
	u32 id;

	if (*pos == 0)
		return SEQ_START_TOKEN;
	id = kfaas_fn_next((u32)*pos);
	if (!id)
		return NULL;
	*pos = id;
	return REC(id);
}

static void *kfaas_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	u32 id = v == SEQ_START_TOKEN ? 1 : (u32)*pos + 1;

	id = id < KFAAS_MOD_MAX_FUNCS ? kfaas_fn_next(id) : 0;
	*pos = id ? id : KFAAS_MOD_MAX_FUNCS;
	return id ? REC(id) : NULL;
}

static void kfaas_seq_stop(struct seq_file *m, void *v)
{
}

static int kfaas_seq_show(struct seq_file *m, void *v)
{
	struct kfaas_limits l;
	struct kfaas_stats s;
	u32 id;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "id invocations throttled passed drops errors bytes_in bytes_out cpu_ns rps rps_burst cpu_ns_per_sec cpu_burst_ns bytes_per_sec bytes_burst\n");
		return 0;
	}
	id = REC_ID(v);
	if (kfaas_fn_read(id, &s) || kfaas_fn_get_limits(id, &l))
		return 0;	/* unregistered meanwhile */
	seq_printf(m, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
		   id, s.invocations, s.throttled, s.passed, s.drops, s.errors,
		   s.bytes_in, s.bytes_out, s.cpu_ns, l.rps, l.rps_burst,
		   l.cpu_ns_per_sec, l.cpu_burst_ns, l.bytes_per_sec,
		   l.bytes_burst);
	return 0;
}

static const struct seq_operations kfaas_seq_ops = {
	.start	= kfaas_seq_start,
	.next	= kfaas_seq_next,
	.stop	= kfaas_seq_stop,
	.show	= kfaas_seq_show,
};

int kfaas_proc_init(void)
{
	if (!proc_create_seq(KFAAS_MOD_NAME, 0400, NULL, &kfaas_seq_ops))
		return -ENOMEM;
	return 0;
}

void kfaas_proc_exit(void)
{
	remove_proc_entry(KFAAS_MOD_NAME, NULL);
}
