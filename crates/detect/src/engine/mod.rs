//! Evaluating a rule set over a [`Store`]: column tests first, JSON only where it can matter.
//!
//! Every field test on a column path is turned into a table over the column's dictionary codes,
//! then into a row bitset, once per evaluation. For each rule the condition tree gives two row
//! sets: rows that surely match (JSON tests taken as failing where that can only lose matches)
//! and rows that may match (JSON tests taken as passing). Only rows in between are decompressed
//! and parsed, each once for all rules, and the full condition is run on them.

mod bits;
mod leaf;
mod new_value;
mod threshold;

use serde_json::Value;
use trailscope_store::{Store, Tri};

use crate::condition::Condition;
use crate::rule::{Rule, RuleError};
use crate::time::{BusinessHours, ClockOffset};
use bits::Bound;
use leaf::{first_text, FlagField, Leaf, Source};
use new_value::{first_sightings, Sighting};
use threshold::{bursts, Counted};

pub use threshold::ThresholdHit;

/// A compiled condition tree.
#[derive(Debug)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Leaf(usize),
}

#[derive(Debug)]
struct CompiledRule {
    tree: Node,
    /// The fields a counting or first-sighting rule reads from each match: a counting rule's
    /// `group_by`; a first-sighting rule's `field`, then its `per`.
    keys: Vec<Source>,
}

impl CompiledRule {
    fn has_json_key(&self) -> bool {
        self.keys.iter().any(Source::is_json)
    }
}

/// Rules ready to run: validated, regexes compiled.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    compiled: Vec<CompiledRule>,
    leaves: Vec<Leaf>,
}

/// What one rule matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index of the rule in [`RuleSet::rules`].
    pub rule: usize,
    /// Matching store rows, in row order. For a counting rule: the events of its bursts.
    pub rows: Vec<u32>,
    /// For a counting rule: the bursts that reached the threshold.
    pub hits: Vec<ThresholdHit>,
}

impl RuleMatch {
    /// Number of matching events.
    pub fn count(&self) -> usize {
        self.rows.len()
    }
}

