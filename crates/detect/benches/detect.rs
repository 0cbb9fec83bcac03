//! All built-in rules, and the anomaly model, over 1,000,000 generated events.
// Bench code: a failed unwrap is a failed bench.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use trailscope_detect::anomaly::behaviour::{detect_behaviour, BehaviourOptions};
use trailscope_detect::anomaly::{detect_anomalies, AnomalyOptions};
use trailscope_detect::RuleSet;
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::Store;
use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

const EVENTS: usize = 1_000_000;
const PER_FILE: usize = 50_000;

fn store() -> Store {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let mut store = Store::new();
    for file in 0..EVENTS / PER_FILE {
        let json = log_file_json(&mut generator, PER_FILE);
        store.load(&format!("f{file}.json"), |b| {
            ingest_bytes(json.as_bytes(), Limits::default(), b)
        });
    }
    store
}

fn bench(c: &mut Criterion) {
    let store = store();
    let rules = RuleSet::builtin();
    let mut group = c.benchmark_group("detect_1m");
    group.throughput(Throughput::Elements(store.len() as u64));
    group.sample_size(10);
    group.bench_function("builtin_rules", |b| b.iter(|| rules.evaluate(&store).len()));
    // The same without the rules that read JSON paths (console sign-in and root rules): the
    // difference is the cost of decompressing and parsing their candidate records.
    let reads_json = [
        "cis-4.2",
        "console-login-without-mfa-sso-tolerant",
        "cis-4.3",
        "console-login-brute-force",
    ];
    let columns_only = RuleSet::new(
        rules
            .rules()
            .iter()
            .filter(|r| !reads_json.contains(&r.id.as_str()))
            .cloned()
            .collect(),
    )
    .unwrap();
    group.bench_function("builtin_rules_columns_only", |b| {
        b.iter(|| columns_only.evaluate(&store).len())
    });
    let options = AnomalyOptions::default();
    group.bench_function("anomalies", |b| {
        b.iter(|| detect_anomalies(&store, &options).len())
    });
    let behaviour = BehaviourOptions::default();
    group.bench_function("behaviour", |b| {
        b.iter(|| detect_behaviour(&store, &behaviour).len())
    });
    // Everything the Findings and Anomalies views run, together (the 2 s budget in the page).
    group.bench_function("all_detections", |b| {
        b.iter(|| {
            rules.evaluate(&store).len()
                + detect_anomalies(&store, &options).len()
                + detect_behaviour(&store, &behaviour).len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
