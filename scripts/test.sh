#!/usr/bin/env bash
# Runs every test layer: formatting and lints, native unit/property/conformance tests, the core in
# headless Chromium (wasm-bindgen-test), and the built page end to end in Chromium (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
source scripts/env.sh
step() { printf '\n=== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints (native and wasm32)"
cargo clippy --workspace --lib --tests --bins --quiet -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p trailscope-app -p trailscope-model -p trailscope-store --lib --tests --bins --quiet -- -D warnings

step "native tests (unit, property, conformance, CLI)"
cargo test --workspace --exclude trailscope-app --quiet

step "wasm tests in headless Chromium"
cargo test --target wasm32-unknown-unknown -p trailscope-model -p trailscope-store -p trailscope-app

step "release page"
trunk build --release --offline

step "end-to-end tests of the page in Chromium"
cargo build --release --quiet -p trailscope-testgen -p trailscope-cli
node --test --test-concurrency=1 tests/e2e/

echo
echo "all tests passed"
