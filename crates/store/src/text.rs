//! The free-text index: which rows' records hold a needle, without reading most records.
//!
//! Free text is a case-insensitive (ASCII) substring of a record's bytes. Reading every record
//! costs about 0.8 s per million events in the page; the per-block trigram sets
//! ([`crate::grams`]) rule out blocks only for needles most blocks lack, never for an address or
//! a term found in most blocks. This index answers those from a few structures built over the
//! rows once, after the load (in steps, by `TextIndex::index_rows`):
//!
//! - Records are split into tokens at JSON's structure, white space and a few separators
//!   (`is_separator`). A needle without a separator lies inside one token wherever it occurs.
//! - **Entries**: tokens seen in at least `PROMOTE_AFTER` rows, each with the exact list of
//!   rows it is in from then on. A needle's rows in them are found by scanning the entries'
//!   text (tens of thousands of strings), never the records.
//! - **Chunk sets**: for each [`CHUNK_ROWS`] rows, a bit set of the 4-grams of every token that
//!   was not an entry when its row was indexed. A needle can be in such a token only if all its
//!   4-grams are in the chunk's set; only those chunks' rows are read.
//! - **Dotted runs**: a needle of digits and dots (an IPv4 address, a version) drowns in the
//!   4-grams of other addresses, so every maximal run of digits and dots with a dot, at least
//!   `MIN_DOTTED` bytes long, is an entry from its first row: such a needle is answered by the
//!   entries alone.
//!
//! No false negatives: a row holding the needle either has it inside an entry (listed) or inside
//! a token that went to its chunk's set (read). Entries' rows are certain matches, since an
//! entry is a lowercased substring of each of its rows' records. Written by hand because no
//! crate indexes substrings under these memory limits (71–93 bytes per event measured, against
//! the 44 of the block sets it replaces once complete; the README has the figures).

use hashbrown::HashTable;
use memchr::memmem::Finder;
use std::hash::BuildHasher as _;

use crate::raw::RawStore;
use crate::rowset::RowSet;

/// Rows per chunk set.
pub const CHUNK_ROWS: usize = 128;
/// Bits per chunk set (4 KiB: 32 bytes per row). A chunk's rare tokens hold 20–30 thousand
/// bytes of real-shaped records, so about half the bits are set; at 256 rows a chunk, a
/// fragment of an object key or an id was read from five times as many rows.
const CHUNK_BITS: usize = 1 << 15;
const CHUNK_WORDS: usize = CHUNK_BITS / 64;
/// The n of the chunk sets' n-grams. Trigrams of ids and addresses fill most sets; 4-grams
/// rule out nine chunks in ten for an address in measurements, at the same size.
const GRAM: usize = 4;
/// Rows a token must be seen in before it becomes an entry.
const PROMOTE_AFTER: u8 = 8;
/// Counters towards promotion, indexed by token hash (collisions only promote early, which
/// costs an entry, never a row). 256 KiB, so counting stays in the cache (at 1 MiB, a cache
/// miss per rare token took a sixth of the index's time).
const COUNTERS: usize = 1 << 18;
/// Rows between halvings of every counter: a token must be seen [`PROMOTE_AFTER`] times within
/// about this many rows, and the counters of tokens seen once (ids) do not pile up.
const COUNTER_HALF_LIFE_ROWS: usize = 1 << 14;
/// Entries at most (the rest stays in the chunk sets).
const MAX_ENTRIES: usize = 1 << 21;
/// Longer tokens never become entries (they stay in the chunk sets).
const MAX_ENTRY_BYTES: usize = 256;
/// Most bytes of entry text: with [`MAX_ENTRIES`] it bounds the index's growth whatever the
/// records hold (about 2 MiB of it at a million events of typical tokens; distinct long
/// dotted runs could otherwise ask for half a GiB). Past it, tokens go to the chunk sets.
const MAX_ARENA_BYTES: usize = 64 << 20;
/// Rows whose record changed after they were indexed, remembered one by one (each lookup
/// reads them); past this many the index is built again instead.
const MAX_CHANGED_ROWS: usize = 1 << 16;
/// Record bytes one call of [`TextIndex::index_rows`] reads at most (beside its row count),
/// so that a step over very large records stays short.
const MAX_STEP_BYTES: usize = 32 << 20;
/// Shortest dotted run kept as an entry (`1.2.3.4`).
const MIN_DOTTED: usize = 7;

