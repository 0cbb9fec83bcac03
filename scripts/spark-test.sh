#!/usr/bin/env bash
# Runs the SQL that `trailscope query/detect --emit-sql spark` write in Apache Spark (local mode)
# and checks every rule's and every filter's count against Trailscope's own, over each dataset
# read two ways: the Parquet export, and the raw log files read by Spark into the same view.
# Not part of CI (it downloads Spark, about 320 MB, and takes a few minutes).
#
#   scripts/spark-test.sh [DATASET_DIR...]   # default: each folder of ../shared/datasets,
#                                            # else a generated trail, the fixtures and a
#                                            # real-shaped trail
#
# Installs pyspark in a virtualenv (target/spark-venv) and Java 17 from apt when no Java is on
# the machine. If it cannot, it fails: it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
log() { printf '[spark] %s\n' "$*" >&2; }
fail() { printf '[spark] FAILED: %s\n' "$*" >&2; exit 1; }

PYSPARK_VERSION=3.5.3
VENV="${TRAILSCOPE_SPARK_VENV:-target/spark-venv}"

if ! java -version >/dev/null 2>&1; then
  log "no Java: installing openjdk-17-jre-headless from apt"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed; install Java 17 and rerun"
  $SUDO apt-get install -y -qq openjdk-17-jre-headless || fail "cannot install Java 17 from apt"
fi
java -version 2>&1 | head -1 >&2

if ! "$VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null; then
  log "installing pyspark $PYSPARK_VERSION in $VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv failed (apt install python3-venv)"
  "$VENV/bin/pip" install --quiet "pyspark==$PYSPARK_VERSION" || fail "cannot install pyspark"
fi

log "building trailscope (release)"
cargo build --release --quiet -p trailscope-cli -p trailscope-testgen
TRAILSCOPE="$PWD/target/release/trailscope"

DATASETS=("$@")
if [ ${#DATASETS[@]} -eq 0 ]; then
  if [ -d ../shared/datasets ]; then
    for d in ../shared/datasets/*/; do DATASETS+=("${d%/}"); done
  else
    GENERATED=target/spark-data
    rm -rf "$GENERATED"
    target/release/trailscope-gen trail --events 20000 "$GENERATED/trail" > /dev/null
    target/release/trailscope-gen fixtures "$GENERATED/fixtures" > /dev/null
    target/release/trailscope-gen real-shaped --events 5000 "$GENERATED/real-shaped" > /dev/null
    DATASETS=("$GENERATED/trail" "$GENERATED/fixtures" "$GENERATED/real-shaped")
  fi
fi

log "checking ${#DATASETS[@]} datasets"
"$VENV/bin/python" tests/spark/check_spark.py "$TRAILSCOPE" "${DATASETS[@]}"
