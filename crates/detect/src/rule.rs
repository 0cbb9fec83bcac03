//! Rules as data: what a rule says, in the form rule files (YAML or JSON) write it.
//!
//! RULES.md documents the format with examples. Rules are validated when a [`crate::RuleSet`] is
//! built from them (regexes compile, hours are in range), so a bad file is reported before any
//! event is looked at.

use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::time::{BusinessHours, ClockOffset};

/// How serious a match is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The name rule files use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A MITRE ATT&CK (Enterprise) tactic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // the variants are ATT&CK's own names
pub enum Tactic {
    Reconnaissance,
    ResourceDevelopment,
    InitialAccess,
    Execution,
    Persistence,
    PrivilegeEscalation,
    DefenseEvasion,
    CredentialAccess,
    Discovery,
    LateralMovement,
    Collection,
    CommandAndControl,
    Exfiltration,
    Impact,
}

impl Tactic {
    /// Every tactic.
    pub const ALL: [Tactic; 14] = [
        Tactic::Reconnaissance,
        Tactic::ResourceDevelopment,
        Tactic::InitialAccess,
        Tactic::Execution,
        Tactic::Persistence,
        Tactic::PrivilegeEscalation,
        Tactic::DefenseEvasion,
        Tactic::CredentialAccess,
        Tactic::Discovery,
        Tactic::LateralMovement,
        Tactic::Collection,
        Tactic::CommandAndControl,
        Tactic::Exfiltration,
        Tactic::Impact,
    ];

    /// The ATT&CK id (`TA0005`).
    pub const fn id(self) -> &'static str {
        match self {
            Tactic::Reconnaissance => "TA0043",
            Tactic::ResourceDevelopment => "TA0042",
            Tactic::InitialAccess => "TA0001",
            Tactic::Execution => "TA0002",
            Tactic::Persistence => "TA0003",
            Tactic::PrivilegeEscalation => "TA0004",
            Tactic::DefenseEvasion => "TA0005",
            Tactic::CredentialAccess => "TA0006",
            Tactic::Discovery => "TA0007",
            Tactic::LateralMovement => "TA0008",
            Tactic::Collection => "TA0009",
            Tactic::CommandAndControl => "TA0011",
            Tactic::Exfiltration => "TA0010",
            Tactic::Impact => "TA0040",
        }
    }

    /// The kebab-case name rule files use (`defense-evasion`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Tactic::Reconnaissance => "reconnaissance",
            Tactic::ResourceDevelopment => "resource-development",
            Tactic::InitialAccess => "initial-access",
            Tactic::Execution => "execution",
            Tactic::Persistence => "persistence",
            Tactic::PrivilegeEscalation => "privilege-escalation",
            Tactic::DefenseEvasion => "defense-evasion",
            Tactic::CredentialAccess => "credential-access",
            Tactic::Discovery => "discovery",
            Tactic::LateralMovement => "lateral-movement",
            Tactic::Collection => "collection",
            Tactic::CommandAndControl => "command-and-control",
            Tactic::Exfiltration => "exfiltration",
            Tactic::Impact => "impact",
        }
    }

    /// The tactic of a Sigma tag (`attack.defense_evasion`, `attack.defense-evasion`).
    pub fn from_sigma_tag(tag: &str) -> Option<Tactic> {
        let name = tag.strip_prefix("attack.")?.replace('_', "-");
        Tactic::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Counting matches: the rule fires when at least `count` matching events fall within
/// `window_seconds` of each other, counted separately per value of `group_by`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Matching events needed within the window.
    pub count: u32,
    /// Window length.
    pub window_seconds: u32,
    /// Field path whose values are counted apart (`sourceIPAddress`); absent: one group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
}

/// First sightings: the rule fires on a matching event whose `field` value no earlier matching
/// event of the same `per` value had ("a console sign-in from an IP this user never used").
/// A `per` value's first event is its baseline and never fires: with no history, everything
/// would be new. Events without a `field` value are never new.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewValue {
    /// Field path whose values are tracked (`sourceIPAddress`).
    pub field: String,
    /// Field path whose values keep separate histories (`userIdentity.arn`); absent: one history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
}