/// Whether `byte` ends a token: JSON's structure, white space, and separators inside values
/// (`:` of ARNs and times, `/` of paths and user agents). A needle with one of these is read
/// from the records.
const fn is_separator(byte: u8) -> bool {
    matches!(
        byte,
        b'"' | b','
            | b'{'
            | b'}'
            | b'['
            | b']'
            | b' '
            | b'\t'
            | b'\n'
            | b'\r'
            | b':'
            | b'/'
            | b'('
            | b')'
            | b';'
            | b'='
            | b'&'
            | b'?'
            | b'\\'
            | b'\''
            | b'<'
            | b'>'
            | b'|'
            | 0
    )
}

/// [`is_separator`] of every byte.
// A const block cannot use `get_mut`; the loop bounds keep the index in range.
#[allow(clippy::indexing_slicing)]
static SEPARATORS: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_separator(byte as u8);
        byte += 1;
    }
    table
};

fn is_dotted_byte(byte: u8) -> bool {
    byte.is_ascii_digit() || byte == b'.'
}

/// Whether `needle` is answered by the entries alone: digits and dots, with a dot, at least
/// [`MIN_DOTTED`] long (it can only lie inside a dotted run that long, and each is an entry).
fn is_dotted(needle: &[u8]) -> bool {
    needle.len() >= MIN_DOTTED
        && needle.iter().all(|&b| is_dotted_byte(b))
        && needle.contains(&b'.')
}

/// A 4-gram's value, ASCII-lowercased.
#[inline]
fn gram_value(gram: &[u8]) -> u32 {
    gram.iter().fold(0u32, |acc, &b| {
        (acc << 8) | u32::from(b.to_ascii_lowercase())
    })
}

/// The seeds of [`token_hash`]: the first starts the hash, the second keys each word's mix.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct HashSeed(u64, u64);

impl HashSeed {
    /// Two keys from one random value (splitmix64's steps, so that neither is a simple
    /// function of the other's bits).
    fn from_random(random: u64) -> Self {
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let first = mix(random.wrapping_add(0x9E37_79B9_7F4A_7C15));
        let second = mix(first.wrapping_add(0x9E37_79B9_7F4A_7C15));
        HashSeed(first | 1, second | 1)
    }

    fn is_set(self) -> bool {
        self.0 != 0
    }
}

/// The high and low halves of a 128-bit product, folded (foldhash's and wyhash's mixing step:
/// every output bit depends on the key and the word in a non-linear way, so a file's author who
/// does not know the key cannot make tokens collide).
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    let (high, low) = ((product >> 64) as u64, product as u64);
    high ^ low
}

/// The hash of a token's ASCII-lowercased bytes, eight at a time. Written by hand: the general
/// hashers would need the lowercased copy first, and this runs for every token of every record.
#[inline]
fn token_hash(seed: HashSeed, token: &[u8]) -> u64 {
    let mut hash = seed.0 ^ token.len() as u64;
    let mut words = token.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        hash = folded_multiply(hash ^ lowercase_word(u64::from_le_bytes(bytes)), seed.1);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // Built by hand: a copy into a buffer became a call to `memcpy` per token.
        let word = rest
            .iter()
            .rev()
            .fold(0u64, |word, &b| (word << 8) | u64::from(b));
        hash = folded_multiply(hash ^ lowercase_word(word), seed.1);
    }
    // Spread the high bits down (the table takes its buckets from the low bits).
    folded_multiply(hash, 0x9E37_79B9_7F4A_7C15)
}

/// Whether `token` ASCII-lowercased is `entry` (compared eight bytes at a time).
#[inline]
fn equals_lowercased(entry: &[u8], token: &[u8]) -> bool {
    if entry.len() != token.len() {
        return false;
    }
    let (mut entry_words, mut token_words) = (entry.chunks_exact(8), token.chunks_exact(8));
    for (e, t) in (&mut entry_words).zip(&mut token_words) {
        let (mut eb, mut tb) = ([0u8; 8], [0u8; 8]);
        eb.copy_from_slice(e);
        tb.copy_from_slice(t);
        if u64::from_le_bytes(eb) != lowercase_word(u64::from_le_bytes(tb)) {
            return false;
        }
    }
    entry_words
        .remainder()
        .iter()
        .zip(token_words.remainder())
        .all(|(e, t)| *e == t.to_ascii_lowercase())
}

