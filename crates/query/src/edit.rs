//! Editing filter expressions as text: the page adds a term when a value is clicked, replaces the
//! time terms when a span is brushed on the timeline, and the store worker takes out `finding:`
//! terms (rows a detection rule matched, which only it knows). All of it splits terms exactly as
//! [`crate::Filter::parse`] does, so quoting, negation and key aliases (`eventTime` for `time`)
//! mean the same thing everywhere.

use crate::key::Key;
use crate::parse::Lexer;

/// One term of an expression as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermText<'a> {
    /// The term's text, as written (`-eventName:"Get Object"`).
    pub text: &'a str,
    /// Its first byte in the expression.
    pub start: usize,
    /// Written with a leading `-`.
    pub negated: bool,
    /// The key before the colon, as written, if any.
    pub key: Option<&'a str>,
    /// The value, unquoted.
    pub value: String,
}

/// The terms of `expression`, split as the parser splits them. Text the parser would refuse
/// (an unclosed quote) stays one last term, so editing never loses what the user typed.
pub fn terms(expression: &str) -> Vec<TermText<'_>> {
    let mut out = Vec::new();
    let mut lexer = Lexer::new(expression);
    loop {
        let before = lexer.position();
        match lexer.next_term() {
            Ok(Some(raw)) => {
                let (start, end) = raw.span;
                out.push(TermText {
                    text: expression.get(start..end).unwrap_or_default(),
                    start,
                    negated: raw.negated,
                    key: raw
                        .key
                        .as_ref()
                        .and_then(|(_, ks, ke)| expression.get(*ks..*ke)),
                    value: raw.value,
                });
            }
            Ok(None) => break,
            Err(_) => {
                let rest = expression.get(before..).unwrap_or_default();
                let trimmed = rest.trim_start();
                if !trimmed.is_empty() {
                    out.push(TermText {
                        text: trimmed.trim_end(),
                        start: before + (rest.len() - trimmed.len()),
                        negated: false,
                        key: None,
                        value: trimmed.trim_end().to_string(),
                    });
                }
                break;
            }
        }
    }
    out
}

/// The term selecting `value` of `field` (or excluding it): quoted when the value needs it.
pub fn term(field: &str, value: &str, exclude: bool) -> String {
    // A `"` anywhere is quoted too: the value then reads back whole.
    let needs_quotes = crate::filter::needs_quotes(value, false) || value.contains('"');
    let value = if needs_quotes {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    };
    format!("{}{field}:{value}", if exclude { "-" } else { "" })
}

/// A filter selecting exactly the events with these IDs (one `eventID:` term each; terms on one
/// key are alternatives, and the evaluator answers many IDs in one pass). An ID with a `*` at
/// either end cannot be written exactly (the filter language has no escape for a wildcard), so
/// it is left out rather than widened: the second value counts those.
pub fn event_ids_filter<S: AsRef<str>>(ids: &[S]) -> (String, usize) {
    let mut left_out = 0;
    let terms: Vec<String> = ids
        .iter()
        .map(AsRef::as_ref)
        .filter(|id| {
            let exact = !id.is_empty() && !id.starts_with('*') && !id.ends_with('*');
            left_out += usize::from(!exact);
            exact
        })
        .map(|id| term("eventID", id, false))
        .collect();
    (terms.join(" "), left_out)
}

/// The term selecting the span from `first` to `last` (unix millis, both included):
/// `time:2024-03-01T08:20:00Z..2024-03-01T08:24:59.999Z`.
pub fn time_term(first: i64, last: i64) -> String {
    let at = |m: i64| trailscope_model::Timestamp::from_unix_millis(m).to_string();
    format!("time:{}..{}", at(first), at(last))
}

/// `expression` with `term` added at the end, unless the same term is already there.
pub fn with_term(expression: &str, term: &str) -> String {
    let expression = expression.trim();
    if terms(expression).iter().any(|t| t.text == term) {
        expression.to_string()
    } else if expression.is_empty() {
        term.to_string()
    } else {
        format!("{expression} {term}")
    }
}

