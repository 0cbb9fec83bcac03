#!/usr/bin/env bash
# Checks the dependency tree against the RustSec advisory database (cargo-deny), besides the
# licence, duplicate and source rules scripts/lint.sh checks. Needs to reach GitHub for the
# database, which the CI machine cannot, hence a command of its own. Exceptions, each with its
# reason, are in deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deny >/dev/null 2>&1 || cargo install cargo-deny --locked
cargo deny check advisories bans licenses sources
