//! `trailscope`: offline CloudTrail inspection and verification from the command line.
//!
//! Exit codes follow one rule for every command: 0 when everything read (or verified) is fine,
//! 1 when some input failed or was found invalid (the rest is still reported), 2 on usage errors,
//! 3 when the events would not fit in memory (see `--memory-limit`).
#![forbid(unsafe_code)]

mod conflicts;
mod detect;
mod export;
mod inspect;
mod load;
mod query;
mod spill;
mod sql;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Offline CloudTrail analysis: nothing leaves this machine.
#[derive(Parser, Debug)]
#[command(name = "trailscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Stop loading (exit 3, with a message) once the process holds this many MiB, instead of
    /// being killed by the system. Default: 80% of the memory available at the start.
    #[arg(long, global = true, value_name = "MIB")]
    memory_limit: Option<u64>,
    /// inspect, query, detect and sql: keep this many MiB of compressed original records in
    /// memory; the rest go to an unnamed temporary file (in TMPDIR), removed when the command
    /// ends. The columns stay in memory; free text, printed records and SQL's eventJson and
    /// requestParameters read the records back. On a tmpfs TMPDIR the file counts against
    /// --memory-limit.
    #[arg(long, global = true, value_name = "MIB", default_value_t = load::RECORDS_IN_MEMORY_MIB)]
    records_in_memory: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read CloudTrail files, folders and ZIP archives and report what they hold.
    Inspect {
        /// Print a JSON report instead of a table.
        #[arg(long)]
        json: bool,
        /// Files, folders (read recursively) and ZIP archives.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Verify log file integrity offline, as `aws cloudtrail validate-logs` does, and more.
    Verify {
        /// The downloaded trail: digest and log files, folders read recursively.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The trusted keys: `aws cloudtrail list-public-keys` output (CLI v1 or v2).
        #[arg(long, value_name = "FILE", required = true)]
        public_keys: Vec<PathBuf>,
        /// Digest signatures: `{key: signature}`, S3 metadata, or `aws s3api head-object`
        /// output. Without one, each digest's signature is taken from the next digest.
        #[arg(long, value_name = "FILE")]
        signatures: Vec<PathBuf>,
        /// Only digests from this time on (`2024-02-28T20:00:00Z` or `2024-02-28`).
        #[arg(long, value_name = "TIME")]
        start_time: Option<String>,
        /// Only digests up to this time (and an hour after, as aws-cli).
        #[arg(long, value_name = "TIME")]
        end_time: Option<String>,
        /// Print a JSON report.
        #[arg(long)]
        json: bool,
        /// aws-cli's exact verdicts: a digest without a sidecar signature fails, and nothing is
        /// taken from the chain.
        #[arg(long)]
        aws_cli_compat: bool,
    },
    /// Print the events a filter selects, as CSV (the console's columns), JSON or NDJSON.
    Query(query::QueryArgs),
    /// Run detection rules (CIS monitoring set, rule files, Sigma) and find anomalies.
    Detect(detect::DetectArgs),
    /// Run a SQL query in CloudTrail Lake's dialect over the events (DataFusion).
    Sql(sql::SqlArgs),
    /// Write the events as Parquet (Hive-partitioned by region and day) for Spark, Athena,
    /// DuckDB and pandas.
    Export(export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let budget = load::MemoryBudget::new(cli.memory_limit, cli.records_in_memory);
    let result = match cli.command {
        Command::Query(args) => query::run(&args, budget),
        Command::Detect(args) => detect::run(&args, budget),
        Command::Sql(args) => sql::run(&args, budget),
        Command::Export(args) => export::run(&args, budget),
        Command::Inspect { json, paths } => inspect::run(&paths, json, budget),
        Command::Verify {
            paths,
            public_keys,
            signatures,
            start_time,
            end_time,
            json,
            aws_cli_compat,
        } => verify::run(&verify::Args {
            paths,
            public_keys,
            signatures,
            start_time,
            end_time,
            json,
            aws_cli_compat,
        }),
    };
    // A record that could not be read back from the temporary file may be missing from what
    // was printed: said whatever happened next, and never a success.
    let lost = spill::read_failures();
    if lost > 0 {
        eprintln!(
            "trailscope: {lost} blocks of records could not be read back from the temporary \
             file, so the output may miss events; rerun with a larger --records-in-memory or \
             another TMPDIR"
        );
    }
    match result {
        Ok(code) if lost > 0 && code == ExitCode::SUCCESS => ExitCode::from(1),
        Ok(code) => code,
        // The reader of the output went away (`| head`): what it read is all it wanted, as
        // with any Unix filter; nothing to report.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<load::TooLarge>().is_some() => {
            eprintln!("trailscope: {e:#}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("trailscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}
