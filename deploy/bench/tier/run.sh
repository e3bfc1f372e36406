#!/usr/bin/env bash
# The cache tier (deploy/tier: nginx in front of two pressfeed processes on one
# database) against one pressfeed, with wrk: req/s and p99 for a full GET and
# a 304 of /feed.atom at 64 and 256 connections; then failover: wrk on the
# tier while one of the two processes is SIGKILLed, and the requests that failed.
#
#   deploy/bench/tier/run.sh
#   DURATION=5 deploy/bench/tier/run.sh        # quicker
#
# "One pressfeed" is process a of the same run, asked directly (b and nginx
# idle), so both sides serve the same database with the same settings.
# Access logs are off on both sides (as in deploy/bench/run.sh). The machine's
# load (uptime) is written beside every row: on a shared 2-core machine it
# moves the numbers more than anything here.
#
# Knobs (env): N, SEED (data: gen_releases.py N SEED; default 5000 42),
# DURATION (s per row, default 10), THREADS (wrk, default 2),
# FAILOVER_SECONDS (default 15; the kill comes a third of the way in),
# FAILOVER_CONNS (default 256), SHARED (../shared beside the repo),
# TIER_BIN (default target/release/pressfeed; build it first).
# Writes deploy/bench/results/tier-STAMP.txt and tier-latest.txt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
export N=${N:-5000} SEED=${SEED:-42} DURATION=${DURATION:-10} THREADS=${THREADS:-2}
export FAILOVER_SECONDS=${FAILOVER_SECONDS:-15} FAILOVER_CONNS=${FAILOVER_CONNS:-256}

if [ "${1:-}" != --inside ]; then
    SHARED=${SHARED:-$(realpath "$ROOT/../shared")}
    command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
    data=$(mktemp /tmp/pressfeed-tier-bench.XXXXXX.jsonl)
    trap 'rm -f "$data"' EXIT
    python3 "$SHARED/bench/gen_releases.py" "$N" "$SEED" > "$data"
    export RESULTS=$ROOT/deploy/bench/results STAMP=$(date -u +%Y%m%dT%H%M%SZ)
    export COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
    mkdir -p "$RESULTS"
    TIER_ACCESS_LOG=off TIER_SEED=$data "$ROOT/deploy/tier/run.sh" "$0" --inside
    cp "$RESULTS/tier-$STAMP.txt" "$RESULTS/tier-latest.txt"
    exit 0
fi

# ---- inside deploy/tier/run.sh: TIER_* are set
out=$RESULTS/tier-$STAMP.txt
load() { uptime | sed 's/.*load average: //'; }

# wrk_row LABEL URL CONNS [HEADER]: one wrk run; prints "req/s p99 non2xx3xx socket_errors".
wrk_row() {
    local url=$2 conns=$3 header=${4:-} args=() o rps p99 bad sock
    if [ -n "$header" ]; then args=(-H "$header"); fi
    o=$(wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --latency "${args[@]}" "$url")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$o")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$o")
    bad=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$o")
    sock=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$o")
    printf '%s %s %s %s\n' "$rps" "$p99" "${bad:-0}" "${sock:-0}"
}

{
    echo "deploy/bench/tier/run.sh at $STAMP, commit $COMMIT"
    echo "data: gen_releases.py $N $SEED; wrk -t$THREADS, ${DURATION} s per row, --latency; URL /feed.atom (identity)"
    echo "$(nproc) cores; $("$TIER_BIN" --version 2>/dev/null || echo pressfeed); $(nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1)"
    echo "one = process a asked directly ($TIER_A_URL); tier = nginx ($TIER_URL) in front of a and b"
    echo "database: $(printf %s "${TIER_DB%%\?*}" | sed -E 's#//([^:/@]*):[^@]*@#//\1:***@#')"
    echo "load average before: $(load)"
    echo
    printf '%-5s %-5s %5s %12s %10s %8s %8s  %s\n' setup mode conns req/s p99 non2xx sockerr "load average (1, 5, 15 min) after the row"
} | tee "$out"

etag=$(curl -fsS -o /dev/null -D - "$TIER_A_URL/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" {print $2}')
[ -n "$etag" ] || { echo "no ETag on $TIER_A_URL/feed.atom" >&2; exit 1; }
# warm both sides (renders, nginx's cache entry) and the loopback
for base in "$TIER_A_URL" "$TIER_URL"; do
    wrk -t1 -c8 -d2s "$base/feed.atom" > /dev/null
    wrk -t1 -c8 -d1s -H "If-None-Match: $etag" "$base/feed.atom" > /dev/null
done
status=$(curl -fsS -o /dev/null -D - "$TIER_URL/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache-status" {print $2}')
[ "$status" = HIT ] || { echo "the tier does not answer /feed.atom from its cache ($status)" >&2; exit 1; }

for conns in 64 256; do
    for mode in full 304; do
        for setup in one tier; do
            base=$TIER_A_URL
            [ "$setup" = tier ] && base=$TIER_URL
            header=""
            [ "$mode" = 304 ] && header="If-None-Match: $etag"
            read -r rps p99 bad sock < <(wrk_row "$setup" "$base/feed.atom" "$conns" "$header")
            printf '%-5s %-5s %5s %12s %10s %8s %8s  %s\n' "$setup" "$mode" "$conns" "$rps" "$p99" "$bad" "$sock" "$(load)" | tee -a "$out"
        done
    done
done

# Failover: requests that reach a process (/healthz, a new search each time)
# mixed with cached feeds, so both processes carry load when a is killed.
lua=$(mktemp /tmp/pressfeed-tier-bench.XXXXXX.lua)
cat > "$lua" <<'LUA'
local paths = {"/feed.atom", "/feed.rss", "/topics.opml", "/healthz"}
local n = 0
request = function()
  n = n + 1
  if n % 5 == 0 then
    return wrk.format("GET", "/search?q=w" .. math.random(1, 1000000000))
  end
  return wrk.format("GET", paths[n % 4 + 1])
end
LUA
kill_at=$((FAILOVER_SECONDS / 3))
# failover_run KILL: the same wrk run, with or without SIGKILLing process a.
failover_run() {
    local kill=$1 killer="" o
    if [ "$kill" = 1 ]; then
        ( sleep "$kill_at"; kill -KILL "$TIER_A_PID" ) &
        killer=$!
    fi
    o=$(wrk -t"$THREADS" -c"$FAILOVER_CONNS" -d"${FAILOVER_SECONDS}s" --latency -s "$lua" "$TIER_URL")
    if [ -n "$killer" ]; then wait "$killer" || true; fi
    echo
    if [ "$kill" = 1 ]; then
        echo "failover: wrk -t$THREADS -c$FAILOVER_CONNS -d${FAILOVER_SECONDS}s (timeout 2 s) on the tier (feeds, OPML, /healthz, 1 in 5 a new search), process a SIGKILLed after ${kill_at} s"
    else
        echo "the same without a kill (both processes up):"
    fi
    grep -E 'requests in|Requests/sec|99%|Non-2xx|Socket errors' <<<"$o" || true
    grep -q -E 'Non-2xx|Socket errors' <<<"$o" || echo "  no non-2xx/3xx responses, no socket errors"
    if [ "$kill" = 1 ] && kill -0 "$TIER_A_PID" 2>/dev/null; then
        echo "  (process a is still alive: the kill did not happen)"
    fi
    echo "load average after: $(load)"
}
failover_run 0 | tee -a "$out"
failover_run 1 | tee -a "$out"
rm -f "$lua"
