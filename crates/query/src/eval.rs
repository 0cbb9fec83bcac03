//! Evaluating a filter over the store.
//!
//! Terms are grouped by key: a group's positive terms are alternatives, its negated terms must
//! all fail, and every group must hold. Groups on columns and flags are answered from the
//! columns: a string term is first matched against the column's dictionary (each distinct value
//! once), then the row codes are scanned against that table. Groups that need the original
//! records (free text, other paths, resources) run last, only over the rows the column groups
//! left, because every such row has to be decompressed.

use std::collections::HashSet;
use std::net::IpAddr;

use trailscope_store::{DictColumn, Field, Store, Tri, ABSENT};

use crate::filter::{Filter, Pattern, Term, Test, Value};
use crate::key::Key;
use crate::records::RecordTests;
use trailscope_store::RowSet;

/// The rows `filter` selects, ascending.
pub fn matches(store: &Store, filter: &Filter) -> RowSet {
    Groups::evaluate(store, filter, false, None).selection_without(None)
}

/// Each key's answer, so that facets can leave one key out.
pub(crate) struct Groups {
    universe: usize,
    groups: Vec<(Option<Key>, RowSet)>,
}

impl Groups {
    /// Evaluates every group. With `for_facets`, groups that read records are answered for
    /// every row that fails at most one column group, so that leaving any one key out is still
    /// exact; otherwise only for the rows that pass all of them.
    /// `within`, if given, is a set every answer must lie in (rows a detection rule matched,
    /// say): it narrows every facet too, and is never left out.
    pub(crate) fn evaluate(
        store: &Store,
        filter: &Filter,
        for_facets: bool,
        within: Option<RowSet>,
    ) -> Groups {
        let universe = store.len();
        // `None` is a free-text term: each is its own group, so words narrow the search.
        let mut keys: Vec<(Option<Key>, Vec<&Term>)> = Vec::new();
        for term in &filter.terms {
            match &term.test {
                Test::Field(key, _) => match keys.iter_mut().find(|(k, _)| k.as_ref() == Some(key))
                {
                    Some((_, terms)) => terms.push(term),
                    None => keys.push((Some(key.clone()), vec![term])),
                },
                Test::Text(_) => keys.push((None, vec![term])),
            }
        }
        let mut groups = Vec::new();
        if let Some(within) = within {
            groups.push((None, within));
        }
        let mut record_keys = Vec::new();
        for (key, terms) in keys {
            if terms.iter().any(|t| t.reads_records()) {
                record_keys.push((key, terms));
                continue;
            }
            let sets = if key == Some(Key::EventId) {
                event_id_sets(store, &terms)
            } else {
                terms
                    .iter()
                    .map(|t| (t.negated, column_term(store, t)))
                    .collect()
            };
            groups.push((key, combine(RowSet::full(universe), sets)));
        }
        if !record_keys.is_empty() {
            let candidates = if for_facets {
                failing_at_most_one(universe, &groups)
            } else {
                and_all(universe, groups.iter().map(|(_, s)| s))
            };
            let terms: Vec<&Term> = record_keys
                .iter()
                .flat_map(|(_, t)| t.iter().copied())
                .collect();
            let mut answers = RecordTests::new(&terms).run(store, &candidates).into_iter();
            for (key, terms) in record_keys {
                let sets: Vec<(bool, RowSet)> = terms
                    .iter()
                    .map(|t| {
                        (
                            t.negated,
                            answers.next().unwrap_or_else(|| RowSet::empty(universe)),
                        )
                    })
                    .collect();
                groups.push((key, combine(candidates.clone(), sets)));
            }
        }
        Groups { universe, groups }
    }

    /// The rows every group selects, leaving out the group of `key` if given.
    pub(crate) fn selection_without(&self, key: Option<&Key>) -> RowSet {
        and_all(
            self.universe,
            self.groups
                .iter()
                .filter(|(k, _)| key.is_none() || k.as_ref() != key)
                .map(|(_, s)| s),
        )
    }

    /// Whether the filter has terms on `key`.
    pub(crate) fn has(&self, key: &Key) -> bool {
        self.groups.iter().any(|(k, _)| k.as_ref() == Some(key))
    }
}

/// A group's answer: any positive term (all of `base` when there is none), minus every negated
/// term's rows.
fn combine(base: RowSet, sets: impl IntoIterator<Item = (bool, RowSet)>) -> RowSet {
    let mut positive: Option<RowSet> = None;
    let mut negative = Vec::new();
    for (negated, set) in sets {
        if negated {
            negative.push(set);
        } else {
            match &mut positive {
                Some(p) => p.or(&set),
                None => positive = Some(set),
            }
        }
    }
    let mut out = match positive {
        Some(mut p) => {
            p.and(&base);
            p
        }
        None => base,
    };
    for set in &negative {
        out.and_not(set);
    }
    out
}

fn and_all<'a>(universe: usize, sets: impl Iterator<Item = &'a RowSet>) -> RowSet {
    let mut out = RowSet::full(universe);
    for set in sets {
        out.and(set);
    }
    out
}

