"""Runs the SQL `trailscope --emit-sql spark` writes in Spark (local mode) and checks that every
rule's and every filter's count equals Trailscope's own, over each dataset read two ways: the
Parquet export (`trailscope export --format parquet`) and the raw log files read by Spark itself
into a view of the same shape (`events_view_from_raw` below, the recipe the README gives).

Usage: check_spark.py TRAILSCOPE DATASET_DIR... (scripts/spark-test.sh installs what it needs
and calls this). Exits 1 on any difference, naming the rule or filter, the dataset and the view.
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

from pyspark.sql import SparkSession, functions as F

# Filters checked besides the rules: each kind of term the compiler writes for Spark.
FILTERS = [
    "eventSource:iam.amazonaws.com",
    "-readOnly:true",
    "readOnly:false eventSource:ec2.amazonaws.com",
    "errorCode:AccessDenied*",
    "error:*",
    "-error:*",
    "eventName:Get* -eventSource:s3.amazonaws.com",
    "eventName:ConsoleLogin eventName:AssumeRole",
    "userIdentity.type:AssumedRole",
    "userIdentity.sessionContext.sessionIssuer.userName:*",
    "requestParameters.bucketName:*",
    "requestParameters.roleArn:*admin*",
    "responseElements.ConsoleLogin:Success",
    "resourceType:AWS::S3::Object",
    "awsRegion:us-east-1",
    "userAgent:*boto3*",
    "after:2020-01-01",
    "before:2023-07-10T12:00:00Z",
]


HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The built-in rules, plus rules of every operator (rules.yaml) and the Sigma rules the tests hold.
RULE_ARGS = ["--rules", os.path.join(HERE, "rules.yaml")] + [
    arg
    for name in sorted(os.listdir(os.path.join(REPO, "crates/detect/tests/sigma")))
    if name.endswith(".yml")
    for arg in ("--sigma", os.path.join(REPO, "crates/detect/tests/sigma", name))
]


def run(cmd, ok=(0,)):
    """Runs a command, returning its stdout; any other exit code stops the check."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in ok:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def read_text(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def is_record(item):
    """A CloudTrail record as CloudTrail writes it (what the raw view reads as it is)."""
    return isinstance(item, dict) and "eventVersion" in item and "eventTime" in item


def shape(path):
    """How the raw view reads a file: `records` (an S3 log file, {"Records": [...]}), `array`
    ([record, ...]) or `lines` (one record per line); None for anything else Trailscope reads
    (envelopes, lookup-events, CSV, records without eventTime, ZIPs, YAML): those are checked
    through the Parquet export only."""
    try:
        text = read_text(path).strip()
    except Exception:  # damaged or hostile files (the fixtures hold many) are not raw input
        return None
    try:
        whole = json.loads(text)
    except RecursionError:
        return None
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return "lines" if lines and all(is_record(json.loads(line)) for line in lines) else None
        except (ValueError, RecursionError):
            return None
    if isinstance(whole, dict) and isinstance(whole.get("Records"), list):
        return "records" if all(is_record(r) for r in whole["Records"]) else None
    if isinstance(whole, list) and whole and all(is_record(r) for r in whole):
        return "array"
    if is_record(whole) and "\n" not in text:
        return "lines"
    return None


def events_view_from_raw(spark, shapes, schema):
    """The raw log files as the view the emitted SQL reads: each record's text as `eventJson`,
    its fields parsed into the export's schema (maps of JSON text for requestParameters and the
    like), copies of one event delivered twice kept once, as Trailscope keeps them: same
    eventID, time, name and source, or the same text when there is no eventID."""
    files = list(shapes)
    records = []
    for kind in ("records", "array"):
        chosen = [f for f in files if shapes[f] == kind]
        if not chosen:
            continue
        whole = spark.read.text(chosen, wholetext=True)
        if kind == "records":
            items = F.from_json("value", "struct<Records: array<string>>").getField("Records")
        else:
            items = F.from_json("value", "array<string>")
        records.append(whole.select(F.explode(items).alias("eventJson")))
    lines = [f for f in files if shapes[f] == "lines"]
    if lines:
        text = spark.read.text(lines)
        records.append(text.where(F.trim("value") != "").select(F.col("value").alias("eventJson")))
    raw = records[0]
    for more in records[1:]:
        raw = raw.unionByName(more)
    typed = raw.select(F.from_json("eventJson", schema).alias("e"), "eventJson").select("e.*", "eventJson")
    with_id = typed.where(F.coalesce(F.col("eventID"), F.lit("")) != "").dropDuplicates(
        ["eventID", "eventTime", "eventName", "eventSource"]
    )
    without_id = typed.where(F.coalesce(F.col("eventID"), F.lit("")) == "").dropDuplicates(["eventJson"])
    return with_id.unionByName(without_id)


