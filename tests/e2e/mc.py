#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A memcached client for the kv tests (tests/e2e/test_kv.sh).

  mc.py ADDR PORT tcp REQUEST   the reply to REQUEST (C escapes: \\r\\n)
  mc.py ADDR PORT tcp --split REQUEST
                                the same, sent one byte per segment
  mc.py ADDR PORT tcp --hex HEX raw bytes (the binary protocol): the reply
                                read until memcached has answered
  mc.py ADDR PORT udp REQUEST   one datagram with memcached's 8-byte frame
                                header; the reply's payload
  mc.py ADDR PORT hold FIFO     open a TCP connection, print "open", keep
                                it until FIFO is written
  mc.py serve                   the same, one request a line on standard
                                input: "ADDR PORT MODE [--split|--hex] ARG",
                                one reply a line on standard output with
                                "\r\n" and "\n" shown as "|" (no process
                                started per request)

TCP replies are read until memcached has answered everything: "mn\\r\\n"
(the meta no-op) follows the request and its "MN\\r\\n" ends the reply.
"""
import random
import socket
import sys


def unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


def connect(addr, port, kind):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, kind)
    s.settimeout(5)
    s.connect((addr, port))
    return s


def tcp(addr, port, req, split):
    s = connect(addr, port, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if split:
        for i in range(len(req)):
            s.sendall(req[i:i + 1])
    else:
        s.sendall(req)
    s.sendall(b"mn\r\n")
    out = b""
    while not out.endswith(b"MN\r\n"):
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out[:-4] if out.endswith(b"MN\r\n") else out


def binary(addr, port, req):
    # the binary protocol has no "mn": read the 24-byte headers' bodies
    s = connect(addr, port, socket.SOCK_STREAM)
    s.sendall(req)
    out = b""
    while len(out) < 24 or len(out) < 24 + int.from_bytes(out[8:12], "big"):
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def udp(addr, port, req):
    s = connect(addr, port, socket.SOCK_DGRAM)
    rid = random.randrange(1, 65535)
    s.send(rid.to_bytes(2, "big") + b"\0\0\0\1\0\0" + req)
    while True:
        d = s.recv(65536)
        if d[:2] == rid.to_bytes(2, "big"):
            return d[8:]


def hold(addr, port, fifo):
    s = connect(addr, port, socket.SOCK_STREAM)
    print("open", flush=True)
    with open(fifo) as f:
        f.read()
    s.close()


def request(addr, port, mode, args):
    if mode == "tcp" and args[0] == "--hex":
        return binary(addr, port, bytes.fromhex(args[1])).hex().encode()
    split = mode == "tcp" and args[0] == "--split"
    req = unescape(args[-1])
    return tcp(addr, port, req, split) if mode == "tcp" else udp(addr, port, req)


def serve():
    for line in sys.stdin:
        w = line.split(" ", 4) if " --" in line else line.split(" ", 3)
        w[-1] = w[-1].rstrip("\n")
        try:
            out = request(w[0], int(w[1]), w[2], w[3:])
        except (OSError, IndexError, ValueError) as e:
            out = ("CLIENT ERROR " + str(e)).encode()
        out = out.replace(b"\r\n", b"|").replace(b"\n", b"|")
        sys.stdout.buffer.write(out + b"\n")
        sys.stdout.flush()


def main():
    if sys.argv[1] == "serve":
        serve()
        return
    addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    if mode == "hold":
        hold(addr, port, args[0])
        return
    sys.stdout.buffer.write(request(addr, port, mode, args))


if __name__ == "__main__":
    main()
