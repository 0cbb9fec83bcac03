//! Findings: rule matches with their rule's metadata and event ids, exportable as JSON or CSV.

use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Store};

use crate::engine::{RuleMatch, RuleSet};
use crate::rule::{Severity, Tactic};

/// One rule's matches, ready to show or export.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    /// Other ids of the rule.
    pub aliases: Vec<String>,
    /// Rule title.
    pub title: String,
    /// What the rule finds and why it matters.
    pub description: String,
    /// What to do about a match (empty when the rule gives none, as Sigma rules do).
    pub remediation: String,
    /// Rule severity.
    pub severity: Severity,
    /// ATT&CK tactics (kebab-case names).
    pub tactics: Vec<Tactic>,
    /// Matching events.
    pub events: usize,
    /// Their `eventID`s (in store row order; events without one are left out).
    pub event_ids: Vec<String>,
    /// When and by whom.
    #[serde(flatten)]
    pub spread: Spread,
    /// Their store rows.
    #[serde(skip)]
    pub rows: Vec<u32>,
}

/// How many of a finding's events have a value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    /// The value.
    pub value: String,
    /// Events with it.
    pub events: u64,
}

/// When a finding's events happened and who made them from where: what an analyst asks first
/// about a hit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    /// The earliest event's time (RFC 3339).
    pub first_seen: Option<String>,
    /// The latest event's time.
    pub last_seen: Option<String>,
    /// The callers (as people read them) with the most events, most first.
    pub top_principals: Vec<ValueCount>,
    /// The source addresses with the most events, most first.
    pub top_source_ips: Vec<ValueCount>,
}

/// Values listed in a [`Spread`]'s tops.
pub const SPREAD_TOP: usize = 5;

/// The [`Spread`] of the events at `rows`.
pub fn spread(store: &Store, rows: &[u32]) -> Spread {
    let times = rows
        .iter()
        .filter_map(|&r| store.time_at(r as usize))
        .map(|t| t.unix_millis());
    let (first, last) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
        (
            Some(lo.map_or(t, |l| l.min(t))),
            Some(hi.map_or(t, |h| h.max(t))),
        )
    });
    let at = |m: i64| trailscope_model::Timestamp::from_unix_millis(m).to_rfc3339();
    Spread {
        first_seen: first.map(at),
        last_seen: last.map(at),
        top_principals: top(store, rows, Field::User),
        top_source_ips: top(store, rows, Field::SourceIp),
    }
}

/// The most frequent values of `field` over `rows` (ties by value, so the order is stable).
fn top(store: &Store, rows: &[u32], field: Field) -> Vec<ValueCount> {
    let column = store.column(field);
    let mut counts: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
    for &r in rows {
        let code = column.code(r as usize);
        if code != trailscope_store::ABSENT {
            *counts.entry(code).or_default() += 1;
        }
    }
    let mut out: Vec<ValueCount> = counts
        .into_iter()
        .filter_map(|(code, events)| {
            column.value(code).map(|v| ValueCount {
                value: v.to_string(),
                events,
            })
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    out.truncate(SPREAD_TOP);
    out
}

/// The findings of `matches` (rules that matched nothing are left out), most severe first.
pub fn findings(set: &RuleSet, matches: &[RuleMatch], store: &Store) -> Vec<Finding> {
    let mut out: Vec<Finding> = matches
        .iter()
        .filter(|m| !m.rows.is_empty())
        .filter_map(|m| {
            let rule = set.rules().get(m.rule)?;
            Some(Finding {
                rule: rule.id.clone(),
                aliases: rule.aliases.clone(),
                title: rule.title.clone(),
                description: rule.description.clone(),
                remediation: rule.remediation.clone(),
                severity: rule.severity,
                tactics: rule.tactics.clone(),
                events: m.rows.len(),
                event_ids: m
                    .rows
                    .iter()
                    .filter_map(|&r| store.event_id(r as usize).map(str::to_string))
                    .collect(),
                spread: spread(store, &m.rows),
                rows: m.rows.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
    out
}

/// `{"findings":[...]}`.
pub fn findings_json(findings: &[Finding]) -> String {
    serde_json::json!({ "findings": findings }).to_string()
}

/// CSV, one line per finding: `rule,aliases,title,severity,tactics,events,event_ids,first_seen,
/// last_seen,top_principals,top_source_ips,description,remediation` (the two texts last, so
/// the columns of earlier versions keep their places; lists are joined with `;`, a top value followed by
/// its count: `alice (12)`), through the project's one CSV writer (quoted, formulas
/// neutralized).
pub fn findings_csv(findings: &[Finding]) -> String {
    trailscope_model::csv_document(
        &[
            "rule",
            "aliases",
            "title",
            "severity",
            "tactics",
            "events",
            "event_ids",
            "first_seen",
            "last_seen",
            "top_principals",
            "top_source_ips",
            "description",
            "remediation",
        ],
        findings.iter().map(|f| {
            let tactics: Vec<&str> = f.tactics.iter().map(|t| t.as_str()).collect();
            let tops = |list: &[ValueCount]| {
                list.iter()
                    .map(|v| format!("{} ({})", v.value, v.events))
                    .collect::<Vec<_>>()
                    .join(";")
            };
            [
                f.rule.clone(),
                f.aliases.join(";"),
                f.title.clone(),
                f.severity.as_str().to_string(),
                tactics.join(";"),
                f.events.to_string(),
                f.event_ids.join(";"),
                f.spread.first_seen.clone().unwrap_or_default(),
                f.spread.last_seen.clone().unwrap_or_default(),
                tops(&f.spread.top_principals),
                tops(&f.spread.top_source_ips),
                f.description.clone(),
                f.remediation.clone(),
            ]
        }),
    )
}
