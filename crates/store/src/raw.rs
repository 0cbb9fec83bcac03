//! The original records, kept compactly: concatenated into blocks that are LZ4-compressed once
//! full. A million CloudTrail records (about 1.4 GB of JSON) take under 300 MB, and one record
//! comes back in microseconds for the detail view.
//!
//! Past a size the owner chooses, sealed blocks can go to a [`BlockSpill`] instead: the page's
//! store worker keeps them in the browser's memory outside its WebAssembly memory, whose 32-bit
//! addresses would otherwise cap the tab near 4 GiB with the records taking most of it.

use std::borrow::Cow;

use crate::grams::{gram_set_of_lz4, may_hold, GramSet};

/// Uncompressed size at which a block is sealed. Large enough for LZ4 to find the repetition
/// between records (shared keys, ARNs, user agents), small enough to decompress in microseconds.
const BLOCK_BYTES: usize = 128 * 1024;

/// Where one record is: a block and a byte range of its decompressed content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawRef {
    pub(crate) block: u32,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Collects records into compressed blocks (the parsing side).
#[derive(Default)]
pub(crate) struct BlockWriter {
    open: Vec<u8>,
    sealed: Vec<Box<[u8]>>,
    /// Each sealed block's trigram set (free text skips blocks without the needle's trigrams).
    grams: Vec<GramSet>,
}

impl BlockWriter {
    /// Adds a record; returns where it will be.
    pub(crate) fn push(&mut self, record: &[u8]) -> RawRef {
        if !self.open.is_empty() && self.open.len() + record.len() > BLOCK_BYTES {
            self.seal();
        }
        let start = self.open.len();
        self.open.extend_from_slice(record);
        RawRef {
            block: u32::try_from(self.sealed.len()).unwrap_or(u32::MAX),
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(self.open.len()).unwrap_or(u32::MAX),
        }
    }

    fn seal(&mut self) {
        let block = lz4_flex::block::compress_prepend_size(&self.open);
        // The block's set, taken around LZ4's matches (a quarter of the cost of every byte).
        self.grams.push(gram_set_of_lz4(
            &self.open,
            block.get(4..).unwrap_or_default(),
        ));
        self.sealed.push(block.into_boxed_slice());
        self.open.clear();
    }

    /// Seals the open block and hands over all blocks with their trigram sets; the writer
    /// starts over.
    pub(crate) fn finish(&mut self) -> (Vec<Box<[u8]>>, Vec<GramSet>) {
        if !self.open.is_empty() {
            self.seal();
        }
        (
            std::mem::take(&mut self.sealed),
            std::mem::take(&mut self.grams),
        )
    }
}

/// Somewhere outside the store's own memory to keep sealed record blocks (LZ4, as stored).
/// Blocks are only added, never changed; the spill lives as long as the store that owns it.
pub trait BlockSpill: Send + Sync {
    /// Keeps a copy of `block`; returns the index to read it back by, or `None` when there is
    /// no room (the store then keeps the block itself, and nothing is lost).
    fn keep(&mut self, block: &[u8]) -> Option<u32>;
    /// Replaces `out` with block `index`'s bytes; `false` when there is no such block.
    fn read(&self, index: u32, out: &mut Vec<u8>) -> bool;
}

/// Where one sealed block is.
enum Block {
    /// In the store's own memory.
    Here(Box<[u8]>),
    /// In the spill, at this index; `bytes` long.
    Spilled { index: u32, bytes: u32 },
}

/// A spill and how many bytes of blocks the store keeps itself before using it.
struct Spill {
    to: Box<dyn BlockSpill>,
    keep_here_bytes: usize,
}

/// The store's records: blocks from every batch, and one reference per row.
#[derive(Default)]
pub struct RawStore {
    blocks: Vec<Block>,
    /// Per block, its trigram set (empty for none: such a block is always read).
    grams: Vec<GramSet>,
    refs: Vec<RawRef>,
    /// Bytes of the blocks kept here, and of those in the spill (which may pass 4 GiB on
    /// wasm32, where `usize` would wrap).
    compressed_bytes: usize,
    spilled_bytes: u64,
    raw_bytes: u64,
    spill: Option<Spill>,
}

impl std::fmt::Debug for RawStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStore")
            .field("rows", &self.refs.len())
            .field("blocks", &self.blocks.len())
            .field("spilled_bytes", &self.spilled_bytes)
            .finish()
    }
}

