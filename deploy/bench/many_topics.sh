#!/usr/bin/env bash
# pressfeed in ../shared/bench/many_topics.py (issue 17): pollers spread at random over every
# topic feed, against nginx serving the same bytes as static files. For each topic count:
# identity, gzip, and identity with one write a second through the API to a random topic.
#
#   deploy/bench/many_topics.sh                      # 100, 1,000 and 10,000 topics
#   SIZES="1000:30000" DURATION=5 deploy/bench/many_topics.sh
#
# Writes deploy/bench/results/many-topics-STAMP.txt (+ many-topics-latest.txt): every row
# many_topics.py printed, pressfeed's peak RSS (VmHWM) after each run; and
# many-topics-latest.tsv (topics, scenario, target/nginx req/s), which plot_many_topics.py
# turns into many-topics.svg.
# Knobs (env): SIZES (topics:releases pairs), DURATION (s per wrk row, default 5), SEED,
# PRESSFEED_BIN (default: build target/release/pressfeed), KEEP_TMP=1.
# pressfeed runs with its access log off (PRESSFEED_ACCESS_LOG=false), as nginx does.
# Each scenario notes the load average (1, 5, 15 min) before and after it: the box is shared.
# Everything started here is stopped by PID on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# The shared/ folder beside the repository (or beside a worktree's parent).
if [ -z "${SHARED:-}" ]; then
    for d in "$ROOT/../shared" "$ROOT/../../shared"; do [ -d "$d/bench" ] && SHARED=$(realpath "$d") && break; done
fi
: "${SHARED:?set SHARED to the shared/ folder (with bench/many_topics.py)}"
SIZES=${SIZES:-"100:3000 1000:30000 10000:200000"}
DURATION=${DURATION:-5} SEED=${SEED:-42}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
RESULTS=$HERE/results; mkdir -p "$RESULTS"
TMP=$(mktemp -d /tmp/many-topics-run.XXXXXX)
OUT=$RESULTS/many-topics-$STAMP.txt
TSV=$RESULTS/many-topics-$STAMP.tsv
SERVER_PID= WRITER_PID=
PORT=$((19000 + $$ % 500))
BASE=http://127.0.0.1:$PORT

cleanup() {
    [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if [ -z "${PRESSFEED_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release --bin pressfeed >&2)
    BIN=$ROOT/target/release/pressfeed
else
    BIN=$PRESSFEED_BIN
fi

say() { echo "$*" | tee -a "$OUT"; }
peak_rss() { awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# many_topics.py's last line: "ratio target/nginx: full Ax, 304 Bx"; rows "target full N req/s ...".
record() {  # topics scenario logfile
    local t f3 nf n3
    t=$(awk '$1 == "target" && $2 == "full" {print $3}' "$3")
    f3=$(awk '$1 == "target" && $2 == "304" {print $3}' "$3")
    nf=$(awk '$1 == "nginx" && $2 == "full" {print $3}' "$3")
    n3=$(awk '$1 == "nginx" && $2 == "304" {print $3}' "$3")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$t" "$f3" "$nf" "$n3" >> "$TSV"
}

say "# many_topics.py, pressfeed $COMMIT, $STAMP, $(nproc) cores, access log off on both sides, wrk ${DURATION}s rows"
printf 'topics\tscenario\tpf_full\tpf_304\tnginx_full\tnginx_304\n' > "$TSV"
for size in $SIZES; do
    topics=${size%%:*} releases=${size##*:}
    db=$TMP/mt-$topics.db
    python3 "$SHARED/bench/many_topics.py" gen "$topics" "$releases" "$SEED" > "$TMP/mt.jsonl"
    "$BIN" --db "$db" migrate > /dev/null
    "$BIN" --db "$db" import "$TMP/mt.jsonl" > /dev/null 2> "$TMP/import.log"
    rm -f "$TMP/mt.jsonl"
    TOKEN=$("$BIN" --db "$db" create-token bench-writer 2>/dev/null)
    PRESSFEED_ACCESS_LOG=false "$BIN" --db "$db" --bind "127.0.0.1:$PORT" serve > "$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "$BASE/healthz" > /dev/null && break; sleep 0.1; done
    say ""
    say "## $topics topics, $releases releases"
    for scenario in identity gzip writes; do
        args=(--topics "$topics" --duration "$DURATION")
        [ "$scenario" = gzip ] && args+=(--gzip)
        if [ "$scenario" = writes ]; then
            TOKEN=$TOKEN python3 "$HERE/many_topics_writer.py" "$BASE" "$topics" 100000 > "$TMP/writer.log" 2>&1 &
            WRITER_PID=$!
        fi
        LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
        python3 "$SHARED/bench/many_topics.py" run "$BASE" "${args[@]}" > "$TMP/run.log" 2>&1
        say "### $scenario (load before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg))"
        tee -a "$OUT" < "$TMP/run.log"
        if [ -n "$WRITER_PID" ]; then
            kill "$WRITER_PID"; wait "$WRITER_PID" 2>/dev/null || true; WRITER_PID=
            tee -a "$OUT" < "$TMP/writer.log"
        fi
        say "pressfeed peak RSS so far: $(peak_rss)"
        record "$topics" "$scenario" "$TMP/run.log"
    done
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    rm -rf "$db" "$db"-*
done
cp "$OUT" "$RESULTS/many-topics-latest.txt"
cp "$TSV" "$RESULTS/many-topics-latest.tsv"
PLOT_VENV=${PLOT_VENV:-/tmp/pressfeed-plot-venv} python3 "$HERE/plot_many_topics.py" "$RESULTS/many-topics-latest.tsv" "$RESULTS/many-topics.svg" \
    || echo "plot skipped (matplotlib missing: see plot_many_topics.py)"
