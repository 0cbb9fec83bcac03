//! The store worker's answers to the investigation view: queries, row windows, exports.
//!
//! The last query's selection stays here, so scrolling asks only for row positions and an
//! export writes exactly what the page shows.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use trailscope_protocol::{RequestId, Response};
use trailscope_query::manifest::{ExportManifest, HashingWriter, ManifestSpec, OutputFile};
use trailscope_query::{
    export, ordered, page, run_query_within, ExportFormat, ExportProgress, QueryRequest, RowSet,
    Sorting,
};
use trailscope_store::Store;

use super::{now_millis, post_json_to_page, post_to_page};

/// Bytes of export sent per message.
const EXPORT_CHUNK: usize = 8 << 20;

/// The current selection and what detection found, between messages.
#[derive(Default)]
pub(crate) struct QueryState {
    selection: Option<(RowSet, Sorting)>,
    /// The filter of the selection, as typed (exports are named after it).
    filter: String,
    /// Rows each rule matched, by rule id and alias (for `finding:<id>` terms).
    pub(crate) findings: HashMap<String, RowSet>,
}

impl QueryState {
    /// Forgets the selection and the findings (the store changed).
    pub(crate) fn clear(&mut self) {
        *self = QueryState::default();
    }

    /// The rows of the current selection, ascending; `None` before the first query.
    pub(crate) fn selected_rows(&self) -> Option<Vec<u32>> {
        self.selection.as_ref().map(|(rows, _)| rows.to_vec())
    }

    /// The manifest of the current selection as the SQL worker writes it for the Events view's
    /// Parquet (the rows in storage order), without its output: the page adds the file's size and
    /// hash when it arrives ([`ExportManifest::completed`]). `None` before the first query.
    pub(crate) fn selection_manifest(&self, store: &Store) -> Option<ExportManifest> {
        let (rows, _) = self.selection.as_ref()?;
        let created = trailscope_model::Timestamp::from_unix_millis(js_sys::Date::now() as i64);
        Some(ExportManifest::new(
            store,
            rows.iter(),
            ManifestSpec {
                tool_version: env!("CARGO_PKG_VERSION"),
                made_in: "page",
                created,
                filter: &self.filter,
                sorting: None,
                columns: &[],
                format: "parquet",
                outputs: Vec::new(),
            },
        ))
    }

    /// Runs a query and posts its result (or where its filter is wrong).
    /// `text_index_halted`: the free-text index stopped for want of memory (said on screen).
    pub(crate) fn query(
        &mut self,
        store: &mut Store,
        text_index_halted: bool,
        id: RequestId,
        mut query: QueryRequest,
    ) {
        let started = now_millis();
        let (rest, within) = match self.take_finding_terms(&query.filter, store.len()) {
            Ok(split) => split,
            Err(error) => {
                post_to_page(&Response::QueryFailed { id, error });
                return;
            }
        };
        let typed = std::mem::replace(&mut query.filter, rest);
        let sorting = match Sorting::of(&query) {
            Ok(sorting) => sorting,
            Err(error) => {
                post_to_page(&Response::QueryFailed { id, error });
                return;
            }
        };
        match run_query_within(store, &query, within) {
            Ok((mut result, selection)) => {
                self.selection = Some((selection, sorting));
                self.filter = typed.clone();
                // The page shows what the user typed; the canonical form is for the record.
                if typed != query.filter {
                    // A suggestion is a canonical filter, which has no `finding:` terms.
                    result.suggestion = None;
                    result.filter = typed;
                }
                post_json_to_page(&Response::Queried {
                    id,
                    result: Box::new(result),
                    elapsed_millis: now_millis() - started,
                    text_indexed: store.text_index().rows() as u64,
                    text_index_halted,
                });
            }
            // Offsets in the rest are offsets in what was typed (taken terms became spaces).
            Err(error) => post_to_page(&Response::QueryFailed { id, error }),
        }
    }

    /// One facet's values under `filter` (a facet's "show more" and search box).
    pub(crate) fn facet_values(
        &self,
        store: &Store,
        id: RequestId,
        filter: &str,
        field: &str,
        search: &str,
        limit: usize,
    ) {
        let failed = |error| post_to_page(&Response::QueryFailed { id, error });
        let (rest, within) = match self.take_finding_terms(filter, store.len()) {
            Ok(split) => split,
            Err(error) => return failed(error),
        };
        let parsed = match trailscope_query::Filter::parse(&rest) {
            Ok(parsed) => parsed,
            Err(error) => return failed(error),
        };
        if trailscope_query::Key::from_name(field) == Some(trailscope_query::Key::Resource) {
            match trailscope_query::resource_facet(store, &parsed, within, search, limit) {
                Ok(facet) => post_json_to_page(&Response::FacetValues { id, facet }),
                Err(reason) => post_to_page(&Response::FacetRefused { id, reason }),
            }
            return;
        }
        match trailscope_query::field_facet(store, &parsed, within, field, search, limit) {
            Some(facet) => post_json_to_page(&Response::FacetValues { id, facet }),
            None => post_to_page(&Response::FacetRefused {
                id,
                reason: format!("{field} has no list of values"),
            }),
        }
    }

