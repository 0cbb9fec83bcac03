//! The parsed filter: terms, their values, and the canonical text they print as.

use std::fmt;

use trailscope_model::Timestamp;
use trailscope_store::{Field, Integrity};

use crate::key::Key;

/// A parsed filter expression: every term must hold, except that positive terms on the same key
/// are alternatives (`eventName:A eventName:B` is A or B).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// The terms, in the order written.
    pub terms: Vec<Term>,
}

/// One term of a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Written with a leading `-`: the term must not hold.
    pub negated: bool,
    /// What the term tests.
    pub test: Test,
}

/// What a term tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// `key:value`.
    Field(Key, Value),
    /// A bare word or quoted text: a case-insensitive substring of the original record.
    Text(String),
}

/// The value of a `key:value` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string value, with `*` wildcards at its ends.
    Pattern(Pattern),
    /// An address range (`ip:10.0.0.0/8`).
    Cidr(Cidr),
    /// `true` / `false` (`readOnly`, `mfa`).
    Flag(bool),
    /// An integrity verdict; `None` is `unknown` (not verified).
    Integrity(Option<Integrity>),
    /// A span of time, both ends included, in milliseconds since the epoch.
    Time(TimeSpan),
}

/// A string value with optional `*` wildcards at its start and end. Matching ignores ASCII case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: any value, as long as there is one.
    Any,
    /// No wildcard: the whole value.
    Exact(String),
    /// `value*`.
    Prefix(String),
    /// `*value`.
    Suffix(String),
    /// `*value*`.
    Contains(String),
}

impl Pattern {
    /// Reads `*` at either end of `text` as wildcards.
    pub fn parse(text: &str) -> Pattern {
        let (start, rest) = match text.strip_prefix('*') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (end, core) = match rest.strip_suffix('*') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let core = core.to_string();
        match (start, end) {
            _ if core.is_empty() && (start || end) => Pattern::Any,
            (false, false) => Pattern::Exact(core),
            (false, true) => Pattern::Prefix(core),
            (true, false) => Pattern::Suffix(core),
            (true, true) => Pattern::Contains(core),
        }
    }

    /// Whether `value` matches, ignoring ASCII case.
    pub fn matches(&self, value: &str) -> bool {
        let (v, p) = (value.as_bytes(), self.literal().as_bytes());
        match self {
            Pattern::Any => true,
            Pattern::Exact(_) => v.eq_ignore_ascii_case(p),
            Pattern::Prefix(_) => v.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)),
            Pattern::Suffix(_) => v
                .len()
                .checked_sub(p.len())
                .and_then(|at| v.get(at..))
                .is_some_and(|t| t.eq_ignore_ascii_case(p)),
            Pattern::Contains(_) => contains_ignore_case(v, p),
        }
    }

    /// The text between the wildcards.
    pub fn literal(&self) -> &str {
        match self {
            Pattern::Any => "",
            Pattern::Exact(s) | Pattern::Prefix(s) | Pattern::Suffix(s) | Pattern::Contains(s) => s,
        }
    }
}

/// Whether `needle` occurs in `haystack`, ignoring ASCII case.
pub(crate) fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

pub use trailscope_model::Cidr;

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// A span of time, both ends included, in milliseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSpan {
    /// The first millisecond.
    pub start: i64,
    /// The last millisecond.
    pub end: i64,
}

