//! The store's answers against a naive scan: every row's record parsed with `serde_json` and
//! tested term by term, for random filters over generated events (plus hand-made odd records);
//! and the algebra filters obey (AND is intersection, a repeated field is union, `-` is
//! complement).
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::IpAddr;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value as Json;
use trailscope_model::{ingest_bytes, EventRecord, Limits};
use trailscope_query::{
    facets, field_facet, matches, ordered, page, resource_facet, run_query, run_query_within,
    Filter, Key, Order, ParseErrorKind, Pattern, QueryRequest, SortBy, Sorting, Test, Value,
    RESOURCE_FACET_MAX_EVENTS,
};
use trailscope_store::{Field, Integrity, Store};
use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

const ODD_RECORDS: &[&str] = &[
    // A console CSV row as the model renders it: resource names instead of ARNs.
    r#"{"eventID":"csv-1","eventTime":"2024-02-29T00:01:00Z","eventName":"DeleteBucket","eventSource":"s3.amazonaws.com","userIdentity":{"userName":"zoë"},"resources":[{"type":"AWS::S3::Bucket","ARN":"my-bucket"}]}"#,
    // Escapes that hide text from a byte search.
    r#"{"eventID":"esc-1","eventTime":"2024-02-29T00:02:00Z","eventName":"Put\u004fbject","requestParameters":{"bucketName":"data\/x","durationSeconds":1e3}}"#,
    r#"{"eventID":"v6-1","eventTime":"2024-02-29T00:03:00Z","eventName":"GetObject","sourceIPAddress":"2001:db8::5","readOnly":true}"#,
    r#"{"eventID":"ec2-1","eventTime":"2024-02-29T00:05:30Z","eventName":"TerminateInstances","eventSource":"ec2.amazonaws.com","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0abc"},{"instanceId":"i-0def"}]},"roleSessionName":"i-0abc-not-a-target"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0abc","currentState":{"name":"shutting-down"}}]}}}"#,
    r#"{"eventID":"nt-1","eventName":"NoTime","errorMessage":"Failed authentication"}"#,
    r#"{"eventID":"e-2","eventTime":"2024-02-29T00:04:00Z","eventName":"ConsoleLogin","errorCode":"","errorMessage":"Failed authentication","additionalEventData":{"MFAUsed":"No"}}"#,
];

/// Three files (verified, failed, not yet verified) of generated events, and the odd records.
fn store() -> Store {
    let mut generator = EventGenerator::new(&TrailSpec {
        seed: 7,
        mean_gap_millis: 2_000,
        ..TrailSpec::default()
    });
    let mut store = Store::new();
    for name in ["verified.json", "failed.json", "unchecked.json"] {
        let log = log_file_json(&mut generator, 150);
        store.load(name, |b| ingest_bytes(log.as_bytes(), Limits::default(), b));
    }
    let odd = format!(r#"{{"Records":[{}]}}"#, ODD_RECORDS.join(","));
    store.load("odd.json", |b| {
        ingest_bytes(odd.as_bytes(), Limits::default(), b)
    });
    store.set_integrity(|path| match path {
        "verified.json" => Some(Integrity::Verified),
        "failed.json" => Some(Integrity::Failed),
        "odd.json" => Some(Integrity::NotCovered),
        _ => None,
    });
    assert_eq!(store.len(), 450 + ODD_RECORDS.len());
    store
}

/// One row as the oracle sees it: the parsed record and what only the store knows.
struct Row {
    raw: String,
    json: Json,
    time: Option<i64>,
    integrity: Option<Integrity>,
}

fn rows(store: &Store) -> Vec<Row> {
    (0..store.len())
        .map(|r| {
            let raw = store.raw(r).unwrap();
            Row {
                json: serde_json::from_str(&raw).unwrap(),
                raw,
                time: store.time_at(r).map(|t| t.unix_millis()),
                integrity: store.integrity(r),
            }
        })
        .collect()
}

fn str_at<'a>(v: &'a Json, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(v, |v, k| v.get(k))
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// What an event acted on, read independently of `targets.rs`: `resources[].ARN`, request
/// parameters named like a target, and EC2's `...Set.items[]` identifiers in the request and
/// the response.
fn oracle_targets(json: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for r in json
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(r.get("ARN").and_then(Json::as_str).map(str::to_string));
    }
    let skip = [
        "roleSessionName",
        "externalId",
        "clientRequestId",
        "requestId",
        "clientToken",
        "regionName",
        "availabilityZoneId",
        "serialNumber",
        "tokenCode",
        "sourceIdentity",
        "userAgentName",
    ];
    let target = |k: &str| {
        !skip.contains(&k)
            && (["key", "queueUrl", "name", "trailName", "Bucket", "Key"].contains(&k)
                || ["Arn", "ARN", "Id", "Ids", "Name", "Names", "Identifier"]
                    .iter()
                    .any(|s| k.ends_with(s)))
    };
    for (part, request) in [("requestParameters", true), ("responseElements", false)] {
        for (k, v) in json
            .get(part)
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            if k.ends_with("Set") {
                for item in v
                    .get("items")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    for (ik, iv) in item.as_object().into_iter().flatten() {
                        if !skip.contains(&ik.as_str())
                            && (ik.ends_with("Id") || ik.ends_with("Arn"))
                        {
                            out.extend(iv.as_str().map(str::to_string));
                        }
                    }
                }
            } else if request && target(k) {
                match v {
                    Json::String(s) => out.push(s.clone()),
                    Json::Array(a) => {
                        out.extend(a.iter().filter_map(Json::as_str).map(str::to_string))
                    }
                    _ => {}
                }
            }
        }
    }
    out.retain(|t| !t.is_empty());
    // An event that names a target twice (an instance in the request and again in the
    // response) acted on it once.
    let mut once: Vec<String> = Vec::with_capacity(out.len());
    for t in out {
        if !once.contains(&t) {
            once.push(t);
        }
    }
    once
}

