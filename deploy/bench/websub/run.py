#!/usr/bin/env python3
"""WebSub benchmark (issue 13): fan-out, latency, and what subscriptions cost
feed serving. Drives the release binary, a stdlib receiver (receiver.py) and
wrk; see README "Push (WebSub)" for the results and run.sh for the entry point.

Measures, on one machine (the receiver and wrk share its cores):
  1. feed 304 throughput (wrk) with no subscriptions, then with STORED
     subscriptions stored (on other topics' feeds);
  2. commit-to-delivery latency with 10 subscribers (ROUNDS releases via the
     API; from the moment the API request was sent, an upper bound);
  3. one release to a topic with FANOUT subscribers: time until the last
     acknowledgement, deliveries/s, bytes sent, server RSS growth, and feed
     304 throughput while the fan-out runs.
"""

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

BIN = os.environ["BIN"]
TMP = os.environ.get("TMP_DIR", "/tmp/pressfeed-websub-bench")
PORT = int(os.environ.get("PORT", "18940"))
RPORT = int(os.environ.get("RPORT", "18941"))
FANOUT = int(os.environ.get("FANOUT", "10000"))
STORED = int(os.environ.get("STORED", "100000"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))
WRK_SECONDS = int(os.environ.get("WRK_SECONDS", "5"))
BASE = f"http://127.0.0.1:{PORT}"
DB = f"{TMP}/bench.db"
FAR = 4102444800000  # 2100-01-01, ms


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def http(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read()


def wrk(path, etag, seconds):
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "-H", f"If-None-Match: {etag}", BASE + path],
        capture_output=True, text=True, check=True).stdout
    rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
    return rps, out


