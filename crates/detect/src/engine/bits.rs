//! Row sets as bitsets, with "nobody" and "everybody" kept symbolic so that conditions on JSON
//! paths (unknown until parsed) cost nothing in the column phase.

/// A set of store rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RowSet {
    /// No row.
    Empty,
    /// Every row.
    Full,
    /// The rows whose bits are set (bits past the row count are always clear).
    Bits(Vec<u64>),
}

fn words(rows: usize) -> usize {
    rows.div_ceil(64)
}

/// Clears the bits past `rows` in the last word.
fn trim(words: &mut [u64], rows: usize) {
    if !rows.is_multiple_of(64) {
        if let Some(last) = words.last_mut() {
            *last &= (1u64 << (rows % 64)) - 1;
        }
    }
}

impl RowSet {
    /// Rows `r` of `0..rows` with `f(r)`.
    pub(crate) fn from_fn(rows: usize, mut f: impl FnMut(usize) -> bool) -> RowSet {
        let mut out = vec![0u64; words(rows)];
        for (w, word) in out.iter_mut().enumerate() {
            let base = w * 64;
            let end = (base + 64).min(rows);
            let mut bits = 0u64;
            for r in base..end {
                bits |= u64::from(f(r)) << (r - base);
            }
            *word = bits;
        }
        RowSet::Bits(out)
    }

    /// Rows whose code in `codes` is marked in `table` (codes past the table are unmarked).
    pub(crate) fn from_codes(codes: &[u32], table: &[bool]) -> RowSet {
        if table.iter().all(|&t| !t) {
            return RowSet::Empty;
        }
        let mut out = Vec::with_capacity(words(codes.len()));
        for chunk in codes.chunks(64) {
            let mut bits = 0u64;
            for (i, &code) in chunk.iter().enumerate() {
                bits |= u64::from(table.get(code as usize).copied().unwrap_or(false)) << i;
            }
            out.push(bits);
        }
        RowSet::Bits(out)
    }

    pub(crate) fn and(self, other: &RowSet) -> RowSet {
        match (self, other) {
            (RowSet::Empty, _) | (_, RowSet::Empty) => RowSet::Empty,
            (a, RowSet::Full) => a,
            (RowSet::Full, b) => b.clone(),
            (RowSet::Bits(mut a), RowSet::Bits(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x &= y);
                RowSet::Bits(a)
            }
        }
    }

    pub(crate) fn or(self, other: &RowSet) -> RowSet {
        match (self, other) {
            (RowSet::Full, _) | (_, RowSet::Full) => RowSet::Full,
            (a, RowSet::Empty) => a,
            (RowSet::Empty, b) => b.clone(),
            (RowSet::Bits(mut a), RowSet::Bits(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x |= y);
                RowSet::Bits(a)
            }
        }
    }

    pub(crate) fn not(self, rows: usize) -> RowSet {
        match self {
            RowSet::Empty => RowSet::Full,
            RowSet::Full => RowSet::Empty,
            RowSet::Bits(mut a) => {
                a.iter_mut().for_each(|x| *x = !*x);
                trim(&mut a, rows);
                RowSet::Bits(a)
            }
        }
    }

    /// `self` without the rows of `other`.
    pub(crate) fn minus(self, other: &RowSet, rows: usize) -> RowSet {
        self.and(&other.clone().not(rows))
    }

    pub(crate) fn contains(&self, row: usize) -> bool {
        match self {
            RowSet::Empty => false,
            RowSet::Full => true,
            RowSet::Bits(a) => a.get(row / 64).is_some_and(|w| w >> (row % 64) & 1 == 1),
        }
    }

    /// The rows in increasing order.
    pub(crate) fn rows(&self, rows: usize) -> Vec<u32> {
        match self {
            RowSet::Empty => Vec::new(),
            RowSet::Full => (0..rows as u32).collect(),
            RowSet::Bits(a) => {
                let mut out = Vec::new();
                for (w, &word) in a.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        let bit = bits.trailing_zeros() as usize;
                        out.push((w * 64 + bit) as u32);
                        bits &= bits - 1;
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra_matches_plain_booleans() {
        let n = 200;
        let a = RowSet::from_fn(n, |r| r % 3 == 0);
        let b = RowSet::from_codes(&(0..n as u32).map(|r| r % 5).collect::<Vec<_>>(), &[true]);
        for r in 0..n {
            let (x, y) = (r % 3 == 0, r % 5 == 0);
            assert_eq!(a.clone().and(&b).contains(r), x && y);
            assert_eq!(a.clone().or(&b).contains(r), x || y);
            assert_eq!(a.clone().not(n).contains(r), !x);
            assert_eq!(a.clone().minus(&b, n).contains(r), x && !y);
        }
        assert!(!a.clone().not(n).contains(n + 3));
        assert_eq!(a.clone().not(n).rows(n).len(), n - a.rows(n).len());
        assert_eq!(RowSet::Full.and(&a), a);
        assert_eq!(
            RowSet::from_codes(&[1, 2], &[false, false, false]),
            RowSet::Empty
        );
        assert!(RowSet::from_codes(&[1, 2], &[true, false, false])
            .rows(2)
            .is_empty());
    }
}