    /// Takes `finding:<rule>` terms (rows a detection rule matched; `-finding:` excludes them)
    /// out of a filter. The rest keeps its offsets ([`trailscope_query::edit::take_terms`]).
    fn take_finding_terms(
        &self,
        filter: &str,
        universe: usize,
    ) -> Result<(String, Option<RowSet>), trailscope_query::ParseError> {
        let (rest, taken) = trailscope_query::edit::take_terms(filter, "finding");
        let mut within: Option<RowSet> = None;
        for term in taken {
            let rule = term.value.to_ascii_lowercase();
            let Some(rows) = self.findings.get(&rule) else {
                return Err(trailscope_query::ParseError {
                    kind: trailscope_query::ParseErrorKind::UnknownField,
                    start: term.span.0,
                    end: term.span.1,
                    message: if self.findings.is_empty() {
                        "finding: terms need detection to have run (open Findings)".into()
                    } else {
                        format!("no detection rule is called {rule:?}")
                    },
                });
            };
            let mut w = within.unwrap_or_else(|| RowSet::full(universe));
            if term.negated {
                w.and_not(rows);
            } else {
                w.and(rows);
            }
            within = Some(w);
        }
        Ok((rest, within.filter(|w| w.universe() == universe)))
    }

    /// Posts rows `offset..offset + limit` of the current selection, with the values of the
    /// record columns asked for.
    pub(crate) fn window(
        &self,
        store: &mut Store,
        id: RequestId,
        offset: u64,
        limit: u32,
        columns: &[String],
    ) {
        let rows = match &self.selection {
            Some((selection, order)) => page(
                store,
                selection,
                *order,
                usize::try_from(offset).unwrap_or(usize::MAX),
                limit as usize,
            ),
            None => Vec::new(),
        };
        match trailscope_query::columns::rows_with(store, &rows, columns) {
            Ok(rows) => post_json_to_page(&Response::Window { id, offset, rows }),
            Err(message) => post_to_page(&Response::Failed { id, message }),
        }
    }

    /// Writes the current selection in `format` (for CSV with `columns`, the table's columns
    /// instead of the console's), posting it to the page in chunks.
    pub(crate) fn export(
        &self,
        store: &mut Store,
        id: RequestId,
        format: ExportFormat,
        columns: &[String],
    ) {
        let table_columns = match columns
            .iter()
            .map(|id| trailscope_query::columns::ColumnKind::of(id))
            .collect::<Result<Vec<_>, String>>()
        {
            Ok(kinds) => kinds,
            Err(message) => {
                post_to_page(&Response::Failed { id, message });
                return;
            }
        };
        let rows = match &self.selection {
            Some((selection, order)) => ordered(store, selection, *order),
            None => Vec::new(),
        };
        let total = rows.len() as u64;
        let done = Rc::new(Cell::new(0u64));
        // The output's own hash, taken as it is written, goes into the manifest.
        let mut out = HashingWriter::new(ChunkPoster {
            id,
            buffer: Vec::with_capacity(EXPORT_CHUNK),
            done: done.clone(),
            total,
        });
        let progress = |p: ExportProgress| done.set(p.done);
        let follows_table = format == ExportFormat::Csv && !table_columns.is_empty();
        let result = if follows_table {
            trailscope_query::columns::write_table_csv(
                store,
                &rows,
                &table_columns,
                &mut out,
                progress,
            )
        } else {
            export(store, &rows, format, &mut out, progress)
        };
        done.set(total);
        let flushed = out.flush();
        let (_, bytes, sha256) = out.finish();
        match result.and(flushed) {
            Ok(()) => {
                let (extension, mime) = match format {
                    ExportFormat::Csv => ("csv", "text/csv"),
                    ExportFormat::Json => ("json", "application/json"),
                    ExportFormat::Ndjson => ("ndjson", "application/x-ndjson"),
                };
                let at = trailscope_model::Timestamp::from_unix_millis(js_sys::Date::now() as i64);
                let name = trailscope_query::export_file_name(&self.filter, at, extension);
                let sorting = self.selection.as_ref().map(|(_, s)| *s);
                let manifest = ExportManifest::new(
                    store,
                    rows.iter().map(|&r| r as usize),
                    ManifestSpec {
                        tool_version: env!("CARGO_PKG_VERSION"),
                        made_in: "page",
                        created: at,
                        filter: &self.filter,
                        sorting,
                        columns: if follows_table { columns } else { &[] },
                        format: extension,
                        outputs: vec![OutputFile {
                            name: name.clone(),
                            bytes,
                            sha256,
                        }],
                    },
                );
                post_to_page(&Response::ExportDone {
                    id,
                    name,
                    mime: mime.into(),
                    manifest: manifest.to_json(),
                });
            }
            Err(e) => post_to_page(&Response::Failed {
                id,
                message: format!("export failed: {e}"),
            }),
        }
    }
}

/// Collects export bytes and posts them in large chunks, with the rows done so far.
struct ChunkPoster {
    id: RequestId,
    buffer: Vec<u8>,
    /// Rows written, as the exporter reports them.
    done: Rc<Cell<u64>>,
    total: u64,
}

impl Write for ChunkPoster {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= EXPORT_CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::replace(&mut self.buffer, Vec::with_capacity(EXPORT_CHUNK));
        post_to_page(&Response::ExportChunk {
            id: self.id,
            bytes: serde_bytes::ByteBuf::from(bytes),
            done: self.done.get(),
            total: self.total,
        });
        Ok(())
    }
}
