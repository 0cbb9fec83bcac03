//! Lake-style queries over generated events, each checked against an answer computed
//! independently from the same records with serde_json (the oracle), and the errors users meet.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use trailscope_model::{ingest_bytes, parse_event_time, Limits};
use trailscope_sql::{to_csv, EngineOptions, SqlAnswer, SqlEngine};
use trailscope_store::Store;
use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

const EVENTS: usize = 4000;

fn records() -> (String, Vec<Value>) {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let log = log_file_json(&mut generator, EVENTS);
    let parsed: Value = serde_json::from_str(&log).unwrap();
    let records = parsed["Records"].as_array().unwrap().clone();
    (log, records)
}

fn engine_with(log: &str, options: EngineOptions) -> SqlEngine {
    let mut store = Store::new();
    store.load("trail.json", |batch| {
        ingest_bytes(log.as_bytes(), Limits::default(), batch)
    });
    assert_eq!(store.len(), EVENTS);
    SqlEngine::over_store(Arc::new(store), options).unwrap()
}

async fn run(engine: &SqlEngine, sql: &str) -> SqlAnswer {
    engine
        .run(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}\n{e}"))
}

/// The answer as rows of CSV cells (header dropped).
fn rows(answer: &SqlAnswer) -> Vec<Vec<String>> {
    to_csv(answer)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut at = v;
    for p in path {
        at = at.get(p)?;
    }
    at.as_str().map(str::to_string)
}

#[tokio::test]
async fn lake_queries_agree_with_the_records() {
    let (log, records) = records();
    let engine = engine_with(&log, EngineOptions::default());

    // GROUP BY with ordinal positions, FROM an event data store's placeholder.
    let answer = run(
        &engine,
        "SELECT eventName, count(*) AS n FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .await;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        *expected
            .entry(text(r, &["eventName"]).unwrap())
            .or_default() += 1;
    }
    let mut expected: Vec<(String, u64)> = expected.into_iter().collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let got: Vec<(String, u64)> = rows(&answer)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, expected);

    // Nested fields in any case, as Lake's and Athena's own examples write them.
    let answer = run(
        &engine,
        "SELECT count(*) FROM 0123abcd-ef01-2345-6789-0123456789ab WHERE useridentity.type = 'AssumedRole' AND userIdentity.sessioncontext.sessionissuer.arn IS NOT NULL",
    )
    .await;
    let expected = records
        .iter()
        .filter(|r| {
            text(r, &["userIdentity", "type"]).as_deref() == Some("AssumedRole")
                && text(
                    r,
                    &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
                )
                .is_some()
        })
        .count();
    assert!(expected > 0);
    assert_eq!(rows(&answer), [[expected.to_string()]]);

    // Maps: element_at and json_extract_scalar read requestParameters the same way.
    let answer = run(
        &engine,
        "SELECT element_at(requestParameters, 'bucketName') AS b, count(*) FROM events \
         WHERE json_extract_scalar(requestParameters, '$.bucketName') IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    .await;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        if let Some(b) = text(r, &["requestParameters", "bucketName"]) {
            *expected.entry(b).or_default() += 1;
        }
    }
    assert!(!expected.is_empty());
    let got: BTreeMap<String, u64> = rows(&answer)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, expected);

    // eventTime is a timestamp: compared with a string as Lake users write it, truncated,
    // and read with from_iso8601_timestamp.
    let cut = "2024-02-29 00:05:00";
    let cut_millis = parse_event_time("2024-02-29T00:05:00Z")
        .unwrap()
        .0
        .unix_millis();
    let answer = run(
        &engine,
        &format!("SELECT count(*) FROM events WHERE eventTime >= '{cut}' AND eventtime < from_iso8601_timestamp('2024-02-29T00:10:00Z')"),
    )
    .await;
    let expected = records
        .iter()
        .filter(|r| {
            let t = parse_event_time(r["eventTime"].as_str().unwrap())
                .unwrap()
                .0
                .unix_millis();
            t >= cut_millis && t < cut_millis + 5 * 60_000
        })
        .count();
    assert!(expected > 0);
    assert_eq!(rows(&answer), [[expected.to_string()]]);
    let answer = run(
        &engine,
        "SELECT date_trunc('minute', eventTime) AS m, count(*) FROM events GROUP BY 1 ORDER BY 1 LIMIT 1",
    )
    .await;
    assert!(
        rows(&answer)[0][0].starts_with("2024-02-29T00:00:00"),
        "{:?}",
        rows(&answer)
    );

    // WITH, UNION, window functions, approx_distinct, regexp_like, cardinality.
    let answer = run(
        &engine,
        "WITH w AS (SELECT eventSource, eventName FROM events WHERE readOnly = false) \
         SELECT 'writes' AS k, count(*) AS n FROM w UNION ALL SELECT 'all', count(*) FROM events ORDER BY k",
    )
    .await;
    let writes = records
        .iter()
        .filter(|r| r.get("readOnly") == Some(&Value::Bool(false)))
        .count();
    assert_eq!(
        rows(&answer),
        [
            vec!["all".to_string(), EVENTS.to_string()],
            vec!["writes".to_string(), writes.to_string()]
        ]
    );
    let answer = run(
        &engine,
        "SELECT eventName, row_number() OVER (PARTITION BY eventName ORDER BY eventTime) AS i FROM events ORDER BY eventTime LIMIT 1",
    )
    .await;
    assert_eq!(rows(&answer)[0][1], "1");
    let answer = run(
        &engine,
        "SELECT approx_distinct(sourceIPAddress), count(*) FILTER (WHERE regexp_like(eventName, '^Get')), max(cardinality(resources)) FROM events",
    )
    .await;
    let ips: BTreeSet<String> = records
        .iter()
        .filter_map(|r| text(r, &["sourceIPAddress"]))
        .collect();
    let gets = records
        .iter()
        .filter(|r| text(r, &["eventName"]).unwrap().starts_with("Get"))
        .count();
    let got = &rows(&answer)[0];
    let approx: f64 = got[0].parse().unwrap();
    assert!(
        (approx - ips.len() as f64).abs() <= ips.len() as f64 * 0.05,
        "{approx} vs {}",
        ips.len()
    );
    assert_eq!(got[1], gets.to_string());
}