impl RuleSet {
    /// Validates and compiles `rules`. Ids and aliases must be unique.
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        set.extend(rules)?;
        Ok(set)
    }

    /// Adds rules (validated and compiled like [`RuleSet::new`]); on error nothing is added.
    pub fn extend(&mut self, rules: Vec<Rule>) -> Result<(), RuleError> {
        let mut names: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|r| {
                std::iter::once(r.id.as_str()).chain(r.aliases.iter().map(String::as_str))
            })
            .collect();
        for rule in &rules {
            for name in std::iter::once(&rule.id).chain(&rule.aliases) {
                if names.contains(&name.as_str()) {
                    return Err(RuleError::Duplicate(name.clone()));
                }
                names.push(name);
            }
        }
        let mut leaves = Vec::new();
        let mut compiled = Vec::new();
        let base = self.leaves.len();
        for rule in &rules {
            let invalid = |problem: String| RuleError::Invalid {
                rule: rule.id.clone(),
                problem,
            };
            if rule.id.trim().is_empty() {
                return Err(invalid("empty id".into()));
            }
            let hours = rule.hours();
            hours.validate().map_err(invalid)?;
            let tree = compile(&rule.condition, &hours, &mut leaves, base).map_err(invalid)?;
            let source = |path: &str| Source::of(path, &crate::condition::Operator::Exists(true));
            let keys = match (&rule.threshold, &rule.new_value) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        "a rule is either a counting rule (threshold) or a first-sighting rule (new_value), not both".into(),
                    ))
                }
                (Some(t), None) if t.count == 0 || t.window_seconds == 0 => {
                    return Err(invalid(
                        "threshold count and window_seconds must be positive".into(),
                    ))
                }
                (Some(t), None) => t.group_by.as_deref().map(source).into_iter().collect(),
                (None, Some(n)) if n.field.trim().is_empty() => {
                    return Err(invalid("new_value needs a field".into()))
                }
                (None, Some(n)) => std::iter::once(source(&n.field))
                    .chain(n.per.as_deref().map(source))
                    .collect(),
                (None, None) => Vec::new(),
            };
            compiled.push(CompiledRule { tree, keys });
        }
        self.rules.extend(rules);
        self.compiled.extend(compiled);
        self.leaves.extend(leaves);
        Ok(())
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id or alias.
    pub fn find(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.id == name || r.aliases.iter().any(|a| a == name))
    }

    /// The rules chosen by id or alias: those named in `only` (every rule when it is empty),
    /// minus those named in `exclude`. A name no rule has is an error, so a typo never quietly
    /// runs nothing or everything.
    pub fn select(self, only: &[String], exclude: &[String]) -> Result<RuleSet, RuleError> {
        let index = |name: &String| {
            self.rules
                .iter()
                .position(|r| &r.id == name || r.aliases.contains(name))
                .ok_or_else(|| RuleError::Unknown(name.clone()))
        };
        let only = only.iter().map(index).collect::<Result<Vec<_>, _>>()?;
        let exclude = exclude.iter().map(index).collect::<Result<Vec<_>, _>>()?;
        let keep: Vec<Rule> = self
            .rules
            .into_iter()
            .enumerate()
            .filter(|(i, _)| (only.is_empty() || only.contains(i)) && !exclude.contains(i))
            .map(|(_, r)| r)
            .collect();
        RuleSet::new(keep)
    }

    /// Sets the business hours of every rule that tests them (recompiling the set).
    pub fn set_business_hours(
        &mut self,
        start_hour: u8,
        end_hour: u8,
        offset: Option<ClockOffset>,
    ) -> Result<(), RuleError> {
        let mut rules = std::mem::take(&mut self.rules);
        for rule in rules.iter_mut().filter(|r| r.uses_business_hours()) {
            rule.set_business_hours(start_hour, end_hour, offset);
        }
        *self = RuleSet::new(rules)?;
        Ok(())
    }

    /// Runs every rule over `store`. CloudTrail Insights events are not API calls and match no
    /// rule (see [`crate::insight_events`]). Results come in rule order, empty ones included.
    pub fn evaluate(&self, store: &Store) -> Vec<RuleMatch> {
        let n = store.len();
        let tables = Tables::new(store, &self.leaves);
        let bounds = self.column_phase(&tables);
        let mut parsed = self.record_phase(&tables, &bounds);
        let mut out = Vec::with_capacity(self.compiled.len());
        for (i, sure) in bounds.sure.into_iter().enumerate() {
            let mut rows = sure.rows(n);
            let extra = parsed
                .found
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default();
            if !extra.is_empty() {
                rows.extend(extra);
                rows.sort_unstable();
            }
            let (Some(rule), Some(compiled)) = (self.rules.get(i), self.compiled.get(i)) else {
                continue;
            };
            let json_keys = parsed
                .keys
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default();
            let result = if let Some(threshold) = &rule.threshold {
                let counted = keyed(&tables, compiled, &rows, json_keys)
                    .map(|k| Counted {
                        group: k.keys.into_iter().next().flatten(),
                        millis: k.millis,
                        row: k.row,
                    })
                    .collect();
                let hits = bursts(threshold, counted);
                let mut rows: Vec<u32> = hits.iter().flat_map(|h| h.rows.iter().copied()).collect();
                rows.sort_unstable();
                RuleMatch {
                    rule: i,
                    rows,
                    hits,
                }
            } else if rule.new_value.is_some() {
                let sightings = keyed(&tables, compiled, &rows, json_keys)
                    .map(|k| {
                        let mut keys = k.keys.into_iter();
                        let value = keys.next().flatten();
                        Sighting {
                            value,
                            per: keys.next().flatten(),
                            millis: k.millis,
                            row: k.row,
                        }
                    })
                    .collect();
                RuleMatch {
                    rule: i,
                    rows: first_sightings(sightings),
                    hits: Vec::new(),
                }
            } else {
                RuleMatch {
                    rule: i,
                    rows,
                    hits: Vec::new(),
                }
            };
            out.push(result);
        }
        out
    }

    /// For each rule, the rows that surely match and the rows that may match but need their
    /// record read; and all rows that need reading.
    fn column_phase(&self, tables: &Tables<'_>) -> Bounds {
        let store = tables.store;
        let n = store.len();
        let eligible = Bound::from_fn(n, |r| !store.is_insight(r));
        let mut bounds = Bounds {
            sure: Vec::with_capacity(self.compiled.len()),
            maybe: Vec::with_capacity(self.compiled.len()),
            to_parse: Bound::Empty,
        };
        for rule in &self.compiled {
            let (lower, upper) = tables.bounds(&rule.tree);
            let lower = lower.and(&eligible);
            let upper = upper.and(&eligible).minus(&lower);
            bounds.to_parse = bounds.to_parse.or(&upper);
            if rule.has_json_key() {
                // Keys on a JSON path need the records of sure matches too.
                bounds.to_parse = bounds.to_parse.or(&lower);
            }
            bounds.sure.push(lower);
            bounds.maybe.push(upper);
        }
        bounds
    }

    /// Reads each row of `bounds.to_parse` once and runs the rules that still depend on it.
    fn record_phase(&self, tables: &Tables<'_>, bounds: &Bounds) -> ParsedRecords {
        let store = tables.store;
        let mut parsed = ParsedRecords {
            found: vec![Vec::new(); self.compiled.len()],
            keys: vec![Vec::new(); self.compiled.len()],
        };
        let rows: Vec<usize> = bounds
            .to_parse
            .rows(store.len())
            .into_iter()
            .map(|r| r as usize)
            .collect();
        store.records().with_records(&rows, |row, bytes| {
            let record: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            for (i, rule) in self.compiled.iter().enumerate() {
                let matched = if bounds.maybe.get(i).is_some_and(|m| m.contains(row)) {
                    let hit = tables.eval(&rule.tree, row, &record);
                    if let (true, Some(found)) = (hit, parsed.found.get_mut(i)) {
                        found.push(row as u32);
                    }
                    hit
                } else {
                    bounds.sure.get(i).is_some_and(|s| s.contains(row))
                };
                if matched && rule.has_json_key() {
                    if let Some(keys) = parsed.keys.get_mut(i) {
                        let values = rule
                            .keys
                            .iter()
                            .map(|key| match key {
                                Source::Json(path) => first_text(&record, path),
                                _ => None,
                            })
                            .collect();
                        keys.push((row as u32, values));
                    }
                }
            }
        });
        parsed
    }
}

