//! The manifest that goes with an export: what was exported, from which evidence, by what.
//!
//! An export leaves the tool, and whoever reads it later (a reviewer, a court, the analyst a
//! year on) needs to know how it was made: the filter and order that chose the events, the
//! output's own SHA-256, and every source file the events came from with its SHA-256 as stored
//! and its integrity verdict at the time of the export. The page and the CLI both write it with
//! [`ExportManifest::new`], so the two cannot describe an export differently.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trailscope_model::Timestamp;
use trailscope_store::{FileId, Integrity, Store};

use crate::key::Key;
use crate::query::{Order, Sorting};

/// The manifest's format id; a reader checks it before trusting the fields.
pub const MANIFEST_FORMAT: &str = "trailscope-export-manifest/1";

/// What a source file's integrity reads as when no verification covered it in this session.
pub const NOT_CHECKED: &str = "not_checked";

/// What an export was made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportManifest {
    /// [`MANIFEST_FORMAT`].
    pub manifest: String,
    /// `trailscope`.
    pub tool: String,
    /// The tool's version.
    pub tool_version: String,
    /// Where the export was made: `page` (in a browser) or `cli`.
    pub made_in: String,
    /// When the export was written (RFC 3339, UTC).
    pub created: String,
    /// The filter that chose the events, as typed (empty: every event loaded).
    pub filter: String,
    /// The order of the events (`newest first`, `eventName ascending`, ...).
    pub order: String,
    /// The table's columns when the export follows them; empty for the fixed format.
    pub columns: Vec<String>,
    /// `csv`, `json`, `ndjson` or `parquet`.
    pub format: String,
    /// Events written.
    pub events: u64,
    /// The files written, with their own SHA-256.
    pub outputs: Vec<OutputFile>,
    /// The files the exported events came from, in the order they were loaded.
    pub sources: Vec<SourceFile>,
    /// Files loaded in all (including those none of the exported events came from).
    pub files_loaded: u64,
    /// Exported events by the integrity of the file they came from.
    pub integrity: IntegrityCounts,
    /// How to read the integrity fields.
    pub integrity_note: String,
}

/// A file the export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Its name (a download's name, or the path under the export folder).
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// A source file some exported events came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The path as loaded (folder-relative, or `archive.zip/entry`).
    pub path: String,
    /// Its size as stored.
    pub bytes: u64,
    /// Its SHA-256 as stored, lowercase hex (absent only for files handed over already parsed).
    pub sha256: Option<String>,
    /// What it was read as (`cloudtrail_log`, `event_history_csv`, ...).
    pub kind: String,
    /// Exported events that came from it (an event found in several files counts for the
    /// first file that had it).
    pub events: u64,
    /// `verified`, `failed`, `unverified`, `not_covered` or [`NOT_CHECKED`].
    pub integrity: String,
}

/// Exported events by the integrity of their file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityCounts {
    /// From files a valid digest, signed by a trusted key, vouches for.
    pub verified: u64,
    /// From files that failed verification.
    pub failed: u64,
    /// From files only unverifiable digests name.
    pub unverified: u64,
    /// From files no digest names.
    pub not_covered: u64,
    /// From files not verified in this session.
    pub not_checked: u64,
}

/// What the caller knows of an export that the store does not.
#[derive(Clone, Debug)]
pub struct ManifestSpec<'a> {
    /// The tool's version.
    pub tool_version: &'a str,
    /// `page` or `cli`.
    pub made_in: &'a str,
    /// When the export was written.
    pub created: Timestamp,
    /// The filter, as typed.
    pub filter: &'a str,
    /// The events' order; `None` for the order they were loaded in.
    pub sorting: Option<Sorting>,
    /// The table's columns, when the export follows them.
    pub columns: &'a [String],
    /// The format's name.
    pub format: &'a str,
    /// The files written.
    pub outputs: Vec<OutputFile>,
}

