//! The workspace journal: what the store worker keeps in the browser's Origin Private File System
//! when the user asks for the workspace to survive a reload.
//!
//! The journal records the parsers' messages exactly as the store merged them (the files' summaries
//! and their event batches in their binary form), so restoring it is the same merge that built the
//! store in the first place ([`Merger::merge`]): one code path, the same deduplication, the same
//! conflicting copies, no second model of the store to keep in step. It needs no parsing of the
//! original files, which is what makes a restore fast.
//!
//! A load is committed by a frame ([`load_end_frame`], [`commit`]) written when it finishes. A
//! tab closed during a load leaves frames after the last commit: a restore replays only the
//! committed loads and says how many bytes it left out.
//!
//! **Trust.** A journal is not evidence. The bytes the files' hashes were taken from are not in it,
//! so nothing restored from it can be shown as verified: the integrity material (log hashes, kept
//! digests, signatures) is stripped when a frame is written, and the page says that the original
//! files must be dropped again to verify.
//!
//! Layout: a header of [`HEADER_LEN`] bytes ([`MAGIC`], then little-endian: the committed length
//! `u64`, the offset of the last commit's frame `u64`, the number of loads committed `u32`),
//! then frames, each a tag byte, a little-endian `u32` length and the payload. The header is
//! rewritten after each commit's frame is written, so reading what a journal holds costs two
//! reads, and a restore is one sequential pass, read in large chunks.

use serde::{Deserialize, Serialize};
use trailscope_store::{EventBatch, Store};

use crate::merge::Merger;
use crate::{FileChunk, ParsedFile};

/// The first bytes of a journal (format version 1).
pub const MAGIC: [u8; 8] = *b"TSWSJ02\n";

/// Bytes of the header.
pub const HEADER_LEN: usize = 28;

/// Bytes of a frame's header: its tag and its payload's length.
pub const FRAME_HEADER: usize = 5;

/// The largest payload a frame may claim. A parser's batch is a few megabytes; a length past this
/// is damage, refused before anything is allocated for it.
pub const MAX_FRAME: u32 = 256 << 20;

const TAG_PARSED: u8 = 1;
const TAG_BATCH: u8 = 2;
const TAG_LOAD_END: u8 = 3;

/// One parser message as merged: the files it listed and how many batch frames follow it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalParsed {
    /// The files, without their integrity material.
    pub files: Vec<ParsedFile>,
    /// The large file these rows continue, as in [`crate::Parsed::chunk_of`].
    pub chunk_of: Option<FileChunk>,
    /// Batch frames that follow.
    pub batches: u32,
}

/// The commit of a load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadEnd {
    /// Events in the store once this load was merged.
    pub events: u64,
    /// Files the store listed once this load was merged.
    pub files: u64,
    /// When the load ended, in milliseconds since the Unix epoch.
    pub saved_at_millis: f64,
    /// Distinct values of each column once this load was merged, in `Field` order: a restore
    /// makes room for them at once. Empty in journals written before it was kept.
    #[serde(default)]
    pub distinct_values: Vec<u64>,
}

impl LoadEnd {
    /// The commit of a load that left `store` as it is.
    pub fn of(store: &Store, saved_at_millis: f64) -> LoadEnd {
        LoadEnd {
            events: store.len() as u64,
            files: store.files().len() as u64,
            saved_at_millis,
            distinct_values: store
                .distinct_values()
                .into_iter()
                .map(|n| n as u64)
                .collect(),
        }
    }
}

/// Why a journal cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// The file does not start with [`MAGIC`].
    #[error("the saved workspace is not in a format this version reads")]
    NotAJournal,
    /// A frame is damaged.
    #[error("the saved workspace is damaged at byte {at}: {problem}")]
    Damaged {
        /// Offset of the frame.
        at: u64,
        /// What is wrong.
        problem: String,
    },
    /// The storage refused a read.
    #[error("the saved workspace could not be read: {0}")]
    Read(String),
}

/// Where a journal is read from: the OPFS file in the page, a byte slice in tests.
pub trait JournalSource {
    /// Bytes in the journal.
    fn len(&self) -> u64;
    /// Whether it holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` from offset `at`; an error when fewer bytes are there.
    fn read_exact_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), String>;
}

