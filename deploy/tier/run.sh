#!/usr/bin/env bash
# The cache tier on one host: nginx (deploy/tier/nginx.conf.in) as a caching
# reverse proxy in front of two pressfeed processes serving one database.
#
#   deploy/tier/run.sh                      # start, print the addresses, wait for Ctrl-C
#   deploy/tier/run.sh COMMAND [ARGS...]    # start, run COMMAND with the TIER_* variables
#                                           # below in its environment, stop; exit with its status
#   deploy/tier/run.sh deploy/tier/check.py # the checks CI runs (stage `tier`)
#
# Everything it starts (nginx's master, the two servers) is its own child,
# stopped by PID at exit; the scratch folder (nginx's pid file, temporary
# paths, logs and cache; the servers' logs and spill folders) is removed.
#
# Knobs (env):
#   TIER_DB        --db of both processes (default: tier.db in the scratch folder). Today a
#                  SQLite file (both processes on one host see each other's commits through
#                  <db>-changes); the PostgreSQL backend, when it comes, is the only change.
#   TIER_SEED      JSON Lines file imported before the servers start (optional)
#   TIER_PORT      nginx's port on 127.0.0.1 (default: a free one)
#   TIER_BIN       pressfeed binary (default: target/release/pressfeed)
#   TIER_CONFIG    --config for both processes (optional; no ./pressfeed.toml is read otherwise)
#   TIER_ACCESS_LOG  on (default) or off, for nginx and both servers (benchmarks turn it off)
#   TIER_NGINX_WORKERS  worker_processes (default: auto)
#   NGINX          nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   KEEP_TMP=1     keep the scratch folder
#   PRESSFEED_*    reach both servers (e.g. PRESSFEED_MAX_AGE=6, PRESSFEED_WORKERS=1)
#
# COMMAND gets: TIER_URL (nginx; also the servers' base_url: links never come from Host),
# TIER_A_URL, TIER_B_URL (the servers themselves), TIER_A_PID, TIER_B_PID,
# TIER_A_METRICS, TIER_B_METRICS (their /metrics listeners), TIER_NGINX_PID,
# TIER_DIR (scratch folder; nginx's access log is $TIER_DIR/nginx/access.log),
# TIER_DB, TIER_BIN.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TIER_BIN=${TIER_BIN:-$ROOT/target/release/pressfeed}
TIER_ACCESS_LOG=${TIER_ACCESS_LOG:-on}
TIER_NGINX_WORKERS=${TIER_NGINX_WORKERS:-auto}
KEEP_TMP=${KEEP_TMP:-0}
if [ -z "${NGINX:-}" ]; then
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi

log() { printf 'tier: %s\n' "$*" >&2; }
die() { printf 'tier: error: %s\n' "$*" >&2; exit 1; }

[ -x "$TIER_BIN" ] || die "no pressfeed binary at $TIER_BIN (cargo build --release, or set TIER_BIN)"
[ -x "$NGINX" ] || die "no nginx at $NGINX (apt-get install nginx, or set NGINX)"

TIER_DIR=$(mktemp -d /tmp/pressfeed-tier.XXXXXX)
TIER_DB=${TIER_DB:-$TIER_DIR/tier.db}
TIER_A_PID="" TIER_B_PID="" TIER_NGINX_PID=""

# stop PID NAME: SIGTERM (pressfeed drains in-flight requests; nginx's
# master stops its workers), SIGKILL after 10 s. A PID that is already gone
# (a check killed it on purpose) is fine.
stop() {
    local pid=$1 name=$2
    [ -n "$pid" ] || return 0
    if kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) did not stop within 10 s of SIGTERM: killed"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop "$TIER_NGINX_PID" nginx
    stop "$TIER_A_PID" "pressfeed a"
    stop "$TIER_B_PID" "pressfeed b"
    if [ "$rc" -ne 0 ]; then
        for f in "$TIER_DIR/nginx/error.log" "$TIER_DIR/a.log" "$TIER_DIR/b.log"; do
            [ -s "$f" ] || continue
            log "--- last lines of $f"
            tail -n 15 "$f" >&2 || true
        done
    fi
    if [ "$KEEP_TMP" = 1 ]; then log "kept $TIER_DIR"; else rm -rf "$TIER_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready PID URL NAME: until URL answers 200, or fail if PID exits.
wait_ready() {
    local pid=$1 url=$2 name=$3 deadline=$((SECONDS + 30))
    until curl -fsS -o /dev/null --max-time 2 --noproxy '*' "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || die "$name exited before $url answered"
        [ "$SECONDS" -lt "$deadline" ] || die "no 200 from $url within 30 s"
        sleep 0.1
    done
}

