//! How the store worker merges what the parsers send, in an order that keeps every file whole.
//!
//! Small files arrive whole, many to a message. A large file arrives in chunks
//! ([`Parsed::chunk_of`]) while it is read, then a last message lists it
//! ([`ParsedFile::streamed`]), so neither the parser nor the messages ever hold all its events.
//! Its rows go into the store as they come, and are taken out again if it ends in an error. That
//! rollback truncates the store to where the file began, so nothing else may be merged while it
//! is open: messages of other parsers wait ([`Merger::push`], [`Merger::next_ready`]) until it
//! ends. One parser's messages are released in the order they were sent.

use std::collections::VecDeque;

use trailscope_store::{EventBatch, FileRows, FileSummary, OpenFile, Store};

use crate::{summary_from_wire, FileChunk, Parsed, ParsedFile};

/// Why a streamed file failed when its chunks did not add up.
const LOST_ROWS: &str = "its events were lost on the way to the store";

/// Orders parser messages and merges them (see the module documentation). `T` is whatever
/// carries a message's batches (a JS value in the worker, batches themselves in tests).
#[derive(Debug)]
pub struct Merger<T> {
    open: Option<(FileChunk, OpenFile)>,
    waiting: VecDeque<(Parsed, T)>,
    /// Why files holding events are no longer merged (the tab is full), once they are not.
    refusing: Option<String>,
    /// Files refused so far.
    refused: u64,
}

impl<T> Default for Merger<T> {
    fn default() -> Self {
        Merger {
            open: None,
            waiting: VecDeque::new(),
            refusing: None,
            refused: 0,
        }
    }
}

/// Compressed records the store worker keeps in its own WebAssembly memory. Past this, record
/// blocks go to the browser's memory outside it (one `ArrayBuffer` each): wasm32 addresses 4 GiB
/// at most, and the records are most of a trail's bytes (407 MB of 612 MB at a million
/// real-shaped events), so keeping them inside capped a tab near 4 million events.
pub const RECORDS_IN_WASM_MIB: u64 = 512;

/// The default store memory (columns, indexes and compressed records, inside WebAssembly
/// memory or not) a tab may fill before it stops taking events, on a device with
/// `device_memory_gib` of memory (`navigator.deviceMemory`; Chromium reports 8 at most): half
/// of it, at most 4 GiB. A browser that does not say gets 2.5 GiB, what fitted in WebAssembly
/// memory alone. Inside WebAssembly memory the worker also stops near its 4 GiB, whatever this
/// says.
pub fn default_ceiling_mib(device_memory_gib: Option<f64>) -> u64 {
    const MOST_MIB: u64 = 4096;
    const UNKNOWN_DEVICE_MIB: u64 = 2560;
    const LEAST_MIB: u64 = 256;
    match device_memory_gib {
        Some(gib) if gib.is_finite() && gib > 0.0 => {
            // Whole MiB; the float is at most a few thousand, so the cast is exact enough.
            let half_mib = (gib * 512.0) as u64;
            half_mib.clamp(LEAST_MIB, MOST_MIB)
        }
        _ => UNKNOWN_DEVICE_MIB,
    }
}

/// Why a file was not loaded once the tab was full: how many events fit, and the way on.
pub fn tab_full_reason(events: u64, ceiling_mib: u64) -> String {
    format!(
        "not loaded: this tab is full. It stopped taking events at {events} events, when its \
         store reached {ceiling_mib} MiB (the memory this tab may use). \
         Load fewer files at a time (a region or a day), or use the trailscope CLI, which \
         reads any size: `trailscope export --format parquet --out DIR FILES...` then \
         `trailscope sql DIR`"
    )
}

impl<T> Merger<T> {
    /// Queues a message.
    pub fn push(&mut self, parsed: Parsed, payload: T) {
        self.waiting.push_back((parsed, payload));
    }

    /// The next message that may be merged now: the oldest one, or while a large file is open,
    /// the oldest one that continues or ends it.
    pub fn next_ready(&mut self) -> Option<(Parsed, T)> {
        let at = match &self.open {
            None => 0,
            Some((chunk, _)) => self
                .waiting
                .iter()
                .position(|(parsed, _)| continues(parsed, chunk))?,
        };
        self.waiting.remove(at)
    }

