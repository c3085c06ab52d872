// SPDX-License-Identifier: GPL-2.0
/*
 * The last revision of the desired state a node applied, kept in its pin
 * root (PINROOT/cluster, an array of one struct kfaas_cluster_mark) so
 * that it lives and dies with the state it describes: a restarted kfaasd
 * watches from the revision after it (nothing missed, nothing replayed);
 * a pin root made anew has none, and the node reads everything.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "internal.h"
#include "cluster_int.h"

static int mark_fd(struct kfaas_state *st, bool create)
{
	return kfaas__pin_map(st, "cluster", BPF_MAP_TYPE_ARRAY,
			      sizeof(struct kfaas_cluster_mark), 1, create);
}

int kfaas_cluster_mark_get(struct kfaas_state *st, struct kfaas_cluster_mark *m)
{
	__u32 zero = 0;
	int fd = mark_fd(st, false), rc = 0;

	memset(m, 0, sizeof(*m));
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, m))
		rc = kfaas__errno_msg(-errno, "cannot read the cluster mark");
	close(fd);
	return rc;
}

int kfaas_cluster_mark_set(struct kfaas_state *st, const struct kfaas_cluster_mark *m)
{
	__u32 zero = 0;
	int fd = mark_fd(st, true), rc = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &zero, m, BPF_ANY))
		rc = kfaas__errno_msg(-errno, "cannot write the cluster mark");
	close(fd);
	return rc;
}
