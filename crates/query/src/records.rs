//! Terms answered from the original records: free text, arbitrary JSON paths and resources.
//!
//! Records are decompressed block by block, and most records are ruled out before any JSON
//! parsing by looking for the term's text in the record's bytes (ignoring ASCII case); only
//! records that contain it are parsed with `serde_json`. When every record term is free text,
//! blocks whose trigram set lacks one of the needle's trigrams are not even decompressed
//! (`trailscope_store::grams`: no false negatives).

use memchr::memmem::Finder;
use serde_json::Value as Json;
use trailscope_store::grams::needle_slots;
use trailscope_store::Store;

use crate::filter::{Pattern, Term, Test, Value};
use crate::key::Key;
use trailscope_store::RowSet;

/// One record test, prepared.
enum Check {
    /// Free text: the lowercased needle, and its trigram slots (none under three bytes).
    Text(Finder<'static>, Option<Vec<usize>>),
    /// A path (already split) and the value pattern; the lowercased literal for the pre-check.
    Path(Vec<String>, Pattern, Option<Finder<'static>>),
    /// `resource` (ARN or its name) or `resourceType`.
    Resource {
        by_type: bool,
        pattern: Pattern,
        pre: Option<Finder<'static>>,
    },
    /// A term the parser cannot produce; matches nothing.
    Never,
}

/// The record terms of a filter, answered together in one pass over the records.
pub(crate) struct RecordTests {
    checks: Vec<Check>,
}

impl RecordTests {
    pub(crate) fn new(terms: &[&Term]) -> Self {
        let checks = terms
            .iter()
            .map(|term| match &term.test {
                Test::Text(text) => Check::Text(finder(text), needle_slots(text.as_bytes())),
                Test::Field(Key::Path(path), Value::Pattern(p)) => Check::Path(
                    path.split('.').map(str::to_string).collect(),
                    p.clone(),
                    pre_check(p),
                ),
                Test::Field(k @ (Key::Resource | Key::ResourceType), Value::Pattern(p)) => {
                    Check::Resource {
                        by_type: *k == Key::ResourceType,
                        pattern: p.clone(),
                        pre: pre_check(p),
                    }
                }
                _ => Check::Never,
            })
            .collect();
        RecordTests { checks }
    }

    /// For each term, the rows of `candidates` whose record it matches (before negation).
    pub(crate) fn run(&self, store: &Store, candidates: &RowSet) -> Vec<RowSet> {
        if let Some(out) = self.run_text(store, candidates) {
            return out;
        }
        let universe = store.len();
        let mut out = vec![RowSet::empty(universe); self.checks.len()];
        let raw = store.records();
        let rows: Vec<usize> = candidates.iter().collect();
        let mut lower = Vec::new();
        raw.with_records(&rows, |row, bytes| {
            lower.clear();
            lower.extend(bytes.iter().map(u8::to_ascii_lowercase));
            // Escapes can hide text from the byte pre-check; such records are always parsed.
            // Looked for only when a path or resource term asks (two more passes over the
            // record, which free text alone does not need).
            let mut escaped: Option<bool> = None;
            let mut is_escaped = || {
                *escaped.get_or_insert_with(|| {
                    memchr::memmem::find(bytes, b"\\u").is_some()
                        || memchr::memmem::find(bytes, b"\\/").is_some()
                })
            };
            let mut parsed: Option<Option<Json>> = None;
            for (check, set) in self.checks.iter().zip(out.iter_mut()) {
                let hit = match check {
                    Check::Text(f, _) => f.find(&lower).is_some(),
                    Check::Path(path, pattern, pre) => {
                        might_hold(pre, &lower, &mut is_escaped)
                            && json(&mut parsed, bytes)
                                .is_some_and(|v| path_matches(v, path, pattern))
                    }
                    Check::Resource {
                        by_type,
                        pattern,
                        pre,
                    } => {
                        might_hold(pre, &lower, &mut is_escaped)
                            && json(&mut parsed, bytes)
                                .is_some_and(|v| resource_matches(v, *by_type, pattern))
                    }
                    Check::Never => false,
                };
                if hit {
                    set.insert(row);
                }
            }
        });
        out
    }
}

impl RecordTests {
    /// Free text alone: the free-text index ([`trailscope_store::text`]) gives each needle's
    /// certain rows and the rows it cannot rule out; only those, and the rows past the index
    /// whose block may hold a needle, are read. `None` when another kind of term needs every
    /// candidate's record anyway.
    fn run_text(&self, store: &Store, candidates: &RowSet) -> Option<Vec<RowSet>> {
        let universe = store.len();
        let raw = store.records();
        let index = store.text_index();
        let mut out = Vec::with_capacity(self.checks.len());
        let mut read = RowSet::empty(universe);
        let mut past_index: Vec<&Vec<usize>> = Vec::new();
        let mut read_all_past = false;
        let mut covered = universe;
        for check in &self.checks {
            match check {
                Check::Never => out.push(RowSet::empty(universe)),
                Check::Text(finder, slots) => {
                    let mut hits = RowSet::empty(universe);
                    match index.lookup(finder.needle(), universe) {
                        Some(lookup) => {
                            hits = lookup.hits;
                            hits.and(candidates);
                            read.or(&lookup.read);
                            covered = covered.min(lookup.covered);
                        }
                        // The index cannot say: every row is read, as without one.
                        None => covered = 0,
                    }
                    match slots {
                        Some(slots) => past_index.push(slots),
                        None => read_all_past = true,
                    }
                    out.push(hits);
                }
                Check::Path(..) | Check::Resource { .. } => return None,
            }
        }
        // Rows past the index: read unless their block's trigram set rules out every needle.
        let mut last: Option<(u32, bool)> = None;
        for row in candidates.iter().skip_while(|&row| row < covered) {
            let Some(block) = raw.block_of(row) else {
                continue;
            };
            let pass = match last {
                Some((b, pass)) if b == block => pass,
                _ => {
                    let pass =
                        read_all_past || past_index.iter().any(|s| raw.block_may_hold(block, s));
                    last = Some((block, pass));
                    pass
                }
            };
            if pass {
                read.insert(row);
            }
        }
        read.and(candidates);
        let rows: Vec<usize> = read.iter().collect();
        let mut lower = Vec::new();
        raw.with_records(&rows, |row, bytes| {
            lower.clear();
            lower.extend(bytes.iter().map(u8::to_ascii_lowercase));
            for (check, set) in self.checks.iter().zip(out.iter_mut()) {
                if let Check::Text(finder, _) = check {
                    if finder.find(&lower).is_some() {
                        set.insert(row);
                    }
                }
            }
        });
        Some(out)
    }
}

fn finder(text: &str) -> Finder<'static> {
    Finder::new(text.to_ascii_lowercase().as_bytes()).into_owned()
}

/// The needle that must be in a record for the pattern to match one of its strings. None when
/// nothing can be said: `*`, text that JSON writes escaped, or what may be a number (whose
/// text serde may write differently from the record, `1e3` against `1000.0`).
fn pre_check(pattern: &Pattern) -> Option<Finder<'static>> {
    let literal = pattern.literal();
    let escaped = literal
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control());
    let numeric = literal
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    (!escaped && !numeric).then(|| finder(literal))
}

