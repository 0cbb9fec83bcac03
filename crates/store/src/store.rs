//! The event store: columns per field, one row per unique event, whole files merged at once.

use hashbrown::HashMap;
use trailscope_model::{FileKind, FileOutcome, TimeNotes, Timestamp};

use crate::arena::StrArena;
use crate::batch::{BatchBuilder, EventBatch, PROJECTION};
use crate::conflict::{PendingCopy, StoredCopy};
use crate::dict::DictColumn;
use crate::field::{Field, FIELD_COUNT};
use crate::raw::{BlockSpill, RawRef, RawStore};
use crate::row::{Tri, INSIGHT_BIT, MANAGEMENT_SHIFT, MFA_SHIFT, NO_TIME, READ_ONLY_SHIFT};
use crate::text::TextIndex;

/// Index of a loaded file in [`Store::files`].
pub type FileId = u32;

/// What reading a file produced, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// What the file turned out to be.
    pub kind: FileKind,
    /// Events read from it.
    pub events: u64,
    /// Records skipped because they were not events or not valid JSON.
    pub skipped_records: u64,
    /// The first skipped records' problems.
    pub skipped_examples: Vec<String>,
    /// Notes on event times.
    pub time_notes: TimeNotes,
    /// Bytes as stored (compressed).
    pub stored_bytes: u64,
    /// Bytes of text after decompression.
    pub text_bytes: u64,
    /// Why the file failed; a failed file adds no events.
    pub error: Option<String>,
    /// Non-fatal oddities.
    pub warnings: Vec<String>,
    /// The error is well-formed data that is not CloudTrail
    /// ([`trailscope_model::IngestError::is_foreign_data`]).
    pub foreign: bool,
    /// SHA-256 of the file as stored, lowercase hex: what identifies the evidence in reports
    /// and export manifests.
    pub stored_sha256: Option<String>,
}

impl FileSummary {
    /// A file of `events` events handed over already parsed (the SQL worker's parts of the
    /// store worker's events): nothing skipped, no notes, no error.
    pub fn of_events(events: u64) -> FileSummary {
        FileSummary {
            kind: FileKind::CloudTrailLog,
            events,
            skipped_records: 0,
            skipped_examples: Vec::new(),
            time_notes: TimeNotes::default(),
            stored_bytes: 0,
            text_bytes: 0,
            error: None,
            warnings: Vec::new(),
            foreign: false,
            stored_sha256: None,
        }
    }
}

impl From<&FileOutcome> for FileSummary {
    fn from(o: &FileOutcome) -> Self {
        FileSummary {
            kind: o.kind,
            events: o.events,
            skipped_records: o.skipped_records,
            skipped_examples: o.skipped_examples.clone(),
            time_notes: o.time_notes,
            stored_bytes: o.stored_bytes,
            text_bytes: o.text_bytes,
            error: o.error.as_ref().map(ToString::to_string),
            warnings: o.warnings.clone(),
            foreign: o
                .error
                .as_ref()
                .is_some_and(trailscope_model::IngestError::is_foreign_data),
            stored_sha256: o.stored_sha256.clone(),
        }
    }
}

impl FileEntry {
    /// A helper file that is not CloudTrail (a `describe-trails` output, a manifest): listed
    /// apart from failures. A file named as CloudTrail names its files never is: one of those
    /// without events is damaged or replaced.
    pub fn is_not_cloudtrail(&self) -> bool {
        self.summary.foreign && !trailscope_model::has_cloudtrail_file_name(&self.path)
    }
}

/// What the store knows about one loaded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The path as the user gave it (folder-relative, or `archive.zip/entry`).
    pub path: String,
    /// What reading it produced.
    pub summary: FileSummary,
    /// Events it added (its duplicates of events already stored are not counted here).
    pub added: u64,
    /// Its events that were already stored (from another file or earlier in this one).
    pub duplicates: u64,
}

/// A file's part of a run of batches: its summary and how many rows it has there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRows {
    /// The path as the user gave it.
    pub path: String,
    /// What reading it produced.
    pub summary: FileSummary,
    /// Its rows in the batches (rows of a failed file are there too, and skipped).
    pub rows: u64,
    /// Skip its rows and do not list the file (a read that was cancelled half-way).
    pub discard: bool,
}

