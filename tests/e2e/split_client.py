#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The client of the traffic-split tests: many flows, each from its own
socket (its own source port), each sending REQS requests one after the
other and waiting for every reply.  A reply names the version that sent
it: --a REPLY-PREFIX is version a, anything else version b.

split_client.py udp|tcp HOST PORT FLOWS REQS --a PREFIX [--until FILE]
                [--timeout SEC]

udp: a flow is a UDP socket; tcp: a flow is a connection (each request a
line).  --until FILE keeps opening flows (FLOWS at a time) until FILE
exists.  A reply not there in --timeout seconds (3) is a request
unanswered.  Prints JSON: sent, answered, flows per version, flows that saw
both versions (switched), replies per version.
"""
import argparse
import json
import os
import socket


def one_flow(a, fid):
    seen, got = set(), {"a": 0, "b": 0}
    sent = answered = 0
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    if a.proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.connect((a.host, a.port))
    else:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(a.timeout)
    try:
        for j in range(a.reqs):
            req = "get f%d-%d\r\n" % (fid, j)
            s.sendall(req.encode())
            sent += 1
            try:
                if a.proto == "udp":
                    rep = s.recv(2048).decode(errors="replace")
                else:
                    rep = b""
                    while not rep.endswith(b"\n"):
                        chunk = s.recv(2048)
                        if not chunk:
                            break
                        rep += chunk
                    rep = rep.decode(errors="replace")
            except OSError:
                continue
            if not rep:
                continue
            answered += 1
            v = "a" if rep.startswith(a.a) else "b"
            seen.add(v)
            got[v] += 1
    finally:
        s.close()
    return sent, answered, seen, got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("proto", choices=["udp", "tcp"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("flows", type=int)
    ap.add_argument("reqs", type=int)
    ap.add_argument("--a", required=True)
    ap.add_argument("--until")
    ap.add_argument("--timeout", type=float, default=3)
    a = ap.parse_args()
    out = {"sent": 0, "answered": 0, "flows_a": 0, "flows_b": 0,
           "switched": 0, "replies_a": 0, "replies_b": 0, "flows": 0}
    fid = 0
    while True:
        for _ in range(a.flows):
            sent, answered, seen, got = one_flow(a, fid)
            fid += 1
            out["flows"] += 1
            out["sent"] += sent
            out["answered"] += answered
            out["replies_a"] += got["a"]
            out["replies_b"] += got["b"]
            if len(seen) == 2:
                out["switched"] += 1
            elif seen:
                out["flows_" + seen.pop()] += 1
        if not a.until or os.path.exists(a.until):
            break
    print(json.dumps(out))


if __name__ == "__main__":
    main()
