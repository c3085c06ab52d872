#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The client of the chain tests: one UDP socket sending "ping-N" and
waiting for each reply, until FILE exists.  Each reply must be the
request run through one whole chain: one of the --want suffixes appended
(the old chain's or the new one's); anything else is a mixed reply.
After every reply it writes the number answered to --progress, so the
test replaces the chain while requests are in flight.

chain_client.py HOST PORT --until FILE --want SUFFIX [--want SUFFIX ...]
                [--progress FILE] [--timeout SEC]

Prints JSON: sent, answered, per suffix how many, mixed, and the first
mixed reply.
"""
import argparse
import json
import os
import socket

p = argparse.ArgumentParser()
p.add_argument("host")
p.add_argument("port", type=int)
p.add_argument("--until", required=True)
p.add_argument("--want", action="append", required=True)
p.add_argument("--progress")
p.add_argument("--timeout", type=float, default=3.0)
a = p.parse_args()

fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.connect((a.host, a.port))
s.settimeout(a.timeout)
got = {w: 0 for w in a.want}
sent = answered = mixed = 0
first_mixed = None
n = 0
while not os.path.exists(a.until):
    req = "ping-%d" % n
    n += 1
    s.send(req.encode())
    sent += 1
    try:
        rep = s.recv(2048).decode(errors="replace")
    except socket.timeout:
        continue
    answered += 1
    tail = rep[len(req):] if rep.startswith(req) else None
    if tail in got:
        got[tail] += 1
    else:
        mixed += 1
        first_mixed = first_mixed or rep
    if a.progress:
        with open(a.progress + ".tmp", "w") as f:
            f.write("%d\n" % answered)
        os.replace(a.progress + ".tmp", a.progress)
print(json.dumps({"sent": sent, "answered": answered, "replies": got,
                  "mixed": mixed, "first_mixed": first_mixed}))
