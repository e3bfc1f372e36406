#!/usr/bin/env python3
"""A WebSub subscriber nobody here wrote (PyPI's flask-websub) against a
running pressfeed: it discovers the hub from the topic feed's Link headers,
subscribes, and must receive the feed after `pressfeed import` adds a
release in another process. Run by .ci/run's `websub` stage:

    third_party_subscriber.py BASE_URL PRESSFEED_BIN DB_PATH

Exits 0 when the change arrived with the new release in it, 1 otherwise.
"""

import json
import subprocess
import sys
import tempfile
import threading
import time

from flask import Flask
from flask_websub.subscriber import (SQLite3SubscriberStorage,
                                     SQLite3TempSubscriberStorage, discover)
from flask_websub.subscriber import Subscriber
from werkzeug.serving import make_server

BASE, BIN, DB = sys.argv[1:4]
TOPIC = f"{BASE}/topics/third-party/feed.atom"
TIMEOUT = 30

events = {"subscribed": threading.Event(), "notified": threading.Event(), "bodies": [], "errors": []}

server = make_server("127.0.0.1", 0, None)  # the port first, then the app
port = server.socket.getsockname()[1]
app = Flask(__name__)
app.config["SERVER_NAME"] = f"127.0.0.1:{port}"
store = tempfile.mktemp(suffix=".db")
subscriber = Subscriber(SQLite3SubscriberStorage(store), SQLite3TempSubscriberStorage(store))
app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))


@subscriber.add_success_handler
def on_success(topic_url, callback_id, mode):
    print(f"flask-websub: {mode} confirmed for {topic_url}", flush=True)
    events["subscribed"].set()


@subscriber.add_error_handler
def on_error(topic_url, callback_id, reason):
    events["errors"].append(reason)
    print(f"flask-websub: error {reason}", flush=True)


@subscriber.add_listener
def on_change(topic_url, callback_id, body):
    events["bodies"].append(body)
    events["notified"].set()


server.app = app
threading.Thread(target=server.serve_forever, daemon=True).start()

with app.app_context():
    found = discover(TOPIC)
    print(f"flask-websub: discovered {found}", flush=True)
    assert found["hub_url"] == f"{BASE}/websub", found
    assert found["topic_url"] == TOPIC, found
    subscriber.subscribe(**found)
if not events["subscribed"].wait(TIMEOUT):
    sys.exit(f"not subscribed within {TIMEOUT} s (errors: {events['errors']})")
time.sleep(0.5)  # the hub stores the subscription right after the echo

line = json.dumps({"slug": "third-party-news", "title": "Third-party subscriber news",
                   "body_html": "<p>Delivered.</p>", "organization": "CI Office", "lang": "en",
                   "topics": ["third-party"],
                   "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))})
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    f.write(line + "\n")
subprocess.run([BIN, "--db", DB, "import", f.name], check=True)
if not events["notified"].wait(TIMEOUT):
    sys.exit(f"no delivery within {TIMEOUT} s")
body = events["bodies"][0]
body = body.decode() if isinstance(body, bytes) else body
if "Third-party subscriber news" not in body:
    sys.exit(f"the delivery lacks the new release: {body[:300]}")
print("flask-websub received the change: OK", flush=True)
