//! Conflicting copies of one event: two records with one `eventID`, time, name and source whose
//! content differs. Neither silently wins: the store keeps every copy, marks the event, and
//! once verification has judged the files, the copy from a verified log file is the one the
//! table, queries, exports and detections see.

use hashbrown::HashMap;
use trailscope_model::{compare_records, unwrap_record, Comparison, Difference};

use crate::batch::PROJECTION;
use crate::raw::RawRef;
use crate::row::{extract, CONFLICT_BIT};
use crate::store::{FileId, Integrity, Store};

/// A copy of an event that is not the one its row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StoredCopy {
    /// The row it is a copy of.
    pub(crate) row: u32,
    /// The file it came from.
    pub(crate) file: FileId,
    /// Its record.
    pub(crate) raw: RawRef,
    /// Its content hash.
    pub(crate) content: u64,
}

/// A copy met while merging, still to be compared with the row's record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingCopy {
    pub(crate) copy: StoredCopy,
}

/// One copy of an event, as the detail view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventCopy {
    /// The file it came from.
    pub path: String,
    /// That file's integrity, once verified.
    pub integrity: Option<Integrity>,
    /// Whether this is the copy the table and queries use.
    pub shown: bool,
    /// Its original JSON.
    pub json: String,
    /// Where it differs from the copy shown (empty for the shown copy).
    pub differences: Vec<Difference>,
}

/// An event with conflicting copies, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The row.
    pub row: u32,
    /// `eventID`.
    pub event_id: String,
    /// Every copy, the shown one first.
    pub copies: Vec<EventCopy>,
}

/// How much a file's integrity vouches for its copy: a verified file's copy wins, a failed
/// file's loses, and the others are equal (the first loaded stays).
fn rank(integrity: Option<Integrity>) -> u8 {
    match integrity {
        Some(Integrity::Verified) => 2,
        Some(Integrity::Failed) => 0,
        _ => 1,
    }
}

/// Decompressed blocks, a few at a time: copies of one export are read in order.
#[derive(Default)]
pub(crate) struct BlockCache {
    blocks: HashMap<u32, Vec<u8>>,
}

const CACHED_BLOCKS: usize = 32;