/// Eight bytes with `A`-`Z` made lowercase (the bit trick of the standard library's
/// `make_ascii_lowercase` on words).
#[inline]
fn lowercase_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low_seven = word & (ONES * 0x7f);
    let above_z = low_seven.wrapping_add(ONES * (0x7f - u64::from(b'Z')));
    let from_a = low_seven.wrapping_add(ONES * (0x80 - u64::from(b'A')));
    let upper = !word & (from_a ^ above_z) & (ONES * 0x80);
    word | (upper >> 2)
}

/// A 4-gram's bit in a chunk set.
#[inline]
fn gram_bit(gram: u32) -> usize {
    (gram.wrapping_mul(0x9E37_79B1) >> (32 - 15)) as usize
}

/// The rows one entry is in, ascending.
#[derive(Debug)]
enum Postings {
    /// LEB128 gaps from the previous row (the first from 0).
    Gaps { bytes: Vec<u8>, last: u32 },
    /// One bit per row from row 0 to `last`, once that is smaller than the gaps.
    Bits { words: Vec<u64>, last: u32 },
}

impl Postings {
    /// The list of an entry seen in rows `first` and then `row`.
    fn of_two(first: u32, row: u32) -> Self {
        let mut bytes = Vec::with_capacity(4);
        push_gap(&mut bytes, first);
        push_gap(&mut bytes, row - first);
        Postings::Gaps { bytes, last: row }
    }

    fn push(&mut self, row: u32) {
        match self {
            Postings::Gaps { bytes, last } => {
                if row <= *last {
                    return;
                }
                push_gap(bytes, row - *last);
                *last = row;
                if bytes.len() * 8 > row as usize + 64 {
                    let mut words = vec![0u64; row as usize / 64 + 1];
                    for r in gaps(bytes) {
                        set_bit(&mut words, r as usize);
                    }
                    *self = Postings::Bits { words, last: row };
                }
            }
            Postings::Bits { words, last } => {
                if row <= *last {
                    return;
                }
                let word = row as usize / 64;
                if words.len() <= word {
                    words.resize(word + 1, 0);
                }
                set_bit(words, row as usize);
                *last = row;
            }
        }
    }

    /// Adds the rows to `set`.
    fn add_to(&self, set: &mut RowSet) {
        match self {
            Postings::Gaps { bytes, .. } => gaps(bytes).for_each(|r| set.insert(r as usize)),
            Postings::Bits { words, .. } => set.or_words(words),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Postings::Gaps { bytes, .. } => bytes.capacity(),
            Postings::Bits { words, .. } => words.capacity() * 8,
        }
    }

    fn shrink(&mut self) {
        match self {
            Postings::Gaps { bytes, .. } => bytes.shrink_to_fit(),
            Postings::Bits { words, .. } => words.shrink_to_fit(),
        }
    }
}

fn set_bit(words: &mut [u64], bit: usize) {
    if let Some(w) = words.get_mut(bit / 64) {
        *w |= 1 << (bit % 64);
    }
}

fn push_gap(bytes: &mut Vec<u8>, mut gap: u32) {
    while gap >= 0x80 {
        bytes.push((gap as u8) | 0x80);
        gap >>= 7;
    }
    bytes.push(gap as u8);
}

