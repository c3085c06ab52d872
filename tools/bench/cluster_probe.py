#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The real client of the cluster benchmark (tools/bench/cluster.sh): UDP
# requests to every node's address until each one answers, and a sweep
# of every route on every node.
#
#   cluster_probe.py first PORT WANT TIMEOUT READY ADDR...
#       creates file READY once its socket is open, then asks PORT of every ADDR every 5 ms until the reply contains WANT;
#       prints {"ADDR": unix time of its first right reply, ...} (null:
#       not within TIMEOUT seconds).  Started before the change it waits
#       for: an address answers only once the change reached it.
#   cluster_probe.py any PORT WANT TIMEOUT READY ADDR...
#       the same, every 50 ms (a gentle client: a VM tier scales out on
#       queued requests), until any one ADDR answered right.
#   cluster_probe.py sweep FIRST COUNT ADDR...
#       asks every port FIRST..FIRST+COUNT-1 of every ADDR (echo: the
#       reply must be the request), up to 5 tries each; prints
#       {"ADDR": ports that answered right, ...}
import json
import select
import socket
import sys
import time


def first(port, want, timeout, ready, addrs, every=0.005, one=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    open(ready, "w").close()
    got = {a: None for a in addrs}
    end = time.time() + timeout
    nxt = 0.0
    def done():
        n = sum(v is not None for v in got.values())
        return n > 0 if one else n == len(got)
    while time.time() < end and not done():
        now = time.time()
        if now >= nxt:
            for a in addrs:
                if got[a] is None:
                    try:
                        s.sendto(b"probe", (a, port))
                    except OSError:
                        pass
            nxt = now + every
        r, _, _ = select.select([s], [], [], max(0.0, nxt - time.time()))
        while r:
            try:
                data, (a, _) = s.recvfrom(2048)
            except (BlockingIOError, OSError):
                break
            if a in got and got[a] is None and want in data:
                got[a] = time.time()
    return got


def sweep(base, count, addrs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ok = {a: set() for a in addrs}
    for _ in range(5):
        todo = [(a, p) for a in addrs for p in range(base, base + count)
                if p not in ok[a]]
        if not todo:
            break
        for i, (a, p) in enumerate(todo):
            try:
                s.sendto(b"%d" % p, (a, p))
            except OSError:
                pass
            if i % 64 == 63:
                drain(s, ok, 0.001)
        drain(s, ok, 0.3)
    return {a: len(v) for a, v in ok.items()}


def drain(s, ok, wait):
    end = time.time() + wait
    while True:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            return
        try:
            data, (a, p) = s.recvfrom(2048)
        except (BlockingIOError, OSError):
            continue
        if a in ok and data == b"%d" % p:
            ok[a].add(p)


def main(argv):
    if len(argv) >= 6 and argv[0] == "first":
        out = first(int(argv[1]), argv[2].encode(), float(argv[3]), argv[4],
                    argv[5:])
    elif len(argv) >= 6 and argv[0] == "any":
        out = first(int(argv[1]), argv[2].encode(), float(argv[3]), argv[4],
                    argv[5:], every=0.05, one=True)
    elif len(argv) >= 4 and argv[0] == "sweep":
        out = sweep(int(argv[1]), int(argv[2]), argv[3:])
    else:
        sys.stderr.write("usage: cluster_probe.py first|any PORT WANT TIMEOUT "
                         "READY ADDR... | sweep FIRST COUNT ADDR...\n")
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
