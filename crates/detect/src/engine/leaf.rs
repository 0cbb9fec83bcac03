//! One compiled field test: where its value comes from (a store column or the parsed JSON) and
//! the check, ready to run on a string, a time or a JSON value.

use regex::{Regex, RegexBuilder};
use serde_json::Value;
use trailscope_model::{Cidr, Timestamp};
use trailscope_store::Field;

use crate::condition::{Cmp, Match, Operator};
use crate::time::{hour_in, local_weekday, BusinessHours, ClockOffset, DayOfWeek};

/// Where a field path's value is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A dictionary column of the store (tested once per distinct value).
    Column(Field),
    /// `readOnly` / `managementEvent`: the store's flag columns.
    Flag(FlagField),
    /// `eventTime` as the store's time column (for time tests).
    EventTime,
    /// Anything else: the record's JSON, path split at dots.
    Json(Vec<String>),
}

/// A boolean field the store keeps as a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlagField {
    ReadOnly,
    Management,
}

/// Columns whose stored value is exactly the record's value at that path (empty = absent).
/// `recipientAccountId` is not among them: its column falls back to the caller's account.
const COLUMN_PATHS: [Field; 14] = [
    Field::EventName,
    Field::EventSource,
    Field::AwsRegion,
    Field::SourceIp,
    Field::User,
    Field::IdentityType,
    Field::PrincipalArn,
    Field::AccessKeyId,
    Field::SessionIssuer,
    Field::ErrorCode,
    Field::ErrorMessage,
    Field::UserAgent,
    Field::EventType,
    Field::EventCategory,
];

impl Source {
    /// Where `path` is read from for a test of kind `op`.
    pub(crate) fn of(path: &str, op: &Operator) -> Source {
        if let Some(&field) = COLUMN_PATHS.iter().find(|f| f.path() == path) {
            return Source::Column(field);
        }
        match path {
            "readOnly" => Source::Flag(FlagField::ReadOnly),
            "managementEvent" => Source::Flag(FlagField::Management),
            "eventTime" if op.is_time() => Source::EventTime,
            _ => Source::Json(path.split('.').map(str::to_string).collect()),
        }
    }

    pub(crate) fn is_json(&self) -> bool {
        matches!(self, Source::Json(_))
    }
}

