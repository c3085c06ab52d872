// SPDX-License-Identifier: GPL-2.0
/*
 * xskload: the UDP benchmark's load generator on an AF_XDP socket.  It
 * does what udpload does (the window, the requests, the byte-for-byte
 * reply check, the latency record and the JSON report are loadgen.c's),
 * but sends and receives whole Ethernet frames through an AF_XDP socket
 * on the client end of the veth pair instead of a kernel UDP socket, so
 * that the client costs less per request than the servers it measures.
 *
 *   xskload --ifname IF --src ADDR --dst ADDR --dst-mac MAC [--sport P]
 *           [--queue Q] --port P --mode echo|kv [--window W] [--time S]
 *           [--warmup S] [--timeout S] [--size B] [--keys N]
 *           [--value-size V]
 *
 * It builds the Ethernet/IPv4/UDP headers itself (its own MAC is the
 * interface's, the server's is --dst-mac; IPv4 and UDP checksums
 * computed), and attaches xsk_redirect.bpf.c in native mode to IF in
 * place of the program there (veth's XDP_PASS program), which redirects
 * UDP to --sport into the socket; the old program is put back on exit.
 * Copy mode (veth has no zero-copy): a sendto() hands the TX ring to the
 * kernel, which builds an skb per frame and transmits it on IF.
 *
 * Exit status: 0 measured, 1 failed, 2 bad usage, 3 AF_XDP not available
 * here (the reason on stderr, one line starting "not available:").
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loadgen.h"
#include "xsk_redirect.skel.h"

#define FRAME		2048
#define NTX		1024		/* frames [0, NTX) for sending */
#define NRX		2048		/* frames [NTX, NTX + NRX) for receiving */
#define NFRAMES		(NTX + NRX)
#define BATCH		64
#define HDRS		(sizeof(struct ethhdr) + sizeof(struct iphdr) + \
			 sizeof(struct udphdr))

struct ring {
	uint32_t	*producer, *consumer, *flags;
	void		*desc;
	uint32_t	size;
	uint32_t	prod, cons;	/* our copies */
	void		*map;
	size_t		map_len;
};

static struct {
	const char	*ifname;
	struct in_addr	src, dst;
	uint8_t		dmac[ETH_ALEN], smac[ETH_ALEN];
	int		sport;
	int		queue;
} o = { .sport = 20000 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"Usage: xskload --ifname IF --src ADDR --dst ADDR --dst-mac MAC\n"
		"  [--sport P] [--queue Q]\n" LG_USAGE);
	return 2;
}

/* ---- rings (the producer/consumer protocol of <linux/if_xdp.h>) ------------ */

static int ring_map(int fd, struct ring *r, const struct xdp_ring_offset *off,
		    uint32_t size, size_t esz, off_t pgoff)
{
	r->map_len = off->desc + size * esz;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	r->producer = (uint32_t *)((char *)r->map + off->producer);
	r->consumer = (uint32_t *)((char *)r->map + off->consumer);
	r->flags = (uint32_t *)((char *)r->map + off->flags);
	r->desc = (char *)r->map + off->desc;
	r->size = size;
	r->prod = *r->producer;
	r->cons = *r->consumer;
	return 0;
}

static void ring_unmap(struct ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
}

/* producer side (fill, TX): free entries */
static uint32_t prod_free(struct ring *r)
{
	return r->size - (r->prod - __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE));
}

static void prod_submit(struct ring *r)
{
	__atomic_store_n(r->producer, r->prod, __ATOMIC_RELEASE);
}

/* consumer side (RX, completion): entries ready */
static uint32_t cons_ready(struct ring *r)
{
	return __atomic_load_n(r->producer, __ATOMIC_ACQUIRE) - r->cons;
}

static void cons_release(struct ring *r)
{
	__atomic_store_n(r->consumer, r->cons, __ATOMIC_RELEASE);
}

