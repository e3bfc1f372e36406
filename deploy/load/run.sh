#!/usr/bin/env bash
# Load with writes: wrk on the feeds and pages while releases are created and
# edited through the API, an `import` of 1,000 releases runs in another
# process and `pressfeed backup` copies the database; then proves nothing was
# lost and the backup serves.
#
#   deploy/load/run.sh                          # 60 s, 256 connections
#   DURATION=8 CONNS=64 deploy/load/run.sh      # the fast mode CI runs
#
# What runs, all on loopback, all bounded by DURATION:
#   wrk  -t2 -cCONNS --timeout 10s -s mixed.lua: feeds (global and 7 topics;
#        RSS/Atom/JSON; identity, gzip, br; half with If-None-Match), the OPML,
#        /, /topics, topic pages and release pages, counted by status class
#   writer.py  POST new releases and PUT new titles on earlier ones through
#        /api/v1 (token from `pressfeed create-token`), logging every write
#   import     `pressfeed import` of 1,000 new releases after IMPORT_AT s
#   backup     `pressfeed backup` at half time
# Then it checks (any failure: exit 1):
#   wrk: 0 socket errors, 0 5xx, 0 4xx; the writer: no 5xx, no unanswered request;
#   every acknowledged write in `pressfeed export` with its last acknowledged
#   title, its release page 200 with that title, the newest in /feed.json;
#   the import exited 0 and all its releases are there; check_feeds.py passes;
#   the backup: integrity_check ok, a second server on it passes check_feeds.py,
#   and its /feed.atom entry ids all exist in the live database.
#
# Knobs (env):
#   DURATION (60)  CONNS (256)  THREADS (2)  WRITES_PER_SEC (20; 0 = unthrottled)
#   IMPORT_AT (10, or DURATION/4 when shorter)  BACKUP_AT (DURATION/2)
#   SHARED (../shared beside the repo)  CONF_VENV (~/.cache/pressfeed-conformance-venv)
#   CONF_ARGS (extra check_feeds.py options; CI's fast run: --max-topics 8)
#   PRESSFEED_BIN (default: cargo build --release, target/release/pressfeed)
#   KEEP_TMP=1 keep the scratch folder; SUMMARY_FILE=PATH also write the summary there
# Everything started here is stopped by PID on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
SHARED=${SHARED:-$(realpath ../shared)}
VENV=${CONF_VENV:-$HOME/.cache/pressfeed-conformance-venv}
DURATION=${DURATION:-60} CONNS=${CONNS:-256} THREADS=${THREADS:-2}
WRITES_PER_SEC=${WRITES_PER_SEC:-20}
IMPORT_AT=${IMPORT_AT:-$((DURATION >= 40 ? 10 : DURATION / 4))}
BACKUP_AT=${BACKUP_AT:-$((DURATION / 2))}
KEEP_TMP=${KEEP_TMP:-0} CONF_ARGS=${CONF_ARGS:-}
if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
case "$DURATION$CONNS$THREADS$IMPORT_AT$BACKUP_AT" in *[!0-9]*) echo "DURATION, CONNS, THREADS, IMPORT_AT, BACKUP_AT: whole numbers" >&2; exit 2 ;; esac
if [ "$DURATION" -lt 4 ] || [ "$DURATION" -gt 600 ]; then echo "DURATION must be 4..600 s" >&2; exit 2; fi
if [ "$CONNS" -lt 1 ] || [ "$CONNS" -gt 4096 ]; then echo "CONNS must be 1..4096" >&2; exit 2; fi
[ "$BACKUP_AT" -gt "$IMPORT_AT" ] || BACKUP_AT=$((IMPORT_AT + 1))
[ -d "$SHARED/bench" ] || { echo "shared folder not found at $SHARED (set SHARED=...)" >&2; exit 2; }
for cmd in wrk curl python3; do
    command -v "$cmd" >/dev/null || { echo "$cmd is needed" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/pressfeed-load.XXXXXX)