impl Operator {
    fn is_time(&self) -> bool {
        matches!(
            self,
            Operator::Before(_)
                | Operator::After(_)
                | Operator::HourBetween { .. }
                | Operator::DayOfWeek { .. }
                | Operator::BusinessHours(_)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextKind {
    Equals,
    Prefix,
    Suffix,
    Contains,
}

#[derive(Debug)]
enum Check {
    Exists(bool),
    Text {
        kind: TextKind,
        values: Vec<String>,
        ignore_case: bool,
    },
    Regex(Regex),
    Cidr(Vec<Cidr>),
    /// The other field's path.
    FieldRef(Vec<String>, bool),
    IsNull(bool),
    Number(Cmp, f64),
    Before(i64),
    After(i64),
    Hour(u8, u8, ClockOffset),
    DayOfWeek(Vec<DayOfWeek>, ClockOffset),
    Business(bool, BusinessHours),
}

/// A compiled field test.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) source: Source,
    /// The field path split at dots (also kept for column sources, for checks against JSON).
    path: Vec<String>,
    check: Check,
}

impl Leaf {
    /// Compiles `m`; `hours` are the rule's business hours.
    pub(crate) fn compile(m: &Match, hours: &BusinessHours) -> Result<Leaf, String> {
        let text = |kind, values: &[String]| Check::Text {
            kind,
            values: if m.ignore_case {
                values.iter().map(|v| v.to_lowercase()).collect()
            } else {
                values.to_vec()
            },
            ignore_case: m.ignore_case,
        };
        let check = match &m.op {
            Operator::Equals(v) => text(TextKind::Equals, v),
            Operator::Prefix(v) => text(TextKind::Prefix, v),
            Operator::Suffix(v) => text(TextKind::Suffix, v),
            Operator::Contains(v) => text(TextKind::Contains, v),
            Operator::Regex(pattern) => Check::Regex(
                RegexBuilder::new(pattern)
                    .case_insensitive(m.ignore_case)
                    .build()
                    .map_err(|e| format!("field {}: bad regex: {e}", m.field))?,
            ),
            Operator::Cidr(ranges) => Check::Cidr(ranges.clone()),
            Operator::FieldRef(other) => Check::FieldRef(
                other.split('.').map(str::to_string).collect(),
                m.ignore_case,
            ),
            Operator::Exists(b) => Check::Exists(*b),
            Operator::IsNull(b) => Check::IsNull(*b),
            Operator::Number(cmp, v) => Check::Number(*cmp, *v),
            Operator::Before(t) => Check::Before(*t),
            Operator::After(t) => Check::After(*t),
            Operator::HourBetween { from, to, offset } => Check::Hour(*from, *to, *offset),
            Operator::DayOfWeek { days, offset } => Check::DayOfWeek(days.clone(), *offset),
            Operator::BusinessHours(b) => Check::Business(*b, hours.clone()),
        };
        let path: Vec<String> = m.field.split('.').map(str::to_string).collect();
        let mut leaf = Leaf {
            source: Source::of(&m.field, &m.op),
            path: path.clone(),
            check,
        };
        // Store columns cannot tell an empty string from a missing field, and a field reference
        // needs the other field: such tests read the record.
        if leaf.needs_record() || leaf.accepts_empty() {
            leaf.source = Source::Json(path);
        }
        Ok(leaf)
    }

    fn needs_record(&self) -> bool {
        matches!(self.check, Check::FieldRef(..) | Check::IsNull(_))
    }

    /// Whether a text test holds for the empty string (`equals: ""`, Sigma's `contains: '*'`):
    /// then an empty string is a value it matches, while a missing or null field still is not.
    fn accepts_empty(&self) -> bool {
        matches!(self.check, Check::Text { .. } | Check::Regex(_)) && self.test_text("")
    }

    /// The test on a value that may be absent (`None`; empty strings count as absent).
    pub(crate) fn test_value(&self, value: Option<&str>) -> bool {
        match (value.filter(|v| !v.is_empty()), &self.check) {
            (None, Check::Exists(want)) => !want,
            (None, _) => false,
            (Some(_), Check::Exists(want)) => *want,
            (Some(v), _) => self.test_text(v),
        }
    }

    fn test_text(&self, v: &str) -> bool {
        match &self.check {
            Check::Exists(want) => *want,
            Check::Text {
                kind,
                values,
                ignore_case,
            } => {
                let lowered;
                let v = if *ignore_case {
                    lowered = v.to_lowercase();
                    lowered.as_str()
                } else {
                    v
                };
                values.iter().any(|x| match kind {
                    TextKind::Equals => v == x,
                    TextKind::Prefix => v.starts_with(x.as_str()),
                    TextKind::Suffix => v.ends_with(x.as_str()),
                    TextKind::Contains => v.contains(x.as_str()),
                })
            }
            Check::Regex(re) => re.is_match(v),
            Check::Cidr(ranges) => ranges.iter().any(|r| r.contains_text(v)),
            Check::FieldRef(..) | Check::IsNull(_) => false,
            Check::Number(cmp, x) => v.trim().parse::<f64>().is_ok_and(|n| match cmp {
                Cmp::Gt => n > *x,
                Cmp::Gte => n >= *x,
                Cmp::Lt => n < *x,
                Cmp::Lte => n <= *x,
            }),
            _ => {
                Timestamp::parse_rfc3339(v).is_some_and(|t| self.test_millis(Some(t.unix_millis())))
            }
        }
    }

    /// The test on a time (for `eventTime` from the time column).
    pub(crate) fn test_millis(&self, millis: Option<i64>) -> bool {
        let Some(t) = millis else {
            return matches!(self.check, Check::Exists(false));
        };
        match &self.check {
            Check::Before(x) => t < *x,
            Check::After(x) => t >= *x,
            Check::Hour(from, to, offset) => hour_in(t, *offset, *from, *to),
            Check::DayOfWeek(days, offset) => days.contains(&local_weekday(t, *offset)),
            Check::Business(within, hours) => hours.contains(t) == *within,
            Check::Exists(want) => *want,
            _ => self.test_text(&Timestamp::from_unix_millis(t).to_rfc3339()),
        }
    }

    /// The test on a parsed record, reading the field from its JSON whatever the source.
    /// A text test given an object or an array compares with its compact JSON text, so
    /// `responseElements contains Failure` finds `{"ConsoleLogin":"Failure"}`.
    pub(crate) fn test_json(&self, record: &Value) -> bool {
        let mut found = Vec::new();
        collect(record, &self.path, &mut found);
        match &self.check {
            Check::Exists(want) => found.iter().any(|v| is_present(v)) == *want,
            Check::IsNull(want) => found.iter().all(|v| v.is_null()) == *want,
            Check::FieldRef(other, ignore_case) => {
                let mut theirs = Vec::new();
                collect(record, other, &mut theirs);
                found.iter().filter_map(|v| scalar_text(v)).any(|a| {
                    theirs.iter().filter_map(|v| scalar_text(v)).any(|b| {
                        if *ignore_case {
                            a.to_lowercase() == b.to_lowercase()
                        } else {
                            a == b
                        }
                    })
                })
            }
            _ => {
                let empty_ok = self.accepts_empty();
                found.iter().any(|v| match v {
                    Value::String(s) => (empty_ok || !s.is_empty()) && self.test_text(s),
                    Value::Number(n) => self.test_text(&n.to_string()),
                    Value::Bool(b) => self.test_text(if *b { "true" } else { "false" }),
                    Value::Object(_) => self.is_text_test() && self.test_text(&v.to_string()),
                    _ => false,
                }) || (self.is_text_test() && self.matches_array_text(record))
            }
        }
    }

    fn is_text_test(&self) -> bool {
        matches!(self.check, Check::Text { .. } | Check::Regex(_))
    }

    /// Whether the field is an array whose JSON text passes the test.
    fn matches_array_text(&self, record: &Value) -> bool {
        let mut arrays = Vec::new();
        collect_arrays(record, &self.path, &mut arrays);
        arrays.iter().any(|a| self.test_text(&a.to_string()))
    }
}

/// A scalar's text (`None` for null, objects and arrays).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The arrays found at the end of `path` (arrays on the way are traversed).
fn collect_arrays<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match (v, path.split_first()) {
        (Value::Array(_), None) => out.push(v),
        (Value::Array(items), Some(_)) => items.iter().for_each(|i| collect_arrays(i, path, out)),
        (Value::Object(map), Some((key, rest))) => {
            if let Some(child) = map.get(key.as_str()) {
                collect_arrays(child, rest, out);
            }
        }
        _ => {}
    }
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// The values at `path` under `v`; arrays met on the way (and at the end) are traversed.
pub(crate) fn collect<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match (v, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| collect(i, path, out)),
        (_, None) => out.push(v),
        (Value::Object(map), Some((key, rest))) => {
            if let Some(child) = map.get(key.as_str()) {
                collect(child, rest, out);
            }
        }
        _ => {}
    }
}

