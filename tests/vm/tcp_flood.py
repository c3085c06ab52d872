#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold many idle TCP connections to a kfaasd route at once, driven by the
test on stdin and stdout.

tcp_flood.py HOST PORT N

Opens N connections that send nothing and prints {"opened": N}.  Then it
reads a line: the test has seen kfaasd take every connection (daemon
status).  It counts those the server closed (refused at accept: end of
file or reset), prints {"opened", "refused", "held"}, holds the rest until
its stdin ends, and closes them.
"""
import json
import select
import socket
import sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    socks.append(s)
print(json.dumps({"opened": len(socks)}), flush=True)
sys.stdin.readline()
refused = 0
for s in select.select(socks, [], [], 0)[0]:
    try:
        d = s.recv(4096)
    except ConnectionResetError:
        d = b""
    refused += not d
print(json.dumps({"opened": len(socks), "refused": refused,
                  "held": len(socks) - refused}), flush=True)
sys.stdin.read()
for s in socks:
    s.close()
