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
    /// A bare `AND`, `OR` or `NOT` (any case), which joins or negates terms.
    pub connective: bool,
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
                    connective: raw.connective().is_some(),
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
                        connective: false,
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
    let value = written_value(value);
    format!("{}{field}:{value}", if exclude { "-" } else { "" })
}

/// `value` as a term writes it: quoted when it needs to be (a `"` anywhere is quoted too, so
/// the value reads back whole).
fn written_value(value: &str) -> String {
    if crate::filter::needs_quotes(value, false) || value.contains('"') {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

/// What is being typed at the cursor, for the filter box's autocomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completing {
    /// A field name (`eventNa|`, `-user|`).
    Field {
        /// The name typed so far.
        prefix: String,
        /// The bytes a chosen name replaces (the name, and its colon if typed).
        span: (usize, usize),
    },
    /// A field's value (`eventName:Get|`).
    Value {
        /// The field, as written.
        field: String,
        /// The value typed so far, unquoted.
        prefix: String,
        /// The bytes a chosen value replaces (the whole value as written).
        span: (usize, usize),
    },
}

/// What the user is typing at byte `cursor` of `expression`: a field name, a field's value, or
/// nothing to complete (between terms, a connective, free text in quotes, a list of values).
pub fn completing(expression: &str, cursor: usize) -> Option<Completing> {
    let terms = terms(expression);
    let term = terms
        .iter()
        .find(|t| t.start <= cursor && cursor <= t.start + t.text.len())?;
    if term.connective {
        return None;
    }
    let end = term.start + term.text.len();
    let offset_in = |part: &str| part.as_ptr() as usize - expression.as_ptr() as usize;
    let name_start = term.start + usize::from(term.text.starts_with('-'));
    match term.key {
        Some(key) => {
            let key_start = offset_in(key);
            let colon = key_start + key.len();
            if cursor <= colon {
                return Some(Completing::Field {
                    prefix: expression.get(key_start..cursor)?.to_string(),
                    span: (key_start, colon + 1),
                });
            }
            let typed = expression.get(colon + 1..cursor)?;
            if typed.starts_with('(') || typed.contains(',') {
                return None;
            }
            let prefix = typed.strip_prefix('"').unwrap_or(typed);
            Some(Completing::Value {
                field: key.to_string(),
                prefix: prefix.replace("\\\"", "\"").replace("\\\\", "\\"),
                span: (colon + 1, end),
            })
        }
        None => {
            let typed = expression.get(name_start..cursor)?;
            if typed.starts_with('"') || typed.is_empty() {
                return None;
            }
            // A value whose quote is not closed yet (`user:"Jo`): the lexer could not split
            // the term, so its key is found here.
            if let Some((key, value)) = typed.split_once(':') {
                if !key.contains(['"', '(']) && value.starts_with('"') {
                    let value_start = name_start + key.len() + 1;
                    return Some(Completing::Value {
                        field: key.to_string(),
                        prefix: value
                            .get(1..)
                            .unwrap_or_default()
                            .replace("\\\"", "\"")
                            .replace("\\\\", "\\"),
                        span: (value_start, end),
                    });
                }
                // Any other term the lexer could not split (an unclosed list) is left alone.
                return None;
            }
            Some(Completing::Field {
                prefix: typed.to_string(),
                span: (name_start, end),
            })
        }
    }
}

/// `expression` with what [`completing`] found replaced by `choice` (a field name gets its
/// colon, a value is quoted as needed and followed by a space), and the cursor after it.
pub fn complete(expression: &str, completing: &Completing, choice: &str) -> (String, usize) {
    let before_end = match completing {
        Completing::Field { span, .. } | Completing::Value { span, .. } => *span,
    };
    let before = expression.get(..before_end.0).unwrap_or(expression);
    let after = expression.get(before_end.1..).unwrap_or_default();
    match completing {
        Completing::Field { .. } => {
            let text = format!("{before}{choice}:");
            let cursor = text.len();
            (text + after, cursor)
        }
        Completing::Value { .. } => {
            let value = written_value(choice);
            // The cursor goes past the space after the value, which is added when missing.
            let space = if after.starts_with(' ') { "" } else { " " };
            let text = format!("{before}{value}{space}");
            let cursor = text.len() + usize::from(space.is_empty());
            (text + after, cursor)
        }
    }
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

/// One condition of an expression as the page lists it (a removable chip): a term with the
/// connectives that belong to it (`NOT user:bob`, `AND errorCode:X`), or terms joined by `OR`
/// (`eventName:A OR eventName:B`), so that removing it leaves an expression that still reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip<'a> {
    /// The condition as written, connectives included.
    pub text: &'a str,
    /// Its byte range in the expression.
    pub span: (usize, usize),
    /// Where it starts once a leading `AND` is dropped (when it becomes the first condition).
    without_and: usize,
    /// The condition excludes (`-term` or `NOT term`).
    pub excluded: bool,
}

/// The conditions of `expression` as removable chips (see [`Chip`]). Stray connectives (a
/// trailing `NOT`) form a chip of their own, so nothing typed is hidden.
pub fn chips(expression: &str) -> Vec<Chip<'_>> {
    let terms = terms(expression);
    let word = |i: usize, w: &str| {
        terms
            .get(i)
            .is_some_and(|t| t.connective && t.text.eq_ignore_ascii_case(w))
    };
    let end_of = |t: &TermText<'_>| t.start + t.text.len();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(first) = terms.get(i) {
        let mut excluded = false;
        let mut without_and = first.start;
        // `AND` and `NOT` lead the term they belong to.
        while terms.get(i).is_some_and(|t| t.connective && !word(i, "OR")) {
            if word(i, "NOT") {
                excluded = !excluded;
            } else if let Some(next) = terms.get(i + 1) {
                if without_and == terms.get(i).map_or(0, |t| t.start) {
                    without_and = next.start;
                }
            }
            i += 1;
        }
        let Some(term) = terms.get(i) else {
            // Only connectives were left.
            let last = terms.last().map_or(first.start, end_of);
            out.push(Chip {
                text: expression.get(first.start..last).unwrap_or_default(),
                span: (first.start, last),
                without_and,
                excluded: false,
            });
            break;
        };
        excluded ^= term.negated;
        let mut last = i;
        // `a OR b OR c`: alternatives, one condition.
        while word(last + 1, "OR") && terms.get(last + 2).is_some_and(|t| !t.connective) {
            last += 2;
        }
        let end = terms.get(last).map_or(term.start, end_of);
        out.push(Chip {
            text: expression.get(first.start..end).unwrap_or_default(),
            span: (first.start, end),
            without_and,
            excluded,
        });
        i = last + 1;
    }
    out
}