/// The first text value at a JSON path (for grouping).
pub(crate) fn first_text(record: &Value, path: &[String]) -> Option<String> {
    let mut found = Vec::new();
    collect(record, path, &mut found);
    found.into_iter().find_map(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::Condition;

    fn leaf(yaml: &str) -> Leaf {
        let c: Condition = serde_yaml_ng::from_str(yaml).unwrap_or(Condition::All(vec![]));
        let m = c.matches().first().map(|m| (*m).clone());
        m.and_then(|m| Leaf::compile(&m, &BusinessHours::default()).ok())
            .unwrap_or(Leaf {
                source: Source::EventTime,
                path: Vec::new(),
                check: Check::Exists(false),
            })
    }

    #[test]
    fn json_paths_traverse_arrays_and_compare_scalars() {
        let record: Value = serde_json::from_str(
            r#"{"resources":[{"ARN":"arn:a"},{"ARN":"arn:b"}],"requestParameters":{"port":22,"on":true,"empty":"","nil":null}}"#,
        )
        .unwrap_or(Value::Null);
        assert!(leaf("{field: resources.ARN, equals: 'arn:b'}").test_json(&record));
        assert!(!leaf("{field: resources.ARN, equals: 'arn:c'}").test_json(&record));
        assert!(leaf("{field: requestParameters.port, gte: 22}").test_json(&record));
        assert!(!leaf("{field: requestParameters.port, gt: 22}").test_json(&record));
        assert!(leaf("{field: requestParameters.port, equals: 22}").test_json(&record));
        assert!(leaf("{field: requestParameters.on, equals: true}").test_json(&record));
        assert!(leaf("{field: requestParameters.empty, exists: false}").test_json(&record));
        assert!(leaf("{field: requestParameters.nil, exists: false}").test_json(&record));
        assert!(leaf("{field: requestParameters, exists: true}").test_json(&record));
        assert!(leaf("{field: RESOURCES.arn, exists: false}").test_json(&record));
    }

    #[test]
    fn text_checks_and_case() {
        let l = leaf("{field: userAgent, contains: [Curl, wget], ignore_case: true}");
        assert_eq!(l.source, Source::Column(Field::UserAgent));
        assert!(l.test_value(Some("CURL/8.0")));
        assert!(!l.test_value(Some("boto3")) && !l.test_value(None));
        let l = leaf("{field: errorCode, prefix: AccessDenied}");
        assert!(l.test_value(Some("AccessDeniedException")) && !l.test_value(Some("accessdenied")));
        assert!(leaf("{field: errorCode, suffix: UnauthorizedOperation}")
            .test_value(Some("Client.UnauthorizedOperation")));
        assert!(leaf("{field: eventName, regex: '^Delete.*Policy$'}")
            .test_value(Some("DeleteRolePolicy")));
        assert!(leaf("{field: errorCode, exists: false}").test_value(Some("")));
        assert_eq!(
            leaf("{field: readOnly, equals: false}").source,
            Source::Flag(FlagField::ReadOnly)
        );
    }

    #[test]
    fn time_checks() {
        let l = leaf("{field: eventTime, after: '2024-02-29T00:00:00Z'}");
        assert_eq!(l.source, Source::EventTime);
        assert!(l.test_millis(Some(1_709_164_800_000)) && !l.test_millis(Some(1_709_164_799_999)));
        assert!(!l.test_millis(None));
        let l = leaf("{field: requestParameters.startTime, before: '2024-02-29T00:00:00Z'}");
        assert!(l.test_json(
            &serde_json::json!({"requestParameters":{"startTime":"2024-02-28T23:00:00Z"}})
        ));
        // 2024-02-29T00:00:00Z is 02:00 at +02:00 (night) and 19:00 the day before at -05:00.
        let night = leaf("{field: eventTime, hour_between: [22, 6], utc_offset: '+02:00'}");
        assert!(night.test_millis(Some(1_709_164_800_000)));
        let night = leaf("{field: eventTime, hour_between: [22, 6], utc_offset: '-05:00'}");
        assert!(!night.test_millis(Some(1_709_164_800_000)));
        let l = leaf("{field: eventTime, business_hours: false}");
        assert!(l.test_millis(Some(1_709_164_800_000))); // Thursday 00:00 UTC
    }
}