impl RawStore {
    /// Makes room for `rows` more records' references, if memory allows.
    pub(crate) fn reserve_rows(&mut self, rows: usize) {
        let _ = self.refs.try_reserve_exact(rows);
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// From now on, blocks past the first `keep_here_bytes` (compressed) go to `spill`. Blocks
    /// already kept stay where they are.
    pub(crate) fn spill_to(&mut self, spill: Box<dyn BlockSpill>, keep_here_bytes: usize) {
        self.spill = Some(Spill {
            to: spill,
            keep_here_bytes,
        });
    }

    /// Changes the size past which blocks go to the spill, if there is one.
    pub(crate) fn keep_here(&mut self, bytes: usize) {
        if let Some(spill) = self.spill.as_mut() {
            spill.keep_here_bytes = bytes;
        }
    }

    /// Takes a batch's blocks and their trigram sets; returns the number to add to its block
    /// indexes.
    pub(crate) fn append_blocks(&mut self, blocks: Vec<Box<[u8]>>, grams: Vec<GramSet>) -> u32 {
        let base = u32::try_from(self.blocks.len()).unwrap_or(u32::MAX);
        let count = blocks.len();
        for block in blocks {
            let spilled = u32::try_from(block.len()).ok().and_then(|bytes| {
                let spill = self.spill.as_mut().filter(|spill| {
                    self.compressed_bytes.saturating_add(block.len()) > spill.keep_here_bytes
                })?;
                Some((spill.to.keep(&block)?, bytes))
            });
            match spilled {
                Some((index, bytes)) => {
                    self.spilled_bytes = self.spilled_bytes.saturating_add(u64::from(bytes));
                    self.blocks.push(Block::Spilled { index, bytes });
                }
                None => {
                    self.compressed_bytes += block.len();
                    self.blocks.push(Block::Here(block));
                }
            }
        }
        // A block without its set (there is none, or too many) is read for every needle.
        let mut grams = grams.into_iter();
        self.grams
            .extend((0..count).map(|_| grams.next().unwrap_or_default()));
        base
    }

    /// The block the record of `row` is in.
    pub fn block_of(&self, row: usize) -> Option<u32> {
        self.refs.get(row).map(|at| at.block)
    }

    /// Whether block `block` may hold a needle whose trigram slots are `slots`
    /// ([`crate::grams::needle_slots`]); `false` is certain, `true` may be wrong.
    pub fn block_may_hold(&self, block: u32, slots: &[usize]) -> bool {
        self.grams
            .get(block as usize)
            .is_none_or(|set| may_hold(set, slots))
    }

    /// Adds the next row's record reference.
    pub(crate) fn push(&mut self, at: RawRef) {
        self.raw_bytes += u64::from(at.end.saturating_sub(at.start));
        self.refs.push(at);
    }

    /// Keeps the first `rows` rows' references.
    pub(crate) fn truncate(&mut self, rows: usize) {
        for at in self.refs.iter().skip(rows) {
            self.raw_bytes = self
                .raw_bytes
                .saturating_sub(u64::from(at.end.saturating_sub(at.start)));
        }
        self.refs.truncate(rows);
    }

    /// Where the record of `row` is.
    pub(crate) fn reference(&self, row: usize) -> Option<RawRef> {
        self.refs.get(row).copied()
    }

    /// Makes `row` point at another record (a copy of the same event).
    pub(crate) fn replace(&mut self, row: usize, at: RawRef) {
        if let Some(slot) = self.refs.get_mut(row) {
            self.raw_bytes = self.raw_bytes - u64::from(slot.end.saturating_sub(slot.start))
                + u64::from(at.end.saturating_sub(at.start));
            *slot = at;
        }
    }

    /// A block as stored (LZ4, size prepended): borrowed when kept here, copied from the spill.
    pub(crate) fn compressed_block(&self, index: u32) -> Option<Cow<'_, [u8]>> {
        match self.blocks.get(index as usize)? {
            Block::Here(bytes) => Some(Cow::Borrowed(bytes)),
            Block::Spilled { index, bytes } => {
                let mut out = Vec::with_capacity(*bytes as usize);
                let spill = self.spill.as_ref()?;
                spill.to.read(*index, &mut out).then_some(Cow::Owned(out))
            }
        }
    }

    /// A block's trigram set (empty when it has none).
    pub(crate) fn gram_set(&self, index: u32) -> &[u64] {
        self.grams.get(index as usize).map_or(&[], |g| &g[..])
    }

    /// A block's decompressed bytes.
    pub(crate) fn block_bytes(&self, index: u32) -> Vec<u8> {
        self.block(index)
    }

    fn block(&self, index: u32) -> Vec<u8> {
        self.compressed_block(index)
            .and_then(|b| lz4_flex::block::decompress_size_prepended(&b).ok())
            .unwrap_or_default()
    }

    /// The record at `row`.
    pub fn get(&self, row: usize) -> Option<Vec<u8>> {
        let at = *self.refs.get(row)?;
        self.block(at.block)
            .get(at.start as usize..at.end as usize)
            .map(<[u8]>::to_vec)
    }