/// What the column phase leaves, per rule (indexed like the rules).
struct Bounds {
    sure: Vec<Bound>,
    maybe: Vec<Bound>,
    to_parse: Bound,
}

/// What reading records adds, per rule: matches among the `maybe` rows, and for rules with
/// keys on a JSON path each matching row's values of those keys (`None` for column keys).
struct ParsedRecords {
    found: Vec<Vec<u32>>,
    keys: Vec<Vec<(u32, Vec<Option<String>>)>>,
}

/// A match with its time and the values of its rule's keys.
struct Keyed {
    keys: Vec<Option<String>>,
    millis: i64,
    row: u32,
}

/// A counting or first-sighting rule's matches with their times and key values (rows without
/// a time are left out: they cannot be placed in time).
fn keyed<'a>(
    tables: &'a Tables<'_>,
    rule: &'a CompiledRule,
    rows: &'a [u32],
    mut json_keys: Vec<(u32, Vec<Option<String>>)>,
) -> impl Iterator<Item = Keyed> + 'a {
    json_keys.sort_unstable_by_key(|k| k.0);
    rows.iter().filter_map(move |&row| {
        let millis = tables.store.time_at(row as usize)?.unix_millis();
        let from_json = json_keys
            .binary_search_by_key(&row, |k| k.0)
            .ok()
            .and_then(|at| json_keys.get(at))
            .map(|k| k.1.as_slice())
            .unwrap_or_default();
        let keys = rule
            .keys
            .iter()
            .enumerate()
            .map(|(i, source)| match source {
                Source::Json(_) => from_json.get(i).cloned().flatten(),
                source => tables.text(source, row as usize),
            })
            .collect();
        Some(Keyed { keys, millis, row })
    })
}

fn compile(
    c: &Condition,
    hours: &BusinessHours,
    leaves: &mut Vec<Leaf>,
    base: usize,
) -> Result<Node, String> {
    let list = |parts: &[Condition], leaves: &mut Vec<Leaf>| {
        parts
            .iter()
            .map(|p| compile(p, hours, leaves, base))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match c {
        Condition::All(parts) => Node::All(list(parts, leaves)?),
        Condition::Any(parts) => Node::Any(list(parts, leaves)?),
        Condition::Not(part) => Node::Not(Box::new(compile(part, hours, leaves, base)?)),
        Condition::Match(m) => {
            leaves.push(Leaf::compile(m, hours)?);
            Node::Leaf(base + leaves.len() - 1)
        }
    })
}

/// Per-evaluation lookup tables: for each leaf on a column, its result per dictionary code.
struct Tables<'s> {
    store: &'s Store,
    leaves: &'s [Leaf],
    /// Indexed like `leaves`; empty for leaves not on a column.
    by_code: Vec<Vec<bool>>,
}

