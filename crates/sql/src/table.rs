//! The loaded events as a DataFusion table, built column by column on first use.
//!
//! A query reads a few columns; building all of Lake's schema for a million events (maps of
//! request parameters included) would cost seconds and gigabytes before the first answer. So
//! a scan builds only the columns it projects, once, and keeps them: the columns the store
//! already holds (`eventName`, `eventSource`, `awsRegion`, ...; the event time; `readOnly`)
//! come straight from it, and the rest from one pass over the original records.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, RecordBatch, RecordBatchOptions, StringBuilder,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field as ArrowField, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use serde_json::{Map, Value};
use trailscope_store::{Field, Store, Tri};

use crate::schema::lake_schema;

/// Rows per batch handed to the engine (and per chunk of records decoded at once).
pub(crate) const BATCH_ROWS: usize = 64 * 1024;

/// The events of a [`Store`] as the `events` table.
pub struct EventsTable {
    store: Arc<Store>,
    /// Columns built so far, by index in [`lake_schema`].
    built: Mutex<HashMap<usize, ArrayRef>>,
}

impl std::fmt::Debug for EventsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsTable")
            .field("events", &self.store.len())
            .finish()
    }
}

impl EventsTable {
    /// The table over `store`'s events, in store order.
    pub fn new(store: Arc<Store>) -> Self {
        EventsTable {
            store,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// Events in the table.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether it has no event.
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// The columns `indices` of every row, building (and keeping) those not built yet.
    pub fn columns(&self, indices: &[usize]) -> Result<Vec<ArrayRef>> {
        let mut built = self
            .built
            .lock()
            .map_err(|_| DataFusionError::Internal("a column build panicked".into()))?;
        let missing: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|i| !built.contains_key(i))
            .collect();
        if !missing.is_empty() {
            let rows: Vec<usize> = (0..self.store.len()).collect();
            let arrays = build_columns(&self.store, &missing, &rows)?;
            built.extend(missing.into_iter().zip(arrays));
        }
        indices
            .iter()
            .map(|i| {
                built
                    .get(i)
                    .cloned()
                    .ok_or_else(|| DataFusionError::Internal(format!("column {i} not built")))
            })
            .collect()
    }

    /// Heap bytes of the columns built so far (what the engine holds besides the store).
    pub fn built_bytes(&self) -> usize {
        self.built
            .lock()
            .map(|b| b.values().map(|a| a.get_array_memory_size()).sum())
            .unwrap_or(0)
    }
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        lake_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = lake_schema();
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..schema.fields().len()).collect(),
        };
        let columns = self.columns(&indices)?;
        let projected = Arc::new(schema.project(&indices)?);
        let rows = self.store.len();
        let batch = RecordBatch::try_new_with_options(
            projected.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        let batches: Vec<RecordBatch> = (0..rows)
            .step_by(BATCH_ROWS)
            .map(|start| batch.slice(start, BATCH_ROWS.min(rows - start)))
            .collect();
        Ok(MemorySourceConfig::try_new_exec(
            &[batches],
            projected,
            None,
        )?)
    }
}

/// A store column that is exactly a Lake column.
fn store_field(name: &str) -> Option<Field> {
    Some(match name {
        "eventName" => Field::EventName,
        "eventSource" => Field::EventSource,
        "awsRegion" => Field::AwsRegion,
        "sourceIPAddress" => Field::SourceIp,
        "errorCode" => Field::ErrorCode,
        "errorMessage" => Field::ErrorMessage,
        "userAgent" => Field::UserAgent,
        "eventType" => Field::EventType,
        "eventCategory" => Field::EventCategory,
        _ => return None,
    })
}

/// Columns `indices` of [`lake_schema`] for the store rows `rows` (ascending).
pub(crate) fn build_columns(
    store: &Store,
    indices: &[usize],
    rows: &[usize],
) -> Result<Vec<ArrayRef>> {
    if !rows.is_sorted() {
        return Err(DataFusionError::Internal("rows must be ascending".into()));
    }
    let schema = lake_schema();
    let mut out: Vec<Option<ArrayRef>> = vec![None; indices.len()];
    // Columns read from the records, decoded together in one pass.
    let mut from_records: Vec<(usize, ArrowField)> = Vec::new();
    for (slot, &index) in indices.iter().enumerate() {
        let field = schema.field(index);
        let name = field.name().as_str();
        let array: Option<ArrayRef> = if let Some(column) = store_field(name) {
            let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
            for &row in rows {
                b.append_option(store.value(column, row));
            }
            Some(Arc::new(b.finish()))
        } else if name == "eventID" {
            let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 36);
            for &row in rows {
                b.append_option(store.event_id(row));
            }
            Some(Arc::new(b.finish()))
        } else if name == "eventTime" {
            let mut b = TimestampMillisecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
            for &row in rows {
                b.append_option(store.time_at(row).map(|t| t.unix_millis()));
            }
            Some(Arc::new(b.finish()))
        } else if name == "eventJson" {
            let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 1024);
            // A chunk at a time; within one, rows come back in block order: each record is
            // put at its row.
            for chunk in rows.chunks(BATCH_ROWS) {
                let mut texts: Vec<Option<String>> = vec![None; chunk.len()];
                store.records().with_records(chunk, |row, bytes| {
                    if let Some(cell) = chunk
                        .binary_search(&row)
                        .ok()
                        .and_then(|i| texts.get_mut(i))
                    {
                        *cell = Some(String::from_utf8_lossy(bytes).into_owned());
                    }
                });
                for text in texts {
                    b.append_option(text);
                }
            }
            Some(Arc::new(b.finish()))
        } else if name == "readOnly" {
            let mut b = BooleanBuilder::with_capacity(rows.len());
            for &row in rows {
                b.append_option(match store.read_only(row) {
                    Tri::Yes => Some(true),
                    Tri::No => Some(false),
                    Tri::Unknown => None,
                });
            }
            Some(Arc::new(b.finish()))
        } else {
            from_records.push((slot, field.clone()));
            None
        };
        if let (Some(array), Some(cell)) = (array, out.get_mut(slot)) {
            *cell = Some(array);
        }
    }
    if !from_records.is_empty() {
        let fields: Vec<ArrowField> = from_records.iter().map(|(_, f)| f.clone()).collect();
        let arrays = decode_records(store, &fields, rows)?;
        for ((slot, _), array) in from_records.iter().zip(arrays) {
            if let Some(cell) = out.get_mut(*slot) {
                *cell = Some(array);
            }
        }
    }
    out.into_iter()
        .map(|a| a.ok_or_else(|| DataFusionError::Internal("a column was not built".into())))
        .collect()
}

