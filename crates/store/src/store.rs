//! The event store: columns per field, one row per unique event, files loaded atomically.

use std::collections::BTreeSet;

use hashbrown::HashMap;
use trailscope_model::{Event, EventSink, FileKind, FileOutcome, Timestamp};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

use crate::arena::StrArena;
use crate::dict::DictColumn;
use crate::raw::RawStore;

/// Sentinel for "no time" in the time column.
pub(crate) const NO_TIME: i64 = i64::MIN;

/// Index of a loaded file in [`Store::files`].
pub type FileId = u32;

/// A tri-state flag column value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    /// `false`.
    No = 0,
    /// `true`.
    Yes = 1,
    /// Absent.
    Unknown = 2,
}

impl From<Option<bool>> for Tri {
    fn from(v: Option<bool>) -> Self {
        match v {
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Unknown,
        }
    }
}

impl Tri {
    /// As an option.
    pub fn to_option(self) -> Option<bool> {
        match self {
            Tri::Yes => Some(true),
            Tri::No => Some(false),
            Tri::Unknown => None,
        }
    }

    fn from_u8(v: u8) -> Tri {
        match v {
            0 => Tri::No,
            1 => Tri::Yes,
            _ => Tri::Unknown,
        }
    }
}

/// What the store knows about one loaded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The path as the user gave it (folder-relative, or `archive.zip/entry`).
    pub path: String,
    /// What reading it produced.
    pub outcome: FileOutcome,
    /// Events it added (unique ones; its duplicates of earlier events are not counted here).
    pub added: u64,
    /// Its events that were already loaded (from another file or earlier in this one).
    pub duplicates: u64,
}

/// The string columns, named after the CloudTrail fields they hold.
#[derive(Default, Debug)]
pub struct Columns {
    /// `eventName`.
    pub event_name: DictColumn,
    /// `eventSource`.
    pub event_source: DictColumn,
    /// `awsRegion`.
    pub aws_region: DictColumn,
    /// `sourceIPAddress`.
    pub source_ip: DictColumn,
    /// The caller as people read it ([`trailscope_model::EventRecord::user_display`]).
    pub user: DictColumn,
    /// `userIdentity.type`.
    pub identity_type: DictColumn,
    /// `userIdentity.arn`.
    pub principal_arn: DictColumn,
    /// `userIdentity.accessKeyId`.
    pub access_key_id: DictColumn,
    /// `userIdentity.sessionContext.sessionIssuer.arn`.
    pub session_issuer: DictColumn,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account: DictColumn,
    /// `errorCode`.
    pub error_code: DictColumn,
    /// `errorMessage`.
    pub error_message: DictColumn,
    /// `userAgent`.
    pub user_agent: DictColumn,
    /// `eventType`.
    pub event_type: DictColumn,
    /// `eventCategory`.
    pub event_category: DictColumn,
}

impl Columns {
    fn all_mut(&mut self) -> [&mut DictColumn; 15] {
        [
            &mut self.event_name,
            &mut self.event_source,
            &mut self.aws_region,
            &mut self.source_ip,
            &mut self.user,
            &mut self.identity_type,
            &mut self.principal_arn,
            &mut self.access_key_id,
            &mut self.session_issuer,
            &mut self.account,
            &mut self.error_code,
            &mut self.error_message,
            &mut self.user_agent,
            &mut self.event_type,
            &mut self.event_category,
        ]
    }

    fn all(&self) -> [&DictColumn; 15] {
        [
            &self.event_name,
            &self.event_source,
            &self.aws_region,
            &self.source_ip,
            &self.user,
            &self.identity_type,
            &self.principal_arn,
            &self.access_key_id,
            &self.session_issuer,
            &self.account,
            &self.error_code,
            &self.error_message,
            &self.user_agent,
            &self.event_type,
            &self.event_category,
        ]
    }
}

/// The in-memory event store.
#[derive(Default)]
pub struct Store {
    pub(crate) time: Vec<i64>,
    pub(crate) flags: Vec<u8>,
    pub(crate) file: Vec<FileId>,
    pub(crate) columns: Columns,
    pub(crate) event_id: StrArena,
    pub(crate) raw: RawStore,
    seen: HashMap<u128, u32>,
    files: Vec<FileEntry>,
    pending: Option<Pending>,
    /// Rows sorted by (time, row); rebuilt lazily after loads.
    order: Vec<u32>,
    order_dirty: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("rows", &self.time.len())
            .field("files", &self.files.len())
            .finish()
    }
}

/// A file being loaded: where to roll back to, and which dedupe keys it added.
struct Pending {
    path: String,
    first_row: usize,
    keys: Vec<u128>,
    duplicates: u64,
}

/// Why an event could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store holds the most rows it can address.
    #[error("the store is full ({0} events)")]
    Full(usize),
    /// An event arrived with no file open.
    #[error("no file is being loaded")]
    NoOpenFile,
}

