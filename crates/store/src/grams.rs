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

/// The trigram set of `text` given its LZ4 block `lz4` (the standard block format, without a
/// size prefix): the same set as [`gram_set`], at about a quarter of the cost. A trigram that
/// lies wholly inside a match is a copy of the trigram `offset` bytes earlier in the block, so
/// it is already in the set; only the literals and the bytes around each match's ends are
/// hashed. Written by hand because no LZ4 crate hands out its sequences; a block that does not
/// read back to `text`'s length is hashed whole instead.
pub fn gram_set_of_lz4(text: &[u8], lz4: &[u8]) -> GramSet {
    let mut bits = Box::new([0u64; GRAM_WORDS]);
    if text.len() < 3 {
        return bits;
    }
    if !add_outside_matches(&mut bits, text, lz4) {
        return gram_set(text);
    }
    bits
}

/// Adds the trigrams of `text` that do not lie wholly inside one of `lz4`'s matches; `false` if
/// the block does not read as LZ4 of a text of this length.
fn add_outside_matches(bits: &mut [u64; GRAM_WORDS], text: &[u8], lz4: &[u8]) -> bool {
    /// An LZ4 length: the token's 4 bits, then bytes added while they are 255.
    fn length(nibble: u8, lz4: &[u8], at: &mut usize) -> Option<usize> {
        let mut length = usize::from(nibble);
        if nibble == 15 {
            loop {
                let byte = *lz4.get(*at)?;
                *at += 1;
                length += usize::from(byte);
                if byte != 255 {
                    break;
                }
            }
        }
        Some(length)
    }
    // Trigram starts run from 0 to `last` (exclusive); `next` is the first not yet hashed.
    let last = text.len() - 2;
    let (mut at, mut position, mut next) = (0usize, 0usize, 0usize);
    loop {
        let Some(&token) = lz4.get(at) else {
            return false;
        };
        at += 1;
        let Some(literals) = length(token >> 4, lz4, &mut at) else {
            return false;
        };
        at += literals;
        position += literals;
        if at >= lz4.len() {
            break; // the last sequence has literals only
        }
        at += 2; // the match's offset
        let Some(matched) = length(token & 15, lz4, &mut at) else {
            return false;
        };
        let matched = matched + 4;
        // Starts `position ..= position + matched - 3` are inside the match.
        add_starts(bits, text, next.min(last), position.min(last));
        next = next.max(position + matched - 2);
        position += matched;
    }
    if position != text.len() {
        return false;
    }
    add_starts(bits, text, next.min(last), last);
    true
}

/// Adds the trigrams starting at `from..to` (`to` at most `text.len() - 2`).
fn add_starts(bits: &mut [u64; GRAM_WORDS], text: &[u8], from: usize, to: usize) {
    let (Some(window), Some(rest)) = (text.get(from..from + 2), text.get(from + 2..to + 2)) else {
        return;
    };
    let mut window = window.iter().fold(0u32, |acc, &b| {
        (acc << 8) | u32::from(b.to_ascii_lowercase())
    });
    for &b in rest {
        window = ((window << 8) | u32::from(b.to_ascii_lowercase())) & 0x00FF_FFFF;
        let s = slot(window);
        // `slot` is below GRAM_BITS, so the index is in range (and the check compiles away).
        if let Some(word) = bits.get_mut(s >> 6) {
            *word |= 1 << (s & 63);
        }
    }
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

    /// Text with the repetition LZ4 finds: fragments of a small vocabulary, some case-flipped.
    fn repetitive() -> impl Strategy<Value = Vec<u8>> {
        let fragments = prop_oneof![
            Just(&br#"{"eventName":"GetObject","#[..]),
            Just(&br#""sourceIPAddress":"203.0.113.7","#[..]),
            Just(&b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"[..]),
            Just(&b"AbC"[..]),
            Just(&b"\xff\x00\x01"[..]),
        ];
        proptest::collection::vec(
            prop_oneof![
                fragments.prop_map(<[u8]>::to_vec),
                proptest::collection::vec(any::<u8>(), 0..20)
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    #[test]
    fn the_set_from_lz4_is_the_set_and_a_block_that_does_not_fit_is_hashed_whole() {
        let text = br#"{"a":"GetObject","b":"GetObject","c":"GetObject"}"#.repeat(50);
        let lz4 = lz4_flex::block::compress(&text);
        assert!(lz4.len() < text.len() / 4, "the text has matches to skip");
        assert_eq!(gram_set_of_lz4(&text, &lz4), gram_set(&text));
        assert_eq!(
            gram_set_of_lz4(&text, &lz4[..lz4.len() / 2]),
            gram_set(&text)
        );
        assert_eq!(gram_set_of_lz4(&text, b""), gram_set(&text));
        assert_eq!(gram_set_of_lz4(b"ab", b""), gram_set(b"ab"));
    }

    proptest! {
        /// The set taken around LZ4's matches is exactly the set of every trigram.
        #[test]
        fn the_set_from_lz4_equals_the_full_set(text in repetitive()) {
            let lz4 = lz4_flex::block::compress(&text);
            prop_assert_eq!(gram_set_of_lz4(&text, &lz4), gram_set(&text));
        }


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
