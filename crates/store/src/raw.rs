//! The original records, kept compactly: concatenated into blocks that are compressed with LZ4
//! once full. A million CloudTrail records (about 1.5 GB of JSON) fit in a few hundred MB, and one
//! record comes back in microseconds for the detail view.

/// Uncompressed size at which a block is sealed. Large enough for LZ4 to find the repetition
/// between records (shared keys, ARNs, user agents), small enough to decompress in microseconds.
const BLOCK_BYTES: usize = 128 * 1024;

/// Append-only storage of byte strings addressed by row.
#[derive(Default)]
pub struct RawStore {
    /// Sealed blocks, LZ4-compressed with their size prepended.
    sealed: Vec<Box<[u8]>>,
    /// First row of each sealed block.
    sealed_first_row: Vec<u32>,
    /// The block being filled.
    open: Vec<u8>,
    open_first_row: u32,
    /// Per row: end offset of the record within its block.
    ends: Vec<u32>,
    compressed_bytes: usize,
    raw_bytes: u64,
}

impl std::fmt::Debug for RawStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStore")
            .field("rows", &self.ends.len())
            .field("blocks", &self.sealed.len())
            .finish()
    }
}

impl RawStore {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends a record.
    pub fn push(&mut self, record: &[u8]) {
        if !self.open.is_empty() && self.open.len() + record.len() > BLOCK_BYTES {
            self.seal();
        }
        self.open.extend_from_slice(record);
        self.ends
            .push(u32::try_from(self.open.len()).unwrap_or(u32::MAX));
        self.raw_bytes += record.len() as u64;
    }

    fn seal(&mut self) {
        let block = lz4_flex::block::compress_prepend_size(&self.open);
        self.compressed_bytes += block.len();
        self.sealed.push(block.into_boxed_slice());
        self.sealed_first_row.push(self.open_first_row);
        self.open_first_row = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        self.open.clear();
    }

    /// Drops the records from `row` on. Only rows still in the open block can be dropped without
    /// cost; sealed blocks past `row` are reopened.
    pub fn truncate(&mut self, row: usize) {
        if row >= self.ends.len() {
            return;
        }
        while (self.open_first_row as usize) > row {
            // Reopen the last sealed block.
            let (Some(block), Some(first)) = (self.sealed.pop(), self.sealed_first_row.pop())
            else {
                break;
            };
            self.compressed_bytes -= block.len();
            let mut bytes = lz4_flex::block::decompress_size_prepended(&block).unwrap_or_default();
            bytes.extend_from_slice(&self.open);
            self.open = bytes;
            // Ends of the rows that were in the open block shift by the reopened block's length.
            let shift = self
                .ends
                .get(self.open_first_row as usize - 1)
                .copied()
                .unwrap_or(0);
            for end in self.ends.iter_mut().skip(self.open_first_row as usize) {
                *end += shift;
            }
            self.open_first_row = first;
        }
        let keep = match row.checked_sub(1) {
            Some(last) if last >= self.open_first_row as usize => {
                self.ends.get(last).copied().unwrap_or(0) as usize
            }
            _ => 0,
        };
        let dropped: u64 = (row..self.ends.len())
            .map(|r| self.record_len(r) as u64)
            .sum();
        self.raw_bytes -= dropped;
        self.open.truncate(keep);
        self.ends.truncate(row);
    }

    fn record_len(&self, row: usize) -> usize {
        let end = self.ends.get(row).copied().unwrap_or(0) as usize;
        let start = if self.is_block_start(row) {
            0
        } else {
            self.ends.get(row.wrapping_sub(1)).copied().unwrap_or(0) as usize
        };
        end.saturating_sub(start)
    }

    fn is_block_start(&self, row: usize) -> bool {
        row == 0
            || row == self.open_first_row as usize
            || self.sealed_first_row.binary_search(&(row as u32)).is_ok()
    }

    /// The record at `row`.
    pub fn get(&self, row: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.with_records(&[row], |_, bytes| out = bytes.to_vec());
        (row < self.ends.len()).then_some(out)
    }

