//! Reading filter expressions: splitting into terms, then checking each term's key and value.

use serde::{Deserialize, Serialize};
use trailscope_model::Timestamp;
use trailscope_store::{Field, Integrity};

use crate::filter::{Cidr, Filter, Pattern, Term, Test, TimeSpan, Value, DAY_MS};
use crate::key::{suggestion, Key};

/// Why an expression could not be read, and where: `start..end` are byte offsets of the
/// offending term (or part of it) in the expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// First byte of the offending text.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// A sentence for people.
    pub message: String,
}

/// The kinds of [`ParseError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParseErrorKind {
    /// The field name is not a known name or a CloudTrail record path.
    UnknownField,
    /// `:value` with nothing before the colon.
    MissingField,
    /// A `"` without its closing `"`.
    UnclosedQuote,
    /// Text right after a closing quote.
    TextAfterQuote,
    /// Nothing to match: `eventName:`, `""`, a lone `-`.
    EmptyValue,
    /// An address range that does not read (`ip:10.0.0.0/33`).
    BadCidr,
    /// A time that does not read.
    BadTime,
    /// A `readOnly` or `mfa` value other than `true` or `false`.
    BadFlag,
    /// An `integrity` value that is not a verdict.
    BadIntegrity,
    /// A `(` without its closing `)`.
    UnclosedParenthesis,
    /// `AND`, `OR`, `NOT` or parentheses where they cannot be read (`OR` between two fields,
    /// `NOT` at the end, a parenthesised group of terms).
    Operator,
    /// The request sorts by something the table cannot be sorted by (the span is empty: the
    /// problem is not in the filter's text).
    BadSort,
}

impl ParseError {
    fn new(kind: ParseErrorKind, start: usize, end: usize, message: String) -> Self {
        ParseError {
            kind,
            start,
            end,
            message,
        }
    }

    /// The expression with a caret line under the offending text, for terminals.
    pub fn pointer(&self, expression: &str) -> String {
        let before = expression.get(..self.start).unwrap_or(expression);
        let width = expression
            .get(self.start..self.end)
            .map_or(1, |s| s.chars().count().max(1));
        format!(
            "{expression}\n{}{}",
            " ".repeat(before.chars().count()),
            "^".repeat(width)
        )
    }
}

/// A term as split from the expression, before its key and value are checked.
pub(crate) struct RawTerm {
    pub(crate) negated: bool,
    /// Key and its byte range, when the term is `key:value`.
    pub(crate) key: Option<(String, usize, usize)>,
    pub(crate) value: String,
    /// Byte range of the value (including quotes).
    value_span: (usize, usize),
    /// Byte range of the whole term.
    pub(crate) span: (usize, usize),
    quoted: bool,
    /// `key:(a OR b)` or `key:a,b`: the values, each with its byte range and whether it was
    /// quoted (`value` then holds the text as written).
    list: Option<Vec<ListItem>>,
}

/// One value of `key:(a OR b)` or `key:a,b`.
pub(crate) struct ListItem {
    value: String,
    /// Its byte range (including quotes).
    span: (usize, usize),
    quoted: bool,
}

/// A bare `AND`, `OR` or `NOT` (any case): Lucene's, KQL's and Splunk's connectives. To search
/// for the word itself, quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Connective {
    And,
    Or,
    Not,
}

impl RawTerm {
    pub(crate) fn connective(&self) -> Option<Connective> {
        if self.quoted || self.negated || self.key.is_some() {
            return None;
        }
        match self.value.to_ascii_uppercase().as_str() {
            "AND" => Some(Connective::And),
            "OR" => Some(Connective::Or),
            "NOT" => Some(Connective::Not),
            _ => None,
        }
    }

    /// The term's values: one, or each of a list.
    fn values(self) -> Vec<RawTerm> {
        let Some(list) = self.list else {
            return vec![self];
        };
        list.into_iter()
            .map(|item| RawTerm {
                negated: self.negated,
                key: self.key.clone(),
                value: item.value,
                value_span: item.span,
                span: self.span,
                quoted: item.quoted,
                list: None,
            })
            .collect()
    }
}