/// A batch ready to merge: its value codes mapped into the store's dictionaries, its record
/// blocks handed over (at store block index `base`).
struct PreparedBatch {
    batch: EventBatch,
    maps: Vec<Vec<u32>>,
    base: u32,
}

/// Walks the rows of several batches one batch at a time: a batch is prepared when its first
/// row is reached and dropped once its last row is merged, so a long run of batches (a large
/// file) never sits in memory twice.
struct BatchRows<I> {
    batches: I,
    current: Option<PreparedBatch>,
    row: usize,
}

impl<I: Iterator<Item = EventBatch>> BatchRows<I> {
    fn new(batches: I) -> Self {
        BatchRows {
            batches,
            current: None,
            row: 0,
        }
    }

    /// Moves to the next row, preparing the next batch when needed; `false` at the end.
    fn advance(&mut self, store: &mut Store) -> bool {
        loop {
            if let Some(current) = &self.current {
                if self.row < current.batch.len() {
                    self.row += 1;
                    return true;
                }
            }
            let Some(batch) = self.batches.next() else {
                self.current = None;
                return false;
            };
            self.current = Some(store.prepare(batch));
            self.row = 0;
        }
    }

    /// The row [`BatchRows::advance`] moved to.
    fn position(&self) -> Option<(&PreparedBatch, usize)> {
        Some((self.current.as_ref()?, self.row.checked_sub(1)?))
    }
}

/// Rows merged per batch while a file streams into the store ([`Store::load`]).
const STREAM_ROWS: usize = 16_384;

/// The event sink of [`Store::load`]: batches of events go into the store while the file is
/// read.
pub struct FileLoader<'s> {
    store: &'s mut Store,
    open: OpenFile,
    builder: BatchBuilder,
}

impl trailscope_model::EventSink for FileLoader<'_> {
    type Error = std::convert::Infallible;
    fn accept(&mut self, event: &trailscope_model::Event<'_>) -> Result<(), Self::Error> {
        self.builder.push(event);
        if self.builder.len() >= STREAM_ROWS {
            self.store.add_rows(&mut self.open, self.builder.take());
        }
        Ok(())
    }
}

/// Where the store stood when a file began, to undo the file's rows if it fails.
#[derive(Clone, Copy, Debug)]
struct Checkpoint {
    rows: usize,
    copies: usize,
    pending: usize,
}

/// A file being added a batch at a time ([`Store::begin_file`]): its rows are merged as they
/// come, and removed again if it ends with an error, so a file is still merged whole or not at
/// all while a huge one never has to be held in memory as one batch.
#[derive(Debug)]
pub struct OpenFile {
    path: String,
    checkpoint: Checkpoint,
    /// Rows handed to it, merged or not.
    rows: u64,
    added: u64,
    duplicates: u64,
}