/// The evidence side of a manifest, gathered from one store or from several in turn: an export
/// that reads its input a part at a time adds each part's store before dropping it.
#[derive(Clone, Debug, Default)]
pub struct ManifestSources {
    events: u64,
    sources: Vec<SourceFile>,
    files_loaded: u64,
    integrity: IntegrityCounts,
}

impl ManifestSources {
    /// Nothing gathered yet.
    pub fn new() -> Self {
        ManifestSources::default()
    }

    /// Adds the exported events at `rows` of `store`, and every file `store` loaded.
    pub fn add(&mut self, store: &Store, rows: impl IntoIterator<Item = usize>) {
        let files = store.files();
        let mut per_file = vec![0u64; files.len()];
        for row in rows {
            self.events += 1;
            match store
                .file_id_of(row)
                .and_then(|f| per_file.get_mut(f as usize))
            {
                Some(count) => *count += 1,
                None => self.integrity.not_checked += 1,
            }
        }
        for (id, (entry, &count)) in files.iter().zip(&per_file).enumerate() {
            if count == 0 {
                continue;
            }
            let verdict = store.file_integrity(id as FileId);
            let slot = match verdict {
                Some(Integrity::Verified) => &mut self.integrity.verified,
                Some(Integrity::Failed) => &mut self.integrity.failed,
                Some(Integrity::Unverified) => &mut self.integrity.unverified,
                Some(Integrity::NotCovered) => &mut self.integrity.not_covered,
                None => &mut self.integrity.not_checked,
            };
            *slot += count;
            self.sources.push(SourceFile {
                path: entry.path.clone(),
                bytes: entry.summary.stored_bytes,
                sha256: entry.summary.stored_sha256.clone(),
                kind: entry.summary.kind.id().to_string(),
                events: count,
                integrity: verdict.map_or(NOT_CHECKED, Integrity::as_str).to_string(),
            });
        }
        self.files_loaded += files.len() as u64;
    }

    /// Events added so far.
    pub fn events(&self) -> u64 {
        self.events
    }
}

impl ExportManifest {
    /// The manifest of an export of the events at `rows`.
    pub fn new(
        store: &Store,
        rows: impl IntoIterator<Item = usize>,
        spec: ManifestSpec<'_>,
    ) -> Self {
        let mut gathered = ManifestSources::new();
        gathered.add(store, rows);
        ExportManifest::of_sources(gathered, spec)
    }

    /// The manifest of an export whose evidence was gathered store by store.
    pub fn of_sources(gathered: ManifestSources, spec: ManifestSpec<'_>) -> Self {
        let ManifestSources {
            events,
            sources,
            files_loaded,
            integrity,
        } = gathered;
        let integrity_note = if integrity.not_checked == events {
            "Integrity was not verified before this export: the verdicts read not_checked. \
             Verify the source files (trailscope verify, or the page's Verify view with trusted \
             public keys) and export again to record them."
        } else {
            "Each source file's verdict is the one the verification run before this export gave, \
             with the public keys the user supplied as trusted: verified means a valid digest, \
             signed by a trusted key, holds the file's hash."
        };
        ExportManifest {
            manifest: MANIFEST_FORMAT.to_string(),
            tool: "trailscope".to_string(),
            tool_version: spec.tool_version.to_string(),
            made_in: spec.made_in.to_string(),
            created: spec.created.to_rfc3339(),
            filter: spec.filter.to_string(),
            order: spec
                .sorting
                .map_or_else(|| "as loaded".to_string(), order_text),
            columns: spec.columns.to_vec(),
            format: spec.format.to_string(),
            events,
            outputs: spec.outputs,
            sources,
            files_loaded,
            integrity,
            integrity_note: integrity_note.to_string(),
        }
    }