/// `fields` read from the original records of `rows`: each record is shaped to the schema
/// (see [`conform`]) and decoded by arrow-json, a chunk at a time.
fn decode_records(store: &Store, fields: &[ArrowField], rows: &[usize]) -> Result<Vec<ArrayRef>> {
    let schema = Arc::new(Schema::new(fields.to_vec()));
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(BATCH_ROWS)
        .build_decoder()?;
    // A chunk of rows at a time, so only one chunk of shaped records is ever held (shaping a
    // million records at once took gigabytes). Within a chunk, records come back grouped by
    // compressed block, not always in row order: each is shaped into its row's place first,
    // then the chunk is decoded in row order.
    let mut batches: Vec<RecordBatch> = Vec::new();
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut shaped: Vec<Value> = vec![Value::Object(Map::new()); chunk.len()];
        store.records().with_records(chunk, |row, bytes| {
            // A record the store kept always parsed once; should one not parse now, its row
            // still gets nulls rather than shifting every row after it.
            let record: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            let mut object = Map::with_capacity(fields.len());
            for f in fields {
                let value = record
                    .get(f.name())
                    .map_or(Value::Null, |v| conform(v, f.data_type()));
                object.insert(f.name().clone(), value);
            }
            if let Some(cell) = chunk
                .binary_search(&row)
                .ok()
                .and_then(|i| shaped.get_mut(i))
            {
                *cell = Value::Object(object);
            }
        });
        decoder.serialize(&shaped)?;
        if let Some(batch) = decoder.flush()? {
            batches.push(batch);
        }
    }
    let batch = datafusion::arrow::compute::concat_batches(&schema, &batches)?;
    if batch.num_rows() != rows.len() {
        return Err(DataFusionError::Internal(format!(
            "{} records decoded for {} rows",
            batch.num_rows(),
            rows.len()
        )));
    }
    Ok(batch.columns().to_vec())
}

/// `value` shaped to `data_type`, so that no record can make the decoder fail: text columns
/// take any scalar as its text and any object or array as its compact JSON; a map keeps each
/// top-level value as a string (Lake's `map<string, string>`); a value of the wrong shape for
/// a struct, list, number or flag is null.
pub(crate) fn conform(value: &Value, data_type: &DataType) -> Value {
    match (data_type, value) {
        (_, Value::Null) => Value::Null,
        (DataType::Utf8, Value::String(s)) => Value::String(s.clone()),
        (DataType::Utf8, other) => Value::String(other.to_string()),
        (DataType::Boolean, Value::Bool(b)) => Value::Bool(*b),
        (DataType::Boolean, Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        (DataType::Struct(fields), Value::Object(object)) => Value::Object(
            fields
                .iter()
                .map(|f| {
                    let v = object
                        .get(f.name())
                        .map_or(Value::Null, |v| conform(v, f.data_type()));
                    (f.name().clone(), v)
                })
                .collect(),
        ),
        (DataType::List(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|v| conform(v, item.data_type())).collect())
        }
        (DataType::Map(_, _), Value::Object(object)) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), conform(v, &DataType::Utf8)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hostile_shapes_conform_instead_of_failing() {
        let schema = lake_schema();
        let record = json!({
            "userIdentity": "not an object",
            "resources": {"not": "a list"},
            "requestParameters": {"bucketName": "b", "nested": {"a": [1, 2]}, "n": 3, "z": null},
            "readOnly": "TRUE",
            "tlsDetails": {"tlsVersion": 1.2},
            "insightDetails": {"insightContext": {"statistics": {"baseline": {"average": 0.5}}}}
        });
        let shaped = |name: &str| {
            conform(
                record.get(name).unwrap(),
                schema.field_with_name(name).unwrap().data_type(),
            )
        };
        assert_eq!(shaped("userIdentity"), Value::Null);
        assert_eq!(shaped("resources"), Value::Null);
        assert_eq!(
            shaped("requestParameters"),
            json!({"bucketName": "b", "nested": "{\"a\":[1,2]}", "n": "3", "z": null})
        );
        assert_eq!(shaped("readOnly"), json!(true));
        assert_eq!(shaped("tlsDetails")["tlsVersion"], json!("1.2"));
        assert_eq!(
            shaped("insightDetails")["insightContext"],
            json!("{\"statistics\":{\"baseline\":{\"average\":0.5}}}")
        );
    }
}