    /// Whether a large file is half merged.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Messages waiting for an open file to end.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Forgets everything (a new store).
    pub fn clear(&mut self) {
        self.open = None;
        self.waiting.clear();
        self.refusing = None;
        self.refused = 0;
    }

    /// From now on, files holding events are listed as failed with `reason` instead of merged,
    /// and a large file half merged is taken out again: the tab is full. Files without events
    /// (helper files, files that failed) are still listed as they are, since they cost nothing.
    /// The reason names the events the store holds once that file is out, and `ceiling_mib`.
    pub fn refuse_from_now(&mut self, store: &mut Store, ceiling_mib: u64) {
        if let Some((_, open)) = self.open.take() {
            store.discard_file(open);
        }
        self.refusing = Some(tab_full_reason(store.len() as u64, ceiling_mib));
    }

    /// Whether files are being refused.
    pub fn is_refusing(&self) -> bool {
        self.refusing.is_some()
    }

    /// Files refused since [`Merger::refuse_from_now`].
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Merges one message released by [`Merger::next_ready`]; `batches` are its batches, decoded
    /// as they are reached.
    pub fn merge<B: Iterator<Item = EventBatch>>(
        &mut self,
        store: &mut Store,
        files: Vec<ParsedFile>,
        chunk_of: Option<FileChunk>,
        batches: B,
    ) {
        if let Some(reason) = self.refusing.clone() {
            self.refuse(store, files, chunk_of, &reason);
            return;
        }
        if let Some(chunk) = chunk_of {
            let (_, open) = match &mut self.open {
                Some(open) if open.0 == chunk => open,
                Some(_) => return, // never released while another file is open
                None => self
                    .open
                    .insert((chunk.clone(), store.begin_file(&chunk.path))),
            };
            for batch in batches {
                store.add_rows(open, batch);
            }
            return;
        }
        let mut files = files.into_iter().peekable();
        let streamed = files.next_if(|f| f.streamed);
        let mut batches = batches;
        if let Some(last) = streamed {
            self.finish_streamed(store, last, &mut batches);
        }
        let rest: Vec<FileRows> = files.map(file_rows).collect();
        if !rest.is_empty() {
            store.add_files(rest, batches);
        }
    }

    /// Lists a message's files without merging their events (see [`Merger::refuse_from_now`]).
    /// Its batches are never decoded. A large file's chunks are dropped; its last message
    /// lists it.
    fn refuse(
        &mut self,
        store: &mut Store,
        files: Vec<ParsedFile>,
        chunk_of: Option<FileChunk>,
        reason: &str,
    ) {
        if chunk_of.is_some() {
            return;
        }
        let mut listed = Vec::new();
        for file in files {
            if file.discard {
                continue;
            }
            let mut rows = file_rows(file);
            if rows.rows > 0 && rows.summary.error.is_none() {
                rows.summary.error = Some(reason.to_string());
                self.refused += 1;
            }
            if rows.summary.error.is_some() {
                rows.rows = 0;
            }
            listed.push(rows);
        }
        if !listed.is_empty() {
            store.add_files(listed, std::iter::empty());
        }
    }

    /// Ends a large file: its last rows are all of the message's batches.
    fn finish_streamed<B: Iterator<Item = EventBatch>>(
        &mut self,
        store: &mut Store,
        last: ParsedFile,
        batches: &mut B,
    ) {
        let chunk = FileChunk {
            input: last.input,
            path: last.path.clone(),
        };
        let mut open = match self.open.take() {
            Some((open_chunk, open)) if open_chunk == chunk => open,
            other => {
                // Its chunks never came: list it as failed rather than half there.
                self.open = other;
                let mut rows = file_rows(last);
                rows.summary.error.get_or_insert_with(|| LOST_ROWS.into());
                rows.rows = 0;
                store.add_files(vec![rows], std::iter::empty());
                return;
            }
        };
        for batch in batches.by_ref() {
            store.add_rows(&mut open, batch);
        }
        if last.discard {
            store.discard_file(open);
            return;
        }
        let mut summary = summary_from_wire(last.summary);
        summary.stored_sha256 = last.stored_sha256;
        if open.rows() != last.rows {
            summary.error.get_or_insert_with(|| LOST_ROWS.into());
        }
        store.finish_file(open, summary);
    }
}