/// The rows of LEB128 gaps.
fn gaps(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut at = 0;
    let mut row = 0u32;
    std::iter::from_fn(move || {
        let mut gap = 0u32;
        let mut shift = 0;
        loop {
            let byte = *bytes.get(at)?;
            at += 1;
            gap |= u32::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        row = row.wrapping_add(gap);
        Some(row)
    })
}

/// What the index says about a needle over the rows it covers.
#[derive(Debug)]
pub struct TextLookup {
    /// Rows that certainly hold the needle.
    pub hits: RowSet,
    /// Rows that may hold it and must be read (the rest of the covered rows do not hold it).
    pub read: RowSet,
    /// Rows covered: `0..covered`. Rows past it are not indexed yet.
    pub covered: usize,
}

/// See the module documentation.
pub struct TextIndex {
    /// Rows indexed: `0..rows`.
    rows: usize,
    /// Entries' text, each followed by a 0 byte (which no needle holds).
    arena: Vec<u8>,
    /// Where each entry's text ends in `arena`.
    ends: Vec<u32>,
    /// Each entry's last row so far (its only row while `lists` has none for it), and its
    /// index in `lists` once it is in two rows ([`NO_LIST`] before). One array, so adding a
    /// row reads one place for both.
    rows_of: Vec<[u32; 2]>,
    lists: Vec<Postings>,
    /// Entry ids by text.
    table: HashTable<u32>,
    /// The entries found last (hash and id), by the low bits of their hash: most of a record's
    /// tokens (keys, names, regions) are a few hundred entries, found here without probing the
    /// table.
    recent: Vec<(u64, u32)>,
    /// Rows seen per token hash, towards promotion (empty when not indexing).
    counts: Vec<u8>,
    /// Seeds the token hash (random per index, so that no file can be made to collide).
    seed: HashSeed,
    /// One set per chunk; the last may still be filling.
    chunks: Vec<Box<[u64]>>,
    /// Set when a dotted run could not become an entry (too long, or too many entries): dotted
    /// needles are then read from the chunks like any other.
    dotted_incomplete: bool,
    /// Rows below `rows` whose record was replaced after they were indexed (a JSON copy
    /// taking a CSV row's place): what the index says of them is stale, so lookups read them.
    changed: Vec<u32>,
}

impl Default for TextIndex {
    fn default() -> Self {
        TextIndex {
            rows: 0,
            arena: Vec::new(),
            ends: Vec::new(),
            rows_of: Vec::new(),
            lists: Vec::new(),
            table: HashTable::new(),
            recent: Vec::new(),
            counts: Vec::new(),
            seed: HashSeed::default(),
            chunks: Vec::new(),
            dotted_incomplete: false,
            changed: Vec::new(),
        }
    }
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("rows", &self.rows)
            .field("entries", &self.ends.len())
            .finish()
    }
}

/// An entry with one row so far.
const NO_LIST: u32 = u32::MAX;
/// Size of [`TextIndex::recent`] (64 KiB).
const RECENT: usize = 1 << 12;

impl TextIndex {
    /// Seeds the token hash, before any row is indexed (later calls change nothing). A seed no
    /// file's author can know keeps them from making tokens collide in the table, which would
    /// make each lookup a walk over all of them.
    pub(crate) fn seed(&mut self, seed: u64) {
        if self.rows == 0 && self.table.is_empty() {
            self.seed = HashSeed::from_random(seed);
        }
    }

    /// Notes that `row`'s record was replaced; returns `false` when the index must be built
    /// again instead (too many such rows to read at every lookup).
    pub(crate) fn record_changed(&mut self, row: usize) -> bool {
        if row >= self.rows {
            return true;
        }
        let Ok(row) = u32::try_from(row) else {
            return false;
        };
        if self.changed.len() >= MAX_CHANGED_ROWS {
            return false;
        }
        self.changed.push(row);
        true
    }

    /// Rows indexed so far (`0..rows`).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Indexes up to `max_rows` more of `raw`'s rows (fewer when their records pass
    /// [`MAX_STEP_BYTES`]); returns whether every row is indexed.
    pub(crate) fn index_rows(&mut self, raw: &RawStore, max_rows: usize) -> bool {
        let end = raw.rows_within(self.rows, max_rows, MAX_STEP_BYTES);
        if self.rows < end {
            if !self.seed.is_set() {
                // The standard library's keys come from the system's randomness natively; on
                // wasm32 there is none, so the page seeds the index itself (`Store::seed_text_index`).
                self.seed = HashSeed::from_random(
                    std::collections::hash_map::RandomState::new().hash_one(0x7e57u64),
                );
            }
            if self.counts.is_empty() {
                self.counts = vec![0; COUNTERS];
            }
            if self.recent.is_empty() {
                self.recent = vec![(0, 0); RECENT];
            }
            let start = self.rows;
            raw.scan_range(start, end, |row, record| {
                if row % COUNTER_HALF_LIFE_ROWS == 0 {
                    self.counts.iter_mut().for_each(|c| *c >>= 1);
                }
                self.index_record(row, record);
            });
            self.rows = end;
        }
        let done = self.rows >= raw.len();
        if done {
            // Finished for now: give back what growth left over, and the counts (a later load
            // counts again from nothing, which only delays promotions).
            self.counts = Vec::new();
            self.lists.iter_mut().for_each(Postings::shrink);
            self.arena.shrink_to_fit();
            self.ends.shrink_to_fit();
            self.rows_of.shrink_to_fit();
            self.lists.shrink_to_fit();
            self.changed.sort_unstable();
            self.changed.dedup();
        }
        done
    }

