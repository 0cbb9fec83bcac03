//! The stored events as batches again. The page's SQL worker builds its own store from them
//! instead of parsing every file a second time: the batches cross between workers in their
//! binary form ([`EventBatch::to_bytes`]), and loading them into an empty store gives back the
//! same events, values, times, flags and original records.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::arena::StrArena;
use crate::batch::EventBatch;
use crate::dict::DictColumn;
use crate::field::{Field, FIELD_COUNT};
use crate::raw::RawRef;
use crate::row::NO_TIME;
use crate::store::Store;

impl Store {
    /// The stored events in row order, as batches of at most `rows_per_batch` rows (at least
    /// one). Each batch carries only the compressed record blocks its rows point into, so the
    /// batches together hold the records once (a block shared by two batches, rarely, twice).
    pub fn export_batches(&self, rows_per_batch: usize) -> impl Iterator<Item = EventBatch> + '_ {
        let step = rows_per_batch.max(1);
        let keys = self.row_keys();
        let len = self.len();
        (0..len)
            .step_by(step)
            .map(move |start| self.export_rows(start..(start + step).min(len), &keys))
    }

    /// Each row's dedupe key (the store keeps them as key → row).
    fn row_keys(&self) -> Vec<u128> {
        let mut keys = vec![0u128; self.len()];
        for (&key, &row) in self.seen_keys() {
            if let Some(slot) = keys.get_mut(row as usize) {
                *slot = key;
            }
        }
        keys
    }

    fn export_rows(&self, rows: Range<usize>, keys: &[u128]) -> EventBatch {
        let mut columns: Vec<DictColumn> =
            (0..FIELD_COUNT).map(|_| DictColumn::default()).collect();
        for field in Field::ALL {
            if let Some(column) = columns.get_mut(field.index()) {
                for row in rows.clone() {
                    column.push(self.value(field, row));
                }
            }
        }
        let (values, codes) = columns.iter_mut().map(DictColumn::take_parts).unzip();
        let mut event_ids = StrArena::default();
        for row in rows.clone() {
            event_ids.push(self.event_id(row));
        }
        // The blocks the rows point into, renumbered from 0 in their stored order. A row whose
        // record was replaced by a fuller copy may point into any earlier block.
        let refs: Vec<RawRef> = rows
            .clone()
            .map(|row| {
                self.raw.reference(row).unwrap_or(RawRef {
                    block: 0,
                    start: 0,
                    end: 0,
                })
            })
            .collect();
        let mut renumbered: BTreeMap<u32, u32> = refs.iter().map(|r| (r.block, 0)).collect();
        for (new, slot) in renumbered.values_mut().enumerate() {
            *slot = u32::try_from(new).unwrap_or(u32::MAX);
        }
        let blocks = renumbered
            .keys()
            .map(|&block| self.raw.compressed_block(block).unwrap_or_default().into())
            .collect();
        let grams = renumbered
            .keys()
            .map(|&block| self.raw.gram_set(block).into())
            .collect();
        let raw = refs
            .iter()
            .map(|r| RawRef {
                block: renumbered.get(&r.block).copied().unwrap_or(0),
                ..*r
            })
            .collect();
        EventBatch {
            time: rows
                .clone()
                .map(|row| self.time.get(row).copied().unwrap_or(NO_TIME))
                .collect(),
            flags: rows
                .clone()
                .map(|row| self.flags.get(row).copied().unwrap_or(0xff))
                .collect(),
            values,
            codes,
            event_ids,
            keys: rows
                .clone()
                .map(|row| keys.get(row).copied().unwrap_or(0))
                .collect(),
            content: rows
                .map(|row| {
                    self.content
                        .get(row)
                        .copied()
                        .unwrap_or(crate::batch::PROJECTION)
                })
                .collect(),
            blocks,
            grams,
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileSummary;
    use trailscope_model::{ingest_bytes, Limits};

    fn record(id: u32, name: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.08","eventID":"id-{id}","eventName":"{name}","eventSource":"s3.amazonaws.com","eventTime":"2024-02-28T21:{:02}:12Z","awsRegion":"us-east-1","readOnly":{},"userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/u{}"}}{extra}}}"#,
            id % 60,
            id.is_multiple_of(2),
            id % 7
        )
    }

    fn store_of(files: &[String]) -> Store {
        let mut store = Store::new();
        for (n, text) in files.iter().enumerate() {
            store.load(&format!("f{n}.json"), |sink| {
                ingest_bytes(text.as_bytes(), Limits::default(), sink)
            });
        }
        store
    }

    fn reload(store: &Store, rows_per_batch: usize) -> Store {
        let mut copy = Store::new();
        let batches = store
            .export_batches(rows_per_batch)
            // Through the binary form, as between workers.
            .map(|b| EventBatch::from_bytes(&b.to_bytes()).expect("own bytes"))
            .collect();
        copy.add_file(
            "exported",
            FileSummary::of_events(store.len() as u64),
            batches,
        );
        copy
    }

    /// As the page's SQL worker builds its copy: one file per batch as each arrives.
    fn reload_as_parts(store: &Store, rows_per_batch: usize) -> Store {
        let mut copy = Store::new();
        for (part, batch) in store.export_batches(rows_per_batch).enumerate() {
            let batch = EventBatch::from_bytes(&batch.to_bytes()).expect("own bytes");
            let summary = FileSummary::of_events(batch.len() as u64);
            copy.add_file(&format!("part {part}"), summary, vec![batch]);
        }
        copy
    }

    #[test]
    fn a_copy_built_part_by_part_numbers_its_rows_as_the_original() {
        // The Events view's "Parquet" sends row numbers of the store worker's selection to the
        // SQL worker's copy: they must name the same events there.
        let first: Vec<String> = (0..300).map(|i| record(i, "GetObject", "")).collect();
        // 200..300 are the same events again (an overlapping download, say).
        let second: Vec<String> = (200..450)
            .map(|i| record(i, if i < 300 { "GetObject" } else { "PutObject" }, ""))
            .collect();
        let files = [
            format!(r#"{{"Records":[{}]}}"#, first.join(",")),
            format!(r#"{{"Records":[{}]}}"#, second.join(",")),
        ];
        let store = store_of(&files);
        assert_eq!(store.len(), 450, "duplicates across files are stored once");
        for rows_per_batch in [1, 33, 65_536] {
            let copy = reload_as_parts(&store, rows_per_batch);
            assert_eq!(copy.len(), store.len());
            for row in 0..store.len() {
                assert_eq!(copy.event_id(row), store.event_id(row), "row {row}");
                assert_eq!(copy.time_at(row), store.time_at(row), "row {row}");
            }
        }
    }

    #[test]
    fn exported_batches_load_back_into_the_same_events() {
        // Two files sharing events (duplicates are stored once), records of many sizes so the
        // blocks fill up, and an event without an ID.
        let big = "x".repeat(3000);
        let first: Vec<String> = (0..400)
            .map(|i| {
                record(
                    i,
                    "GetObject",
                    &format!(r#","requestParameters":{{"key":"{big}{i}"}}"#),
                )
            })
            .collect();
        let second: Vec<String> = (300..520).map(|i| record(i, "PutObject", "")).collect();
        let no_id =
            r#"{"eventName":"ConsoleLogin","eventTime":"2024-02-28T22:00:00Z"}"#.to_string();
        let files = [
            format!(r#"{{"Records":[{}]}}"#, first.join(",")),
            format!(r#"{{"Records":[{},{no_id}]}}"#, second.join(",")),
        ];
        let store = store_of(&files);
        assert!(store.len() > 500);
        for rows_per_batch in [1, 7, 64, 100_000] {
            let copy = reload(&store, rows_per_batch);
            assert_eq!(copy.len(), store.len(), "{rows_per_batch} rows per batch");
            assert_eq!(copy.totals().duplicates, 0, "exported events are unique");
            for row in 0..store.len() {
                for field in Field::ALL {
                    assert_eq!(
                        copy.value(field, row),
                        store.value(field, row),
                        "{field:?} of row {row}"
                    );
                }
                assert_eq!(copy.event_id(row), store.event_id(row));
                assert_eq!(copy.time_at(row), store.time_at(row));
                assert_eq!(copy.read_only(row), store.read_only(row));
                assert_eq!(
                    copy.records().get(row),
                    store.records().get(row),
                    "record of row {row}"
                );
            }
        }
    }

    #[test]
    fn an_empty_store_exports_nothing() {
        assert_eq!(Store::new().export_batches(10).count(), 0);
    }
}
