//! Parsing throughput on a generated corpus: MB/s of JSON and events/s, stage by stage.
// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use trailscope_model::parts::Gunzip;
use trailscope_model::parts::{SplitLimits, Splitter};
use trailscope_model::{ingest_bytes, Event, EventSink, Limits};
use trailscope_testgen::{gzip, log_file_json, EventGenerator, TrailSpec};

const EVENTS: usize = 20_000;

struct Count(u64);
impl EventSink for Count {
    type Error = std::convert::Infallible;
    fn accept(&mut self, e: &Event<'_>) -> Result<(), Self::Error> {
        self.0 += e.raw.len() as u64 & 1;
        Ok(())
    }
}

fn corpus() -> (String, Vec<u8>) {
    let mut generator = EventGenerator::new(&TrailSpec::default());
    let json = log_file_json(&mut generator, EVENTS);
    let gz = gzip(json.as_bytes(), 6);
    (json, gz)
}

fn bench(c: &mut Criterion) {
    let (json, gz) = corpus();
    let mut group = c.benchmark_group("json_bytes");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.sample_size(20);
    group.bench_function("split_only", |b| {
        b.iter(|| {
            let mut splitter = Splitter::new(SplitLimits {
                max_depth: 64,
                max_record_bytes: 8 << 20,
            });
            let mut n = 0u64;
            let _ = splitter.feed::<()>(json.as_bytes(), &mut |_| {
                n += 1;
                Ok(())
            });
            n
        })
    });
    group.bench_function("gunzip_only", |b| {
        b.iter(|| {
            let mut gunzip = Gunzip::new();
            let mut n = 0usize;
            let _ = gunzip.feed::<()>(&gz, &mut |_, bytes| {
                n += bytes.len();
                Ok(())
            });
            n
        })
    });
    group.bench_function("parse_plain_json", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            ingest_bytes(json.as_bytes(), Limits::default(), &mut sink).events
        })
    });
    group.bench_function("parse_gzip", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            ingest_bytes(&gz, Limits::default(), &mut sink).events
        })
    });
    group.finish();

    let mut group = c.benchmark_group("events");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    group.bench_function("parse_plain_json", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            ingest_bytes(json.as_bytes(), Limits::default(), &mut sink).events
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
