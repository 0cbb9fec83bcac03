//! Loading into the store: parse plus columns, dedupe and compressed records.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::Store;
use trailscope_testgen::{gzip, log_file_json, EventGenerator, TrailSpec};

const EVENTS: usize = 20_000;

fn bench(c: &mut Criterion) {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let json = log_file_json(&mut generator, EVENTS);
    let gz = gzip(json.as_bytes(), 6);
    let mut group = c.benchmark_group("store_load");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.sample_size(15);
    group.bench_function("gzip_log_into_store", |b| {
        b.iter(|| {
            let mut store = Store::new();
            store.load("bench.json.gz", |batch| {
                ingest_bytes(&gz, Limits::default(), batch)
            });
            store.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