/// A column's value, straight from the record.
fn column_value(row: &Row, field: Field) -> Option<String> {
    let record: EventRecord<'_> = serde_json::from_str(&row.raw).unwrap();
    match field {
        Field::User => record.user_display().map(|c| c.into_owned()),
        Field::Account => record.account_id().map(str::to_string),
        Field::EventName => record.api_name().map(str::to_string),
        Field::EventSource => record.api_source().map(str::to_string),
        f => str_at(&row.json, f.path()).map(str::to_string),
    }
    .filter(|s| !s.is_empty())
}

fn matches_pattern(p: &Pattern, v: &str) -> bool {
    // The documented semantics: ASCII case is ignored, other letters must match exactly.
    let (v, lit) = (v.to_ascii_lowercase(), p.literal().to_ascii_lowercase());
    match p {
        Pattern::Any => true,
        Pattern::Exact(_) => v == lit,
        Pattern::Prefix(_) => v.starts_with(&lit),
        Pattern::Suffix(_) => v.ends_with(&lit),
        Pattern::Contains(_) => v.contains(&lit),
    }
}

fn leaves<'a>(v: &'a Json, path: &[&str], out: &mut Vec<&'a Json>) {
    if let Json::Array(items) = v {
        for item in items {
            leaves(item, path, out);
        }
        return;
    }
    match path.split_first() {
        None => out.push(v),
        Some((head, rest)) => {
            if let Some(next) = v.get(*head) {
                leaves(next, rest, out);
            }
        }
    }
}

fn leaf_matches(v: &Json, p: &Pattern) -> bool {
    match v {
        Json::Null => false,
        Json::String(s) => matches_pattern(p, s),
        Json::Bool(_) | Json::Number(_) => matches_pattern(p, &v.to_string()),
        _ => *p == Pattern::Any,
    }
}

fn flag(b: Option<bool>, want: bool) -> bool {
    b == Some(want)
}

/// Whether one (non-negated) term holds for a row.
fn holds(row: &Row, test: &Test) -> bool {
    let record: EventRecord<'_> = serde_json::from_str(&row.raw).unwrap();
    match test {
        Test::Text(t) => row
            .raw
            .to_ascii_lowercase()
            .contains(&t.to_ascii_lowercase()),
        Test::Field(key, value) => match (key, value) {
            (Key::Column(f), Value::Pattern(p)) => {
                column_value(row, *f).is_some_and(|v| matches_pattern(p, &v))
            }
            (Key::Column(f), Value::Cidr(c)) => column_value(row, *f)
                .and_then(|v| v.parse::<IpAddr>().ok())
                .is_some_and(|ip| c.contains(ip)),
            (Key::EventId, Value::Pattern(p)) => {
                str_at(&row.json, "eventID").is_some_and(|v| matches_pattern(p, v))
            }
            (Key::ReadOnly, Value::Flag(b)) => flag(record.read_only.0, *b),
            (Key::Mfa, Value::Flag(b)) => flag(record.mfa_used(), *b),
            (Key::Error, Value::Pattern(p)) => ["errorCode", "errorMessage"]
                .iter()
                .any(|k| str_at(&row.json, k).is_some_and(|v| matches_pattern(p, v))),
            (Key::Integrity, Value::Integrity(i)) => row.integrity == *i,
            // The generated events have one copy each.
            (Key::Conflict, Value::Flag(b)) => !*b,
            (Key::Path(path), Value::Pattern(p)) => {
                let mut found = Vec::new();
                leaves(&row.json, &path.split('.').collect::<Vec<_>>(), &mut found);
                found.iter().any(|v| leaf_matches(v, p))
            }
            (Key::ResourceType, Value::Pattern(p)) => {
                let list = row.json.get("resources").and_then(Json::as_array);
                list.into_iter().flatten().any(|r| {
                    r.get("type")
                        .and_then(Json::as_str)
                        .is_some_and(|t| matches_pattern(p, t))
                })
            }
            (Key::Resource, Value::Pattern(p)) => oracle_targets(&row.json).iter().any(|t| {
                let name = match t.rfind('/') {
                    Some(i) => &t[i + 1..],
                    None => t.rsplit(':').next().unwrap(),
                };
                matches_pattern(p, t) || matches_pattern(p, name)
            }),
            (k, Value::Time(span)) => row.time.is_some_and(|t| match k {
                Key::From => t >= span.start,
                Key::To => t <= span.end,
                Key::After => t > span.end,
                Key::Before => t < span.start,
                _ => span.start <= t && t <= span.end,
            }),
            other => panic!("unexpected term {other:?}"),
        },
    }
}

