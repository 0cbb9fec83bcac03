//! Facets: the most common values of each field, and the split of each yes/no property, under
//! the current filter.
//!
//! Each facet is counted under the filter *without its own terms*, as value pickers work: with
//! `eventName:CreateUser` in the filter, the `eventName` facet still lists every event name (of
//! the events the other terms select), so a second name can be picked, while every other facet
//! counts only `CreateUser` events.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Integrity, Store, Tri, ABSENT};

use crate::eval::Groups;
use crate::filter::{Pattern, Term, Test, Value};
use crate::key::Key;
use trailscope_store::RowSet;

/// One value of a facet and how many selected events have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    /// The value as shown.
    pub value: String,
    /// Events with it.
    pub count: u64,
    /// The filter term that selects it, ready to add to the expression.
    pub term: String,
}

/// The values of one field under the filter without that field's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// The field's name in the filter language (`eventName`, `readOnly`, `error`, ...).
    pub field: String,
    /// The most common values, most common first (ties by value).
    pub values: Vec<FacetValue>,
    /// Events with a value not listed.
    pub other: u64,
    /// Events without a value.
    pub absent: u64,
    /// Whether the filter has terms on this field (so the counts ignore them).
    pub filtered: bool,
}

/// Rows to count: all of them (the common unfiltered case, a straight pass over a column), or
/// a list.
enum Rows {
    All,
    List(Vec<u32>),
}

impl Rows {
    fn of(set: &RowSet) -> Rows {
        if set.is_full() {
            Rows::All
        } else {
            Rows::List(set.to_vec())
        }
    }

    fn for_each(&self, universe: usize, mut f: impl FnMut(usize)) {
        match self {
            Rows::All => (0..universe).for_each(f),
            Rows::List(rows) => rows.iter().for_each(|&r| f(r as usize)),
        }
    }
}

/// Every facet: one per string column (top `limit` values), then `readOnly`, `mfa`, `error` and
/// `integrity`.
pub(crate) fn facets(
    store: &Store,
    groups: &Groups,
    selection: &RowSet,
    limit: usize,
) -> Vec<Facet> {
    let universe = store.len();
    let shared = Rows::of(selection);
    let mut out = Vec::with_capacity(Field::ALL.len() + 4);
    let own = |key: &Key| -> Option<Rows> {
        groups
            .has(key)
            .then(|| Rows::of(&groups.selection_without(Some(key))))
    };
    for field in Field::ALL {
        let key = Key::Column(field);
        let mine = own(&key);
        let rows = mine.as_ref().unwrap_or(&shared);
        out.push(column_facet(
            store,
            field,
            rows,
            limit,
            mine.is_some(),
            None,
        ));
    }
    let shared_flags = flag_counts(store, &shared, universe);
    for key in [Key::ReadOnly, Key::Mfa, Key::Error, Key::Integrity] {
        match own(&key) {
            Some(rows) => out.push(flag_facet(&key, &flag_counts(store, &rows, universe), true)),
            None => out.push(flag_facet(&key, &shared_flags, false)),
        }
    }
    out
}

/// One string field's facet under `filter` (without that field's own terms, as in the
/// sidebar), for a facet's "show more" and search box: its `limit` most common values whose
/// text contains `search` (ignoring case; empty for all), then how many events have another
/// such value. `within` as for [`crate::run_query_within`]. `None` when `field` is not a string
/// field of the store.
pub fn field_facet(
    store: &Store,
    filter: &crate::Filter,
    within: Option<RowSet>,
    field: &str,
    search: &str,
    limit: usize,
) -> Option<Facet> {
    // Only the store's columns keep a list of their values (`Key::lists_values`).
    let Some(key @ Key::Column(column_field)) = Key::from_name(field) else {
        return None;
    };
    let groups = Groups::evaluate(store, filter, true, within);
    let filtered = groups.has(&key);
    let rows = Rows::of(&groups.selection_without(Some(&key)));
    let search = search.trim();
    let keep = (!search.is_empty()).then(|| {
        let column = store.column(column_field);
        let needle = search.as_bytes();
        (0..=column.distinct() as u32)
            .map(|code| {
                column
                    .value(code)
                    .is_some_and(|v| crate::filter::contains_ignore_case(v.as_bytes(), needle))
            })
            .collect::<Vec<bool>>()
    });
    Some(column_facet(
        store,
        column_field,
        &rows,
        limit,
        filtered,
        keep.as_deref(),
    ))
}

