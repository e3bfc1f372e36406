#!/usr/bin/env bash
# Builds and runs every fuzz target for a bounded time; exits non-zero if
# any target crashes (a panic, a failed invariant, an input slower than
# -timeout, or memory over -rss_limit_mb).
#
#   fuzz/run.sh [SECONDS] [TARGET...]      (default 10 s each, all targets)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler (for
# libFuzzer). The toolchain here is stable: the targets are built without a
# sanitizer (`-s none`), which needs no nightly flags; the code under test
# is safe Rust, so AddressSanitizer would add little but cost speed. To use
# ASan on stable anyway: FUZZ_SANITIZER=address fuzz/run.sh (this script
# then sets RUSTC_BOOTSTRAP=1 so rustc accepts -Zsanitizer).
#
# Corpora live in fuzz/corpus/<target>/: the committed seed-* files plus
# whatever the runs add (git-ignored). Crashing inputs are written to
# fuzz/artifacts/<target>/; replay one with
#   cargo fuzz run -s none TARGET fuzz/artifacts/TARGET/crash-...
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_EACH=${1:-10}
shift || true
case $SECONDS_EACH in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

ALL_TARGETS=(import_line form_decoding sanitize feed_render)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

SANITIZER=${FUZZ_SANITIZER:-none}
if [ "$SANITIZER" != none ] && ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi
FUZZ_ARGS=(--sanitizer "$SANITIZER")

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "error: cargo-fuzz is missing; install it with: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

LOGS=fuzz/target/logs
mkdir -p "$LOGS"

echo "=== building ${TARGETS[*]} (sanitizer: $SANITIZER)"
build_start=$(date +%s)
for t in "${TARGETS[@]}"; do
    cargo fuzz build "${FUZZ_ARGS[@]}" "$t"
done
echo "=== built in $(($(date +%s) - build_start)) s"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log=$LOGS/$t.log
    echo "=== $t: ${SECONDS_EACH} s"
    rc=0
    # -timeout: one input taking longer is a bug (quadratic blow-up).
    # -max_len: room for a whole release line and then some. The sanitiser
    # gets room for its deep-nesting seeds (26,000 <div>, 120 KB) and one
    # second per input: before the nesting cap those took longer.
    timeout=10 max_len=16384
    if [ "$t" = sanitize ]; then timeout=1 max_len=131072; fi
    cargo fuzz run "${FUZZ_ARGS[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout="$timeout" \
        -rss_limit_mb=2048 -max_len="$max_len" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -n 1)
    fi
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        summary+=("$(printf '%-14s %12s execs  %5s corpus files  ok' "$t" "${execs:-?}" "$corpus")")
    else
        failed+=("$t")
        summary+=("$(printf '%-14s %12s execs  %5s corpus files  CRASHED (exit %s)' "$t" "${execs:-?}" "$corpus" "$rc")")
        echo "--- $t crashed (exit $rc); last lines of $log:"
        tail -n 60 "$log"
        grep -h 'Test unit written to' "$log" || true
    fi
    echo "${summary[-1]}"
done

echo "=== fuzz summary (${SECONDS_EACH} s per target, sanitizer: $SANITIZER)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
