#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile clients of kfaasd's control socket: kfaasd must answer every
malformed line with {"ok": false, "error": ...} and survive everything.

ctl_hostile.py SOCKET FUNCTION [--seed S] [--random N]

Cases: fixed malformed lines, N random byte lines (seeded), a 2 MiB line
without a newline, a line over the 48 MiB limit, a client vanishing in the
middle of an invoke, 20000 pipelined requests from a client that never
reads, and a crash (abortive close with RST) mid-line.  Prints one line
per case, "ok NAME" or "bad NAME: why"; exit 1 if any is bad.
"""
import argparse
import base64
import json
import random
import socket
import struct

BAD = [
    b"not json", b"{", b"[]", b"42", b'"str"', b"null", b"{}",
    b'{"cmd":42}', b'{"cmd":"nope"}', b'{"cmd":null}',
    b'{"cmd":"invoke"}', b'{"cmd":"invoke","name":7}',
    b'{"cmd":"invoke","name":"FN","data":"***"}',
    b'{"cmd":"invoke","name":"FN","data":12}',
    b'{"cmd":"invoke","name":"FN","data":"QQ"}',
    b'{"cmd":"create"}', b'{"cmd":"create","name":"x","exec":"/nonexistent"}',
    b'{"cmd":"create","name":"x","exec":"/bin/true","mem_mib":-1}',
    b'{"cmd":"create","name":"x","exec":"/bin/true","mem_mib":1e99}',
    b'{"cmd":"create","name":"x","exec":"/bin/true","fresh":"yes"}',
    b'{"cmd":"unload"}', b'{"cmd":"unload","name":"no-such-fn"}',
    b'{"cmd":"ping"' + b"," * 100000 + b"}",
    b"\xff\xfe\x00\x01" * 50, b"{" * 10000, b"[" * 100000,
]


def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def answers(s, n):
    f = s.makefile("rb")
    out = []
    for _ in range(n):
        line = f.readline()
        if not line:
            break
        out.append(json.loads(line))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sock")
    ap.add_argument("fn")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--random", type=int, default=300)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    bad = 0

    def result(name, ok, why=""):
        nonlocal bad
        print(("ok " if ok else "bad ") + name + ("" if ok else ": " + why))
        bad += not ok

    # 1. malformed lines, pipelined on one connection, then a ping
    lines = [l.replace(b"FN", a.fn.encode()) for l in BAD]
    for _ in range(a.random):
        lines.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
                     .replace(b"\n", b" "))
    s = conn(a.sock)
    s.sendall(b"\n".join(lines) + b'\n{"cmd":"ping"}\n')
    got = answers(s, len(lines) + 1)
    s.close()
    errs = [g for g in got[:-1] if g.get("ok") is False and g.get("error")]
    # a valid JSON object with a valid command may succeed; none may be
    # answered without an error among the malformed ones
    result("%d malformed lines: each answered with an error, then a ping"
           % len(lines), len(got) == len(lines) + 1 and
           len(errs) == len(lines) and got[-1].get("ok") is True,
           "%d answers, %d errors" % (len(got), len(errs)))

    # 2. a 2 MiB line without a newline, then the client closes
    s = conn(a.sock)
    s.sendall(b"x" * (2 << 20))
    s.close()
    result("2 MiB without a newline, then gone", True)

    # 3. a line over the limit: one error, then the daemon closes
    s = conn(a.sock)
    try:
        chunk = b"y" * (1 << 20)
        for _ in range(60):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        got = answers(s, 1)
    except (ConnectionResetError, json.JSONDecodeError):
        got = []
    s.close()
    result("a line over 48 MiB: refused (%s)" %
           (got[0].get("error") if got else "closed"),
           not got or got[0].get("ok") is False)

    # 4. an invoke, and the client vanishes before the answer
    for _ in range(5):
        s = conn(a.sock)
        s.sendall(json.dumps({"cmd": "invoke", "name": a.fn, "data":
                              base64.b64encode(b"sleep 300").decode()})
                  .encode() + b"\n")
        s.close()
    result("5 clients gone in the middle of an invoke", True)

    # 5. 20000 pipelined status requests, never read, then gone
    s = conn(a.sock)
    s.settimeout(1)
    sent = 0
    try:
        for _ in range(200):
            s.sendall(b'{"cmd":"status"}\n' * 100)
            sent += 100
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    s.close()
    result("%d pipelined requests from a client that never reads" % sent,
           True)

    # 6. an abortive close (RST) in the middle of a line
    s = conn(a.sock)
    s.sendall(b'{"cmd":"inv')
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    result("a client crashing mid-line", True)

    # 7. the daemon is still there, and serves
    s = conn(a.sock)
    s.sendall(json.dumps({"cmd": "invoke", "name": a.fn, "data":
                          base64.b64encode(b"echo alive").decode()}).encode()
              + b"\n")
    got = answers(s, 1)
    s.close()
    ok = got and got[0].get("verdict") == "reply" and \
        base64.b64decode(got[0].get("reply", "")) == b"alive"
    result("kfaasd still serves after all of it", bool(ok), repr(got))
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
