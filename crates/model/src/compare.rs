//! Whether two records of one event say the same thing, and where they differ.
//!
//! Two files can hold the same event (its `eventID`, time, name and source): an S3 log file and
//! a lookup-events export of the same day, or a log file and an attacker's shadow copy with one
//! field changed. Copies that say the same thing merge; copies that disagree are a *conflict*
//! that must be shown, never silently resolved. "The same thing" is the JSON's meaning, not its
//! bytes: key order and whitespace differ between exports of one event.

use serde_json::Value;

/// Largest number of differences listed for one pair of records.
const MAX_DIFFERENCES: usize = 50;
/// Longest value shown in a difference.
const MAX_VALUE_CHARS: usize = 300;

/// How two records of one event compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// The same JSON value (key order and whitespace aside).
    Same,
    /// Different content, field by field.
    Differ(Vec<Difference>),
    /// One of them is not a JSON object (compared as text, they differ).
    Unreadable,
}

/// One field on which two records disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The field's path in dot notation (`userIdentity.arn`, `resources[0].ARN`).
    pub path: String,
    /// Its value in the first record (`None`: absent), as compact JSON.
    pub first: Option<String>,
    /// Its value in the second record.
    pub second: Option<String>,
}

/// Compares two records' JSON by meaning.
pub fn compare_records(first: &str, second: &str) -> Comparison {
    if first == second {
        return Comparison::Same;
    }
    let (Ok(a), Ok(b)) = (
        serde_json::from_str::<Value>(first),
        serde_json::from_str::<Value>(second),
    ) else {
        return Comparison::Unreadable;
    };
    if a == b {
        return Comparison::Same;
    }
    let mut out = Vec::new();
    diff(&a, &b, &mut String::new(), &mut out);
    Comparison::Differ(out)
}

fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
    format!("{cut}…")
}

fn diff(a: &Value, b: &Value, path: &mut String, out: &mut Vec<Difference>) {
    if out.len() >= MAX_DIFFERENCES || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match (x.get(key), y.get(key)) {
                    (Some(v), Some(w)) => diff(v, w, path, out),
                    (v, w) => {
                        if out.len() < MAX_DIFFERENCES {
                            out.push(Difference {
                                path: path.clone(),
                                first: v.map(shown),
                                second: w.map(shown),
                            });
                        }
                    }
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                diff(v, w, path, out);
                path.truncate(len);
            }
        }
        _ => out.push(Difference {
            path: if path.is_empty() {
                "(record)".to_string()
            } else {
                path.clone()
            },
            first: Some(shown(a)),
            second: Some(shown(b)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_event_in_another_layout_is_the_same() {
        assert_eq!(
            compare_records(
                r#"{"a":1,"b":{"c":[1,2]}}"#,
                r#"{ "b": {"c": [1, 2]}, "a": 1 }"#
            ),
            Comparison::Same
        );
    }

    #[test]
    fn differences_are_named_by_path() {
        let first = r#"{"eventID":"e","sourceIPAddress":"1.2.3.4","userIdentity":{"arn":"a"},"resources":[{"ARN":"x"}]}"#;
        let second = r#"{"eventID":"e","sourceIPAddress":"6.6.6.6","userIdentity":{"arn":"a","extra":true},"resources":[{"ARN":"y"}]}"#;
        let Comparison::Differ(d) = compare_records(first, second) else {
            panic!("should differ")
        };
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["resources[0].ARN", "sourceIPAddress", "userIdentity.extra"]
        );
        assert_eq!(d[1].first.as_deref(), Some("\"1.2.3.4\""));
        assert_eq!(d[1].second.as_deref(), Some("\"6.6.6.6\""));
        assert_eq!(d[2].first, None);
    }

    #[test]
    fn unreadable_records_differ() {
        assert_eq!(compare_records("{", "{}"), Comparison::Unreadable);
        assert_eq!(compare_records("{", "{"), Comparison::Same);
    }
}