    fn index_record(&mut self, row: usize, record: &[u8]) {
        let Ok(row32) = u32::try_from(row) else {
            return;
        };
        let chunk = row / CHUNK_ROWS;
        while self.chunks.len() <= chunk {
            self.chunks.push(vec![0u64; CHUNK_WORDS].into_boxed_slice());
        }
        // A table lookup per byte: the general `split` with a closure took about 2 ns a byte.
        let mut start = None;
        for (at, &byte) in record.iter().enumerate() {
            if SEPARATORS.get(usize::from(byte)).copied().unwrap_or(false) {
                if let Some(from) = start.take() {
                    self.index_token(row32, chunk, record.get(from..at).unwrap_or_default());
                }
            } else if start.is_none() {
                start = Some(at);
            }
        }
        if let Some(from) = start {
            self.index_token(row32, chunk, record.get(from..).unwrap_or_default());
        }
    }

    /// Indexes one token (as in the record: compared and hashed ASCII-lowercased); returns
    /// its entry if it is one now.
    fn index_token(&mut self, row: u32, chunk: usize, token: &[u8]) -> Option<u32> {
        if token.len() < GRAM {
            // No needle the index answers fits in it (see `lookup`): a third of all tokens.
            return None;
        }
        let hash = token_hash(self.seed, token);
        if let Some(id) = self.find(hash, token) {
            self.add_row(id, row);
            return Some(id);
        }
        if is_dotted(token) {
            // An entry needs no 4-grams: the entries' text is searched for every needle. Only
            // when it cannot be one (past the limits) do its 4-grams go to the chunk.
            let id = self.add_entry(hash, token, row);
            if id.is_none() {
                self.add_grams(chunk, token);
            }
            return id;
        }
        self.add_grams(chunk, token);
        // Dotted runs inside a longer token are entries of their own.
        if token.iter().filter(|&&b| is_dotted_byte(b)).count() >= MIN_DOTTED {
            for run in token.split(|&b| !is_dotted_byte(b)) {
                if is_dotted(run) {
                    let run_hash = token_hash(self.seed, run);
                    match self.find(run_hash, run) {
                        Some(id) => self.add_row(id, row),
                        None => {
                            self.add_entry(run_hash, run, row);
                        }
                    }
                }
            }
        }
        if token.len() <= MAX_ENTRY_BYTES {
            let slot = (hash >> 46) as usize;
            if let Some(count) = self.counts.get_mut(slot) {
                *count = count.saturating_add(1);
                if *count >= PROMOTE_AFTER {
                    *count = 0;
                    return self.add_entry(hash, token, row);
                }
            }
        }
        None
    }

    fn find(&mut self, hash: u64, token: &[u8]) -> Option<u32> {
        let (arena, ends) = (&self.arena, &self.ends);
        let holds = |id: u32| equals_lowercased(entry_text(arena, ends, id as usize), token);
        let recent = self.recent.get_mut(hash as usize % RECENT);
        if let Some((seen, id)) = &recent {
            if *seen == hash && holds(*id) {
                return Some(*id);
            }
        }
        let id = *self.table.find(hash, |&id| holds(id))?;
        if let Some(recent) = recent {
            *recent = (hash, id);
        }
        Some(id)
    }

    fn add_row(&mut self, id: u32, row: u32) {
        let id = id as usize;
        let Some([last, list]) = self.rows_of.get_mut(id) else {
            return;
        };
        if row <= *last {
            return;
        }
        match self.lists.get_mut(*list as usize) {
            Some(postings) => postings.push(row),
            None => {
                *list = u32::try_from(self.lists.len()).unwrap_or(NO_LIST);
                self.lists.push(Postings::of_two(*last, row));
            }
        }
        *last = row;
    }

    /// Makes `token` an entry, seen first in `row`; returns its id (`None` past the limits).
    fn add_entry(&mut self, hash: u64, token: &[u8], row: u32) -> Option<u32> {
        if self.ends.len() >= MAX_ENTRIES
            || token.len() > MAX_ENTRY_BYTES
            || self.arena.len() + token.len() >= MAX_ARENA_BYTES
        {
            self.dotted_incomplete |= is_dotted(token);
            return None;
        }
        let Ok(id) = u32::try_from(self.ends.len()) else {
            return None;
        };
        self.arena.extend(token.iter().map(u8::to_ascii_lowercase));
        self.ends
            .push(u32::try_from(self.arena.len()).unwrap_or(u32::MAX));
        self.arena.push(0);
        self.rows_of.push([row, NO_LIST]);
        let (arena, ends, seed) = (&self.arena, &self.ends, self.seed);
        self.table.insert_unique(hash, id, |&id| {
            token_hash(seed, entry_text(arena, ends, id as usize))
        });
        Some(id)
    }