static uint64_t *addr_at(struct ring *r, uint32_t i)
{
	return (uint64_t *)r->desc + (i & (r->size - 1));
}

static struct xdp_desc *desc_at(struct ring *r, uint32_t i)
{
	return (struct xdp_desc *)r->desc + (i & (r->size - 1));
}

/* ---- frames ---------------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A request frame for slot s at f; its length. */
static uint32_t frame_build(struct lg *g, int s, uint8_t *f, uint16_t ipid)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t n = lg_build(g, s, (char *)(udp + 1));
	uint32_t sum;

	memcpy(eth->h_dest, o.dmac, ETH_ALEN);
	memcpy(eth->h_source, o.smac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	*ip = (struct iphdr){ .version = 4, .ihl = 5, .ttl = 64,
			      .protocol = IPPROTO_UDP,
			      .tot_len = htons(sizeof(*ip) + sizeof(*udp) + n),
			      .id = htons(ipid), .frag_off = htons(0x4000),
			      .saddr = o.src.s_addr, .daddr = o.dst.s_addr };
	ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
	*udp = (struct udphdr){ .source = htons(o.sport), .dest = htons(g->port),
				.len = htons(sizeof(*udp) + n) };
	/* pseudo header: addresses, protocol, UDP length */
	sum = csum_add(0, &ip->saddr, 8) + IPPROTO_UDP + sizeof(*udp) + n;
	sum = csum_add(sum, udp, sizeof(*udp) + n);
	udp->check = htons(csum_fold(sum));
	if (!udp->check)
		udp->check = 0xffff;
	return (uint32_t)(HDRS + n);
}

/* The UDP payload of a reply to us, or NULL (not ours: counted apart). */
static const char *frame_payload(struct lg *g, const uint8_t *f, uint32_t len,
				 size_t *plen)
{
	const struct ethhdr *eth = (const void *)f;
	const struct iphdr *ip = (const void *)(eth + 1);
	const struct udphdr *udp = (const void *)(ip + 1);
	size_t ulen;

	if (len < HDRS || eth->h_proto != htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || ip->saddr != o.dst.s_addr ||
	    udp->dest != htons(o.sport) || udp->source != htons(g->port))
		return NULL;
	ulen = ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > len - sizeof(*eth) - sizeof(*ip))
		return NULL;
	*plen = ulen - sizeof(*udp);
	return (const char *)(udp + 1);
}

/* ---- setup ------------------------------------------------------------------ */

static int if_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/* Receive queues in use (ethtool channels); 1 when the driver cannot say. */
static int if_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	int fd, n = 1;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		n = (int)(ch.rx_count + ch.combined_count);
	close(fd);
	return n;
}

struct xsk {
	int		fd;
	uint8_t		*umem;
	struct ring	fill, comp, rx, tx;
	uint64_t	txfree[NTX];
	int		ntxfree;
};