impl JournalSource for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_exact_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), String> {
        let start = usize::try_from(at).map_err(|_| "offset past the end".to_string())?;
        let end = start
            .checked_add(buf.len())
            .filter(|&end| end <= <[u8]>::len(self))
            .ok_or_else(|| "fewer bytes than asked for".to_string())?;
        buf.copy_from_slice(self.get(start..end).unwrap_or_default());
        Ok(())
    }
}

/// The header of a journal whose committed part ends at `committed`, the last commit's frame
/// at `last_end_at`, after `loads` commits.
pub fn header(committed: u64, last_end_at: u64, loads: u32) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(&MAGIC);
    out[8..16].copy_from_slice(&committed.to_le_bytes());
    out[16..24].copy_from_slice(&last_end_at.to_le_bytes());
    out[24..28].copy_from_slice(&loads.to_le_bytes());
    out
}

/// The opening bytes of an empty journal.
pub fn journal_start() -> Vec<u8> {
    header(HEADER_LEN as u64, 0, 0).to_vec()
}

/// How a writer commits a load: append `frame` at `at` (the journal's end), then write `header`
/// at offset 0.
pub struct Commit {
    /// The commit's frame.
    pub frame: Vec<u8>,
    /// The header to write once the frame is written.
    pub header: [u8; HEADER_LEN],
    /// The committed length after it.
    pub committed: u64,
}

/// The commit of a load ending a journal that is `at` bytes long and has `loads` commits.
pub fn commit(end: &LoadEnd, at: u64, loads: u32) -> Commit {
    let frame = load_end_frame(end);
    let committed = at + frame.len() as u64;
    Commit {
        header: header(committed, at, loads + 1),
        frame,
        committed,
    }
}

/// The frame of a parser message that `batches` batch frames will follow. Integrity material is
/// left out (see the module documentation).
pub fn parsed_frame(files: &[ParsedFile], chunk_of: Option<&FileChunk>, batches: u32) -> Vec<u8> {
    let files = files
        .iter()
        .map(|f| ParsedFile {
            log_hash: None,
            kept: None,
            ..f.clone()
        })
        .collect();
    let entry = JournalParsed {
        files,
        chunk_of: chunk_of.cloned(),
        batches,
    };
    frame(TAG_PARSED, &serde_json::to_vec(&entry).unwrap_or_default())
}

/// The header of a batch frame whose payload (the batch's bytes, [`EventBatch::to_bytes`]) the
/// caller writes itself, straight from the buffer it holds; `None` past [`MAX_FRAME`].
pub fn batch_frame_header(len: usize) -> Option<[u8; FRAME_HEADER]> {
    let len = u32::try_from(len).ok().filter(|&l| l <= MAX_FRAME)?;
    let mut header = [TAG_BATCH, 0, 0, 0, 0];
    header[1..].copy_from_slice(&len.to_le_bytes());
    Some(header)
}

/// The frame that commits a load.
pub fn load_end_frame(end: &LoadEnd) -> Vec<u8> {
    frame(TAG_LOAD_END, &serde_json::to_vec(end).unwrap_or_default())
}

fn frame(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    out.push(tag);
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// What a journal holds, read from its frame headers and commits only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalSummary {
    /// Committed loads.
    pub loads: u32,
    /// The last commit, if any.
    pub last: Option<LoadEnd>,
    /// Where the committed part ends: a writer appends from here, a restore reads up to here.
    pub committed_bytes: u64,
    /// Bytes after the last commit (a load that never finished).
    pub uncommitted_bytes: u64,
}

/// A frame's header as read.
struct FrameAt {
    at: u64,
    tag: u8,
    len: u32,
}

impl FrameAt {
    fn payload_at(&self) -> u64 {
        self.at + FRAME_HEADER as u64
    }
    fn end(&self) -> u64 {
        self.payload_at() + u64::from(self.len)
    }
}