/// Whether `parsed` carries more of the open file `chunk`, or ends it.
fn continues(parsed: &Parsed, chunk: &FileChunk) -> bool {
    parsed.chunk_of.as_ref() == Some(chunk)
        || parsed
            .files
            .first()
            .is_some_and(|f| f.streamed && f.input == chunk.input && f.path == chunk.path)
}

fn file_rows(file: ParsedFile) -> FileRows {
    FileRows {
        path: file.path,
        summary: FileSummary {
            stored_sha256: file.stored_sha256,
            ..summary_from_wire(file.summary)
        },
        rows: file.rows,
        discard: file.discard,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::test_support::{chunk, log_batch, parsed_file as file};

    fn batch(ids: std::ops::Range<u32>) -> EventBatch {
        log_batch(ids, "x")
    }

    #[test]
    fn the_default_ceiling_is_half_the_device_at_most_four_gib() {
        assert_eq!(default_ceiling_mib(Some(8.0)), 4096);
        assert_eq!(default_ceiling_mib(Some(16.0)), 4096);
        assert_eq!(default_ceiling_mib(Some(4.0)), 2048);
        assert_eq!(default_ceiling_mib(Some(0.25)), 256);
        assert_eq!(default_ceiling_mib(None), 2560);
        assert_eq!(default_ceiling_mib(Some(f64::NAN)), 2560);
        assert_eq!(default_ceiling_mib(Some(-1.0)), 2560);
    }

    fn message(files: Vec<ParsedFile>, chunk_of: Option<FileChunk>) -> Parsed {
        Parsed {
            load: crate::RequestId(1),
            files,
            inputs_done: Vec::new(),
            chunk_of,
            stages: crate::LoadStages::default(),
        }
    }

    /// Releases and merges everything that can go now; the order of paths merged.
    fn drain(merger: &mut Merger<Vec<EventBatch>>, store: &mut Store) -> Vec<String> {
        let mut order = Vec::new();
        while let Some((parsed, batches)) = merger.next_ready() {
            order.push(
                parsed
                    .chunk_of
                    .as_ref()
                    .map(|c| format!("chunk {}", c.path))
                    .unwrap_or_else(|| parsed.files.iter().map(|f| f.path.clone()).collect()),
            );
            merger.merge(store, parsed.files, parsed.chunk_of, batches.into_iter());
        }
        order
    }

    #[test]
    fn a_streamed_file_is_merged_whole_while_others_wait() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(message(vec![], chunk(1, "big")), vec![batch(0..10)]);
        merger.push(
            message(vec![file(2, "small", 5, false, false)], None),
            vec![batch(100..105)],
        );
        merger.push(message(vec![], chunk(1, "big")), vec![batch(10..20)]);
        assert_eq!(drain(&mut merger, &mut store), ["chunk big", "chunk big"]);
        assert_eq!(store.len(), 20, "the big file's rows are in as they come");
        assert!(store.files().is_empty(), "but it is not listed yet");
        assert_eq!(merger.waiting(), 1, "the small file waits");
        merger.push(
            message(vec![file(1, "big", 25, true, false)], None),
            vec![batch(20..25)],
        );
        assert_eq!(drain(&mut merger, &mut store), ["big", "small"]);
        assert_eq!(store.len(), 30);
        let paths: Vec<_> = store.files().iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["big", "small"]);
        assert_eq!(store.files()[0].added, 25);
        assert!(!merger.is_open());
    }

    #[test]
    fn a_streamed_file_that_fails_leaves_nothing_behind() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(
            message(vec![file(2, "small", 5, false, false)], None),
            vec![batch(100..105)],
        );
        merger.push(message(vec![], chunk(1, "big")), vec![batch(0..10)]);
        merger.push(
            message(vec![file(1, "big", 12, true, true)], None),
            vec![batch(10..12)],
        );
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 5, "only the small file's events stay");
        assert!(store.files()[1].summary.error.is_some());
        assert_eq!(store.files()[1].added, 0);
    }

    #[test]
    fn a_full_tab_lists_the_files_it_refuses_and_keeps_no_half_file() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(
            message(vec![file(2, "first", 5, false, false)], None),
            vec![batch(100..105)],
        );
        merger.push(message(vec![], chunk(1, "big")), vec![batch(0..10)]);
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 15);
        merger.refuse_from_now(&mut store, 3072);
        assert_eq!(store.len(), 5, "the half-merged large file is taken out");
        let reason = tab_full_reason(5, 3072);
        assert!(!merger.is_open());
        merger.push(message(vec![], chunk(1, "big")), vec![batch(10..20)]);
        let mut helper = file(3, "describe-trails.json", 0, false, false);
        helper.summary.kind = "not_cloudtrail".into();
        merger.push(
            message(
                vec![
                    file(3, "later", 5, false, false),
                    helper,
                    file(3, "broken", 0, false, true),
                ],
                None,
            ),
            vec![batch(200..205)],
        );
        merger.push(
            message(vec![file(1, "big", 25, true, false)], None),
            vec![batch(20..25)],
        );
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 5, "nothing more is merged");
        let listed: Vec<(&str, u64, Option<&str>)> = store
            .files()
            .iter()
            .map(|f| (f.path.as_str(), f.added, f.summary.error.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("first", 5, None),
                ("later", 0, Some(reason.as_str())),
                ("describe-trails.json", 0, None),
                ("broken", 0, Some("cannot read the file: broken")),
                ("big", 0, Some(reason.as_str())),
            ]
        );
        assert_eq!(merger.refused(), 2);
        assert!(reason.contains("at 5 events") && reason.contains("trailscope export"));
        merger.clear();
        assert!(!merger.is_refusing());
    }

    #[test]
    fn a_cancelled_streamed_file_is_not_listed() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(message(vec![], chunk(1, "big")), vec![batch(0..10)]);
        let mut cancelled = file(1, "big", 10, true, true);
        cancelled.discard = true;
        merger.push(message(vec![cancelled], None), vec![]);
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 0);
        assert!(store.files().is_empty());
    }

    #[test]
    fn rows_that_do_not_add_up_fail_the_file() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(message(vec![], chunk(1, "big")), vec![batch(0..10)]);
        // The parser says 30 rows; only 15 came.
        merger.push(
            message(vec![file(1, "big", 30, true, false)], None),
            vec![batch(10..15)],
        );
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 0);
        assert_eq!(store.files()[0].summary.error.as_deref(), Some(LOST_ROWS));
    }

    #[test]
    fn an_end_without_its_chunks_is_a_failed_file() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(
            message(vec![file(1, "big", 3, true, false)], None),
            vec![batch(0..3)],
        );
        drain(&mut merger, &mut store);
        assert_eq!(store.len(), 0);
        assert_eq!(store.files()[0].summary.error.as_deref(), Some(LOST_ROWS));
    }

    #[test]
    fn two_streams_from_two_parsers_do_not_interleave() {
        let mut store = Store::new();
        let mut merger = Merger::default();
        merger.push(message(vec![], chunk(1, "a")), vec![batch(0..4)]);
        merger.push(message(vec![], chunk(2, "b")), vec![batch(10..14)]);
        merger.push(message(vec![], chunk(2, "b")), vec![batch(14..18)]);
        merger.push(message(vec![file(2, "b", 8, true, true)], None), vec![]);
        merger.push(message(vec![file(1, "a", 4, true, false)], None), vec![]);
        assert_eq!(
            drain(&mut merger, &mut store),
            ["chunk a", "a", "chunk b", "chunk b", "b"]
        );
        assert_eq!(store.len(), 4, "b failed and took only its own rows out");
        assert_eq!(store.files()[0].added, 4);
    }
}