    /// Calls `f(row, bytes)` for each of `rows`, decompressing each block once.
    pub fn with_records(&self, rows: &[usize], mut f: impl FnMut(usize, &[u8])) {
        let mut sorted: Vec<(u32, usize)> = rows
            .iter()
            .filter_map(|&r| self.refs.get(r).map(|at| (at.block, r)))
            .collect();
        sorted.sort_unstable();
        let mut cached: Option<(u32, Vec<u8>)> = None;
        for (block, row) in sorted {
            if cached.as_ref().map(|(b, _)| *b) != Some(block) {
                cached = Some((block, self.block(block)));
            }
            if let (Some((_, bytes)), Some(at)) = (&cached, self.refs.get(row)) {
                f(
                    row,
                    bytes
                        .get(at.start as usize..at.end as usize)
                        .unwrap_or_default(),
                );
            }
        }
    }

    /// Calls `f(row, bytes)` for every record in row order. Rows of one batch share blocks in
    /// order, so each block is decompressed about once.
    pub fn scan(&self, f: impl FnMut(usize, &[u8])) {
        self.scan_range(0, self.refs.len(), f);
    }

    /// The end of the rows from `start` on, at most `max_rows` of them, whose records come to
    /// at most `max_bytes` (always at least one row when one is left).
    pub(crate) fn rows_within(&self, start: usize, max_rows: usize, max_bytes: usize) -> usize {
        let refs = self.refs.get(start..).unwrap_or_default();
        let mut bytes = 0usize;
        let mut end = start;
        for at in refs.iter().take(max_rows) {
            bytes = bytes.saturating_add(at.end.saturating_sub(at.start) as usize);
            if bytes > max_bytes && end > start {
                break;
            }
            end += 1;
        }
        end
    }

    /// [`RawStore::scan`] over rows `start..end`.
    pub fn scan_range(&self, start: usize, end: usize, mut f: impl FnMut(usize, &[u8])) {
        let mut cached: Option<(u32, Vec<u8>)> = None;
        let refs = self
            .refs
            .get(start..end.min(self.refs.len()))
            .unwrap_or_default();
        for (row, at) in (start..).zip(refs) {
            if cached.as_ref().map(|(b, _)| *b) != Some(at.block) {
                cached = Some((at.block, self.block(at.block)));
            }
            if let Some((_, bytes)) = &cached {
                f(
                    row,
                    bytes
                        .get(at.start as usize..at.end as usize)
                        .unwrap_or_default(),
                );
            }
        }
    }

    /// Bytes held here: compressed blocks, their trigram sets and references (not the blocks
    /// in the spill: [`RawStore::spilled_bytes`]).
    pub fn heap_bytes(&self) -> usize {
        self.compressed_bytes
            + self.grams.iter().map(|g| g.len() * 8).sum::<usize>()
            + self.refs.capacity() * 12
            + self.blocks.capacity() * std::mem::size_of::<Block>()
            + self.grams.capacity() * 16
    }

    /// Bytes of the blocks in the spill.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Drops the trigram sets of blocks `0..blocks` (the free-text index answers for their rows
    /// now); such a block is read for every needle, as one without a set always was.
    pub(crate) fn drop_gram_sets(&mut self, blocks: usize) {
        for set in self.grams.iter_mut().take(blocks) {
            *set = GramSet::default();
        }
    }

    /// Number of blocks.
    pub(crate) fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Bytes of the trigram sets alone.
    pub fn gram_bytes(&self) -> usize {
        self.grams.iter().map(|g| g.len() * 8).sum()
    }

    /// Total size of the records as given.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> Vec<u8> {
        format!(r#"{{"eventID":"{i}","pad":"{}"}}"#, "x".repeat(i % 700)).into_bytes()
    }

    #[test]
    fn stores_and_returns_records_across_blocks_and_batches() {
        let mut store = RawStore::default();
        for batch in 0..3 {
            let mut writer = BlockWriter::default();
            let refs: Vec<RawRef> = (0..1000)
                .map(|i| writer.push(&record(batch * 1000 + i)))
                .collect();
            let (blocks, grams) = writer.finish();
            assert_eq!(blocks.len(), grams.len());
            let base = store.append_blocks(blocks, grams);
            for r in refs {
                store.push(RawRef {
                    block: r.block + base,
                    ..r
                });
            }
        }
        assert!(store.blocks.len() > 6);
        for i in [0, 1, 999, 1000, 2999] {
            assert_eq!(store.get(i), Some(record(i)));
        }
        assert_eq!(store.get(3000), None);
        let mut scanned = 0;
        store.scan(|row, bytes| {
            assert_eq!(bytes, record(row));
            scanned += 1;
        });
        assert_eq!(scanned, 3000);
        let rows: Vec<usize> = (0..3000).rev().step_by(7).collect();
        let mut seen = 0;
        store.with_records(&rows, |row, bytes| {
            assert_eq!(bytes, record(row));
            seen += 1;
        });
        assert_eq!(seen, rows.len());
        assert!(store.heap_bytes() < store.raw_bytes() as usize);
    }
}
