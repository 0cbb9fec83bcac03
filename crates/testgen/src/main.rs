//! `trailscope-gen`: writes generated CloudTrail data to disk, for benchmarks and manual tests.
// clap turns the doc comments below into `--help` text, where `<account>` is a placeholder, not
// an HTML tag.
#![allow(rustdoc::invalid_html_tags)]
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use trailscope_testgen::{
    signed_trail, write_fixtures, write_forgeries, write_real_shaped, write_trail, SignedTrailSpec,
    TrailLayout, TrailSpec,
};

#[derive(Parser)]
#[command(name = "trailscope-gen", about = "Generate CloudTrail test data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A trail of gzip S3 log files below OUT (AWSLogs/<account>/CloudTrail/<region>/...).
    Trail {
        /// Number of events.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// gzip level (1 is fastest; CloudTrail uses 6).
        #[arg(long, default_value_t = 6)]
        gzip_level: u32,
        /// The bucket folder to write into.
        out: PathBuf,
    },
    /// A trail shaped like a real S3 data-event trail: long object keys, many distinct values,
    /// resources and additionalEventData, about 250 records per file, some events delivered
    /// twice in two files.
    RealShaped {
        /// Number of distinct events.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The bucket folder to write into.
        out: PathBuf,
    },
    /// A signed trail (logs, chained digests signed with test keys) below OUT/<bucket>/, with
    /// OUT/public-keys.json and OUT/signatures.json.
    SignedTrail {
        /// Hourly digests.
        #[arg(long, default_value_t = 24)]
        hours: usize,
        /// Log files per hour.
        #[arg(long, default_value_t = 12)]
        logs_per_hour: usize,
        /// Events per log file.
        #[arg(long, default_value_t = 100)]
        events_per_log: usize,
        /// The folder to write into.
        out: PathBuf,
    },
    /// Forged trails (one folder per attack on verification, with `expected.json`).
    Forgeries {
        /// The folder to write into.
        out: PathBuf,
    },
    /// One gzip log file of many small records (the memory benchmark of a single huge file).
    OneFile {
        /// Number of events.
        #[arg(long, default_value_t = 5_000_000)]
        events: u64,
        /// The file to write.
        out: PathBuf,
    },
    /// A week of an account's trail with planted attacks (exfiltration, privilege escalation,
    /// root rewriting a bucket policy) among busy, periodic and bursty traffic; prints what was
    /// planted.
    Attacks {
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to write into.
        out: PathBuf,
    },
    /// Files in every input shape, good and broken, with `manifest.json` saying what each holds.
    Fixtures {
        /// The folder to write into.
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Trail {
            events,
            seed,
            gzip_level,
            out,
        } => {
            let spec = TrailSpec {
                seed,
                ..TrailSpec::default()
            };
            let mut layout = TrailLayout::new(&out);
            layout.gzip_level = gzip_level;
            let files = write_trail(&spec, events, &layout)?;
            let json: u64 = files.iter().map(|f| f.json_bytes).sum();
            let gz: u64 = files.iter().map(|f| f.gzip_bytes).sum();
            println!(
                "{} events in {} files: {json} bytes of JSON, {gz} bytes gzip",
                events,
                files.len()
            );
        }
        Command::RealShaped { events, seed, out } => {
            let files = write_real_shaped(&out, events, seed)?;
            let records: u64 = files.iter().map(|f| f.events).sum();
            let json: u64 = files.iter().map(|f| f.json_bytes).sum();
            let gz: u64 = files.iter().map(|f| f.gzip_bytes).sum();
            println!(
                "{events} events ({records} records with the copies) in {} files: {json} bytes of JSON, {gz} bytes gzip",
                files.len()
            );
        }
        Command::SignedTrail {
            hours,
            logs_per_hour,
            events_per_log,
            out,
        } => {
            let spec = SignedTrailSpec {
                hours,
                logs_per_hour,
                events_per_log,
                rotate_at: Some(hours / 2),
                ..SignedTrailSpec::default()
            };
            let trail = signed_trail(&spec);
            let mut gz = 0u64;
            for (path, bytes) in &trail.files {
                let full = out.join(path);
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&full, bytes)?;
                gz += bytes.len() as u64;
            }
            std::fs::write(out.join("public-keys.json"), &trail.public_keys_json)?;
            std::fs::write(out.join("signatures.json"), &trail.signatures_json)?;
            println!(
                "{} digests, {} files, {gz} bytes stored",
                trail.digests.len(),
                trail.files.len()
            );
        }
        Command::Forgeries { out } => {
            let n = write_forgeries(&out)?;
            println!("{n} forged trails in {}", out.display());
        }
        Command::OneFile { events, out } => {
            use std::io::Write;
            let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::new(6));
            gz.write_all(b"{\"Records\":[")?;
            for i in 0..events {
                let (minutes, hour_day) = (i % 60, i / 60);
                write!(
                    gz,
                    "{}{{\"eventVersion\":\"1.08\",\"eventID\":\"{i:08x}-0000-4000-8000-000000000000\",\
                     \"eventTime\":\"2024-03-{:02}T{:02}:{minutes:02}:00Z\",\"eventName\":\"Get{}\",\
                     \"eventSource\":\"s3.amazonaws.com\",\"awsRegion\":\"us-east-1\"}}",
                    if i == 0 { "" } else { "," },
                    1 + (hour_day / 24) % 28,
                    hour_day % 24,
                    i % 1000,
                )?;
            }
            gz.write_all(b"]}")?;
            gz.finish()?.flush()?;
            println!("{events} events in {}", out.display());
        }
        Command::Attacks { seed, out } => {
            let scenario = trailscope_testgen::write_attack_scenario(&out, seed)?;
            println!(
                "{} events with planted attacks in {}:",
                scenario.records.len(),
                out.display()
            );
            for p in &scenario.planted {
                println!("  {} by {} at {} ms", p.name, p.principal, p.start_millis);
            }
        }
        Command::Fixtures { out } => {
            let manifest = write_fixtures(&out)?;
            std::fs::write(out.join("manifest.json"), manifest.to_json())?;
            println!(
                "{} fixture files in {}",
                manifest.files.len(),
                out.display()
            );
        }
    }
    Ok(())
}