impl OpenFile {
    /// The path it was opened with.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Rows handed to it so far (new, duplicate or refused).
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// The in-memory event store.
pub struct Store {
    pub(crate) time: Vec<i64>,
    pub(crate) flags: Vec<u8>,
    pub(crate) file: Vec<FileId>,
    pub(crate) columns: [DictColumn; FIELD_COUNT],
    pub(crate) event_id: StrArena,
    pub(crate) raw: RawStore,
    /// Per row: a hash of its record ([`crate::batch::PROJECTION`] for a CSV row's projection).
    pub(crate) content: Vec<u64>,
    /// Dedupe key → row.
    seen: HashMap<u128, u32>,
    /// Copies of events whose content differs from the row's.
    pub(crate) copies: Vec<StoredCopy>,
    /// Copies met during the current merge, compared once it is done.
    pub(crate) pending: Vec<PendingCopy>,
    files: Vec<FileEntry>,
    /// Each file's integrity, once verification has run (indexed like `files`).
    integrity: Vec<Option<Integrity>>,
    /// Rows sorted by (time, row); rebuilt lazily after loads.
    order: Vec<u32>,
    /// Rows sorted by a column's value, built when a table is first sorted by it and dropped
    /// when a load changes the store (see [`Store::column_order`]).
    column_orders: HashMap<Field, ColumnOrder>,
    /// The free-text index over the first rows ([`Store::index_text`]).
    pub(crate) text: TextIndex,
    /// The seed given to it (0: its own).
    text_seed: u64,
}

/// The rows sorted by one column: rows with a value first, by value then time, then the rows
/// without one, by time.
#[derive(Debug, Default)]
pub struct ColumnOrder {
    /// Every row, in that order.
    pub rows: Vec<u32>,
    /// How many of `rows` (the first ones) have a value.
    pub with_value: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            time: Vec::new(),
            flags: Vec::new(),
            file: Vec::new(),
            columns: std::array::from_fn(|_| DictColumn::default()),
            event_id: StrArena::default(),
            raw: RawStore::default(),
            content: Vec::new(),
            seen: HashMap::new(),
            copies: Vec::new(),
            pending: Vec::new(),
            files: Vec::new(),
            integrity: Vec::new(),
            order: Vec::new(),
            column_orders: HashMap::new(),
            text: TextIndex::default(),
            text_seed: 0,
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("rows", &self.time.len())
            .field("files", &self.files.len())
            .finish()
    }
}

