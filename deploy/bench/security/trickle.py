#!/usr/bin/env python3
# Issue 11 item 5: N unauthenticated connections each trickling a 2 MiB form
# body at 256 KiB/s; prints the answers and the server RSS before, at peak and
# after.   python3 trickle.py PATH/TO/pressfeed PORT /admin/releases/new 400
import os
import sys, time, asyncio
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
binary, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 400
p, d = start(binary, port)
time.sleep(1)
base = rss_kb(p.pid)
peak = [base]
statuses = {}
BODY = 2 * 1024 * 1024
CHUNK = 64 * 1024
async def one(i):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 f"Content-Length: {BODY}\r\n\r\n").encode())
        answer = asyncio.create_task(r.readline())
        sent = 0
        try:
            while sent < BODY and not answer.done():
                w.write(b"a" * CHUNK); sent += CHUNK
                await w.drain()
                await asyncio.sleep(0.25)   # 256 KiB/s: 8 s per body
        except Exception:
            pass
        line = await asyncio.wait_for(answer, 30)
        s = (line.split()[1].decode() if line else "closed") + (" early" if sent < BODY else "")
    except Exception as e:
        s = type(e).__name__
    statuses[s] = statuses.get(s, 0) + 1
async def sampler(stop):
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kb(p.pid)); await asyncio.sleep(0.1)
async def main():
    stop = asyncio.Event()
    st = asyncio.create_task(sampler(stop))
    t0 = time.time()
    await asyncio.gather(*(one(i) for i in range(n)))
    took = time.time() - t0
    stop.set(); await st
    return took
took = asyncio.run(main())
time.sleep(3)
after = rss_kb(p.pid)
print(f"{binary} {path}: {n} connections, statuses {statuses}, {took:.1f} s")
print(f"RSS before {base/1024:.0f} MiB, peak {peak[0]/1024:.0f} MiB, 3 s after {after/1024:.0f} MiB")
stop(p, d)