/// The naive answer: terms grouped by key (free text each on its own), any positive and no
/// negated term of every group.
fn oracle(rows: &[Row], filter: &Filter, skip: Option<&Key>) -> Vec<u32> {
    let key_of = |t: &Test| match t {
        Test::Field(k, _) => Some(k.clone()),
        Test::Text(_) => None,
    };
    (0..rows.len() as u32)
        .filter(|&r| {
            let row = &rows[r as usize];
            let terms: Vec<_> = filter
                .terms
                .iter()
                .filter(|t| skip.is_none() || key_of(&t.test).as_ref() != skip)
                .collect();
            terms.iter().enumerate().all(|(i, t)| {
                let Some(key) = key_of(&t.test) else {
                    return holds(row, &t.test) != t.negated;
                };
                if t.negated {
                    return !holds(row, &t.test);
                }
                // A positive term: its group holds when any positive term of the key does.
                let first = terms
                    .iter()
                    .position(|u| !u.negated && key_of(&u.test) == Some(key.clone()));
                first != Some(i)
                    || terms
                        .iter()
                        .filter(|u| !u.negated && key_of(&u.test) == Some(key.clone()))
                        .any(|u| holds(row, &u.test))
            })
        })
        .collect()
}

/// Terms to draw from: values the data has (and variations on them), for every kind of key.
fn term_pool(store: &Store) -> Vec<String> {
    let mut pool = Vec::new();
    for field in Field::ALL {
        let column = store.column(field);
        for code in 1..=column.distinct().min(5) as u32 {
            let v = column.value(code).unwrap().to_string();
            let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
            let chars: Vec<char> = v.chars().collect();
            let head: String = chars.iter().take(4).collect();
            let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
            let name = field.path();
            pool.push(format!("{name}:{}", quote(&v)));
            pool.push(format!("{name}:{}", quote(&v.to_uppercase())));
            pool.push(format!("{name}:{}", quote(&format!("{head}*"))));
            pool.push(format!("{name}:{}", quote(&format!("*{tail}"))));
        }
        pool.push(format!("{}:*", field.path()));
    }
    let id = store.event_id(3).unwrap().to_string();
    pool.extend(
        [
            "ip:1.0.0.0/2",
            "ip:128.0.0.0/1",
            "ip:2001:db8::/32",
            "ip:10.0.0.0/8",
            "user:*alice",
            "name:Get*",
            "region:us-east-1",
            "account:123456789012",
            "readOnly:true",
            "readOnly:false",
            "mfa:true",
            "mfa:false",
            "error:*",
            "error:any",
            "error:accessdenied",
            "error:\"Failed authentication\"",
            "errorCode:Access*",
            "integrity:verified",
            "integrity:failed",
            "integrity:unknown",
            "integrity:not_covered",
            "from:2024-02-29T00:05:00Z",
            "to:2024-02-29T00:10:00Z",
            "after:2024-02-29T00:12:00Z",
            "before:2024-02-29T00:03:00Z",
            "time:2024-02-29",
            "time:2024-02-29T00:04:00Z..2024-02-29T00:08:00Z",
            "requestParameters.bucketName:data-123456789012-*",
            "requestParameters.bucketName:data/x",
            "requestParameters.durationSeconds:3600",
            "requestParameters.durationSeconds:1000.0",
            "requestParameters:*",
            "userIdentity.userName:alice",
            "userIdentity.sessionContext.attributes.mfaAuthenticated:true",
            "tlsDetails.tlsVersion:tlsv1.3",
            "resources.accountId:210987654321",
            "resource:my-bucket",
            "resource:i-0abc",
            "resourceName:*0def",
            "resource:*.parquet",
            "resourceName:data-111122223333-1*",
            "resourceType:AWS::S3::Object",
            "resourceType:*bucket",
            "alice",
            "GetObject",
            "PutObject",
            "\"Rate exceeded\"",
            "zoë",
            "parquet",
        ]
        .map(str::to_string),
    );
    pool.push(format!("eventID:{id}"));
    pool.push(format!("eventID:{}*", &id[..6]));
    pool.push(format!(
        "eventID:{}",
        store.event_id(40).unwrap().to_uppercase()
    ));
    pool.push("eventID:esc-1".to_string());
    pool
}