#[tokio::test]
async fn errors_name_the_problem_and_point_at_it() {
    let (log, _) = records();
    let engine = engine_with(&log, EngineOptions::default());
    let e = engine
        .run("SELECT eventName FROM events WHERE")
        .await
        .unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
    assert!(e.column.is_some(), "{e}");
    let e = engine
        .run("SELECT no_such_function(eventName) FROM events")
        .await
        .unwrap_err();
    assert!(e.message.contains("no_such_function"), "{e}");
    let e = engine.run("SELECT eventNme FROM events").await.unwrap_err();
    assert!(e.message.to_lowercase().contains("eventnme"), "{e}");
    let e = engine
        .run("COPY (SELECT * FROM events) TO '/tmp/out.csv'")
        .await
        .unwrap_err();
    assert!(e.message.contains("only queries"), "{e}");
}

#[tokio::test]
async fn a_query_plans_without_running_and_a_bad_one_is_located() {
    let (log, _) = records();
    let engine = engine_with(&log, EngineOptions::default());
    let plan = engine
        .plan("SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC")
        .await
        .unwrap();
    assert!(plan.contains("Aggregate"), "{plan}");
    let e = engine
        .plan("SELECT eventName\nFROM events\nWHERE eventNme = 'x'")
        .await
        .unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(7)), "{e}");
}

#[tokio::test]
async fn a_query_beyond_the_memory_limit_fails_saying_so() {
    let (log, _) = records();
    let engine = engine_with(
        &log,
        EngineOptions {
            memory_limit_bytes: 8 << 20,
            ..EngineOptions::default()
        },
    );
    let e = engine
        .run("SELECT a.eventID, b.eventID, a.userAgent FROM events a CROSS JOIN events b ORDER BY a.userAgent, b.eventID")
        .await
        .unwrap_err();
    assert!(e.message.contains("more memory"), "{e}");
    // The engine still answers afterwards.
    let answer = engine.run("SELECT count(*) FROM events").await.unwrap();
    assert_eq!(rows(&answer), [[EVENTS.to_string()]]);
}

/// Columns built from the store and from the records, across more than one chunk of rows,
/// describe the same event on every row.
#[tokio::test]
async fn columns_from_the_store_and_from_the_records_line_up() {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let n = 70_000;
    let mut store = Store::new();
    // Several files, so rows come from many record blocks.
    for i in 0..7 {
        let log = log_file_json(&mut generator, n / 7);
        store.load(&format!("f{i}.json"), |batch| {
            ingest_bytes(log.as_bytes(), Limits::default(), batch)
        });
    }
    assert_eq!(store.len(), n);
    let engine = SqlEngine::over_store(Arc::new(store), EngineOptions::default()).unwrap();
    let answer = run(
        &engine,
        "SELECT count(*) FROM events WHERE \
         (eventID IS DISTINCT FROM json_extract_scalar(eventJson, '$.eventID')) \
         OR (eventName IS DISTINCT FROM json_extract_scalar(eventJson, '$.eventName')) \
         OR (userIdentity.arn IS DISTINCT FROM json_extract_scalar(eventJson, '$.userIdentity.arn')) \
         OR (element_at(requestParameters, 'bucketName') IS DISTINCT FROM json_extract_scalar(eventJson, '$.requestParameters.bucketName'))",
    )
    .await;
    assert_eq!(rows(&answer), [["0".to_string()]]);
}

