#!/usr/bin/env bash
# Fuzzes every target of crates/fuzz with cargo-fuzz (libFuzzer) on a nightly toolchain; the
# project itself builds on stable. Seeds come from the test generator (fixtures, signed and
# forged trails) and, when present, ../shared. A crash fails the run, and its input is copied to
# crates/fuzz/regressions/<target>/, which `cargo test` replays on stable from then on.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   # CI runs it with a few seconds per target
#
# Prints the executions of each target and the total.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-10}"
log() { printf '[fuzz] %s\n' "$*" >&2; }

scripts/ensure-tools.sh fuzz

FUZZ_DIR=crates/fuzz/fuzz
SEEDS="$(mktemp -d)"
trap 'rm -rf "$SEEDS"' EXIT
cargo build --release --quiet -p trailscope-testgen
GEN=target/release/trailscope-gen
"$GEN" fixtures "$SEEDS/fixtures" > /dev/null
"$GEN" signed-trail --hours 3 --logs-per-hour 2 --events-per-log 5 "$SEEDS/signed" > /dev/null
"$GEN" forgeries "$SEEDS/forgeries" > /dev/null

CORPUS=target/fuzz-corpus
mkdir -p "$CORPUS"
# Seeds of a target: files, each prefixed with one byte (the chunk size the checks read first).
seed() {
  local target="$1"
  shift
  mkdir -p "$CORPUS/$target"
  local n=0
  for f in "$@"; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 262144 ] || continue
    { printf '\007'; cat "$f"; } > "$CORPUS/$target/seed-$n"
    n=$((n + 1))
  done
}
mapfile -t ALL < <(find "$SEEDS" -type f | sort)
mapfile -t GZ < <(find "$SEEDS" -type f -name '*.gz' | sort)
mapfile -t JSON < <(find "$SEEDS" -type f \( -name '*.json' -o -name '*.ndjson' -o -name '*.jsonl' \) | sort)
mapfile -t CSV < <(find "$SEEDS" -type f -name '*.csv' | sort)
mapfile -t ZIPS < <(find "$SEEDS" -type f -name '*.zip' | sort)
SHARED=../shared
if [ -d "$SHARED/datasets" ]; then
  mapfile -t -O "${#ALL[@]}" ALL < <(find "$SHARED/datasets" -type f -size -256k | sort | head -200)
  mapfile -t -O "${#JSON[@]}" JSON < <(find "$SHARED/datasets" -type f -name '*.json' -size -256k | sort | head -100)
fi
seed ingest_chunks "${ALL[@]}"
seed gzip_members "${GZ[@]}"
seed json_splitter "${JSON[@]}"
seed console_csv "${CSV[@]}"
# The others read their input whole: no chunk byte.
mkdir -p "$CORPUS/zip_walk" "$CORPUS/digest_and_keys" "$CORPUS/filter_parse" "$CORPUS/rules_and_sigma"
for f in "${ZIPS[@]}"; do cp "$f" "$CORPUS/zip_walk/"; done
i=0
while IFS= read -r f; do
  zcat "$f" > "$CORPUS/digest_and_keys/digest-$i" 2>/dev/null || true
  i=$((i + 1))
done < <(find "$SEEDS" -path '*CloudTrail-Digest*' -name '*.json.gz' | head -50)
find "$SEEDS" -name 'public-keys.json' -o -name 'trusted-keys.json' -o -name 'signatures.json' | head -20 |
  while IFS= read -r f; do cp "$f" "$CORPUS/digest_and_keys/$(echo "$f" | md5sum | cut -c1-12)"; done
i=0
for expression in 'eventName:CreateUser' 'eventSource:iam.amazonaws.com -readOnly:true errorCode:AccessDenied*' \
  'ip:10.0.0.0/8 user:Admin/*' 'time:2024-01-01..2024-01-02 "free text"' 'requestParameters.bucketName:x*' \
  'integrity:verified conflict:false' 'from:2024-02-28T21:00:00Z to:2024-02-29' 'error:* -region:eu-west-1'; do
  printf '%s' "$expression" > "$CORPUS/filter_parse/seed-$i"
  i=$((i + 1))
done
cp crates/detect/rules/builtin.yaml "$CORPUS/rules_and_sigma/builtin.yaml"
# SQL: the sample queries and Lake-style queries, each behind the byte that picks a sort column.
mkdir -p "$CORPUS/sql_query"
i=0
for query in 'SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC' \
  "SELECT useridentity.arn, element_at(requestParameters, 'bucketName') FROM events WHERE eventTime > '2024-01-22 00:00:00' LIMIT 10" \
  "WITH t AS (SELECT sourceIPAddress AS ip, count(*) AS n FROM x GROUP BY 1) SELECT * FROM t WHERE n > 2 UNION ALL SELECT 'a', 1" \
  "SELECT date_trunc('hour', eventTime), approx_distinct(userIdentity.principalId), row_number() OVER (PARTITION BY eventName ORDER BY eventTime) FROM e" \
  "SELECT json_extract_scalar(responseElements, '\$.x'), regexp_like(eventName, '^Get'), cardinality(resources), from_iso8601_timestamp('2024-01-01T00:00:00Z') FROM e"; do
  { printf '\001'; printf '%s' "$query"; } > "$CORPUS/sql_query/seed-$i"
  i=$((i + 1))
done
if [ -d "$SHARED/datasets" ]; then
  find "$SHARED/datasets" -name '*.yml' -size -64k | head -100 | while IFS= read -r f; do
    cp "$f" "$CORPUS/rules_and_sigma/$(echo "$f" | md5sum | cut -c1-12).yml"
  done
fi

total=0
failed=0
for target in $(cargo +nightly fuzz list --fuzz-dir "$FUZZ_DIR"); do
  features=()
  if [ "$target" = sql_query ]; then
    # DataFusion under coverage instrumentation is a long build (minutes): the SQL target runs
    # in long runs (60 s a target or more, or FUZZ_SQL=1), not in CI's few seconds. On stable,
    # CI still replays its kept inputs and samples (crates/fuzz/tests).
    if [ "$SECONDS_PER_TARGET" -lt 60 ] && [ "${FUZZ_SQL:-0}" != 1 ]; then
      log "sql_query: skipped in a short run (scripts/fuzz.sh 60, or FUZZ_SQL=1)"
      continue
    fi
    features=(--features sql)
  fi
  log "$target: ${SECONDS_PER_TARGET}s"
  out="$(mktemp)"
  if cargo +nightly fuzz run --fuzz-dir "$FUZZ_DIR" --release "${features[@]}" "$target" "$CORPUS/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=262144 -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 > "$out" 2>&1; then
    :
  else
    failed=1
    log "$target FOUND A CRASH:"
    tail -40 "$out" >&2
    mkdir -p "crates/fuzz/regressions/$target"
    for artifact in "$FUZZ_DIR/artifacts/$target"/*; do
      [ -f "$artifact" ] && cp "$artifact" "crates/fuzz/regressions/$target/" && log "kept $artifact"
    done
  fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out" | grep -o '[0-9]*$' | tail -1)"
  runs="${runs:-0}"
  total=$((total + runs))
  printf '%-18s %12s executions\n' "$target" "$runs"
  rm -f "$out"
done
printf '%-18s %12s executions\n' total "$total"
exit "$failed"