fn filter_strategy(pool_len: usize) -> impl Strategy<Value = Vec<(usize, bool)>> {
    prop::collection::vec((0..pool_len, prop::bool::weighted(0.25)), 0..4)
}

fn text(pool: &[String], picks: &[(usize, bool)]) -> String {
    picks
        .iter()
        .map(|&(i, neg)| format!("{}{}", if neg { "-" } else { "" }, pool[i]))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn answers_equal_a_naive_scan() {
    let store = store();
    let rows = rows(&store);
    let pool = term_pool(&store);
    // Every pooled term on its own, then random combinations.
    for term in &pool {
        let filter = Filter::parse(term).unwrap();
        let got = matches(&store, &filter).to_vec();
        assert_eq!(got, oracle(&rows, &filter, None), "{term}");
        assert!(
            !got.is_empty() || term.contains("10.0.0.0"),
            "{term} matches nothing"
        );
    }
    let mut runner = TestRunner::new(Config::with_cases(300));
    runner
        .run(&filter_strategy(pool.len()), |picks| {
            let text = text(&pool, &picks);
            let filter = Filter::parse(&text).unwrap();
            prop_assert_eq!(
                matches(&store, &filter).to_vec(),
                oracle(&rows, &filter, None),
                "{}",
                text
            );
            prop_assert_eq!(Filter::parse(&filter.to_string()).unwrap(), filter);
            Ok(())
        })
        .unwrap();
}

#[test]
fn many_event_ids_select_exactly_those_events() {
    // The SQL tab's "open these events": one `eventID:` term per event, answered with one set.
    let store = store();
    let rows = rows(&store);
    let wanted: Vec<usize> = (0..store.len()).step_by(3).collect();
    let mut text: Vec<String> = wanted
        .iter()
        .enumerate()
        .map(|(i, &row)| {
            let id = store.event_id(row).unwrap();
            // Every other ID in capitals: event IDs match ignoring case like every value.
            let id = if i % 2 == 0 {
                id.to_uppercase()
            } else {
                id.to_string()
            };
            format!("eventID:\"{id}\"")
        })
        .collect();
    text.push("eventID:no-such-event".into());
    let excluded = store.event_id(wanted[1]).unwrap().to_string();
    let filter = Filter::parse(&text.join(" ")).unwrap();
    let got = matches(&store, &filter).to_vec();
    assert_eq!(got, oracle(&rows, &filter, None));
    assert_eq!(got.len(), wanted.len());
    // With a wildcard and an exclusion in the same group.
    text.push("eventID:esc*".into());
    text.push(format!("-eventID:{excluded}"));
    let filter = Filter::parse(&text.join(" ")).unwrap();
    let got = matches(&store, &filter).to_vec();
    assert_eq!(got, oracle(&rows, &filter, None));
    let esc = (0..store.len())
        .find(|&r| store.event_id(r) == Some("esc-1"))
        .unwrap();
    assert!(got.contains(&(esc as u32)) && !got.contains(&(wanted[1] as u32)));
}

#[test]
fn a_value_written_whole_that_matches_nothing_suggests_its_prefix() {
    let mut store = store();
    // The start of a name that is in the store, written without its wildcard.
    let name = store.column(Field::EventName).value(1).unwrap().to_string();
    let start: String = name.chars().take(3).collect();
    let request = |filter: &str| QueryRequest {
        filter: filter.to_string(),
        ..QueryRequest::default()
    };
    let response = run_query(&mut store, &request(&format!("eventName:{start}"))).unwrap();
    assert_eq!(response.total, 0);
    let suggestion = response.suggestion.expect("a suggestion");
    assert_eq!(suggestion.term, format!("eventName:{start}*"));
    let wider = run_query(&mut store, &request(&suggestion.filter)).unwrap();
    assert_eq!(wider.total, suggestion.total);
    assert!(wider.total > 0 && wider.suggestion.is_none());
    // Nothing to suggest: no prefix matches, or the filter matched something.
    let none = run_query(&mut store, &request("eventName:Zzzz")).unwrap();
    assert_eq!((none.total, none.suggestion), (0, None));
    let some = run_query(&mut store, &request(&format!("eventName:{name}"))).unwrap();
    assert!(some.total > 0 && some.suggestion.is_none());
}

#[test]
fn facets_count_without_their_own_terms() {
    let store = store();
    let rows = rows(&store);
    let pool = term_pool(&store);
    let mut runner = TestRunner::new(Config::with_cases(60));
    runner
        .run(&filter_strategy(pool.len()), |picks| {
            let text = text(&pool, &picks);
            let filter = Filter::parse(&text).unwrap();
            let all = facets(&store, &filter, 1000);
            for field in [
                Field::EventName,
                Field::AwsRegion,
                Field::ErrorCode,
                Field::User,
            ] {
                let key = Key::Column(field);
                let selected = oracle(&rows, &filter, Some(&key));
                let facet = all.iter().find(|f| f.field == field.path()).unwrap();
                let mut expected: Vec<(String, u64)> = Vec::new();
                let mut absent = 0;
                for &r in &selected {
                    match column_value(&rows[r as usize], field) {
                        Some(v) => match expected.iter_mut().find(|(e, _)| *e == v) {
                            Some((_, n)) => *n += 1,
                            None => expected.push((v, 1)),
                        },
                        None => absent += 1,
                    }
                }
                expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let got: Vec<(String, u64)> = facet
                    .values
                    .iter()
                    .map(|v| (v.value.clone(), v.count))
                    .collect();
                prop_assert_eq!(&got, &expected, "{} under {}", field.path(), text);
                prop_assert_eq!(facet.absent, absent);
                prop_assert_eq!(facet.other, 0);
            }
            let read_only = all.iter().find(|f| f.field == "readOnly").unwrap();
            let selected = oracle(&rows, &filter, Some(&Key::ReadOnly));
            let reads = selected
                .iter()
                .filter(|&&r| rows[r as usize].json.get("readOnly") == Some(&Json::Bool(true)))
                .count() as u64;
            prop_assert_eq!(read_only.values[0].count, reads);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_facets_long_tail_is_searched_and_paged_under_the_filter() {
    let store = store();
    let rows = rows(&store);
    let pool = term_pool(&store);
    let mut runner = TestRunner::new(Config::with_cases(40));
    runner
        .run(
            &(filter_strategy(pool.len()), "[a-z0-9.]{0,2}", 1usize..6),
            |(picks, search, limit)| {
                let text = text(&pool, &picks);
                let filter = Filter::parse(&text).unwrap();
                for field in [Field::SourceIp, Field::EventName, Field::User] {
                    let key = Key::Column(field);
                    let facet =
                        field_facet(&store, &filter, None, field.path(), &search, limit).unwrap();
                    // Every value containing `search` (ignoring case), counted by hand.
                    let mut expected: Vec<(String, u64)> = Vec::new();
                    for &r in &oracle(&rows, &filter, Some(&key)) {
                        let Some(v) = column_value(&rows[r as usize], field) else {
                            continue;
                        };
                        if !v.to_lowercase().contains(&search.to_lowercase()) {
                            continue;
                        }
                        match expected.iter_mut().find(|(e, _)| *e == v) {
                            Some((_, n)) => *n += 1,
                            None => expected.push((v, 1)),
                        }
                    }
                    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    let all: u64 = expected.iter().map(|(_, n)| n).sum();
                    let got: Vec<(String, u64)> = facet
                        .values
                        .iter()
                        .map(|v| (v.value.clone(), v.count))
                        .collect();
                    // The most common values (which of equally common ones make the cut is
                    // the store's order), each with its count.
                    let counts =
                        |l: &[(String, u64)]| l.iter().map(|(_, n)| *n).collect::<Vec<_>>();
                    let top: Vec<(String, u64)> = expected.iter().take(limit).cloned().collect();
                    let context = format!("{} {:?} under {}", field.path(), search, text);
                    prop_assert_eq!(counts(&got), counts(&top), "{}", context);
                    for value in &got {
                        prop_assert!(expected.contains(value), "{:?} {}", value, context);
                    }
                    let listed: u64 = got.iter().map(|(_, n)| n).sum();
                    prop_assert_eq!(facet.other, all - listed);
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(field_facet(&store, &Filter::default(), None, "readOnly", "", 5).is_none());
}

#[test]
fn filters_compose() {
    let store = store();
    let pool = term_pool(&store);
    let set = |text: &str| matches(&store, &Filter::parse(text).unwrap());
    let key = |text: &str| match Filter::parse(text).unwrap().terms[0].test.clone() {
        Test::Field(k, _) => Some(k),
        Test::Text(_) => None,
    };
    let mut runner = TestRunner::new(Config::with_cases(300));
    runner
        .run(&(0..pool.len(), 0..pool.len()), |(a, b)| {
            let (ta, tb) = (&pool[a], &pool[b]);
            let (sa, sb) = (set(ta), set(tb));
            let both = set(&format!("{ta} {tb}"));
            let same_key = key(ta).is_some() && key(ta) == key(tb);
            let mut expected = sa.clone();
            if same_key {
                expected.or(&sb);
            } else {
                expected.and(&sb);
            }
            prop_assert_eq!(both, expected, "{} {}", ta, tb);
            prop_assert_eq!(set(&format!("-{ta}")), sa.complement(), "-{}", ta);
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_text_either_parses_and_reads_back_or_points_inside_it() {
    let mut runner = TestRunner::new(Config::with_cases(2000));
    runner
        .run(&"[a-zA-Z:*\" \\\\\\-./0-9é]{0,24}", |text| {
            match Filter::parse(&text) {
                Ok(filter) => {
                    prop_assert_eq!(Filter::parse(&filter.to_string()).unwrap(), filter)
                }
                Err(e) => {
                    prop_assert!(e.start <= e.end && e.end <= text.len(), "{:?}", e);
                    prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_query_returns_everything_the_page_shows() {
    let mut store = store();
    let request = QueryRequest {
        filter: "name:GetObject -region:us-west-2".into(),
        order: Order::NewestFirst,
        offset: 2,
        limit: 5,
        facet_limit: 3,
        sort: None,
    };
    let answer = run_query(&mut store, &request).unwrap();
    let rows = rows(&store);
    let expected = oracle(&rows, &Filter::parse(&request.filter).unwrap(), None);
    assert_eq!(answer.total, expected.len() as u64);
    assert_eq!(answer.filter, "eventName:GetObject -awsRegion:us-west-2");
    assert_eq!(answer.events, store.len() as u64);
    // Newest first, skipping two.
    let mut by_time: Vec<(i64, u32)> = expected
        .iter()
        .map(|&r| (rows[r as usize].time.unwrap_or(i64::MIN), r))
        .collect();
    by_time.sort();
    by_time.reverse();
    let page: Vec<u32> = by_time.iter().skip(2).take(5).map(|&(_, r)| r).collect();
    assert_eq!(answer.rows.iter().map(|r| r.row).collect::<Vec<_>>(), page);
    assert_eq!(answer.rows[0].event_name.as_deref(), Some("GetObject"));
    assert_eq!(answer.facets.len(), Field::ALL.len() + 4);
    let names = &answer.facets[0];
    assert_eq!(names.field, "eventName");
    assert!(names.filtered);
    assert_eq!(names.values.len(), 3);
    assert!(names.other > 0);
    let total: u64 = answer.histogram.buckets.iter().map(|b| b.count).sum();
    assert_eq!(total + answer.histogram.without_time, answer.total);
    let buckets = answer.histogram.buckets.len();
    assert!((40..=120).contains(&buckets), "{buckets} buckets");
    let reads: u64 = answer.histogram.buckets.iter().map(|b| b.read).sum();
    assert_eq!(reads, answer.total, "GetObject is read-only");
    let json = serde_json::to_string(&answer).unwrap();
    let back: trailscope_query::QueryResponse = serde_json::from_str(&json).unwrap();
    assert_eq!(back, answer);
    let bad = run_query(
        &mut store,
        &QueryRequest {
            filter: "evntName:x".into(),
            ..QueryRequest::default()
        },
    );
    assert_eq!(bad.unwrap_err().start, 0);
}

/// Sorting by a column, checked against sorting the records themselves: values without regard
/// to case (then byte-wise), equal values by time, rows without a value last in both
/// directions; pages are slices of that order; the answer's rows and an export agree; a field
/// that is not a column is refused by name; the order follows a later load.
#[test]
fn rows_sort_by_any_column_with_missing_values_last() {
    let mut store = store();
    let rows = rows(&store);
    for field in Field::ALL {
        for descending in [false, true] {
            let filter = "-name:ListBuckets";
            let selected = oracle(&rows, &Filter::parse(filter).unwrap(), None);
            let mut with: Vec<(String, String, i64, u32)> = Vec::new();
            let mut without: Vec<(i64, u32)> = Vec::new();
            for &r in &selected {
                let row = &rows[r as usize];
                let time = row.time.unwrap_or(i64::MIN);
                match column_value(row, field) {
                    Some(v) => with.push((v.to_lowercase(), v, time, r)),
                    None => without.push((time, r)),
                }
            }
            with.sort();
            without.sort();
            if descending {
                with.reverse();
                without.reverse();
            }
            let expected: Vec<u32> = with
                .iter()
                .map(|w| w.3)
                .chain(without.iter().map(|w| w.1))
                .collect();
            let request = QueryRequest {
                filter: filter.into(),
                sort: Some(SortBy {
                    field: field.path().into(),
                    descending,
                }),
                offset: 0,
                limit: usize::MAX,
                ..QueryRequest::default()
            };
            let (answer, selection) = run_query_within(&mut store, &request, None).unwrap();
            let got: Vec<u32> = answer.rows.iter().map(|r| r.row).collect();
            assert_eq!(got, expected, "{field:?} descending={descending}");
            let sorting = Sorting::of(&request).unwrap();
            assert_eq!(ordered(&mut store, &selection, sorting), expected);
            let middle = page(&mut store, &selection, sorting, 7, 11);
            assert_eq!(middle, expected[7..18].to_vec());
        }
    }
    // Aliases name the same column; time is time.
    let by_alias = QueryRequest {
        sort: Some(SortBy {
            field: "ip".into(),
            descending: true,
        }),
        ..QueryRequest::default()
    };
    assert_eq!(
        Sorting::of(&by_alias).unwrap(),
        Sorting::Column {
            field: Field::SourceIp,
            descending: true
        }
    );
    let by_time = QueryRequest {
        sort: Some(SortBy {
            field: "eventTime".into(),
            descending: false,
        }),
        ..QueryRequest::default()
    };
    assert_eq!(
        Sorting::of(&by_time).unwrap(),
        Sorting::Time(Order::OldestFirst)
    );
    // A path into the record is not held sorted: refused by name, not read as time.
    let refused = run_query(
        &mut store,
        &QueryRequest {
            sort: Some(SortBy {
                field: "requestParameters.bucketName".into(),
                descending: false,
            }),
            ..QueryRequest::default()
        },
    )
    .unwrap_err();
    assert_eq!(refused.kind, ParseErrorKind::BadSort);
    assert!(refused.message.contains("requestParameters.bucketName"));
    // A later load joins the order.
    let by_name = QueryRequest {
        sort: Some(SortBy {
            field: "eventName".into(),
            descending: false,
        }),
        limit: 1,
        ..QueryRequest::default()
    };
    run_query(&mut store, &by_name).unwrap();
    let first = r#"{"Records":[{"eventID":"aaa-1","eventTime":"2024-03-01T00:00:00Z","eventName":"AAAFirstByName"}]}"#;
    store.load("late.json", |b| {
        ingest_bytes(first.as_bytes(), Limits::default(), b)
    });
    let answer = run_query(&mut store, &by_name).unwrap();
    assert_eq!(answer.rows[0].event_name.as_deref(), Some("AAAFirstByName"));
}

/// `resource:` finds what a request targeted though the record has no `resources[]`, and not
/// what only names the caller's session.
#[test]
fn resource_finds_the_instance_an_event_targeted() {
    let store = store();
    let ids = |filter: &str| -> Vec<String> {
        matches(&store, &Filter::parse(filter).unwrap())
            .iter()
            .map(|r| store.event_id(r).unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("resource:i-0def"), ["ec2-1"]);
    assert_eq!(ids("resourceName:I-0ABC"), ["ec2-1"]);
    assert!(ids("resource:i-0abc-not-a-target").is_empty());
    assert!(ids("resource:my-bucket").contains(&"csv-1".to_string()));
}

/// The resources facet counts, for any filter and search, each target once per event, as a
/// naive count over the parsed records does; and its values select what they count.
#[test]
fn the_resources_facet_counts_what_events_acted_on() {
    let store = store();
    let rows = rows(&store);
    let pool = term_pool(&store);
    let key = Key::Resource;
    let mut runner = TestRunner::new(Config::with_cases(40));
    runner
        .run(
            &(filter_strategy(pool.len()), "[a-z0-9-]{0,2}", 1usize..6),
            |(picks, search, limit)| {
                let text = text(&pool, &picks);
                let filter = Filter::parse(&text).unwrap();
                let facet = resource_facet(&store, &filter, None, &search, limit).unwrap();
                let mut expected: Vec<(String, u64)> = Vec::new();
                let mut absent = 0u64;
                let mut with_kept: Vec<Vec<String>> = Vec::new();
                for &r in &oracle(&rows, &filter, Some(&key)) {
                    let targets = oracle_targets(&rows[r as usize].json);
                    if targets.is_empty() {
                        absent += 1;
                        continue;
                    }
                    let kept: Vec<String> = targets
                        .into_iter()
                        .filter(|t| t.to_lowercase().contains(&search.to_lowercase()))
                        .collect();
                    for t in &kept {
                        match expected.iter_mut().find(|(e, _)| e == t) {
                            Some((_, n)) => *n += 1,
                            None => expected.push((t.clone(), 1)),
                        }
                    }
                    with_kept.push(kept);
                }
                expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let top: Vec<(String, u64)> = expected.into_iter().take(limit).collect();
                let got: Vec<(String, u64)> = facet
                    .values
                    .iter()
                    .map(|v| (v.value.clone(), v.count))
                    .collect();
                prop_assert_eq!(&got, &top, "{:?} under {}", search, text);
                prop_assert_eq!(facet.absent, absent);
                let other = with_kept
                    .iter()
                    .filter(|k| !k.is_empty() && !k.iter().any(|t| top.iter().any(|(v, _)| v == t)))
                    .count() as u64;
                prop_assert_eq!(facet.other, other);
                Ok(())
            },
        )
        .unwrap();
    // An instance's value selects the TerminateInstances that targeted it.
    let facet = resource_facet(
        &store,
        &Filter::parse("eventName:TerminateInstances").unwrap(),
        None,
        "",
        10,
    )
    .unwrap();
    let value = facet
        .values
        .iter()
        .find(|v| v.value == "i-0def")
        .expect("i-0def listed");
    assert_eq!(value.count, 1);
    // i-0abc is named in the request and again in the response: one event, counted once.
    assert!(facet
        .values
        .iter()
        .any(|v| v.value == "i-0abc" && v.count == 1));
    let selected = matches(&store, &Filter::parse(&value.term).unwrap());
    assert_eq!(
        selected
            .iter()
            .map(|r| store.event_id(r).unwrap())
            .collect::<Vec<_>>(),
        ["ec2-1"]
    );
}

#[test]
fn the_resources_facet_refuses_a_selection_too_large_to_read() {
    let mut store = Store::new();
    let records: Vec<String> = (0..RESOURCE_FACET_MAX_EVENTS + 1)
        .map(|i| {
            format!(
                r#"{{"eventID":"{i}","eventTime":"2024-01-01T00:00:00Z","eventName":"GetObject"}}"#
            )
        })
        .collect();
    let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    store.load("big.json", |b| {
        ingest_bytes(log.as_bytes(), Limits::default(), b)
    });
    let error = resource_facet(&store, &Filter::default(), None, "", 5).unwrap_err();
    assert!(
        error.contains(&format!(
            "{} events are selected",
            RESOURCE_FACET_MAX_EVENTS + 1
        )),
        "{error}"
    );
    let narrowed =
        resource_facet(&store, &Filter::parse("eventID:7").unwrap(), None, "", 5).unwrap();
    assert_eq!(narrowed.absent, 1);
}

/// Free text answered through the free-text index (part built, then whole) equals a naive
/// scan: needles cut from the records at random places and lengths, in any case, addresses and
/// pieces of them, and text with separators the index leaves to the records.
#[test]
fn free_text_through_the_index_equals_a_naive_scan() {
    let mut generator = EventGenerator::new(&TrailSpec {
        seed: 11,
        mean_gap_millis: 500,
        ..TrailSpec::default()
    });
    let mut store = Store::new();
    for name in ["a.json", "b.json", "c.json"] {
        let log = log_file_json(&mut generator, 700);
        store.load(name, |b| ingest_bytes(log.as_bytes(), Limits::default(), b));
    }
    // Dotted runs inside longer tokens, and an address only once.
    let odd = r#"{"Records":[{"eventID":"dot-1","eventTime":"2024-02-29T00:01:00Z","eventName":"X","userAgent":"ip-10.20.30.40x agent/9.8.7.6.5"},{"eventID":"dot-2","eventTime":"2024-02-29T00:02:00Z","eventName":"Y","sourceIPAddress":"203.0.113.77"}]}"#;
    store.load("odd.json", |b| {
        ingest_bytes(odd.as_bytes(), Limits::default(), b)
    });
    let rows = rows(&store);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    };
    let mut needles: Vec<String> = [
        "10.20.30.40",
        "0.20.30.4",
        "9.8.7.6.5",
        "203.0.113.77",
        "203.0.113.7",
        "AccessDenied",
        "accessdenied",
        "deploy",
        "GetObject",
        "s3.amazonaws.com",
        "arn:aws:iam::",
        "x",
        "zz",
        "\"eventName\":\"X\"",
    ]
    .map(str::to_string)
    .to_vec();
    for _ in 0..400 {
        let raw = &rows[next(rows.len())].raw;
        let start = next(raw.len());
        let len = 1 + next(24);
        let Some(piece) = raw.get(start..(start + len).min(raw.len())) else {
            continue;
        };
        needles.push(if next(3) == 0 {
            piece.to_uppercase()
        } else {
            piece.to_string()
        });
    }
    let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let check = |store: &Store, stage: &str| {
        for needle in &needles {
            let Ok(filter) = Filter::parse(&quoted(needle)) else {
                continue;
            };
            assert_eq!(
                matches(store, &filter).to_vec(),
                oracle(&rows, &filter, None),
                "{stage}: {needle:?}"
            );
        }
    };
    check(&store, "no index");
    assert!(!store.index_text(1_000));
    assert_eq!(store.text_index().rows(), 1_000);
    check(&store, "index over the first 1,000 rows");
    while !store.index_text(300) {}
    assert!(store.text_index().entries() > 0);
    check(&store, "whole index");
}