/* 0, or -errno with a message; rc 3 for "AF_XDP is not available". */
static int xsk_open(struct xsk *x, int ifindex, int *na)
{
	struct xdp_umem_reg reg = { .len = (uint64_t)NFRAMES * FRAME,
				    .chunk_size = FRAME };
	struct sockaddr_xdp sx = { .sxdp_family = AF_XDP,
				   .sxdp_ifindex = (uint32_t)ifindex,
				   .sxdp_queue_id = (uint32_t)o.queue,
				   .sxdp_flags = XDP_COPY };
	struct xdp_mmap_offsets off;
	socklen_t ol = sizeof(off);
	uint32_t nfill = NRX, ncomp = NTX, nrx = NRX, ntx = NTX;
	int i, err;

	x->umem = mmap(NULL, reg.len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		return -errno;
	}
	reg.addr = (uint64_t)(uintptr_t)x->umem;
	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		err = -errno;
		fprintf(stderr, "not available: AF_XDP sockets: %s (kernel "
			"without CONFIG_XDP_SOCKETS?)\n", strerror(errno));
		*na = 1;
		return err;
	}
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &nfill, sizeof(nfill)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ncomp, sizeof(ncomp)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &nrx, sizeof(nrx)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &ntx, sizeof(ntx)) ||
	    getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol)) {
		err = -errno;
		fprintf(stderr, "xskload: setting up the AF_XDP socket's UMEM "
			"and rings: %s\n", strerror(errno));
		return err;
	}
	if ((err = ring_map(x->fd, &x->fill, &off.fr, nfill, sizeof(uint64_t),
			    XDP_UMEM_PGOFF_FILL_RING)) ||
	    (err = ring_map(x->fd, &x->comp, &off.cr, ncomp, sizeof(uint64_t),
			    XDP_UMEM_PGOFF_COMPLETION_RING)) ||
	    (err = ring_map(x->fd, &x->rx, &off.rx, nrx, sizeof(struct xdp_desc),
			    XDP_PGOFF_RX_RING)) ||
	    (err = ring_map(x->fd, &x->tx, &off.tx, ntx, sizeof(struct xdp_desc),
			    XDP_PGOFF_TX_RING))) {
		fprintf(stderr, "xskload: mapping the AF_XDP rings: %s\n",
			strerror(-err));
		return err;
	}
	for (i = 0; i < NRX; i++)
		*addr_at(&x->fill, x->fill.prod++) = (uint64_t)(NTX + i) * FRAME;
	prod_submit(&x->fill);
	for (i = 0; i < NTX; i++)
		x->txfree[i] = (uint64_t)i * FRAME;
	x->ntxfree = NTX;
	if (bind(x->fd, (struct sockaddr *)&sx, sizeof(sx))) {
		err = -errno;
		fprintf(stderr, "%s: binding an AF_XDP socket to %s queue %d "
			"(copy mode): %s\n",
			errno == EOPNOTSUPP || errno == EAFNOSUPPORT ?
			"not available" : "xskload", o.ifname, o.queue,
			strerror(errno));
		*na = errno == EOPNOTSUPP || errno == EAFNOSUPPORT;
		return err;
	}
	return 0;
}

static void xsk_close(struct xsk *x)
{
	ring_unmap(&x->tx);
	ring_unmap(&x->rx);
	ring_unmap(&x->comp);
	ring_unmap(&x->fill);
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem)
		munmap(x->umem, (size_t)NFRAMES * FRAME);
}

/* ---- the run ---------------------------------------------------------------- */

struct xstats {
	uint64_t	kicks, kick_again, kick_busy, tx_full, foreign;
};

/* Hand the TX ring to the kernel (copy mode sends in sendto()). */
static void kick(struct xsk *x, struct xstats *st)
{
	int i;

	for (i = 0; i < 16; i++) {
		if (__atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE) == x->tx.prod)
			return;
		st->kicks++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			continue;
		if (errno == EAGAIN) {
			st->kick_again++;
			continue;
		}
		/* EBUSY: a frame was dropped on the way (lost, re-sent) */
		st->kick_busy++;
		if (errno != EBUSY && errno != ENOBUFS) {
			fprintf(stderr, "xskload: sendto: %s\n", strerror(errno));
			return;
		}
	}
}

