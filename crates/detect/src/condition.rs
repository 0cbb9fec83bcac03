//! The condition tree of a rule: field tests combined with `all`, `any` and `not`.
//!
//! In files a condition is a map with exactly one of `all`, `any`, `not` or `field` (plus one
//! operator). The typed tree is converted to and from that flat form ([`ConditionDoc`]) so that
//! a typo or a missing operator gets an error that names it.

use serde::{Deserialize, Serialize};
use trailscope_model::{Cidr, Timestamp};

use crate::time::{ClockOffset, DayOfWeek};

/// A condition on one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConditionDoc", into = "ConditionDoc")]
pub enum Condition {
    /// Every part holds.
    All(Vec<Condition>),
    /// At least one part holds.
    Any(Vec<Condition>),
    /// The part does not hold.
    Not(Box<Condition>),
    /// A test of one field.
    Match(Match),
}

/// A test of one field path (`userIdentity.type`, `resources.ARN`).
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// CloudTrail dot path; arrays on the way are traversed (any element may match).
    pub field: String,
    /// The test.
    pub op: Operator,
    /// Compare strings without regard to case.
    pub ignore_case: bool,
}

/// Numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

/// What a field test checks. String tests hold when any of the values matches.
#[derive(Clone, Debug, PartialEq)]
pub enum Operator {
    /// Equal to one of the values.
    Equals(Vec<String>),
    /// Starts with one of the values.
    Prefix(Vec<String>),
    /// Ends with one of the values.
    Suffix(Vec<String>),
    /// Contains one of the values.
    Contains(Vec<String>),
    /// Matches the regular expression (`regex` crate syntax, unanchored).
    Regex(String),
    /// An IP address in one of the ranges.
    Cidr(Vec<Cidr>),
    /// Equal to the value of another field of the same event (Sigma's `|fieldref`).
    FieldRef(String),
    /// The field is present (not null, not empty) or, with `false`, absent.
    Exists(bool),
    /// The field is missing or null (`true`), or has a value, the empty string included
    /// (`false`). Sigma's `field: null` and `|exists`.
    IsNull(bool),
    /// A number compared with the value.
    Number(Cmp, f64),
    /// A time strictly before (unix millis).
    Before(i64),
    /// A time at or after (unix millis).
    After(i64),
    /// A time whose local hour is in `[from, to)` (wrapping past midnight when `from > to`).
    HourBetween {
        /// First hour.
        from: u8,
        /// End hour (exclusive).
        to: u8,
        /// Time zone.
        offset: ClockOffset,
    },
    /// A time on one of the local weekdays.
    DayOfWeek {
        /// Days.
        days: Vec<DayOfWeek>,
        /// Time zone.
        offset: ClockOffset,
    },
    /// A time within (`true`) or outside (`false`) the rule's business hours.
    BusinessHours(bool),
}

impl Condition {
    /// A field test.
    pub fn field(field: &str, op: Operator) -> Condition {
        Condition::Match(Match {
            field: field.to_string(),
            op,
            ignore_case: false,
        })
    }

    /// Every field test, in order.
    pub fn matches(&self) -> Vec<&Match> {
        let mut out = Vec::new();
        self.walk(&mut |m| out.push(m));
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Match)) {
        match self {
            Condition::All(parts) | Condition::Any(parts) => parts.iter().for_each(|p| p.walk(f)),
            Condition::Not(part) => part.walk(f),
            Condition::Match(m) => f(m),
        }
    }

    pub(crate) fn uses_business_hours(&self) -> bool {
        self.matches()
            .iter()
            .any(|m| matches!(m.op, Operator::BusinessHours(_)))
    }
}

/// A value in a rule file: strings, numbers and booleans all compare as their text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// Text.
    Str(String),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s,
        }
    }
}

/// One value or a list of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(Scalar),
    /// Several values (any may match).
    Many(Vec<Scalar>),
}

impl OneOrMany {
    fn into_texts(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.into_text()],
            OneOrMany::Many(v) => v.into_iter().map(Scalar::into_text).collect(),
        }
    }

    fn from_texts(mut v: Vec<String>) -> OneOrMany {
        if v.len() == 1 {
            OneOrMany::One(Scalar::Str(v.remove(0)))
        } else {
            OneOrMany::Many(v.into_iter().map(Scalar::Str).collect())
        }
    }
}

