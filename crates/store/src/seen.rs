//! Events met across several stores: a run that reads a trail larger than memory a part at a
//! time (`trailscope export`) loads each part into its own [`Store`], and an event delivered in
//! two parts must still come out once, as it would from one store.

use hashbrown::HashSet;

use crate::store::Store;

/// The dedupe keys of every event of the stores seen so far: 16 bytes per event plus the
/// table's slack (about 30 bytes per event), far less than a store's 200-plus.
#[derive(Debug, Default)]
pub struct EventsSeen {
    keys: HashSet<u128>,
}

impl EventsSeen {
    /// No event seen yet.
    pub fn new() -> Self {
        EventsSeen::default()
    }

    /// Records every event of `store` as seen; returns, by row, whether the event is new, so
    /// no earlier store held it. All rows count, not only those a caller goes on to use: the
    /// first copy of an event is the one a single store would have kept, so a later copy that
    /// differs must not stand in for it.
    pub fn first_sightings(&mut self, store: &Store) -> Vec<bool> {
        let mut new = vec![false; store.len()];
        self.keys.reserve(store.len());
        for (&key, &row) in store.seen_keys() {
            if let Some(slot) = new.get_mut(row as usize) {
                *slot = self.keys.insert(key);
            }
        }
        new
    }

    /// Events seen.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no event was seen.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * (std::mem::size_of::<u128>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use trailscope_model::{ingest_bytes, Limits};

    use super::*;

    fn store_of(records: &[&str]) -> Store {
        let log = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let mut store = Store::new();
        store.load("part.json", |batch| {
            ingest_bytes(log.as_bytes(), Limits::default(), batch)
        });
        store
    }

    const A: &str = r#"{"eventID":"a","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z","eventSource":"iam.amazonaws.com"}"#;
    const B: &str = r#"{"eventID":"b","eventName":"CreateUser","eventTime":"2024-02-28T21:47:13Z","eventSource":"iam.amazonaws.com"}"#;
    const A_CHANGED: &str = r#"{"eventID":"a","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z","eventSource":"iam.amazonaws.com","sourceIPAddress":"203.0.113.9"}"#;

    #[test]
    fn an_event_of_an_earlier_store_is_not_new_even_when_its_copy_differs() {
        let mut seen = EventsSeen::new();
        assert_eq!(seen.first_sightings(&store_of(&[A])), vec![true]);
        let second = store_of(&[B, A_CHANGED]);
        assert_eq!(second.event_id(1), Some("a"));
        assert_eq!(seen.first_sightings(&second), vec![true, false]);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen.first_sightings(&store_of(&[B, A])), vec![false, false]);
    }
}