const OR_HELP: &str = "terms on one field are alternatives and terms on different fields must all hold: write eventName:(A OR B), eventName:A,B or eventName:A OR eventName:B";

impl Filter {
    /// Reads a filter expression.
    ///
    /// Terms are separated by spaces and must all hold, except that positive terms on one field
    /// are alternatives. `AND` between terms says the same; `OR` may join terms on one field
    /// (`eventName:A OR eventName:B`); `NOT term` is `-term`; `field:(a OR b)` and `field:a,b`
    /// list alternatives. What this model cannot mean (`OR` across fields, grouping of terms)
    /// is an error, never read as text to search for.
    pub fn parse(expression: &str) -> Result<Filter, ParseError> {
        let mut terms: Vec<Term> = Vec::new();
        let mut lexer = Lexer::new(expression);
        let mut and: Option<(usize, usize)> = None;
        let mut not: Option<(usize, usize)> = None;
        let mut or: Option<(usize, usize)> = None;
        let operator = |span: (usize, usize), message: &str| {
            ParseError::new(ParseErrorKind::Operator, span.0, span.1, message.into())
        };
        while let Some(raw) = lexer.next_term()? {
            if let Some(connective) = raw.connective() {
                let word = raw.value.to_ascii_uppercase();
                // `AND NOT` and `OR NOT` read; two others in a row do not.
                let blocked = match connective {
                    Connective::Not => not.is_some(),
                    _ => and.is_some() || not.is_some() || or.is_some(),
                };
                if blocked {
                    return Err(operator(
                        raw.span,
                        &format!("{word} cannot follow another connective"),
                    ));
                }
                match connective {
                    Connective::And | Connective::Or if terms.is_empty() => {
                        return Err(operator(
                            raw.span,
                            &format!("{word} needs a term before it"),
                        ))
                    }
                    Connective::And => and = Some(raw.span), // terms must all hold anyway
                    Connective::Or => or = Some(raw.span),
                    Connective::Not => not = Some(raw.span),
                }
                continue;
            }
            let opens_group = match &raw.key {
                Some((name, _, _)) => name.starts_with('('),
                None => !raw.quoted && raw.value.starts_with('('),
            };
            let closes_group = !raw.quoted
                && raw.list.is_none()
                && raw.value.ends_with(')')
                && !raw.value.contains('(');
            if opens_group || closes_group {
                return Err(operator(
                    raw.span,
                    &format!("parentheses group values of one field only ({OR_HELP}); quote text to search for it"),
                ));
            }
            and = None;
            let mut new: Vec<Term> = raw
                .values()
                .into_iter()
                .map(check)
                .collect::<Result<_, _>>()?;
            if let Some(span) = not.take() {
                for term in &mut new {
                    if term.negated {
                        return Err(operator(
                            span,
                            "NOT before a term with '-' cancels out: write the term alone",
                        ));
                    }
                    term.negated = true;
                }
            }
            if let Some(span) = or.take() {
                let key_of = |t: &Term| match &t.test {
                    Test::Field(key, _) if !t.negated => Some(key.clone()),
                    _ => None,
                };
                let before = terms.last().and_then(key_of);
                let same = before.is_some() && new.iter().all(|t| key_of(t) == before);
                if !same {
                    return Err(operator(
                        span,
                        &format!("OR joins values of one field: {OR_HELP}"),
                    ));
                }
            }
            terms.extend(new);
        }
        if let Some(span) = and.or(not).or(or) {
            return Err(operator(span, "needs a term after it"));
        }
        Ok(Filter { terms })
    }
}

