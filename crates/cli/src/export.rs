//! `trailscope export`: the events (or those a filter selects) as Parquet with the SQL table's
//! schema, Hive-partitioned by region and day (`region=.../date=.../part-00000.parquet`), or as
//! one file. Spark, Athena, DuckDB and pandas read the folder as it is.
//!
//! The input is read a part at a time (a million events, or a few hundred megabytes of store),
//! each part written and dropped before the next is read, so a trail larger than memory still
//! goes through: this is the way into `trailscope sql`'s out-of-core queries. An event met in an
//! earlier part is not written again, as one store would have kept it once.

use std::collections::BTreeSet;
use std::io::{BufWriter, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use trailscope_model::Limits;
use trailscope_query::manifest::ManifestSources;
use trailscope_query::{matches, Filter};
use trailscope_sql::EventWriter;
use trailscope_store::{EventsSeen, Store};

use crate::load::{collect_inputs, report_failed, InputReader, MemoryBudget};

/// Arguments of `trailscope export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Files, folders (read recursively) and ZIP archives.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportTo::Parquet)]
    pub format: ExportTo,
    /// The folder to write (it must not exist, or be empty); with `--single-file`, the file.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only the events this filter selects (the filter language of `query`).
    // A filter often starts with a negation (`-readOnly:true`): it is the value, not a flag.
    #[arg(
        long,
        short = 'f',
        value_name = "EXPR",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub filter: String,
    /// One Parquet file instead of a partitioned folder.
    #[arg(long)]
    pub single_file: bool,
    /// Also write a manifest here (JSON): the filter, each file written with its SHA-256, and
    /// each source file the events came from with its SHA-256 as stored.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Events read into memory at a time: each part is written before the next is read, so
    /// memory stays near one part's (about 250 MB per million events) whatever the trail's
    /// size. Lower it on a machine with little memory.
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub part_events: u64,
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportTo {
    /// Apache Parquet, with the SQL table's (CloudTrail Lake's) schema.
    Parquet,
}

pub fn run(args: &ExportArgs, budget: MemoryBudget) -> anyhow::Result<ExitCode> {
    let filter = match Filter::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trailscope: bad filter: {e}");
            for line in e.pointer(&args.filter).lines() {
                eprintln!("  {line}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    if !args.single_file && args.out.exists() {
        let empty = std::fs::read_dir(&args.out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            eprintln!(
                "trailscope: {}: exists and is not an empty folder; give a new folder, so no older export mixes with this one",
                args.out.display()
            );
            return Ok(ExitCode::from(2));
        }
    }
    let (inputs, _) = collect_inputs(&args.paths)?;
    let mut reader = InputReader::new(
        &inputs,
        Limits::default(),
        std::io::stderr().is_terminal(),
        budget,
    );
    let mut single = if args.single_file {
        let file = std::fs::File::create(&args.out)
            .with_context(|| format!("{}: cannot create", args.out.display()))?;
        Some(EventWriter::new(BufWriter::new(file))?)
    } else {
        None
    };
    let Parts {
        gathered,
        failed,
        mut written_files,
        partitions,
    } = write_parts(args, &filter, &mut reader, single.as_mut()).with_context(|| {
        format!(
            "{}: incomplete, do not use it: the export stopped part-way",
            args.out.display()
        )
    })?;
    reader.finish();
    let events = gathered.events();
    if let Some(writer) = single {
        writer
            .finish()
            .with_context(|| format!("{}: cannot write", args.out.display()))?;
        let name = args.out.file_name().map_or_else(
            || args.out.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        written_files.push((name, args.out.clone()));
        eprintln!(
            "trailscope: {events} events written to {}",
            args.out.display()
        );
    } else {
        eprintln!(
            "trailscope: {events} events written to {} in {partitions} partitions (region=/date=)",
            args.out.display(),
        );
    }
    if let Some(manifest_path) = &args.manifest {
        write_manifest(manifest_path, gathered, &args.filter, &written_files)?;
        eprintln!(
            "trailscope: manifest written to {}",
            manifest_path.display()
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What the parts wrote.
struct Parts {
    gathered: ManifestSources,
    failed: bool,
    /// Written paths, relative to `--out` for a folder.
    written_files: Vec<(String, PathBuf)>,
    partitions: usize,
}

/// Reads the input a part at a time and writes each part's events (see the module
/// documentation). On an error, what was written so far stays: the caller says it is incomplete.
fn write_parts(
    args: &ExportArgs,
    filter: &Filter,
    reader: &mut InputReader<'_>,
    mut single: Option<&mut EventWriter<BufWriter<std::fs::File>>>,
) -> anyhow::Result<Parts> {
    let mut seen = EventsSeen::new();
    let mut gathered = ManifestSources::new();
    let mut failed = false;
    let mut written_files = Vec::new();
    let mut partitions_written = BTreeSet::new();
    let part_events = usize::try_from(args.part_events).unwrap_or(usize::MAX);
    for part in 0usize.. {
        let mut store = Store::new();
        let mut more = true;
        while store.len() < part_events && memory_of(&store) < PART_BYTES {
            match reader.read_next(&mut store) {
                Ok(true) => {}
                Ok(false) => {
                    more = false;
                    break;
                }
                Err(mut too_large) => {
                    too_large.export_part_events = Some(args.part_events);
                    return Err(too_large.into());
                }
            }
        }
        failed |= report_failed(&store);
        let new = seen.first_sightings(&store);
        let rows: Vec<usize> = matches(&store, filter)
            .iter()
            .filter(|&row| new.get(row).copied().unwrap_or(false))
            .collect();
        if let Some(writer) = single.as_deref_mut() {
            writer
                .write(&store, &rows)
                .with_context(|| format!("{}: cannot write", args.out.display()))?;
        } else {
            for (partition, rows) in &trailscope_sql::partitions(&store, &rows) {
                let dir = args.out.join(partition.path());
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))?;
                let name = format!("part-{part:05}.parquet");
                let path = dir.join(&name);
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("{}: cannot create", path.display()))?;
                trailscope_sql::write_events(&store, rows, BufWriter::new(file))
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                written_files.push((format!("{}/{name}", partition.path()), path));
                partitions_written.insert(partition.clone());
            }
        }
        gathered.add(&store, rows.iter().copied());
        if !more {
            break;
        }
    }
    Ok(Parts {
        gathered,
        failed,
        written_files,
        partitions: partitions_written.len(),
    })
}

/// A part ends at `--part-events` events or at this much store memory, whichever comes first
/// (real records are larger than generated ones). An export holds one part and every event's
/// dedupe key (about 30 bytes each): memory grows with the trail by the keys alone.
const PART_BYTES: usize = 384 << 20;

fn memory_of(store: &Store) -> usize {
    let memory = store.memory();
    memory
        .columns_bytes
        .saturating_add(usize::try_from(memory.records_bytes).unwrap_or(usize::MAX))
}

/// Writes the export's manifest: the files just written are hashed from disk, so the manifest
/// describes what is there, not what was meant to be.
fn write_manifest(
    path: &std::path::Path,
    gathered: ManifestSources,
    filter: &str,
    written: &[(String, PathBuf)],
) -> anyhow::Result<()> {
    use trailscope_query::manifest::{hash_file, ExportManifest, ManifestSpec, OutputFile};
    let mut outputs = Vec::with_capacity(written.len());
    for (name, file) in written {
        let (bytes, sha256) =
            hash_file(file).with_context(|| format!("{}: cannot read back", file.display()))?;
        outputs.push(OutputFile {
            name: name.clone(),
            bytes,
            sha256,
        });
    }
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let manifest = ExportManifest::of_sources(
        gathered,
        ManifestSpec {
            tool_version: env!("CARGO_PKG_VERSION"),
            made_in: "cli",
            created: trailscope_model::Timestamp::from_unix_millis(created),
            filter,
            // Parquet keeps the order the events were loaded in (grouped by partition).
            sorting: None,
            columns: &[],
            format: "parquet",
            outputs,
        },
    );
    std::fs::write(path, manifest.to_json())
        .with_context(|| format!("{}: cannot write", path.display()))
}