static int run(struct lg *g, struct xsk *x, struct xstats *st)
{
	uint16_t ipid = 0;
	uint32_t i, n;

	if (lg_start(g))
		return -1;
	while (!stop) {
		uint64_t t = lg_now();
		int ns = 0, s = -1;

		if (t >= g->t_end)
			break;
		lg_expire(g, t);
		/* TX frames the kernel is done with */
		n = cons_ready(&x->comp);
		for (i = 0; i < n; i++)
			x->txfree[x->ntxfree++] = *addr_at(&x->comp, x->comp.cons++);
		if (n)
			cons_release(&x->comp);
		/* fill the window */
		while (ns < BATCH) {
			struct xdp_desc *d;

			if (!x->ntxfree || !prod_free(&x->tx)) {
				st->tx_full++;
				break;
			}
			if ((s = lg_take(g, s + 1, t)) < 0)
				break;
			d = desc_at(&x->tx, x->tx.prod++);
			d->addr = x->txfree[--x->ntxfree];
			d->len = frame_build(g, s, x->umem + d->addr, ipid++);
			d->options = 0;
			ns++;
		}
		if (ns) {
			prod_submit(&x->tx);
			kick(x, st);
		}
		/* replies */
		n = cons_ready(&x->rx);
		if (!n) {
			struct pollfd p = { .fd = x->fd, .events = POLLIN };

			poll(&p, 1, 5);
			continue;
		}
		if (n > BATCH)
			n = BATCH;
		t = lg_now();
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = desc_at(&x->rx, x->rx.cons++);
			const char *p;
			size_t len;

			p = frame_payload(g, x->umem + d->addr, d->len, &len);
			if (p)
				lg_reply(g, p, len, t);
			else
				st->foreign++;
			*addr_at(&x->fill, x->fill.prod++) = d->addr & ~(uint64_t)(FRAME - 1);
		}
		cons_release(&x->rx);
		prod_submit(&x->fill);
	}
	return 0;
}