/// Splits an expression into terms (shared with [`crate::edit`]).
pub(crate) struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }

    /// The byte the next term is looked for from.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.at..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    pub(crate) fn next_term(&mut self) -> Result<Option<RawTerm>, ParseError> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
        let start = self.at;
        let Some(first) = self.peek() else {
            return Ok(None);
        };
        let negated = first == '-';
        if negated {
            self.bump();
        }
        if self.peek() == Some('"') {
            let (value, end) = self.quoted()?;
            return Ok(Some(RawTerm {
                negated,
                key: None,
                value,
                value_span: (if negated { start + 1 } else { start }, end),
                span: (start, end),
                quoted: true,
                list: None,
            }));
        }
        let word_start = self.at;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ':' {
                break;
            }
            self.bump();
        }
        let word = self.text.get(word_start..self.at).unwrap_or_default();
        if self.peek() != Some(':') {
            if word.is_empty() {
                return Err(ParseError::new(
                    ParseErrorKind::EmptyValue,
                    start,
                    self.at,
                    "a lone '-' negates nothing: write -term".into(),
                ));
            }
            return Ok(Some(RawTerm {
                negated,
                key: None,
                value: word.to_string(),
                value_span: (word_start, self.at),
                span: (start, self.at),
                quoted: false,
                list: None,
            }));
        }
        let key = (word.to_string(), word_start, self.at);
        self.bump(); // ':'
        let value_start = self.at;
        let mut list = None;
        let (value, quoted) = if self.peek() == Some('"') {
            (self.quoted()?.0, true)
        } else if self.peek() == Some('(') {
            list = Some(self.parenthesised()?);
            let v = self.text.get(value_start..self.at).unwrap_or_default();
            (v.to_string(), false)
        } else {
            while self.peek().is_some_and(|c| !c.is_whitespace()) {
                self.bump();
            }
            let v = self.text.get(value_start..self.at).unwrap_or_default();
            if v.contains(',') {
                list = Some(comma_list(v, value_start)?);
            }
            (v.to_string(), false)
        };
        Ok(Some(RawTerm {
            negated,
            key: Some(key),
            value,
            value_span: (value_start, self.at),
            span: (start, self.at),
            quoted,
            list,
        }))
    }

    /// Reads `(a OR "b c" OR d)` starting at the `(`: values separated by `OR`, commas or
    /// spaces, each possibly quoted.
    fn parenthesised(&mut self) -> Result<Vec<ListItem>, ParseError> {
        let open = self.at;
        self.bump();
        let mut items = Vec::new();
        loop {
            while self.peek().is_some_and(|c| c.is_whitespace() || c == ',') {
                self.bump();
            }
            match self.peek() {
                None => {
                    return Err(ParseError::new(
                        ParseErrorKind::UnclosedParenthesis,
                        open,
                        self.text.len(),
                        "this parenthesis is never closed".into(),
                    ))
                }
                Some(')') => {
                    self.bump();
                    break;
                }
                Some('"') => {
                    let from = self.at;
                    let (value, end) = self.quoted_in_list()?;
                    items.push(ListItem {
                        value,
                        span: (from, end),
                        quoted: true,
                    });
                }
                Some(_) => {
                    let from = self.at;
                    while self
                        .peek()
                        .is_some_and(|c| !c.is_whitespace() && c != ',' && c != ')')
                    {
                        self.bump();
                    }
                    let word = self.text.get(from..self.at).unwrap_or_default();
                    match word.to_ascii_uppercase().as_str() {
                        "OR" => {}
                        "AND" | "NOT" => {
                            return Err(ParseError::new(
                                ParseErrorKind::Operator,
                                from,
                                self.at,
                                format!("a field has one value, so inside field:( ) only OR reads ({OR_HELP})"),
                            ))
                        }
                        _ => items.push(ListItem {
                            value: word.to_string(),
                            span: (from, self.at),
                            quoted: false,
                        }),
                    }
                }
            }
        }
        if items.is_empty() {
            return Err(ParseError::new(
                ParseErrorKind::EmptyValue,
                open,
                self.at,
                "an empty list matches nothing: give at least one value".into(),
            ));
        }
        if self.peek().is_some_and(|c| !c.is_whitespace()) {
            let from = self.at;
            while self.peek().is_some_and(|c| !c.is_whitespace()) {
                self.bump();
            }
            return Err(ParseError::new(
                ParseErrorKind::TextAfterQuote,
                from,
                self.at,
                "expected a space after the closing parenthesis".into(),
            ));
        }
        Ok(items)
    }

    /// Reads `"..."` (with `\"` and `\\` escapes) starting at the opening quote; in a list a
    /// `,` or `)` may follow it.
    fn quoted_in_list(&mut self) -> Result<(String, usize), ParseError> {
        let open = self.at;
        self.bump();
        let mut out = String::new();
        loop {
            let c = match self.bump() {
                Some('"') => break,
                Some('\\') => self.bump(),
                other => other,
            };
            let Some(c) = c else {
                return Err(ParseError::new(
                    ParseErrorKind::UnclosedQuote,
                    open,
                    self.text.len(),
                    "this quote is never closed".into(),
                ));
            };
            out.push(c);
        }
        Ok((out, self.at))
    }

    /// Reads `"..."` starting at the opening quote; a space or the end must follow.
    fn quoted(&mut self) -> Result<(String, usize), ParseError> {
        let (out, _) = self.quoted_in_list()?;
        if self.peek().is_some_and(|c| !c.is_whitespace()) {
            let from = self.at;
            while self.peek().is_some_and(|c| !c.is_whitespace()) {
                self.bump();
            }
            return Err(ParseError::new(
                ParseErrorKind::TextAfterQuote,
                from,
                self.at,
                "expected a space after the closing quote".into(),
            ));
        }
        Ok((out, self.at))
    }
}

