//! Unique strings (event IDs) stored back to back: no dictionary, since no two rows share one.

/// Append-only strings addressed by row.
#[derive(Default, Debug)]
pub struct StrArena {
    bytes: Vec<u8>,
    /// Per row: end offset in `bytes`; an empty string means absent.
    ends: Vec<u32>,
}

impl StrArena {
    /// Appends a row.
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(v) = value {
            self.bytes.extend_from_slice(v.as_bytes());
        }
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
    }

    /// The value at `row`, if present and not empty.
    pub fn get(&self, row: usize) -> Option<&str> {
        let end = *self.ends.get(row)? as usize;
        let start = match row.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        let bytes = self.bytes.get(start..end)?;
        // Only whole `&str`s are pushed, so this never fails.
        std::str::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    }

    /// Drops rows from `row` on.
    pub fn truncate(&mut self, row: usize) {
        if row >= self.ends.len() {
            return;
        }
        let keep = match row.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.bytes.truncate(keep);
        self.ends.truncate(row);
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
    fn pushes_gets_and_truncates() {
        let mut a = StrArena::default();
        a.push(Some("abc"));
        a.push(None);
        a.push(Some("de"));
        assert_eq!(
            (a.get(0), a.get(1), a.get(2), a.get(3)),
            (Some("abc"), None, Some("de"), None)
        );
        a.truncate(1);
        a.push(Some("xy"));
        assert_eq!((a.get(0), a.get(1)), (Some("abc"), Some("xy")));
    }
}
