#!/usr/bin/env python3
"""The cache tier's checks (CI stage `tier`): run inside deploy/tier/run.sh,
which starts nginx in front of two pressfeed processes on one database and
passes their addresses in TIER_* variables.

    PRESSFEED_MAX_AGE=6 TIER_SEED=data.jsonl deploy/tier/run.sh \\
        deploy/tier/check.py [--check-feeds PATH/check_feeds.py --python VENV/bin/python]

Standard library only. Each check prints PASS or FAIL with what it saw; the
exit status is 1 when any failed. In order:

  hit          the second request for a feed is a cache HIT; one entry per
               encoding pressfeed chooses, not per Accept-Encoding string
  not-stored   a no-store answer (404) is not cached; the newsroom is never cached
  revalidate   after max-age nginx revalidates (X-Cache-Status REVALIDATED)
               and a pressfeed process answers 304 (its /metrics counter)
  conformance  ../shared/conformance/check_feeds.py passes on the tier's address
  api-write    a release created through the API of process a is served by
               process b at once and through the tier within max-age (+ LATE)
  import       the same for `pressfeed import` in a third process
  embargo      a release scheduled (max-age + 3) s ahead through process b:
               never through the tier before its time, there within 2 s after
               it; no answer before it may be reused downstream past it
               (Date + max-age <= the instant)
  failover     process a is SIGKILLed while 16 clients load the tier (cached
               feeds, and /healthz and new searches, which reach a process):
               no client sees an error or a status >= 400

The settings it relies on: PRESSFEED_MAX_AGE (the run's max_age, default 300:
use a few seconds) and a database with releases in it (TIER_SEED).
"""

import argparse
import http.client
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

ENV = os.environ
FAILED = []


def need(name):
    value = ENV.get(name)
    if not value:
        sys.exit(f"check.py: {name} is not set: run me through deploy/tier/run.sh")
    return value


TIER = need("TIER_URL")
A, B = need("TIER_A_URL"), need("TIER_B_URL")
METRICS = [need("TIER_A_METRICS"), need("TIER_B_METRICS")]
A_PID = int(need("TIER_A_PID"))
BIN, DB, DIR = need("TIER_BIN"), need("TIER_DB"), need("TIER_DIR")
MAX_AGE = int(ENV.get("PRESSFEED_MAX_AGE", "300"))


def record(ok, name, detail):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        FAILED.append(name)
    return ok


class Reply:
    def __init__(self, status, headers, body, at):
        self.status, self.body, self.at = status, body, at
        self.headers = {k.lower(): v for k, v in headers}

    def h(self, name):
        return self.headers.get(name.lower())

    @property
    def cache(self):
        return self.h("x-cache-status")

    def max_age(self):
        m = re.search(r"max-age=(\d+)", self.h("cache-control") or "")
        return int(m.group(1)) if m else None

    def date(self):
        return parsedate_to_datetime(self.h("date")).timestamp()


def request(base, path, headers=None, method="GET", body=None):
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Reply(r.status, r.getheaders(), data, time.time())
    finally:
        conn.close()


def count_304():
    """304s the two processes answered so far (any route), from /metrics."""
    total = 0
    for url in METRICS:
        u = urlsplit(url)
        text = request(f"http://{u.netloc}", u.path).body.decode()
        for m in re.finditer(r'^pressfeed_http_requests_total\{.*status="304".*\} (\d+)$', text, re.M):
            total += int(m.group(1))
    return total


def pressfeed(*args):
    """Runs the pressfeed binary on the tier's database, in the scratch folder."""
    return subprocess.run([BIN, "--db", DB, "--base-url", TIER, *args], cwd=DIR, check=True,
                          capture_output=True, text=True)


