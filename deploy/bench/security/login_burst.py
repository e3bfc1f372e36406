#!/usr/bin/env python3
# Issue 11 item 1: 200 parallel wrong passwords from one address with one
# anonymous cookie; prints the answers and the server RSS before, at peak and
# after.   python3 login_burst.py PATH/TO/pressfeed PORT
import os
import sys, time, threading, re, urllib.request, urllib.parse, http.client
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
binary, port = sys.argv[1], int(sys.argv[2])
p, d = start(binary, port)
time.sleep(1)
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("GET", "/admin/login")
r = c.getresponse(); page = r.read().decode()
cookie = r.getheader("set-cookie").split(";")[0]
csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
base = rss_kb(p.pid); cpu0 = cpu_s(p.pid)
statuses = []; lock = threading.Lock()
peak = [base]; done = [False]
def sample():
    while not done[0]:
        peak[0] = max(peak[0], rss_kb(p.pid)); time.sleep(0.05)
def attempt(i):
    body = urllib.parse.urlencode({"csrf": csrf, "username": "editor", "password": f"wrong guess {i}"})
    try:
        cc = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        cc.request("POST", "/admin/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        s = cc.getresponse().status
    except Exception as e:
        s = type(e).__name__
    with lock: statuses.append(s)
ts = threading.Thread(target=sample); ts.start()
t0 = time.time()
th = [threading.Thread(target=attempt, args=(i,)) for i in range(200)]
for t in th: t.start()
for t in th: t.join()
took = time.time() - t0
time.sleep(3)
after3 = rss_kb(p.pid)
time.sleep(10)
done[0] = True; ts.join()
after13 = rss_kb(p.pid)
from collections import Counter
print(f"{binary}: statuses {dict(Counter(statuses))} in {took:.1f} s; server CPU {cpu_s(p.pid)-cpu0:.1f} s")
print(f"RSS before {base/1024:.0f} MiB, peak {peak[0]/1024:.0f} MiB, 3 s after {after3/1024:.0f} MiB, 13 s after {after13/1024:.0f} MiB")
stop(p, d)