PIDS=()   # every process started in the background, stopped by PID in cleanup
SERVER_PID="" BACKUP_SERVER_PID=""
FAILURES=()

log() { printf '%s\n' "$@"; }
fail() { FAILURES+=("$*"); log "FAIL $*"; }

stop_pid() {  # pid: TERM, up to 10 s, then KILL
    local pid=$1
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [ "$rc" -ne 0 ] && [ -s "$TMP/server.log" ]; then
        log "--- last lines of the server log ($TMP/server.log)"
        tail -n 30 "$TMP/server.log" || true
    fi
    if [ "$KEEP_TMP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server DB LOGFILE: starts pressfeed serve on a free port; sets PORT, BASE, LAST_PID
start_server() {
    local deadline pid
    PORT=$(free_port)
    BASE=http://127.0.0.1:$PORT
    PRESSFEED_ACCESS_LOG=false "$BIN" --db "$1" --bind "127.0.0.1:$PORT" --base-url "$BASE" serve \
        > "$2" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    LAST_PID=$pid
    deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            log "pressfeed did not become ready at $BASE/healthz; its log:" >&2
            tail -n 30 "$2" >&2
            exit 1
        fi
        sleep 0.2
    done
}

conformance_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import feedparser, lxml, requests' 2>/dev/null; then
        return 0
    fi
    if [ -e "$VENV" ] && ! [ -f "$VENV/pyvenv.cfg" ]; then
        log "$VENV exists and is not a venv; move it away or set CONF_VENV" >&2
        exit 1
    fi
    log "creating the conformance venv at $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$SHARED/conformance/requirements.txt"
}

# conformance_start BASE LABEL / conformance_finish LABEL: check_feeds.py in the
# background (the live and the backup server are checked at the same time)
conformance_start() {
    # shellcheck disable=SC2086  # CONF_ARGS: words on purpose
    "$VENV/bin/python" "$SHARED/conformance/check_feeds.py" "$1" $CONF_ARGS > "$TMP/conformance-$2.txt" 2>&1 &
    CONF_PID[$2]=$!
    PIDS+=("$!")
}
conformance_finish() {
    local out=$TMP/conformance-$1.txt rc=0
    wait "${CONF_PID[$1]}" || rc=$?
    if [ "$rc" -eq 0 ]; then
        CONF_RESULT[$1]="pass ($(tail -n 1 "$out"))"
    else
        CONF_RESULT[$1]="FAIL ($(tail -n 1 "$out"))"
        grep '^FAIL' "$out" | head -n 20 || true
        fail "check_feeds.py against the $1 server (exit $rc): $(tail -n 1 "$out")"
    fi
}
declare -A CONF_PID=()
declare -A CONF_RESULT=()

# ---------------------------------------------------------------- setup

if [ -n "${PRESSFEED_BIN:-}" ]; then
    BIN=$PRESSFEED_BIN
else
    log "building: cargo build --release"
    cargo build --release --quiet
    BIN=$ROOT/target/release/pressfeed
fi
[ -x "$BIN" ] || { log "no pressfeed binary at $BIN" >&2; exit 1; }
conformance_venv

DB=$TMP/live.db
python3 "$SHARED/bench/gen_releases.py" 2000 5 > "$TMP/base.jsonl"
python3 "$SHARED/bench/gen_releases.py" 1000 99 | python3 "$HERE/check.py" rename load-import- > "$TMP/import.jsonl"
"$BIN" --db "$DB" import "$TMP/base.jsonl" 2> "$TMP/base-import.log" \
    || { cat "$TMP/base-import.log" >&2; exit 1; }
log "$(tail -n 1 "$TMP/base-import.log")"
TOKEN=$("$BIN" --db "$DB" create-token load-writer 2>/dev/null)
[ -n "$TOKEN" ] || { log "create-token printed no token" >&2; exit 1; }

start_server "$DB" "$TMP/server.log"
SERVER_PID=$LAST_PID LIVE=$BASE
log "server pid $SERVER_PID at $LIVE ($(nproc) cores, default workers, access log off)"
python3 "$HERE/check.py" paths "$LIVE" "$TMP/base.jsonl" "$TMP/paths.tsv"

# ---------------------------------------------------------------- the load

log "load: wrk -t$THREADS -c$CONNS -d${DURATION}s, writer at ${WRITES_PER_SEC}/s, import at ${IMPORT_AT}s, backup at ${BACKUP_AT}s"
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
LOAD_PATHS=$TMP/paths.tsv wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
    -s "$HERE/mixed.lua" "$LIVE" > "$TMP/wrk.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
LOAD_TOKEN=$TOKEN python3 "$HERE/writer.py" "$LIVE" "$TMP/writes.jsonl" "$DURATION" "$WRITES_PER_SEC" \
    2> "$TMP/writer.log" &
WRITER_PID=$!
PIDS+=("$WRITER_PID")

sleep "$IMPORT_AT"
IMPORT_START=$((SECONDS - T0))
"$BIN" --db "$DB" import "$TMP/import.jsonl" > "$TMP/import.log" 2>&1 &
IMPORT_PID=$!
PIDS+=("$IMPORT_PID")

sleep $((BACKUP_AT - (SECONDS - T0) > 0 ? BACKUP_AT - (SECONDS - T0) : 0))
BACKUP_START=$((SECONDS - T0))
BACKUP_RC=0
B0=$(date +%s%N)
"$BIN" --db "$DB" backup "$TMP/backup.db" > "$TMP/backup.log" 2>&1 || BACKUP_RC=$?
BACKUP_MS=$((($(date +%s%N) - B0) / 1000000))

IMPORT_RC=0
wait "$IMPORT_PID" || IMPORT_RC=$?
WRK_RC=0
wait "$WRK_PID" || WRK_RC=$?
WRITER_RC=0
wait "$WRITER_PID" || WRITER_RC=$?
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
log "load done after $((SECONDS - T0)) s"

# ---------------------------------------------------------------- checks

LOAD_LINE=$(grep '^LOAD ' "$TMP/wrk.out" || true)
if [ "$WRK_RC" -ne 0 ] || [ -z "$LOAD_LINE" ]; then
    cat "$TMP/wrk.out" >&2
    fail "wrk exited $WRK_RC without its LOAD line"
fi
fig() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $LOAD_LINE"; }
for k in socket_errors s5xx s4xx; do
    v=$(fig "$k")
    [ "${v:-x}" = 0 ] || fail "wrk: $k=${v:-?}"
done
[ "$WRITER_RC" -eq 0 ] || fail "the writer exited $WRITER_RC: $(tail -n 3 "$TMP/writer.log")"
[ "$(fig requests)" -gt 0 ] 2>/dev/null || fail "wrk made no requests"

"$BIN" --db "$DB" export -o "$TMP/export.jsonl" 2> "$TMP/export.log" || fail "export failed: $(cat "$TMP/export.log")"
WRITES_OUT=$TMP/writes-check.txt
python3 "$HERE/check.py" writes "$LIVE" "$TMP/export.jsonl" "$TMP/writes.jsonl" "$TMP/import.jsonl" "$IMPORT_RC" \
    > "$WRITES_OUT" 2>&1 || fail "write checks (see the lines above)"
grep '^FAIL' "$WRITES_OUT" | head -n 20 || true
conformance_start "$LIVE" live

# the backup: consistent, servable, an earlier snapshot of the live data
BACKUP_OUT=$TMP/backup-check.txt
: > "$BACKUP_OUT"
INTEGRITY="-"
if [ "$BACKUP_RC" -ne 0 ]; then
    fail "pressfeed backup exited $BACKUP_RC: $(tail -n 3 "$TMP/backup.log")"
else
    INTEGRITY=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("PRAGMA integrity_check").fetchone()[0])' "$TMP/backup.db" 2>&1) || true
    [ "$INTEGRITY" = ok ] || fail "backup integrity_check: $INTEGRITY"
    start_server "$TMP/backup.db" "$TMP/backup-server.log"
    BACKUP_SERVER_PID=$LAST_PID BACKUP_BASE=$BASE
    conformance_start "$BACKUP_BASE" backup
    python3 "$HERE/check.py" backup "$TMP/backup.db" "$BACKUP_BASE" "$TMP/export.jsonl" \
        > "$BACKUP_OUT" 2>&1 || fail "backup checks (see the lines above)"
    grep '^FAIL' "$BACKUP_OUT" | head -n 20 || true
    conformance_finish backup
    stop_pid "$BACKUP_SERVER_PID"
