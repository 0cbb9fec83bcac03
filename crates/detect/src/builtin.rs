//! The built-in rules: the CIS AWS Foundations monitoring set and a few more, kept as data in
//! `rules/builtin.yaml` so users can read, copy and adapt them.

use crate::engine::RuleSet;
use crate::rule::{parse_rules, Rule};

/// The built-in rule file (YAML).
pub const BUILTIN_RULES_YAML: &str = include_str!("../rules/builtin.yaml");

/// The built-in rules. (The file is checked by the tests, so it always parses.)
pub fn builtin_rules() -> Vec<Rule> {
    parse_rules(BUILTIN_RULES_YAML).unwrap_or_default()
}

impl RuleSet {
    /// A rule set of the built-in rules.
    pub fn builtin() -> RuleSet {
        RuleSet::new(builtin_rules()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_is_valid_and_complete() {
        let rules = parse_rules(BUILTIN_RULES_YAML);
        assert!(rules.is_ok(), "{rules:?}");
        let set = RuleSet::new(builtin_rules());
        assert!(set.is_ok(), "{set:?}");
        let set = RuleSet::builtin();
        for n in 1..=15 {
            let rule = set.find(&format!("cis-4.{n}"));
            assert!(rule.is_some(), "cis-4.{n}");
            assert_eq!(
                set.find(&format!("cis-v6-5.{n}")).map(|r| &r.id),
                rule.map(|r| &r.id)
            );
            assert!(rule.is_some_and(|r| r.implements.is_some()), "cis-4.{n}");
            // v1.2.0's 3.1 and 3.13 differ from the later filters: rules of their own.
            let v12 = set.find(&format!("cis-v1.2-3.{n}")).map(|r| r.id.clone());
            match n {
                1 | 13 => assert_eq!(v12, Some(format!("cis-v1.2-3.{n}"))),
                15 => assert_eq!(v12, None),
                _ => assert_eq!(v12.as_ref(), rule.map(|r| &r.id)),
            }
        }
        assert!(set
            .find("cis-4.2-sso")
            .is_some_and(|r| r.implements.is_some()));
        for rule in set.rules() {
            assert!(
                !rule.references.is_empty() && !rule.tactics.is_empty(),
                "{}",
                rule.id
            );
            assert!(
                rule.references.iter().all(|r| r.starts_with("https://")),
                "{}",
                rule.id
            );
            // What it finds and what to do about it, in words an analyst can act on.
            assert!(rule.description.len() > 40, "{}: description", rule.id);
            assert!(rule.remediation.len() > 60, "{}: remediation", rule.id);
            assert!(
                !rule.remediation.contains('\n'),
                "{}: remediation is folded text",
                rule.id
            );
        }
    }
}
