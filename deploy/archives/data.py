#!/usr/bin/env python3
"""Multi-year data for the archive crawl (CI stage `archives`).

    python3 data.py GEN_RELEASES.py N SEED > releases.jsonl

../shared/bench/gen_releases.py's N releases (three years), made harder:
every 23rd a draft, every 29th retracted, every 31st scheduled 2 to 40 days
from now (so the current month and a future one hold releases readers
cannot see yet). Deterministic for N and SEED, apart from the scheduled
times, which follow the clock.
"""
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

gen, n, seed = sys.argv[1], sys.argv[2], sys.argv[3]
out = subprocess.run([sys.executable, gen, n, seed], check=True, capture_output=True, text=True).stdout
now = datetime.now(timezone.utc)
for i, line in enumerate(out.splitlines()):
    r = json.loads(line)
    if i % 23 == 0:
        r["status"] = "draft"
    elif i % 29 == 0:
        r["status"] = "retracted"
    elif i % 31 == 0:
        r["published_at"] = (now + timedelta(days=2 + i % 39)).isoformat()
        r.pop("updated_at", None)
    sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
