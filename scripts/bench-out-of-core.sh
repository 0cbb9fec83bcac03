#!/usr/bin/env bash
# Out-of-core figures: SQL over a Parquet export of 10,000,000 events read in place (peak RSS
# and time of each query), the export itself, and the CLI on 1,000,000 real-shaped events.
# Writes bench-data/ (about 7 GB; the export reads a part at a time, 1.1 GB peak at 10M events)
# and bench-results/out-of-core.txt. Takes about 40 minutes on a 2-core machine. EVENTS=N changes
# the Parquet trail's size, REAL_EVENTS=N the real-shaped trail's.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
EVENTS="${EVENTS:-10000000}"
REAL_EVENTS="${REAL_EVENTS:-1000000}"
cargo build --release --quiet -p trailscope-testgen -p trailscope-cli
GEN=target/release/trailscope-gen
TS=target/release/trailscope
mkdir -p bench-data bench-results
OUT=bench-results/out-of-core.txt
: > "$OUT"
measure() {
  local label="$1"
  shift
  /usr/bin/time -v "$@" > /tmp/out-of-core.stdout 2> /tmp/out-of-core.time || {
    cat /tmp/out-of-core.time >&2
    exit 1
  }
  local rss wall
  rss=$(grep "Maximum resident" /tmp/out-of-core.time | awk '{print $NF}')
  wall=$(grep "Elapsed (wall" /tmp/out-of-core.time | awk '{print $NF}')
  printf '%s: %s wall, %d MiB peak RSS\n' "$label" "$wall" $((rss / 1024)) | tee -a "$OUT"
}

TRAIL="bench-data/trail-$EVENTS"
PARQUET="bench-data/parquet-$EVENTS"
[ -d "$TRAIL" ] || "$GEN" trail --events "$EVENTS" "$TRAIL"
if [ ! -d "$PARQUET" ]; then
  measure "export $EVENTS events to Parquet" "$TS" export --format parquet --out "$PARQUET" "$TRAIL"
fi
du -sh "$PARQUET" | tee -a "$OUT"
measure "sql GROUP BY eventName over $EVENTS events of Parquet" \
  "$TS" sql "$PARQUET" --timing -q 'SELECT eventName, count(*) AS n FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC'
cat /tmp/out-of-core.stdout | tail -3 | tee -a "$OUT"
measure "sql over the records (requestParameters, userIdentity) of $EVENTS events of Parquet" \
  "$TS" sql "$PARQUET" --timing -q "SELECT element_at(requestParameters, 'bucketName') AS bucket, count(*) AS n FROM \$EDS_ID WHERE userIdentity.type = 'AssumedRole' GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
cat /tmp/out-of-core.stdout | tail -3 | tee -a "$OUT"
measure "sql selective filter (errorCode, 20 rows) over $EVENTS events of Parquet" \
  "$TS" sql "$PARQUET" -q "SELECT eventTime, eventName, sourceIPAddress FROM \$EDS_ID WHERE errorCode = 'AccessDenied' AND eventName = 'CreateUser' ORDER BY eventTime LIMIT 20"

REAL="bench-data/real-shaped-$REAL_EVENTS"
[ -d "$REAL" ] || "$GEN" real-shaped --events "$REAL_EVENTS" "$REAL" | tee -a "$OUT"
measure "inspect $REAL_EVENTS real-shaped events" "$TS" inspect --json "$REAL"
