//! Loading files into the store: atomic files, duplicates, totals, pages.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::{BatchBuilder, Field, FileRows, FileSummary, Integrity, Store, TimeOrder};

fn event(id: &str, minute: u32, name: &str, account: &str, region: &str) -> String {
    format!(
        r#"{{"eventID":"{id}","eventTime":"2024-02-28T21:{minute:02}:00Z","eventName":"{name}","eventSource":"iam.amazonaws.com","awsRegion":"{region}","recipientAccountId":"{account}","userIdentity":{{"type":"IAMUser","userName":"alice"}},"readOnly":true}}"#
    )
}

fn log(events: &[String]) -> Vec<u8> {
    format!(r#"{{"Records":[{}]}}"#, events.join(",")).into_bytes()
}

fn load(store: &mut Store, path: &str, bytes: &[u8]) {
    store.load(path, |batch| ingest_bytes(bytes, Limits::default(), batch));
}

#[test]
fn failed_files_leave_nothing_behind() {
    let mut store = Store::new();
    load(
        &mut store,
        "good.json",
        &log(&[event("1", 1, "A", "111", "us-east-1")]),
    );
    let mut broken = log(&[
        event("2", 2, "B", "222", "eu-west-1"),
        event("3", 3, "C", "222", "eu-west-1"),
    ]);
    broken.truncate(broken.len() - 5);
    load(&mut store, "broken.json", &broken);
    // The broken file's events were parsed before the error and must be gone again.
    assert_eq!(store.len(), 1);
    let totals = store.totals();
    assert_eq!(
        (totals.events, totals.failed_files, totals.files),
        (1, 1, 2)
    );
    assert_eq!(totals.accounts, ["111"]);
    // Its events can still load from a good copy: nothing of the broken file was indexed.
    load(
        &mut store,
        "fixed.json",
        &log(&[event("2", 2, "B", "222", "eu-west-1")]),
    );
    assert_eq!(store.totals().events, 2);
    assert_eq!(store.totals().duplicates, 0);
}

#[test]
fn duplicates_are_merged_and_counted() {
    let mut store = Store::new();
    let a = log(&[
        event("1", 1, "A", "111", "us-east-1"),
        event("2", 2, "B", "111", "us-east-1"),
    ]);
    load(&mut store, "a.json", &a);
    load(&mut store, "again.json", &a);
    // Same ID, different event: kept apart.
    load(
        &mut store,
        "reused-id.json",
        &log(&[event("1", 5, "Other", "111", "us-east-1")]),
    );
    let totals = store.totals();
    assert_eq!((totals.events, totals.duplicates), (3, 2));
    assert_eq!(store.files()[1].duplicates, 2);
    assert_eq!(store.files()[1].added, 0);
}

#[test]
fn totals_and_pages() {
    let mut store = Store::new();
    load(
        &mut store,
        "a.json",
        &log(&[
            event("1", 30, "A", "111", "us-east-1"),
            event("2", 10, "B", "222", "eu-west-1"),
            event("3", 20, "C", "111", "us-east-1"),
        ]),
    );
    load(
        &mut store,
        "b.json",
        br#"[{"eventID":"4","eventName":"NoTime","eventTime":"..."}]"#,
    );
    let t = store.totals();
    assert_eq!(
        t.first_event_time.unwrap().to_string(),
        "2024-02-28T21:10:00Z"
    );
    assert_eq!(
        t.last_event_time.unwrap().to_string(),
        "2024-02-28T21:30:00Z"
    );
    assert_eq!(t.accounts, ["111", "222"]);
    assert_eq!(t.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(t.events_without_time, 1);
    let newest: Vec<String> = store
        .page(0, 10, TimeOrder::NewestFirst)
        .into_iter()
        .map(|r| r.event_name.unwrap())
        .collect();
    assert_eq!(newest, ["A", "C", "B", "NoTime"]);
    let page = store.page(1, 2, TimeOrder::OldestFirst);
    assert_eq!(
        page.iter()
            .map(|r| r.event_name.clone().unwrap())
            .collect::<Vec<_>>(),
        ["B", "C"]
    );
    assert_eq!(page[0].user.as_deref(), Some("alice"));
    assert_eq!(page[0].read_only, Some(true));
    let raw = store.raw(page[0].row as usize).unwrap();
    assert_eq!(raw, event("2", 10, "B", "222", "eu-west-1"));
}

proptest! {
    #[test]
    fn load_order_does_not_change_totals(order in Just(vec![0usize, 1, 2, 3]).prop_shuffle()) {
        let files = [
            log(&[event("1", 1, "A", "1", "r1"), event("2", 2, "B", "1", "r1")]),
            log(&[event("2", 2, "B", "1", "r1"), event("3", 3, "C", "2", "r2")]),
            b"{\"Records\":[{\"eventID\":\"9\"".to_vec(),
            log(&[event("4", 4, "D", "3", "r3")]),
        ];
        let mut store = Store::new();
        for &i in &order {
            load(&mut store, &format!("f{i}"), &files[i]);
        }
        let t = store.totals();
        prop_assert_eq!((t.events, t.duplicates, t.failed_files), (4, 1, 1));
        prop_assert_eq!(t.accounts, vec!["1".to_string(), "2".to_string(), "3".to_string()]);
    }
}

#[test]
fn several_files_in_one_run_of_batches() {
    // Three files parsed into one builder; the middle one fails half-way and the last is
    // discarded (a cancelled read): only the first file's events may be stored.
    let mut builder = BatchBuilder::new();
    let good = ingest_bytes(
        &log(&[event("1", 1, "A", "1", "r"), event("2", 2, "B", "1", "r")]),
        Limits::default(),
        &mut builder,
    );
    let mut broken = log(&[event("3", 3, "C", "1", "r"), event("4", 4, "D", "1", "r")]);
    broken.truncate(broken.len() - 3);
    let before = builder.len();
    let bad = ingest_bytes(&broken, Limits::default(), &mut builder);
    let bad_rows = (builder.len() - before) as u64;
    assert!(
        bad_rows > 0,
        "the broken file's first records were parsed before the damage"
    );
    let first = builder.take();
    let cancelled = ingest_bytes(
        &log(&[event("5", 5, "E", "1", "r")]),
        Limits::default(),
        &mut builder,
    );
    let second = builder.take();
    let mut store = Store::new();
    store.add_files(
        vec![
            FileRows {
                path: "good".into(),
                summary: FileSummary::from(&good),
                rows: 2,
                discard: false,
            },
            FileRows {
                path: "bad".into(),
                summary: FileSummary::from(&bad),
                rows: bad_rows,
                discard: false,
            },
            FileRows {
                path: "cancelled".into(),
                summary: FileSummary::from(&cancelled),
                rows: 1,
                discard: true,
            },
        ],
        vec![first, second],
    );
    assert_eq!(store.len(), 2);
    let paths: Vec<&str> = store.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["good", "bad"]);
    assert_eq!(store.totals().failed_files, 1);
}

/// A shadow copy: the same `eventID`, time, name and source, another source IP.
#[test]
fn conflicting_copies_are_kept_and_the_verified_one_is_shown() {
    let genuine = r#"{"eventID":"e-1","eventTime":"2024-01-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","sourceIPAddress":"10.0.0.1","awsRegion":"us-east-1"}"#;
    // The same event in another key order and layout: not a conflict.
    let reordered = r#"{ "sourceIPAddress": "10.0.0.1", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2024-01-01T00:00:00Z", "eventID": "e-1", "awsRegion": "us-east-1" }"#;
    let shadow = genuine.replace("10.0.0.1", "203.0.113.9");
    let mut store = Store::new();
    // The forged copy is loaded first, so it is the row until verification says otherwise.
    load(
        &mut store,
        "shadow.json",
        format!(r#"{{"Records":[{shadow}]}}"#).as_bytes(),
    );
    load(
        &mut store,
        "genuine.json",
        format!(r#"{{"Records":[{genuine}]}}"#).as_bytes(),
    );
    load(
        &mut store,
        "reordered.json",
        format!(r#"{{"Records":[{reordered}]}}"#).as_bytes(),
    );
    assert_eq!(store.len(), 1);
    assert!(store.has_conflict(0));
    assert_eq!(store.conflict_count(), 1);
    assert_eq!(store.value(Field::SourceIp, 0), Some("203.0.113.9"));
    let copies = store.copies(0);
    assert_eq!(
        copies.len(),
        2,
        "the reordered copy says the same as the genuine one"
    );
    assert_eq!(copies[0].path, "shadow.json");
    assert!(copies[0].shown);
    assert_eq!(copies[1].path, "genuine.json");
    assert_eq!(copies[1].differences.len(), 1);
    assert_eq!(copies[1].differences[0].path, "sourceIPAddress");

    // Verification vouches for genuine.json only: its copy is the one shown.
    let changed = store.set_integrity(|path| match path {
        "genuine.json" => Some(Integrity::Verified),
        _ => Some(Integrity::NotCovered),
    });
    assert_eq!(changed, 1);
    assert_eq!(store.value(Field::SourceIp, 0), Some("10.0.0.1"));
    assert_eq!(store.integrity(0), Some(Integrity::Verified));
    assert_eq!(store.raw(0).as_deref(), Some(genuine));
    let copies = store.copies(0);
    assert_eq!(copies[0].path, "genuine.json");
    assert_eq!(copies[1].path, "shadow.json");
    assert_eq!(copies[1].integrity, Some(Integrity::NotCovered));
    // Judged again the same way, nothing moves.
    assert_eq!(
        store.set_integrity(|path| match path {
            "genuine.json" => Some(Integrity::Verified),
            _ => Some(Integrity::NotCovered),
        }),
        0
    );
    assert_eq!(store.conflicts().len(), 1);
}

#[test]
fn a_csv_projection_gives_way_to_the_full_record() {
    let csv = "Event ID,Event time,Event name,Event source,User name,AWS access key,AWS region,Source IP address,Error code,Read-only,Resources\ne-2,2024-01-01T00:00:00Z,CreateUser,iam.amazonaws.com,alice,,us-east-1,10.0.0.2,,false,\n";
    let full = r#"{"eventID":"e-2","eventTime":"2024-01-01T00:00:00Z","eventName":"CreateUser","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.2","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/alice"},"requestParameters":{"userName":"bob"}}"#;
    let mut store = Store::new();
    load(&mut store, "history.csv", csv.as_bytes());
    assert_eq!(store.len(), 1);
    load(
        &mut store,
        "log.json",
        format!(r#"{{"Records":[{full}]}}"#).as_bytes(),
    );
    assert_eq!(store.len(), 1);
    assert!(
        !store.has_conflict(0),
        "a projection is not a conflicting copy"
    );
    assert_eq!(store.raw(0).as_deref(), Some(full));
    assert_eq!(
        store.value(Field::PrincipalArn, 0),
        Some("arn:aws:sts::1:assumed-role/r/alice")
    );
}

/// A file streams into the store a batch at a time; one that fails after many batches leaves
/// nothing behind, and what loaded before it is untouched.
#[test]
fn a_file_that_fails_late_leaves_nothing_behind() {
    let mut store = Store::new();
    load(
        &mut store,
        "first.json",
        &log(&[event("keep", 1, "A", "1", "r")]),
    );
    let many: Vec<String> = (0..40_000u32)
        .map(|i| event(&format!("e{i}"), i % 60, "B", "1", "r"))
        .collect();
    let mut text = log(&many);
    // Broken at the very end: every event was handed over before the error.
    text.truncate(text.len() - 2);
    load(&mut store, "broken.json", &text);
    assert_eq!(store.len(), 1);
    assert!(
        matches!(
            store.files()[1].summary.error.as_deref(),
            Some(e) if e.contains("JSON") || e.contains("json")
        ),
        "{:?}",
        store.files()[1].summary.error
    );
    assert_eq!(store.files()[1].added, 0);
    // The same events, whole, load after it: nothing of the failed file shadows them.
    load(&mut store, "whole.json", &log(&many));
    assert_eq!(store.len(), 40_001);
    assert_eq!(store.files()[2].added, 40_000);
    assert_eq!(store.event_id(0), Some("keep"));
    assert_eq!(store.totals().duplicates, 0);
}

/// Room made beforehand (a workspace restore makes it) changes nothing that is stored, and a
/// reservation no memory could hold is only a hint that fails quietly, never an abort.
#[test]
fn room_made_beforehand_changes_nothing_stored() {
    let events: Vec<String> = (0..300)
        .map(|i| {
            event(
                &format!("e{i}"),
                i % 60,
                &format!("Call{}", i % 17),
                &format!("{}", 100 + i % 5),
                "eu-west-1",
            )
        })
        .collect();
    let bytes = log(&events);
    let mut plain = Store::new();
    let mut reserved = Store::new();
    reserved.reserve(300, &[40; Field::ALL.len()]);
    let mut beyond_memory = Store::new();
    beyond_memory.reserve(usize::MAX, &[usize::MAX; Field::ALL.len()]);
    for store in [&mut plain, &mut reserved, &mut beyond_memory] {
        load(store, "a.json", &bytes);
        load(store, "again.json", &bytes);
    }
    for store in [&reserved, &beyond_memory] {
        assert_eq!(store.len(), plain.len());
        assert_eq!(store.distinct_values(), plain.distinct_values());
        assert_eq!(store.totals().duplicates, 300);
        for row in 0..plain.len() {
            assert_eq!(store.event_id(row), plain.event_id(row));
            for field in Field::ALL {
                assert_eq!(store.value(field, row), plain.value(field, row));
            }
        }
    }
    assert_eq!(
        plain.distinct_values()[Field::ALL
            .iter()
            .position(|f| *f == Field::EventName)
            .unwrap()],
        17
    );
}
