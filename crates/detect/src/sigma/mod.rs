//! Sigma rules for CloudTrail (`logsource: {product: aws, service: cloudtrail}`), converted to
//! the engine's [`Rule`]s.
//!
//! Supported: selection maps (fields ANDed) and lists of maps (ORed), value lists (ORed, or
//! ANDed with `|all`), the `*`/`?` wildcards, the modifiers `contains`, `startswith`,
//! `endswith`, `re` (with `i`, `m`, `s`), `all`, `cased`, `exists`, `cidr`, `fieldref`,
//! `base64`, `base64offset`, `gt`, `gte`, `lt`, `lte`, and conditions with `and`, `or`, `not`,
//! parentheses, `1 of`/`all of` patterns and `them`, nested at most
//! [`MAX_CONDITION_DEPTH`] levels. Anything else (`windash`, `utf16`, `expand`, aggregations,
//! correlations) is refused with a [`SigmaError`] naming the construct, never silently
//! approximated.
//!
//! Semantics, per the Sigma specification: matching is case-insensitive except `re`, `cased` and
//! `fieldref` (which compares the two values exactly); `field: ''` matches only the empty string
//! and `field: null` only a missing or null field; `|exists: true` means present and not null
//! (the empty string included); `contains: '*'` matches any string, the empty one included; a
//! plain value tested against an object or array field (`responseElements|contains: Failure`)
//! is compared with the field's compact JSON text.

mod expr;

pub use expr::MAX_DEPTH as MAX_CONDITION_DEPTH;

use serde_yaml_ng::Value;

use trailscope_model::Cidr;

use crate::condition::{Cmp, Condition, Match, Operator};
use crate::rule::{Rule, Severity, Tactic};
use expr::{glob, Expr};

/// Why a Sigma rule could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigmaError {
    /// Not YAML, or not a Sigma rule's shape.
    #[error("not a Sigma rule: {0}")]
    Syntax(String),
    /// The rule is for another log source.
    #[error("logsource is not AWS CloudTrail (product: {product}, service: {service})")]
    Logsource {
        /// `logsource.product`.
        product: String,
        /// `logsource.service`.
        service: String,
    },
    /// A Sigma modifier this importer cannot express (`base64offset`, `cidr`, ...).
    #[error("unsupported modifier |{0}")]
    Modifier(String),
    /// A modifier Sigma does not define.
    #[error("unknown modifier |{0}")]
    UnknownModifier(String),
    /// A construct this importer cannot express.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The condition names a search identifier the detection lacks.
    #[error("condition refers to unknown search identifier {0:?}")]
    UnknownIdentifier(String),
    /// The condition expression is malformed.
    #[error("bad condition: {0}")]
    Condition(String),
}

/// Modifiers Sigma defines that cannot be expressed here (named in the error as such):
/// `windash` and the UTF-16 encodings are for Windows command lines and binary logs, `expand`
/// needs placeholders from a pipeline this importer does not have.
const UNSUPPORTED_MODIFIERS: [&str; 6] =
    ["utf16le", "utf16be", "utf16", "wide", "windash", "expand"];

