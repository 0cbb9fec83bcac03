#!/usr/bin/env bash
# The static checks, run before every commit: formatting, clippy with warnings denied natively and
# for wasm32 (where .ci/clippy-wasm/clippy.toml refuses clocks, threads and std::fs, which panic
# or do nothing in a browser), rustdoc with warnings denied, and the dependency rules of
# deny.toml (licences, duplicate versions, sources). A command of its own rather than a step of
# the test command: each clippy run and rustdoc compile DataFusion, Arrow and Parquet once more
# (for checking), about 15 minutes on a 2-core machine, and CI's 90 are the tests'.
# The test command (scripts/test.sh) checks formatting only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh lint
source scripts/env.sh
WASM_CRATES=(-p trailscope-app -p trailscope-model -p trailscope-store -p trailscope-query
  -p trailscope-detect -p trailscope-verify -p trailscope-protocol -p trailscope-sql
  -p trailscope-sql-worker -p trailscope-record-spill)
step() { printf '\n=== %s (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

step "format"
cargo fmt --all -- --check

step "lints (native, and wasm32 with what wasm32 cannot do refused)"
cargo clippy --workspace --lib --tests --bins --examples --benches --quiet -- -D warnings
CLIPPY_CONF_DIR=.ci/clippy-wasm cargo clippy --target wasm32-unknown-unknown "${WASM_CRATES[@]}" --lib --bins --quiet -- -D warnings
CLIPPY_CONF_DIR=.ci/clippy-wasm cargo clippy --target wasm32-unknown-unknown -p trailscope-app -p trailscope-model -p trailscope-store --tests --quiet -- -D warnings

step "documentation (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --exclude trailscope-app --no-deps --quiet
RUSTDOCFLAGS="-D warnings" cargo doc -p trailscope-app --target wasm32-unknown-unknown --no-deps --quiet

step "dependencies: licences, duplicate versions, sources (deny.toml)"
cargo deny check bans licenses sources

printf '\nall checks passed in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
