//! `trailscope sql`: a query in CloudTrail Lake's dialect over the events of the given files, on
//! the same engine as the page's SQL tab.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use trailscope_sql::{EngineOptions, SqlEngine, SqlError};

use crate::load::{load_paths, MemoryBudget};

/// Arguments of `trailscope sql`.
#[derive(clap::Args, Debug)]
pub struct SqlArgs {
    /// Files, folders (read recursively) and ZIP archives; or Parquet written by `trailscope
    /// export --format parquet` (files or folders), which is queried in place, never loaded.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The query, in CloudTrail Lake's dialect: any name after FROM means the loaded events
    /// (`FROM $EDS_ID` pastes as is), identifiers in any case.
    #[arg(
        long,
        short = 'q',
        value_name = "SQL",
        required_unless_present = "query_file"
    )]
    pub query: Option<String>,
    /// Read the query from this file instead.
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    pub query_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SqlFormat::Table)]
    pub format: SqlFormat,
    /// The Parquet file to write (with `--format parquet`).
    #[arg(long, value_name = "FILE", required_if_eq("format", "parquet"))]
    pub out: Option<PathBuf>,
    /// Memory the engine may use for sorts, joins and aggregates, in MiB; a query that needs
    /// more fails saying so.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub memory_mib: usize,
    /// Say on stderr how long loading and the query took.
    #[arg(long)]
    pub timing: bool,
}

/// Output formats of `trailscope sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqlFormat {
    /// An aligned table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Parquet file (`--out`).
    Parquet,
}

pub fn run(args: &SqlArgs, budget: MemoryBudget) -> anyhow::Result<ExitCode> {
    let query = match (&args.query, &args.query_file) {
        (Some(q), _) => q.clone(),
        (None, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("{}: cannot read the query", file.display()))?,
        (None, None) => anyhow::bail!("give the query with --query or --query-file"),
    };
    let started = std::time::Instant::now();
    let options = EngineOptions {
        memory_limit_bytes: args.memory_mib.saturating_mul(1 << 20),
        ..EngineOptions::default()
    };
    let parquet: Vec<bool> = args
        .paths
        .iter()
        .map(|p| trailscope_sql::is_parquet_input(p))
        .collect();
    let (engine, failed, source) = if parquet.iter().all(|&p| p) {
        let engine = match SqlEngine::over_parquet(&args.paths, options) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("trailscope: {e}");
                return Ok(ExitCode::from(1));
            }
        };
        (engine, false, "Parquet export read in place".to_string())
    } else if parquet.iter().any(|&p| p) {
        anyhow::bail!(
            "give either Parquet exports or CloudTrail files, not both: {} holds Parquet",
            args.paths
                .iter()
                .zip(&parquet)
                .find(|(_, &p)| p)
                .map(|(path, _)| path.display().to_string())
                .unwrap_or_default()
        );
    } else {
        let (store, failed) = load_paths(&args.paths, true, budget)?;
        let events = store.len();
        let engine =
            SqlEngine::over_store(Arc::new(store), options).map_err(|e| anyhow::anyhow!(e))?;
        (engine, failed, format!("{events} events loaded"))
    };
    let loaded = started.elapsed();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.partitions)
        .build()
        .context("cannot start the query runtime")?;
    let started = std::time::Instant::now();
    let answer = match runtime.block_on(engine.run(&query)) {
        Ok(answer) => answer,
        Err(e) => {
            report(&query, &e);
            return Ok(ExitCode::from(2));
        }
    };
    if args.timing {
        eprintln!(
            "trailscope: {source} in {:.2} s; query answered in {:.1} ms ({} rows)",
            loaded.as_secs_f64(),
            started.elapsed().as_secs_f64() * 1000.0,
            answer.rows()
        );
    }
    let text = match args.format {
        SqlFormat::Table => trailscope_sql::to_table(&answer)? + "\n",
        SqlFormat::Csv => trailscope_sql::to_csv(&answer)?,
        SqlFormat::Json => trailscope_sql::to_json(&answer)?,
        SqlFormat::Ndjson => trailscope_sql::to_ndjson(&answer)?,
        SqlFormat::Parquet => {
            let path = args
                .out
                .as_ref()
                .context("--format parquet needs --out FILE")?;
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            trailscope_sql::write_parquet(&answer, std::io::BufWriter::new(file))
                .with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!(
                "trailscope: {} rows written to {}",
                answer.rows(),
                path.display()
            );
            String::new()
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the output")?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The error, and the query's offending line with a caret under the position when known.
fn report(query: &str, e: &SqlError) {
    eprintln!("trailscope: SQL error: {e}");
    if let (Some(line), Some(column)) = (e.line, e.column) {
        if let Some(text) = query.lines().nth(line.saturating_sub(1) as usize) {
            eprintln!("  {text}");
            eprintln!(
                "  {}^",
                " ".repeat(text.chars().take(column.saturating_sub(1) as usize).count())
            );
        }
    }
}
