#!/usr/bin/env bash
# Installs what the build (and, with `test`, the tests) need, when it is missing.
# Works on a fresh Debian machine that has only Rust (rustup), apt and npm.
# Trunk never downloads anything itself: Trunk.toml runs it offline with the versions installed here.
#
#   scripts/ensure-tools.sh build   # wasm32 target, trunk, wasm-bindgen-cli, npm's binaryen
#   scripts/ensure-tools.sh test    # the above, plus Chromium, chromedriver and playwright-core
#   scripts/ensure-tools.sh lint    # the wasm32 target and cargo-deny (scripts/lint.sh)
#   scripts/ensure-tools.sh fuzz    # only the nightly toolchain and cargo-fuzz (scripts/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-test}"

TRUNK_VERSION=0.21.14
log() { printf '[ensure-tools %s] %s\n' "$(date +%T)" "$*" >&2; }
# The tools are built on every fresh machine (CI's included), so for build time rather than peak
# speed: without LTO, in parallel codegen units, at opt-level 1 (the README's "The two commands"
# has the times). Config in the environment overrides a package's own release profile, for
# `cargo install` as for a build.
install_tool() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=true cargo install "$@"
}

if [ "$MODE" = fuzz ]; then
  # grep reads all of the list (-q could stop early and fail the pipe under pipefail).
  if ! rustup toolchain list | grep '^nightly' >/dev/null; then
    log "installing the nightly toolchain (for fuzzing only)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    install_tool cargo-fuzz --locked
  fi
  exit 0
fi

need_apt=()
# The SQL worker's engine (DataFusion) compiles zstd's C code for wasm32, which needs clang.
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
if [ "$MODE" = test ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
  # The benchmarks read peak memory with GNU time.
  [ -x /usr/bin/time ] || need_apt+=(time)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from apt"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The static checks (scripts/lint.sh) need only clang and the wasm32 target, above, and cargo-deny.
if [ "$MODE" = lint ]; then
  if ! cargo deny --version >/dev/null 2>&1; then
    log "installing cargo-deny (about two minutes the first time)"
    install_tool cargo-deny --locked
  fi
  exit 0
fi

if ! trunk --version 2>/dev/null | grep -q " ${TRUNK_VERSION}\$"; then
  # trunk 0.22 needs a newer rustc than 1.95; 0.21.14 is the last 0.21.
  log "installing trunk ${TRUNK_VERSION} (about 7 minutes the first time)"
  install_tool trunk --version "${TRUNK_VERSION}" --locked --force
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WB_VERSION}\$"; then
  # No --locked: the registry mirror lacks one of the versions its lock file names.
  log "installing wasm-bindgen-cli ${WB_VERSION} (about 3 minutes the first time)"
  install_tool wasm-bindgen-cli --version "${WB_VERSION}" --force
fi

if [ ! -x tests/e2e/node_modules/.bin/wasm-opt ] || [ ! -d tests/e2e/node_modules/playwright-core ] \
  || [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
  # npm's binaryen 132 (Debian's 108 cannot read what current rustc emits), playwright-core,
  # which drives Debian's Chromium and never downloads a browser, and axe-core, the
  # accessibility scan the end-to-end tests inject into the page.
  log "installing the npm packages of tests/e2e"
  npm --prefix tests/e2e ci --no-audit --no-fund --loglevel=error
fi

# Trunk builds offline, so every crate must already be in the local registry.
cargo fetch --quiet