/// The published filter a rule implements, kept verbatim with where it is published, so a
/// reader can check the rule against its source (the CIS metric filters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Implements {
    /// The publication and control (`CIS AWS Foundations Benchmark v1.4.0-v5.0.0 4.2`).
    pub benchmark: String,
    /// The filter as published (a CloudWatch Logs metric filter pattern).
    pub filter: String,
}

/// One detection rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id (`cis-4.1`).
    pub id: String,
    /// Other ids of the same rule (`cis-v1.2-3.1`), e.g. other benchmark numberings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Short title.
    pub title: String,
    /// What the rule finds and why it matters.
    #[serde(default)]
    pub description: String,
    /// What to do about a match: how to confirm it and how to respond.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    /// How serious a match is.
    pub severity: Severity,
    /// Where the rule comes from (URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// ATT&CK tactics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<Tactic>,
    /// ATT&CK technique ids (`T1078.004`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// The published filter the condition implements, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implements: Option<Implements>,
    /// What an event must satisfy.
    pub condition: Condition,
    /// Makes the rule a counting rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// Makes the rule a first-sighting rule (not with `threshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<NewValue>,
    /// The hours `business_hours` conditions test (default 08:00-18:00 UTC, Monday-Friday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<BusinessHours>,
}

impl Rule {
    /// The business hours this rule's `business_hours` conditions use.
    pub fn hours(&self) -> BusinessHours {
        self.business_hours.clone().unwrap_or_default()
    }

    /// Whether any condition of the rule tests business hours.
    pub fn uses_business_hours(&self) -> bool {
        self.condition.uses_business_hours()
    }

    /// Sets the business hours (and their time zone) of a rule that tests them.
    pub fn set_business_hours(
        &mut self,
        start_hour: u8,
        end_hour: u8,
        offset: Option<ClockOffset>,
    ) {
        let mut hours = self.hours();
        hours.start_hour = start_hour;
        hours.end_hour = end_hour;
        if let Some(offset) = offset {
            hours.utc_offset = offset;
        }
        self.business_hours = Some(hours);
    }
}

/// A rule file that could not be read or a rule that is not valid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    /// The text is not YAML/JSON of the rule format.
    #[error("not a valid rule file: {0}")]
    Syntax(String),
    /// A rule is malformed.
    #[error("rule {rule}: {problem}")]
    Invalid {
        /// The rule's id (or its position when it has none).
        rule: String,
        /// What is wrong.
        problem: String,
    },
    /// Two rules share an id or alias.
    #[error("duplicate rule id {0}")]
    Duplicate(String),
    /// A rule was chosen by a name no rule has.
    #[error("no rule has the id or alias {0:?}")]
    Unknown(String),
}

/// How deep `{...}` / `[...]` may nest in a rule file. The YAML parser stops block nesting itself
/// (its recursion limit), but deep flow nesting costs it quadratic time first: 100,000 levels
/// (700 KB) took 30 s. Real rule files nest a few levels.
pub(crate) const MAX_FLOW_DEPTH: usize = 256;

