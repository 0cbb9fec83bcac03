//! An answer as text: an aligned table for people, CSV, a JSON array, NDJSON.

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