    fn add_grams(&mut self, chunk: usize, token: &[u8]) {
        let Some(set) = self.chunks.get_mut(chunk) else {
            return;
        };
        for gram in token.windows(GRAM) {
            set_bit(set, gram_bit(gram_value(gram)));
        }
    }

    /// What the index says about `needle` (ASCII-lowercased), or `None` when it cannot help:
    /// the needle is shorter than four bytes or holds a separator, or no row is indexed.
    pub fn lookup(&self, needle: &[u8], universe: usize) -> Option<TextLookup> {
        // Shorter needles may lie in the short tokens, which are not indexed (they would be
        // read from every chunk anyway: a needle under four bytes has no 4-gram to rule one out).
        if self.rows == 0 || needle.len() < GRAM || needle.iter().any(|&b| is_separator(b)) {
            return None;
        }
        let covered = self.rows.min(universe);
        let mut hits = RowSet::empty(universe);
        let finder = Finder::new(needle);
        let mut from = 0;
        while let Some(found) = self.arena.get(from..).and_then(|rest| finder.find(rest)) {
            let at = from + found;
            // The entry holding the match (the separating 0 bytes keep matches inside one).
            let id = self
                .ends
                .partition_point(|&end| (end as usize) < at + needle.len());
            if let Some(&[last, list]) = self.rows_of.get(id) {
                match self.lists.get(list as usize) {
                    Some(postings) => postings.add_to(&mut hits),
                    None => hits.insert(last as usize),
                }
            }
            from = self
                .ends
                .get(id)
                .map_or(self.arena.len(), |&e| e as usize + 1);
        }
        let mut read = RowSet::empty(universe);
        if self.dotted_incomplete || !is_dotted(needle) {
            let bits: Option<Vec<usize>> = (needle.len() >= GRAM).then(|| {
                needle
                    .windows(GRAM)
                    .map(|g| gram_bit(gram_value(g)))
                    .collect()
            });
            for (chunk, set) in self.chunks.iter().enumerate() {
                let may_hold = bits.as_ref().is_none_or(|bits| {
                    bits.iter()
                        .all(|&b| set.get(b / 64).is_some_and(|w| w >> (b % 64) & 1 == 1))
                });
                if may_hold {
                    let first = chunk * CHUNK_ROWS;
                    read.insert_range(first, (first + CHUNK_ROWS).min(covered));
                }
            }
        }
        for &row in &self.changed {
            hits.remove(row as usize);
            read.insert(row as usize);
        }
        Some(TextLookup {
            hits,
            read,
            covered,
        })
    }

    /// Heap bytes (entries, postings, chunk sets, and the promotion counts while indexing).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.ends.capacity() * 4
            + self.rows_of.capacity() * 8
            + self.lists.capacity() * std::mem::size_of::<Postings>()
            + self.lists.iter().map(Postings::heap_bytes).sum::<usize>()
            + self.table.capacity() * 5
            + self.recent.capacity() * 16
            + self.counts.capacity()
            + self.chunks.len() * (CHUNK_WORDS * 8 + 16)
            + self.changed.capacity() * 4
    }

    /// Number of entries.
    pub fn entries(&self) -> usize {
        self.ends.len()
    }
}

