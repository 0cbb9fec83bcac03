//! Event batches: what a parsing thread hands the store. A batch holds the columns of a run of
//! events, with its own small dictionaries, the dedupe keys, and the original records already
//! compressed, so the store only has to merge it. It also has a compact binary form, so a batch
//! can cross from one Web Worker to another as a transferable `ArrayBuffer`.

use trailscope_model::{Event, EventSink};

use crate::arena::StrArena;
use crate::dict::DictColumn;
use crate::field::FIELD_COUNT;
use crate::raw::{BlockWriter, RawRef};
use crate::row::extract;

/// The columns of a run of events, ready to be merged into a [`crate::Store`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EventBatch {
    pub(crate) time: Vec<i64>,
    pub(crate) flags: Vec<u8>,
    /// Per field: the distinct values (code `i` is `values[i - 1]`; 0 is absent) and row codes.
    pub(crate) values: Vec<Vec<Box<str>>>,
    pub(crate) codes: Vec<Vec<u32>>,
    pub(crate) event_ids: StrArena,
    pub(crate) keys: Vec<u128>,
    /// Per row: a hash of the record's bytes, or [`PROJECTION`] for records that are a
    /// projection of the event (a CSV row) rather than the event itself.
    pub(crate) content: Vec<u64>,
    pub(crate) blocks: Vec<Box<[u8]>>,
    /// Each block's trigram set ([`crate::grams`]).
    pub(crate) grams: Vec<crate::grams::GramSet>,
    pub(crate) raw: Vec<RawRef>,
}

/// The content hash of a record that is only a projection of its event (the console's CSV
/// holds 16 of its fields): such a copy never conflicts with the full record, it is replaced by it.
pub(crate) const PROJECTION: u64 = 0;

/// The content hash of a record's bytes (never [`PROJECTION`]).
pub(crate) fn content_hash(event: &Event<'_>) -> u64 {
    if event.envelope == trailscope_model::Envelope::EventHistoryCsv {
        return PROJECTION;
    }
    xxhash_rust::xxh3::xxh3_64(event.raw.as_bytes()).max(1)
}

impl EventBatch {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether it holds no event.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }
}

/// Builds [`EventBatch`]es from parsed events; an [`EventSink`] for the ingest pipeline.
#[derive(Default)]
pub struct BatchBuilder {
    time: Vec<i64>,
    flags: Vec<u8>,
    columns: Vec<DictColumn>,
    event_ids: StrArena,
    keys: Vec<u128>,
    content: Vec<u64>,
    blocks: BlockWriter,
    raw: Vec<RawRef>,
}

impl BatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        BatchBuilder {
            columns: (0..FIELD_COUNT).map(|_| DictColumn::default()).collect(),
            ..Default::default()
        }
    }

    /// Events added since the last [`BatchBuilder::take`].
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether no event was added since the last [`BatchBuilder::take`].
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Adds one event.
    pub fn push(&mut self, event: &Event<'_>) {
        let row = extract(event);
        self.time.push(row.time);
        self.flags.push(row.flags);
        for (column, value) in self.columns.iter_mut().zip(row.strings.iter()) {
            column.push(value.as_deref());
        }
        self.event_ids.push(row.event_id);
        self.keys.push(row.key);
        self.content.push(content_hash(event));
        self.raw.push(self.blocks.push(event.raw.as_bytes()));
    }

    /// The events added so far, as a batch; the builder starts over.
    pub fn take(&mut self) -> EventBatch {
        let mut columns = std::mem::take(&mut self.columns);
        self.columns = (0..FIELD_COUNT).map(|_| DictColumn::default()).collect();
        let (values, codes) = columns.iter_mut().map(DictColumn::take_parts).unzip();
        let (blocks, grams) = self.blocks.finish();
        EventBatch {
            time: std::mem::take(&mut self.time),
            flags: std::mem::take(&mut self.flags),
            values,
            codes,
            event_ids: std::mem::take(&mut self.event_ids),
            keys: std::mem::take(&mut self.keys),
            content: std::mem::take(&mut self.content),
            blocks,
            grams,
            raw: std::mem::take(&mut self.raw),
        }
    }
}

impl EventSink for BatchBuilder {
    type Error = std::convert::Infallible;
    fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
        self.push(event);
        Ok(())
    }
}