/// Largest number of rows (row indexes are `u32`).
pub const MAX_ROWS: usize = u32::MAX as usize - 1;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// Makes room at once for `rows` more rows and, per column (in [`Field`] order), for
    /// `distinct_values` more distinct values, where the caller knows how many will come (a
    /// workspace restore: its journal says). Growing by doubling instead copies every column and
    /// rehashes the dedupe table and each dictionary about twenty times on the way to a million
    /// rows: 10% of a native restore's merge on an idle machine, a third with a build on the
    /// other core. The event ids' bytes and the record blocks still grow as they come. Only a
    /// hint: where memory cannot be had now, the store grows as rows come, as in a load.
    pub fn reserve(&mut self, rows: usize, distinct_values: &[usize]) {
        fn vec<T>(v: &mut Vec<T>, rows: usize) {
            // Failing is allowed: the rows then grow the vector as usual.
            let _ = v.try_reserve_exact(rows);
        }
        let _ = self.seen.try_reserve(rows);
        vec(&mut self.time, rows);
        vec(&mut self.flags, rows);
        vec(&mut self.file, rows);
        vec(&mut self.content, rows);
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.reserve(rows, distinct_values.get(i).copied().unwrap_or(0));
        }
        vec(&mut self.event_id.ends, rows);
        self.raw.reserve_rows(rows);
    }

    /// Distinct values of each column, in [`Field`] order (what [`Store::reserve`] takes).
    pub fn distinct_values(&self) -> Vec<usize> {
        self.columns.iter().map(DictColumn::distinct).collect()
    }

    /// Number of unique events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether no event is loaded.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The files loaded so far, in the order they were added.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// Reads one file with `read` (which hands every event to the [`FileLoader`] it is given and
    /// returns the outcome) and adds it: the single-threaded path of the CLI and the tests. The
    /// events are merged a batch at a time while the file is read, so a file of millions of
    /// events costs the store's own memory and one batch, never a copy of the whole file; if it
    /// fails, its rows are taken out again.
    pub fn load(
        &mut self,
        path: &str,
        read: impl FnOnce(&mut FileLoader<'_>) -> FileOutcome,
    ) -> FileId {
        let open = self.begin_file(path);
        let mut loader = FileLoader {
            store: self,
            open,
            builder: BatchBuilder::new(),
        };
        let outcome = read(&mut loader);
        let FileLoader {
            store,
            mut open,
            mut builder,
        } = loader;
        if !builder.is_empty() {
            store.add_rows(&mut open, builder.take());
        }
        store.finish_file(open, FileSummary::from(&outcome))
    }

    /// Adds a file: its summary, and, unless it failed, its events. A failed file adds no event,
    /// so a half-read file never leaves events behind. Events already stored are counted as the
    /// file's duplicates and not added again.
    pub fn add_file(
        &mut self,
        path: &str,
        summary: FileSummary,
        batches: Vec<EventBatch>,
    ) -> FileId {
        let rows = batches.iter().map(|b| b.len() as u64).sum();
        let first = self.files.len();
        self.add_files(
            vec![FileRows {
                path: path.to_string(),
                summary,
                rows,
                discard: false,
            }],
            batches,
        );
        FileId::try_from(first).unwrap_or(FileId::MAX)
    }

    /// Adds several files whose events lie one after another in `batches`: the first file's
    /// `rows` rows, then the next file's, and so on. Rows of failed files are skipped. Parsers
    /// send many small files this way, so the store interns each batch's values once. Batches
    /// are taken one at a time, so an iterator that decodes them lazily keeps memory low.
    pub fn add_files<B: IntoIterator<Item = EventBatch>>(
        &mut self,
        files: Vec<FileRows>,
        batches: B,
    ) {
        let mut rows = BatchRows::new(batches.into_iter());
        for file in files {
            let file_id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
            let checkpoint = self.checkpoint();
            let (mut added, mut duplicates) = (0u64, 0u64);
            let skip = file.summary.error.is_some() || file.discard;
            let mut missing = false;
            for _ in 0..file.rows {
                if !rows.advance(self) {
                    missing = true;
                    break;
                }
                if skip {
                    continue;
                }
                let Some((batch, row)) = rows.position() else {
                    continue;
                };
                match self.merge_row(batch, row, file_id) {
                    Some(true) => added += 1,
                    Some(false) => duplicates += 1,
                    None => {}
                }
            }
            let mut summary = file.summary;
            if missing && !skip {
                // The batches ended before the file's rows did (a damaged message): the file
                // cannot be whole, so none of it stays.
                self.rollback(checkpoint);
                summary
                    .error
                    .get_or_insert_with(|| "its events were lost on the way to the store".into());
                added = 0;
                duplicates = 0;
            }
            if !file.discard {
                self.list_file(FileEntry {
                    path: file.path,
                    summary,
                    added,
                    duplicates,
                });
            }
        }
        self.end_merge();
    }

    fn list_file(&mut self, entry: FileEntry) {
        self.integrity.push(None);
        self.files.push(entry);
    }

    /// After files were merged: their copies compared, the time order due again.
    fn end_merge(&mut self) {
        self.settle_pending();
        if self.order.len() != self.len() {
            self.order.clear();
        }
        // Settling may have rewritten a row's values, not only added rows.
        self.column_orders.clear();
    }

    /// Starts adding a file a batch at a time (see [`OpenFile`]).
    pub fn begin_file(&mut self, path: &str) -> OpenFile {
        OpenFile {
            path: path.to_string(),
            checkpoint: self.checkpoint(),
            rows: 0,
            added: 0,
            duplicates: 0,
        }
    }

    /// Merges the next batch of an open file.
    pub fn add_rows(&mut self, file: &mut OpenFile, batch: EventBatch) {
        let file_id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
        let prepared = self.prepare(batch);
        file.rows += prepared.batch.len() as u64;
        for row in 0..prepared.batch.len() {
            match self.merge_row(&prepared, row, file_id) {
                Some(true) => file.added += 1,
                Some(false) => file.duplicates += 1,
                None => {}
            }
        }
    }

    /// Ends an open file: kept when `summary` has no error, else its rows are removed. The
    /// file is listed either way.
    pub fn finish_file(&mut self, file: OpenFile, summary: FileSummary) -> FileId {
        let file_id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
        let (added, duplicates) = if summary.error.is_some() {
            self.rollback(file.checkpoint);
            (0, 0)
        } else {
            (file.added, file.duplicates)
        };
        self.list_file(FileEntry {
            path: file.path,
            summary,
            added,
            duplicates,
        });
        self.end_merge();
        file_id
    }

    /// Drops an open file: its rows are removed and it is not listed (a cancelled read).
    pub fn discard_file(&mut self, file: OpenFile) {
        self.rollback(file.checkpoint);
        self.end_merge();
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            rows: self.len(),
            copies: self.copies.len(),
            pending: self.pending.len(),
        }
    }

    /// Removes every row, copy and pending copy added since `checkpoint`. Dictionary values
    /// and record blocks stay (they may be shared with rows that stay; a failed file's share of
    /// them is small).
    fn rollback(&mut self, checkpoint: Checkpoint) {
        let rows = checkpoint.rows;
        self.time.truncate(rows);
        self.flags.truncate(rows);
        self.file.truncate(rows);
        self.content.truncate(rows);
        for column in &mut self.columns {
            column.truncate(rows);
        }
        self.event_id.truncate(rows);
        self.raw.truncate(rows);
        if self.text.rows() > rows {
            // Rows it lists are gone; it is built again from the start.
            self.restart_text_index();
        }
        let limit = u32::try_from(rows).unwrap_or(u32::MAX);
        self.seen.retain(|_, row| *row < limit);
        self.copies.truncate(checkpoint.copies);
        self.pending.truncate(checkpoint.pending);
        self.order.clear();
        self.column_orders.clear();
    }

    /// Interns a batch's values into the store's dictionaries and takes its record blocks.
    fn prepare(&mut self, mut batch: EventBatch) -> PreparedBatch {
        let maps = self
            .columns
            .iter_mut()
            .zip(&batch.values)
            .map(|(column, values)| {
                std::iter::once(crate::dict::ABSENT)
                    .chain(values.iter().map(|v| column.intern(v)))
                    .collect()
            })
            .collect();
        let base = self.raw.append_blocks(
            std::mem::take(&mut batch.blocks),
            std::mem::take(&mut batch.grams),
        );
        PreparedBatch { batch, maps, base }
    }

    /// Copies one batch row unless its dedupe key is stored: `Some(true)` when added,
    /// `Some(false)` for a duplicate, `None` when the store is full.
    fn merge_row(&mut self, prepared: &PreparedBatch, row: usize, file_id: FileId) -> Option<bool> {
        let PreparedBatch { batch, maps, base } = prepared;
        let base = *base;
        if self.len() >= MAX_ROWS {
            return None;
        }
        let key = *batch.keys.get(row)?;
        let content = batch.content.get(row).copied().unwrap_or(PROJECTION);
        let at = batch.raw.get(row).copied().unwrap_or(RawRef {
            block: 0,
            start: 0,
            end: 0,
        });
        let at = RawRef {
            block: at.block.saturating_add(base),
            ..at
        };
        let next_row = u32::try_from(self.len()).unwrap_or(u32::MAX);
        // One probe of the dedupe table (its misses are most of a merge's time at millions of
        // rows): the key goes in if new, the stored row comes back if not.
        let stored_row = match self.seen.entry(key) {
            hashbrown::hash_map::Entry::Occupied(stored) => Some(*stored.get()),
            hashbrown::hash_map::Entry::Vacant(slot) => {
                slot.insert(next_row);
                None
            }
        };
        if let Some(existing) = stored_row {
            // A copy of a stored event: identical bytes and CSV projections merge at once;
            // anything else is compared once the merge is done (conflict.rs).
            let stored = self.content.get(existing as usize).copied();
            if stored != Some(content) && content != PROJECTION {
                self.pending.push(PendingCopy {
                    copy: StoredCopy {
                        row: existing,
                        file: file_id,
                        raw: at,
                        content,
                    },
                });
            }
            return Some(false);
        }
        self.content.push(content);
        self.time
            .push(batch.time.get(row).copied().unwrap_or(NO_TIME));
        self.flags
            .push(batch.flags.get(row).copied().unwrap_or(0xff));
        self.file.push(file_id);
        for ((column, map), codes) in self.columns.iter_mut().zip(maps).zip(&batch.codes) {
            let local = codes.get(row).copied().unwrap_or(0) as usize;
            column.push_code(map.get(local).copied().unwrap_or(crate::dict::ABSENT));
        }
        self.event_id.push(batch.event_ids.get(row));
        self.raw.push(at);
        Some(true)
    }

    /// Every stored dedupe key and its row.
    pub(crate) fn seen_keys(&self) -> impl Iterator<Item = (&u128, &u32)> {
        self.seen.iter()
    }

    /// Rows in time order (events without a time first), rebuilt if loads changed the store.
    pub fn time_order(&mut self) -> &[u32] {
        if self.order.len() != self.len() {
            let mut order: Vec<u32> = (0..self.len() as u32).collect();
            let time = &self.time;
            order.sort_by_key(|&r| (time.get(r as usize).copied().unwrap_or(NO_TIME), r));
            self.order = order;
        }
        &self.order
    }

    /// Rows sorted by `field`'s value ([`ColumnOrder`]), built on first use after a load.
    ///
    /// Values compare without regard to case first (so `alice` sits beside `Alice`), then
    /// byte-wise, so the order is total and the same on every run. Each distinct value is
    /// ranked once and rows are sorted by rank, which keeps a million rows well under a second.
    pub fn column_order(&mut self, field: Field) -> &ColumnOrder {
        let rows = self.len();
        let stale = self
            .column_orders
            .get(&field)
            .is_none_or(|order| order.rows.len() != rows);
        if stale {
            let order = self.build_column_order(field);
            self.column_orders.insert(field, order);
        }
        self.column_orders.entry(field).or_default()
    }

    fn build_column_order(&self, field: Field) -> ColumnOrder {
        let column = self.column(field);
        let distinct = column.distinct();
        // Codes 1..=distinct, sorted by their values; rank[code] is the position.
        let mut codes: Vec<u32> = (1..=distinct as u32).collect();
        codes.sort_by(|&a, &b| {
            let (a, b) = (
                column.value(a).unwrap_or_default(),
                column.value(b).unwrap_or_default(),
            );
            a.chars()
                .flat_map(char::to_lowercase)
                .cmp(b.chars().flat_map(char::to_lowercase))
                .then_with(|| a.cmp(b))
        });
        let mut rank = vec![u32::MAX; distinct + 1];
        for (position, &code) in codes.iter().enumerate() {
            if let Some(slot) = rank.get_mut(code as usize) {
                *slot = position as u32;
            }
        }
        let time = &self.time;
        let key = |row: u32| {
            let r = row as usize;
            let rank = rank
                .get(column.code(r) as usize)
                .copied()
                .unwrap_or(u32::MAX);
            (rank, time.get(r).copied().unwrap_or(NO_TIME), row)
        };
        let mut rows: Vec<u32> = (0..self.len() as u32).collect();
        rows.sort_unstable_by_key(|&row| key(row));
        // Absent values have code 0, whose rank is u32::MAX: they sort last.
        let with_value =
            rows.partition_point(|&row| column.code(row as usize) != crate::dict::ABSENT);
        ColumnOrder { rows, with_value }
    }

    /// The event time at `row`.
    pub fn time_at(&self, row: usize) -> Option<Timestamp> {
        self.time
            .get(row)
            .copied()
            .filter(|&t| t != NO_TIME)
            .map(Timestamp::from_unix_millis)
    }

    /// A string column.
    #[allow(clippy::indexing_slicing)] // one column per field: `Field::index` is always in range
    pub fn column(&self, field: Field) -> &DictColumn {
        &self.columns[field.index()]
    }

    /// The value of `field` at `row`.
    pub fn value(&self, field: Field, row: usize) -> Option<&str> {
        self.column(field).get(row)
    }

    /// `eventID` at `row`.
    pub fn event_id(&self, row: usize) -> Option<&str> {
        self.event_id.get(row)
    }

    fn flag(&self, row: usize, shift: u8) -> Tri {
        Tri::from_bits(self.flags.get(row).map_or(2, |f| f >> shift))
    }

    /// `readOnly` at `row`.
    pub fn read_only(&self, row: usize) -> Tri {
        self.flag(row, READ_ONLY_SHIFT)
    }

    /// Whether MFA was used, at `row`.
    pub fn mfa_used(&self, row: usize) -> Tri {
        self.flag(row, MFA_SHIFT)
    }

    /// `managementEvent` at `row`.
    pub fn management_event(&self, row: usize) -> Tri {
        self.flag(row, MANAGEMENT_SHIFT)
    }

    /// Whether the event at `row` is a CloudTrail Insights event.
    pub fn is_insight(&self, row: usize) -> bool {
        self.flags.get(row).is_some_and(|f| f & INSIGHT_BIT != 0)
    }

    /// The id of the file the event at `row` came from (the first file that had it).
    pub fn file_id_of(&self, row: usize) -> Option<FileId> {
        self.file.get(row).copied()
    }

    /// The file the event at `row` came from (the first file that had it).
    pub fn file_of(&self, row: usize) -> Option<&FileEntry> {
        self.file.get(row).and_then(|&f| self.files.get(f as usize))
    }

    /// Records the outcome of verification for every file, by path (`None`: not verified).
    /// Events with conflicting copies then show the copy from the file verification vouches
    /// for most; returns how many changed copy.
    pub fn set_integrity(&mut self, mut of_path: impl FnMut(&str) -> Option<Integrity>) -> u64 {
        self.integrity = self.files.iter().map(|f| of_path(&f.path)).collect();
        // Choosing another copy rewrites the row's values.
        self.column_orders.clear();
        self.choose_copies()
    }

    /// The integrity of file `file`, once verified.
    pub fn file_integrity(&self, file: FileId) -> Option<Integrity> {
        self.integrity.get(file as usize).copied().flatten()
    }

    /// The integrity of the event at `row` (that of the file it came from), once verified.
    pub fn integrity(&self, row: usize) -> Option<Integrity> {
        self.file.get(row).and_then(|&f| self.file_integrity(f))
    }

    /// The original record at `row`.
    pub fn raw(&self, row: usize) -> Option<String> {
        self.raw
            .get(row)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// From now on, compressed record blocks past the first `keep_here_bytes` go to `spill`
    /// (the page keeps them outside its WebAssembly memory). Blocks already kept stay.
    pub fn spill_records_to(&mut self, spill: Box<dyn BlockSpill>, keep_here_bytes: usize) {
        self.raw.spill_to(spill, keep_here_bytes);
    }

    /// Changes how many bytes of compressed records the store keeps itself before its spill
    /// (none without one); blocks already kept stay where they are.
    pub fn keep_records_here(&mut self, bytes: usize) {
        self.raw.keep_here(bytes);
    }

    /// The original records.
    pub fn records(&self) -> &RawStore {
        &self.raw
    }

    /// Indexes up to `max_rows` more rows for free text ([`crate::text`]); returns whether
    /// every row is indexed. The page calls it in steps after a load; until it is done, the
    /// rows past the index are read as before.
    pub fn index_text(&mut self, max_rows: usize) -> bool {
        let done = self.text.index_rows(&self.raw, max_rows);
        if done {
            // The index answers for every block's rows now.
            self.raw.drop_gram_sets(self.raw.block_count());
        }
        done
    }

    /// Seeds the free-text index's hash (see [`crate::text`]); the page, which has no system
    /// randomness in WebAssembly, calls it with the browser's. A reset index keeps the seed.
    pub fn seed_text_index(&mut self, seed: u64) {
        self.text_seed = seed;
        self.text.seed(seed);
    }

    /// Drops the free-text index, to build it again from the first row (same seed).
    pub(crate) fn restart_text_index(&mut self) {
        self.text = TextIndex::default();
        if self.text_seed != 0 {
            self.text.seed(self.text_seed);
        }
    }

    /// The free-text index (over rows `0..text_index().rows()`).
    pub fn text_index(&self) -> &TextIndex {
        &self.text
    }

    /// Approximate heap bytes: the columns and indexes, and separately the compressed records.
    pub fn memory(&self) -> MemoryUse {
        let columns = self.time.capacity() * 8
            + self.text.heap_bytes()
            + self.flags.capacity()
            + self.file.capacity() * 4
            + self.columns.iter().map(|c| c.heap_bytes()).sum::<usize>()
            + self.event_id.heap_bytes()
            + self.seen.capacity() * 21
            + self.content.capacity() * 8
            + self.copies.capacity() * std::mem::size_of::<StoredCopy>()
            + self.order.capacity() * 4
            + self
                .column_orders
                .values()
                .map(|o| o.rows.capacity() * 4)
                .sum::<usize>();
        MemoryUse {
            columns_bytes: columns,
            // In u64: with records outside a wasm32 store's memory, the sum passes 4 GiB.
            records_bytes: (self.raw.heap_bytes() as u64).saturating_add(self.raw.spilled_bytes()),
            records_spilled_bytes: self.raw.spilled_bytes(),
            records_raw_bytes: self.raw.raw_bytes(),
        }
    }
}