/// Rows that fail at most one of the groups: the union, over each group, of the rows passing
/// all the others (with prefix and suffix intersections, so linear in the number of groups).
fn failing_at_most_one(universe: usize, groups: &[(Option<Key>, RowSet)]) -> RowSet {
    let n = groups.len();
    let mut suffix = vec![RowSet::full(universe); n + 1];
    for i in (0..n).rev() {
        let mut s = suffix
            .get(i + 1)
            .cloned()
            .unwrap_or_else(|| RowSet::full(universe));
        if let Some((_, g)) = groups.get(i) {
            s.and(g);
        }
        if let Some(slot) = suffix.get_mut(i) {
            *slot = s;
        }
    }
    let mut prefix = RowSet::full(universe);
    let mut out = RowSet::empty(universe);
    for (i, (_, g)) in groups.iter().enumerate() {
        let mut without = prefix.clone();
        if let Some(s) = suffix.get(i + 1) {
            without.and(s);
        }
        out.or(&without);
        prefix.and(g);
    }
    out.or(&prefix);
    out
}

/// The answers of a group of `eventID` terms. Exact IDs asked for (the SQL tab's "open these
/// events" writes one term per event, up to a thousand) are looked up in one pass over the rows
/// with a set of the wanted IDs, not one pass per term; wildcards and exclusions as any term.
fn event_id_sets(store: &Store, terms: &[&Term]) -> Vec<(bool, RowSet)> {
    let mut wanted: HashSet<String> = HashSet::new();
    let mut sets = Vec::new();
    for term in terms {
        match &term.test {
            Test::Field(Key::EventId, Value::Pattern(Pattern::Exact(id))) if !term.negated => {
                wanted.insert(id.to_ascii_lowercase());
            }
            _ => sets.push((term.negated, column_term(store, term))),
        }
    }
    if !wanted.is_empty() {
        let mut lower = String::new();
        sets.push((
            false,
            RowSet::from_fn(store.len(), |row| {
                store.event_id(row).is_some_and(|id| {
                    lower.clear();
                    lower.push_str(id);
                    lower.make_ascii_lowercase();
                    wanted.contains(&lower)
                })
            }),
        ));
    }
    sets
}

/// The rows a term on a column or flag matches (before negation).
fn column_term(store: &Store, term: &Term) -> RowSet {
    let n = store.len();
    let Test::Field(key, value) = &term.test else {
        return RowSet::empty(n);
    };
    match (key, value) {
        (Key::Column(field), Value::Pattern(p)) => {
            let column = store.column(*field);
            RowSet::from_codes(column.codes(), &table(column, |v| p.matches(v)))
        }
        (Key::Column(field), Value::Cidr(c)) => {
            let column = store.column(*field);
            let wanted = table(column, |v| {
                v.parse::<IpAddr>().is_ok_and(|ip| c.contains(ip))
            });
            RowSet::from_codes(column.codes(), &wanted)
        }
        (Key::Error, Value::Pattern(p)) => {
            let mut set = RowSet::empty(n);
            for field in [Field::ErrorCode, Field::ErrorMessage] {
                let column = store.column(field);
                set.or(&RowSet::from_codes(
                    column.codes(),
                    &table(column, |v| p.matches(v)),
                ));
            }
            set
        }
        (Key::EventId, Value::Pattern(p)) => {
            RowSet::from_fn(n, |r| store.event_id(r).is_some_and(|id| p.matches(id)))
        }
        (Key::ReadOnly, Value::Flag(b)) => RowSet::from_fn(n, |r| store.read_only(r) == tri(*b)),
        (Key::Mfa, Value::Flag(b)) => RowSet::from_fn(n, |r| store.mfa_used(r) == tri(*b)),
        (Key::Conflict, Value::Flag(b)) => RowSet::from_fn(n, |r| store.has_conflict(r) == *b),
        (Key::Integrity, Value::Integrity(v)) => RowSet::from_fn(n, |r| store.integrity(r) == *v),
        (k, Value::Time(span)) => {
            let test: Box<dyn Fn(i64) -> bool> = match k {
                Key::From => Box::new(|t| t >= span.start),
                Key::To => Box::new(|t| t <= span.end),
                Key::After => Box::new(|t| t > span.end),
                Key::Before => Box::new(|t| t < span.start),
                _ => Box::new(|t| (span.start..=span.end).contains(&t)),
            };
            RowSet::from_fn(n, |r| {
                store.time_at(r).is_some_and(|t| test(t.unix_millis()))
            })
        }
        // The parser never pairs other keys and values.
        _ => RowSet::empty(n),
    }
}

fn tri(b: bool) -> Tri {
    if b {
        Tri::Yes
    } else {
        Tri::No
    }
}

/// Which codes of `column` hold a value `f` accepts (absent never matches).
fn table(column: &DictColumn, f: impl Fn(&str) -> bool) -> Vec<bool> {
    (0..=column.distinct() as u32)
        .map(|code| code != ABSENT && column.value(code).is_some_and(&f))
        .collect()
}