static json_object *report_extra(struct xsk *x, const struct xstats *st)
{
	struct xdp_statistics ks = {};
	socklen_t kl = sizeof(ks);
	json_object *j = json_object_new_object(), *k;

	json_object_object_add(j, "generator", json_object_new_string("af_xdp"));
	k = json_object_new_object();
	json_object_object_add(k, "mode", json_object_new_string("copy"));
	json_object_object_add(k, "ifname", json_object_new_string(o.ifname));
	json_object_object_add(k, "queue", json_object_new_int(o.queue));
	json_object_object_add(k, "kicks", json_object_new_int64((int64_t)st->kicks));
	json_object_object_add(k, "kick_eagain", json_object_new_int64((int64_t)st->kick_again));
	json_object_object_add(k, "kick_dropped", json_object_new_int64((int64_t)st->kick_busy));
	json_object_object_add(k, "tx_frames_short", json_object_new_int64((int64_t)st->tx_full));
	json_object_object_add(k, "foreign_frames", json_object_new_int64((int64_t)st->foreign));
	if (!getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &ks, &kl)) {
		json_object_object_add(k, "rx_dropped", json_object_new_int64((int64_t)ks.rx_dropped));
		json_object_object_add(k, "rx_ring_full", json_object_new_int64((int64_t)ks.rx_ring_full));
		json_object_object_add(k, "rx_fill_ring_empty", json_object_new_int64((int64_t)ks.rx_fill_ring_empty_descs));
		json_object_object_add(k, "tx_invalid_descs", json_object_new_int64((int64_t)ks.tx_invalid_descs));
	}
	json_object_object_add(j, "xsk", k);
	return j;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "sport", required_argument, NULL, 'S' },
		{ "queue", required_argument, NULL, 'q' },
		LG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	static struct lg g;
	struct xsk x = { .fd = -1 };
	struct xstats st = {};
	struct xsk_redirect_bpf *skel = NULL;
	const char *src = NULL, *dst = NULL, *dmac = NULL;
	uint32_t old_id = 0, key;
	int c, ifindex, nq, old_fd = -1, attached = 0, na = 0, rc = 1, err;

	lg_init(&g);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'M': dmac = optarg; break;
		case 'S': o.sport = atoi(optarg); break;
		case 'q': o.queue = atoi(optarg); break;
		default:
			if (lg_option(&g, c, optarg) != 1)
				return usage();
		}
	}
	if (!o.ifname || !src || !dst || !dmac)
		return usage();
	if (inet_pton(AF_INET, src, &o.src) != 1 ||
	    inet_pton(AF_INET, dst, &o.dst) != 1) {
		fprintf(stderr, "xskload: --src and --dst take IPv4 addresses\n");
		return 2;
	}
	if (parse_mac(dmac, o.dmac)) {
		fprintf(stderr, "xskload: --dst-mac '%s' is not a MAC address "
			"(aa:bb:cc:dd:ee:ff)\n", dmac);
		return 2;
	}
	if (o.sport <= 0 || o.sport > 65535 || o.queue < 0) {
		fprintf(stderr, "xskload: --sport 1..65535, --queue >= 0\n");
		return 2;
	}
	if (lg_check(&g, "xskload"))
		return 2;
	ifindex = (int)if_nametoindex(o.ifname);
	if (!ifindex) {
		fprintf(stderr, "xskload: no interface '%s' here: %s\n",
			o.ifname, strerror(errno));
		return 1;
	}
	nq = if_rx_queues(o.ifname);
	if (nq != 1) {
		fprintf(stderr, "xskload: %s has %d receive queues: xskload "
			"binds one socket, to a device with one queue\n",
			o.ifname, nq);
		return 1;
	}
	if ((err = if_mac(o.ifname, o.smac))) {
		fprintf(stderr, "xskload: the MAC address of %s: %s\n",
			o.ifname, strerror(-err));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (xsk_open(&x, ifindex, &na))
		goto cleanup;

	skel = xsk_redirect_bpf__open();
	if (!skel) {
		fprintf(stderr, "xskload: opening the XDP program: %s\n",
			strerror(errno));
		goto cleanup;
	}
	skel->rodata->xsk_port = htons((uint16_t)o.sport);
	if ((err = xsk_redirect_bpf__load(skel))) {
		fprintf(stderr, "xskload: loading the XDP program: %s\n",
			strerror(-err));
		goto cleanup;
	}
	key = (uint32_t)o.queue;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks), &key, &x.fd, 0)) {
		fprintf(stderr, "%s: adding the socket to the XSKMAP: %s\n",
			errno == EOPNOTSUPP ? "not available" : "xskload",
			strerror(errno));
		na = errno == EOPNOTSUPP;
		goto cleanup;
	}
	/* take the place of the program on IF (the sandbox's XDP_PASS) */
	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &old_id))
		old_id = 0;
	if (old_id) {
		old_fd = bpf_prog_get_fd_by_id(old_id);
		if (old_fd < 0) {
			fprintf(stderr, "xskload: the XDP program on %s (id %u): "
				"%s\n", o.ifname, old_id, strerror(errno));
			goto cleanup;
		}
		aopts.old_prog_fd = old_fd;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xsk_redirect),
			     XDP_FLAGS_DRV_MODE | (old_id ? XDP_FLAGS_REPLACE : 0),
			     &aopts);
	if (err) {
		fprintf(stderr, "xskload: attaching the XDP program to %s "
			"(native): %s\n", o.ifname, strerror(-err));
		goto cleanup;
	}
	attached = 1;

	if (run(&g, &x, &st))
		goto cleanup;
	if (stop) {
		fprintf(stderr, "xskload: interrupted\n");
		goto cleanup;
	}
	rc = lg_report(&g, report_extra(&x, &st));
cleanup:
	if (attached) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, ropts,
			.old_prog_fd = bpf_program__fd(skel->progs.xsk_redirect));

		if (old_fd >= 0)
			err = bpf_xdp_attach(ifindex, old_fd, XDP_FLAGS_DRV_MODE |
					     XDP_FLAGS_REPLACE, &ropts);
		else
			err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, &ropts);
		if (err) {
			fprintf(stderr, "xskload: putting back the XDP program "
				"of %s: %s\n", o.ifname, strerror(-err));
			rc = 1;
		}
	}
	if (old_fd >= 0)
		close(old_fd);
	xsk_redirect_bpf__destroy(skel);
	xsk_close(&x);
	return na ? 3 : rc;
}
