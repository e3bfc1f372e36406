#!/usr/bin/env python3
"""One write a second through the automation API, each a new release in a random topic of
many_topics.py's data (`topic-00000` ...), for the many-topics benchmark's write rows.

    TOKEN=... python3 many_topics_writer.py BASE TOPICS SECONDS

BASE must be a loopback URL. Prints how many writes were acknowledged. Standard library only.
"""
import http.client, json, os, random, signal, sys, time
from datetime import datetime, timezone
from urllib.parse import urlsplit

base, topics, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
u = urlsplit(base)
if u.hostname not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("BASE must be a loopback URL")
headers = {"Authorization": f"Bearer {os.environ['TOKEN']}", "Content-Type": "application/json"}
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
rnd, acked, n = random.Random(7), 0, 0
begun = time.monotonic()
end = begun + seconds


def stop(*_):
    global end
    end = 0.0


signal.signal(signal.SIGTERM, stop)  # many_topics.sh stops it after the run: summary still printed
while time.monotonic() < end:
    started = time.monotonic()
    n += 1
    body = {"slug": f"mt-write-{os.getpid()}-{n}", "title": f"Written during the run, {n}",
            "body_html": "<p>" + "A statement written while pollers poll. " * 20 + "</p>",
            "organization": "Ministry of Examples", "lang": "en",
            "published_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "topics": [f"topic-{rnd.randrange(topics):05d}"]}
    try:
        conn.request("POST", "/api/v1/releases", body=json.dumps(body), headers=headers)
        r = conn.getresponse(); r.read()
        acked += 200 <= r.status < 300
    except (OSError, http.client.HTTPException):
        conn.close()
    time.sleep(max(0.0, min(1.0 - (time.monotonic() - started), end - time.monotonic())))
print(f"writer: {acked} of {n} writes acknowledged in {time.monotonic() - begun:.0f} s")