impl Term {
    /// Whether the term reads the original records (free text, paths, resources).
    pub fn reads_records(&self) -> bool {
        match &self.test {
            Test::Text(_) => true,
            Test::Field(key, _) => key.reads_records(),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        match &self.test {
            Test::Text(text) => write_text(f, text, true, false),
            Test::Field(key, value) => {
                write!(f, "{}:", key.name())?;
                match value {
                    Value::Pattern(p) => {
                        let text = match p {
                            Pattern::Any => return f.write_str("*"),
                            Pattern::Exact(s) => s.clone(),
                            Pattern::Prefix(s) => format!("{s}*"),
                            Pattern::Suffix(s) => format!("*{s}"),
                            Pattern::Contains(s) => format!("*{s}*"),
                        };
                        // A range-looking address must stay quoted, or it reads back as a range.
                        let range_like = *key == Key::Column(Field::SourceIp) && text.contains('/');
                        write_text(f, &text, false, range_like)
                    }
                    Value::Cidr(c) => write!(f, "{c}"),
                    Value::Flag(b) => write!(f, "{b}"),
                    Value::Integrity(Some(i)) => f.write_str(i.as_str()),
                    Value::Integrity(None) => f.write_str("unknown"),
                    Value::Time(span) => write_span(f, *span),
                }
            }
        }
    }
}

/// Writes a word, quoted when it would not read back as itself. A bare free-text word must not
/// look like `key:value` or start like a negation.
fn write_text(f: &mut fmt::Formatter<'_>, text: &str, free: bool, quote: bool) -> fmt::Result {
    if !quote && !needs_quotes(text, free) {
        return f.write_str(text);
    }
    f.write_str("\"")?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// Whether a value (`free`: a free-text word) must be quoted to read back as itself: spaces,
/// quotes, backslashes, a list's commas and parentheses, and for free text what would read as
/// a key, a negation or a connective (`OR`).
pub(crate) fn needs_quotes(text: &str, free: bool) -> bool {
    text.is_empty()
        || text.starts_with('"')
        || text.starts_with('(')
        || text.ends_with(')')
        || text
            .chars()
            .any(|c| c.is_whitespace() || c == '\\' || c == ',')
        || (free
            && (text.starts_with('-')
                || text.contains(':')
                || text.contains('"')
                || ["and", "or", "not"]
                    .iter()
                    .any(|w| text.eq_ignore_ascii_case(w))))
}

fn write_span(f: &mut fmt::Formatter<'_>, span: TimeSpan) -> fmt::Result {
    let whole_days = span.start.rem_euclid(DAY_MS) == 0
        && span
            .end
            .checked_add(1)
            .is_some_and(|e| e.rem_euclid(DAY_MS) == 0);
    if whole_days {
        write_day(f, span.start)?;
        if span.end - span.start + 1 != DAY_MS {
            f.write_str("..")?;
            write_day(f, span.end + 1 - DAY_MS)?;
        }
        return Ok(());
    }
    write!(f, "{}", Timestamp::from_unix_millis(span.start))?;
    if span.end != span.start {
        write!(f, "..{}", Timestamp::from_unix_millis(span.end))?;
    }
    Ok(())
}

fn write_day(f: &mut fmt::Formatter<'_>, millis: i64) -> fmt::Result {
    let text = Timestamp::from_unix_millis(millis).to_string();
    f.write_str(text.split('T').next().unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_read_wildcards_at_the_ends() {
        assert_eq!(Pattern::parse("*"), Pattern::Any);
        assert_eq!(Pattern::parse("**"), Pattern::Any);
        assert_eq!(Pattern::parse("a*"), Pattern::Prefix("a".into()));
        assert_eq!(Pattern::parse("*a"), Pattern::Suffix("a".into()));
        assert_eq!(Pattern::parse("*a*"), Pattern::Contains("a".into()));
        assert_eq!(Pattern::parse("a*b"), Pattern::Exact("a*b".into()));
        assert_eq!(Pattern::parse("***"), Pattern::Contains("*".into()));
    }

    #[test]
    fn patterns_match_ignoring_case() {
        assert!(Pattern::parse("accessdenied").matches("AccessDenied"));
        assert!(!Pattern::parse("AccessDenied").matches("AccessDeniedException"));
        assert!(Pattern::parse("AccessDenied*").matches("AccessDeniedException"));
        assert!(Pattern::parse("*user").matches("CreateUser"));
        assert!(!Pattern::parse("*user").matches("CreateUsers"));
        assert!(Pattern::parse("*role*").matches("AssumeRole"));
        assert!(Pattern::parse("*").matches(""));
        assert!(!Pattern::parse("abc*").matches("ab"));
    }
}