    /// Calls `f(row, bytes)` for each of `rows` (any order); each block is decompressed once.
    pub fn with_records(&self, rows: &[usize], mut f: impl FnMut(usize, &[u8])) {
        let mut sorted: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| r < self.ends.len())
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut cached: Option<(usize, Vec<u8>)> = None;
        for row in sorted {
            let start = if self.is_block_start(row) {
                0
            } else {
                self.ends.get(row - 1).copied().unwrap_or(0) as usize
            };
            let end = self.ends.get(row).copied().unwrap_or(0) as usize;
            if row >= self.open_first_row as usize {
                f(row, self.open.get(start..end).unwrap_or_default());
                continue;
            }
            let block = self
                .sealed_first_row
                .partition_point(|&first| first as usize <= row)
                - 1;
            if cached.as_ref().map(|(b, _)| *b) != Some(block) {
                let bytes = self
                    .sealed
                    .get(block)
                    .and_then(|b| lz4_flex::block::decompress_size_prepended(b).ok())
                    .unwrap_or_default();
                cached = Some((block, bytes));
            }
            if let Some((_, bytes)) = &cached {
                f(row, bytes.get(start..end).unwrap_or_default());
            }
        }
    }

    /// Calls `f(row, bytes)` for every record in row order, decompressing block by block.
    pub fn scan(&self, mut f: impl FnMut(usize, &[u8])) {
        let mut row = 0usize;
        let mut visit = |bytes: &[u8], first: usize, last: usize, row: &mut usize| {
            let mut start = 0usize;
            while *row < last {
                let end = self.ends.get(*row).copied().unwrap_or(0) as usize;
                f(*row, bytes.get(start..end).unwrap_or_default());
                start = end;
                *row += 1;
            }
            let _ = first;
        };
        for (i, block) in self.sealed.iter().enumerate() {
            let last = self
                .sealed_first_row
                .get(i + 1)
                .map_or(self.open_first_row as usize, |&r| r as usize);
            let bytes = lz4_flex::block::decompress_size_prepended(block).unwrap_or_default();
            visit(&bytes, row, last, &mut row);
        }
        visit(&self.open, row, self.ends.len(), &mut row);
    }

    /// Bytes held: compressed blocks, the open block and the offsets.
    pub fn heap_bytes(&self) -> usize {
        self.compressed_bytes
            + self.open.capacity()
            + self.ends.capacity() * 4
            + self.sealed.len() * 24
    }

    /// Total size of the records as given.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn record(i: usize) -> Vec<u8> {
        format!(r#"{{"eventID":"{i}","pad":"{}"}}"#, "x".repeat(i % 700)).into_bytes()
    }

    #[test]
    fn stores_and_returns_records_across_blocks() {
        let mut store = RawStore::default();
        for i in 0..2000 {
            store.push(&record(i));
        }
        assert!(store.sealed.len() > 3);
        for i in [0, 1, 199, 1000, 1999] {
            assert_eq!(store.get(i), Some(record(i)));
        }
        assert_eq!(store.get(2000), None);
        let mut scanned = 0;
        store.scan(|row, bytes| {
            assert_eq!(bytes, record(row));
            scanned += 1;
        });
        assert_eq!(scanned, 2000);
        assert!(store.heap_bytes() < store.raw_bytes() as usize);
    }

    proptest! {
        #[test]
        fn truncate_behaves_like_a_vec(n in 0usize..1500, cut in 0usize..1600, more in 0usize..300) {
            let mut store = RawStore::default();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for i in 0..n {
                store.push(&record(i));
                model.push(record(i));
            }
            store.truncate(cut);
            model.truncate(cut);
            for i in 0..more {
                store.push(&record(i + 5000));
                model.push(record(i + 5000));
            }
            prop_assert_eq!(store.len(), model.len());
            prop_assert_eq!(store.raw_bytes(), model.iter().map(|r| r.len() as u64).sum::<u64>());
            let mut all = Vec::new();
            store.scan(|_, b| all.push(b.to_vec()));
            prop_assert_eq!(&all, &model);
            let rows: Vec<usize> = (0..model.len()).rev().step_by(7).collect();
            store.with_records(&rows, |row, bytes| assert_eq!(bytes, &model[row][..]));
        }
    }
}
