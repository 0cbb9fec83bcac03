//! Each built-in rule that implements a published filter (the CIS metric filters) gives the same
//! verdict as the filter itself, evaluated by an independent reading of CloudWatch Logs' JSON
//! filter syntax, on thousands of generated events that mix every name, source, error and
//! identity the filters mention.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::store_of;
use serde_json::{json, Value};
use trailscope_detect::RuleSet;

/// A CloudWatch Logs JSON filter: `{ term (&&|| term)* }`.
#[derive(Debug)]
enum Filter {
    /// `$.path = value` / `$.path != value` (value may have `*` wildcards).
    Compare {
        path: Vec<String>,
        equal: bool,
        value: String,
    },
    /// `$.path NOT EXISTS`.
    NotExists(Vec<String>),
    /// Terms joined left to right. The benchmark writes 4.1 as `A || B && C && D` and means
    /// (A || B) && C && D (Security Hub's CloudWatch.2): a left-to-right reading gives that.
    Chain(Box<Filter>, Vec<(bool, Filter)>),
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '{' | '}' => {
                chars.next();
            }
            '(' | ')' => {
                out.push(c.to_string());
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::from("\"");
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    s.push(c);
                }
                out.push(s);
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' || c == ')' || c == '(' || c == '}' {
                        break;
                    }
                    // `!=` and `=` glued to a value or selector.
                    if (c == '=' || c == '!') && !s.is_empty() && !s.starts_with(['=', '!']) {
                        break;
                    }
                    if s.ends_with('=') && c != '=' {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(s);
            }
        }
    }
    out
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> String {
        self.at += 1;
        self.tokens[self.at - 1].clone()
    }
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }
    fn chain(&mut self) -> Filter {
        let first = self.term();
        let mut rest = Vec::new();
        while let Some(op @ ("&&" | "||")) = self.peek() {
            let and = op == "&&";
            self.at += 1;
            rest.push((and, self.term()));
        }
        Filter::Chain(Box::new(first), rest)
    }
    fn term(&mut self) -> Filter {
        let t = self.next();
        if t == "(" {
            let inner = self.chain();
            assert_eq!(self.next(), ")");
            return inner;
        }
        let path: Vec<String> = t
            .strip_prefix("$.")
            .unwrap_or_else(|| panic!("selector expected, got {t}"))
            .split('.')
            .map(str::to_string)
            .collect();
        match self.next().as_str() {
            "=" | "!=" if false => unreachable!(),
            op @ ("=" | "!=") => {
                let value = self.next();
                let value = value.strip_prefix('"').unwrap_or(&value).to_string();
                Filter::Compare {
                    path,
                    equal: op == "=",
                    value,
                }
            }
            "NOT" => {
                assert_eq!(self.next(), "EXISTS");
                Filter::NotExists(path)
            }
            other => panic!("operator expected, got {other}"),
        }
    }
}

fn parse(text: &str) -> Filter {
    let mut p = Parser {
        tokens: tokens(text),
        at: 0,
    };
    let f = p.chain();
    assert_eq!(p.at, p.tokens.len(), "whole filter read: {text}");
    f
}

fn lookup<'a>(event: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(event, |v, k| v.get(k))
}

fn wildcard(pattern: &str, text: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(rest), _) => text.ends_with(rest),
        (_, Some(head)) => text.starts_with(head),
        _ => pattern == text,
    }
}

/// CloudWatch semantics as read for these filters: `=` needs the field; `!=` holds for a
/// missing field (a sign-in record without MFAUsed is "not Yes").
fn eval(f: &Filter, event: &Value) -> bool {
    match f {
        Filter::Compare { path, equal, value } => {
            let text = lookup(event, path).and_then(Value::as_str);
            match text {
                Some(t) => wildcard(value, t) == *equal,
                None => !equal,
            }
        }
        Filter::NotExists(path) => lookup(event, path).is_none_or(Value::is_null),
        Filter::Chain(first, rest) => rest.iter().fold(eval(first, event), |acc, (and, t)| {
            if *and {
                acc && eval(t, event)
            } else {
                acc || eval(t, event)
            }
        }),
    }
}

/// Deterministic pseudo-random choices (no dependency: the sequence only has to vary).
struct Lcg(u64);
impl Lcg {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        &items[((self.0 >> 33) as usize) % items.len()]
    }
}

