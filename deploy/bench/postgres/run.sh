#!/usr/bin/env bash
# pressfeed on PostgreSQL against pressfeed on SQLite, the same data and the
# same binary: import releases/s, the cold render of topic feeds (first
# request after a start, time to first byte), and wrk req/s and p99 for a full
# GET and a 304 of /feed.atom (no compression, access log off).
#
#   deploy/bench/postgres/run.sh                 # a throwaway cluster of its own
#   PG_URL=postgres://u@h/db deploy/bench/postgres/run.sh   # a server you have (db must exist and be empty)
#
# Knobs (env): N, SEED (gen_releases.py N SEED; default 5000 42), DURATION (s
# per wrk row, default 10), CONNS (default "64 256"), THREADS (wrk, default 2),
# BIN (default target/release/pressfeed), SHARED (../shared beside the repo).
# Writes deploy/bench/results/postgres-STAMP.txt. The load average is written
# beside every row: on a shared 2-core machine it moves the numbers most.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SHARED=${SHARED:-$(realpath "$ROOT/../shared")}
N=${N:-5000} SEED=${SEED:-42} DURATION=${DURATION:-10} THREADS=${THREADS:-2}
CONNS=${CONNS:-64 256}
BIN=${BIN:-$ROOT/target/release/pressfeed}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 1; }
work=$(mktemp -d /tmp/pressfeed-pg-bench.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "${own_pg:-}" ] && "$ROOT/deploy/postgres/throwaway.sh" stop "$pg_dir" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -z "${PG_URL:-}" ]; then
    # Beside $work, not in it: the cluster may run as `postgres` (as root).
    pg_dir=$(mktemp -d /tmp/pressfeed-pg-bench-cluster.XXXXXX)
    own_pg=1
    PG_URL=$("$ROOT/deploy/postgres/throwaway.sh" start "$pg_dir" "$(free_port)")
fi
RESULTS=$ROOT/deploy/bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS"
out=$RESULTS/postgres-$STAMP.txt
say() { printf '%s\n' "$*" | tee -a "$out"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

python3 "$SHARED/bench/gen_releases.py" "$N" "$SEED" > "$work/data.jsonl"
say "# pressfeed on PostgreSQL vs SQLite, $(git -C "$ROOT" rev-parse --short HEAD), $STAMP"
say "# data: gen_releases.py $N $SEED; wrk -t$THREADS, ${DURATION}s a row; access log off; $(nproc) cores"
say "# PostgreSQL: $(psql -tA "$PG_URL" -c 'SHOW server_version' 2>/dev/null)"

declare -A DB=([sqlite]=$work/bench.db [postgres]=$PG_URL)
export PRESSFEED_ACCESS_LOG=false
for backend in sqlite postgres; do
    db=${DB[$backend]}
    start=$(date +%s.%N)
    PRESSFEED_MEDIA_DIR=$work/$backend-media "$BIN" --db "$db" import "$work/data.jsonl" >/dev/null 2>&1
    end=$(date +%s.%N)
    say "import $backend: $N releases in $(python3 -c "print(f'{$end-$start:.2f}')") s = $(python3 -c "print(f'{$N/($end-$start):,.0f}')") releases/s (load $(load))"
done

port=$(free_port)
base=http://127.0.0.1:$port
serve() {
    PRESSFEED_MEDIA_DIR=$work/$1-media PRESSFEED_CACHE_DIR=$work/$1-cache \
        "$BIN" --db "${DB[$1]}" --bind "127.0.0.1:$port" --base-url "$base" serve > "$work/$1.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return; sleep 0.1; done
    echo "server on $1 did not start" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
for backend in sqlite postgres; do
    serve "$backend"
    # Cold: the first request for each of 20 topic feeds after the start.
    mapfile -t slugs < <(curl -fsS "$base/topics.opml" | grep -o '/topics/[^/"]*/feed.rss' | sed 's/rss$/atom/' | head -20)
    cold=()
    for s in "${slugs[@]}"; do
        cold+=("$(curl -fsS -o /dev/null -w '%{time_starttransfer}' "$base$s")")
    done
    say "cold render $backend: ${#cold[@]} topic feeds, time to first byte (s): median $(printf '%s\n' "${cold[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'), max $(printf '%s\n' "${cold[@]}" | sort -n | tail -1)"
    etag=$(curl -fsS -D - -o /dev/null "$base/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
    for c in $CONNS; do
        for kind in full 304; do
            hdr=()
            [ "$kind" = 304 ] && hdr=(-H "If-None-Match: $etag")
            res=$(wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency "${hdr[@]}" "$base/feed.atom")
            rps=$(awk '/Requests\/sec/{print $2}' <<<"$res")
            p99=$(awk '$1=="99%"{print $2}' <<<"$res")
            errs=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' <<<"$res" || true)
            say "wrk $backend $kind c=$c: $rps req/s, p99 $p99 ${errs:+($errs)} (load $(load))"
        done
    done
    stop
done
say "# written to $out"
