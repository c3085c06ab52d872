// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the dispatcher to interfaces with pinned XDP links, so the
 * attachment outlives the CLI: PINROOT/net/NETNS-IFINDEX, NETNS being the
 * inode of the network namespace (interface indexes repeat across them).
 */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libkfaas.h>
#include "internal.h"

static unsigned long netns_ino(void)
{
	struct stat s;

	return stat("/proc/self/ns/net", &s) ? 0 : (unsigned long)s.st_ino;
}

static int link_pin(struct kfaas_state *st, int ifindex, char *buf, size_t len)
{
	return kfaas__path(buf, len, "%s/net/%lu-%d", st->root, netns_ino(),
			   ifindex);
}

static int link_ifindex(int fd, __u32 *link_id, __u32 *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (link_id)
		*link_id = info.id;
	if (prog_id)
		*prog_id = info.prog_id;
	return (int)info.xdp.ifindex;
}

static int dev_index(const char *dev)
{
	unsigned int idx = if_nametoindex(dev);

	if (!idx)
		return kfaas_err(-ENODEV, "no interface '%s' in this network "
				 "namespace ('ip link' lists them)", dev);
	return (int)idx;
}

int kfaas_net_attach(struct kfaas_state *st, const char *dev, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	char pin[KFAAS_PATH_MAX], dir[KFAAS_PATH_MAX];
	int ifindex, fd, rc;

	ifindex = dev_index(dev);
	if (ifindex < 0)
		return ifindex;
	rc = kfaas__path(dir, sizeof(dir), "%s/net", st->root) ?:
	     link_pin(st, ifindex, pin, sizeof(pin));
	if (rc)
		return rc;
	mkdir(dir, 0700);
	fd = bpf_obj_get(pin);
	if (fd >= 0) {
		int cur = link_ifindex(fd, NULL, NULL);

		close(fd);
		if (cur == ifindex)
			return kfaas_err(-EEXIST, "kfaas is already attached to "
					 "%s: 'kfaas net detach %s' first to "
					 "change the mode", dev, dev);
		unlink(pin);	/* the old interface went away */
	}
	lo.flags = mode == KFAAS_XDP_GENERIC ? XDP_FLAGS_SKB_MODE :
					       XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(st->disp_fd, ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EBUSY || rc == -EEXIST)
			return kfaas_err(rc, "%s already runs another XDP program: "
					 "remove it first ('ip link set dev %s "
					 "xdp off')", dev, dev);
		if (rc == -EOPNOTSUPP || rc == -EINVAL)
			return kfaas_err(rc, "%s does not support %s XDP: try "
					 "'kfaas net attach %s generic'", dev,
					 mode == KFAAS_XDP_GENERIC ? "generic" :
					 "native", dev);
		return kfaas__errno_msg(rc, "cannot attach the dispatcher");
	}
	if (bpf_obj_pin(fd, pin)) {
		rc = kfaas__errno_msg(-errno, pin);
		bpf_link_detach(fd);
	}
	close(fd);
	return rc;
}

int kfaas_net_detach(struct kfaas_state *st, const char *dev)
{
	char pin[KFAAS_PATH_MAX];
	int ifindex, fd, rc;

	ifindex = dev_index(dev);
	if (ifindex < 0)
		return ifindex;
	rc = link_pin(st, ifindex, pin, sizeof(pin));
	if (rc)
		return rc;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return kfaas_err(-ENOENT, "kfaas is not attached to %s: 'kfaas "
				 "net show' lists the attachments", dev);
	bpf_link_detach(fd);
	close(fd);
	if (unlink(pin))
		return kfaas__errno_msg(-errno, pin);
	return 0;
}

int kfaas_net_list(struct kfaas_state *st, struct kfaas_netif **out, size_t *n)
{
	struct kfaas_netif *arr = NULL, *tmp;
	unsigned long here = netns_ino();
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	char dir[KFAAS_PATH_MAX];
	DIR *d;
	int rc;

	*out = NULL;
	*n = 0;
	rc = kfaas__path(dir, sizeof(dir), "%s/net", st->root);
	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : kfaas__errno_msg(-errno, dir);
	while ((de = readdir(d))) {
		struct kfaas_netif *e;
		unsigned long ns;
		char pin[600];
		int fd, idx;

		if (de->d_name[0] == '.' ||
		    sscanf(de->d_name, "%lu-%d", &ns, &idx) != 2)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				closedir(d);
				free(arr);
				return kfaas_err(-ENOMEM, "out of memory");
			}
			arr = tmp;
		}
		e = &arr[cnt];
		memset(e, 0, sizeof(*e));
		snprintf(e->pin, sizeof(e->pin), "%.63s", de->d_name);
		snprintf(pin, sizeof(pin), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		e->ifindex = link_ifindex(fd, &e->link_id, &e->prog_id);
		close(fd);
		e->attached = e->ifindex > 0;
		e->mode = -1;
		if (!e->attached)
			e->ifindex = idx;
		if (ns == here && e->attached) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			if_indextoname(e->ifindex, e->ifname);
			if (bpf_xdp_query(e->ifindex, 0, &q) == 0)
				e->mode = q.attach_mode == XDP_ATTACHED_SKB ?
					  KFAAS_XDP_GENERIC : KFAAS_XDP_NATIVE;
		} else if (ns != here) {
			snprintf(e->ifname, sizeof(e->ifname), "netns:%lu", ns);
		}
		cnt++;
	}
	closedir(d);
	*out = arr;
	*n = cnt;
	return 0;
}
