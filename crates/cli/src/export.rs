//! `trailscope export`: the events (or those a filter selects) as Parquet with the SQL table's
//! schema, Hive-partitioned by region and day (`region=.../date=.../part-00000.parquet`), or as
//! one file. Spark, Athena, DuckDB and pandas read the folder as it is.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use trailscope_query::{matches, Filter};

use crate::load::load_paths;

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
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportTo {
    /// Apache Parquet, with the SQL table's (CloudTrail Lake's) schema.
    Parquet,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<ExitCode> {
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
    let (store, failed) = load_paths(&args.paths, true)?;
    let rows: Vec<usize> = matches(&store, &filter).iter().collect();
    // Written paths, relative to `--out` for a folder.
    let mut written_files: Vec<(String, PathBuf)> = Vec::new();
    if args.single_file {
        let file = std::fs::File::create(&args.out)
            .with_context(|| format!("{}: cannot create", args.out.display()))?;
        let written = trailscope_sql::write_events(&store, &rows, std::io::BufWriter::new(file))
            .with_context(|| format!("{}: cannot write", args.out.display()))?;
        let name = args.out.file_name().map_or_else(
            || args.out.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        written_files.push((name, args.out.clone()));
        eprintln!(
            "trailscope: {written} events written to {}",
            args.out.display()
        );
    } else {
        let partitions = trailscope_sql::partitions(&store, &rows);
        for (partition, rows) in &partitions {
            let dir = args.out.join(partition.path());
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            let path = dir.join("part-00000.parquet");
            let file = std::fs::File::create(&path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            trailscope_sql::write_events(&store, rows, std::io::BufWriter::new(file))
                .with_context(|| format!("{}: cannot write", path.display()))?;
            written_files.push((format!("{}/part-00000.parquet", partition.path()), path));
        }
        eprintln!(
            "trailscope: {} events written to {} in {} partitions (region=/date=)",
            rows.len(),
            args.out.display(),
            partitions.len()
        );
    }
    if let Some(manifest_path) = &args.manifest {
        write_manifest(manifest_path, &store, &rows, &args.filter, &written_files)?;
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

/// Writes the export's manifest: the files just written are hashed from disk, so the manifest
/// describes what is there, not what was meant to be.
fn write_manifest(
    path: &std::path::Path,
    store: &trailscope_store::Store,
    rows: &[usize],
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
    let manifest = ExportManifest::new(
        store,
        rows.iter().copied(),
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