/// A batch's binary form is damaged (it only ever comes from our own worker, but a damaged one
/// must not bring the store down).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("damaged event batch: {0}")]
pub struct BatchError(&'static str);

const MAGIC: &[u8; 4] = b"TSB3";

impl EventBatch {
    /// The batch as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let rows = self.len();
        let mut w = Writer(Vec::with_capacity(
            rows * 120
                + self
                    .blocks
                    .iter()
                    .map(|b| b.len() + crate::grams::GRAM_WORDS * 8 + 4)
                    .sum::<usize>(),
        ));
        w.0.extend_from_slice(MAGIC);
        w.u32(rows as u32);
        for &t in &self.time {
            w.0.extend_from_slice(&t.to_le_bytes());
        }
        w.0.extend_from_slice(&self.flags);
        for (values, codes) in self.values.iter().zip(&self.codes) {
            w.u32(values.len() as u32);
            for v in values {
                w.bytes(v.as_bytes());
            }
            for &c in codes {
                w.u32(c);
            }
        }
        w.bytes(&self.event_ids.bytes);
        for &end in &self.event_ids.ends {
            w.u32(end);
        }
        for &k in &self.keys {
            w.0.extend_from_slice(&k.to_le_bytes());
        }
        for &c in &self.content {
            w.0.extend_from_slice(&c.to_le_bytes());
        }
        w.u32(self.blocks.len() as u32);
        for b in &self.blocks {
            w.bytes(b);
        }
        // Each block's trigram set: empty, or exactly GRAM_WORDS words.
        for g in &self.grams {
            w.u32(g.len() as u32);
            for &word in g.iter() {
                w.0.extend_from_slice(&word.to_le_bytes());
            }
        }
        for r in &self.raw {
            w.u32(r.block);
            w.u32(r.start);
            w.u32(r.end);
        }
        w.0
    }

    /// Reads a batch written by [`EventBatch::to_bytes`], checking every length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BatchError> {
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC {
            return Err(BatchError("bad magic"));
        }
        let rows = r.u32()? as usize;
        if rows > bytes.len() {
            return Err(BatchError("row count larger than the batch"));
        }
        let time = (0..rows).map(|_| r.i64()).collect::<Result<Vec<_>, _>>()?;
        let flags = r.take(rows)?.to_vec();
        let mut values = Vec::with_capacity(FIELD_COUNT);
        let mut codes = Vec::with_capacity(FIELD_COUNT);
        for _ in 0..FIELD_COUNT {
            let n = r.u32()?;
            let vals = (0..n)
                .map(|_| {
                    let b = r.bytes()?;
                    std::str::from_utf8(b)
                        .map(Box::from)
                        .map_err(|_| BatchError("value is not UTF-8"))
                })
                .collect::<Result<Vec<Box<str>>, _>>()?;
            let cs = (0..rows).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
            if cs.iter().any(|&c| c as usize > vals.len()) {
                return Err(BatchError("code outside its dictionary"));
            }
            values.push(vals);
            codes.push(cs);
        }
        let id_bytes = r.bytes()?.to_vec();
        let ends = (0..rows).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let event_ids =
            StrArena::from_parts(id_bytes, ends).ok_or(BatchError("bad event ID offsets"))?;
        let keys = (0..rows).map(|_| r.u128()).collect::<Result<Vec<_>, _>>()?;
        let content = (0..rows)
            .map(|_| r.i64().map(|v| v as u64))
            .collect::<Result<Vec<_>, _>>()?;
        let block_count = r.u32()?;
        let blocks = (0..block_count)
            .map(|_| r.bytes().map(Box::from))
            .collect::<Result<Vec<Box<[u8]>>, _>>()?;
        let grams = (0..block_count)
            .map(|_| {
                let words = r.u32()? as usize;
                if words != 0 && words != crate::grams::GRAM_WORDS {
                    return Err(BatchError("trigram set of the wrong size"));
                }
                (0..words)
                    .map(|_| r.i64().map(|v| v as u64))
                    .collect::<Result<Box<[u64]>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let raw = (0..rows)
            .map(|_| {
                Ok(RawRef {
                    block: r.u32()?,
                    start: r.u32()?,
                    end: r.u32()?,
                })
            })
            .collect::<Result<Vec<_>, BatchError>>()?;
        if raw
            .iter()
            .any(|x| x.block as usize >= blocks.len() || x.start > x.end)
        {
            return Err(BatchError("record reference outside the batch"));
        }
        if !r.0.is_empty() {
            return Err(BatchError("trailing bytes"));
        }
        Ok(EventBatch {
            time,
            flags,
            values,
            codes,
            event_ids,
            keys,
            content,
            blocks,
            grams,
            raw,
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        if n > self.0.len() {
            return Err(BatchError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, BatchError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(
            b.try_into().map_err(|_| BatchError("truncated"))?,
        ))
    }
    fn i64(&mut self) -> Result<i64, BatchError> {
        let b = self.take(8)?;
        Ok(i64::from_le_bytes(
            b.try_into().map_err(|_| BatchError("truncated"))?,
        ))
    }
    fn u128(&mut self) -> Result<u128, BatchError> {
        let b = self.take(16)?;
        Ok(u128::from_le_bytes(
            b.try_into().map_err(|_| BatchError("truncated"))?,
        ))
    }
    fn bytes(&mut self) -> Result<&'a [u8], BatchError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}