    /// A manifest drafted before its output existed (the page's Parquet file is written by
    /// another worker than the one holding the evidence), completed with that output. `draft` is
    /// [`ExportManifest::to_json`]'s text; an unreadable draft is an error, never a manifest
    /// without its sources.
    pub fn completed(draft: &str, output: OutputFile) -> Result<Self, String> {
        let mut manifest: ExportManifest = serde_json::from_str(draft)
            .map_err(|e| format!("the export's manifest could not be read: {e}"))?;
        if manifest.manifest != MANIFEST_FORMAT {
            return Err(format!(
                "the export's manifest is {:?}, not {MANIFEST_FORMAT}",
                manifest.manifest
            ));
        }
        manifest.outputs.push(output);
        Ok(manifest)
    }

    /// The manifest as indented JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The manifest's file name beside an export's (`x.csv` → `x.csv.manifest.json`).
pub fn manifest_name(export_name: &str) -> String {
    format!("{export_name}.manifest.json")
}

/// The order as a reader says it.
fn order_text(sorting: Sorting) -> String {
    match sorting {
        Sorting::Time(Order::NewestFirst) => "newest first".to_string(),
        Sorting::Time(Order::OldestFirst) => "oldest first".to_string(),
        Sorting::Column { field, descending } => format!(
            "{} {}, then newest first",
            Key::Column(field).name(),
            if descending {
                "descending"
            } else {
                "ascending"
            }
        ),
    }
}

/// A writer that passes bytes on and keeps their SHA-256 and count: an export's own hash,
/// taken as it is written, so the output is never read twice.
pub struct HashingWriter<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    /// The writer back, with the bytes written and their SHA-256 (lowercase hex).
    pub fn finish(self) -> (W, u64, String) {
        (
            self.inner,
            self.bytes,
            trailscope_model::hex_lower(&self.sha.finalize()),
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        let done = buf.get(..written).unwrap_or(buf);
        self.sha.update(done);
        self.bytes += done.len() as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The SHA-256 and size of a file on disk, read in blocks (the CLI's Parquet parts).
#[cfg(not(target_arch = "wasm32"))]
pub fn hash_file(path: &std::path::Path) -> io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut sink = HashingWriter::new(io::sink());
    io::copy(&mut file, &mut sink)?;
    let (_, bytes, sha256) = sink.finish();
    Ok((bytes, sha256))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use trailscope_store::Field;

    fn log(events: &[(&str, &str)]) -> String {
        let records: Vec<String> = events
            .iter()
            .map(|(id, time)| {
                format!(
                    r#"{{"eventVersion":"1.08","eventID":"{id}","eventTime":"{time}","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1"}}"#
                )
            })
            .collect();
        format!(r#"{{"Records":[{}]}}"#, records.join(","))
    }

    fn sha(text: &str) -> String {
        trailscope_model::hex_lower(&Sha256::digest(text.as_bytes()))
    }

    /// Files a, b and c; b repeats a's first event.
    fn store() -> (Store, [String; 3]) {
        let mut store = Store::new();
        let a = log(&[
            ("a1", "2024-01-01T00:00:00Z"),
            ("a2", "2024-01-01T00:00:01Z"),
        ]);
        let b = log(&[
            ("b1", "2024-01-01T00:00:02Z"),
            ("a1", "2024-01-01T00:00:00Z"),
        ]);
        let c = log(&[("c1", "2024-01-01T00:00:03Z")]);
        let hashes = [sha(&a), sha(&b), sha(&c)];
        for (path, text) in [("a.json", a), ("b.json", b), ("c.json", c)] {
            store.load(path, |loader| {
                trailscope_model::ingest_bytes(
                    text.as_bytes(),
                    trailscope_model::Limits::default(),
                    loader,
                )
            });
        }
        (store, hashes)
    }

    fn spec(outputs: Vec<OutputFile>) -> ManifestSpec<'static> {
        ManifestSpec {
            tool_version: "9.9.9",
            made_in: "cli",
            created: Timestamp::from_unix_millis(1_700_000_000_000),
            filter: "eventName:GetObject",
            sorting: Some(Sorting::Column {
                field: Field::EventName,
                descending: true,
            }),
            columns: &[],
            format: "csv",
            outputs,
        }
    }

    #[test]
    fn sources_are_the_files_the_exported_events_came_from_with_their_hashes() {
        let (store, [a, b, _]) = store();
        assert_eq!(store.len(), 4, "a1 is in two files and stored once");
        let rows: Vec<usize> = (0..store.len())
            .filter(|&r| store.event_id(r) != Some("c1"))
            .collect();
        let m = ExportManifest::new(&store, rows.iter().copied(), spec(Vec::new()));
        assert_eq!(m.events, 3);
        assert_eq!(m.files_loaded, 3);
        let sources: Vec<(&str, u64, Option<&str>)> = m
            .sources
            .iter()
            .map(|s| (s.path.as_str(), s.events, s.sha256.as_deref()))
            .collect();
        assert_eq!(
            sources,
            vec![
                ("a.json", 2, Some(a.as_str())),
                ("b.json", 1, Some(b.as_str()))
            ],
            "c.json has no exported event; a1 counts for a.json, which had it first"
        );
        assert!(m
            .sources
            .iter()
            .all(|s| s.integrity == NOT_CHECKED && s.kind == "cloudtrail_log"));
        assert_eq!(m.integrity.not_checked, 3);
        assert!(m.integrity_note.contains("not verified"));
        assert_eq!(m.order, "eventName descending, then newest first");
        assert_eq!(m.created, "2023-11-14T22:13:20Z");
        let back: ExportManifest = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.manifest, MANIFEST_FORMAT);
    }

    #[test]
    fn integrity_verdicts_are_recorded_per_file_and_counted_per_event() {
        let (mut store, _) = store();
        store.set_integrity(|path| match path {
            "a.json" => Some(Integrity::Verified),
            "b.json" => Some(Integrity::Failed),
            _ => None,
        });
        let m = ExportManifest::new(&store, 0..store.len(), spec(Vec::new()));
        let verdicts: Vec<(&str, &str)> = m
            .sources
            .iter()
            .map(|s| (s.path.as_str(), s.integrity.as_str()))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                ("a.json", "verified"),
                ("b.json", "failed"),
                ("c.json", NOT_CHECKED)
            ]
        );
        assert_eq!(
            m.integrity,
            IntegrityCounts {
                verified: 2,
                failed: 1,
                not_checked: 1,
                ..IntegrityCounts::default()
            }
        );
        assert!(m.integrity_note.contains("trusted"));
    }