TIER_PORT=${TIER_PORT:-$(free_port)}
TIER_URL=http://127.0.0.1:$TIER_PORT
A_PORT=$(free_port) B_PORT=$(free_port) A_METRICS_PORT=$(free_port) B_METRICS_PORT=$(free_port)
TIER_A_URL=http://127.0.0.1:$A_PORT TIER_B_URL=http://127.0.0.1:$B_PORT
TIER_A_METRICS=http://127.0.0.1:$A_METRICS_PORT/metrics
TIER_B_METRICS=http://127.0.0.1:$B_METRICS_PORT/metrics

common=(--db "$TIER_DB" --base-url "$TIER_URL")
if [ -n "${TIER_CONFIG:-}" ]; then common+=(--config "$(realpath "$TIER_CONFIG")"); fi
# pressfeed runs in the scratch folder, so no ./pressfeed.toml of the caller's is read.
pressfeed() { (cd "$TIER_DIR" && exec "$TIER_BIN" "${common[@]}" "$@"); }

# The database before any server: migrated (and seeded) once, by one process,
# with the tier's address as base URL (it becomes the release ids' authority).
if [ -n "${TIER_SEED:-}" ]; then
    pressfeed import "$(realpath "$TIER_SEED")" >&2
else
    pressfeed migrate >&2
fi

access=$([ "$TIER_ACCESS_LOG" = off ] && echo false || echo true)
# start_server NAME PORT METRICS_PORT: each process gets its own spill
# folder (cache_dir): the default, <db>-cache, would be shared, and each
# process empties it of pressfeed's files when it starts.
start_server() {
    local name=$1 port=$2 metrics_port=$3
    # exec in the subshell: $! is the server's own PID
    (cd "$TIER_DIR" && PRESSFEED_METRICS_BIND=127.0.0.1:$metrics_port \
        PRESSFEED_CACHE_DIR=$TIER_DIR/$name-cache \
        PRESSFEED_TRUST_PROXY=true \
        PRESSFEED_ACCESS_LOG=$access \
        exec "$TIER_BIN" "${common[@]}" --bind "127.0.0.1:$port" serve) > "$TIER_DIR/$name.log" 2>&1 &
}
start_server a "$A_PORT" "$A_METRICS_PORT"
TIER_A_PID=$!
wait_ready "$TIER_A_PID" "$TIER_A_URL/healthz" "pressfeed a"
start_server b "$B_PORT" "$B_METRICS_PORT"
TIER_B_PID=$!
wait_ready "$TIER_B_PID" "$TIER_B_URL/healthz" "pressfeed b"

# nginx: the configuration with this run's paths and ports. As root, its
# workers run as nobody (and must be able to write the cache and temp paths).
mkdir -p "$TIER_DIR/nginx"
user_line="# (not root: the workers run as $(id -un))"
if [ "$(id -u)" -eq 0 ]; then
    user_line="user nobody $(id -gn nobody);"
    chmod 0711 "$TIER_DIR"
    chown nobody "$TIER_DIR/nginx"
fi
if [ "$TIER_ACCESS_LOG" = off ]; then
    access_line="access_log off;"
else
    access_line="access_log $TIER_DIR/nginx/access.log tier;"
fi
sed -e "s|@DIR@|$TIER_DIR/nginx|g" -e "s|@LISTEN@|127.0.0.1:$TIER_PORT|g" \
    -e "s|@UPSTREAM_A@|127.0.0.1:$A_PORT|g" -e "s|@UPSTREAM_B@|127.0.0.1:$B_PORT|g" \
    -e "s|@WORKERS@|$TIER_NGINX_WORKERS|g" -e "s|@USER@|$user_line|g" \
    -e "s|@ACCESS_LOG@|$access_line|g" \
    "$HERE/nginx.conf.in" > "$TIER_DIR/nginx/nginx.conf"
# -e: the error log before the configuration is read (the default under
# /var/log is not writable by everyone).
"$NGINX" -t -q -p "$TIER_DIR/nginx" -e "$TIER_DIR/nginx/error.log" -c "$TIER_DIR/nginx/nginx.conf" \
    || die "nginx rejects $TIER_DIR/nginx/nginx.conf"
"$NGINX" -p "$TIER_DIR/nginx" -e "$TIER_DIR/nginx/error.log" -c "$TIER_DIR/nginx/nginx.conf" &
TIER_NGINX_PID=$!
wait_ready "$TIER_NGINX_PID" "$TIER_URL/healthz" nginx

log "nginx $TIER_URL (pid $TIER_NGINX_PID) -> pressfeed a $TIER_A_URL (pid $TIER_A_PID), b $TIER_B_URL (pid $TIER_B_PID)"
log "database $TIER_DB; logs in $TIER_DIR"
export TIER_URL TIER_A_URL TIER_B_URL TIER_A_PID TIER_B_PID TIER_A_METRICS TIER_B_METRICS \
    TIER_NGINX_PID TIER_DIR TIER_DB TIER_BIN

if [ $# -eq 0 ]; then
    log "Ctrl-C stops everything"
    wait "$TIER_NGINX_PID"
    exit 0
fi
rc=0
"$@" || rc=$?
exit "$rc"