/// `expression` without its `index`-th chip ([`chips`]); the other conditions stay as written.
pub fn without_chip(expression: &str, index: usize) -> String {
    let chips = chips(expression);
    let mut kept: Vec<&str> = Vec::new();
    for (i, chip) in chips.iter().enumerate() {
        if i == index {
            continue;
        }
        // The first condition left loses a leading `AND`, which would dangle.
        let from = if kept.is_empty() {
            chip.without_and
        } else {
            chip.span.0
        };
        kept.push(expression.get(from..chip.span.1).unwrap_or_default());
    }
    kept.join(" ")
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
    fn completing_knows_a_name_from_a_value_and_completes_either() {
        let at_end = |e: &str| completing(e, e.len());
        assert_eq!(
            at_end("eventNa"),
            Some(Completing::Field {
                prefix: "eventNa".into(),
                span: (0, 7)
            })
        );
        assert_eq!(
            at_end("readOnly:true -us"),
            Some(Completing::Field {
                prefix: "us".into(),
                span: (15, 17)
            })
        );
        assert_eq!(
            at_end("eventName:Get"),
            Some(Completing::Value {
                field: "eventName".into(),
                prefix: "Get".into(),
                span: (10, 13)
            })
        );
        assert_eq!(
            at_end("-user:\"Jo"),
            Some(Completing::Value {
                field: "user".into(),
                prefix: "Jo".into(),
                span: (6, 9)
            })
        );
        assert_eq!(at_end("eventName:A "), None, "between terms");
        assert_eq!(at_end("eventName:A AND"), None, "a connective");
        assert_eq!(at_end("eventName:(A OR B"), None, "a list");
        assert_eq!(at_end("\"free te"), None, "quoted free text");
        // The cursor inside the name of a term with a value: the name is replaced, the
        // value kept.
        let inside = completing("eventNa:Get", 3).unwrap();
        assert_eq!(
            inside,
            Completing::Field {
                prefix: "eve".into(),
                span: (0, 8)
            }
        );
        assert_eq!(
            complete("eventNa:Get", &inside, "eventName"),
            ("eventName:Get".into(), 10)
        );
        let name = at_end("readOnly:true -us").unwrap();
        assert_eq!(
            complete("readOnly:true -us", &name, "user"),
            ("readOnly:true -user:".into(), 20)
        );
        let value = at_end("region:eu eventName:Get").unwrap();
        assert_eq!(
            complete("region:eu eventName:Get", &value, "GetObject"),
            ("region:eu eventName:GetObject ".into(), 30)
        );
        let quoted = at_end("user:Jo").unwrap();
        let (text, cursor) = complete("user:Jo", &quoted, "Jo \"Admin\"");
        assert_eq!(text, "user:\"Jo \\\"Admin\\\"\" ");
        assert_eq!(cursor, text.len());
        let parsed = crate::Filter::parse(&text).unwrap();
        assert_eq!(parsed.to_string(), "user:\"Jo \\\"Admin\\\"\"");
        // A value completed in the middle keeps what follows.
        let middle = completing("eventName:Ge -readOnly:true", 12).unwrap();
        assert_eq!(
            complete("eventName:Ge -readOnly:true", &middle, "GetObject"),
            ("eventName:GetObject -readOnly:true".into(), 20)
        );
    }

    #[test]
    fn chips_keep_their_connectives_and_removing_one_leaves_a_filter_that_reads() {
        fn texts(e: &str) -> Vec<(&str, bool)> {
            chips(e).into_iter().map(|c| (c.text, c.excluded)).collect()
        }
        assert_eq!(
            texts(r#"eventName:A -readOnly:true "free text""#),
            [
                ("eventName:A", false),
                ("-readOnly:true", true),
                ("\"free text\"", false)
            ]
        );
        assert_eq!(
            texts("eventName:A AND NOT user:bob"),
            [("eventName:A", false), ("AND NOT user:bob", true)]
        );
        assert_eq!(
            texts("eventName:A or eventName:B errorCode:X"),
            [
                ("eventName:A or eventName:B", false),
                ("errorCode:X", false)
            ]
        );
        assert_eq!(
            texts("eventName:(A OR B) not -user:x"),
            [("eventName:(A OR B)", false), ("not -user:x", false)]
        );
        assert_eq!(texts("\"OR\" AND"), [("\"OR\"", false), ("AND", false)]);
        assert_eq!(
            without_chip("eventName:A AND NOT user:bob", 0),
            "NOT user:bob"
        );
        assert_eq!(
            without_chip("eventName:A AND NOT user:bob", 1),
            "eventName:A"
        );
        assert_eq!(
            without_chip("eventName:A OR eventName:B errorCode:X", 0),
            "errorCode:X"
        );
        assert_eq!(without_chip("a AND b AND c", 0), "b AND c");
        assert_eq!(without_chip("a AND b AND c", 1), "a AND c");
        assert_eq!(without_chip("a", 0), "");
        // Every chip of a filter that reads can be removed, and what is left reads too, with
        // the same meaning as the other conditions alone.
        for expression in [
            "eventName:A AND NOT user:bob user:carol -readOnly:true",
            "NOT eventName:A AND eventName:B OR eventName:C and error:* \"x y\"",
            "region:(us-east-1 OR eu-west-1) AND -ip:10.0.0.0/8 AND NOT text",
            "time:2024-01-01..2024-01-02 and user:a,b not errorCode:X",
        ] {
            let all = chips(expression);
            assert!(Filter::parse(expression).is_ok(), "{expression}");
            for index in 0..all.len() {
                let rest = without_chip(expression, index);
                let others: Vec<&str> = all
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != index)
                    .map(|(_, c)| c.text.trim_start_matches("AND ").trim_start_matches("and "))
                    .collect();
                let expected = Filter::parse(&others.join(" AND ")).unwrap();
                assert_eq!(
                    Filter::parse(&rest).unwrap(),
                    expected,
                    "{expression} without {index}: {rest}"
                );
            }
        }
    }

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
