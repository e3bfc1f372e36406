#!/usr/bin/env bash
# Attachment serving (README "Attachments"): the same 25 MiB PDF served by
# pressfeed (GET /media/{sha256}/{filename}, actix-files NamedFile) and by
# nginx (a static file, sendfile on), with wrk: full GETs and single-range
# requests (64 KiB at a fixed offset), req/s and MB/s, and the ratio. Also
# times the upload of that PDF through POST /api/v1/media (curl).
#
#   cargo build --release && deploy/bench/range/run.sh
#   DURATION=5 deploy/bench/range/run.sh
#
# Both sides have their access log off (pressfeed: PRESSFEED_ACCESS_LOG=false;
# its other logs stay at the default level, nothing per request). One run,
# on whatever else the machine is doing: the load (uptime) is printed.
# Knobs (env): DURATION (s per row, default 10), THREADS (wrk, default 2),
# BIN (default target/release/pressfeed), MB (file size in MiB, default 25).
# Writes deploy/bench/results/range-STAMP.txt and range-latest.txt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DURATION=${DURATION:-10} THREADS=${THREADS:-2} MB=${MB:-25}
BIN=${BIN:-$ROOT/target/release/pressfeed}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "needs nginx" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

T=$(mktemp -d /tmp/pressfeed-range-bench.XXXXXX)
PF_PID="" NG_PID=""
cleanup() {
    [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null && wait "$PF_PID" 2>/dev/null
    [ -n "$NG_PID" ] && kill "$NG_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# A PDF of MB MiB: text padding (random bytes could spell /JS by chance,
# which the upload refuses).
python3 - "$T/big.pdf" "$MB" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
line = b"% padding padding padding padding padding padding padding padding\n"
with open(path, "wb") as f:
    f.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
    n = 0
    while n < mb * 1048576 - 200:
        f.write(line); n += len(line)
    f.write(b"%%EOF\n")
PY
SIZE=$(stat -c %s "$T/big.pdf")

PORT=$(free_port); BASE=http://127.0.0.1:$PORT
"$BIN" --db "$T/pf.db" migrate >/dev/null 2>&1
PRESSFEED_ACCESS_LOG=false "$BIN" --db "$T/pf.db" --bind "127.0.0.1:$PORT" --base-url "$BASE" serve \
    > "$T/pf.log" 2>&1 &
PF_PID=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" --db "$T/pf.db" create-token bench 2>/dev/null)
UPLOAD_CMD="curl -fsS -F file=@big.pdf -H 'Authorization: Bearer …' $BASE/api/v1/media"
start=$(date +%s.%N)
SHA=$(curl -fsS -F "file=@$T/big.pdf" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/media" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["sha256"])')
UPLOAD_S=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
python3 - "$SHA" > "$T/r.jsonl" <<'PY'
import json, sys, datetime
when = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"slug": "bench", "title": "Bench", "body_html": "<p>x</p>", "organization": "B",
                  "lang": "en", "published_at": when, "topics": [], "attachments": [{"sha256": sys.argv[1]}]}))
PY
"$BIN" --db "$T/pf.db" import "$T/r.jsonl" >/dev/null 2>&1
PF_URL=$BASE/media/$SHA/big.pdf

NPORT=$(free_port)
mkdir -p "$T/www/media/$SHA" "$T/nginx/logs"
chmod 755 "$T" "$T/www" "$T/www/media" "$T/www/media/$SHA"   # nginx workers run as another user
cp "$T/big.pdf" "$T/www/media/$SHA/big.pdf"; chmod 644 "$T/www/media/$SHA/big.pdf"
cat > "$T/nginx/nginx.conf" <<NG
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    types { application/pdf pdf; }
    client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
    uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
    server { listen 127.0.0.1:$NPORT; root $T/www; }
}
NG
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>"$T/nginx/logs/stderr" &
NG_PID=$!
NG_URL=http://127.0.0.1:$NPORT/media/$SHA/big.pdf
for _ in $(seq 50); do curl -fsS -o /dev/null "$NG_URL" 2>/dev/null && break; sleep 0.1; done

cmp <(curl -fsS "$PF_URL") "$T/big.pdf" && cmp <(curl -fsS "$NG_URL") "$T/big.pdf" \
    || { echo "the two servers do not serve the same bytes" >&2; exit 1; }

RANGE="Range: bytes=1048576-1114111"   # 64 KiB
# row URL CONNS [HEADER] -> "req/s MB/s"
row() {
    local args=() o
    if [ -n "${3:-}" ]; then args=(-H "$3"); fi
    o=$(wrk -t"$THREADS" -c"$2" -d"${DURATION}s" "${args[@]}" "$1")
    awk '/^Requests\/sec/ {r=$2} /^Transfer\/sec/ {t=$2} END {
        v=t; if (t ~ /GB$/) v=t*1024; else if (t ~ /KB$/) v=t/1024; else v=t+0;
        printf "%s %.0f\n", r, v }' <<<"$o"
}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/deploy/bench/results"
out=$ROOT/deploy/bench/results/range-$STAMP.txt
{
    echo "deploy/bench/range/run.sh at $STAMP, commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, load $(uptime | sed 's/.*load average: //')"
    echo "file: $SIZE bytes; wrk -t$THREADS -d${DURATION}s; access logs off on both"
    echo "upload: $UPLOAD_S s  ($UPLOAD_CMD)"
    printf '%-26s %12s %10s %12s %10s %8s\n' case pf_req/s pf_MB/s nginx_req/s nginx_MB/s ratio
    for spec in "full GET|4|" "full GET|16|" "Range 64 KiB|16|$RANGE" "Range 64 KiB|64|$RANGE"; do
        IFS='|' read -r label conns header <<<"$spec"
        read -r prps pmb < <(row "$PF_URL" "$conns" "$header")
        read -r nrps nmb < <(row "$NG_URL" "$conns" "$header")
        ratio=$(python3 -c "print(f'{$prps / $nrps:.2f}')")
        printf '%-26s %12s %10s %12s %10s %8s\n' "$label, $conns conns" "$prps" "$pmb" "$nrps" "$nmb" "$ratio"
    done
    echo "ratio: pressfeed req/s / nginx req/s; load after: $(uptime | sed 's/.*load average: //')"
} | tee "$out"
cp "$out" "$ROOT/deploy/bench/results/range-latest.txt"