/// Converts one Sigma rule (YAML).
pub fn parse_sigma(text: &str) -> Result<Rule, SigmaError> {
    crate::rule::check_flow_depth(text).map_err(SigmaError::Syntax)?;
    let doc: Value =
        serde_yaml_ng::from_str(text).map_err(|e| SigmaError::Syntax(e.to_string()))?;
    let text_of = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
    let list_of = |key: &str| -> Vec<String> {
        doc.get(key)
            .and_then(Value::as_sequence)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let logsource = doc
        .get("logsource")
        .ok_or_else(|| SigmaError::Syntax("no logsource".into()))?;
    let product = logsource
        .get("product")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let service = logsource
        .get("service")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !product.eq_ignore_ascii_case("aws") || !service.eq_ignore_ascii_case("cloudtrail") {
        return Err(SigmaError::Logsource { product, service });
    }
    let title = text_of("title").ok_or_else(|| SigmaError::Syntax("no title".into()))?;
    let detection = doc
        .get("detection")
        .and_then(Value::as_mapping)
        .ok_or_else(|| SigmaError::Syntax("no detection".into()))?;
    let mut searches: Vec<(String, Condition)> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    for (key, value) in detection {
        let name = key
            .as_str()
            .ok_or_else(|| SigmaError::Syntax("non-text detection key".into()))?;
        match name {
            "condition" => match value {
                Value::String(s) => conditions.push(s.clone()),
                Value::Sequence(items) => {
                    conditions.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => return Err(SigmaError::Syntax("condition must be text".into())),
            },
            "timeframe" => return Err(SigmaError::Unsupported("timeframe (correlation)".into())),
            _ => searches.push((name.to_string(), search(value)?)),
        }
    }
    if conditions.is_empty() {
        return Err(SigmaError::Syntax("detection has no condition".into()));
    }
    let mut parts = conditions
        .iter()
        .map(|c| expr::parse(c).and_then(|e| resolve(&e, &searches)))
        .collect::<Result<Vec<_>, _>>()?;
    let condition = if parts.len() == 1 {
        parts.remove(0)
    } else {
        Condition::Any(parts)
    };
    let tags = list_of("tags");
    let id = text_of("id").unwrap_or_else(|| {
        let slug: String = title
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("sigma-{slug}")
    });
    Ok(Rule {
        id,
        aliases: Vec::new(),
        description: text_of("description").unwrap_or_default(),
        // Sigma has no remediation field (its `falsepositives` are about triage, not response).
        remediation: String::new(),
        title,
        severity: match text_of("level").as_deref() {
            Some("informational") => Severity::Info,
            Some("low") => Severity::Low,
            Some("high") => Severity::High,
            Some("critical") => Severity::Critical,
            _ => Severity::Medium,
        },
        references: list_of("references"),
        tactics: tags
            .iter()
            .filter_map(|t| Tactic::from_sigma_tag(t))
            .collect(),
        techniques: tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| {
                t.starts_with('t')
                    && t.get(1..2)
                        .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|t| t.to_ascii_uppercase())
            .collect(),
        implements: None,
        condition,
        threshold: None,
        new_value: None,
        business_hours: None,
    })
}

/// A search identifier's definition: a map (fields ANDed) or a list of maps (ORed).
fn search(value: &Value) -> Result<Condition, SigmaError> {
    match value {
        Value::Mapping(map) => {
            let mut parts = Vec::new();
            for (key, value) in map {
                let key = key
                    .as_str()
                    .ok_or_else(|| SigmaError::Syntax("non-text field name".into()))?;
                parts.push(field(key, value)?);
            }
            Ok(single(Condition::All(parts)))
        }
        Value::Sequence(items) if items.iter().all(Value::is_mapping) => Ok(single(
            Condition::Any(items.iter().map(search).collect::<Result<_, _>>()?),
        )),
        _ => Err(SigmaError::Unsupported(
            "keyword search (values without field names)".into(),
        )),
    }
}

fn single(c: Condition) -> Condition {
    match c {
        Condition::All(mut v) | Condition::Any(mut v) if v.len() == 1 => v.remove(0),
        c => c,
    }
}

/// Sigma's value encodings, applied to a value before it is compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Base64,
    /// The three base64 encodings of the value at each byte offset (for `contains`).
    Base64Offset,
}

#[derive(Default)]
struct Modifiers {
    kind: Option<&'static str>,
    all: bool,
    cased: bool,
    regex_flags: String,
    encoding: Option<Encoding>,
}

/// One `field|modifiers: value(s)` entry.
fn field(key: &str, value: &Value) -> Result<Condition, SigmaError> {
    let mut parts = key.split('|');
    let path = parts.next().unwrap_or("").to_string();
    if path.is_empty() {
        return Err(SigmaError::Unsupported(
            "keyword search (a modifier without a field)".into(),
        ));
    }
    let mut m = Modifiers::default();
    for modifier in parts {
        match modifier {
            "contains" => m.kind = Some("contains"),
            "startswith" => m.kind = Some("startswith"),
            "endswith" => m.kind = Some("endswith"),
            "re" => m.kind = Some("re"),
            "exists" => m.kind = Some("exists"),
            "gt" => m.kind = Some("gt"),
            "gte" => m.kind = Some("gte"),
            "lt" => m.kind = Some("lt"),
            "lte" => m.kind = Some("lte"),
            "cidr" => m.kind = Some("cidr"),
            "fieldref" => m.kind = Some("fieldref"),
            "base64" => m.encoding = Some(Encoding::Base64),
            "base64offset" => m.encoding = Some(Encoding::Base64Offset),
            "all" => m.all = true,
            "cased" => m.cased = true,
            "i" | "m" | "s" if m.kind == Some("re") => m.regex_flags.push_str(modifier),
            other if UNSUPPORTED_MODIFIERS.contains(&other) => {
                return Err(SigmaError::Modifier(other.to_string()))
            }
            other => return Err(SigmaError::UnknownModifier(other.to_string())),
        }
    }
    let values: Vec<&Value> = match value {
        Value::Sequence(items) => items.iter().collect(),
        v => vec![v],
    };
    let tests = values
        .into_iter()
        .map(|v| value_test(&path, &m, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(single(if m.all {
        Condition::All(tests)
    } else {
        Condition::Any(tests)
    }))
}

fn value_test(path: &str, m: &Modifiers, value: &Value) -> Result<Condition, SigmaError> {
    let text = match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => {
            return Err(SigmaError::Unsupported(format!(
                "nested value under {path}"
            )))
        }
    };
    let leaf = |op: Operator, ignore_case: bool| {
        Condition::Match(Match {
            field: path.to_string(),
            op,
            ignore_case,
        })
    };
    let Some(text) = text else {
        // `field: null`: missing or null, not the empty string.
        return Ok(leaf(Operator::IsNull(true), false));
    };
    let number = |cmp| {
        text.parse::<f64>()
            .map(|n| leaf(Operator::Number(cmp, n), false))
            .map_err(|_| SigmaError::Syntax(format!("{path}: {text:?} is not a number")))
    };
    if let Some(encoding) = m.encoding {
        return encoded(path, m, encoding, &text);
    }
    match m.kind {
        Some("exists") => match text.as_str() {
            "true" => Ok(leaf(Operator::IsNull(false), false)),
            "false" => Ok(leaf(Operator::IsNull(true), false)),
            other => Err(SigmaError::Syntax(format!(
                "{path}|exists: {other:?} is not true or false"
            ))),
        },
        Some("cidr") => Cidr::parse(&text)
            .map(|c| leaf(Operator::Cidr(vec![c]), false))
            .ok_or_else(|| {
                SigmaError::Syntax(format!("{path}|cidr: {text:?} is not a CIDR range"))
            }),
        Some("fieldref") => Ok(leaf(Operator::FieldRef(text), false)),
        Some("re") => {
            let flags = if m.regex_flags.is_empty() {
                String::new()
            } else {
                format!("(?{})", m.regex_flags)
            };
            Ok(leaf(Operator::Regex(format!("{flags}{text}")), false))
        }
        Some("gt") => number(Cmp::Gt),
        Some("gte") => number(Cmp::Gte),
        Some("lt") => number(Cmp::Lt),
        Some("lte") => number(Cmp::Lte),
        kind => Ok(text_test(path, kind, !m.cased, &text)),
    }
}

/// A plain, `contains`, `startswith` or `endswith` test of `text` (with Sigma's wildcards).
fn text_test(path: &str, kind: Option<&str>, ignore_case: bool, text: &str) -> Condition {
    let leaf = |op: Operator, ignore_case: bool| {
        Condition::Match(Match {
            field: path.to_string(),
            op,
            ignore_case,
        })
    };
    match wildcard_regex(text, kind) {
        Some(pattern) => leaf(
            Operator::Regex(format!(
                "{}{pattern}",
                if ignore_case { "(?i)" } else { "" }
            )),
            false,
        ),
        None => {
            let literal = vec![unescape(text)];
            let op = match kind {
                Some("contains") => Operator::Contains(literal),
                Some("startswith") => Operator::Prefix(literal),
                Some("endswith") => Operator::Suffix(literal),
                _ => Operator::Equals(literal),
            };
            leaf(op, ignore_case)
        }
    }
}

/// `|base64` and `|base64offset`: the value's encodings, compared as written (base64 is case
/// sensitive), with the rule's `contains`/`startswith`/`endswith` if any.
fn encoded(
    path: &str,
    m: &Modifiers,
    encoding: Encoding,
    text: &str,
) -> Result<Condition, SigmaError> {
    use base64::Engine as _;
    if text.contains(['*', '?']) {
        return Err(SigmaError::Unsupported(format!(
            "{path}: wildcards in a base64-encoded value"
        )));
    }
    let kind = match m.kind {
        None | Some("contains" | "startswith" | "endswith") => m.kind,
        Some(other) => {
            return Err(SigmaError::Unsupported(format!(
                "{path}: |{other} after a base64 modifier"
            )))
        }
    };
    let value = unescape(text).into_bytes();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let variants: Vec<String> = match encoding {
        Encoding::Base64 => vec![b64(&value)],
        Encoding::Base64Offset => [(0usize, 0usize), (1, 2), (2, 3)]
            .into_iter()
            .map(|(i, start)| {
                // The value preceded by i bytes: drop the characters that depend on those bytes
                // and, at the end, on what follows the value (as Sigma's reference does).
                let mut shifted = vec![b' '; i];
                shifted.extend_from_slice(&value);
                let full = b64(&shifted);
                let end_trim = match (value.len() + i) % 3 {
                    0 => 0,
                    1 => 3,
                    _ => 2,
                };
                full.get(start..full.len().saturating_sub(end_trim))
                    .unwrap_or("")
                    .to_string()
            })
            .collect(),
    };
    let tests: Vec<Condition> = variants
        .iter()
        .map(|v| text_test(path, kind, false, v))
        .collect();
    Ok(single(Condition::Any(tests)))
}

/// Sigma's `\*`, `\?` and `\\` escapes removed.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('*' | '?' | '\\')) => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

/// An anchored regex for a value with unescaped `*`/`?` wildcards; `None` when it has none.
fn wildcard_regex(text: &str, kind: Option<&str>) -> Option<String> {
    let mut pattern = String::new();
    let mut wild = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                pattern.push_str(&regex::escape(
                    &chars.next().map(String::from).unwrap_or_default(),
                ));
            }
            '*' => {
                wild = true;
                pattern.push_str(".*");
            }
            '?' => {
                wild = true;
                pattern.push('.');
            }
            c => pattern.push_str(&regex::escape(&c.to_string())),
        }
    }
    let (head, tail) = match kind {
        Some("contains") => (".*", ".*"),
        Some("startswith") => ("", ".*"),
        Some("endswith") => (".*", ""),
        _ => ("", ""),
    };
    wild.then(|| format!("^(?s:{head}{pattern}{tail})$"))
}