/// What verification said about the file an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// A valid digest names the file and its hash matches.
    Verified,
    /// The file failed verification (hash mismatch, unreadable, moved, ...).
    Failed,
    /// Only digests that could not be verified name the file.
    Unverified,
    /// No digest names the file.
    NotCovered,
}

impl Integrity {
    /// The name the filter language and the wire use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Integrity::Verified => "verified",
            Integrity::Failed => "failed",
            Integrity::Unverified => "unverified",
            Integrity::NotCovered => "not_covered",
        }
    }
}

/// Heap use of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    /// Columns, dictionaries, dedupe index and sort order.
    pub columns_bytes: usize,
    /// The compressed original records, wherever they are kept (a `u64`: kept outside, they
    /// may pass what a 32-bit `usize` counts).
    pub records_bytes: u64,
    /// The part of `records_bytes` in the store's [`BlockSpill`], outside its own memory.
    pub records_spilled_bytes: u64,
    /// The original records' uncompressed size.
    pub records_raw_bytes: u64,
}

#[cfg(test)]
mod tests {
    use trailscope_model::{ingest_bytes, Limits};

    use super::*;

    #[test]
    fn batches_survive_their_binary_form() {
        let log = br#"{"Records":[{"eventID":"1","eventName":"A","eventTime":"2024-01-01T00:00:00Z","awsRegion":"r"},{"eventID":"2","eventName":"B","userIdentity":{"type":"Root"}}]}"#;
        let mut builder = BatchBuilder::new();
        let outcome = ingest_bytes(log, Limits::default(), &mut builder);
        let batch = builder.take();
        let bytes = batch.to_bytes();
        let back = EventBatch::from_bytes(&bytes).unwrap();
        assert_eq!(back, batch);
        for cut in [0, 3, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(EventBatch::from_bytes(&bytes[..cut]).is_err());
        }
        let mut store = Store::new();
        store.add_file("a", FileSummary::from(&outcome), vec![back]);
        assert_eq!(store.len(), 2);
        assert_eq!(store.value(Field::User, 1), Some("root"));
        assert_eq!(
            store.raw(0).as_deref(),
            Some(
                r#"{"eventID":"1","eventName":"A","eventTime":"2024-01-01T00:00:00Z","awsRegion":"r"}"#
            )
        );
    }

    #[test]
    fn events_carry_their_files_integrity() {
        let a = br#"{"Records":[{"eventID":"1","eventTime":"2024-01-01T00:00:00Z"}]}"#;
        let b = br#"{"Records":[{"eventID":"2","eventTime":"2024-01-01T00:00:00Z"},{"eventID":"1","eventTime":"2024-01-01T00:00:00Z"}]}"#;
        let mut store = Store::new();
        store.load("a.json", |s| ingest_bytes(a, Limits::default(), s));
        store.load("b.json", |s| ingest_bytes(b, Limits::default(), s));
        assert_eq!(store.integrity(0), None);
        store.set_integrity(|path| match path {
            "a.json" => Some(Integrity::Verified),
            "b.json" => Some(Integrity::Failed),
            _ => None,
        });
        // Event 1 is stored once, from the first file that had it.
        assert_eq!(store.integrity(0), Some(Integrity::Verified));
        assert_eq!(store.integrity(1), Some(Integrity::Failed));
        assert_eq!(store.row_view(1).integrity, Some(Integrity::Failed));
        store.set_integrity(|_| None);
        assert_eq!(store.integrity(0), None);
    }
}
