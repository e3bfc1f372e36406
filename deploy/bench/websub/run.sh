#!/usr/bin/env bash
# WebSub benchmark (issue 13): builds the release binary if needed, then runs
# run.py (fan-out to FANOUT subscribers, latency with 10, feed 304 throughput
# with STORED subscriptions and during the fan-out). Needs wrk and python3.
# Results: deploy/bench/websub/results.json (and README "Push (WebSub)").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
export BIN=${BIN:-$ROOT/target/release/pressfeed}
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release)
export TMP_DIR=${TMP_DIR:-/tmp/pressfeed-websub-bench}
rm -rf "$TMP_DIR"
mkdir -p "$TMP_DIR"
python3 "$ROOT/deploy/bench/websub/run.py" | tee "$ROOT/deploy/bench/websub/results.json"
rm -rf "$TMP_DIR"
