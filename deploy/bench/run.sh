#!/usr/bin/env bash
# pressfeed in the shared feed benchmark (../shared/bench: nginx static and Django
# peers, same data, same wrk runs), then its peak memory at 100k releases.
#
#   deploy/bench/run.sh
#   PEERS=nginx DURATION=5 deploy/bench/run.sh          # quicker: one peer, 5 s rows
#   BENCH_GZIP=1 PRESSFEED_WORKERS=2 deploy/bench/run.sh
#
# Writes deploy/bench/results/:
#   STAMP.tsv, latest.tsv        the shared bench's results.tsv (one line per peer/url/mode)
#   STAMP.txt, latest.txt        the knobs, the correctness probe and the printed table
#   latest.png                   req/s per peer, URL and mode (plot.py)
#   STAMP-memory.txt, latest-memory.txt   import rate and peak RSS at MEM_N releases
#
# Knobs (env): everything ../shared/bench/run.sh reads (N SEED DURATION WARMUP CONNS
# THREADS TOPIC PEERS BENCH_GZIP ... ; see its README) is passed through; the server
# inherits PRESSFEED_* (e.g. PRESSFEED_WORKERS). Own knobs:
#   SHARED            the shared/ folder (default ../shared beside the repo)
#   MEM_N, MEM_SEED   data for the memory run (default 100000, 1)
#   MEM_WRK_SECONDS   wrk load on /feed.atom during the memory run (default 20)
#   MEM_POLL_SECONDS  then 304 polling of /feed.atom, RSS before and after (default 30)
#   SKIP_BENCH=1      only the memory run;   SKIP_MEMORY=1  only the benchmark
#   KEEP_TMP=1        keep the scratch folder (databases, logs)
#   PRESSFEED_BIN     use this binary instead of building target/release/pressfeed
# Everything started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
SHARED=${SHARED:-$(realpath ../shared)}
export N=${N:-5000} SEED=${SEED:-42} WORK=${WORK:-/tmp/feedbench}
MEM_N=${MEM_N:-100000} MEM_SEED=${MEM_SEED:-1} MEM_WRK_SECONDS=${MEM_WRK_SECONDS:-20}
MEM_POLL_SECONDS=${MEM_POLL_SECONDS:-30}
SKIP_BENCH=${SKIP_BENCH:-0} SKIP_MEMORY=${SKIP_MEMORY:-0} KEEP_TMP=${KEEP_TMP:-0}
RESULTS=$HERE/results
BIN=$ROOT/target/release/pressfeed
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo none)

TMP=$(mktemp -d /tmp/pressfeed-bench.XXXXXX)
SERVER_PID="" PORT="" BASE=""