/// The condition for a parsed expression, with identifiers replaced by their searches.
fn resolve(e: &Expr, searches: &[(String, Condition)]) -> Result<Condition, SigmaError> {
    Ok(match e {
        Expr::Ident(name) => searches
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| SigmaError::UnknownIdentifier(name.clone()))?,
        Expr::Of { all, pattern } => {
            let picked: Vec<Condition> = searches
                .iter()
                .filter(|(n, _)| glob(pattern, n) && !(pattern == "*" && n.starts_with('_')))
                .map(|(_, c)| c.clone())
                .collect();
            if picked.is_empty() {
                return Err(SigmaError::UnknownIdentifier(pattern.clone()));
            }
            single(if *all {
                Condition::All(picked)
            } else {
                Condition::Any(picked)
            })
        }
        Expr::Not(inner) => Condition::Not(Box::new(resolve(inner, searches)?)),
        Expr::And(parts) => Condition::All(
            parts
                .iter()
                .map(|p| resolve(p, searches))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(parts) => Condition::Any(
            parts
                .iter()
                .map(|p| resolve(p, searches))
                .collect::<Result<_, _>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes() {
        assert_eq!(
            wildcard_regex("Delete*", None),
            Some("^(?s:Delete.*)$".into())
        );
        assert_eq!(
            wildcard_regex("a?c", Some("contains")),
            Some("^(?s:.*a.c.*)$".into())
        );
        assert_eq!(wildcard_regex(r"literal\*star", None), None);
        assert_eq!(unescape(r"literal\*star"), "literal*star");
        assert_eq!(wildcard_regex("a.b", None), None);
    }
}