def rfc3339(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def release(slug, published_at):
    return {
        "slug": slug, "title": f"Tier check {slug}", "summary": "Written by deploy/tier/check.py.",
        "body_html": "<p>Written by the cache tier's checks.</p>", "organization": "Tier Office",
        "lang": "en", "published_at": published_at, "topics": ["tier-check"],
    }


class Api:
    token = None

    @classmethod
    def create(cls, base, rel):
        if cls.token is None:
            cls.token = pressfeed("create-token", f"tier-check-{os.getpid()}").stdout.strip()
        r = request(base, "/api/v1/releases?create_topics=true", method="POST",
                    body=json.dumps(rel).encode(),
                    headers={"Authorization": f"Bearer {cls.token}",
                             "Content-Type": "application/json"})
        if r.status // 100 != 2:
            raise RuntimeError(f"POST {base}/api/v1/releases: {r.status} {r.body[:300]!r}")
        return r


# A write shows through the tier within max-age, plus up to 1 s because nginx
# counts whole seconds, plus up to 1 s pressfeed may wait for a new
# Last-Modified second, plus a poll (and a slow machine).
LATE = 3.0


def wait_until_served(slug, since, limit):
    """Polls the tier's /feed.atom until `slug` is in it: seconds after `since`, or None."""
    while time.time() < since + limit:
        r = request(TIER, "/feed.atom")
        if slug.encode() in r.body:
            return r.at - since, r
        time.sleep(0.2)
    return None, None


# ---------------------------------------------------------------- checks

def check_hit():
    path = "/feed.json"
    first = request(TIER, path, {"Accept-Encoding": "gzip"})
    second = request(TIER, path, {"Accept-Encoding": "gzip, deflate"})
    ok = (first.status == second.status == 200 and first.cache != "HIT" and second.cache == "HIT"
          and second.h("etag") == first.h("etag") and second.h("content-encoding") == "gzip"
          and second.body == first.body)
    record(ok, "hit", f"{path}: {first.cache} then {second.cache} (Accept-Encoding gzip, then "
           f"'gzip, deflate': one entry), ETag {second.h('etag')}")
    # The Date pressfeed sent stays with the cached copy (downstream caches age it by Date).
    record(second.h("date") == first.h("date"), "hit.date",
           f"Date on the HIT {second.h('date')!r}, on the MISS {first.h('date')!r}")
    seen = {}
    for ae, want in (("br", "br"), ("deflate, gzip, br, zstd", "br"), ("gzip;q=1.0, br;q=0", "gzip"),
                     ("", None), ("identity", None), ("br;q=0, gzip;q=0", None)):
        r = request(TIER, path, {"Accept-Encoding": ae} if ae else {})
        seen[ae] = (r.cache, r.h("content-encoding"))
        if r.status != 200 or r.h("content-encoding") != want or "Accept-Encoding" not in (r.h("vary") or ""):
            record(False, "hit.encodings", f"Accept-Encoding {ae!r}: {r.status}, "
                   f"Content-Encoding {r.h('content-encoding')!r} (want {want!r}), Vary {r.h('vary')!r}")
            return
    hits = sum(1 for c, _ in seen.values() if c == "HIT")
    record(hits == 4, "hit.encodings",
           f"three entries (br, gzip, identity), each cached once: {seen}")


def check_not_stored():
    path = "/releases/no-such-release-tier"
    r1, r2 = request(TIER, path), request(TIER, path)
    record(r1.status == r2.status == 404 and r2.cache != "HIT", "not-stored",
           f"{path}: {r1.status} {r1.cache}, {r2.status} {r2.cache}, Cache-Control {r2.h('cache-control')!r}")
    r = request(TIER, "/admin/login")
    record(r.cache is None, "not-stored.newsroom",
           f"/admin/login: {r.status}, X-Cache-Status {r.cache!r} (none: not cached)")


def check_revalidate():
    path, ae = "/feed.json", {"Accept-Encoding": "gzip"}
    r = request(TIER, path, ae)
    if r.cache != "HIT":
        return record(False, "revalidate", f"{path} is not cached ({r.cache}); run `hit` first")
    expires = r.date() + r.max_age()
    before = count_304()
    # nginx counts whole seconds: the entry expires within a second or two of
    # Date + max-age (Date may be a second older than nginx's clock was).
    time.sleep(max(0.0, expires - time.time()) + 0.5)
    again = request(TIER, path, ae)
    while again.cache == "HIT" and time.time() < expires + 3:
        time.sleep(0.2)
        again = request(TIER, path, ae)
    after = count_304()
    ok = (again.status == 200 and again.cache == "REVALIDATED" and again.body == r.body
          and after > before)
    record(ok, "revalidate", f"{path} after max-age={r.max_age()}: {again.status} {again.cache}, "
           f"same bytes: {again.body == r.body}; 304s answered by pressfeed: {before} -> {after}")


def check_conformance(check_feeds, python):
    if not check_feeds:
        print("SKIP conformance: no --check-feeds given")
        return
    rc = subprocess.run([python, check_feeds, TIER]).returncode
    record(rc == 0, "conformance", f"{os.path.basename(check_feeds)} {TIER}: exit {rc}")


def check_api_write():
    request(TIER, "/feed.atom")
    warm = request(TIER, "/feed.atom")
    slug = f"tier-api-{int(time.time())}"
    Api.create(A, release(slug, rfc3339(time.time() - 1)))
    acked = time.time()
    on_b = slug.encode() in request(B, "/feed.atom").body
    took, r = wait_until_served(slug, acked, MAX_AGE + 5)
    ok = warm.cache == "HIT" and on_b and took is not None and took <= MAX_AGE + LATE
    record(ok, "api-write", f"created through process a ({A}); process b serves it at once: {on_b}; "
           f"the tier (cached copy before: {warm.cache}) after {took if took is None else round(took, 2)} s "
           f"(max-age {MAX_AGE})")


def check_import():
    slug = f"tier-import-{int(time.time())}"
    path = os.path.join(DIR, "tier-check-import.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps(release(slug, rfc3339(time.time() - 1))) + "\n")
    pressfeed("import", path)
    done = time.time()
    took, r = wait_until_served(slug, done, MAX_AGE + 5)
    record(took is not None and took <= MAX_AGE + LATE, "import",
           f"`pressfeed import` (a third process) served by the tier after "
           f"{took if took is None else round(took, 2)} s (max-age {MAX_AGE})")


def check_embargo():
    # Copies made before the release was scheduled are not capped (nobody
    # knew); they have expired by the instant when it is more than max-age
    # ahead. Every copy made after is capped at the seconds left: both the
    # entry nginx already holds (refreshed by a 304 whose max-age is capped)
    # and a new one (a URL first asked for 4 s before the instant: a query
    # string pressfeed ignores makes it a new cache entry).
    at = math.ceil(time.time()) + MAX_AGE + 3
    slug = f"tier-embargo-{at}"
    Api.create(B, release(slug, rfc3339(at)))
    held, probe_path = "/feed.atom", f"/feed.atom?embargo-probe={at}"
    replies, probe = {held: [], probe_path: []}, None
    while time.time() < at + 3:
        replies[held].append(request(TIER, held))
        if probe is None and time.time() >= at - 4:
            probe = request(TIER, probe_path)
            replies[probe_path].append(probe)
        elif probe is not None:
            replies[probe_path].append(request(TIER, probe_path))
        time.sleep(0.1)
    ok, notes = True, []
    for path, rs in replies.items():
        early = [r for r in rs if r.at < at and slug.encode() in r.body]
        shown = [r.at - at for r in rs if slug.encode() in r.body]
        # What a cache behind the tier may do with an answer: reuse it until Date + max-age.
        outliving = [(r.h("date"), r.max_age(), r.cache) for r in rs
                     if r.at < at and r.date() + r.max_age() > at]
        hits = sum(1 for r in rs if r.at < at and r.cache == "HIT")
        ok = ok and not early and shown and shown[0] <= 2.0 and not outliving and hits > 0
        notes.append(f"{path}: {len(rs)} polls, {hits} cache HITs before the instant, shown before it: "
                     f"{len(early)}, first shown {round(shown[0], 2) if shown else None} s after it, "
                     f"answers reusable past it: {outliving[:3]}")
    capped = probe is not None and probe.cache == "MISS" and probe.max_age() < MAX_AGE
    notes.append(f"the new entry's answer {round(probe.at - at, 2) if probe else None} s before the "
                 f"instant: {probe.cache if probe else None}, {probe.h('cache-control') if probe else None}")
    record(ok and capped, "embargo",
           f"release at {rfc3339(at)} scheduled through process b; " + "; ".join(notes))


def check_failover(seconds=6.0, kill_after=2.0, clients=16):
    tier = urlsplit(TIER)
    stop = threading.Event()
    lock = threading.Lock()
    counts = {"total": 0, "after_kill": 0, "errors": 0, "bad_status": 0}
    statuses, errors, durations = {}, [], []
    killed_at = [None]
    paths = ["/feed.atom", "/feed.rss", "/topics.opml", "/healthz", None]

    def client(n):
        rnd = random.Random(n)
        conn = None
        while not stop.is_set():
            path = rnd.choice(paths) or f"/search?q=tier{rnd.randrange(10**9)}"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(tier.hostname, tier.port, timeout=15)
                t0 = time.monotonic()
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                r = conn.getresponse()
                r.read()
                took = time.monotonic() - t0
                with lock:
                    durations.append(took)
                    counts["total"] += 1
                    counts["after_kill"] += killed_at[0] is not None
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    if r.status >= 400:
                        counts["bad_status"] += 1
            except Exception as exc:  # a client error is what this check counts
                with lock:
                    counts["errors"] += 1
                    errors.append(f"{path}: {exc!r}")
                if conn is not None:
                    conn.close()
                conn = None

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(kill_after)
    os.kill(A_PID, signal.SIGKILL)
    killed_at[0] = time.time()
    time.sleep(seconds - kill_after)
    stop.set()
    for t in threads:
        t.join()
    # nginx's log: answers that reached a process, and those that failed over ("502, 200").
    retried, upstream = 0, 0
    with open(os.path.join(DIR, "nginx", "access.log")) as f:
        for line in f:
            m = re.search(r"upstream_status=(.*?) rt=", line)
            if m and m.group(1) != "-":
                upstream += 1
                retried += "," in m.group(1)
    durations.sort()
    p99 = durations[int(len(durations) * 0.99)] if durations else 0
    ok = (counts["errors"] == 0 and counts["bad_status"] == 0 and counts["after_kill"] > 0
          and retried > 0)
    record(ok, "failover",
           f"{clients} clients, {seconds:.0f} s, process a SIGKILLed after {kill_after:.0f} s: "
           f"{counts['total']} requests ({counts['after_kill']} after the kill), statuses {statuses}, "
           f"client errors {counts['errors']} {errors[:3]}; latency p99 {p99 * 1000:.0f} ms, "
           f"max {max(durations, default=0) * 1000:.0f} ms; nginx log: {upstream} answers from a "
           f"process, {retried} of them failed over to the other")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check-feeds", help="path of ../shared/conformance/check_feeds.py")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter for check_feeds.py (its venv: feedparser, lxml, requests)")
    args = ap.parse_args()
    if not 5 <= MAX_AGE <= 30:
        sys.exit(f"check.py: max_age is {MAX_AGE} s; run with PRESSFEED_MAX_AGE=6 (5 to 30)")
    t0 = time.time()
    check_hit()
    check_not_stored()
    check_revalidate()
    check_conformance(args.check_feeds, args.python)
    check_api_write()
    check_import()
    check_embargo()
    check_failover()
    print(f"{'FAILED: ' + ', '.join(FAILED) if FAILED else 'all tier checks passed'} "
          f"({time.time() - t0:.1f} s)")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
