//! Unique strings (event IDs) stored back to back: no dictionary, since no two rows share one.

/// Append-only strings addressed by row.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct StrArena {
    pub(crate) bytes: Vec<u8>,
    /// Per row: end offset in `bytes`; an empty string means absent.
    pub(crate) ends: Vec<u32>,
}

impl StrArena {
    /// Rebuilds an arena from its parts, checking that the offsets fit and cut only at
    /// character boundaries.
    pub(crate) fn from_parts(bytes: Vec<u8>, ends: Vec<u32>) -> Option<Self> {
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut last = 0u32;
        for &end in &ends {
            if end < last || end as usize > bytes.len() || !text.is_char_boundary(end as usize) {
                return None;
            }
            last = end;
        }
        Some(StrArena { bytes, ends })
    }

    /// Appends a row.
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(v) = value {
            self.bytes.extend_from_slice(v.as_bytes());
        }
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
    }

    /// Keeps the first `rows` rows.
    pub(crate) fn truncate(&mut self, rows: usize) {
        self.ends.truncate(rows);
        let end = self.ends.last().copied().unwrap_or(0) as usize;
        self.bytes.truncate(end);
    }

    /// The value at `row`, if present and not empty.
    pub fn get(&self, row: usize) -> Option<&str> {
        let end = *self.ends.get(row)? as usize;
        let start = match row.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        let bytes = self.bytes.get(start..end)?;
        // Only whole `&str`s are pushed (or checked by `from_parts`), so this never fails.
        std::str::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    }

    /// Heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_gets() {
        let mut a = StrArena::default();
        a.push(Some("abc"));
        a.push(None);
        a.push(Some("de"));
        assert_eq!(
            (a.get(0), a.get(1), a.get(2), a.get(3)),
            (Some("abc"), None, Some("de"), None)
        );
        assert!(StrArena::from_parts(b"abc".to_vec(), vec![2, 1]).is_none());
        assert!(StrArena::from_parts("é".as_bytes().to_vec(), vec![1]).is_none());
    }
}