#[test]
fn cis_rules_agree_with_the_published_filters() {
    let set = RuleSet::builtin();
    let implementing: Vec<(usize, Filter)> = set
        .rules()
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.implements.as_ref().map(|im| (i, parse(&im.filter))))
        .collect();
    assert!(implementing.len() >= 17, "{}", implementing.len());
    // Every name any filter mentions, and near misses.
    let mut names: Vec<String> = set
        .rules()
        .iter()
        .filter_map(|r| r.implements.as_ref())
        .flat_map(|im| {
            tokens(&im.filter)
                .into_iter()
                .filter(|t| {
                    t.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_uppercase() || c == '"')
                })
                .map(|t| t.trim_matches('"').to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    names.extend(
        [
            "HeadBucket",
            "GetObject",
            "ModifySecurityGroupRules",
            "ListUsers",
            "createtrail",
        ]
        .map(String::from),
    );
    names.sort();
    names.dedup();
    let sources = [
        "ec2.amazonaws.com",
        "s3.amazonaws.com",
        "kms.amazonaws.com",
        "config.amazonaws.com",
        "organizations.amazonaws.com",
        "iam.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "apigateway.amazonaws.com",
        "signin.amazonaws.com",
    ];
    let errors = [
        None,
        Some("AccessDenied"),
        Some("AccessDeniedException"),
        Some("Client.UnauthorizedOperation"),
        Some("NoSuchKey"),
        Some("accessdenied"),
    ];
    let identities = ["IAMUser", "Root", "AssumedRole"];
    let mfa = [None, Some("Yes"), Some("No")];
    let results = [None, Some("Success"), Some("Failure")];
    let messages = [None, Some("Failed authentication"), Some("Other")];
    let ips = ["203.0.113.7", "delivery.logs.amazonaws.com"];
    let invoked = [None, Some("cloudformation.amazonaws.com")];
    let types = ["AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn"];
    let mut rng = Lcg(7);
    let mut events = Vec::new();
    for round in 0..60 {
        for name in &names {
            let mut e = json!({
                "eventName": name,
                "eventSource": if round == 0 { "ec2.amazonaws.com" } else { rng.pick(&sources) },
                "awsRegion": "us-east-1",
                "sourceIPAddress": rng.pick(&ips),
                "eventType": rng.pick(&types),
                "userIdentity": {"type": rng.pick(&identities), "arn": "arn:aws:iam::123456789012:user/a"},
            });
            let map = e.as_object_mut().unwrap();
            if let Some(code) = rng.pick(&errors) {
                map.insert("errorCode".into(), json!(code));
            }
            if let Some(m) = rng.pick(&messages) {
                map.insert("errorMessage".into(), json!(m));
            }
            if let Some(m) = rng.pick(&mfa) {
                map.insert("additionalEventData".into(), json!({"MFAUsed": m}));
            }
            if let Some(r) = rng.pick(&results) {
                map.insert("responseElements".into(), json!({"ConsoleLogin": r}));
            }
            if let Some(by) = rng.pick(&invoked) {
                map["userIdentity"]["invokedBy"] = json!(by);
            }
            events.push(e);
        }
    }
    let store = store_of(&events);
    let matches = set.evaluate(&store);
    for (index, filter) in &implementing {
        let rule = &set.rules()[*index];
        let expected: Vec<u32> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| eval(filter, e))
            .map(|(i, _)| i as u32)
            .collect();
        assert!(
            !expected.is_empty(),
            "{}: the battery exercises it",
            rule.id
        );
        assert!(
            expected.len() < events.len(),
            "{}: and misses some",
            rule.id
        );
        assert_eq!(matches[*index].rows, expected, "{} vs its filter", rule.id);
    }
}

#[test]
fn the_filter_reader_reads_the_benchmark_forms() {
    let f = parse(
        r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") }"#,
    );
    let e = |code: &str, ip: &str| json!({"errorCode": code, "sourceIPAddress": ip});
    assert!(eval(&f, &e("AccessDenied", "1.2.3.4")));
    assert!(eval(&f, &e("Client.UnauthorizedOperation", "1.2.3.4")));
    assert!(!eval(
        &f,
        &e(
            "Client.UnauthorizedOperation",
            "delivery.logs.amazonaws.com"
        )
    ));
    assert!(!eval(&f, &e("NoSuchKey", "1.2.3.4")));
    let root = parse(r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }"#);
    assert!(eval(&root, &json!({"userIdentity": {"type": "Root"}})));
    assert!(!eval(
        &root,
        &json!({"userIdentity": {"type": "Root", "invokedBy": "x"}})
    ));
}