/// Whether a record may match: no literal to look for, the literal is in it, or escapes may
/// hide it (asked last: it scans the record twice).
fn might_hold(
    pre: &Option<Finder<'static>>,
    lower: &[u8],
    escaped: &mut impl FnMut() -> bool,
) -> bool {
    pre.as_ref().is_none_or(|f| f.find(lower).is_some()) || escaped()
}

fn json<'p>(parsed: &'p mut Option<Option<Json>>, bytes: &[u8]) -> Option<&'p Json> {
    parsed
        .get_or_insert_with(|| serde_json::from_slice(bytes).ok())
        .as_ref()
}

/// Whether any value at `path` matches; arrays on the way are searched element by element.
pub fn path_matches(value: &Json, path: &[String], pattern: &Pattern) -> bool {
    match value {
        Json::Array(items) => items.iter().any(|v| path_matches(v, path, pattern)),
        _ => match path.split_first() {
            None => leaf_matches(value, pattern),
            Some((head, rest)) => value
                .get(head.as_str())
                .is_some_and(|v| path_matches(v, rest, pattern)),
        },
    }
}

/// Strings match by the pattern; numbers and booleans by their JSON text; `*` matches anything
/// but `null`.
fn leaf_matches(value: &Json, pattern: &Pattern) -> bool {
    match value {
        Json::Null => false,
        Json::String(s) => pattern.matches(s),
        Json::Bool(_) | Json::Number(_) => pattern.matches(&value.to_string()),
        Json::Array(_) | Json::Object(_) => *pattern == Pattern::Any,
    }
}

/// `resources[]` by type; or what the event acted on ([`crate::targets::targets`]: the ARNs of
/// `resources[]`, the request's targets, the identifiers the response created), each whole or
/// by the name an ARN ends with.
pub fn resource_matches(record: &Json, by_type: bool, pattern: &Pattern) -> bool {
    if by_type {
        let Some(Json::Array(resources)) = record.get("resources") else {
            return false;
        };
        return resources.iter().any(|r| {
            r.get("type")
                .and_then(Json::as_str)
                .is_some_and(|t| pattern.matches(t))
        });
    }
    crate::targets::targets(record)
        .iter()
        .any(|t| pattern.matches(t) || pattern.matches(resource_name(t)))
}

/// The name an ARN ends with: after its last `/`, else after its last `:`
/// (`arn:aws:iam::1:user/alice` is `alice`, `arn:aws:s3:::bucket` is `bucket`).
pub fn resource_name(arn: &str) -> &str {
    arn.rsplit_once('/')
        .or_else(|| arn.rsplit_once(':'))
        .map_or(arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_search_arrays_and_scalars() {
        let v: Json = serde_json::from_str(
            r#"{"a":{"b":[{"c":"x"},{"c":7}],"t":true,"n":null,"o":{}},"resources":[{"ARN":"arn:aws:iam::1:user/alice","type":"AWS::IAM::User"}]}"#,
        )
        .unwrap();
        let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        assert!(path_matches(&v, &path("a.b.c"), &Pattern::parse("X")));
        assert!(path_matches(&v, &path("a.b.c"), &Pattern::parse("7")));
        assert!(path_matches(&v, &path("a.t"), &Pattern::parse("true")));
        assert!(!path_matches(&v, &path("a.n"), &Pattern::Any));
        assert!(path_matches(&v, &path("a.o"), &Pattern::Any));
        assert!(!path_matches(&v, &path("a.o"), &Pattern::parse("x")));
        assert!(!path_matches(&v, &path("a.z"), &Pattern::Any));
        assert!(resource_matches(&v, false, &Pattern::parse("alice")));
        assert!(resource_matches(
            &v,
            false,
            &Pattern::parse("arn:aws:iam::1:*")
        ));
        assert!(resource_matches(&v, true, &Pattern::parse("*::user")));
        assert!(!resource_matches(&v, true, &Pattern::parse("alice")));
        assert_eq!(resource_name("arn:aws:s3:::bucket"), "bucket");
        assert_eq!(resource_name("plain"), "plain");
    }
}