/// The file form of a condition: one key of `all`/`any`/`not`, or `field` with one operator.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not: Option<Box<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<OneOrMany>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    in_list: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suffix: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contains: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cidr: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_null: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hour_between: Option<[u8; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weekday_in: Option<Vec<DayOfWeek>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    business_hours: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    utc_offset: Option<ClockOffset>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    ignore_case: bool,
}

fn time_value(text: &str) -> Result<i64, String> {
    Timestamp::parse_rfc3339(text)
        .map(Timestamp::unix_millis)
        .ok_or_else(|| format!("bad time {text:?} (expected RFC 3339, e.g. 2024-02-28T21:47:12Z)"))
}

impl TryFrom<ConditionDoc> for Condition {
    type Error = String;

    fn try_from(d: ConditionDoc) -> Result<Self, Self::Error> {
        let offset = d.utc_offset.unwrap_or_default();
        let mut ops: Vec<Operator> = Vec::new();
        if let Some(v) = d.equals {
            ops.push(Operator::Equals(v.into_texts()));
        }
        if let Some(v) = d.in_list {
            ops.push(Operator::Equals(
                v.into_iter().map(Scalar::into_text).collect(),
            ));
        }
        if let Some(v) = d.prefix {
            ops.push(Operator::Prefix(v.into_texts()));
        }
        if let Some(v) = d.suffix {
            ops.push(Operator::Suffix(v.into_texts()));
        }
        if let Some(v) = d.contains {
            ops.push(Operator::Contains(v.into_texts()));
        }
        if let Some(v) = d.regex {
            ops.push(Operator::Regex(v));
        }
        if let Some(v) = d.cidr {
            let ranges = v
                .into_texts()
                .iter()
                .map(|t| {
                    Cidr::parse(t).ok_or_else(|| {
                        format!("cidr {t:?}: not an address range (e.g. 10.0.0.0/8)")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ops.push(Operator::Cidr(ranges));
        }
        if let Some(v) = d.field_ref {
            ops.push(Operator::FieldRef(v));
        }
        if let Some(v) = d.exists {
            ops.push(Operator::Exists(v));
        }
        if let Some(v) = d.is_null {
            ops.push(Operator::IsNull(v));
        }
        for (v, cmp) in [
            (d.gt, Cmp::Gt),
            (d.gte, Cmp::Gte),
            (d.lt, Cmp::Lt),
            (d.lte, Cmp::Lte),
        ] {
            if let Some(v) = v {
                ops.push(Operator::Number(cmp, v));
            }
        }
        if let Some(v) = d.before {
            ops.push(Operator::Before(time_value(&v)?));
        }
        if let Some(v) = d.after {
            ops.push(Operator::After(time_value(&v)?));
        }
        if let Some([from, to]) = d.hour_between {
            if from > 23 || to > 24 {
                return Err(format!("hour_between [{from}, {to}]: hours are 0-24"));
            }
            ops.push(Operator::HourBetween {
                from,
                to: to % 24,
                offset,
            });
        }
        if let Some(days) = d.weekday_in {
            ops.push(Operator::DayOfWeek { days, offset });
        }
        if let Some(v) = d.business_hours {
            ops.push(Operator::BusinessHours(v));
        }
        let combinators = [d.all.is_some(), d.any.is_some(), d.not.is_some()]
            .iter()
            .filter(|&&b| b)
            .count();
        match (combinators, d.field) {
            (1, None) if ops.is_empty() => Ok(match (d.all, d.any, d.not) {
                (Some(parts), _, _) => Condition::All(parts),
                (_, Some(parts), _) => Condition::Any(parts),
                (_, _, Some(part)) => Condition::Not(part),
                _ => return Err("internal: no combinator".into()),
            }),
            (0, Some(field)) => {
                if field.trim().is_empty() {
                    return Err("empty field path".into());
                }
                if ops.len() != 1 {
                    return Err(format!(
                        "field {field}: needs exactly one operator (equals, in, prefix, suffix, contains, regex, cidr, field_ref, exists, is_null, gt, gte, lt, lte, before, after, hour_between, weekday_in, business_hours), found {}",
                        ops.len()
                    ));
                }
                let op = ops.remove(0);
                Ok(Condition::Match(Match {
                    field,
                    op,
                    ignore_case: d.ignore_case,
                }))
            }
            (0, None) => Err("a condition needs one of all, any, not or field".into()),
            _ => Err("a condition has exactly one of all, any, not or field (+ operator)".into()),
        }
    }
}

impl From<Condition> for ConditionDoc {
    fn from(c: Condition) -> ConditionDoc {
        let mut d = ConditionDoc::default();
        match c {
            Condition::All(parts) => d.all = Some(parts),
            Condition::Any(parts) => d.any = Some(parts),
            Condition::Not(part) => d.not = Some(part),
            Condition::Match(m) => {
                d.field = Some(m.field);
                d.ignore_case = m.ignore_case;
                match m.op {
                    Operator::Equals(v) if v.len() == 1 => {
                        d.equals = Some(OneOrMany::from_texts(v))
                    }
                    Operator::Equals(v) => {
                        d.in_list = Some(v.into_iter().map(Scalar::Str).collect())
                    }
                    Operator::Prefix(v) => d.prefix = Some(OneOrMany::from_texts(v)),
                    Operator::Suffix(v) => d.suffix = Some(OneOrMany::from_texts(v)),
                    Operator::Contains(v) => d.contains = Some(OneOrMany::from_texts(v)),
                    Operator::Regex(v) => d.regex = Some(v),
                    Operator::Cidr(v) => {
                        d.cidr = Some(OneOrMany::from_texts(
                            v.iter().map(ToString::to_string).collect(),
                        ))
                    }
                    Operator::FieldRef(v) => d.field_ref = Some(v),
                    Operator::Exists(v) => d.exists = Some(v),
                    Operator::IsNull(v) => d.is_null = Some(v),
                    Operator::Number(Cmp::Gt, v) => d.gt = Some(v),
                    Operator::Number(Cmp::Gte, v) => d.gte = Some(v),
                    Operator::Number(Cmp::Lt, v) => d.lt = Some(v),
                    Operator::Number(Cmp::Lte, v) => d.lte = Some(v),
                    Operator::Before(t) => {
                        d.before = Some(Timestamp::from_unix_millis(t).to_rfc3339())
                    }
                    Operator::After(t) => {
                        d.after = Some(Timestamp::from_unix_millis(t).to_rfc3339())
                    }
                    Operator::HourBetween { from, to, offset } => {
                        d.hour_between = Some([from, to]);
                        d.utc_offset = Some(offset);
                    }
                    Operator::DayOfWeek { days, offset } => {
                        d.weekday_in = Some(days);
                        d.utc_offset = Some(offset);
                    }
                    Operator::BusinessHours(v) => d.business_hours = Some(v),
                }
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Condition, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trips_through_the_file_form() {
        let yaml = "all:\n- {field: sourceIPAddress, cidr: [10.0.0.0/8, '2001:db8::/32']}\n- {field: userIdentity.userName, field_ref: requestParameters.userName}\n- {field: errorMessage, is_null: true}\n- {field: eventName, in: [A, B]}\n- not: {field: errorCode, exists: true}\n- any:\n  - {field: requestParameters.port, gte: 22}\n  - {field: eventTime, hour_between: [22, 6], utc_offset: '+02:00'}\n  - {field: userAgent, contains: curl, ignore_case: true}\n";
        let c = parse(yaml).unwrap_or(Condition::All(vec![]));
        assert_eq!(c.matches().len(), 8);
        let back = serde_yaml_ng::to_string(&c).unwrap_or_default();
        assert_eq!(parse(&back), Ok(c));
    }

    #[test]
    fn rejects_ambiguous_and_empty_conditions() {
        assert!(parse("{field: eventName, equals: A, prefix: B}")
            .is_err_and(|e| e.contains("exactly one operator")));
        assert!(parse("{field: eventName}").is_err());
        assert!(parse("{all: [], field: x, equals: y}").is_err());
        assert!(parse("{}").is_err_and(|e| e.contains("needs one of")));
        assert!(
            parse("{field: eventTime, before: yesterday}").is_err_and(|e| e.contains("yesterday"))
        );
        assert!(parse("{field: sourceIPAddress, cidr: 10.0.0/8}")
            .is_err_and(|e| e.contains("10.0.0/8")));
        assert_eq!(
            parse("{field: x, equals: 3}"),
            Ok(Condition::field("x", Operator::Equals(vec!["3".into()])))
        );
    }
}
