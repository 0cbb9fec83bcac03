//! Parquet written by `trailscope export`, read where it lies: the engine scans the files
//! itself, reading only the columns a query names and skipping row groups its filters rule out,
//! so a trail larger than memory is queried without loading it (`SqlEngine::over_parquet`).
//!
//! Every file is checked first, from its footer only: one that is not Parquet, or whose schema
//! is not the export's (a foreign table), is an error naming the file and what is wrong, before
//! any query runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};

use crate::error::SqlError;
use crate::schema::lake_schema;

/// Files given at most: a month of an organization trail exported by region and day is a few
/// thousand; far more is a wrong folder.
const MAX_FILES: usize = 200_000;

/// Whether `path` is Parquet input: a `.parquet` file, or a folder holding one at any depth.
pub fn is_parquet_input(path: &Path) -> bool {
    if path.is_file() {
        return has_parquet_extension(path);
    }
    let mut found = false;
    let _ = walk(path, &mut |_| {
        found = true;
        false
    });
    found
}

fn has_parquet_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Calls `each` for every `.parquet` file under `dir` (hidden entries skipped, as Spark's
/// `_SUCCESS` and `.crc` files are) until it returns false.
fn walk(dir: &Path, each: &mut dyn FnMut(PathBuf) -> bool) -> std::io::Result<bool> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(['.', '_']) {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !walk(&path, each)? {
                return Ok(false);
            }
        } else if has_parquet_extension(&path) && !each(path) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The `.parquet` files of `paths` (files as given, folders searched), each checked to be an
/// export's: readable Parquet with the export's columns and types.
pub(crate) fn export_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SqlError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        let before = files.len();
        walk(path, &mut |file| {
            files.push(file);
            files.len() <= MAX_FILES
        })
        .map_err(|e| SqlError::plain(format!("{}: cannot list the folder: {e}", path.display())))?;
        if files.len() > MAX_FILES {
            return Err(SqlError::plain(format!(
                "{}: more than {MAX_FILES} Parquet files; give the folders of the partitions to query",
                path.display()
            )));
        }
        if files.len() == before {
            return Err(SqlError::plain(format!(
                "{}: no .parquet file in this folder",
                path.display()
            )));
        }
    }
    for file in &files {
        check_file(file)?;
    }
    Ok(files)
}

/// Reads `file`'s footer and compares its schema with the export's.
fn check_file(file: &Path) -> Result<(), SqlError> {
    let name = file.display();
    let handle = std::fs::File::open(file)
        .map_err(|e| SqlError::plain(format!("{name}: cannot open: {e}")))?;
    let metadata = ArrowReaderMetadata::load(&handle, ArrowReaderOptions::new())
        .map_err(|e| SqlError::plain(format!("{name}: not a readable Parquet file: {e}")))?;
    let found = metadata.schema();
    for expected in lake_schema().fields() {
        let column = expected.name();
        match found.field_with_name(column) {
            Err(_) => {
                return Err(SqlError::plain(format!(
                    "{name}: not a Trailscope Parquet export (no column `{column}`); write one with `trailscope export --format parquet`"
                )))
            }
            Ok(field) if !field.data_type().equals_datatype(expected.data_type()) => {
                return Err(SqlError::plain(format!(
                    "{name}: column `{column}` is {} where a Trailscope export has {}",
                    field.data_type(),
                    expected.data_type()
                )))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// The events table over checked export files.
pub(crate) fn listing_table(files: &[PathBuf]) -> Result<Arc<ListingTable>, SqlError> {
    let urls = files
        .iter()
        .map(|file| {
            let absolute = std::path::absolute(file).map_err(|e| {
                SqlError::plain(format!("{}: cannot resolve the path: {e}", file.display()))
            })?;
            ListingTableUrl::parse(absolute.to_string_lossy()).map_err(SqlError::from_datafusion)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(lake_schema());
    ListingTable::try_new(config)
        .map(Arc::new)
        .map_err(SqlError::from_datafusion)
}
