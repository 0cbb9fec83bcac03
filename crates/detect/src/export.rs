//! Findings: rule matches with their rule's metadata and event ids, exportable as JSON or CSV.

use serde::Serialize;
use trailscope_store::Store;

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
    /// Rule severity.
    pub severity: Severity,
    /// ATT&CK tactics (kebab-case names).
    pub tactics: Vec<Tactic>,
    /// Matching events.
    pub events: usize,
    /// Their `eventID`s (in store row order; events without one are left out).
    pub event_ids: Vec<String>,
    /// Their store rows.
    #[serde(skip)]
    pub rows: Vec<u32>,
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
                severity: rule.severity,
                tactics: rule.tactics.clone(),
                events: m.rows.len(),
                event_ids: m
                    .rows
                    .iter()
                    .filter_map(|&r| store.event_id(r as usize).map(str::to_string))
                    .collect(),
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

/// CSV, one line per finding: `rule,aliases,title,severity,tactics,events,event_ids` (lists are
/// joined with `;`), through the project's one CSV writer (quoted, formulas neutralized).
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
        ],
        findings.iter().map(|f| {
            let tactics: Vec<&str> = f.tactics.iter().map(|t| t.as_str()).collect();
            [
                f.rule.clone(),
                f.aliases.join(";"),
                f.title.clone(),
                f.severity.as_str().to_string(),
                tactics.join(";"),
                f.events.to_string(),
                f.event_ids.join(";"),
            ]
        }),
    )
}
