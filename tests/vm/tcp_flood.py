#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold many idle TCP connections to a kfaasd route at once.

tcp_flood.py HOST PORT N HOLD_SEC

Opens N connections that send nothing, then counts those the server
closed at once (within 0.5 s: refused at accept), holds the rest HOLD_SEC
seconds and closes them.  Prints one JSON object: opened, refused, held.
"""
import json
import select
import socket
import sys
import time

host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    socks.append(s)
refused = set()
deadline = time.monotonic() + 0.5
while time.monotonic() < deadline:
    r, _, _ = select.select([s for s in socks if s not in refused], [], [], 0.1)
    for s in r:
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            d = b""
        if not d:
            refused.add(s)
print(json.dumps({"opened": len(socks), "refused": len(refused),
                  "held": len(socks) - len(refused)}), flush=True)
time.sleep(hold)
for s in socks:
    s.close()