/// Reads the header at `at`; `Ok(None)` when the journal ends there or a frame is cut short (the
/// end of a load that never finished).
fn frame_at<S: JournalSource>(src: &mut S, at: u64) -> Result<Option<FrameAt>, JournalError> {
    let total = src.len();
    if at + FRAME_HEADER as u64 > total {
        return Ok(None);
    }
    let mut header = [0u8; FRAME_HEADER];
    src.read_exact_at(at, &mut header)
        .map_err(JournalError::Read)?;
    let [tag, l0, l1, l2, l3] = header;
    let len = u32::from_le_bytes([l0, l1, l2, l3]);
    if !matches!(tag, TAG_PARSED | TAG_BATCH | TAG_LOAD_END) {
        return Err(JournalError::Damaged {
            at,
            problem: format!("unknown frame tag {tag}"),
        });
    }
    if len > MAX_FRAME {
        return Err(JournalError::Damaged {
            at,
            problem: format!("a frame claims {len} bytes, more than {MAX_FRAME}"),
        });
    }
    let frame = FrameAt { at, tag, len };
    Ok((frame.end() <= total).then_some(frame))
}

fn payload<S: JournalSource>(src: &mut S, frame: &FrameAt) -> Result<Vec<u8>, JournalError> {
    // The length was checked against the journal's size, so this allocation is bounded by it.
    let mut bytes = vec![0u8; frame.len as usize];
    src.read_exact_at(frame.payload_at(), &mut bytes)
        .map_err(JournalError::Read)?;
    Ok(bytes)
}

/// Reads what a journal holds from its header and its last commit. An empty source is an empty
/// journal.
pub fn summarize<S: JournalSource>(src: &mut S) -> Result<JournalSummary, JournalError> {
    if src.is_empty() {
        return Ok(JournalSummary::default());
    }
    if src.len() < HEADER_LEN as u64 {
        return Err(JournalError::NotAJournal);
    }
    let mut bytes = [0u8; HEADER_LEN];
    src.read_exact_at(0, &mut bytes)
        .map_err(JournalError::Read)?;
    if bytes.get(..8) != Some(&MAGIC[..]) {
        return Err(JournalError::NotAJournal);
    }
    let word = |range: std::ops::Range<usize>| {
        let mut out = [0u8; 8];
        if let (Some(part), Some(slot)) = (bytes.get(range.clone()), out.get_mut(..range.len())) {
            slot.copy_from_slice(part);
        }
        u64::from_le_bytes(out)
    };
    let committed = word(8..16);
    let last_end_at = word(16..24);
    let loads = u32::try_from(word(24..28)).unwrap_or(u32::MAX);
    let damaged = |problem: &str| JournalError::Damaged {
        at: 0,
        problem: problem.into(),
    };
    if committed < HEADER_LEN as u64 || committed > src.len() {
        return Err(damaged(
            "its header names a committed length the file does not have",
        ));
    }
    let mut summary = JournalSummary {
        loads,
        last: None,
        committed_bytes: committed,
        uncommitted_bytes: src.len() - committed,
    };
    if loads > 0 {
        let frame = frame_at(src, last_end_at)?
            .filter(|f| f.tag == TAG_LOAD_END && f.end() == committed)
            .ok_or_else(|| damaged("its header does not point at its last commit"))?;
        let end: LoadEnd =
            serde_json::from_slice(&payload(src, &frame)?).map_err(|e| JournalError::Damaged {
                at: last_end_at,
                problem: format!("a load's commit is unreadable: {e}"),
            })?;
        summary.last = Some(end);
    }
    Ok(summary)
}

/// Bytes a restore reads at once: sequential reads of this size keep the storage's per-call
/// cost out of the way (a journal of a million events is about half a gigabyte in tens of
/// thousands of frames).
const CHUNK: usize = 16 << 20;

/// A source read through a window of [`CHUNK`] bytes, for one pass from start to end.
struct Chunked<'s, S> {
    src: &'s mut S,
    start: u64,
    window: Vec<u8>,
}

impl<S: JournalSource> JournalSource for Chunked<'_, S> {
    fn len(&self) -> u64 {
        self.src.len()
    }
    fn read_exact_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), String> {
        let end = at + buf.len() as u64;
        let inside = at >= self.start && end <= self.start + self.window.len() as u64;
        if !inside {
            if buf.len() >= CHUNK {
                return self.src.read_exact_at(at, buf);
            }
            let size = (CHUNK as u64).min(self.src.len().saturating_sub(at));
            if size < buf.len() as u64 {
                return Err("fewer bytes than asked for".into());
            }
            self.window.resize(size as usize, 0);
            self.src.read_exact_at(at, &mut self.window)?;
            self.start = at;
        }
        let from = (at - self.start) as usize;
        buf.copy_from_slice(self.window.get(from..from + buf.len()).unwrap_or_default());
        Ok(())
    }
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    /// The journal's summary (loads, the last commit, bytes left out).
    pub summary: JournalSummary,
    /// Parser messages replayed.
    pub messages: u64,
}