def trailscope_counts(trailscope, filters, inputs):
    """Each rule's event count (`detect --json`) and each filter's (`query`) over `inputs`."""
    found = json.loads(run([trailscope, "detect", *RULE_ARGS, "--json", *inputs], ok=(0, 1)))
    rules = {f["rule"]: f["events"] for f in found["findings"]}
    counts = {}
    for expr, _ in filters:
        out = run([trailscope, "query", "--filter", expr, "--format", "ndjson", *inputs], ok=(0, 1))
        counts[expr] = sum(1 for line in out.splitlines() if line.strip())
    return rules, counts


def main():
    trailscope, datasets = sys.argv[1], sys.argv[2:]
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("trailscope-spark-check")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    rules = json.loads(run([trailscope, "detect", *RULE_ARGS, "--emit-sql", "spark", "--json"], ok=(0, 1)))["rules"]
    failures, checked, nonzero, refused = [], 0, 0, []
    for rule in rules:
        if "not_expressible" in rule:
            refused.append(f"rule {rule['id']}: {rule['not_expressible']}")
    filters = []
    for expr in FILTERS:
        done = subprocess.run([trailscope, "query", "--filter", expr, "--emit-sql", "spark"], capture_output=True, text=True)
        if done.returncode == 0:
            filters.append((expr, done.stdout.strip().rstrip(";")))
        else:
            refused.append(f"filter {expr}: {done.stderr.strip()}")
    for dataset in datasets:
        name = os.path.basename(dataset.rstrip("/"))
        started = time.time()
        everything = [dataset]
        # Each file's shape, read once: the raw view takes the files CloudTrail itself writes.
        raw_shapes = {
            path: kind
            for path in sorted(os.path.join(root, f) for root, _, names in os.walk(dataset) for f in names)
            if (kind := shape(path))
        }
        raw_files = list(raw_shapes)
        with tempfile.TemporaryDirectory() as tmp:
            export = os.path.join(tmp, "parquet")
            run([trailscope, "export", "--format", "parquet", "--out", export, dataset], ok=(0, 1))
            if not os.path.isdir(export) or not any(n.endswith(".parquet") for _, _, ns in os.walk(export) for n in ns):
                print(f"{name}: no events, skipped")
                continue
            parquet = spark.read.parquet(export)
            schema = parquet.select(*[c for c in parquet.columns if c in LAKE_COLUMNS]).schema
            views = [("parquet", everything, lambda: parquet)]
            if raw_files:
                views.append(("raw", raw_files, lambda: events_view_from_raw(spark, raw_shapes, schema)))
            for view_name, inputs, make_view in views:
                expected_rules, expected_filters = trailscope_counts(trailscope, filters, inputs)
                view = make_view()
                view.createOrReplaceTempView("events")
                total = view.count()
                for rule in rules:
                    if "sql" not in rule:
                        continue
                    got = spark.sql(rule["sql"]).count()
                    want = expected_rules.get(rule["id"], 0)
                    checked += 1
                    nonzero += want > 0
                    if got != want:
                        failures.append(f"{name} [{view_name}] rule {rule['id']}: Spark {got}, Trailscope {want}")
                for expr, sql in filters:
                    got = spark.sql(sql).count()
                    want = expected_filters[expr]
                    checked += 1
                    nonzero += want > 0
                    if got != want:
                        failures.append(f"{name} [{view_name}] filter {expr!r}: Spark {got}, Trailscope {want}")
                hits = ", ".join(f"{r}={n}" for r, n in sorted(expected_rules.items()) if n)
                print(f"{name} [{view_name}]: {total} events from {len(inputs) if view_name == 'raw' else 'all'} files; rules that found events: {hits or 'none'}")
        print(f"{name}: checked in {time.time() - started:.1f} s")
    for line in refused:
        print(f"not expressible (said so, not run): {line}")
    print(f"{checked} counts compared ({nonzero} of them above zero), {len(failures)} differ")
    for line in failures:
        print(f"DIFFERS: {line}")
    spark.stop()
    sys.exit(1 if failures or checked == 0 else 0)


# The export's columns that are the Lake schema (the rest are Hive partition columns).
LAKE_COLUMNS = {
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
    "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
    "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources",
    "eventType", "apiVersion", "managementEvent", "recipientAccountId", "sharedEventID",
    "annotation", "vpcEndpointId", "vpcEndpointAccountId", "serviceEventDetails", "addendum",
    "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails", "insightDetails",
    "eventCategory",
}

if __name__ == "__main__":
    main()
