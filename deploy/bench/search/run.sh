#!/usr/bin/env bash
# Search benchmark (issue 14): a database of N (1,000,000) generated releases
# (../shared/bench/gen_releases.py N 42, imported 100,000 per `pressfeed
# import` run), then
#   1. the import rate of the first 100,000 into the empty database, with the
#      search index kept in step (the README's import measure),
#   2. what the index adds to the database (sizes.py, SQLite's dbstat),
#   3. search latency over HTTP (latency.py: p50/p95/max of ROUNDS sequential
#      requests per query) for a common and a rare word, phrases (one that
#      occurs, one of two common words that never occurs in that order),
#      Arabic, and a common word in a small topic,
# with the load average before and after (the machine may be shared).
# Work files in WORK (default /tmp/search/bench), removed at the end unless
# KEEP=1. Needs about 6 GB free there for N=1,000,000.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
N=${N:-1000000}
ROUNDS=${ROUNDS:-200}
WORK=${WORK:-/tmp/search/bench}
GEN=${GEN:-$ROOT/../shared/bench/gen_releases.py}
HERE=$ROOT/deploy/bench/search
BIN=${BIN:-$ROOT/target/release/pressfeed}
PORT=${PORT:-18570}
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
rm -rf "$WORK" && mkdir -p "$WORK"
DB=$WORK/search.db
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== load: $N releases"
python3 "$GEN" "$N" 42 \
    | COUNT="cooperation,procedures,children,international cooperation,cooperation international" \
      python3 "$HERE/load.py" "$BIN" "$DB" 100000
# A word only three releases have, one of them years old: the rare case.
python3 - "$DB" > "$WORK/rare.jsonl" <<'PY'
import json
for i, when in enumerate(["2015-03-01T10:00:00Z", "2020-06-01T10:00:00Z", "2024-01-15T10:00:00Z"]):
    print(json.dumps({"slug": "rare-%d" % i, "title": "Zanzibarquake report %d" % i,
                      "body_html": "<p>The zanzibarquake survey.</p>", "organization": "O",
                      "lang": "en", "published_at": when, "topics": ["children"]}))
PY
"$BIN" --db "$DB" import "$WORK/rare.jsonl" > /dev/null
echo "== sizes"
python3 "$HERE/sizes.py" "$DB"
ls -l "$DB"
echo "== search latency (HTML page, $ROUNDS requests each, access_log off)"
PRESSFEED_ACCESS_LOG=false "$BIN" --db "$DB" --bind "127.0.0.1:$PORT" serve 2> "$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    sleep 0.2
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$HERE/latency.py" "http://127.0.0.1:$PORT" "$ROUNDS" \
    "q=cooperation" "q=procedures" "q=zanzibarquake" \
    "q=%22international+cooperation%22" "q=%22cooperation+international%22" \
    "q=cooperation+secretariat+donor" \
    "q=%D8%A7%D9%84%D8%AA%D8%B9%D8%A7%D9%88%D9%86" \
    "q=%22%D8%A7%D9%84%D8%AA%D8%B9%D8%A7%D9%88%D9%86+%D8%A7%D9%84%D8%AF%D9%88%D9%84%D9%8A%22" \
    "q=cooperation&topic=children" "q=cooperation&lang=fr" "q=cooperation&page=20"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
