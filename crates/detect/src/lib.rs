//! Detections (rules as data, CIS monitoring set, Sigma import) and Insights-style anomalies.
//!
//! - Rules are data ([`Rule`], read from YAML or JSON with [`parse_rules`], or converted from
//!   Sigma with [`sigma::parse_sigma`]; the format is in RULES.md). A [`RuleSet`] compiles them
//!   and evaluates them over a [`trailscope_store::Store`]: tests on dictionary columns run once
//!   per distinct value, and a record's JSON is decompressed and parsed only when a rule still
//!   depends on it, once for all rules. [`RuleSet::builtin`] holds the CIS AWS Foundations
//!   monitoring set (all three numberings) and a few more.
//! - [`findings`] turns matches into exportable findings ([`findings_json`], [`findings_csv`]).
//! - [`anomaly::detect_anomalies`] finds unusual API call and error rates (Trailscope's own
//!   model, ANOMALIES.md) in the shape of CloudTrail Insights events, robust to periodic
//!   traffic, repeats merged; [`anomaly::behaviour::detect_behaviour`] finds unusual behaviour
//!   of principals, access keys and addresses (volumes, first uses, rare resources); both are
//!   scored so the few that matter come first. [`insight_events`] lists the real Insights
//!   events of the logs.
//!
//! The crate has no I/O, clock or threads, so it runs the same natively and in wasm.
//!
//! ```
//! use trailscope_detect::{findings, RuleSet};
//! use trailscope_model::{ingest_bytes, Limits};
//! use trailscope_store::Store;
//!
//! let log = br#"{"Records":[{"eventID":"1","eventTime":"2024-02-28T21:47:12Z",
//!   "eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}]}"#;
//! let mut store = Store::new();
//! store.load("log.json", |b| ingest_bytes(log, Limits::default(), b));
//! let rules = RuleSet::builtin();
//! let matches = rules.evaluate(&store);
//! let found = findings(&rules, &matches, &store);
//! assert_eq!(found[0].rule, "cloudtrail-stopped-or-deleted");
//! assert_eq!(found[0].event_ids, ["1"]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anomaly;
mod builtin;
mod condition;
pub mod emit_sql;
mod engine;
mod export;
mod insight;
mod rule;
pub mod sigma;
mod time;

pub use builtin::{builtin_rules, BUILTIN_RULES_YAML};
pub use condition::{Cmp, Condition, ConditionDoc, Match, OneOrMany, Operator, Scalar};
pub use engine::{RuleMatch, RuleSet, ThresholdHit};
pub use export::{findings, findings_csv, findings_json, spread, Finding, Spread, ValueCount};
pub use insight::{insight_events, InsightEvent};
pub use rule::{parse_rules, Implements, NewValue, Rule, RuleError, Severity, Tactic, Threshold};
pub use time::{BusinessHours, ClockOffset, DayOfWeek};
