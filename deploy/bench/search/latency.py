#!/usr/bin/env python3
"""Search latency over HTTP: ROUNDS sequential GETs of /search?q=… (the HTML
page runs the search every time; search feeds are cached per database
change) after WARM unmeasured ones, one query after another; p50, p95 and
max in milliseconds, from sending the request to the last byte.

    latency.py BASE_URL ROUNDS QUERY...      (QUERY: a query string, q=…)
"""
import http.client
import sys
import time
from urllib.parse import urlsplit

WARM = 5


def main():
    base, rounds, queries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for q in queries:
        times = []
        for i in range(WARM + rounds):
            started = time.perf_counter()
            conn.request("GET", "/search?" + q)
            r = conn.getresponse()
            body = r.read()
            took = (time.perf_counter() - started) * 1000
            if r.status != 200:
                sys.exit("%s: %d %s" % (q, r.status, body[:200]))
            if i >= WARM:
                times.append(took)
        hits = body.count(b'<li>\n<a class="title"')
        times.sort()
        p = lambda f: times[min(len(times) - 1, int(f * len(times)))]
        print("%-48s hits/page %2d  p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms"
              % (q, hits, p(0.50), p(0.95), times[-1]))


if __name__ == "__main__":
    main()
