//! First-sighting rules: matching events whose value their history never had.

use hashbrown::{HashMap, HashSet};

/// One matching event as a first-sighting rule sees it.
pub(crate) struct Sighting {
    /// The `per` value: whose history the event belongs to.
    pub(crate) per: Option<String>,
    /// The tracked value (`None`: the event lacks the field).
    pub(crate) value: Option<String>,
    pub(crate) millis: i64,
    pub(crate) row: u32,
}

/// The rows, in row order, whose value is new to their history: taken in time order, each
/// history's first value is its baseline, and every later event bringing a value the history
/// has not had yet fires. Events without a value neither fire nor start a history.
pub(crate) fn first_sightings(mut events: Vec<Sighting>) -> Vec<u32> {
    events.sort_unstable_by_key(|e| (e.millis, e.row));
    let mut histories: HashMap<Option<String>, HashSet<String>> = HashMap::new();
    let mut fired = Vec::new();
    for event in events {
        let Some(value) = event.value else {
            continue;
        };
        let history = histories.entry(event.per).or_default();
        let baseline = history.is_empty();
        if history.insert(value) && !baseline {
            fired.push(event.row);
        }
    }
    fired.sort_unstable();
    fired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(per: &str, value: Option<&str>, second: i64, row: u32) -> Sighting {
        Sighting {
            per: Some(per.into()),
            value: value.map(str::to_string),
            millis: second * 1000,
            row,
        }
    }

    #[test]
    fn fires_on_values_new_to_each_history_in_time_order() {
        let events = vec![
            // alice: baseline 1.1.1.1, then 2.2.2.2 is new, then both are known.
            seen("alice", Some("2.2.2.2"), 20, 0),
            seen("alice", Some("1.1.1.1"), 10, 1),
            seen("alice", Some("1.1.1.1"), 30, 2),
            seen("alice", Some("2.2.2.2"), 40, 3),
            // bob: 2.2.2.2 is his baseline (alice's history is not his); no value never fires.
            seen("bob", Some("2.2.2.2"), 50, 4),
            seen("bob", None, 60, 5),
            seen("bob", Some("3.3.3.3"), 70, 6),
        ];
        assert_eq!(first_sightings(events), vec![0, 6]);
    }

    #[test]
    fn a_single_history_of_one_value_never_fires() {
        let events = (0..5).map(|i| seen("x", Some("v"), i, i as u32)).collect();
        assert!(first_sightings(events).is_empty());
    }
}
