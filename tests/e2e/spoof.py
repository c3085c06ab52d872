#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Spoofed UDP traffic and a count of what comes back, for the tests of the
reflection defences (tests/e2e/test_guard.sh).

  spoof.py send DST PORT PREFIX N PAYLOAD [--sport P] [--hex]
      N IPv4/UDP datagrams to DST:PORT from addresses of PREFIX (e.g.
      10.77.5.0/24: host part drawn at random, never 0 or the broadcast),
      through a raw socket (IP_HDRINCL): the source is whatever we write.
      Prints one JSON line: sent, seconds, the frame length on the wire.
  spoof.py count IFACE PORT OUT
      Counts the UDP frames from source port PORT arriving on IFACE
      (AF_PACKET) and rewrites OUT with "packets bytes" after each one,
      until killed.  Started before the traffic, it is the wire's view.
"""
import argparse
import ipaddress
import json
import os
import random
import socket
import struct
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def datagram(src, dst, sport, dport, payload):
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def send(a):
    net = ipaddress.ip_network(a.prefix)
    payload = bytes.fromhex(a.payload) if a.hex else a.payload.encode()
    dst = socket.inet_aton(a.dst)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rnd = random.Random(a.seed)
    hosts = net.num_addresses - 2 if net.num_addresses > 2 else 1
    t0 = time.monotonic()
    for _ in range(a.n):
        src = net.network_address + (1 + rnd.randrange(hosts) if hosts > 1 else 0)
        pkt = datagram(src.packed, dst, a.sport or rnd.randrange(32768, 61000),
                       a.port, payload)
        s.sendto(pkt, (a.dst, 0))
    print(json.dumps({"sent": a.n, "seconds": round(time.monotonic() - t0, 4),
                      "frame_bytes": 14 + 28 + len(payload)}))


def count(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    # a burst of replies must not overflow the socket: 32 MiB (root)
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)    # SO_RCVBUFFORCE
    s.bind((a.iface, 0))
    n = b = 0
    tmp = a.out + ".tmp"

    def publish():
        with open(tmp, "w") as out:
            out.write("%d %d\n" % (n, b))
        os.replace(tmp, a.out)

    publish()
    while True:
        f = s.recv(65536)
        while f is not None:
            if len(f) >= 42 and f[23] == 17:
                ihl = (f[14] & 0xF) * 4
                if struct.unpack("!H", f[14 + ihl:16 + ihl])[0] == a.port:
                    n += 1
                    b += len(f)
            try:
                f = s.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                f = None
        publish()


ap = argparse.ArgumentParser()
sub = ap.add_subparsers(dest="cmd", required=True)
p = sub.add_parser("send")
p.add_argument("dst")
p.add_argument("port", type=int)
p.add_argument("prefix")
p.add_argument("n", type=int)
p.add_argument("payload")
p.add_argument("--sport", type=int, default=0)
p.add_argument("--hex", action="store_true")
p.add_argument("--seed", type=int, default=1)
p = sub.add_parser("count")
p.add_argument("iface")
p.add_argument("port", type=int)
p.add_argument("out")
args = ap.parse_args()
send(args) if args.cmd == "send" else count(args)