fn flag_index(t: Tri) -> usize {
    t as usize
}

impl<'s> Tables<'s> {
    fn new(store: &'s Store, leaves: &'s [Leaf]) -> Self {
        let by_code = leaves
            .iter()
            .map(|leaf| match &leaf.source {
                Source::Column(field) => {
                    let column = store.column(*field);
                    (0..=column.distinct() as u32)
                        .map(|code| leaf.test_value(column.value(code)))
                        .collect()
                }
                // In `Tri` order: No, Yes, Unknown.
                Source::Flag(_) => [Some("false"), Some("true"), None]
                    .into_iter()
                    .map(|v| leaf.test_value(v))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        Tables {
            store,
            leaves,
            by_code,
        }
    }

    fn flag(&self, flag: FlagField, row: usize) -> Tri {
        match flag {
            FlagField::ReadOnly => self.store.read_only(row),
            FlagField::Management => self.store.management_event(row),
        }
    }

    fn millis(&self, row: usize) -> Option<i64> {
        self.store.time_at(row).map(|t| t.unix_millis())
    }

    /// Rows that surely match and rows that may match `node`, before any JSON is read.
    fn bounds(&self, node: &Node) -> (Bound, Bound) {
        let n = self.store.len();
        match node {
            Node::All(parts) => parts
                .iter()
                .fold((Bound::Full, Bound::Full), |(lo, hi), p| {
                    let (l, h) = self.bounds(p);
                    (lo.and(&l), hi.and(&h))
                }),
            Node::Any(parts) => parts
                .iter()
                .fold((Bound::Empty, Bound::Empty), |(lo, hi), p| {
                    let (l, h) = self.bounds(p);
                    (lo.or(&l), hi.or(&h))
                }),
            Node::Not(part) => {
                let (l, h) = self.bounds(part);
                (h.not(), l.not())
            }
            Node::Leaf(i) => {
                let (Some(leaf), table) = (self.leaves.get(*i), self.by_code.get(*i)) else {
                    return (Bound::Empty, Bound::Empty);
                };
                let table = table.map(Vec::as_slice).unwrap_or_default();
                let set = match &leaf.source {
                    Source::Column(field) => {
                        Bound::from_codes(self.store.column(*field).codes(), table)
                    }
                    Source::Flag(flag) => Bound::from_fn(n, |r| {
                        table
                            .get(flag_index(self.flag(*flag, r)))
                            .copied()
                            .unwrap_or(false)
                    }),
                    Source::EventTime => Bound::from_fn(n, |r| leaf.test_millis(self.millis(r))),
                    Source::Json(_) => return (Bound::Empty, Bound::Full),
                };
                (set.clone(), set)
            }
        }
    }

    /// The full condition on one row with its parsed record.
    fn eval(&self, node: &Node, row: usize, record: &Value) -> bool {
        match node {
            Node::All(parts) => parts.iter().all(|p| self.eval(p, row, record)),
            Node::Any(parts) => parts.iter().any(|p| self.eval(p, row, record)),
            Node::Not(part) => !self.eval(part, row, record),
            Node::Leaf(i) => {
                let (Some(leaf), Some(table)) = (self.leaves.get(*i), self.by_code.get(*i)) else {
                    return false;
                };
                match &leaf.source {
                    Source::Column(field) => {
                        let code = self
                            .store
                            .column(*field)
                            .codes()
                            .get(row)
                            .copied()
                            .unwrap_or(0);
                        table.get(code as usize).copied().unwrap_or(false)
                    }
                    Source::Flag(flag) => table
                        .get(flag_index(self.flag(*flag, row)))
                        .copied()
                        .unwrap_or(false),
                    Source::EventTime => leaf.test_millis(self.millis(row)),
                    Source::Json(_) => leaf.test_json(record),
                }
            }
        }
    }

    /// The text of a column or flag source at `row` (for grouping).
    fn text(&self, source: &Source, row: usize) -> Option<String> {
        match source {
            Source::Column(field) => self.store.value(*field, row).map(str::to_string),
            Source::Flag(flag) => self.flag(*flag, row).to_option().map(|b| b.to_string()),
            Source::EventTime => self.store.time_at(row).map(|t| t.to_rfc3339()),
            Source::Json(_) => None,
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use trailscope_model::{ingest_bytes, Limits};
    use trailscope_testgen::{log_file_json, EventGenerator, TrailSpec};

    /// Every condition evaluated the slow way: each field read from the parsed JSON.
    fn naive(set: &RuleSet, node: &Node, record: &Value) -> bool {
        match node {
            Node::All(parts) => parts.iter().all(|p| naive(set, p, record)),
            Node::Any(parts) => parts.iter().any(|p| naive(set, p, record)),
            Node::Not(part) => !naive(set, part, record),
            Node::Leaf(i) => set.leaves.get(*i).is_some_and(|l| l.test_json(record)),
        }
    }

    #[test]
    fn select_keeps_the_named_rules_and_refuses_unknown_names() {
        let ids = |set: &RuleSet| set.rules().iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let only = RuleSet::builtin().select(&names(&["cis-v6-5.3", "cis-4.5"]), &[]);
        assert_eq!(only.as_ref().map(ids), Ok(names(&["cis-4.3", "cis-4.5"])));
        let all = RuleSet::builtin().rules().len();
        let fewer = RuleSet::builtin().select(&[], &names(&["cis-4.1", "cis-v1.2-3.1"]));
        assert_eq!(fewer.as_ref().map(|s| s.rules().len()), Ok(all - 2));
        assert!(fewer.is_ok_and(|s| s.find("cis-4.1").is_none() && s.find("cis-4.2").is_some()));
        assert_eq!(
            RuleSet::builtin().select(&names(&["cis-4.99"]), &[]).err(),
            Some(RuleError::Unknown("cis-4.99".into()))
        );
        assert_eq!(
            RuleSet::builtin().select(&[], &names(&["nope"])).err(),
            Some(RuleError::Unknown("nope".into()))
        );
    }

    #[test]
    fn column_fast_path_agrees_with_reading_every_record() {
        let json = log_file_json(&mut EventGenerator::new(&TrailSpec::default()), 4000);
        let mut store = Store::new();
        store.load("gen.json", |b| {
            ingest_bytes(json.as_bytes(), Limits::default(), b)
        });
        let conditions = [
            "all: [{field: eventName, in: [ConsoleLogin, CreateUser]}, {not: {field: userIdentity.sessionContext.attributes.mfaAuthenticated, equals: true}}]",
            "any: [{field: errorCode, prefix: Access}, {field: requestParameters.bucketName, exists: true}]",
            "not: {any: [{field: eventSource, equals: s3.amazonaws.com}, {field: tlsDetails.clientProvidedHostHeader, contains: us-east-1}]}",
            "all: [{field: readOnly, equals: false}, {not: {field: userIdentity.accessKeyId, prefix: ASIA}}, {field: eventTime, hour_between: [0, 1]}, {field: eventTime, before: '2024-02-29T00:10:00Z'}]",
            "not: {all: [{field: userAgent, contains: boto3, ignore_case: true}, {not: {field: userIdentity.sessionContext.sessionIssuer.userName, regex: '^(Admin|Deployer)$'}}]}",
            "{field: recipientAccountId, equals: '123456789012'}",
            "any: [{not: {field: managementEvent, equals: true}}, {field: awsRegion, suffix: '-1'}]",
            "all: [{field: eventTime, after: '2024-02-29T00:02:00Z'}, {field: eventTime, weekday_in: [thu]}, {not: {field: errorMessage, exists: true}}]",
        ];
        let rules: Vec<Rule> = conditions
            .iter()
            .enumerate()
            .map(|(i, c)| Rule {
                id: format!("r{i}"),
                aliases: Vec::new(),
                title: String::new(),
                description: String::new(),
                remediation: String::new(),
                severity: crate::Severity::Low,
                references: Vec::new(),
                tactics: Vec::new(),
                techniques: Vec::new(),
                implements: None,
                condition: serde_yaml_ng::from_str(c).unwrap_or(Condition::Any(Vec::new())),
                threshold: None,
                new_value: None,
                business_hours: None,
            })
            .collect();
        let set = RuleSet::new(rules).unwrap_or_default();
        let fast = set.evaluate(&store);
        let mut slow: Vec<Vec<u32>> = vec![Vec::new(); conditions.len()];
        store.records().scan(|row, bytes| {
            let record: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            for (i, rule) in set.compiled.iter().enumerate() {
                if naive(&set, &rule.tree, &record) {
                    slow[i].push(row as u32);
                }
            }
        });
        for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
            assert!(
                !s.is_empty() && s.len() < store.len(),
                "condition {i} should split the events"
            );
            assert_eq!(&f.rows, s, "condition {i}: {}", conditions[i]);
        }
    }
}
