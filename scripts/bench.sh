#!/usr/bin/env bash
# Benchmarks: criterion natively (parsing, loading the store), then a timed load of 1,000,000
# events in headless Chromium. Results land in target/criterion/ and bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
source scripts/env.sh
cargo bench -p trailscope-model -p trailscope-store -p trailscope-query -p trailscope-detect
trunk build --release --offline
cargo build --release -p trailscope-testgen -p trailscope-cli
[ -d bench-data/trail-1000000 ] || target/release/trailscope-gen trail --events 1000000 bench-data/trail-1000000
/usr/bin/time -v target/release/trailscope inspect --json bench-data/trail-1000000 > /dev/null 2> bench-results-cli.txt || true
grep -E "Elapsed|Maximum resident" bench-results-cli.txt || true
node tests/e2e/bench/load-1m.mjs bench-data/trail-1000000
node tests/e2e/bench/query-1m.mjs bench-data/trail-1000000
node tests/e2e/bench/verify-1g.mjs bench-data/signed-1g
