#!/usr/bin/env bash
# Builds the release page into dist/ and serves it at http://127.0.0.1:8080/ (PORT overrides the
# port, BASE_PATH serves it under a sub-path such as /tools/trailscope/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
source scripts/env.sh
trunk build --release --offline
PORT="${PORT:-8080}"
BASE_PATH="${BASE_PATH:-/}"
exec node scripts/serve-dist.mjs dist "$PORT" "$BASE_PATH"
