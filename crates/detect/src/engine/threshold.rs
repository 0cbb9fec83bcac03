//! Counting rules: at least N matches within a sliding time window, per group.

use hashbrown::HashMap;

use crate::rule::Threshold;

/// A burst that reached a counting rule's threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdHit {
    /// The `group_by` value (`None`: the rule has no `group_by`, or the events lack the field).
    pub group: Option<String>,
    /// First event time of the burst (unix millis).
    pub start_millis: i64,
    /// Last event time of the burst (unix millis).
    pub end_millis: i64,
    /// The burst's events (store rows, in time order).
    pub rows: Vec<u32>,
}

/// One matching event as counting sees it.
pub(crate) struct Counted {
    pub(crate) group: Option<String>,
    pub(crate) millis: i64,
    pub(crate) row: u32,
}

/// The bursts among `events`: maximal runs of one group's events in which every event lies in
/// some window of `window_seconds` holding at least `count` events.
pub(crate) fn bursts(threshold: &Threshold, events: Vec<Counted>) -> Vec<ThresholdHit> {
    let mut groups: HashMap<Option<String>, Vec<(i64, u32)>> = HashMap::new();
    for e in events {
        groups.entry(e.group).or_default().push((e.millis, e.row));
    }
    let mut keys: Vec<Option<String>> = groups.keys().cloned().collect();
    keys.sort();
    let window = i64::from(threshold.window_seconds) * 1000;
    let need = threshold.count.max(1) as usize;
    let mut hits = Vec::new();
    for key in keys {
        let Some(mut events) = groups.remove(&key) else {
            continue;
        };
        events.sort_unstable();
        // Mark every event inside a window [events[i], events[i] + window] holding `need`.
        let mut marked = vec![false; events.len()];
        let mut end = 0;
        for start in 0..events.len() {
            let t0 = events.get(start).map_or(0, |e| e.0);
            end = end.max(start);
            while events.get(end + 1).is_some_and(|e| e.0 - t0 <= window) {
                end += 1;
            }
            if end + 1 - start >= need {
                marked
                    .get_mut(start..=end)
                    .into_iter()
                    .flatten()
                    .for_each(|m| *m = true);
            }
        }
        let mut run: Vec<(i64, u32)> = Vec::new();
        for (event, mark) in events
            .iter()
            .zip(&marked)
            .chain(std::iter::once((&(0, 0), &false)))
        {
            if *mark {
                run.push(*event);
            } else if let (Some(first), Some(last)) = (run.first(), run.last()) {
                hits.push(ThresholdHit {
                    group: key.clone(),
                    start_millis: first.0,
                    end_millis: last.0,
                    rows: run.iter().map(|e| e.1).collect(),
                });
                run.clear();
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(group: &str, seconds: &[i64]) -> Vec<Counted> {
        seconds
            .iter()
            .enumerate()
            .map(|(i, s)| Counted {
                group: Some(group.into()),
                millis: s * 1000,
                row: i as u32,
            })
            .collect()
    }

    #[test]
    fn counts_within_the_window_per_group() {
        let t = Threshold {
            count: 3,
            window_seconds: 60,
            group_by: Some("sourceIPAddress".into()),
        };
        // a: 3 within 60 s (0, 30, 60), then a lone one at 500; b: 3 spread over 2 minutes.
        let mut events = at("a", &[0, 30, 60, 500]);
        events.extend(at("b", &[0, 61, 122]));
        let hits = bursts(&t, events);
        assert_eq!(hits.len(), 1);
        let hit = hits.first().cloned();
        assert_eq!(hit.as_ref().and_then(|h| h.group.clone()), Some("a".into()));
        assert_eq!(
            hit.map(|h| (h.start_millis, h.end_millis, h.rows)),
            Some((0, 60_000, vec![0, 1, 2]))
        );
    }

    #[test]
    fn overlapping_windows_merge_into_one_burst() {
        let t = Threshold {
            count: 2,
            window_seconds: 10,
            group_by: None,
        };
        let hits = bursts(&t, at("x", &[0, 5, 12, 19, 100, 200, 205]));
        let spans: Vec<(i64, i64, usize)> = hits
            .iter()
            .map(|h| (h.start_millis / 1000, h.end_millis / 1000, h.rows.len()))
            .collect();
        assert_eq!(spans, vec![(0, 19, 4), (200, 205, 2)]);
    }
}