/// Rebuilds a store from the committed loads of a journal, through the same merge that built it.
/// Any damage in the committed part fails the whole restore: a store that silently lacks some of
/// the saved events would be worse than none.
pub fn restore<S: JournalSource>(src: &mut S) -> Result<(Store, Restored), JournalError> {
    restore_into(src, Store::new())
}

/// [`restore`] into `store`, an empty store its owner prepared (the page's store worker gives
/// one that keeps its records outside WebAssembly memory past a size).
pub fn restore_into<S: JournalSource>(
    src: &mut S,
    mut store: Store,
) -> Result<(Store, Restored), JournalError> {
    debug_assert_eq!(store.len(), 0, "a restore fills an empty store");
    let summary = summarize(src)?;
    if let Some(last) = &summary.last {
        let (rows, distinct_values) = room_to_make(last, summary.committed_bytes);
        store.reserve(rows, &distinct_values);
    }
    let src = &mut Chunked {
        src,
        start: 0,
        window: Vec::new(),
    };
    let mut merger: Merger<()> = Merger::default();
    let mut at = HEADER_LEN as u64;
    let mut messages = 0;
    while at < summary.committed_bytes {
        let frame = frame_at(src, at)?.ok_or_else(|| JournalError::Damaged {
            at,
            problem: "a committed frame is cut short".into(),
        })?;
        at = frame.end();
        match frame.tag {
            TAG_LOAD_END => continue,
            TAG_BATCH => {
                return Err(JournalError::Damaged {
                    at: frame.at,
                    problem: "a batch without the message it belongs to".into(),
                })
            }
            _ => {}
        }
        let parsed: JournalParsed =
            serde_json::from_slice(&payload(src, &frame)?).map_err(|e| JournalError::Damaged {
                at: frame.at,
                problem: format!("a message is unreadable: {e}"),
            })?;
        // Batches are decoded one at a time as the merge reaches them, as in a load.
        let mut problem: Option<JournalError> = None;
        let mut read = 0u32;
        let batches = (0..parsed.batches).map_while(|_| {
            match next_batch(src, &mut at, summary.committed_bytes) {
                Ok((frame_start, bytes)) => match EventBatch::from_bytes(&bytes) {
                    Ok(batch) => {
                        read += 1;
                        Some(batch)
                    }
                    Err(e) => {
                        problem = Some(JournalError::Damaged {
                            at: frame_start,
                            problem: e.to_string(),
                        });
                        None
                    }
                },
                Err(e) => {
                    problem = Some(e);
                    None
                }
            }
        });
        merger.merge(&mut store, parsed.files, parsed.chunk_of, batches);
        if let Some(e) = problem {
            return Err(e);
        }
        // Batches the merge did not ask for (it stops early on a message it must not merge).
        for _ in read..parsed.batches {
            skip_batch(src, &mut at, summary.committed_bytes)?;
        }
        messages += 1;
    }
    Ok((store, Restored { summary, messages }))
}

/// The rows and distinct values a restore makes room for at once: what the last commit says the
/// store held. A damaged journal may claim any number, so a claim its bytes could not hold is
/// false and gets no room: a batch row takes at least 125 bytes (its dedupe key, hashes, time,
/// codes and record reference), and honest journals hold far fewer distinct values than one per
/// 50 bytes (a value takes at least 5, and rows repeat values). Room for a claim that passes
/// costs at most about the journal's size again, and is only a hint ([`Store::reserve`]).
fn room_to_make(last: &LoadEnd, committed_bytes: u64) -> (usize, Vec<usize>) {
    const BATCH_BYTES_PER_ROW_AT_LEAST: u64 = 125;
    const BYTES_PER_DISTINCT_VALUE_CLAIMED: u64 = 50;
    let rows = if last.events <= committed_bytes / BATCH_BYTES_PER_ROW_AT_LEAST {
        usize::try_from(last.events).unwrap_or(0)
    } else {
        0
    };
    let values: u64 = last
        .distinct_values
        .iter()
        .fold(0u64, |sum, &n| sum.saturating_add(n));
    let distinct_values = if last.distinct_values.len() == trailscope_store::Field::ALL.len()
        && values <= committed_bytes / BYTES_PER_DISTINCT_VALUE_CLAIMED
    {
        last.distinct_values
            .iter()
            .map(|&n| usize::try_from(n).unwrap_or(0))
            .collect()
    } else {
        Vec::new()
    };
    (rows, distinct_values)
}

