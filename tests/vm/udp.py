#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A UDP client for the VM-tier tests: sends requests, prints the replies.

  udp.py HOST PORT [-n N] [-t TIMEOUT] PAYLOAD
Sends N copies of PAYLOAD at once, each from its own socket, and prints one
line per request in the order sent: "<latency ms> <reply>" (newlines in the
reply shown as \\n), or "timeout".  Exit 0 when every request got a reply.
"""
import argparse
import select
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("payload")
ap.add_argument("-n", type=int, default=1)
ap.add_argument("-t", type=float, default=10.0)
a = ap.parse_args()

fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
socks, t0, out = [], {}, {}
for i in range(a.n):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((a.host, a.port))
    socks.append(s)
for s in socks:
    t0[s] = time.monotonic()
    s.send(a.payload.encode())
deadline = time.monotonic() + a.t
pending = set(socks)
while pending and time.monotonic() < deadline:
    r, _, _ = select.select(list(pending), [], [], deadline - time.monotonic())
    for s in r:
        data = s.recv(65536)
        out[s] = "%d %s" % ((time.monotonic() - t0[s]) * 1000,
                            data.decode(errors="replace").replace("\n", "\\n"))
        pending.discard(s)
for s in socks:
    print(out.get(s, "timeout"))
raise SystemExit(1 if pending else 0)