impl BlockCache {
    pub(crate) fn record(&mut self, store: &Store, at: RawRef) -> Option<String> {
        if !self.blocks.contains_key(&at.block) {
            if self.blocks.len() >= CACHED_BLOCKS {
                self.blocks.clear();
            }
            self.blocks
                .insert(at.block, store.raw.block_bytes(at.block));
        }
        let block = self.blocks.get(&at.block)?;
        block
            .get(at.start as usize..at.end as usize)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

impl Store {
    /// Compares the copies met while merging with their rows' records; those that say
    /// something else are kept as conflicting copies.
    pub(crate) fn settle_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut cache = BlockCache::default();
        for PendingCopy { copy } in pending {
            let row = copy.row as usize;
            // The same content as a copy already kept: nothing new.
            if self
                .copies
                .iter()
                .any(|c| c.row == copy.row && c.content == copy.content)
            {
                continue;
            }
            let Some(other) = cache.record(self, copy.raw) else {
                continue;
            };
            // The row holds a CSV row's projection of the event: the full record replaces it.
            if self.content.get(row) == Some(&PROJECTION) {
                if self.overwrite_row(row, &other, copy.file, copy.raw) {
                    if let Some(c) = self.content.get_mut(row) {
                        *c = copy.content;
                    }
                }
                continue;
            }
            let Some(shown) = self
                .raw
                .reference(row)
                .and_then(|at| cache.record(self, at))
            else {
                continue;
            };
            if compare_records(&shown, &other) == Comparison::Same {
                continue;
            }
            // Says what a copy already kept says (in other bytes): nothing new.
            let kept: Vec<RawRef> = self
                .copies
                .iter()
                .filter(|c| c.row == copy.row)
                .map(|c| c.raw)
                .collect();
            if kept.into_iter().any(|at| {
                cache
                    .record(self, at)
                    .is_some_and(|json| compare_records(&json, &other) == Comparison::Same)
            }) {
                continue;
            }
            self.copies.push(copy);
            if let Some(flags) = self.flags.get_mut(row) {
                *flags |= CONFLICT_BIT;
            }
        }
    }

    /// After verification: each event with conflicting copies shows the copy whose file
    /// verification vouches for most. Returns how many rows changed their copy.
    pub(crate) fn choose_copies(&mut self) -> u64 {
        let mut changed = 0;
        for index in 0..self.copies.len() {
            let Some(copy) = self.copies.get(index).copied() else {
                continue;
            };
            let row = copy.row as usize;
            let current_file = self.file.get(row).copied().unwrap_or(FileId::MAX);
            if rank(self.file_integrity(copy.file)) <= rank(self.file_integrity(current_file)) {
                continue;
            }
            let mut cache = BlockCache::default();
            let (Some(current_raw), Some(record)) =
                (self.raw.reference(row), cache.record(self, copy.raw))
            else {
                continue;
            };
            if !self.overwrite_row(row, &record, copy.file, copy.raw) {
                continue;
            }
            let current_content = self.content.get(row).copied().unwrap_or_default();
            if let Some(slot) = self.copies.get_mut(index) {
                *slot = StoredCopy {
                    row: copy.row,
                    file: current_file,
                    raw: current_raw,
                    content: current_content,
                };
            }
            if let Some(c) = self.content.get_mut(row) {
                *c = copy.content;
            }
            changed += 1;
        }
        changed
    }

    /// Makes `row` show `record` (from `file`): its columns are extracted again. The event's
    /// identity (its dedupe key, `eventID` and time) is the same by construction.
    fn overwrite_row(&mut self, row: usize, record: &str, file: FileId, raw: RawRef) -> bool {
        let mut done = false;
        let columns = &mut self.columns;
        let flags = &mut self.flags;
        let _ = unwrap_record::<()>(record, &mut |event| {
            if done {
                return Ok(());
            }
            let values = extract(&event);
            for (column, value) in columns.iter_mut().zip(values.strings.iter()) {
                let code = match value.as_deref() {
                    Some(v) if !v.is_empty() => column.intern(v),
                    _ => crate::dict::ABSENT,
                };
                column.set_code(row, code);
            }
            if let Some(f) = flags.get_mut(row) {
                *f = values.flags | (*f & CONFLICT_BIT);
            }
            done = true;
            Ok(())
        });
        if done {
            if let Some(f) = self.file.get_mut(row) {
                *f = file;
            }
            self.raw.replace(row, raw);
            if !self.text.record_changed(row) {
                // Too many rows changed to read each at every lookup: built again from the start.
                self.restart_text_index();
            }
        }
        done
    }

    /// Events that have conflicting copies.
    pub fn conflict_count(&self) -> u64 {
        let mut rows: Vec<u32> = self.copies.iter().map(|c| c.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len() as u64
    }

    /// Whether the event at `row` has conflicting copies.
    pub fn has_conflict(&self, row: usize) -> bool {
        self.flags.get(row).is_some_and(|f| f & CONFLICT_BIT != 0)
    }

    /// Every copy of the event at `row`, the one shown first, each with where it differs from
    /// the shown one. An event without conflicting copies has one.
    pub fn copies(&self, row: usize) -> Vec<EventCopy> {
        let mut cache = BlockCache::default();
        let Some(shown_json) = self
            .raw
            .reference(row)
            .and_then(|at| cache.record(self, at))
        else {
            return Vec::new();
        };
        let file_path = |file: FileId| {
            self.files()
                .get(file as usize)
                .map(|f| f.path.clone())
                .unwrap_or_default()
        };
        let shown_file = self.file.get(row).copied().unwrap_or(FileId::MAX);
        let mut out = vec![EventCopy {
            path: file_path(shown_file),
            integrity: self.file_integrity(shown_file),
            shown: true,
            json: shown_json.clone(),
            differences: Vec::new(),
        }];
        for copy in self.copies.iter().filter(|c| c.row as usize == row) {
            let Some(json) = cache.record(self, copy.raw) else {
                continue;
            };
            let differences = match compare_records(&shown_json, &json) {
                Comparison::Differ(d) => d,
                Comparison::Unreadable => vec![Difference {
                    path: "(record)".into(),
                    first: None,
                    second: Some("not readable as JSON".into()),
                }],
                Comparison::Same => Vec::new(),
            };
            out.push(EventCopy {
                path: file_path(copy.file),
                integrity: self.file_integrity(copy.file),
                shown: false,
                json,
                differences,
            });
        }
        out
    }

    /// Every event with conflicting copies, in row order.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut rows: Vec<u32> = self.copies.iter().map(|c| c.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.into_iter()
            .map(|row| Conflict {
                row,
                event_id: self.event_id(row as usize).unwrap_or("").to_string(),
                copies: self.copies(row as usize),
            })
            .collect()
    }
}