/// Refuses text whose brackets (outside quoted strings) nest deeper than [`MAX_FLOW_DEPTH`].
pub(crate) fn check_flow_depth(text: &str) -> Result<(), String> {
    let (mut depth, mut quote) = (0usize, None::<u8>);
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match (quote, b) {
            (Some(b'"'), b'\\') => {
                bytes.next();
            }
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'{' | b'[') => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(format!(
                        "brackets nested deeper than {MAX_FLOW_DEPTH} levels"
                    ));
                }
            }
            (None, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Reads rules from YAML or JSON (JSON is YAML): one rule, a list of rules, `{rules: [...]}`, or
/// several YAML documents separated by `---`.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, RuleError> {
    check_flow_depth(text).map_err(RuleError::Syntax)?;
    let mut rules = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = serde_yaml_ng::Value::deserialize(document)
            .map_err(|e| RuleError::Syntax(e.to_string()))?;
        let items = match value {
            serde_yaml_ng::Value::Null => continue,
            serde_yaml_ng::Value::Sequence(items) => items,
            serde_yaml_ng::Value::Mapping(map) => match map.get("rules") {
                Some(serde_yaml_ng::Value::Sequence(items)) => items.clone(),
                Some(_) => return Err(RuleError::Syntax("`rules` must be a list".into())),
                None => vec![serde_yaml_ng::Value::Mapping(map)],
            },
            _ => {
                return Err(RuleError::Syntax(
                    "expected a rule, a list of rules or {rules: [...]}".into(),
                ))
            }
        };
        for item in items {
            let name = item
                .get("id")
                .and_then(|v| v.as_str())
                .map_or_else(|| format!("#{}", rules.len() + 1), str::to_string);
            let rule: Rule = serde_yaml_ng::from_value(item).map_err(|e| RuleError::Invalid {
                rule: name,
                problem: e.to_string(),
            })?;
            rules.push(rule);
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_json_lists_and_documents() {
        let yaml = "id: a\ntitle: A\nseverity: low\ncondition: {field: eventName, equals: X}\n";
        assert_eq!(parse_rules(yaml).map(|r| r.len()), Ok(1));
        let json = r#"{"rules":[{"id":"a","title":"A","severity":"high","condition":{"field":"eventName","in":["X","Y"]}}]}"#;
        let rules = parse_rules(json).unwrap_or_default();
        assert_eq!(rules.first().map(|r| r.severity), Some(Severity::High));
        let two = format!("{yaml}---\n{}", yaml.replace("id: a", "id: b"));
        assert_eq!(parse_rules(&two).map(|r| r.len()), Ok(2));
    }

    #[test]
    fn names_the_bad_rule_and_field() {
        let bad = "- id: ok\n  title: T\n  severity: low\n  condition: {field: eventName, equals: X}\n- id: typo\n  title: T\n  severity: urgent\n  condition: {field: eventName, equals: X}\n";
        let err = parse_rules(bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("typo") && err.contains("urgent"), "{err}");
        let unknown = "id: x\ntitle: T\nseverity: low\ncondition: {field: eventName, equls: X}\n";
        let err = parse_rules(unknown)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("equls"), "{err}");
    }

    #[test]
    fn deeply_nested_rule_files_are_an_error_not_a_stack_overflow() {
        for depth in [200, 100_000] {
            let condition = format!(
                "{}{{field: eventName, equals: X}}{}",
                "{not: ".repeat(depth),
                "}".repeat(depth)
            );
            let text = format!("id: deep\ntitle: T\nseverity: low\ncondition: {condition}\n");
            let err = parse_rules(&text).err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains("recursion") || e.contains("nested deeper")),
                "{depth}: {err:?}"
            );
        }
    }

    #[test]
    fn brackets_in_quotes_do_not_count_as_nesting() {
        let quoted = format!(
            "a: '{}'\nb: \"{}\\\"\"\n",
            "[".repeat(1000),
            "{".repeat(1000)
        );
        assert_eq!(check_flow_depth(&quoted), Ok(()));
        assert!(check_flow_depth(&"[".repeat(MAX_FLOW_DEPTH + 1)).is_err());
        assert_eq!(check_flow_depth(&"[]".repeat(10_000)), Ok(()));
    }

    #[test]
    fn tactics_from_sigma_tags() {
        assert_eq!(
            Tactic::from_sigma_tag("attack.defense_evasion"),
            Some(Tactic::DefenseEvasion)
        );
        assert_eq!(Tactic::from_sigma_tag("attack.t1562"), None);
        assert_eq!(Tactic::Impact.id(), "TA0040");
    }
}