/// Most events whose records the resources facet reads. Nothing stores what an event acted on
/// as a column (it is read from each record by naming convention, [`crate::targets`]), so the
/// facet parses every selected record: at this many, about a second in the page. A larger
/// selection is refused with the count, so the user narrows it rather than waiting.
pub const RESOURCE_FACET_MAX_EVENTS: usize = 100_000;

/// What the events selected by `filter` (without its own `resource` terms, as in the sidebar)
/// acted on ([`crate::targets::targets`]): the `limit` most common targets whose text contains
/// `search` (ignoring case), each counted once per event. `other` counts the events with a
/// target, none of them listed; `absent` the events with none. An error naming the count when
/// more than [`RESOURCE_FACET_MAX_EVENTS`] events are selected.
pub fn resource_facet(
    store: &Store,
    filter: &crate::Filter,
    within: Option<RowSet>,
    search: &str,
    limit: usize,
) -> Result<Facet, String> {
    let key = Key::Resource;
    let groups = Groups::evaluate(store, filter, true, within);
    let selection = groups.selection_without(Some(&key));
    if selection.len() > RESOURCE_FACET_MAX_EVENTS {
        return Err(format!(
            "{} events are selected: what they acted on is read from each record, so narrow the filter to at most {} events to count it",
            selection.len(),
            RESOURCE_FACET_MAX_EVENTS
        ));
    }
    let rows: Vec<usize> = selection.iter().collect();
    let needle = search.trim().as_bytes().to_vec();
    // Each event's targets as indexes into `names`.
    let mut names: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut per_event: Vec<Vec<u32>> = Vec::with_capacity(rows.len());
    let mut absent = 0u64;
    store.records().with_records(&rows, |_, bytes| {
        let targets = serde_json::from_slice::<serde_json::Value>(bytes)
            .map(|record| crate::targets::targets(&record))
            .unwrap_or_default();
        if targets.is_empty() {
            absent += 1;
            return;
        }
        let kept: Vec<u32> = targets
            .into_iter()
            .filter(|t| {
                needle.is_empty() || crate::filter::contains_ignore_case(t.as_bytes(), &needle)
            })
            .map(|t| {
                let next = u32::try_from(names.len()).unwrap_or(u32::MAX);
                *index.entry(t.clone()).or_insert_with(|| {
                    names.push(t);
                    next
                })
            })
            .collect();
        per_event.push(kept);
    });
    let mut counts = vec![0u64; names.len()];
    for code in per_event.iter().flatten() {
        if let Some(c) = counts.get_mut(*code as usize) {
            *c += 1;
        }
    }
    let mut order: Vec<u32> = (0..u32::try_from(names.len()).unwrap_or(u32::MAX)).collect();
    let name = |code: u32| names.get(code as usize).map_or("", String::as_str);
    let count = |code: u32| counts.get(code as usize).copied().unwrap_or(0);
    order.sort_by(|&a, &b| count(b).cmp(&count(a)).then_with(|| name(a).cmp(name(b))));
    order.truncate(limit);
    let mut listed = vec![false; names.len()];
    for &code in &order {
        if let Some(l) = listed.get_mut(code as usize) {
            *l = true;
        }
    }
    let other = per_event
        .iter()
        .filter(|codes| {
            !codes.is_empty()
                && !codes
                    .iter()
                    .any(|&c| listed.get(c as usize).copied().unwrap_or(false))
        })
        .count() as u64;
    let values = order
        .iter()
        .map(|&code| FacetValue {
            value: name(code).to_string(),
            count: count(code),
            term: term(
                &key,
                Value::Pattern(Pattern::Exact(name(code).to_string())),
                false,
            ),
        })
        .collect();
    Ok(Facet {
        field: key.name().to_string(),
        values,
        other,
        absent,
        filtered: groups.has(&key),
    })
}