/// `expression` with the time terms that select a span (`time:`, `eventTime:`, `from:`, `to:`,
/// `after:`, `before:`) replaced by `term`. Negated time terms exclude a span of their own and
/// stay.
pub fn replace_time(expression: &str, term: &str) -> String {
    let selects_time = |t: &TermText<'_>| {
        !t.negated && t.key.and_then(Key::from_name).is_some_and(|k| k.is_time())
    };
    let mut kept: Vec<&str> = terms(expression)
        .iter()
        .filter(|t| !selects_time(t))
        .map(|t| t.text)
        .collect();
    kept.push(term);
    kept.join(" ")
}

/// How an expression uses a `field:value` term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermUse {
    /// Written as is: the value is selected.
    Selected,
    /// Written with `-`: the value is excluded.
    Excluded,
}

/// The same key (as written, without regard to case) and value as `wanted`.
fn same_term(t: &TermText<'_>, wanted: &TermText<'_>) -> bool {
    t.value == wanted.value
        && match (t.key, wanted.key) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        }
}

/// Whether `expression` selects or excludes the value of `term` (a term as [`term`] writes it,
/// without `-`), so a facet can mark the values the filter uses.
pub fn term_use(expression: &str, term: &str) -> Option<TermUse> {
    let wanted = terms(term).into_iter().next()?;
    terms(expression)
        .iter()
        .find(|t| same_term(t, &wanted))
        .map(|t| {
            if t.negated {
                TermUse::Excluded
            } else {
                TermUse::Selected
            }
        })
}

