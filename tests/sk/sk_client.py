#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A raw TCP client for the socket-tier tests.

sk_client.py HOST PORT [--chunk N] [--delay SEC] [--idle SEC] [--again SEC]
             < REQUEST

Sends REQUEST (stdin) with TCP_NODELAY, in chunks of N bytes with a pause
between them when --chunk is given (each chunk its own segment), then
prints what comes back (as it comes) until the server closes or --idle seconds pass
without a byte.  --again SEC sends the request once more on the same
connection SEC seconds later.  The last line on stderr says "closed" or
"open".
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--chunk", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.02)
    ap.add_argument("--idle", type=float, default=0.5)
    ap.add_argument("--again", type=float, default=0)
    a = ap.parse_args()
    req = sys.stdin.buffer.read()
    s = socket.create_connection((a.host, a.port), timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    state = "open"
    for n in range(2 if a.again else 1):
        if n:
            time.sleep(a.again)
        try:
            if a.chunk:
                for i in range(0, len(req), a.chunk):
                    s.sendall(req[i:i + a.chunk])
                    time.sleep(a.delay)
            else:
                s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            state = "closed"
            break
        s.settimeout(a.idle)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    state = "closed"
                    break
                sys.stdout.buffer.write(d)
                sys.stdout.flush()
        except socket.timeout:
            pass
        except ConnectionResetError:
            state = "closed"
        if state == "closed":
            break
    print(state, file=sys.stderr)


if __name__ == "__main__":
    main()
