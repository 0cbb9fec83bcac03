#!/usr/bin/env bash
# Builds the release page into dist/ and serves it at http://127.0.0.1:8080 (PORT overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
source scripts/env.sh
trunk build --release --offline
echo "Trailscope is at http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it)"
exec node scripts/serve-dist.mjs dist "${PORT:-8080}"
