//! Row bounds of the column phase: the store's [`RowSet`] bitmaps, with "nobody" and "everybody"
//! kept symbolic so that conditions on JSON paths (unknown until parsed) cost nothing there.

use trailscope_store::RowSet;

/// A set of store rows, symbolic when it is none or all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// No row.
    Empty,
    /// Every row.
    Full,
    /// These rows.
    Rows(RowSet),
}

impl Bound {
    /// Rows `r` of `0..rows` with `f(r)`.
    pub(crate) fn from_fn(rows: usize, f: impl FnMut(usize) -> bool) -> Bound {
        Bound::Rows(RowSet::from_fn(rows, f))
    }

    /// Rows whose code in `codes` is marked in `table` (codes past the table are unmarked).
    pub(crate) fn from_codes(codes: &[u32], table: &[bool]) -> Bound {
        if table.iter().all(|&t| !t) {
            return Bound::Empty;
        }
        Bound::Rows(RowSet::from_codes(codes, table))
    }

    pub(crate) fn and(self, other: &Bound) -> Bound {
        match (self, other) {
            (Bound::Empty, _) | (_, Bound::Empty) => Bound::Empty,
            (a, Bound::Full) => a,
            (Bound::Full, b) => b.clone(),
            (Bound::Rows(mut a), Bound::Rows(b)) => {
                a.and(b);
                Bound::Rows(a)
            }
        }
    }

    pub(crate) fn or(self, other: &Bound) -> Bound {
        match (self, other) {
            (Bound::Full, _) | (_, Bound::Full) => Bound::Full,
            (a, Bound::Empty) => a,
            (Bound::Empty, b) => b.clone(),
            (Bound::Rows(mut a), Bound::Rows(b)) => {
                a.or(b);
                Bound::Rows(a)
            }
        }
    }

    pub(crate) fn not(self) -> Bound {
        match self {
            Bound::Empty => Bound::Full,
            Bound::Full => Bound::Empty,
            Bound::Rows(a) => Bound::Rows(a.complement()),
        }
    }

    /// `self` without the rows of `other`.
    pub(crate) fn minus(self, other: &Bound) -> Bound {
        self.and(&other.clone().not())
    }

    pub(crate) fn contains(&self, row: usize) -> bool {
        match self {
            Bound::Empty => false,
            Bound::Full => true,
            Bound::Rows(a) => a.contains(row),
        }
    }

    /// The rows in increasing order (`rows`: the store's row count, for [`Bound::Full`]).
    pub(crate) fn rows(&self, rows: usize) -> Vec<u32> {
        match self {
            Bound::Empty => Vec::new(),
            Bound::Full => (0..rows as u32).collect(),
            Bound::Rows(a) => a.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra_matches_plain_booleans() {
        let n = 200;
        let a = Bound::from_fn(n, |r| r % 3 == 0);
        let b = Bound::from_codes(&(0..n as u32).map(|r| r % 5).collect::<Vec<_>>(), &[true]);
        for r in 0..n {
            let (x, y) = (r % 3 == 0, r % 5 == 0);
            assert_eq!(a.clone().and(&b).contains(r), x && y);
            assert_eq!(a.clone().or(&b).contains(r), x || y);
            assert_eq!(a.clone().not().contains(r), !x);
            assert_eq!(a.clone().minus(&b).contains(r), x && !y);
        }
        assert!(!a.clone().not().contains(n + 3));
        assert_eq!(a.clone().not().rows(n).len(), n - a.rows(n).len());
        assert_eq!(Bound::Full.and(&a), a);
        assert_eq!(
            Bound::from_codes(&[1, 2], &[false, false, false]),
            Bound::Empty
        );
        assert!(Bound::from_codes(&[1, 2], &[true, false, false])
            .rows(2)
            .is_empty());
    }
}
