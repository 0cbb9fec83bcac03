//! Which byte trigrams a block of records holds: a small bit set per record block, so free
//! text rules out most blocks without decompressing them.
//!
//! Free text is a case-insensitive substring of a record's bytes (`trailscope_query`'s `Text`
//! terms). Every trigram of a needle is in any block that holds the needle, so a block whose set
//! lacks one of them cannot match: the set gives false positives (blocks read for nothing), never
//! false negatives. Trigrams are hashed into [`GRAM_BITS`] bits, written by hand because it is
//! the whole of the index: one multiply and one bit per byte of text while a block is sealed.

/// Bits per block (a 128 KiB block of records holds a few thousand to twenty thousand distinct
/// trigrams; at 32,768 bits a ten-byte needle rules out all but about one block in a thousand
/// that lacks it). 4 KiB per block: about 40 bytes per event.
pub const GRAM_BITS: usize = 1 << 15;
const SHIFT: u32 = 32 - 15;
/// Words of a block's set.
pub const GRAM_WORDS: usize = GRAM_BITS / 64;

/// A block's trigram set.
pub type GramSet = Box<[u64]>;

#[inline]
fn slot(window: u32) -> usize {
    // Fibonacci hashing of the 24-bit trigram onto 15 bits.
    (window.wrapping_mul(0x9E37_79B1) >> SHIFT) as usize
}

/// The trigram set of `text` (ASCII case folded, as free text compares).
pub fn gram_set(text: &[u8]) -> GramSet {
    let mut bits = vec![0u64; GRAM_WORDS].into_boxed_slice();
    let mut window = 0u32;
    for (i, &b) in text.iter().enumerate() {
        window = ((window << 8) | u32::from(b.to_ascii_lowercase())) & 0x00FF_FFFF;
        if i >= 2 {
            let s = slot(window);
            if let Some(word) = bits.get_mut(s / 64) {
                *word |= 1 << (s % 64);
            }
        }
    }
    bits
}

/// The slots a needle's trigrams fall in; `None` when it has fewer than three bytes (then every
/// block may hold it).
pub fn needle_slots(needle: &[u8]) -> Option<Vec<usize>> {
    if needle.len() < 3 {
        return None;
    }
    let mut slots: Vec<usize> = needle
        .windows(3)
        .map(|w| {
            let window = w.iter().fold(0u32, |acc, &b| {
                (acc << 8) | u32::from(b.to_ascii_lowercase())
            });
            slot(window)
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    Some(slots)
}

/// Whether a block with set `set` may hold a needle with trigram slots `slots`. A set of the
/// wrong size (never built) says yes: it rules nothing out.
pub fn may_hold(set: &[u64], slots: &[usize]) -> bool {
    if set.len() != GRAM_WORDS {
        return true;
    }
    slots
        .iter()
        .all(|&s| set.get(s / 64).is_some_and(|w| w & (1 << (s % 64)) != 0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_block_holding_the_needle_always_passes_and_most_others_do_not() {
        let text =
            br#"{"eventName":"GetObject","sourceIPAddress":"203.0.113.7","userAgent":"Boto3"}"#;
        let set = gram_set(text);
        for needle in ["getobject", "GETOBJECT", "203.0.113.7", "Boto3\"}", "\"ev"] {
            assert!(
                may_hold(&set, &needle_slots(needle.as_bytes()).unwrap()),
                "{needle}"
            );
        }
        assert!(!may_hold(&set, &needle_slots(b"198.51.100.99").unwrap()));
        assert!(!may_hold(&set, &needle_slots(b"AKIAEXAMPLEKEY").unwrap()));
        assert_eq!(needle_slots(b"ab"), None);
        assert!(may_hold(&[], &[1, 2, 3]), "no set rules nothing out");
    }

    proptest! {
        /// No false negatives: whatever the text and wherever the needle is cut from it.
        #[test]
        fn every_substring_passes(text in proptest::collection::vec(any::<u8>(), 3..400), start in 0usize..400, len in 3usize..40) {
            let start = start % (text.len() - 2);
            let end = (start + len).min(text.len());
            prop_assume!(end - start >= 3);
            let set = gram_set(&text);
            let mut needle = text[start..end].to_vec();
            needle.make_ascii_uppercase();
            prop_assert!(may_hold(&set, &needle_slots(&needle).unwrap()));
        }
    }
}