/// The top `limit` values of a column over `rows`; with `keep`, only the codes it marks count
/// (as values and in `other`).
fn column_facet(
    store: &Store,
    field: Field,
    rows: &Rows,
    limit: usize,
    filtered: bool,
    keep: Option<&[bool]>,
) -> Facet {
    let column = store.column(field);
    let (absent, counted) = count_values(column.codes(), column.distinct(), rows);
    // A small heap keeps the top values in one pass, even for columns with a million distinct
    // values (source IPs).
    let mut heap: BinaryHeap<Reverse<(u32, Reverse<u32>)>> = BinaryHeap::with_capacity(limit + 1);
    let mut present = 0u64;
    counted.for_each(|code, count| {
        if keep.is_some_and(|k| !k.get(code as usize).copied().unwrap_or(false)) {
            return;
        }
        present += u64::from(count);
        if limit == 0 {
            return;
        }
        let entry = Reverse((count, Reverse(code)));
        if heap.len() < limit {
            heap.push(entry);
        } else if heap.peek().is_some_and(|min| entry < *min) {
            heap.pop();
            heap.push(entry);
        }
    });
    let key = Key::Column(field);
    let mut values: Vec<FacetValue> = heap
        .into_iter()
        .filter_map(|Reverse((count, Reverse(code)))| {
            let value = column.value(code)?.to_string();
            Some(FacetValue {
                term: term(&key, Value::Pattern(Pattern::Exact(value.clone())), false),
                value,
                count: u64::from(count),
            })
        })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    let listed: u64 = values.iter().map(|v| v.count).sum();
    Facet {
        field: key.name().to_string(),
        values,
        other: present - listed,
        absent,
        filtered,
    }
}

/// Counts by code: a counter per code, or (code, count) runs.
enum Counted {
    Table(Vec<u32>),
    Runs(Vec<(u32, u32)>),
}

impl Counted {
    /// Calls `f(code, count)` for every value some row has.
    fn for_each(self, mut f: impl FnMut(u32, u32)) {
        match self {
            Counted::Table(counts) => {
                for (code, &n) in counts.iter().enumerate().skip(1) {
                    if n > 0 {
                        f(code as u32, n);
                    }
                }
            }
            Counted::Runs(runs) => runs.into_iter().for_each(|(c, n)| f(c, n)),
        }
    }
}

/// Rows without a value, and the counts of the values.
fn count_values(codes: &[u32], distinct: usize, rows: &Rows) -> (u64, Counted) {
    let counts = match rows {
        // Few rows against many values (a narrow filter over source IPs): sorting the codes
        // beats zeroing and scanning a counter per value.
        Rows::List(list) if list.len() * 8 < distinct => {
            let mut picked: Vec<u32> = list
                .iter()
                .map(|&r| codes.get(r as usize).copied().unwrap_or(ABSENT))
                .collect();
            picked.sort_unstable();
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for code in picked {
                match runs.last_mut() {
                    Some((c, n)) if *c == code => *n += 1,
                    _ => runs.push((code, 1)),
                }
            }
            let absent = match runs.first() {
                Some(&(ABSENT, n)) => u64::from(n),
                _ => 0,
            };
            runs.retain(|&(c, _)| c != ABSENT);
            return (absent, Counted::Runs(runs));
        }
        Rows::List(list) => {
            let mut counts = vec![0u32; distinct + 1];
            for &row in list {
                let code = codes.get(row as usize).copied().unwrap_or(ABSENT);
                if let Some(c) = counts.get_mut(code as usize) {
                    *c += 1;
                }
            }
            counts
        }
        Rows::All => count_all(codes, distinct),
    };
    let absent = u64::from(counts.first().copied().unwrap_or(0));
    (absent, Counted::Table(counts))
}

/// Counts every code. Runs of one value (most columns have a handful of values) would make
/// each increment wait for the previous one, so four counter tables take turns and are
/// summed at the end.
fn count_all(codes: &[u32], distinct: usize) -> Vec<u32> {
    // Columns of near-unique values (access keys, IPs) have no runs, and four tables of them
    // would only cost memory.
    let ways = if distinct < 1 << 16 { 4 } else { 1 };
    let mut tables = vec![vec![0u32; distinct + 1]; ways];
    let mut chunks = codes.chunks_exact(ways);
    for chunk in &mut chunks {
        for (table, &code) in tables.iter_mut().zip(chunk) {
            if let Some(c) = table.get_mut(code as usize) {
                *c += 1;
            }
        }
    }
    let mut tables = tables.into_iter();
    let mut counts = tables.next().unwrap_or_default();
    for &code in chunks.remainder() {
        if let Some(c) = counts.get_mut(code as usize) {
            *c += 1;
        }
    }
    for table in tables {
        for (c, t) in counts.iter_mut().zip(table) {
            *c += t;
        }
    }
    counts
}

/// The yes/no facets' counts, each slot list ending with "absent".
#[derive(Default)]
struct FlagCounts {
    read_only: [u64; 3],
    mfa: [u64; 3],
    error: [u64; 2],
    integrity: [u64; 5],
}

