#!/usr/bin/env bash
# Installs every tool the build and the tests need, when it is missing, and nothing that is present.
# Works on a fresh Debian machine that has only Rust (rustup), apt and npm.
# Trunk never downloads anything itself: Trunk.toml runs it offline and pins the tools installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
log() { printf '\033[1m[ensure-tools]\033[0m %s\n' "$*" >&2; }

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from apt"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q " ${TRUNK_VERSION}\$"; then
  # 0.22 needs a newer rustc than the machine has; 0.21.14 is the last 0.21.
  log "installing trunk ${TRUNK_VERSION} (about 10 minutes the first time)"
  cargo install trunk --version "${TRUNK_VERSION}" --locked --force
fi

WB_VERSION="$(wasm_bindgen_version)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WB_VERSION}\$"; then
  # No --locked: the registry mirror lacks one of the versions its lock file names.
  log "installing wasm-bindgen-cli ${WB_VERSION} (about 5 minutes the first time)"
  cargo install wasm-bindgen-cli --version "${WB_VERSION}" --force
fi

if [ ! -x tests/e2e/node_modules/.bin/wasm-opt ] || [ ! -d tests/e2e/node_modules/playwright-core ]; then
  # npm's binaryen 132 (Debian's 108 cannot read what current rustc emits) and playwright-core.
  log "installing the npm packages of tests/e2e"
  npm --prefix tests/e2e ci --no-audit --no-fund --loglevel=error
fi

# Trunk builds offline, so every crate must already be in the local registry.
cargo fetch --quiet