cleanup() {
    stop_server || true
    if [ "$KEEP_TMP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_server() {  # db logfile
    local deadline
    PORT=$(free_port)
    BASE=http://127.0.0.1:$PORT
    # nginx peer runs with access_log off; match it unless asked otherwise.
    PRESSFEED_ACCESS_LOG=${PRESSFEED_ACCESS_LOG:-false} "$BIN" --db "$1" --bind "127.0.0.1:$PORT" --base-url "$BASE" serve > "$2" 2>&1 &
    SERVER_PID=$!
    deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "pressfeed did not become ready at $BASE/healthz; its log:" >&2
            tail -n 30 "$2" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "pressfeed pid $SERVER_PID at $BASE (PRESSFEED_WORKERS=${PRESSFEED_WORKERS:-default})"
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# ---- build
if [ -z "${PRESSFEED_BIN:-}" ]; then
    echo "== cargo build --release"
    cargo build --release
else
    BIN=$PRESSFEED_BIN    # an already built binary (or a stand-in), no build
fi
if ! command -v curl >/dev/null || ! command -v wrk >/dev/null; then "$SHARED/bench/setup.sh"; fi
mkdir -p "$RESULTS"

# ---- the shared benchmark, pressfeed as an extra target
if [ "$SKIP_BENCH" != 1 ]; then
    echo "== data: N=$N SEED=$SEED"
    python3 "$SHARED/bench/gen_releases.py" "$N" "$SEED" > "$TMP/releases.jsonl"
    echo "releases.jsonl sha256 $(sha256sum < "$TMP/releases.jsonl" | cut -d' ' -f1)"
    "$BIN" --db "$TMP/bench.db" import "$TMP/releases.jsonl"
    start_server "$TMP/bench.db" "$TMP/bench-server.log"

    "$SHARED/bench/run.sh" "pressfeed=$BASE" | tee "$TMP/bench.out"
    stop_server

    cp "$WORK/results.tsv" "$RESULTS/$STAMP.tsv"
    {
        echo "# pressfeed $COMMIT, $STAMP, N=$N SEED=$SEED DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}" \
            "CONNS=${CONNS:-64} THREADS=${THREADS:-2} BENCH_GZIP=${BENCH_GZIP:-0}" \
            "PEERS='${PEERS:-nginx django}' PRESSFEED_WORKERS=${PRESSFEED_WORKERS:-default}"
        grep '^== env' "$TMP/bench.out" || true
        echo
        cat "$WORK/probe.txt"
        echo
        cat "$WORK/table.txt"
    } > "$RESULTS/$STAMP.txt"
    cp "$RESULTS/$STAMP.tsv" "$RESULTS/latest.tsv"
    cp "$RESULTS/$STAMP.txt" "$RESULTS/latest.txt"
    if python3 "$HERE/plot.py" "$RESULTS/latest.tsv" "$RESULTS/latest.png" \
        --title "pressfeed $COMMIT vs peers, N=$N, $STAMP"; then
        echo "plot: $RESULTS/latest.png"
    else
        echo "warning: plot.py failed; the tables are in $RESULTS/latest.txt" >&2
    fi
    echo "results: $RESULTS/$STAMP.tsv, $RESULTS/$STAMP.txt"
fi

# ---- memory: import MEM_N releases, serve every feed variant, load /feed.atom, read VmHWM
if [ "$SKIP_MEMORY" != 1 ]; then
    echo "== memory run: $MEM_N releases (seed $MEM_SEED)"
    python3 "$SHARED/bench/gen_releases.py" "$MEM_N" "$MEM_SEED" > "$TMP/big.jsonl"
    echo "big.jsonl: $(wc -c < "$TMP/big.jsonl") bytes"
    t0=${EPOCHREALTIME/./}
    "$BIN" --db "$TMP/big.db" import "$TMP/big.jsonl"
    import_us=$((${EPOCHREALTIME/./} - t0))
    read -r import_s import_rate < <(awk -v us="$import_us" -v n="$MEM_N" \
        'BEGIN { s = us / 1e6; printf "%.2f %.0f\n", s, n / (s > 0 ? s : 1e-6) }')
    db_mb=$(du -cm "$TMP"/big.db* | awk 'END { print $1 }')
    echo "import: $MEM_N releases in $import_s s = $import_rate releases/s (database ${db_mb} MB)"

    start_server "$TMP/big.db" "$TMP/big-server.log"
    rss_idle=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")

    # every feed: the global three plus each topic's three (the OPML names one
    # xmlUrl per topic; its .rss/.atom/.json siblings are the other two), re-rooted on BASE
    curl -fsS --max-time 30 "$BASE/topics.opml" > "$TMP/topics.opml"
    python3 - "$TMP/topics.opml" > "$TMP/paths.txt" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
stems = ["/feed"]
for o in ET.parse(sys.argv[1]).iter("outline"):
    m = re.fullmatch(r"(.*/feed)\.(rss|atom|json)", urlsplit(o.get("xmlUrl") or "").path)
    if m and m.group(1) not in stems:
        stems.append(m.group(1))
print("\n".join(f"{s}.{k}" for s in stems for k in ("rss", "atom", "json")))
PY
    n_req=0 n_bad=0
    while read -r path; do
        for enc in "" gzip br; do
            code=$(curl -s -o /dev/null --max-time 30 -w '%{http_code}' \
                ${enc:+-H "Accept-Encoding: $enc"} "$BASE$path" || echo 000)
            n_req=$((n_req + 1))
            if [ "$code" != 200 ]; then
                n_bad=$((n_bad + 1)); echo "  $path (Accept-Encoding: ${enc:-none}): HTTP $code" >&2
            fi
        done
    done < "$TMP/paths.txt"
    echo "fetched $(wc -l < "$TMP/paths.txt") feed URLs x 3 encodings: $n_req requests, $n_bad not 200"

    wrk -t2 -c64 -d"${MEM_WRK_SECONDS}s" --timeout 5s --latency "$BASE/feed.atom" > "$TMP/mem-wrk.txt" 2>&1 || true
    wrk_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/mem-wrk.txt")
    echo "wrk -c64 ${MEM_WRK_SECONDS}s /feed.atom: ${wrk_rps:-?} req/s"

    # A leak per request shows as growth over a long run of cheap requests:
    # pollers revalidating /feed.atom (304s) for MEM_POLL_SECONDS.
    etag=$(curl -fsS -o /dev/null -D - "$BASE/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
    rss_before_poll=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
    BENCH_MODE=304 BENCH_ETAG="$etag" wrk -t2 -c64 -d"${MEM_POLL_SECONDS}s" --timeout 5s \
        -s "$SHARED/bench/wrk.lua" "$BASE/feed.atom" > "$TMP/mem-poll.txt" 2>&1 || true
    poll_requests=$(awk '/ requests in / { print $1 }' "$TMP/mem-poll.txt")
    rss_after_poll=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
    echo "RSS over ${poll_requests:-?} 304 answers: $((rss_before_poll / 1024)) MB -> $((rss_after_poll / 1024)) MB"

    kill -0 "$SERVER_PID" 2>/dev/null || { echo "pressfeed died during the memory run" >&2; exit 1; }
    hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")
    rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
    stop_server
    mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
    line="peak RSS at $((MEM_N / 1000))k releases: $(mb "$hwm_kb") MB"
    echo "$line"
    {
        echo "$line"
        echo "# pressfeed $COMMIT, $STAMP, $(nproc) cores, PRESSFEED_WORKERS=${PRESSFEED_WORKERS:-default}"
        echo "data: gen_releases.py $MEM_N $MEM_SEED ($(wc -c < "$TMP/big.jsonl") bytes)"
        echo "import: $import_s s, $import_rate releases/s, database $db_mb MB"
        echo "RSS after start: $(mb "$rss_idle") MB; after the run: $(mb "$rss_kb") MB; peak (VmHWM): $(mb "$hwm_kb") MB"
        echo "requests: $(wc -l < "$TMP/paths.txt") feed URLs x (identity, gzip, br) = $n_req, $n_bad not 200"
        echo "load: wrk -t2 -c64 -d${MEM_WRK_SECONDS}s /feed.atom: ${wrk_rps:-?} req/s"
        echo "polling: ${poll_requests:-?} 304 answers in ${MEM_POLL_SECONDS} s; RSS $(mb "$rss_before_poll") MB before, $(mb "$rss_after_poll") MB after"
    } > "$RESULTS/$STAMP-memory.txt"
    cp "$RESULTS/$STAMP-memory.txt" "$RESULTS/latest-memory.txt"
    echo "memory: $RESULTS/latest-memory.txt"
    [ "$n_bad" -eq 0 ] || { echo "some feed requests failed" >&2; exit 1; }
fi