class Receiver:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "receiver.py"), str(RPORT)],
                                     stdout=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            t, who, n = line.split()
            self.lines.append((float(t), who, int(n)))

    def wait_for(self, count, timeout):
        deadline = time.time() + timeout
        while len(self.lines) < count:
            if time.time() > deadline:
                raise SystemExit(f"only {len(self.lines)} of {count} deliveries arrived in {timeout} s")
            time.sleep(0.01)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    os.makedirs(TMP, exist_ok=True)
    seed = os.path.join(TMP, "seed.jsonl")
    with open(seed, "w") as f:
        for i, topic in enumerate(["bench"] + [f"other-{k}" for k in range(10)]):
            f.write(json.dumps({
                "slug": f"seed-{i}", "title": f"Seed release {i}", "body_html": "<p>" + "Seed text. " * 200 + "</p>",
                "organization": "Bench Office", "lang": "en", "topics": [topic],
                "published_at": "2026-01-01T00:00:00Z"}) + "\n")
    env = dict(os.environ, PRESSFEED_ACCESS_LOG="false", PRESSFEED_WEBSUB_ALLOW_PRIVATE_CALLBACKS="true",
               PRESSFEED_WEBSUB_HOST_RATE="100000", PRESSFEED_WEBSUB_MAX_PER_TOPIC="200000",
               PRESSFEED_WEBSUB_MAX_SUBSCRIPTIONS="200000", PRESSFEED_BASE_URL=BASE)
    subprocess.run([BIN, "--db", DB, "import", seed], check=True, env=env, capture_output=True)
    token = subprocess.run([BIN, "--db", DB, "create-token", "bench"], check=True, env=env,
                           capture_output=True, text=True).stdout.strip()
    receiver = Receiver()
    server = subprocess.Popen([BIN, "--db", DB, "--bind", f"127.0.0.1:{PORT}", "serve"], env=env,
                              stderr=open(os.path.join(TMP, "server.log"), "w"))
    try:
        for _ in range(200):
            try:
                http("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        results = {}
        poll = "/topics/other-0/feed.atom"
        etag = http("GET", poll)[1]["ETag"]

        results["304_idle_no_subscriptions"] = wrk(poll, etag, WRK_SECONDS)[0]
        db = sqlite3.connect(DB, timeout=30)
        topics = [f"/topics/other-{k}/feed.{ext}" for k in range(10) for ext in ("atom", "rss", "json")]
        db.executemany(
            "INSERT INTO websub_subscriptions (topic, callback, lease_seconds, expires_at, created_at) VALUES (?, ?, 864000, ?, 0)",
            ((topics[i % len(topics)], f"http://127.0.0.1:{RPORT}/cb?who=stored-{i}", FAR) for i in range(STORED)))
        db.commit()
        time.sleep(2)
        results["304_idle_with_stored"] = wrk(poll, etag, WRK_SECONDS)[0]
        db.execute("DELETE FROM websub_subscriptions WHERE callback LIKE '%who=stored-%'")
        db.commit()

        topic = f"{BASE}/topics/bench/feed.atom"
        for i in range(10):
            body = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.topic": topic,
                                           "hub.callback": f"http://127.0.0.1:{RPORT}/cb?who=live-{i}"}).encode()
            http("POST", "/websub", body, {"Content-Type": "application/x-www-form-urlencoded"})
        while db.execute("SELECT count(*) FROM websub_subscriptions").fetchone()[0] < 10:
            time.sleep(0.05)

        def publish(slug):
            release = json.dumps({"slug": slug, "title": f"Bench {slug}", "body_html": "<p>" + "News. " * 300 + "</p>",
                                  "organization": "Bench Office", "lang": "en", "topics": ["bench"],
                                  "published_at": "2026-06-01T00:00:00Z"}).encode()
            sent = time.time()
            http("POST", "/api/v1/releases", release,
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            return sent

        latencies = []
        for r in range(ROUNDS):
            before = len(receiver.lines)
            sent = publish(f"latency-{r}")
            receiver.wait_for(before + 10, 30)
            latencies += [t - sent for t, _, _ in receiver.lines[before:before + 10]]
            time.sleep(0.2)
        latencies.sort()
        results["latency_10_p50_ms"] = statistics.median(latencies) * 1000
        results["latency_10_p90_ms"] = latencies[int(len(latencies) * 0.9)] * 1000
        results["latency_10_max_ms"] = latencies[-1] * 1000

        db.executemany(
            "INSERT INTO websub_subscriptions (topic, callback, lease_seconds, expires_at, created_at) VALUES (?, ?, 864000, ?, 0)",
            (("/topics/bench/feed.atom", f"http://127.0.0.1:{RPORT}/cb?who=fan-{i}", FAR) for i in range(FANOUT - 10)))
        db.commit()
        time.sleep(1.5)
        rss_before = rss_kb(server.pid)
        rss_peak = [rss_before]
        sampling = True

        def sample():
            while sampling:
                rss_peak[0] = max(rss_peak[0], rss_kb(server.pid))
                time.sleep(0.05)

        threading.Thread(target=sample, daemon=True).start()
        before = len(receiver.lines)
        wrk_during = {}
        sent = publish("fanout")
        t = threading.Thread(target=lambda: wrk_during.update(rps=wrk(poll, etag, WRK_SECONDS)[0]))
        t.start()
        receiver.wait_for(before + FANOUT, 120)
        done = receiver.lines[before + FANOUT - 1][0]
        t.join()
        sampling = False
        fan = receiver.lines[before:before + FANOUT]
        results["fanout_subscribers"] = FANOUT
        results["fanout_all_acknowledged_s"] = done - sent
        results["fanout_deliveries_per_s"] = FANOUT / (done - sent)
        results["fanout_bytes_sent"] = sum(n for _, _, n in fan)
        results["fanout_distinct_subscribers"] = len({w for _, w, _ in fan})
        results["fanout_rss_before_mb"] = rss_before / 1024
        results["fanout_rss_growth_mb"] = (rss_peak[0] - rss_before) / 1024
        results["304_during_fanout"] = wrk_during["rps"]
        results["304_during_fanout_vs_idle"] = wrk_during["rps"] / results["304_idle_no_subscriptions"]
        results["304_stored_vs_none"] = results["304_idle_with_stored"] / results["304_idle_no_subscriptions"]
        print(json.dumps(results, indent=2))
    finally:
        server.terminate()
        server.wait()
        receiver.proc.terminate()


if __name__ == "__main__":
    import urllib.parse  # noqa: E402
    main()
