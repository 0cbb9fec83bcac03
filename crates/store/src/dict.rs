//! Dictionary-encoded string columns: each distinct value is stored once, rows hold a `u32` code.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The code of an absent value.
pub const ABSENT: u32 = 0;

/// A string column. Code 0 means absent; codes 1.. index the distinct values in first-seen order.
#[derive(Default)]
pub struct DictColumn {
    values: Vec<Box<str>>,
    /// Maps a value's hash to its code; the value itself lives only in `values`.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    codes: Vec<u32>,
}

impl std::fmt::Debug for DictColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DictColumn")
            .field("rows", &self.codes.len())
            .field("distinct", &self.values.len())
            .finish()
    }
}

/// The hash of the value a code stands for, as the index rehashes its entries when it grows.
fn hash_of_code<'a>(
    values: &'a [Box<str>],
    hasher: &'a DefaultHashBuilder,
) -> impl Fn(&u32) -> u64 + 'a {
    move |&code| {
        values
            .get(code as usize - 1)
            .map_or(0, |v| hasher.hash_one(&**v))
    }
}

impl DictColumn {
    /// The code for `value`, adding it to the dictionary if new.
    pub fn intern(&mut self, value: &str) -> u32 {
        let hash = self.hasher.hash_one(value);
        let values = &self.values;
        if let Some(&code) = self.index.find(hash, |&code| {
            values.get(code as usize - 1).is_some_and(|v| &**v == value)
        }) {
            return code;
        }
        self.values.push(value.into());
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.index
            .insert_unique(hash, code, hash_of_code(&self.values, &self.hasher));
        code
    }

    /// The code of `value`, if the dictionary holds it.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(value);
        self.index
            .find(hash, |&code| {
                self.values
                    .get(code as usize - 1)
                    .is_some_and(|v| &**v == value)
            })
            .copied()
    }

    /// Appends a row holding `value`.
    pub fn push(&mut self, value: Option<&str>) {
        let code = match value {
            Some(v) if !v.is_empty() => self.intern(v),
            _ => ABSENT,
        };
        self.codes.push(code);
    }

    /// Makes room for `rows` more rows and `values` more distinct values, if memory allows
    /// ([`crate::Store::reserve`]).
    pub(crate) fn reserve(&mut self, rows: usize, values: usize) {
        let _ = self.codes.try_reserve_exact(rows);
        let _ = self.values.try_reserve_exact(values);
        let _ = self
            .index
            .try_reserve(values, hash_of_code(&self.values, &self.hasher));
    }

    /// Appends a row by code (which must come from [`DictColumn::intern`]).
    pub(crate) fn push_code(&mut self, code: u32) {
        self.codes.push(code);
    }

    /// Keeps the first `rows` rows (a failed file's rows are removed).
    pub(crate) fn truncate(&mut self, rows: usize) {
        self.codes.truncate(rows);
    }

    /// Sets the code of an existing row (which must come from [`DictColumn::intern`]).
    pub(crate) fn set_code(&mut self, row: usize, code: u32) {
        if let Some(slot) = self.codes.get_mut(row) {
            *slot = code;
        }
    }

    /// Hands over the distinct values and the row codes; the column starts over.
    pub(crate) fn take_parts(&mut self) -> (Vec<Box<str>>, Vec<u32>) {
        self.index.clear();
        (
            std::mem::take(&mut self.values),
            std::mem::take(&mut self.codes),
        )
    }

    /// The value at `row`.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)?;
        self.value(code)
    }

    /// The value with `code`.
    pub fn value(&self, code: u32) -> Option<&str> {
        if code == ABSENT {
            return None;
        }
        self.values.get(code as usize - 1).map(|v| &**v)
    }

    /// The code at `row` (0 when absent or out of range).
    pub fn code(&self, row: usize) -> u32 {
        self.codes.get(row).copied().unwrap_or(ABSENT)
    }

    /// All row codes.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Number of distinct values ever seen.
    pub fn distinct(&self) -> usize {
        self.values.len()
    }

    /// Approximate heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() * 4
            + self.values.capacity() * std::mem::size_of::<Box<str>>()
            + self.values.iter().map(|v| v.len()).sum::<usize>()
            + self.index.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_values_once() {
        let mut col = DictColumn::default();
        for v in [Some("a"), Some("b"), None, Some("a"), Some("")] {
            col.push(v);
        }
        assert_eq!(col.codes(), &[1, 2, 0, 1, 0]);
        assert_eq!(col.get(3), Some("a"));
        assert_eq!(col.get(2), None);
        assert_eq!(col.intern("b"), 2);
        assert_eq!(col.intern("c"), 3);
        assert_eq!(col.distinct(), 3);
    }

    #[test]
    fn many_values_keep_their_codes() {
        let mut col = DictColumn::default();
        for i in 0..10_000 {
            col.push(Some(&format!("v{}", i % 3000)));
        }
        for i in 0..10_000 {
            assert_eq!(col.get(i), Some(format!("v{}", i % 3000).as_str()));
        }
        assert_eq!(col.distinct(), 3000);
        for i in 0..3000 {
            assert_eq!(col.code_of(&format!("v{i}")), Some(i + 1));
        }
        assert_eq!(col.code_of("v3000"), None);
        assert_eq!(col.code_of(""), None);
    }
}