/// What the page's result table receives: text cells (null apart from ""), the first rows only,
/// the whole count, and the distinct event IDs when there is an eventID column.
#[tokio::test]
async fn cells_for_the_page_cap_rows_and_collect_event_ids() {
    let (log, records) = records();
    let engine = engine_with(&log, EngineOptions::default());
    let answer = run(
        &engine,
        "SELECT eventid, errorCode FROM events ORDER BY eventTime, eventID",
    )
    .await;
    let cells = trailscope_sql::to_cells(&answer, 10, 25).unwrap();
    // Names resolve without regard to case and come back as the schema spells them.
    assert_eq!(cells.columns, ["eventID", "errorCode"]);
    assert_eq!(cells.types, ["Utf8", "Utf8"]);
    assert_eq!(cells.rows.len(), 10);
    assert_eq!(cells.total_rows, EVENTS as u64);
    assert_eq!(cells.event_ids.len(), 25);
    let without_error = records
        .iter()
        .filter(|r| r.get("errorCode").is_none())
        .count();
    assert!(without_error > 0);
    let all = trailscope_sql::to_cells(&answer, usize::MAX, usize::MAX).unwrap();
    assert_eq!(
        all.rows.iter().filter(|r| r[1].is_none()).count(),
        without_error
    );
    assert_eq!(
        all.rows
            .iter()
            .map(|r| r[0].clone().unwrap())
            .collect::<Vec<_>>(),
        all.event_ids
    );
    // No eventID column, no event IDs.
    let counted = run(
        &engine,
        "SELECT eventName, count(*) AS n FROM events GROUP BY 1",
    )
    .await;
    assert!(trailscope_sql::to_cells(&counted, 5, 5)
        .unwrap()
        .event_ids
        .is_empty());
}

/// Sorting a result by a column header wraps the query: the same rows, in the column's order,
/// whatever the query's own order, with WITH, a trailing semicolon and a LIMIT.
#[tokio::test]
async fn a_result_sorts_by_any_column() {
    let (log, _) = records();
    let engine = engine_with(&log, EngineOptions::default());
    let sql = "WITH n AS (SELECT eventName, count(*) AS calls FROM $EDS_ID GROUP BY eventName) \
               SELECT * FROM n ORDER BY eventName LIMIT 12;";
    let plain = rows(&run(&engine, sql).await);
    for (column, descending) in [(0, false), (0, true), (1, true), (1, false)] {
        let sorted = rows(&run(&engine, &trailscope_sql::sorted_by(sql, column, descending)).await);
        let mut expected = plain.clone();
        expected.sort_by(|a, b| {
            let order = if column == 1 {
                a[1].parse::<u64>()
                    .unwrap()
                    .cmp(&b[1].parse::<u64>().unwrap())
            } else {
                a[0].cmp(&b[0])
            };
            if descending {
                order.reverse()
            } else {
                order
            }
        });
        let key = |r: &Vec<String>| r[column].clone();
        assert_eq!(
            sorted.iter().map(key).collect::<Vec<_>>(),
            expected.iter().map(key).collect::<Vec<_>>()
        );
        assert_eq!(sorted.len(), 12);
    }
}

/// Every sample query the page offers runs, and the schema list names real columns.
#[tokio::test]
async fn the_sample_queries_run_and_the_schema_list_resolves() {
    let (log, _) = records();
    let engine = engine_with(&log, EngineOptions::default());
    for (title, sql) in trailscope_sql::SAMPLE_QUERIES {
        engine
            .run(sql)
            .await
            .unwrap_or_else(|e| panic!("sample {title:?} fails: {e}"));
    }
    let paths = trailscope_sql::column_paths();
    assert!(paths
        .iter()
        .any(|(p, t)| p == "userIdentity.sessionContext.sessionIssuer.arn" && t == "string"));
    assert!(paths
        .iter()
        .any(|(p, t)| p == "eventTime" && t == "timestamp"));
    assert!(paths
        .iter()
        .any(|(p, t)| p == "requestParameters" && t == "map<string,string>"));
    for (path, _) in &paths {
        engine
            .run(&format!("SELECT {path} FROM events LIMIT 1"))
            .await
            .unwrap_or_else(|e| panic!("listed column {path} does not resolve: {e}"));
    }
}
