#!/usr/bin/env python3
"""The writer of deploy/load/run.sh: creates and edits releases through the
automation API for a bounded time, and logs every write it made.

    LOAD_TOKEN=... python3 writer.py BASE LOG SECONDS [WRITES_PER_SEC]

BASE must be a loopback URL (http://127.0.0.1:PORT). It alternates
  POST /api/v1/releases          a new release `load-w-N`, published now
  PUT  /api/v1/releases/{slug}   an earlier one of its releases with a new title
at up to WRITES_PER_SEC (default 20; 0 = as fast as the server answers),
one request at a time on one keep-alive connection.

LOG gets one JSON object a line for every attempt:
  {"seq", "op", "slug", "title", "published_at", "status", "ack"}
ack is true only for a 2xx answer (an acknowledged write); status is null
when no answer came (timeout, closed connection: the outcome is unknown).
The last line is {"summary": {...}} with the counts. Standard library only.
"""

import http.client
import ipaddress
import json
import os
import random
import sys
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

TOPICS = ["humanitarian", "diplomacy", "climate", "human-rights", "accountability"]


def loopback_host_port(base):
    u = urlsplit(base)
    host = u.hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"writer: {base} is not a loopback URL")
    return host, u.port or 80


class Api:
    def __init__(self, host, port, token):
        self.host, self.port = host, port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.conn = None

    def request(self, method, path, body):
        """(status, parsed body) or raises OSError/HTTPException (no answer)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.conn.request(method, path, body=json.dumps(body).encode(), headers=self.headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data[:200].decode("utf-8", "replace")
        return resp.status, parsed


def release(slug, title, published_at, n):
    return {
        "slug": slug,
        "title": title,
        "summary": f"Summary of {slug}",
        "body_html": f"<p>Written by the load test, release {n}.</p><p>{title}</p>",
        "organization": "Load Test Office",
        "department": "Press Office",
        "lang": "en",
        "published_at": published_at,
        "topics": [TOPICS[n % len(TOPICS)], TOPICS[(n + 2) % len(TOPICS)]],
    }


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    base, log_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rate = float(sys.argv[4]) if len(sys.argv) == 5 else 20.0
    token = os.environ.get("LOAD_TOKEN") or sys.exit("writer: LOAD_TOKEN is not set")
    host, port = loopback_host_port(base)
    api = Api(host, port, token)
    rng = random.Random(1)
    run = format(int(time.time()), "x")  # a nonce so titles differ between runs
    created = []  # (slug, published_at, n) of acknowledged POSTs
    edits = {}  # slug -> number of edits tried
    counts = {"attempts": 0, "acknowledged": 0, "post_ack": 0, "put_ack": 0,
              "status_4xx": 0, "status_5xx": 0, "no_answer": 0}
    statuses = {}
    started = time.monotonic()
    deadline = started + seconds
    interval = 1.0 / rate if rate > 0 else 0.0
    seq = 0
    with open(log_path, "w", encoding="utf-8") as log:
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            seq += 1
            if created and seq % 2 == 0:
                slug, published_at, n = rng.choice(created)
                edits[slug] = edits.get(slug, 0) + 1
                title = f"Load release {n} edit {edits[slug]} run {run} seq {seq}"
                op, path = "PUT", f"/api/v1/releases/{slug}?create_topics=true"
            else:
                n = len(created) + 1
                slug = f"load-w-{run}-{n}"
                # milliseconds: writes made within one second still sort newest first
                now = datetime.now(timezone.utc)
                published_at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                title = f"Load release {n} created run {run} seq {seq}"
                op, path = "POST", "/api/v1/releases?create_topics=true"
            entry = {"seq": seq, "op": op, "slug": slug, "title": title,
                     "published_at": published_at, "status": None, "ack": False}
            counts["attempts"] += 1
            try:
                status, body = api.request(op, path, release(slug, title, published_at, n))
            except (OSError, http.client.HTTPException) as e:
                entry["error"] = repr(e)
                counts["no_answer"] += 1
                print(f"writer: {op} {slug}: no answer: {e!r}", file=sys.stderr)
            else:
                entry["status"] = status
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if 200 <= status < 300:
                    entry["ack"] = True
                    counts["acknowledged"] += 1
                    counts["post_ack" if op == "POST" else "put_ack"] += 1
                    if op == "POST":
                        created.append((slug, published_at, n))
                else:
                    entry["error"] = body
                    counts["status_5xx" if status >= 500 else "status_4xx"] += 1
                    print(f"writer: {op} {slug}: HTTP {status}: {body}", file=sys.stderr)
            log.write(json.dumps(entry) + "\n")
            log.flush()
            pause = interval - (time.monotonic() - t0)
            if pause > 0:
                time.sleep(pause)
        elapsed = time.monotonic() - started
        counts["seconds"] = round(elapsed, 1)
        counts["writes_per_sec"] = round(counts["acknowledged"] / max(elapsed, 1e-9), 1)
        counts["statuses"] = statuses
        log.write(json.dumps({"summary": counts}) + "\n")
    print(f"writer: {json.dumps(counts)}", file=sys.stderr)


if __name__ == "__main__":
    main()
