#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Random and mutated HTTP request streams against the socket tier's HTTP
example (bpf/examples/http.bpf.c), checked byte for byte against a model.

http_fuzz.py [--conns N] [--seed S] [--parallel P] [--port PORT]
             PAGES_JSON

PAGES_JSON maps each path the example serves to [content type, body].
Each connection sends a stream of requests, some well formed, some
mutated (bytes flipped, inserted, deleted, lines broken), pipelined and
cut at random points into separate sends; what comes back must be exactly
what the model (below) says: every reply in order, the connection closed
after a reply that closes it (400, 405, Connection: close, HTTP/1.0),
and nothing more.  Prints one line of totals; exit 1 on the first
mismatch, with the stream and both answers.

The model is a transcription of http.bpf.c and of the socket tier's
framing (requests end at the first CR LF CR LF).  Streams stay within the
tier's documented limits (docs/socket-tier.md: a held request at most
8192 bytes, one segment's replies at most 16000), whatever the
segmentation, so the model does not depend on it.
"""
import argparse
import asyncio
import json
import random
import sys
import time

BAD = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
       b"Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n")
METHOD = (b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
          b"Content-Type: text/plain\r\nContent-Length: 19\r\n"
          b"Connection: close\r\n\r\nmethod not allowed\n")
NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 10\r\n")
PATH_MAX = 64
STREAM_MAX = 7000       # request bytes per connection (< KFAAS_SK_HOLD_MAX)
REPLIES_MAX = 15000     # reply bytes per connection (< KFAAS_SK_OUT_MAX)

HOST, CLOSE, KEEP = 1, 2, 4


def lower(c):
    return c + 32 if 65 <= c <= 90 else c


class Req:
    def __init__(self, b):
        self.b = b

    def byte(self, o):
        return self.b[o] if 0 <= o < len(self.b) else -1

    def ci_at(self, off, s):
        for k in range(min(16, len(s))):
            if lower(self.byte(off + k)) != s[k]:
                return False
        return True

    def value_is(self, off, eol, s):
        for _ in range(8):
            if self.byte(off) not in (32, 9):
                break
            off += 1
        return off + len(s) == eol and self.ci_at(off, s)


def headers(r, hdr):
    """The header flags, or None (400): http_headers()."""
    if hdr >= len(r.b):
        return None
    line, colon, flags = hdr, False, 0
    for i in range(len(r.b) - hdr):
        at = hdr + i
        c = r.byte(at)
        if c < 0:
            break
        if c == 58:                     # ':'
            colon = True
            continue
        if c != 10:
            if c < 32 and c not in (13, 9):
                return None
            continue
        if at == line or r.byte(at - 1) != 13:
            return None
        if at - 1 == line:
            return flags                # the empty line
        eol = at - 1
        if not colon or r.byte(line) in (32, 9):
            return None
        if r.ci_at(line, b"host:"):
            flags |= HOST
        if r.ci_at(line, b"connection:"):
            if r.value_is(line + 11, eol, b"close"):
                flags |= CLOSE
            if r.value_is(line + 11, eol, b"keep-alive"):
                flags |= KEEP
        line, colon = at + 1, False
    return None                         # no empty line


def answer(req, pages):
    """(reply bytes, closes) for one framed request."""
    r = Req(req)
    at = 0
    while at < 16:
        c = r.byte(at)
        if c == 32 and at > 0:
            break
        if c < 65 or c > 90:
            return BAD, True
        at += 1
    if at == 16 or len(req) < 5:
        return BAD, True
    head = False
    if at == 3 and req[:3] == b"GET":
        at = 4
    elif at == 4 and req[:4] == b"HEAD":
        at, head = 5, True
    else:
        return (METHOD, True) if r.byte(at + 1) in (47, 42) else (BAD, True)
    if r.byte(at) != 47:
        return BAD, True
    path, query, i = b"", False, 0
    for i in range(PATH_MAX):
        c = r.byte(at + i)
        if c == 32:
            break
        if c <= 32 or c == 0x7f or i >= PATH_MAX - 1:
            return BAD, True
        if c == 63:
            query = True
        if not query:
            path += bytes([c])
    at += i + 1
    v = req[at:at + 10]
    if v not in (b"HTTP/1.0\r\n", b"HTTP/1.1\r\n"):
        return BAD, True
    http10 = v[7] == 48
    flags = headers(r, at + 10)
    if flags is None or (not http10 and not flags & HOST):
        return BAD, True
    close = not flags & KEEP if http10 else bool(flags & CLOSE)
    page = pages.get(path)
    if page:
        ctype, body = page
        out = (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype +
               b"\r\nContent-Length: " + str(len(body)).encode() +
               (b"\r\nConnection: close" if close else b"") + b"\r\n\r\n" +
               (b"" if head else body))
    else:
        out = (NOT_FOUND + (b"Connection: close\r\n" if close else b"") +
               b"\r\n" + (b"" if head else b"not found\n"))
    return out, close


def model(stream, pages, count=None):
    """(expected bytes, closed) for a whole stream; count[0] += requests
    the function runs for (one invocation each)."""
    out, pos = b"", 0
    while True:
        end = stream.find(b"\r\n\r\n", pos)
        if end < 0:
            return out, False
        rep, close = answer(stream[pos:end + 4], pages)
        if count is not None:
            count[0] += 1
        out += rep
        pos = end + 4
        if close:
            return out, True


# ---- streams ------------------------------------------------------------

def clean_request(rnd, paths):
    """A well-formed request (most of a stream)."""
    req = (rnd.choice([b"GET"] * 4 + [b"HEAD"]) + b" " + rnd.choice(paths) +
           rnd.choice([b""] * 4 + [b"?x=1"]) + b" HTTP/1.1\r\nHost: kfaas\r\n")
    for h in rnd.sample([b"Accept: */*", b"User-Agent: http_fuzz",
                         b"Connection: keep-alive", b"X-Pad: " +
                         b"p" * rnd.randint(0, 200)], rnd.randint(0, 3)):
        req += h + b"\r\n"
    return req + b"\r\n"


def gen_request(rnd, paths):
    if rnd.random() < 0.88:
        return clean_request(rnd, paths)
    method = rnd.choice([b"GET"] * 8 + [b"HEAD"] * 2 +
                        [b"POST", b"PUT", b"get", b"G", b"OPTIONS",
                         b"ABCDEFGHIJKLMNOPQ", b""])
    kind = rnd.random()
    if kind < 0.6:
        path = rnd.choice(paths)
    elif kind < 0.7:
        path = rnd.choice(paths) + b"?q=" + str(rnd.randint(0, 99)).encode()
    elif kind < 0.8:
        path = b"/" + bytes(rnd.choice(b"abcxyz/.-_%\x80\xff")
                            for _ in range(rnd.choice([0, 5, 61, 62, 63, 70])))
    elif kind < 0.9:
        path = rnd.choice([b"*", b"hello", b"/a b", b"/\x01", b"/\x7f", b""])
    else:
        path = b"/nothing"
    version = rnd.choice([b"HTTP/1.1"] * 8 + [b"HTTP/1.0"] * 2 +
                         [b"HTTP/2.0", b"http/1.1", b"HTTP/1.", b""])
    hdrs = []
    if rnd.random() < 0.9:
        hdrs.append(rnd.choice([b"Host: kfaas", b"host:x", b"HOST:  a:b",
                                b"Host:", b" Host: x", b"Host x"]))
    if rnd.random() < 0.3:
        hdrs.append(b"Connection:" + rnd.choice(
            [b" close", b"close", b" Close", b"\tkeep-alive", b" keep-alive",
             b" close ", b"         close", b" upgrade"]))
    for _ in range(rnd.randint(0, 3)):
        hdrs.append(rnd.choice([b"Accept: */*", b"X-Pad: " + b"a" *
                                rnd.randint(0, 300), b"User-Agent: fuzz",
                                b"X: \x01", b"X: a\rb", b"no colon",
                                b":empty-name", b"\tfolded"]))
    rnd.shuffle(hdrs)
    sp = rnd.choice([b" "] * 12 + [b"  ", b"\t"])
    req = method + sp + path + b" " + version + b"\r\n"
    for h in hdrs:
        req += h + rnd.choice([b"\r\n"] * 20 + [b"\n"])
    return req + b"\r\n"


def mutate(rnd, b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 3)):
        op = rnd.random()
        i = rnd.randrange(len(b) + 1)
        if op < 0.35 and i < len(b):
            b[i] = rnd.randrange(256)
        elif op < 0.55 and i < len(b):
            del b[i]
        elif op < 0.75:
            b[i:i] = bytes([rnd.choice(b"\r\n :\t\x00A/")])
        elif op < 0.9 and i < len(b):
            b[i] ^= 1 << rnd.randrange(8)
        else:
            b[i:i] = b"\r\n\r\n"
    return bytes(b)


def gen_stream(rnd, pages):
    paths = list(pages) + [b"/nothing", b"/"]
    stream, want = b"", b""
    while True:
        req = gen_request(rnd, paths)
        if rnd.random() < 0.1:
            req = mutate(rnd, req)
        if len(stream) + len(req) > STREAM_MAX:
            break
        cand = stream + req
        exp, closed = model(cand, pages)
        if len(exp) > REPLIES_MAX:
            break
        stream = cand
        if closed or rnd.random() < 0.02:
            break
    return stream


def cuts(rnd, n):
    """Random cut points: the stream goes out in these pieces."""
    pts = sorted(set(rnd.randrange(1, n) for _ in range(rnd.randint(0, 8))
                     if n > 1))
    return [0] + pts + [n]


async def one(host, port, stream, pages, rnd):
    want, closes = model(stream, pages)
    r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    sock = w.get_extra_info("socket")
    import socket as s
    sock.setsockopt(s.IPPROTO_TCP, s.TCP_NODELAY, 1)
    pts = cuts(rnd, len(stream))
    for a, b in zip(pts, pts[1:]):
        w.write(stream[a:b])
        try:
            await w.drain()
        except ConnectionError:
            break
        if rnd.random() < 0.3:
            await asyncio.sleep(rnd.random() * 0.003)
    got = b""
    state = "open"
    deadline = time.monotonic() + 5
    try:
        while True:
            # once all expected bytes are there, a connection that stays
            # open only has to show nothing more within 0.3 s
            left = deadline - time.monotonic()
            if len(got) >= len(want) and not closes:
                left = min(left, 0.3)
            if left <= 0:
                break
            try:
                d = await asyncio.wait_for(r.read(65536), left)
            except asyncio.TimeoutError:
                break
            if not d:
                state = "closed"
                break
            got += d
    except ConnectionError:
        state = "closed"
    w.close()
    ok = got == want and (state == "closed") == closes
    return ok, got, want, state, closes


async def main_async(a, pages):
    rnd = random.Random(a.seed)
    streams = [gen_stream(rnd, pages) for _ in range(a.conns)]
    seeds = [rnd.randrange(1 << 30) for _ in range(a.conns)]
    sem = asyncio.Semaphore(a.parallel)
    stats = {"conns": 0, "requests": 0, "closed": 0, "bytes": 0,
             "answered": 0}
    failed = []

    async def run(i):
        async with sem:
            if failed:
                return
            ok, got, want, state, closes = await one(
                a.host, a.port, streams[i], pages, random.Random(seeds[i]))
            stats["conns"] += 1
            stats["requests"] += streams[i].count(b"\r\n\r\n")
            n = [0]
            model(streams[i], pages, n)
            stats["answered"] += n[0]
            stats["closed"] += closes
            stats["bytes"] += len(streams[i])
            if not ok:
                failed.append((i, got, want, state, closes))

    await asyncio.gather(*(run(i) for i in range(a.conns)))
    print("%d connections, %d requests answered (%d framed), %d closed by "
          "the server, %d bytes sent, %d mismatches" % (
              stats["conns"], stats["answered"], stats["requests"],
              stats["closed"], stats["bytes"], len(failed)))
    for i, got, want, state, closes in failed[:1]:
        print("stream %d: %r" % (i, streams[i]))
        print("expected (%s): %r" % ("closed" if closes else "open", want))
        print("got      (%s): %r" % (state, got))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pages")
    ap.add_argument("--conns", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=32)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    a = ap.parse_args()
    with open(a.pages) as f:
        pages = {k.encode(): (v[0].encode(), v[1].encode())
                 for k, v in json.load(f).items()}
    sys.exit(asyncio.run(main_async(a, pages)))


if __name__ == "__main__":
    main()
