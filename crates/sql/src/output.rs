//! An answer as text: an aligned table for people, CSV, a JSON array, NDJSON, and cells for the
//! page's result table.

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::{DataFusionError, Result};

use crate::engine::SqlAnswer;

/// The answer as an aligned text table.
pub fn to_table(answer: &SqlAnswer) -> Result<String> {
    Ok(datafusion::arrow::util::pretty::pretty_format_batches(&answer.batches)?.to_string())
}

/// How values are written as text: nulls empty, times in RFC 3339.
fn options() -> FormatOptions<'static> {
    FormatOptions::default().with_null("")
}

/// The answer as CSV (RFC 4180; nested values as their display text).
pub fn to_csv(answer: &SqlAnswer) -> Result<String> {
    let mut out = String::new();
    let header: Vec<String> = answer
        .schema
        .fields()
        .iter()
        .map(|f| csv_cell(f.name()))
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    let options = options();
    for batch in &answer.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| csv_cell(&f.value(row).to_string()))
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    Ok(out)
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The answer's rows written by arrow-json in format `F`, columns in order, nulls written.
fn json_text<F: arrow_json::writer::JsonFormat>(answer: &SqlAnswer) -> Result<String> {
    let mut writer = arrow_json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, F>(Vec::new());
    for batch in &answer.batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    String::from_utf8(writer.into_inner()).map_err(|e| DataFusionError::External(Box::new(e)))
}

/// The answer as a JSON array of objects, columns in order, nulls written.
pub fn to_json(answer: &SqlAnswer) -> Result<String> {
    let mut text = json_text::<arrow_json::writer::JsonArray>(answer)?;
    if text.is_empty() {
        text.push_str("[]");
    }
    text.push('\n');
    Ok(text)
}

/// The answer as one JSON object per line.
pub fn to_ndjson(answer: &SqlAnswer) -> Result<String> {
    json_text::<arrow_json::writer::LineDelimited>(answer)
}

/// The answer as one Parquet file (Snappy-compressed, the answer's schema).
pub fn write_parquet<W: std::io::Write + Send>(
    answer: &SqlAnswer,
    out: W,
) -> std::result::Result<(), parquet::errors::ParquetError> {
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(out, answer.schema.clone(), Some(properties))?;
    for batch in &answer.batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}

/// An answer's first rows as text, for a result table on screen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    /// Column names, as the query named them.
    pub columns: Vec<String>,
    /// Each column's Arrow type, as Arrow writes it (`Utf8`, `Int64`, ...).
    pub types: Vec<String>,
    /// The first rows; a null is `None`.
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows in the whole answer.
    pub total_rows: u64,
    /// Distinct values of the answer's `eventID` column (any case), in order, at most the
    /// number asked for: the events the answer is about.
    pub event_ids: Vec<String>,
}

/// The first `max_rows` rows of `answer` as text (times in RFC 3339, nested values as their
/// display text), and up to `max_event_ids` of its event IDs.
pub fn to_cells(answer: &SqlAnswer, max_rows: usize, max_event_ids: usize) -> Result<Cells> {
    let fields = answer.schema.fields();
    let event_id_column = fields
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case("eventid"));
    let mut cells = Cells {
        columns: fields.iter().map(|f| f.name().clone()).collect(),
        types: fields.iter().map(|f| f.data_type().to_string()).collect(),
        rows: Vec::new(),
        total_rows: answer.rows() as u64,
        event_ids: Vec::new(),
    };
    let mut seen_ids = std::collections::HashSet::new();
    let options = FormatOptions::default();
    for batch in &answer.batches {
        let want_rows = cells.rows.len() < max_rows;
        let want_ids = event_id_column.is_some() && cells.event_ids.len() < max_event_ids;
        if !want_rows && !want_ids {
            break;
        }
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            if cells.rows.len() < max_rows {
                let values = batch
                    .columns()
                    .iter()
                    .zip(&formatters)
                    .map(|(column, f)| (!column.is_null(row)).then(|| f.value(row).to_string()))
                    .collect();
                cells.rows.push(values);
            }
            let id_column =
                event_id_column.and_then(|i| batch.columns().get(i).zip(formatters.get(i)));
            if let Some((column, f)) = id_column {
                if cells.event_ids.len() < max_event_ids && !column.is_null(row) {
                    let id = f.value(row).to_string();
                    if seen_ids.insert(id.clone()) {
                        cells.event_ids.push(id);
                    }
                }
            }
        }
    }
    Ok(cells)
}