fn entry_text<'a>(arena: &'a [u8], ends: &[u32], id: usize) -> &'a [u8] {
    let end = ends.get(id).map_or(0, |&e| e as usize);
    let start = match id.checked_sub(1) {
        Some(previous) => ends.get(previous).map_or(0, |&e| e as usize + 1),
        None => 0,
    };
    arena.get(start..end).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::Store;
    use trailscope_model::{ingest_bytes, Limits};

    /// `rows` events: every one with `AccessDenied`, a unique id, an address from a narrow
    /// range (the shape that fills trigram sets), and every tenth with `rare-needle-N`.
    fn store(rows: usize) -> Store {
        let records: Vec<String> = (0..rows)
            .map(|i| {
                let rare = if i % 10 == 0 {
                    format!(r#","note":"rare-needle-{i}""#)
                } else {
                    String::new()
                };
                format!(
                    r#"{{"eventID":"id-{i:08}","eventTime":"2024-02-29T00:00:{:02}Z","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"10.{}.{}.{}"{rare}}}"#,
                    i % 60,
                    i % 7,
                    i % 13,
                    i % 251
                )
            })
            .collect();
        let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let mut store = Store::new();
        store.load("a.json", |b| {
            ingest_bytes(log.as_bytes(), Limits::default(), b)
        });
        assert_eq!(store.len(), rows);
        store
    }

    #[test]
    fn frequent_terms_and_addresses_need_few_records_read() {
        let mut store = store(2_000);
        assert!(store.text_index().lookup(b"accessdenied", 2_000).is_none());
        assert!(store.records().gram_bytes() > 0);
        assert!(!store.index_text(700));
        while !store.index_text(500) {}
        assert_eq!(store.text_index().rows(), 2_000);
        // Done: the index answers for every block, whose trigram sets are given back.
        assert_eq!(store.records().gram_bytes(), 0);
        let index = store.text_index();

        // In every row: listed from its eighth row on; only the first chunk is read.
        let frequent = index.lookup(b"accessdenied", 2_000).unwrap();
        assert_eq!(frequent.covered, 2_000);
        assert_eq!(frequent.hits.len(), 2_000 - 7);
        assert!(frequent.read.iter().all(|row| row < super::CHUNK_ROWS));

        // A whole address: found in the entries alone, each of its rows and nothing more.
        let ip = |i: u32| format!("10.{}.{}.{}", i % 7, i % 13, i % 251);
        let wanted = ip(1_234);
        let address = index.lookup(wanted.as_bytes(), 2_000).unwrap();
        assert!(address.read.is_empty());
        let expected: Vec<u32> = (0..2_000u32).filter(|&i| ip(i) == wanted).collect();
        assert!(expected.contains(&1_234));
        assert_eq!(address.hits.to_vec(), expected);
        // A piece of addresses (what holds `0.2.12.23`): still from the entries alone.
        let piece = wanted.get(1..wanted.len() - 1).unwrap();
        let found = index.lookup(piece.as_bytes(), 2_000).unwrap();
        assert!(found.read.is_empty());
        let expected: Vec<u32> = (0..2_000u32).filter(|&i| ip(i).contains(piece)).collect();
        assert_eq!(found.hits.to_vec(), expected);

        // A rare token: not listed, and read only where a chunk may hold it.
        let rare = index.lookup(b"rare-needle-1230", 2_000).unwrap();
        assert!(rare.hits.is_empty());
        assert!(rare.read.contains(1_230));
        assert!(
            rare.read.len() < 2_000 / 4,
            "{} rows to read",
            rare.read.len()
        );

        // Text with a separator is left to the records.
        assert!(index.lookup(b"\"getobject\"", 2_000).is_none());
        assert!(index.lookup(b"", 2_000).is_none());
    }

    #[test]
    fn the_index_goes_on_over_rows_loaded_later() {
        let mut store = store(300);
        while !store.index_text(128) {}
        let more = r#"{"Records":[{"eventID":"late-1","eventTime":"2024-03-01T00:00:00Z","eventName":"LateEvent","sourceIPAddress":"192.0.2.200"}]}"#;
        store.load("b.json", |b| {
            ingest_bytes(more.as_bytes(), Limits::default(), b)
        });
        assert_eq!(store.text_index().rows(), 300);
        // The new row is past the index until it is indexed.
        assert!(store.index_text(10));
        let late = store
            .text_index()
            .lookup(b"192.0.2.200", store.len())
            .unwrap();
        assert_eq!(late.hits.to_vec(), [300]);
    }

    /// The rows holding `needle` according to the index: its certain rows, and the rows it
    /// says to read whose record holds the needle.
    fn rows_found(store: &Store, needle: &str) -> Vec<u32> {
        let found = store
            .text_index()
            .lookup(needle.as_bytes(), store.len())
            .unwrap();
        let mut rows = found.hits;
        for row in found.read.iter() {
            let record = store.raw(row).unwrap().to_ascii_lowercase();
            if record.contains(needle) {
                rows.insert(row);
            }
        }
        rows.to_vec()
    }

    #[test]
    fn a_record_replaced_after_it_was_indexed_is_read_again() {
        // The console's CSV gives a row first; the full record (another address, another user)
        // takes its place after the index listed the CSV's address.
        let csv = "Event ID,Event time,Event name,Event source,User name,AWS access key,AWS region,Source IP address,Error code,Read-only,Resources\ne-1,2024-01-01T00:00:00Z,CreateUser,iam.amazonaws.com,carol,,us-east-1,10.0.0.2,,false,\ne-2,2024-01-01T00:00:01Z,CreateUser,iam.amazonaws.com,carol,,us-east-1,10.0.0.3,,false,\n";
        let full = r#"{"eventID":"e-1","eventTime":"2024-01-01T00:00:00Z","eventName":"CreateUser","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.77","userIdentity":{"type":"IAMUser","userName":"dave-from-json"}}"#;
        let mut store = Store::new();
        store.load("history.csv", |b| {
            ingest_bytes(csv.as_bytes(), Limits::default(), b)
        });
        while !store.index_text(100) {}
        assert_eq!(rows_found(&store, "10.0.0.2"), [0]);
        store.load("log.json", |b| {
            ingest_bytes(
                format!(r#"{{"Records":[{full}]}}"#).as_bytes(),
                Limits::default(),
                b,
            )
        });
        assert_eq!(store.len(), 2);
        assert_eq!(store.raw(0).as_deref(), Some(full));
        // Not built again (the trigram sets it gave back stay given back): the row is read.
        assert_eq!(store.text_index().rows(), 2);
        assert!(store.index_text(100));
        assert_eq!(rows_found(&store, "10.0.0.2"), Vec::<u32>::new());
        assert_eq!(rows_found(&store, "10.0.0.3"), [1]);
        assert_eq!(rows_found(&store, "192.0.2.77"), [0]);
        assert_eq!(rows_found(&store, "dave-from-json"), [0]);
    }

    #[test]
    fn distinct_long_dotted_runs_stop_at_the_entry_text_limit() {
        // Every record a different run of digits and dots near the longest an entry may be:
        // entries stop at the limit on their text, the rest go to the chunk sets, and a run
        // past the limit is still found.
        let run = |i: usize| format!("{i:08}.{}", "1.".repeat(120));
        let mut index = super::TextIndex::default();
        index.seed(7);
        let records: Vec<String> = (0..1_000)
            .map(|i| format!(r#"{{"a":"{}"}}"#, run(i)))
            .collect();
        let limit = super::MAX_ARENA_BYTES;
        // As if the arena were nearly full: only a few entries fit.
        index.arena.reserve(limit);
        index.arena.resize(limit - 10 * 250, b'x');
        index.ends.push(u32::try_from(index.arena.len()).unwrap());
        index.arena.push(0);
        index.rows_of.push([0, super::NO_LIST]);
        for (row, record) in records.iter().enumerate() {
            index.index_record(row, record.as_bytes());
        }
        index.rows = records.len();
        assert!(index.arena.len() < limit, "{}", index.arena.len());
        assert!(index.entries() < 20, "{} entries", index.entries());
        for i in [0, 5, 500, 999] {
            let needle = run(i);
            let found = index.lookup(needle.as_bytes(), records.len()).unwrap();
            assert!(
                found.hits.contains(i) || found.read.contains(i),
                "{i} missed"
            );
        }
    }

    #[test]
    fn tokens_made_to_differ_in_the_multiplier_s_top_bits_do_not_collide() {
        // The pairs of byte changes that a rotate-xor-multiply hash carried into a single bit
        // (a crafted file could make thousands of tokens share a hash): all 4,096 variants of
        // a 96-byte token keep distinct hashes, under several seeds.
        let mut base = vec![b'x'; 96];
        for word in 0..6 {
            base[word * 8 + 7] = b'0';
            base[word * 8 + 10] = b'@';
        }
        for seed in [1u64, 2, 0xdead_beef, u64::MAX] {
            let seed = super::HashSeed::from_random(seed);
            let mut hashes: Vec<u64> = (0..1u32 << 12)
                .map(|bits| {
                    let mut token = base.clone();
                    for k in 0..12 {
                        if bits >> k & 1 == 1 {
                            let word = k / 2 * 8;
                            if k % 2 == 0 {
                                token[word + 7] ^= b'0' ^ b'p';
                            } else {
                                token[word + 10] ^= b'@' ^ b'`';
                            }
                        }
                    }
                    super::token_hash(seed, &token)
                })
                .collect();
            hashes.sort_unstable();
            hashes.dedup();
            assert_eq!(hashes.len(), 1 << 12);
        }
    }
}
