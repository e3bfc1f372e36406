#!/usr/bin/env python3
"""Loads JSON Lines from stdin into a pressfeed database, CHUNK releases per
`pressfeed import -` run (one process each, as an operator would), and
prints each run's rate. The first run into an empty database is the import
benchmark with the search index; the rest only fill the database.

    gen_releases.py N SEED | load.py PRESSFEED_BIN DB [CHUNK]
"""
import os
import subprocess
import sys
import time

# Words to count releases for (COUNT="a,b"): how many a search must sift.
WORDS = [w for w in os.environ.get("COUNT", "").lower().split(",") if w]


def run(binary, db, lines):
    started = time.monotonic()
    p = subprocess.run([binary, "--db", db, "import", "-"], input="".join(lines).encode(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("import failed: " + p.stderr.decode(errors="replace")[-2000:])
    return time.monotonic() - started


def main():
    binary, db = sys.argv[1], sys.argv[2]
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    lines, total = [], 0
    counts = dict.fromkeys(WORDS, 0)
    for line in sys.stdin:
        lower = line.lower()
        for w in WORDS:
            counts[w] += w in lower
        lines.append(line)
        if len(lines) == chunk:
            secs = run(binary, db, lines)
            total += len(lines)
            print("import %7d releases: %6.1f s, %5.0f releases/s (total %d)"
                  % (len(lines), secs, len(lines) / secs, total), flush=True)
            lines = []
    if lines:
        secs = run(binary, db, lines)
        total += len(lines)
        print("import %7d releases: %6.1f s, %5.0f releases/s (total %d)"
              % (len(lines), secs, len(lines) / secs, total), flush=True)
    for w, n in counts.items():
        print("releases containing %r: %d" % (w, n))


if __name__ == "__main__":
    main()
