//! The events as Parquet with the SQL table's schema: Hive-partitioned by region and day for
//! Spark, Athena, DuckDB and pandas (`region=eu-west-1/date=2024-03-01/`), or one file.
//!
//! Rows are built and written a batch at a time, so an export holds one batch of each open
//! partition, never all events as Arrow.

use std::collections::BTreeMap;
use std::io::Write;

use datafusion::arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use trailscope_store::{Field, Store};

use crate::schema::lake_schema;
use crate::table::{build_columns, BATCH_ROWS};

/// Hive's name for a partition whose value is missing.
pub const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// One partition of an export: an event's region and UTC day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    /// `awsRegion` (or [`HIVE_DEFAULT_PARTITION`]).
    pub region: String,
    /// The event's UTC day, `YYYY-MM-DD` (or [`HIVE_DEFAULT_PARTITION`]).
    pub date: String,
}

impl Partition {
    /// The partition of `row`.
    pub fn of(store: &Store, row: usize) -> Partition {
        let region = store
            .value(Field::AwsRegion, row)
            .filter(|r| !r.is_empty())
            .map_or_else(|| HIVE_DEFAULT_PARTITION.to_string(), escape);
        let date = store.time_at(row).map_or_else(
            || HIVE_DEFAULT_PARTITION.to_string(),
            |t| t.to_string().chars().take(10).collect(),
        );
        Partition { region, date }
    }

    /// Its folder below the export's root: `region=<region>/date=<date>`.
    pub fn path(&self) -> String {
        format!("region={}/date={}", self.region, self.date)
    }
}

/// A region as a path component, escaped as Hive escapes partition values: anything but
/// letters, digits, `-`, `_` and `.` becomes `%XX`, so no value can name another folder (the
/// component always starts with `region=`, so dots alone cannot climb).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `rows` (ascending) grouped by partition, in store order within each.
pub fn partitions(store: &Store, rows: &[usize]) -> BTreeMap<Partition, Vec<usize>> {
    let mut out: BTreeMap<Partition, Vec<usize>> = BTreeMap::new();
    for &row in rows {
        out.entry(Partition::of(store, row)).or_default().push(row);
    }
    out
}

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH_ROWS * 2))
        .build()
}

/// Writes `rows` (ascending) of `store` as one Parquet file with the table's schema; returns
/// the rows written.
pub fn write_events<W: Write + Send>(store: &Store, rows: &[usize], out: W) -> Result<u64> {
    let schema = lake_schema();
    let all: Vec<usize> = (0..schema.fields().len()).collect();
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(properties()))
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    for chunk in rows.chunks(BATCH_ROWS) {
        let columns = build_columns(store, &all, chunk)?;
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        writer
            .write(&batch)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
    }
    writer
        .close()
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    Ok(rows.len() as u64)
}