/// The batch frame at `*at`, which must lie in the committed part; moves `*at` past it.
fn batch_frame<S: JournalSource>(
    src: &mut S,
    at: &mut u64,
    committed: u64,
) -> Result<FrameAt, JournalError> {
    let frame = frame_at(src, *at)?
        .filter(|f| f.tag == TAG_BATCH && f.end() <= committed)
        .ok_or_else(|| JournalError::Damaged {
            at: *at,
            problem: "a message's batch is missing".into(),
        })?;
    *at = frame.end();
    Ok(frame)
}

/// The next batch frame's offset and payload.
fn next_batch<S: JournalSource>(
    src: &mut S,
    at: &mut u64,
    committed: u64,
) -> Result<(u64, Vec<u8>), JournalError> {
    let frame = batch_frame(src, at, committed)?;
    Ok((frame.at, payload(src, &frame)?))
}

fn skip_batch<S: JournalSource>(
    src: &mut S,
    at: &mut u64,
    committed: u64,
) -> Result<(), JournalError> {
    batch_frame(src, at, committed).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{chunk, log_batch as batch, parsed_file as file};
    use crate::LogHashWire;
    use trailscope_store::Field;

    /// One message as the worker sees it: files, the file its rows continue, batches.
    type Message = (Vec<ParsedFile>, Option<FileChunk>, Vec<EventBatch>);

    /// Merges `loads` into a store as the worker does, writing the journal beside it; with
    /// `unfinished`, a last load is written without its commit.
    fn build(loads: Vec<Vec<Message>>, unfinished: Option<Vec<Message>>) -> (Store, Vec<u8>) {
        let mut store = Store::new();
        let mut merger: Merger<()> = Merger::default();
        let mut journal = journal_start();
        fn write(
            journal: &mut Vec<u8>,
            store: &mut Store,
            merger: &mut Merger<()>,
            messages: Vec<Message>,
        ) {
            for (files, chunk_of, batches) in messages {
                journal.extend(parsed_frame(
                    &files,
                    chunk_of.as_ref(),
                    batches.len() as u32,
                ));
                for batch in &batches {
                    let bytes = batch.to_bytes();
                    journal.extend(batch_frame_header(bytes.len()).unwrap());
                    journal.extend(bytes);
                }
                merger.merge(store, files, chunk_of, batches.into_iter());
            }
        }
        for (commits, load) in (0u32..).zip(loads) {
            write(&mut journal, &mut store, &mut merger, load);
            let done = commit(&LoadEnd::of(&store, 1.7e12), journal.len() as u64, commits);
            journal.extend_from_slice(&done.frame);
            journal[..HEADER_LEN].copy_from_slice(&done.header);
            assert_eq!(done.committed, journal.len() as u64);
        }
        if let Some(load) = unfinished {
            let mut scratch = Store::new();
            let mut scratch_merger: Merger<()> = Merger::default();
            let before = journal.len();
            write(&mut journal, &mut scratch, &mut scratch_merger, load);
            assert!(journal.len() > before);
        }
        (store, journal)
    }

    /// Two loads: whole files, a failed one, a large file in chunks, and in the second load
    /// duplicates of the first and a conflicting copy.
    fn two_loads() -> Vec<Vec<Message>> {
        vec![
            vec![
                (
                    vec![
                        file(0, "a.json", 10, false, false),
                        file(1, "bad.json", 0, false, true),
                    ],
                    None,
                    vec![batch(0..10, "x")],
                ),
                (
                    Vec::new(),
                    chunk(2, "big.json.gz"),
                    vec![batch(10..40, "x")],
                ),
                (
                    Vec::new(),
                    chunk(2, "big.json.gz"),
                    vec![batch(40..60, "x"), batch(60..70, "x")],
                ),
                (
                    vec![file(2, "big.json.gz", 65, true, false)],
                    None,
                    vec![batch(70..75, "x")],
                ),
            ],
            vec![(
                vec![file(0, "c.json", 8, false, false)],
                None,
                vec![batch(5..12, "x"), batch(100..101, "y")],
            )],
        ]
    }

    fn assert_same(a: &Store, b: &Store) {
        assert_eq!(a.len(), b.len());
        assert_eq!(a.files(), b.files());
        assert_eq!(a.conflict_count(), b.conflict_count());
        for row in 0..a.len() {
            assert_eq!(a.event_id(row), b.event_id(row));
            assert_eq!(a.raw(row), b.raw(row));
            assert_eq!(a.time_at(row), b.time_at(row));
            assert_eq!(a.file_id_of(row), b.file_id_of(row));
            for field in Field::ALL {
                assert_eq!(a.value(field, row), b.value(field, row));
            }
        }
    }

    #[test]
    fn a_restore_rebuilds_the_store_the_loads_built() {
        let (original, journal) = build(two_loads(), None);
        assert_eq!(original.len(), 76);
        assert_eq!(original.files().len(), 4);
        let (restored, report) = restore(&mut journal.as_slice()).unwrap();
        assert_same(&original, &restored);
        assert_eq!(report.summary.loads, 2);
        assert_eq!(report.summary.last.as_ref().unwrap().events, 76);
        assert_eq!(report.summary.uncommitted_bytes, 0);
        assert_eq!(report.messages, 5);
    }

    #[test]
    fn a_commit_carries_the_room_a_restore_makes() {
        let (original, journal) = build(two_loads(), None);
        let last = summarize(&mut journal.as_slice()).unwrap().last.unwrap();
        let distinct: Vec<u64> = original
            .distinct_values()
            .into_iter()
            .map(|n| n as u64)
            .collect();
        assert_eq!(last.distinct_values, distinct);
        assert!(distinct.iter().any(|&n| n > 1));
        let (rows, values) = room_to_make(&last, journal.len() as u64);
        assert_eq!(rows, 76);
        assert_eq!(values, original.distinct_values());
    }

    /// A hostile or damaged commit claiming more than its journal can hold makes no room beyond
    /// what the bytes allow, so it cannot make a restore allocate without bound.
    #[test]
    fn claims_past_the_journals_bytes_make_no_room() {
        let claim = LoadEnd {
            events: u64::MAX,
            files: 1,
            saved_at_millis: 0.0,
            distinct_values: vec![u64::MAX / 2; 3],
        };
        assert_eq!(room_to_make(&claim, 10_000), (0, Vec::new()));
        // Claims just within the bytes pass; values for another number of columns do not.
        // 10,000 bytes hold at most 80 rows and 200 distinct values.
        let columns = Field::ALL.len();
        let each = 200 / columns as u64;
        let within = LoadEnd {
            events: 80,
            distinct_values: vec![each; columns],
            ..claim.clone()
        };
        assert_eq!(
            room_to_make(&within, 10_000),
            (80, vec![each as usize; columns])
        );
        let past = LoadEnd {
            events: 81,
            distinct_values: vec![each + 1; columns],
            ..claim.clone()
        };
        assert_eq!(room_to_make(&past, 10_000), (0, Vec::new()));
        let other_columns = LoadEnd {
            distinct_values: vec![1; columns + 1],
            ..within
        };
        assert_eq!(room_to_make(&other_columns, 10_000).1, Vec::<usize>::new());
        // A commit from before commits carried distinct values still reads.
        let old: LoadEnd =
            serde_json::from_str(r#"{"events":5,"files":1,"saved_at_millis":1.0}"#).unwrap();
        assert!(old.distinct_values.is_empty());
        assert_eq!(room_to_make(&old, 10_000), (5, Vec::new()));
    }

    #[test]
    fn an_unfinished_load_is_left_out_and_counted() {
        let unfinished = vec![(
            vec![file(0, "late.json", 3, false, false)],
            None,
            vec![batch(200..203, "x")],
        )];
        let (original, journal) = build(two_loads(), Some(unfinished));
        let summary = summarize(&mut journal.as_slice()).unwrap();
        assert!(summary.uncommitted_bytes > 0);
        let (restored, report) = restore(&mut journal.as_slice()).unwrap();
        assert_same(&original, &restored);
        assert_eq!(report.summary, summary);
    }

    #[test]
    fn integrity_material_is_not_written() {
        let listed = ParsedFile {
            log_hash: Some(LogHashWire {
                sha256: "ab".repeat(32),
                read: "complete".into(),
                reason: None,
                trailing: false,
                bytes: 10,
            }),
            kept: Some(serde_bytes::ByteBuf::from(b"digest".to_vec())),
            ..file(0, "a.json", 1, false, false)
        };
        let frame = parsed_frame(&[listed], None, 0);
        let text = String::from_utf8_lossy(&frame);
        assert!(!text.contains(&"ab".repeat(32)), "{text}");
        assert!(!text.contains("digest"));
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        assert_eq!(
            restore(&mut b"{\"Records\":[]}".as_slice()).err(),
            Some(JournalError::NotAJournal)
        );
        let (store, report) = restore(&mut [].as_slice()).unwrap();
        assert!(store.is_empty());
        assert_eq!(report.summary.loads, 0);
        // Frames inside the committed part that are not frames.
        let committed = |frame: &[u8]| {
            let mut journal = journal_start();
            journal.extend_from_slice(frame);
            let head = header(journal.len() as u64, 0, 0);
            journal[..HEADER_LEN].copy_from_slice(&head);
            journal
        };
        assert!(matches!(
            restore(&mut committed(&[9, 0, 0, 0, 0]).as_slice()),
            Err(JournalError::Damaged { at: 28, .. })
        ));
        let error =
            restore(&mut committed(&[TAG_BATCH, 0xff, 0xff, 0xff, 0xff]).as_slice()).unwrap_err();
        assert!(error.to_string().contains("more than"), "{error}");
        // A header that claims more than the file holds.
        let mut short = journal_start();
        short[..HEADER_LEN].copy_from_slice(&header(4_096, 0, 1));
        let error = summarize(&mut short.as_slice()).unwrap_err();
        assert!(error.to_string().contains("committed length"), "{error}");
    }

    /// A journal cut anywhere (damage from outside: a writer only ever cuts back to its last
    /// commit) is refused by name or, cut after its last commit, restored whole; never a panic,
    /// never part of a load.
    #[test]
    fn a_journal_cut_anywhere_is_refused_or_restored_whole() {
        let (original, journal) = build(two_loads(), None);
        for cut in 0..journal.len() {
            let part = &journal[..cut];
            match restore(&mut &part[..]) {
                Ok((store, report)) => {
                    assert_eq!(cut, 0, "cut at {cut} restored {} events", store.len());
                    assert_eq!(report.summary.loads, 0);
                }
                Err(e) => assert!(
                    matches!(e, JournalError::NotAJournal | JournalError::Damaged { .. }),
                    "cut at {cut}: {e}"
                ),
            }
        }
        let (restored, _) = restore(&mut journal.as_slice()).unwrap();
        assert_same(&original, &restored);
    }

    /// Chunked reads give the same bytes as reads in place, across window edges.
    #[test]
    fn chunked_reads_match_the_source() {
        let bytes: Vec<u8> = (0..(CHUNK + 1000)).map(|i| (i % 251) as u8).collect();
        let mut source = bytes.as_slice();
        let mut chunked = Chunked {
            src: &mut source,
            start: 0,
            window: Vec::new(),
        };
        for (at, len) in [(0, 10), (CHUNK - 3, 10), (5, CHUNK), (CHUNK + 990, 10)] {
            let mut buf = vec![0u8; len];
            chunked.read_exact_at(at as u64, &mut buf).unwrap();
            assert_eq!(buf, bytes[at..at + len], "at {at}, {len} bytes");
        }
        let mut buf = vec![0u8; 20];
        assert!(chunked
            .read_exact_at((CHUNK + 990) as u64, &mut buf)
            .is_err());
    }

    /// Damage inside the committed part fails the restore or changes nothing it can detect, and
    /// never panics.
    #[test]
    fn damaged_bytes_never_panic() {
        let (_, journal) = build(two_loads(), None);
        for at in (0..journal.len()).step_by(7) {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = journal.clone();
                damaged[at] ^= flip;
                let _ = restore(&mut damaged.as_slice());
            }
        }
    }
}
