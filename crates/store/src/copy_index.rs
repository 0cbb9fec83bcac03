//! Conflicting copies found without a store: for `trailscope verify`, which must not hold the
//! events of a trail in memory. A first pass keeps, per event, its dedupe key, a hash of its
//! record and the file it came from (32 bytes an event); events met twice with different
//! hashes are candidates. A second pass over the files that hold candidates keeps only their
//! records, which are then compared by meaning (as the store does).

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::HashMap;
use trailscope_model::{compare_records, Comparison, Difference, Event};

use crate::batch::{content_hash, PROJECTION};
use crate::row::event_key;

/// First pass: what each event looked like, and which events were met with other content.
#[derive(Default)]
pub struct CopyIndex {
    seen: HashMap<u128, (u64, u32)>,
    candidates: BTreeSet<u128>,
    candidate_files: BTreeSet<u32>,
}

impl CopyIndex {
    /// An empty index.
    pub fn new() -> Self {
        CopyIndex::default()
    }

    /// Notes an event of file number `file`.
    pub fn observe(&mut self, file: u32, event: &Event<'_>) {
        self.note(event_key(event), content_hash(event), file);
    }

    /// Records one copy: the first of its key is kept; a later one whose content differs (a CSV
    /// projection differs from nothing) makes the key and both files candidates.
    fn note(&mut self, key: u128, content: u64, file: u32) {
        match self.seen.get(&key) {
            None => {
                self.seen.insert(key, (content, file));
            }
            Some(&(first, first_file)) => {
                if first != content && first != PROJECTION && content != PROJECTION {
                    self.candidates.insert(key);
                    self.candidate_files.insert(first_file);
                    self.candidate_files.insert(file);
                }
            }
        }
    }

    /// Merges an index built over other files (another thread's).
    pub fn merge(&mut self, other: CopyIndex) {
        self.candidates.extend(other.candidates);
        self.candidate_files.extend(other.candidate_files);
        for (key, (content, file)) in other.seen {
            self.note(key, content, file);
        }
    }

    /// Unique events seen.
    pub fn events(&self) -> usize {
        self.seen.len()
    }

    /// The files the second pass must read again (empty when no event had two contents).
    pub fn candidate_files(&self) -> Vec<u32> {
        self.candidate_files.iter().copied().collect()
    }

    /// The collector for the second pass.
    pub fn collector(&self) -> CopyCollector {
        CopyCollector {
            candidates: self.candidates.clone(),
            records: BTreeMap::new(),
        }
    }
}

/// Second pass: the records of the candidate events.
pub struct CopyCollector {
    candidates: BTreeSet<u128>,
    records: BTreeMap<u128, Vec<(u32, String, String)>>,
}

/// An event whose copies disagree, found by [`CopyCollector::conflicts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileConflict {
    /// `eventID`.
    pub event_id: String,
    /// Each distinct copy: the file number, its JSON, and where it differs from the first.
    pub copies: Vec<(u32, String, Vec<Difference>)>,
}

impl CopyCollector {
    /// Notes an event of file number `file` (only candidates are kept).
    pub fn observe(&mut self, file: u32, event: &Event<'_>) {
        let key = event_key(event);
        if self.candidates.contains(&key) {
            let id = event.record.event_id.as_str().unwrap_or("").to_string();
            self.records
                .entry(key)
                .or_default()
                .push((file, id, event.raw.to_string()));
        }
    }

    /// The events whose copies say different things, each copy once.
    pub fn conflicts(self) -> Vec<FileConflict> {
        let mut out = Vec::new();
        for (_, mut copies) in self.records {
            copies.sort_by_key(|(file, _, _)| *file);
            let mut distinct: Vec<(u32, String, String)> = Vec::new();
            for copy in copies {
                if !distinct
                    .iter()
                    .any(|(_, _, json)| compare_records(json, &copy.2) == Comparison::Same)
                {
                    distinct.push(copy);
                }
            }
            if distinct.len() < 2 {
                continue;
            }
            let first = distinct
                .first()
                .map(|(_, _, j)| j.clone())
                .unwrap_or_default();
            let event_id = distinct
                .first()
                .map(|(_, id, _)| id.clone())
                .unwrap_or_default();
            let copies = distinct
                .into_iter()
                .map(|(file, _, json)| {
                    let differences = match compare_records(&first, &json) {
                        Comparison::Differ(d) => d,
                        _ => Vec::new(),
                    };
                    (file, json, differences)
                })
                .collect();
            out.push(FileConflict { event_id, copies });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use trailscope_model::{ingest_bytes, Event, EventSink, Limits};

    use super::*;

    struct Observe<'i>(&'i mut CopyIndex, u32);
    impl EventSink for Observe<'_> {
        type Error = std::convert::Infallible;
        fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
            self.0.observe(self.1, event);
            Ok(())
        }
    }
    struct Collect<'c>(&'c mut CopyCollector, u32);
    impl EventSink for Collect<'_> {
        type Error = std::convert::Infallible;
        fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
            self.0.observe(self.1, event);
            Ok(())
        }
    }

    #[test]
    fn finds_a_shadow_copy_in_two_passes() {
        let genuine = r#"{"eventID":"e","eventTime":"2024-01-01T00:00:00Z","eventName":"A","eventSource":"s","sourceIPAddress":"1.1.1.1"}"#;
        let same = r#"{"eventSource":"s","eventName":"A","eventTime":"2024-01-01T00:00:00Z","eventID":"e","sourceIPAddress":"1.1.1.1"}"#;
        let shadow = genuine.replace("1.1.1.1", "6.6.6.6");
        let files = [genuine.to_string(), same.to_string(), shadow];
        let logs: Vec<Vec<u8>> = files
            .iter()
            .map(|r| format!(r#"{{"Records":[{r}]}}"#).into_bytes())
            .collect();
        let mut index = CopyIndex::new();
        for (i, log) in logs.iter().enumerate() {
            ingest_bytes(log, Limits::default(), &mut Observe(&mut index, i as u32));
        }
        assert_eq!(index.events(), 1);
        assert_eq!(index.candidate_files(), [0, 1, 2]);
        let mut collector = index.collector();
        for i in index.candidate_files() {
            ingest_bytes(
                &logs[i as usize],
                Limits::default(),
                &mut Collect(&mut collector, i),
            );
        }
        let conflicts = collector.conflicts();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].event_id, "e");
        assert_eq!(
            conflicts[0].copies.len(),
            2,
            "the reordered copy is the genuine one"
        );
        assert_eq!(conflicts[0].copies[1].0, 2);
        assert_eq!(conflicts[0].copies[1].2[0].path, "sourceIPAddress");
    }
}