// Flag bits: read-only, MFA, management (2 bits each: 0 no, 1 yes, 2 unknown).
const READ_ONLY_SHIFT: u8 = 0;
const MFA_SHIFT: u8 = 2;
const MANAGEMENT_SHIFT: u8 = 4;
const INSIGHT_BIT: u8 = 1 << 6;

/// Largest number of rows (row indexes are `u32`).
pub const MAX_ROWS: usize = u32::MAX as usize - 1;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// Number of unique events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether no event is loaded.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The files loaded so far, in load order.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// Starts loading a file. Events go in through [`Store::accept`] (or the [`EventSink`] impl),
    /// then the file ends with [`Store::end_file`].
    pub fn begin_file(&mut self, path: &str) {
        if self.pending.is_some() {
            // A file left open by a caller that lost track: its events are discarded.
            self.rollback();
        }
        self.pending = Some(Pending {
            path: path.to_string(),
            first_row: self.len(),
            keys: Vec::new(),
            duplicates: 0,
        });
    }

    /// Ends the open file with its outcome. A failed file's events are removed again, so a file
    /// is either loaded whole or not at all. Returns the new file's id.
    pub fn end_file(&mut self, outcome: FileOutcome) -> FileId {
        let failed = outcome.error.is_some();
        let (path, added, duplicates) = match self.pending.take() {
            Some(p) if failed => {
                self.truncate_to(p.first_row, &p.keys);
                (p.path, 0, 0)
            }
            Some(p) => ((p.path), (self.len() - p.first_row) as u64, p.duplicates),
            None => (String::new(), 0, 0),
        };
        if added > 0 {
            self.order_dirty = true;
        }
        self.files.push(FileEntry {
            path,
            outcome,
            added,
            duplicates,
        });
        FileId::try_from(self.files.len() - 1).unwrap_or(FileId::MAX)
    }

    /// Records a file that was never read into the store (e.g. an unreadable archive).
    pub fn add_failed_file(&mut self, path: &str, outcome: FileOutcome) -> FileId {
        self.begin_file(path);
        self.end_file(outcome)
    }

    /// Drops the open file without recording it (a cancelled load): its events are removed.
    pub fn abandon_file(&mut self) {
        self.rollback();
    }

    fn rollback(&mut self) {
        if let Some(p) = self.pending.take() {
            self.truncate_to(p.first_row, &p.keys);
        }
    }

    fn truncate_to(&mut self, row: usize, keys: &[u128]) {
        for key in keys {
            self.seen.remove(key);
        }
        self.time.truncate(row);
        self.flags.truncate(row);
        self.file.truncate(row);
        for col in self.columns.all_mut() {
            col.truncate(row);
        }
        self.event_id.truncate(row);
        self.raw.truncate(row);
    }

    /// Adds an event of the open file, unless an identical event is already stored.
    pub fn accept(&mut self, event: &Event<'_>) -> Result<(), StoreError> {
        let file_id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
        let row = self.len();
        let Some(pending) = self.pending.as_mut() else {
            return Err(StoreError::NoOpenFile);
        };
        if row >= MAX_ROWS {
            return Err(StoreError::Full(row));
        }
        let key = dedupe_key(event);
        match self.seen.entry(key) {
            hashbrown::hash_map::Entry::Occupied(_) => {
                pending.duplicates += 1;
                return Ok(());
            }
            hashbrown::hash_map::Entry::Vacant(slot) => {
                slot.insert(row as u32);
                pending.keys.push(key);
            }
        }
        let r = &event.record;
        self.time
            .push(event.time.map_or(NO_TIME, |t| t.at.unix_millis()));
        let mut flags = (Tri::from(r.read_only.0) as u8) << READ_ONLY_SHIFT
            | (Tri::from(r.mfa_used()) as u8) << MFA_SHIFT
            | (Tri::from(r.management_event.0) as u8) << MANAGEMENT_SHIFT;
        if r.is_insight() {
            flags |= INSIGHT_BIT;
        }
        self.flags.push(flags);
        self.file.push(file_id);
        let id = r.identity();
        let c = &mut self.columns;
        c.event_name.push(r.api_name());
        c.event_source.push(r.api_source());
        c.aws_region.push(r.aws_region.as_str());
        c.source_ip.push(r.source_ip_address.as_str());
        c.user.push(r.user_display().as_deref());
        c.identity_type
            .push(id.and_then(|i| i.identity_type.as_str()));
        c.principal_arn.push(id.and_then(|i| i.arn.as_str()));
        c.access_key_id
            .push(id.and_then(|i| i.access_key_id.as_str()));
        c.session_issuer
            .push(r.session_issuer().and_then(|s| s.arn.as_str()));
        c.account.push(r.account_id());
        c.error_code.push(r.error_code.as_str());
        c.error_message.push(r.error_message.as_str());
        c.user_agent.push(r.user_agent.as_str());
        c.event_type.push(r.event_type.as_str());
        c.event_category.push(r.event_category.as_str());
        self.event_id.push(r.event_id.as_str());
        self.raw.push(event.raw.as_bytes());
        Ok(())
    }

    /// Rows in time order (events without a time first), rebuilt if loads changed the store.
    pub fn time_order(&mut self) -> &[u32] {
        if self.order_dirty || self.order.len() != self.len() {
            let mut order: Vec<u32> = (0..self.len() as u32).collect();
            let time = &self.time;
            order.sort_by_key(|&r| (time.get(r as usize).copied().unwrap_or(NO_TIME), r));
            self.order = order;
            self.order_dirty = false;
        }
        &self.order
    }

    /// The event time at `row`.
    pub fn time_at(&self, row: usize) -> Option<Timestamp> {
        self.time
            .get(row)
            .copied()
            .filter(|&t| t != NO_TIME)
            .map(Timestamp::from_unix_millis)
    }

    /// The string columns.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// `eventID` at `row`.
    pub fn event_id(&self, row: usize) -> Option<&str> {
        self.event_id.get(row)
    }

    /// `readOnly` at `row`.
    pub fn read_only(&self, row: usize) -> Tri {
        Tri::from_u8(
            self.flags
                .get(row)
                .map_or(2, |f| (f >> READ_ONLY_SHIFT) & 3),
        )
    }

    /// Whether MFA was used, at `row`.
    pub fn mfa_used(&self, row: usize) -> Tri {
        Tri::from_u8(self.flags.get(row).map_or(2, |f| (f >> MFA_SHIFT) & 3))
    }

    /// `managementEvent` at `row`.
    pub fn management_event(&self, row: usize) -> Tri {
        Tri::from_u8(
            self.flags
                .get(row)
                .map_or(2, |f| (f >> MANAGEMENT_SHIFT) & 3),
        )
    }

    /// Whether the event at `row` is a CloudTrail Insights event.
    pub fn is_insight(&self, row: usize) -> bool {
        self.flags.get(row).is_some_and(|f| f & INSIGHT_BIT != 0)
    }

    /// The file the event at `row` came from (the first file that had it).
    pub fn file_of(&self, row: usize) -> Option<&FileEntry> {
        self.file.get(row).and_then(|&f| self.files.get(f as usize))
    }

    /// The original record at `row`.
    pub fn raw(&self, row: usize) -> Option<String> {
        self.raw
            .get(row)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Approximate heap bytes: the columns and indexes, and separately the compressed records.
    pub fn memory(&self) -> MemoryUse {
        let columns = self.time.capacity() * 8
            + self.flags.capacity()
            + self.file.capacity() * 4
            + self
                .columns
                .all()
                .iter()
                .map(|c| c.heap_bytes())
                .sum::<usize>()
            + self.event_id.heap_bytes()
            + self.seen.capacity() * 21
            + self.order.capacity() * 4;
        MemoryUse {
            columns_bytes: columns,
            records_bytes: self.raw.heap_bytes(),
            records_raw_bytes: self.raw.raw_bytes(),
        }
    }

    /// Events in files that failed are never stored; this counts the files by kind for the page.
    pub fn kinds(&self) -> BTreeSet<FileKind> {
        self.files.iter().map(|f| f.outcome.kind).collect()
    }
}

