#!/usr/bin/env bash
# Benchmarks: criterion natively (parsing, loading the store, queries, detection), the CLI on a
# million events, then timed loads, queries and verification in headless Chromium. Results land
# in target/criterion/ and bench-results/. Takes about an hour on a 2-core machine (most of it
# generating 1.4 GB of test data once, under bench-data/).
#
# TRAILSCOPE_BENCH_SMOKE=1 runs every benchmark once on tiny data (a few minutes): what CI runs to
# keep this script and the README's figures' commands working.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
source scripts/env.sh
SMOKE="${TRAILSCOPE_BENCH_SMOKE:-0}"
CRATES=(-p trailscope-model -p trailscope-store -p trailscope-query -p trailscope-detect)

if [ "$SMOKE" = 1 ]; then
  # Criterion under `cargo test` runs each benchmark once.
  cargo test --benches "${CRATES[@]}" --quiet
else
  cargo bench "${CRATES[@]}"
fi
trunk build --release --offline
# The first load's size as shipped against the README's figure (the test command's page is built
# for build time, not as shipped, so this is where the figure is held).
if [ "$SMOKE" = 1 ]; then
  node scripts/wasm-size.mjs --not-as-shipped
else
  node scripts/wasm-size.mjs
fi
# At smoke scale the test command (scripts/test.sh) passes the CLI it built for its own run in
# TRAILSCOPE_BIN_DIR (the native tests' build: no figure is read at smoke scale). The measured
# run always builds and times the release CLI.
if [ "$SMOKE" = 1 ] && [ -n "${TRAILSCOPE_BIN_DIR:-}" ]; then
  BIN="$TRAILSCOPE_BIN_DIR"
else
  cargo build --release -p trailscope-testgen -p trailscope-cli
  BIN=target/release
fi

if [ "$SMOKE" = 1 ]; then
  DATA="$(mktemp -d)"
  trap 'rm -rf "$DATA"' EXIT
  EVENTS=2000
  TRAIL="$DATA/trail"
  SIGNED="$DATA/signed"
  "$BIN/trailscope-gen" signed-trail --hours 3 --logs-per-hour 2 --events-per-log 20 "$SIGNED" > /dev/null
else
  EVENTS=1000000
  TRAIL=bench-data/trail-1000000
  SIGNED=bench-data/signed-1g
fi
[ -d "$TRAIL" ] || "$BIN/trailscope-gen" trail --events "$EVENTS" "$TRAIL"
mkdir -p bench-results
/usr/bin/time -v "$BIN/trailscope" inspect --json "$TRAIL" > /dev/null 2> bench-results/cli-inspect.txt
grep -E "Elapsed|Maximum resident" bench-results/cli-inspect.txt
node tests/e2e/bench/load-1m.mjs "$TRAIL" "$EVENTS"
node tests/e2e/bench/query-1m.mjs "$TRAIL"
node tests/e2e/bench/detect-1m.mjs "$TRAIL"
node tests/e2e/bench/sql-1m.mjs "$TRAIL"
node tests/e2e/bench/restore-1m.mjs "$TRAIL" "$EVENTS"
node tests/e2e/bench/verify-1g.mjs "$SIGNED"