/// `a,b,c` (an unquoted value at byte `at`) as a list; an empty item is an error.
fn comma_list(value: &str, at: usize) -> Result<Vec<ListItem>, ParseError> {
    let mut items = Vec::new();
    let mut from = at;
    for part in value.split(',') {
        let span = (from, from + part.len());
        if part.is_empty() {
            return Err(ParseError::new(
                ParseErrorKind::EmptyValue,
                span.0.saturating_sub(1).max(at),
                (span.1 + 1).min(at + value.len()),
                "an empty value between commas: remove the extra comma".into(),
            ));
        }
        items.push(ListItem {
            value: part.to_string(),
            span,
            quoted: false,
        });
        from = span.1 + 1;
    }
    Ok(items)
}

/// Checks a raw term's key and reads its value.
fn check(raw: RawTerm) -> Result<Term, ParseError> {
    let (vs, ve) = raw.value_span;
    let Some((name, ks, ke)) = raw.key else {
        if raw.value.is_empty() {
            return Err(ParseError::new(
                ParseErrorKind::EmptyValue,
                raw.span.0,
                raw.span.1,
                "empty text matches everything: remove it".into(),
            ));
        }
        return Ok(Term {
            negated: raw.negated,
            test: Test::Text(raw.value),
        });
    };
    if name.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::MissingField,
            raw.span.0,
            raw.span.1,
            "a field name must come before ':' (quote the text to search for it)".into(),
        ));
    }
    let Some(key) = Key::from_name(&name) else {
        let hint = suggestion(&name)
            .map(|s| format!("; did you mean {s}?"))
            .unwrap_or_default();
        return Err(ParseError::new(
            ParseErrorKind::UnknownField,
            ks,
            ke,
            format!("unknown field {name:?}{hint}"),
        ));
    };
    if raw.value.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::EmptyValue,
            raw.span.0,
            raw.span.1,
            format!("{name}: needs a value (use {name}:* for any value)"),
        ));
    }
    let err = |kind, message: String| Err(ParseError::new(kind, vs, ve, message));
    let value = raw.value;
    let value = match &key {
        Key::ReadOnly | Key::Mfa | Key::Conflict => match value.to_ascii_lowercase().as_str() {
            "true" => Value::Flag(true),
            "false" => Value::Flag(false),
            _ => {
                return err(
                    ParseErrorKind::BadFlag,
                    format!("{name} is true or false, not {value:?}"),
                )
            }
        },
        Key::Integrity => match integrity(&value) {
            Some(v) => Value::Integrity(v),
            None => {
                return err(
                    ParseErrorKind::BadIntegrity,
                    format!(
                        "integrity is verified, failed, unverified, not_covered or unknown, not {value:?}"
                    ),
                )
            }
        },
        Key::Error if value.eq_ignore_ascii_case("any") => Value::Pattern(Pattern::Any),
        k if k.is_time() => match time_span(&value, *k == Key::Time) {
            Some(span) => Value::Time(span),
            None => {
                let what = if *k == Key::Time {
                    "a date (2024-01-31), a time (2024-01-31T08:00:00Z) or a range (a..b)"
                } else {
                    "a date (2024-01-31) or a time (2024-01-31T08:00:00Z)"
                };
                return err(
                    ParseErrorKind::BadTime,
                    format!("{name} needs {what}, not {value:?}"),
                );
            }
        },
        Key::Column(Field::SourceIp) if value.contains('/') && !raw.quoted => {
            match Cidr::parse(&value) {
                Some(c) => Value::Cidr(c),
                None => {
                    return err(
                        ParseErrorKind::BadCidr,
                        format!("{value:?} is not an address range like 10.0.0.0/8 or 2001:db8::/32"),
                    )
                }
            }
        }
        _ => Value::Pattern(Pattern::parse(&value)),
    };
    Ok(Term {
        negated: raw.negated,
        test: Test::Field(key, value),
    })
}