/// `expression` without the terms that select or exclude the value of `term`; every other term
/// stays as written.
pub fn without_term(expression: &str, term: &str) -> String {
    let Some(wanted) = terms(term).into_iter().next() else {
        return expression.trim().to_string();
    };
    terms(expression)
        .iter()
        .filter(|t| !same_term(t, &wanted))
        .map(|t| t.text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A term whose key the caller resolves itself (`finding:<rule>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenTerm {
    /// Written with a leading `-`.
    pub negated: bool,
    /// The value, unquoted.
    pub value: String,
    /// Byte range of the term in the expression.
    pub span: (usize, usize),
}

/// Takes the terms with key `key` (compared without regard to case) out of `expression`. The
/// rest keeps every other byte where it was (taken terms become spaces), so the parser's error
/// offsets in the rest point into the expression as typed.
pub fn take_terms(expression: &str, key: &str) -> (String, Vec<TakenTerm>) {
    let mut rest = expression.to_string();
    let mut taken = Vec::new();
    for t in terms(expression) {
        if !t.key.is_some_and(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        let span = (t.start, t.start + t.text.len());
        rest.replace_range(span.0..span.1, &" ".repeat(span.1 - span.0));
        taken.push(TakenTerm {
            negated: t.negated,
            value: t.value,
            span,
        });
    }
    (rest, taken)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::Filter;

    #[test]
    fn terms_split_as_the_parser_does() {
        let t = terms(r#"  eventName:"Get Object"  -user:a\b "free text" ip:10.0.0.0/8"#);
        let texts: Vec<_> = t.iter().map(|t| t.text).collect();
        assert_eq!(
            texts,
            [
                r#"eventName:"Get Object""#,
                r"-user:a\b",
                r#""free text""#,
                "ip:10.0.0.0/8"
            ]
        );
        assert_eq!(t[0].value, "Get Object");
        assert!(t[1].negated);
        assert_eq!(t[1].key, Some("user"));
        assert_eq!(t[2].key, None);
    }

    #[test]
    fn an_unclosed_quote_stays_as_typed() {
        let t = terms(r#"eventName:x user:"half open"#);
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].text, r#"user:"half open"#);
        assert_eq!(
            with_term(r#"user:"half"#, "region:x"),
            r#"user:"half region:x"#,
            "the user's text is kept"
        );
    }

    #[test]
    fn quoted_terms_parse_back_to_their_value() {
        for value in [
            "plain",
            "with space",
            r#"quote " inside"#,
            r"back\slash",
            "Boto3/1.34, Python/3.12",
            "a,b",
            "(parenthesised)",
            "ends)",
            "OR",
            "",
        ] {
            let t = term("eventName", value, true);
            let filter = Filter::parse(&t);
            if value.is_empty() {
                assert!(filter.is_err(), "an empty value is refused: {t}");
                continue;
            }
            let taken = terms(&t);
            assert_eq!(taken.len(), 1, "{t}");
            assert_eq!(taken[0].value, value);
            assert!(taken[0].negated);
            let filter = filter.unwrap();
            assert_eq!(filter.terms.len(), 1, "{t}");
            assert_eq!(
                filter.terms[0].test,
                crate::Test::Field(
                    crate::Key::Column(trailscope_store::Field::EventName),
                    crate::Value::Pattern(crate::Pattern::Exact(value.to_string()))
                ),
                "{t}"
            );
        }
    }

    #[test]
    fn term_use_and_without_term_see_selected_and_excluded_values() {
        let expression = r#"eventName:"Get Object" -USER:alice free region:eu-west-1"#;
        let selected = term("eventName", "Get Object", false);
        let excluded = term("user", "alice", false);
        assert_eq!(term_use(expression, &selected), Some(TermUse::Selected));
        assert_eq!(term_use(expression, &excluded), Some(TermUse::Excluded));
        assert_eq!(term_use(expression, "eventName:Get"), None);
        assert_eq!(term_use(expression, "region:eu"), None);
        assert_eq!(
            without_term(expression, &excluded),
            r#"eventName:"Get Object" free region:eu-west-1"#
        );
        assert_eq!(
            without_term(expression, &selected),
            "-USER:alice free region:eu-west-1"
        );
        assert_eq!(without_term(expression, "user:bob"), expression);
    }

    #[test]
    fn with_term_adds_once() {
        assert_eq!(with_term("", "a:1"), "a:1");
        assert_eq!(with_term(" a:1 ", "a:1"), "a:1");
        assert_eq!(with_term("a:1", "b:\"x y\""), "a:1 b:\"x y\"");
    }

    #[test]
    fn replace_time_knows_aliases_and_keeps_exclusions() {
        let out = replace_time(
            "eventTime:2024-01-01 from:2024-01-02 -time:2024-01-03 user:x TO:2024-02-01",
            "time:2024-05-01..2024-05-02",
        );
        assert_eq!(out, "-time:2024-01-03 user:x time:2024-05-01..2024-05-02");
        assert!(Filter::parse(&out).is_ok());
    }

    #[test]
    fn take_terms_keeps_offsets_and_negation() {
        let typed = "finding:cis-4.1 eventName:x -FINDING:\"root use\" bad::";
        let (rest, taken) = take_terms(typed, "finding");
        assert_eq!(rest.len(), typed.len());
        assert_eq!(taken.len(), 2);
        assert!(!taken[0].negated && taken[0].value == "cis-4.1");
        assert!(taken[1].negated && taken[1].value == "root use");
        assert_eq!(
            &typed[taken[1].span.0..taken[1].span.1],
            "-FINDING:\"root use\""
        );
        // An error in the rest points at the same bytes of what was typed.
        let error = Filter::parse(&rest).unwrap_err();
        assert_eq!(
            &typed[error.start..error.end],
            &rest[error.start..error.end]
        );
        assert!(typed[error.start..].starts_with("bad"), "{error:?}");
    }

    #[test]
    fn event_id_filters_select_exactly_their_ids() {
        let ids = ["a-1", "B 2", r#"q"x\y"#, "*", "end*", "", "c-3"];
        let (text, left_out) = event_ids_filter(&ids);
        assert_eq!(left_out, 3, "the wildcard-like and the empty one");
        let filter = Filter::parse(&text).unwrap();
        assert_eq!(filter.terms.len(), 4);
        for (term, id) in filter.terms.iter().zip(["a-1", "B 2", r#"q"x\y"#, "c-3"]) {
            assert!(!term.negated);
            match &term.test {
                crate::Test::Field(crate::Key::EventId, crate::Value::Pattern(p)) => {
                    assert_eq!(p, &crate::Pattern::Exact(id.to_string()));
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(event_ids_filter::<&str>(&[]), (String::new(), 0));
    }
}
