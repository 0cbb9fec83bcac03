#!/usr/bin/env bash
# Runs every test layer: formatting, lints (native and wasm32, with the wasm32 disallowed
# methods), documentation, the dependency rules, native unit/property/conformance/fuzz-regression
# tests, the core in headless Chromium (wasm-bindgen-test), the release page and its size, a
# short fuzzing run, and the built page end to end in Chromium (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
source scripts/env.sh
# Each step's heading says when the run reached it, so a slow CI run shows where its time went.
step() {
  printf '\n=== %s (at %dm%02ds; disk free: %s)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)) \
    "$(df -h --output=avail . | tail -1 | tr -d ' ')"
}
# With TRAILSCOPE_FREE_DISK=1 (CI), a step's build output is removed once nothing later reads it.
free_disk() { if [[ "${TRAILSCOPE_FREE_DISK:-}" == 1 ]]; then rm -rf "$@"; fi; }
WASM_CRATES=(-p trailscope-app -p trailscope-model -p trailscope-store -p trailscope-query
  -p trailscope-detect -p trailscope-verify -p trailscope-protocol -p trailscope-sql
  -p trailscope-sql-worker -p trailscope-record-spill)

step "format"
cargo fmt --all -- --check

step "lints (native, and wasm32 with what wasm32 cannot do refused)"
cargo clippy --workspace --lib --tests --bins --quiet -- -D warnings
CLIPPY_CONF_DIR=.ci/clippy-wasm cargo clippy --target wasm32-unknown-unknown "${WASM_CRATES[@]}" --lib --bins --quiet -- -D warnings
CLIPPY_CONF_DIR=.ci/clippy-wasm cargo clippy --target wasm32-unknown-unknown -p trailscope-app -p trailscope-model -p trailscope-store --tests --quiet -- -D warnings

step "documentation (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --exclude trailscope-app --no-deps --quiet
RUSTDOCFLAGS="-D warnings" cargo doc -p trailscope-app --target wasm32-unknown-unknown --no-deps --quiet

step "dependencies: licences, duplicate versions, sources (deny.toml)"
cargo deny check bans licenses sources

step "native tests (unit, property, conformance, fuzz regressions, CLI)"
cargo test --workspace --exclude trailscope-app --quiet
free_disk target/debug

step "wasm tests in headless Chromium"
cargo test --target wasm32-unknown-unknown -p trailscope-model -p trailscope-store -p trailscope-app
free_disk target/wasm32-unknown-unknown/debug

step "release page, and its first load against the README's figure"
trunk build --release --offline
node scripts/wasm-size.mjs

step "fuzzing, a few seconds a target (scripts/fuzz.sh for long runs)"
scripts/fuzz.sh 5
free_disk crates/fuzz/fuzz/target

step "end-to-end tests of the page in Chromium"
# The release build the README's CLI commands make (its test runs them as written, and finds
# this build done).
cargo build --release --quiet -p trailscope-testgen -p trailscope-cli
node --test --test-concurrency=1 tests/e2e/

echo
printf 'all tests passed in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