fn integrity(value: &str) -> Option<Option<Integrity>> {
    let all = [
        Integrity::Verified,
        Integrity::Failed,
        Integrity::Unverified,
        Integrity::NotCovered,
    ];
    if value.eq_ignore_ascii_case("unknown") {
        return Some(None);
    }
    all.into_iter()
        .find(|i| i.as_str().eq_ignore_ascii_case(value))
        .map(Some)
}

/// Reads a date (the whole day), an instant, or, when `range`, `a..b` (from the start of `a` to
/// the end of `b`).
fn time_span(value: &str, range: bool) -> Option<TimeSpan> {
    if let Some((a, b)) = value.split_once("..") {
        if !range {
            return None;
        }
        let (a, b) = (one_time(a)?, one_time(b)?);
        return (a.start <= b.end).then_some(TimeSpan {
            start: a.start,
            end: b.end,
        });
    }
    one_time(value)
}

fn one_time(text: &str) -> Option<TimeSpan> {
    if text.len() == 10 && !text.contains('T') {
        let start = Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z"))?.unix_millis();
        return Some(TimeSpan {
            start,
            end: start + DAY_MS - 1,
        });
    }
    let at = Timestamp::parse_rfc3339(text)?.unix_millis();
    Some(TimeSpan { start: at, end: at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (ParseErrorKind, &str) {
        let e = Filter::parse(text).unwrap_err();
        (e.kind, &text[e.start..e.end])
    }

    #[test]
    fn every_error_points_at_its_term() {
        use ParseErrorKind::*;
        let cases: &[(&str, ParseErrorKind, &str)] = &[
            ("eventName:A evntName:B", UnknownField, "evntName"),
            ("foo.bar:x", UnknownField, "foo.bar"),
            (
                "requestParameters..x:1",
                UnknownField,
                "requestParameters..x",
            ),
            ("a :x", MissingField, ":x"),
            ("userAgent:\"aws-cli", UnclosedQuote, "\"aws-cli"),
            ("x \"some text", UnclosedQuote, "\"some text"),
            ("\"a\\", UnclosedQuote, "\"a\\"),
            ("\"a\"b c", TextAfterQuote, "b"),
            ("eventName: x", EmptyValue, "eventName:"),
            ("eventName:\"\"", EmptyValue, "eventName:\"\""),
            ("a - b", EmptyValue, "-"),
            ("\"\"", EmptyValue, "\"\""),
            ("ip:10.0.0.0/33", BadCidr, "10.0.0.0/33"),
            ("ip:10.0.0/8", BadCidr, "10.0.0/8"),
            ("ip:::1/129", BadCidr, "::1/129"),
            ("ip:1.2.3.4/", BadCidr, "1.2.3.4/"),
            ("from:yesterday", BadTime, "yesterday"),
            ("to:2024-02-30", BadTime, "2024-02-30"),
            (
                "after:2024-01-01..2024-01-02",
                BadTime,
                "2024-01-01..2024-01-02",
            ),
            (
                "time:2024-01-02..2024-01-01",
                BadTime,
                "2024-01-02..2024-01-01",
            ),
            ("readOnly:yes", BadFlag, "yes"),
            ("mfa:1", BadFlag, "1"),
            ("integrity:good", BadIntegrity, "good"),
            // Connectives and lists this model cannot mean are errors, never text.
            ("eventName:A OR errorCode:B", Operator, "OR"),
            ("eventName:A OR alice", Operator, "OR"),
            ("-eventName:A OR eventName:B", Operator, "OR"),
            ("OR eventName:A", Operator, "OR"),
            ("eventName:A AND", Operator, "AND"),
            ("eventName:A NOT", Operator, "NOT"),
            ("NOT -eventName:A", Operator, "NOT"),
            ("eventName:A OR AND eventName:B", Operator, "AND"),
            ("eventName:A NOT NOT errorCode:B", Operator, "NOT"),
            ("eventName:A OR NOT eventName:B", Operator, "OR"),
            ("(eventName:A errorCode:B)", Operator, "(eventName:A"),
            (
                "eventName:A (errorCode:B OR alice)",
                Operator,
                "(errorCode:B",
            ),
            ("eventName:A errorCode:B)", Operator, "errorCode:B)"),
            ("eventName:A (alice)", Operator, "(alice)"),
            ("eventName:(A AND B)", Operator, "AND"),
            ("eventName:(A OR B", UnclosedParenthesis, "(A OR B"),
            ("eventName:()", EmptyValue, "()"),
            ("eventName:(A)x", TextAfterQuote, "x"),
            ("eventName:A,,B", EmptyValue, ",,"),
            ("eventName:A,", EmptyValue, ","),
            ("readOnly:(true OR maybe)", BadFlag, "maybe"),
            ("eventName:(A OR \"B", UnclosedQuote, "\"B"),
        ];
        for (text, kind, span) in cases {
            assert_eq!(error(text), (*kind, *span), "{text}");
        }
    }

    #[test]
    fn connectives_and_lists_read_as_the_model_means_them() {
        let same = |a: &str, b: &str| {
            assert_eq!(
                Filter::parse(a).unwrap(),
                Filter::parse(b).unwrap(),
                "{a} vs {b}"
            );
        };
        same("eventName:(A OR B)", "eventName:A eventName:B");
        same(
            "eventName:(A or \"B C\", D)",
            "eventName:A eventName:\"B C\" eventName:D",
        );
        same("eventName:A,B", "eventName:A eventName:B");
        same("eventName:A OR eventName:B", "eventName:A eventName:B");
        same("eventName:A or eventName:B*", "eventName:A eventName:B*");
        same("eventName:A AND errorCode:X", "eventName:A errorCode:X");
        same("eventName:A and alice", "eventName:A alice");
        same(
            "eventName:A AND NOT errorCode:X",
            "eventName:A -errorCode:X",
        );
        same("NOT eventName:A", "-eventName:A");
        same("not alice", "-alice");
        same("-eventName:(A OR B)", "-eventName:A -eventName:B");
        same("NOT eventName:A,B", "-eventName:A -eventName:B");
        same(
            "eventName:(A OR B) OR eventName:C",
            "eventName:A eventName:B eventName:C",
        );
        same(
            "time:2024-01-01,2024-01-03",
            "time:2024-01-01 time:2024-01-03",
        );
        // Quoted, the words are text to search for.
        assert_eq!(
            Filter::parse("\"OR\" \"and\"").unwrap().terms.len(),
            2,
            "quoted connectives are text"
        );
        assert!(matches!(
            &Filter::parse("\"NOT\"").unwrap().terms[0].test,
            Test::Text(t) if t == "NOT"
        ));
        // A comma inside quotes is part of the value.
        assert_eq!(Filter::parse("userAgent:\"a,b\"").unwrap().terms.len(), 1);
    }

    #[test]
    fn messages_help() {
        let e = Filter::parse("evntName:x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown field \"evntName\"; did you mean eventName?"
        );
        assert_eq!(e.pointer("evntName:x"), "evntName:x\n^^^^^^^^");
        let e = Filter::parse("a ip:1/2").unwrap_err();
        assert_eq!(e.pointer("a ip:1/2"), "a ip:1/2\n     ^^^");
    }

    #[test]
    fn reads_terms() {
        let f = Filter::parse(
            r#"  -eventName:*User "some text" userAgent:"aws-cli/2.1 Python*" ip:10.0.0.0/8 readOnly:FALSE error:any mfa:true integrity:not_covered"#,
        )
        .unwrap();
        let expected = vec![
            Term {
                negated: true,
                test: Test::Field(
                    Key::Column(Field::EventName),
                    Value::Pattern(Pattern::Suffix("User".into())),
                ),
            },
            Term {
                negated: false,
                test: Test::Text("some text".into()),
            },
            Term {
                negated: false,
                test: Test::Field(
                    Key::Column(Field::UserAgent),
                    Value::Pattern(Pattern::Prefix("aws-cli/2.1 Python".into())),
                ),
            },
            Term {
                negated: false,
                test: Test::Field(
                    Key::Column(Field::SourceIp),
                    Value::Cidr(Cidr {
                        addr: "10.0.0.0".parse().unwrap(),
                        prefix: 8,
                    }),
                ),
            },
            Term {
                negated: false,
                test: Test::Field(Key::ReadOnly, Value::Flag(false)),
            },
            Term {
                negated: false,
                test: Test::Field(Key::Error, Value::Pattern(Pattern::Any)),
            },
            Term {
                negated: false,
                test: Test::Field(Key::Mfa, Value::Flag(true)),
            },
            Term {
                negated: false,
                test: Test::Field(
                    Key::Integrity,
                    Value::Integrity(Some(Integrity::NotCovered)),
                ),
            },
        ];
        assert_eq!(f.terms, expected);
        assert_eq!(Filter::parse("").unwrap(), Filter::default());
        assert_eq!(Filter::parse("   ").unwrap(), Filter::default());
    }

    #[test]
    fn reads_times() {
        let span = |text: &str| match &Filter::parse(text).unwrap().terms[0].test {
            Test::Field(_, Value::Time(s)) => *s,
            other => panic!("{other:?}"),
        };
        let day = span("from:2024-02-29");
        assert_eq!(day.start, 1_709_164_800_000);
        assert_eq!(day.end, 1_709_164_800_000 + DAY_MS - 1);
        let at = span("before:2024-02-29T01:00:00+01:00");
        assert_eq!((at.start, at.end), (1_709_164_800_000, 1_709_164_800_000));
        let range = span("time:2024-02-29..2024-03-01T00:00:00.5Z");
        assert_eq!(
            (range.start, range.end),
            (1_709_164_800_000, 1_709_251_200_500)
        );
    }

    #[test]
    fn canonical_form_reads_back() {
        let cases = [
            ("ip:10.0.0.0/8", "sourceIPAddress:10.0.0.0/8"),
            (
                "name:Create*   region:us-east-1",
                "eventName:Create* awsRegion:us-east-1",
            ),
            ("\"some text\" -x", "\"some text\" -x"),
            ("\"a:b\" \"-c\" 'q", "\"a:b\" \"-c\" 'q"),
            (
                "userAgent:\"a \\\"b\\\" \\\\\"",
                "userAgent:\"a \\\"b\\\" \\\\\"",
            ),
            ("eventName:a\"b", "eventName:a\"b"),
            ("readOnly:TRUE mfa:false", "readOnly:true mfa:false"),
            ("error:any errorCode:*", "error:* errorCode:*"),
            ("integrity:Unknown", "integrity:unknown"),
            (
                "from:2024-02-29 to:2024-02-29T10:00:00.250Z",
                "from:2024-02-29 to:2024-02-29T10:00:00.250Z",
            ),
            ("time:2024-02-29..2024-03-02", "time:2024-02-29..2024-03-02"),
            (
                "time:2024-02-29T00:00:00Z..2024-02-29T23:59:59.999Z",
                "time:2024-02-29",
            ),
            (
                "requestParameters.bucketName:b resourceName:x",
                "requestParameters.bucketName:b resource:x",
            ),
            ("ip:2001:db8::/32", "sourceIPAddress:2001:db8::/32"),
            ("ip:\"1.2.3.4/5\"", "sourceIPAddress:\"1.2.3.4/5\""),
        ];
        for (text, canonical) in cases {
            let filter = Filter::parse(text).unwrap();
            assert_eq!(filter.to_string(), canonical, "{text}");
            assert_eq!(Filter::parse(canonical).unwrap(), filter, "{text}");
        }
    }
}
