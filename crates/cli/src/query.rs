//! `trailscope query`: the events a filter selects, as the console's CSV, CloudTrail JSON or
//! one record per line, streamed to stdout.

use std::io::{BufWriter, ErrorKind};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use trailscope_query::columns::{write_table_csv, ColumnKind};
use trailscope_query::emit_sql::{filter_query, SqlDialect};
use trailscope_query::{
    export, matches, ordered, ExportFormat, Filter, Order, ParseError, QueryRequest, SortBy,
    Sorting,
};

use crate::load::{load_paths, MemoryBudget};

/// Arguments of `trailscope query`.
#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// Files, folders (read recursively) and ZIP archives.
    #[arg(required_unless_present = "emit_sql", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Filter expression, e.g. 'eventSource:iam.amazonaws.com -readOnly:true ip:10.0.0.0/8'.
    // A filter often starts with a negation (`-readOnly:true`): it is the value, not a flag.
    #[arg(
        long,
        short = 'f',
        value_name = "EXPR",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub filter: String,
    /// Only events at or after this time (`2024-02-28T20:00:00Z`, or a date for its start).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only events up to this time (a date includes the whole day).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Oldest or newest events first.
    #[arg(long, value_enum, default_value_t = TimeOrder::Oldest)]
    pub order: TimeOrder,
    /// Sort by a column's value instead of time (`eventName`, `user`, `ip`, ...; a leading `-`
    /// for largest first). Rows without a value come last.
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// CSV with these columns instead of the console's, comma-separated: the page's column ids
    /// (`time,event-name,user,source-ip,resources,...`) or `path:` and any path into the record
    /// (`path:requestParameters.bucketName`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Print the filter as SQL for a distributed engine instead of running it: Athena over
    /// the CloudTrail table AWS documents, or Spark SQL over `export --format parquet` read as
    /// the view `events`. No input is read.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub emit_sql: Option<EmitSql>,
}

/// Engines `--emit-sql` writes for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EmitSql {
    /// Amazon Athena (`cloudtrail_logs`, JSON SerDe).
    Athena,
    /// Spark SQL over the Parquet export (view `events`).
    Spark,
}

impl EmitSql {
    /// The SQL dialect of the engine.
    pub fn dialect(self) -> SqlDialect {
        match self {
            EmitSql::Athena => SqlDialect::Athena,
            EmitSql::Spark => SqlDialect::Spark,
        }
    }
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// The console's Event history CSV (16 columns).
    Csv,
    /// `{"Records":[...]}` with the original records.
    Json,
    /// One original record per line.
    Ndjson,
}

/// Row order.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TimeOrder {
    /// Oldest first.
    Oldest,
    /// Newest first, as the console lists events.
    Newest,
}

pub fn run(args: &QueryArgs, budget: MemoryBudget) -> anyhow::Result<ExitCode> {
    let filter = match build_filter(args) {
        Ok(filter) => filter,
        Err((what, text, e)) => {
            eprintln!("trailscope: bad {what}: {e}");
            for line in e.pointer(&text).lines() {
                eprintln!("  {line}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(engine) = args.emit_sql {
        return Ok(match filter_query(&filter, engine.dialect()) {
            Ok(sql) => {
                println!("{sql};");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("trailscope: cannot express the filter in SQL: {e}");
                ExitCode::from(2)
            }
        });
    }
    let order = match args.order {
        TimeOrder::Oldest => Order::OldestFirst,
        TimeOrder::Newest => Order::NewestFirst,
    };
    let sort = args
        .sort
        .as_deref()
        .map(|field| match field.strip_prefix('-') {
            Some(field) => SortBy {
                field: field.to_string(),
                descending: true,
            },
            None => SortBy {
                field: field.to_string(),
                descending: false,
            },
        });
    let sorting = match Sorting::of(&QueryRequest {
        order,
        sort,
        ..QueryRequest::default()
    }) {
        Ok(sorting) => sorting,
        Err(e) => {
            eprintln!("trailscope: bad --sort: {}", e.message);
            return Ok(ExitCode::from(2));
        }
    };
    let columns = match args
        .columns
        .iter()
        .map(|id| ColumnKind::of(id.trim()))
        .collect::<Result<Vec<_>, String>>()
    {
        Ok(columns) => columns,
        Err(e) => {
            eprintln!("trailscope: bad --columns: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if !columns.is_empty() && !matches!(args.format, Format::Csv) {
        eprintln!("trailscope: --columns chooses CSV columns; it needs --format csv");
        return Ok(ExitCode::from(2));
    }
    let (mut store, failed) = load_paths(&args.paths, true, budget)?;
    let selection = matches(&store, &filter);
    let rows = ordered(&mut store, &selection, sorting);
    let format = match args.format {
        Format::Csv => ExportFormat::Csv,
        Format::Json => ExportFormat::Json,
        Format::Ndjson => ExportFormat::Ndjson,
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = if columns.is_empty() {
        export(&store, &rows, format, &mut out, |_| {})
    } else {
        write_table_csv(&store, &rows, &columns, &mut out, |_| {})
    };
    match written {
        Ok(()) => {}
        // The reader went away (`| head`): nothing more to do.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("cannot write the output"),
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The filter expression with `--from` and `--to` added as terms; on error, which option was
/// wrong, its text, and the error.
fn build_filter(args: &QueryArgs) -> Result<Filter, (&'static str, String, ParseError)> {
    let mut filter = Filter::parse(&args.filter).map_err(|e| ("filter", args.filter.clone(), e))?;
    for (what, key, value) in [("--from", "from", &args.from), ("--to", "to", &args.to)] {
        if let Some(value) = value {
            let term = format!("{key}:{value}");
            let extra = Filter::parse(&term).map_err(|e| (what, term.clone(), e))?;
            filter.terms.extend(extra.terms);
        }
    }
    Ok(filter)
}