    #[test]
    fn a_draft_completed_with_its_output_keeps_every_source_and_a_foreign_draft_is_refused() {
        let (store, _) = store();
        let draft = ExportManifest::new(&store, 0..store.len(), spec(Vec::new()));
        let output = OutputFile {
            name: "x.parquet".into(),
            bytes: 42,
            sha256: "ab".repeat(32),
        };
        let done = ExportManifest::completed(&draft.to_json(), output.clone()).unwrap();
        assert_eq!(done.outputs, vec![output.clone()]);
        assert_eq!(
            ExportManifest {
                outputs: Vec::new(),
                ..done
            },
            draft,
            "nothing but the output changes"
        );
        let other = draft.to_json().replace(MANIFEST_FORMAT, "someone-else/1");
        assert!(ExportManifest::completed(&other, output.clone())
            .unwrap_err()
            .contains("someone-else/1"));
        assert!(ExportManifest::completed("{", output)
            .unwrap_err()
            .contains("could not be read"));
    }

    #[test]
    fn the_hashing_writer_hashes_exactly_what_it_passes_on() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (inner, bytes, sha) = w.finish();
        assert_eq!(inner, b"hello world");
        assert_eq!(bytes, 11);
        assert_eq!(
            sha,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(manifest_name("x.csv"), "x.csv.manifest.json");
    }
}