fi
conformance_finish live
SERVER_ERRORS=$(grep -Ec 'ERROR|panicked' "$TMP/server.log" || true)

# ---------------------------------------------------------------- summary

writes_fig() { sed -n "s|^$1: ||p" "$WRITES_OUT"; }
{
    log "" "=== pressfeed load with writes: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    log "machine:            $(nproc) cores; load average $LOADAVG_BEFORE before the run, $LOADAVG_AFTER at its end (other work on the machine counts too)"
    log "command:            DURATION=$DURATION CONNS=$CONNS${CONF_ARGS:+ CONF_ARGS=\"$CONF_ARGS\"} deploy/load/run.sh   (wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout 10s)"
    log "data:               2000 releases (gen_releases.py 2000 5) + 1000 imported under load (gen_releases.py 1000 99, slugs prefixed)"
    log "requests:           $(fig requests) in $(fig duration_s) s = $(fig rps) req/s over $CONNS connections"
    log "latency:            p50 $(fig p50_ms) ms, p99 $(fig p99_ms) ms, max $(fig max_ms) ms"
    log "socket errors:      $(fig socket_errors) (connect $(fig connect), read $(fig read), write $(fig write), timeout $(fig timeout))"
    log "status:             2xx $(fig s2xx), 304 $(fig s304), other 3xx $(fig s3xx), 4xx $(fig s4xx), 5xx $(fig s5xx)"
    log "writes attempted:   $(writes_fig 'writes attempted')"
    log "writes acknowledged: $(writes_fig 'writes acknowledged')"
    log "writer answers:     $(writes_fig 'writer answers')"
    log "writes verified:    $(writes_fig 'acknowledged writes verified in the export (last title)') in the export with the last title; release pages $(writes_fig 'release pages answering 200 with that title'); /feed.json newest $(writes_fig 'newest acknowledged releases in /feed.json with their last title')"
    log "import:             started at ${IMPORT_START}s; $(writes_fig import)"
    log "releases at end:    $(writes_fig 'releases in the final export')"
    log "conformance live:   ${CONF_RESULT[live]:-not run}"
    log "backup:             started at ${BACKUP_START}s, took ${BACKUP_MS} ms, exit $BACKUP_RC; integrity_check $INTEGRITY; $(sed -n 's/^releases in the backup: //p' "$BACKUP_OUT") releases"
    log "backup served:      conformance ${CONF_RESULT[backup]:-not run}; /feed.atom entries in the live db $(sed -n 's|^backup /feed.atom entries found in the live export: ||p' "$BACKUP_OUT")"
    log "server log:         $SERVER_ERRORS error line(s)"
    if [ ${#FAILURES[@]} -eq 0 ]; then
        log "result:             PASS"
    else
        log "result:             FAIL (${#FAILURES[@]})"
        for f in "${FAILURES[@]}"; do log "  - $f"; done
    fi
} | tee "$TMP/summary.txt"
if [ -n "${SUMMARY_FILE:-}" ]; then cp "$TMP/summary.txt" "$SUMMARY_FILE"; fi
[ ${#FAILURES[@]} -eq 0 ]
