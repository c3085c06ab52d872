#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Concurrent invocations through kfaasd's control socket (the protocol of
user/lib/ctlproto.c), for the VM-tier reliability tests.

ctl_load.py SOCKET FUNCTION --count N [--clients C] [--start K]
            [--kill-pid PID --kill-after M]

C clients share N invocations "echo <i>" (i from K); each checks that its
reply is "<i>".  With --kill-pid, PID gets SIGKILL once M replies have
come back, and the clients stop: what was in flight fails.  Prints one
JSON object: ok (right replies), wrong, errors (error answers), broken
(connections lost), sent, next (the first i not sent), p50_ms, p99_ms,
max_ms.
"""
import argparse
import base64
import json
import os
import signal
import socket
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sock")
    ap.add_argument("fn")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--kill-pid", type=int, default=0)
    ap.add_argument("--kill-after", type=int, default=0)
    ap.add_argument("--data", default="echo")
    a = ap.parse_args()
    lock = threading.Lock()
    st = {"ok": 0, "wrong": 0, "errors": 0, "broken": 0, "sent": 0,
          "next": a.start, "killed": False}
    lat = []
    end = a.start + a.count

    def take():
        with lock:
            if st["killed"] or st["next"] >= end:
                return None
            i = st["next"]
            st["next"] += 1
            st["sent"] += 1
            return i

    def client():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect(a.sock)
        except OSError:
            with lock:
                st["broken"] += 1
            return
        f = s.makefile("rb")
        while True:
            i = take()
            if i is None:
                break
            body = ("%s %d" % (a.data, i)).encode()
            req = {"cmd": "invoke", "name": a.fn,
                   "data": base64.b64encode(body).decode()}
            t0 = time.monotonic()
            try:
                s.sendall(json.dumps(req).encode() + b"\n")
                line = f.readline()
            except OSError:
                line = b""
            dt = (time.monotonic() - t0) * 1000
            if not line:
                with lock:
                    st["broken"] += 1
                break
            r = json.loads(line)
            with lock:
                if r.get("ok") and r.get("verdict") == "reply":
                    rep = base64.b64decode(r.get("reply", ""))
                    if rep == str(i).encode():
                        st["ok"] += 1
                        lat.append(dt)
                    else:
                        st["wrong"] += 1
                else:
                    st["errors"] += 1
                done = st["ok"] + st["wrong"] + st["errors"]
                if a.kill_pid and not st["killed"] and done >= a.kill_after:
                    st["killed"] = True
                    os.kill(a.kill_pid, signal.SIGKILL)
        s.close()

    ts = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2) if lat else 0

    out = {k: v for k, v in st.items() if k != "killed"}
    out.update(p50_ms=pct(0.5), p99_ms=pct(0.99),
               max_ms=round(lat[-1], 2) if lat else 0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
