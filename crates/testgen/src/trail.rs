//! Lays generated events out as a trail's S3 log files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::write::GzEncoder;
use flate2::Compression;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::events::{civil_from_days, EventGenerator, TrailSpec};

/// One log file written.
#[derive(Clone, Debug)]
pub struct LogFile {
    /// Its S3 key (path below the bucket folder).
    pub key: String,
    /// Events it holds.
    pub events: u64,
    /// Size of its JSON.
    pub json_bytes: u64,
    /// Size of the gzip file.
    pub gzip_bytes: u64,
}

/// Where and how to write a trail.
#[derive(Clone, Debug)]
pub struct TrailLayout {
    /// The bucket folder; keys start with `AWSLogs/` below it.
    pub root: PathBuf,
    /// Delivery window: CloudTrail delivers about every five minutes.
    pub window_seconds: i64,
    /// gzip level (CloudTrail uses the default, 6).
    pub gzip_level: u32,
}

impl TrailLayout {
    /// The usual layout below `root`.
    pub fn new(root: &Path) -> Self {
        TrailLayout {
            root: root.to_path_buf(),
            window_seconds: 300,
            gzip_level: 6,
        }
    }
}

/// `{"Records":[...]}` of `n` records.
pub fn log_file_json(generator: &mut EventGenerator, n: usize) -> String {
    let mut out = String::with_capacity(n * 1600 + 16);
    out.push_str("{\"Records\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        generator.write_record(&mut out);
    }
    out.push_str("]}");
    out
}

/// gzip at `level`.
pub fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 8), Compression::new(level));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

struct Pending {
    window: i64,
    records: String,
    count: u64,
}

/// Writes `events` events as log files and returns them in the order written.
pub fn write_trail(
    spec: &TrailSpec,
    events: u64,
    layout: &TrailLayout,
) -> anyhow::Result<Vec<LogFile>> {
    let mut generator = EventGenerator::new(spec);
    let mut names = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5eed);
    let mut pending: BTreeMap<(String, String), Pending> = BTreeMap::new();
    let mut written = Vec::new();
    let mut record = String::with_capacity(4096);
    for _ in 0..events {
        record.clear();
        let at = generator.write_record(&mut record) / 1000;
        let (account, region) = owner_of(&record);
        let window = at.div_euclid(layout.window_seconds);
        let slot = pending
            .entry((account.clone(), region.clone()))
            .or_insert_with(|| Pending {
                window,
                records: String::new(),
                count: 0,
            });
        if slot.window != window && slot.count > 0 {
            let done = std::mem::replace(
                slot,
                Pending {
                    window,
                    records: String::new(),
                    count: 0,
                },
            );
            written.push(flush(layout, &account, &region, done, &mut names)?);
        }
        let slot = pending.entry((account, region)).or_insert_with(|| Pending {
            window,
            records: String::new(),
            count: 0,
        });
        slot.window = window;
        if slot.count > 0 {
            slot.records.push(',');
        }
        slot.records.push_str(&record);
        slot.count += 1;
    }
    for ((account, region), done) in std::mem::take(&mut pending) {
        if done.count > 0 {
            written.push(flush(layout, &account, &region, done, &mut names)?);
        }
    }
    Ok(written)
}

/// The account and region a generated record belongs to (read back from its JSON).
fn owner_of(record: &str) -> (String, String) {
    let field = |name: &str| {
        let tag = format!("\"{name}\":\"");
        record
            .find(&tag)
            .and_then(|i| record.get(i + tag.len()..))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_string()
    };
    (field("recipientAccountId"), field("awsRegion"))
}

fn flush(
    layout: &TrailLayout,
    account: &str,
    region: &str,
    done: Pending,
    names: &mut ChaCha8Rng,
) -> anyhow::Result<LogFile> {
    // Delivered at the end of the window.
    let delivered = (done.window + 1) * layout.window_seconds;
    let (y, m, d) = civil_from_days(delivered.div_euclid(86_400));
    let secs = delivered.rem_euclid(86_400);
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let unique: String = (0..16)
        .map(|_| ALNUM[names.random_range(0..ALNUM.len())] as char)
        .collect();
    let key = format!(
        "AWSLogs/{account}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{:02}{:02}Z_{unique}.json.gz",
        secs / 3600,
        secs % 3600 / 60
    );
    let json = format!("{{\"Records\":[{}]}}", done.records);
    let gz = gzip(json.as_bytes(), layout.gzip_level);
    let path = layout.root.join(&key);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&path, &gz).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(LogFile {
        key,
        events: done.count,
        json_bytes: json.len() as u64,
        gzip_bytes: gz.len() as u64,
    })
}