const VERDICTS: [Integrity; 4] = [
    Integrity::Verified,
    Integrity::Failed,
    Integrity::Unverified,
    Integrity::NotCovered,
];

/// Counts all four yes/no facets in one pass over the rows.
fn flag_counts(store: &Store, rows: &Rows, universe: usize) -> FlagCounts {
    let mut c = FlagCounts::default();
    let (code, message) = (
        store.column(Field::ErrorCode).codes(),
        store.column(Field::ErrorMessage).codes(),
    );
    let slot = |t: Tri| match t {
        Tri::Yes => 0,
        Tri::No => 1,
        Tri::Unknown => 2,
    };
    rows.for_each(universe, |r| {
        if let Some(n) = c.read_only.get_mut(slot(store.read_only(r))) {
            *n += 1;
        }
        if let Some(n) = c.mfa.get_mut(slot(store.mfa_used(r))) {
            *n += 1;
        }
        let failed = code.get(r).is_some_and(|&x| x != ABSENT)
            || message.get(r).is_some_and(|&x| x != ABSENT);
        if let Some(n) = c.error.get_mut(usize::from(!failed)) {
            *n += 1;
        }
        let verdict = store
            .integrity(r)
            .and_then(|v| VERDICTS.iter().position(|x| *x == v))
            .unwrap_or(4);
        if let Some(n) = c.integrity.get_mut(verdict) {
            *n += 1;
        }
    });
    c
}

fn flag_facet(key: &Key, counts: &FlagCounts, filtered: bool) -> Facet {
    let flags = |c: &[u64; 3]| {
        vec![
            ("true", Value::Flag(true), false, c[0]),
            ("false", Value::Flag(false), false, c[1]),
        ]
    };
    let (values, absent) = match key {
        Key::ReadOnly => (flags(&counts.read_only), counts.read_only[2]),
        Key::Mfa => (flags(&counts.mfa), counts.mfa[2]),
        Key::Error => (
            vec![
                ("yes", Value::Pattern(Pattern::Any), false, counts.error[0]),
                ("no", Value::Pattern(Pattern::Any), true, counts.error[1]),
            ],
            0,
        ),
        _ => (
            VERDICTS
                .iter()
                .map(|v| Some(*v))
                .chain([None])
                .zip(counts.integrity)
                .map(|(v, n)| {
                    (
                        v.map_or("unknown", Integrity::as_str),
                        Value::Integrity(v),
                        false,
                        n,
                    )
                })
                .collect(),
            0,
        ),
    };
    Facet {
        field: key.name().to_string(),
        values: values
            .into_iter()
            .map(|(label, value, negated, count)| FacetValue {
                value: label.to_string(),
                count,
                term: term(key, value, negated),
            })
            .collect(),
        other: 0,
        absent,
        filtered,
    }
}

fn term(key: &Key, value: Value, negated: bool) -> String {
    Term {
        negated,
        test: Test::Field(key.clone(), value),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(counted: Counted) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        counted.for_each(|c, n| out.push((c, n)));
        out
    }

    #[test]
    fn every_way_of_counting_agrees() {
        let codes: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 13 % 9).collect();
        let all = count_values(&codes, 8, &Rows::All);
        let expected = pairs(all.1);
        assert_eq!(all.0, codes.iter().filter(|&&c| c == 0).count() as u64);
        let every: Vec<u32> = (0..1000).collect();
        let table = count_values(&codes, 8, &Rows::List(every));
        assert_eq!((table.0, pairs(table.1)), (all.0, expected.clone()));
        // Few rows against many values: counted by sorting.
        let few = vec![3u32, 5, 8, 13, 21];
        let (absent, runs) = count_values(&codes, 1000, &Rows::List(few.clone()));
        assert!(matches!(runs, Counted::Runs(_)));
        let mut naive = [0u32; 9];
        for &r in &few {
            naive[codes[r as usize] as usize] += 1;
        }
        let naive_pairs: Vec<(u32, u32)> = naive
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, &n)| n > 0)
            .map(|(c, &n)| (c as u32, n))
            .collect();
        assert_eq!((absent, pairs(runs)), (u64::from(naive[0]), naive_pairs));
        // Near-unique values take the one-table path.
        let unique: Vec<u32> = (1..=70_000).collect();
        let counts = count_all(&unique, 70_000);
        assert!(counts.iter().skip(1).all(|&n| n == 1));
    }
}
