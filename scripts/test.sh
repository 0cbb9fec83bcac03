#!/usr/bin/env bash
# Runs every test layer: formatting, native unit/property/conformance/fuzz-regression tests, the
# core in headless Chromium (wasm-bindgen-test), the release page, and the built page
# end to end in Chromium (Playwright). Clippy, rustdoc and the dependency rules are the static
# checks of scripts/lint.sh: each compiles DataFusion once more, and CI's 90 minutes are the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
source scripts/env.sh
# The test command checks behaviour; speed and size as shipped are scripts/bench.sh's to measure
# and check (README, "Performance"). So the builds whose speed and size no test here reads are made
# for build time, which on a 2-core machine decides whether CI ends within its 90 minutes:
# - the CLI and the test generator, which the end-to-end tests, the README's CLI commands and the
#   benchmark smoke run, are the native tests' own build (test profile, `target/debug`): a
#   release build compiled DataFusion, Arrow and Parquet once more (11 minutes at opt-level 1);
# - the page's first-load modules (`release-page`) at opt-level 3 as shipped, so the end-to-end
#   tests' timings read shipped code, but without LTO, in 16 codegen units: fat LTO in one unit
#   runs each of the two modules' links on one core for minutes. Their size as shipped is checked
#   by scripts/bench.sh, which builds them so;
# - the page's SQL module (`release-sql`) at opt-level 1 without LTO: fat LTO in one unit made it
#   the run's longest build (22 minutes).
# scripts/serve.sh and scripts/bench.sh, without these, build as shipped.
export CARGO_PROFILE_RELEASE_PAGE_LTO=false CARGO_PROFILE_RELEASE_PAGE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_SQL_LTO=false CARGO_PROFILE_RELEASE_SQL_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_SQL_OPT_LEVEL=1
# Each step's heading says when the run reached it, so a slow CI run shows where its time went.
step() {
  printf '\n=== %s (at %dm%02ds; disk free: %s)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)) \
    "$(df -h --output=avail . | tail -1 | tr -d ' ')"
}
# With TRAILSCOPE_FREE_DISK=1 (CI), a step's build output is removed once nothing later reads it.
free_disk() { if [[ "${TRAILSCOPE_FREE_DISK:-}" == 1 ]]; then rm -rf "$@"; fi; }
step "format"
cargo fmt --all -- --check

# The release page builds in the background from here on, beside the native tests' build. Its
# output is shown if it fails.
step "release page (in the background) and native tests (unit, property, conformance, fuzz regressions, CLI)"
PAGE_LOG="$(mktemp)"
trunk build --release --offline > "$PAGE_LOG" 2>&1 &
PAGE_BUILD=$!
trap 'kill "$PAGE_BUILD" 2>/dev/null || true' EXIT
cargo test --workspace --exclude trailscope-app --quiet
# target/debug stays: the end-to-end step runs its CLI and test generator, and the README's
# benchmark command at smoke scale builds on these dependencies.

step "wasm tests in headless Chromium"
# Built for wasm32: the test files of model and store that hold browser tests (wasm-bindgen-test),
# found here so a new one runs without being listed, and the libraries' unit tests, the app's
# among them, which run only here (`--lib` builds model's and store's too; theirs are native and
# find nothing to run). The app keeps its browser tests in the library (app/src/browser_tests):
# an integration test would make cargo build its two binaries as well. The other test files of
# model and store are native tests, run above: built for wasm32 they found nothing to run and
# cost minutes.
WASM_TEST_TARGETS=()
for file in crates/model/tests/*.rs crates/store/tests/*.rs; do
  if grep -q 'wasm_bindgen_test' "$file"; then
    WASM_TEST_TARGETS+=(--test "$(basename "$file" .rs)")
  fi
done
cargo test --target wasm32-unknown-unknown -p trailscope-model -p trailscope-store -p trailscope-app \
  --lib "${WASM_TEST_TARGETS[@]}"
free_disk target/wasm32-unknown-unknown/debug

step "release page: waiting for its build; the SQL module stays out of its first load"
if ! wait "$PAGE_BUILD"; then
  cat "$PAGE_LOG"
  echo "the release page's build failed (its output is above)" >&2
  exit 1
fi
trap - EXIT
tail -n 3 "$PAGE_LOG"
node scripts/wasm-size.mjs --not-as-shipped

# Fuzzing is a long run of its own (scripts/fuzz.sh SECONDS): a few seconds a target found
# nothing here and took minutes of CI's 90 (the nightly toolchain, instrumented builds). The
# checks behind the targets, their samples and every kept crash run in the native tests above.

step "end-to-end tests of the page in Chromium"
# The CLI and the test generator of the native tests' build: their own tests link both
# (CARGO_BIN_EXE), so they are built only if missing. The end-to-end tests, the README's CLI
# commands (whose build and PATH lines are then swapped: tests/e2e/readme.test.mjs) and the
# benchmark smoke run these.
if [ ! -x target/debug/trailscope ] || [ ! -x target/debug/trailscope-gen ]; then
  cargo build --profile test --quiet -p trailscope-testgen -p trailscope-cli
fi
export TRAILSCOPE_BIN_DIR="$PWD/target/debug"
export TRAILSCOPE_CLI="$TRAILSCOPE_BIN_DIR/trailscope" TRAILSCOPE_GEN="$TRAILSCOPE_BIN_DIR/trailscope-gen"
node --test --test-concurrency=1 tests/e2e/

echo
printf 'all tests passed in %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
