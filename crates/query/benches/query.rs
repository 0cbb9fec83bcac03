//! Queries over a million generated events: what one keystroke in the filter box costs.
// Bench code: a failed unwrap is a broken bench.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion};
use trailscope_model::{ingest_bytes, Limits};
use trailscope_query::{
    facets, histogram, matches, page, run_query, Filter, Order, QueryRequest, Sorting,
};
use trailscope_store::{Field, Store};
use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

const EVENTS: usize = 1_000_000;
const PER_FILE: usize = 20_000;
/// A typical three-term filter: a service, writes only, one region.
const FILTER: &str = "eventSource:s3.amazonaws.com readOnly:false awsRegion:us-east-1";

fn store() -> Store {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let mut store = Store::new();
    for i in 0..EVENTS / PER_FILE {
        let log = log_file_json(&mut generator, PER_FILE);
        store.load(&format!("f{i}.json"), |b| {
            ingest_bytes(log.as_bytes(), Limits::default(), b)
        });
    }
    store.time_order();
    store
}

fn bench(c: &mut Criterion) {
    let mut store = store();
    let filter = Filter::parse(FILTER).unwrap();
    let selection = matches(&store, &filter);
    eprintln!("{} events, filter selects {}", store.len(), selection.len());
    let mut group = c.benchmark_group("query_1m");
    group.sample_size(20);
    group.bench_function("parse_and_evaluate_3_terms", |b| {
        b.iter(|| matches(&store, &Filter::parse(FILTER).unwrap()).len())
    });
    group.bench_function("facets_all_fields", |b| {
        b.iter(|| facets(&store, &filter, 10).len())
    });
    group.bench_function("facets_all_fields_no_filter", |b| {
        b.iter(|| facets(&store, &Filter::default(), 10).len())
    });
    group.bench_function("histogram", |b| {
        b.iter(|| histogram(&store, &selection).buckets.len())
    });
    group.bench_function("first_page", |b| {
        b.iter(|| page(&mut store, &selection, Order::NewestFirst, 0, 100).len())
    });
    // A column header's first press builds the column's order (once per load); later pages,
    // filters and exports in that order only scan it.
    for field in [Field::User, Field::UserAgent, Field::EventName] {
        let started = std::time::Instant::now();
        store.column_order(field);
        eprintln!(
            "column order of {} over {} events built in {:?}",
            field.path(),
            store.len(),
            started.elapsed()
        );
    }
    let by_user = Sorting::Column {
        field: Field::User,
        descending: true,
    };
    group.bench_function("first_page_sorted_by_user", |b| {
        b.iter(|| page(&mut store, &selection, by_user, 0, 100).len())
    });
    for (name, text) in [
        ("run_query_3_terms", FILTER),
        ("run_query_no_filter", ""),
        (
            "run_query_user_and_error",
            "user:Admin/* error:* -region:eu-west-1",
        ),
    ] {
        let request = QueryRequest {
            filter: text.to_string(),
            ..QueryRequest::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| run_query(&mut store, &request).unwrap().total)
        });
    }
    group.finish();

    // Terms that read the compressed records: one pass over up to 1.4 GB of JSON.
    let mut slow = c.benchmark_group("query_1m_records");
    slow.sample_size(10);
    // What an analyst pastes: one event's id, one address. The blocks' trigram sets rule out
    // the blocks without it before any is decompressed.
    let one_id = store.event_id(EVENTS / 2).unwrap().to_string();
    let records = store.records();
    let one_ip = {
        let json = String::from_utf8(records.get(EVENTS / 3).unwrap()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["sourceIPAddress"].as_str().unwrap().to_string()
    };
    for (name, text) in [
        ("free_text_one_event_id", one_id.as_str()),
        ("free_text_one_address", one_ip.as_str()),
    ] {
        let filter = Filter::parse(&format!("\"{text}\"")).unwrap();
        eprintln!(
            "{name}: {text:?} matches {}; trigram sets {} bytes ({} per event)",
            matches(&store, &filter).len(),
            records.gram_bytes(),
            records.gram_bytes() / store.len()
        );
        slow.bench_function(name, |b| b.iter(|| matches(&store, &filter).len()));
    }
    for (name, text) in [
        ("free_text_all_records", "deploy-bot"),
        (
            "path_term_all_records",
            "requestParameters.bucketName:data-123456789012-3",
        ),
        (
            "free_text_after_3_terms",
            "eventSource:s3.amazonaws.com readOnly:false awsRegion:us-east-1 deploy-bot",
        ),
    ] {
        let filter = Filter::parse(text).unwrap();
        slow.bench_function(name, |b| b.iter(|| matches(&store, &filter).len()));
    }
    slow.finish();

    // The same free text once the free-text index is built (the page builds it in steps after
    // a load): most needles then read few records or none.
    let started = std::time::Instant::now();
    while !store.index_text(usize::MAX) {}
    let index_bytes = store.text_index().heap_bytes();
    eprintln!(
        "free-text index over {} events built in {:?}: {index_bytes} bytes ({} per event), {} entries; trigram sets now {} bytes",
        store.len(),
        started.elapsed(),
        index_bytes / store.len(),
        store.text_index().entries(),
        store.records().gram_bytes()
    );
    let mut indexed = c.benchmark_group("query_1m_text_index");
    indexed.sample_size(20);
    for (name, text) in [
        ("one_event_id", format!("\"{one_id}\"")),
        ("one_address", format!("\"{one_ip}\"")),
        ("access_denied", "AccessDenied".to_string()),
        ("deploy_bot", "deploy-bot".to_string()),
        ("terraform", "terraform".to_string()),
        (
            "after_3_terms",
            "eventSource:s3.amazonaws.com readOnly:false awsRegion:us-east-1 deploy-bot"
                .to_string(),
        ),
    ] {
        let filter = Filter::parse(&text).unwrap();
        eprintln!("{name}: {text} matches {}", matches(&store, &filter).len());
        indexed.bench_function(name, |b| b.iter(|| matches(&store, &filter).len()));
    }
    indexed.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