/// Heap use of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    /// Columns, dictionaries, dedupe index and sort order.
    pub columns_bytes: usize,
    /// The compressed original records.
    pub records_bytes: usize,
    /// The original records' uncompressed size.
    pub records_raw_bytes: u64,
}

impl EventSink for Store {
    type Error = StoreError;
    fn accept(&mut self, event: &Event<'_>) -> Result<(), StoreError> {
        Store::accept(self, event)
    }
}

/// Two records are the same event when they share `eventID`, time, name and source. CloudTrail
/// gives every event its own ID, so copies of one event (an S3 log file and a lookup-events export
/// of the same day) merge; fixtures that reuse an ID for different events stay apart. Records
/// without an ID merge only when their JSON is byte-identical.
fn dedupe_key(event: &Event<'_>) -> u128 {
    let r = &event.record;
    match r.event_id.non_empty() {
        Some(id) => {
            let time = event.time.map_or(NO_TIME, |t| t.at.unix_millis());
            let mut hasher = Xxh3::new();
            hasher.update(id.as_bytes());
            hasher.update(&[0]);
            hasher.update(&time.to_le_bytes());
            hasher.update(r.event_name.as_str().unwrap_or("").as_bytes());
            hasher.update(&[0]);
            hasher.update(r.event_source.as_str().unwrap_or("").as_bytes());
            hasher.digest128()
        }
        None => xxh3_128(event.raw.as_bytes()) ^ 1,
    }
}
