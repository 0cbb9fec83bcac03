//! The filter language compiled to SQL, for trails that outgrow one machine: Athena over the
//! CloudTrail table AWS documents (JSON SerDe: lower-case columns, `requestParameters` and the
//! like as JSON text, `eventTime` and `readOnly` as text), and Spark SQL over
//! `trailscope export --format parquet` (the SQL table's schema: maps of JSON text, `eventTime`
//! a timestamp, `readOnly` a boolean).
//!
//! Each term means what it means in the store: values compared ignoring ASCII case, `*` at the
//! ends, an empty value the same as a missing one, terms on one field alternatives, a negated
//! term true where the value is missing. What those tables cannot answer the way Trailscope
//! does (free text over the original record, the derived `user`, MFA, integrity verdicts) is
//! refused, naming the term, rather than answered differently.
//!
//! Written here because it is the filter language's meaning, not SQL's: no engine offers
//! "this filter language on that table".

use crate::filter::{Filter, Pattern, Term, Test, TimeSpan, Value};
use crate::key::Key;
use trailscope_model::Timestamp;
use trailscope_store::Field;

/// Where the SQL runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlDialect {
    /// Amazon Athena (Trino) over the CloudTrail table of AWS's documentation.
    Athena,
    /// Spark SQL over a Parquet export registered as a view.
    Spark,
}

impl SqlDialect {
    /// The table the emitted query reads.
    pub fn table(self) -> &'static str {
        match self {
            SqlDialect::Athena => ATHENA_TABLE,
            SqlDialect::Spark => SPARK_VIEW,
        }
    }
}

/// The Athena table's name in AWS's documented DDL.
pub const ATHENA_TABLE: &str = "cloudtrail_logs";

/// The table Athena queries are written for: AWS's documented CloudTrail table (JSON SerDe,
/// partition projection by day), with a placeholder bucket and account. The README shows it.
pub const ATHENA_TABLE_DDL: &str = include_str!("../athena/cloudtrail_logs.sql");
/// The view Spark reads the Parquet export as (`spark.read.parquet(DIR).createOrReplaceTempView("events")`).
pub const SPARK_VIEW: &str = "events";

/// A term SQL over those tables cannot answer as Trailscope does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{term}: {reason}")]
pub struct NotExpressible {
    /// The term, in canonical form.
    pub term: String,
    /// Why.
    pub reason: String,
}

/// `SELECT * FROM <table> WHERE <filter>`.
pub fn filter_query(filter: &Filter, dialect: SqlDialect) -> Result<String, NotExpressible> {
    Ok(format!(
        "SELECT *\nFROM {}\nWHERE {}",
        dialect.table(),
        filter_condition(filter, dialect)?
    ))
}

/// The filter as a SQL condition: groups of terms on one field (alternatives, minus the
/// negated ones), all of which must hold; `TRUE` for an empty filter.
pub fn filter_condition(filter: &Filter, dialect: SqlDialect) -> Result<String, NotExpressible> {
    // Grouped by key as the evaluator groups them; free text never gets here.
    let mut groups: Vec<(&Key, Vec<&Term>)> = Vec::new();
    for term in &filter.terms {
        match &term.test {
            Test::Field(key, _) => match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, terms)) => terms.push(term),
                None => groups.push((key, vec![term])),
            },
            Test::Text(_) => {
                return Err(refused(
                    term,
                    "free text searches the original record, which these tables do not keep as text; use field:value terms",
                ))
            }
        }
    }
    let mut parts = Vec::new();
    for (_, terms) in groups {
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for term in terms {
            let condition = term_condition(term, dialect)?;
            if term.negated {
                // SQL's NOT of a missing value is unknown; the filter's is true.
                negative.push(format!("NOT coalesce({condition}, false)"));
            } else {
                positive.push(condition);
            }
        }
        if !positive.is_empty() {
            parts.push(if positive.len() == 1 {
                positive.concat()
            } else {
                format!("({})", positive.join(" OR "))
            });
        }
        parts.extend(negative);
    }
    Ok(if parts.is_empty() {
        "TRUE".to_string()
    } else {
        parts.join("\n  AND ")
    })
}

fn refused(term: &Term, reason: &str) -> NotExpressible {
    let mut positive = term.clone();
    positive.negated = false;
    NotExpressible {
        term: positive.to_string(),
        reason: reason.to_string(),
    }
}

/// One term, not negated.
fn term_condition(term: &Term, dialect: SqlDialect) -> Result<String, NotExpressible> {
    let Test::Field(key, value) = &term.test else {
        return Err(refused(term, "free text is not expressible"));
    };
    let athena = dialect == SqlDialect::Athena;
    match (key, value) {
        (Key::Column(Field::User), _) => Err(refused(
            term,
            "user is Trailscope's reading of the identity (user name, role and session); filter on userIdentity.arn or userIdentity.userName instead",
        )),
        (Key::Column(Field::SourceIp), Value::Cidr(cidr)) => {
            if athena {
                Ok(format!(
                    "contains('{cidr}', try_cast(sourceipaddress AS ipaddress))"
                ))
            } else {
                Err(refused(
                    term,
                    "Spark SQL has no address-range test; list the addresses or filter in Athena",
                ))
            }
        }
        (Key::Column(field), Value::Pattern(p)) => {
            Ok(pattern(&column(*field, dialect), p, dialect))
        }
        (Key::EventId, Value::Pattern(p)) => Ok(pattern(
            if athena { "eventid" } else { "eventID" },
            p,
            dialect,
        )),
        (Key::Error, Value::Pattern(p)) => {
            let (code, message) = if athena {
                ("errorcode", "errormessage")
            } else {
                ("errorCode", "errorMessage")
            };
            Ok(format!(
                "({} OR {})",
                pattern(code, p, dialect),
                pattern(message, p, dialect)
            ))
        }
        (Key::ReadOnly, Value::Flag(b)) => Ok(if athena {
            format!("lower(readonly) = '{b}'")
        } else {
            format!("readOnly = {b}")
        }),
        (Key::ResourceType, Value::Pattern(p)) => {
            let test = pattern("r.type", p, dialect);
            Ok(if athena {
                format!("any_match(resources, r -> {test})")
            } else {
                format!("exists(resources, r -> {test})")
            })
        }
        (Key::Path(path), Value::Pattern(p)) => {
            Ok(pattern(&path_expression(path, dialect), p, dialect))
        }
        (k, Value::Time(span)) if k.is_time() => Ok(time_condition(k, *span, dialect)),
        (Key::Mfa, _) => Err(refused(
            term,
            "MFA is read from MFAUsed on console sign-ins and the session's mfaAuthenticated otherwise; filter on those paths instead",
        )),
        (Key::Integrity | Key::Conflict, _) => Err(refused(
            term,
            "a verdict of Trailscope's own checks, not a field of the logs",
        )),
        (Key::Resource, _) => Err(refused(
            term,
            "resource matches an ARN or the name at its end; filter on resourceType, or on a request parameter",
        )),
        _ => Err(refused(term, "not expressible in SQL")),
    }
}

/// A store column as SQL: the same value the store keeps (an Insights event's name and source
/// are in its details, which only the export has; the account falls back to the caller's).
pub fn column(field: Field, dialect: SqlDialect) -> String {
    let athena = dialect == SqlDialect::Athena;
    match (field, athena) {
        (Field::EventName, false) => {
            "coalesce(nullif(eventName, ''), insightDetails.eventName)".into()
        }
        (Field::EventSource, false) => {
            "coalesce(nullif(eventSource, ''), insightDetails.eventSource)".into()
        }
        (Field::Account, true) => {
            "coalesce(nullif(recipientaccountid, ''), useridentity.accountid)".into()
        }
        (Field::Account, false) => {
            "coalesce(nullif(recipientAccountId, ''), userIdentity.accountId)".into()
        }
        (f, true) => f.path().to_ascii_lowercase(),
        (f, false) => f.path().to_string(),
    }
}

/// The JSON-text columns of the tables, by their name in the record.
pub const JSON_TEXT: [&str; 4] = [
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
];

/// A record path as SQL: JSON text is read with the engine's JSON functions, structs with
/// dots. (The store also searches array elements; SQL reads a path's scalar only.)
pub fn path_expression(path: &str, dialect: SqlDialect) -> String {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let json = JSON_TEXT.iter().find(|c| c.eq_ignore_ascii_case(head));
    match (json, dialect) {
        (Some(column), SqlDialect::Athena) if !rest.is_empty() => format!(
            "json_extract_scalar({}, {})",
            column.to_ascii_lowercase(),
            literal(&format!("$.{rest}"), dialect)
        ),
        (Some(column), SqlDialect::Spark) if !rest.is_empty() => {
            // The export keeps these as maps of JSON text: the first key, then JSON inside.
            let (key, deeper) = rest.split_once('.').unwrap_or((rest, ""));
            let value = format!("element_at({column}, {})", literal(key, dialect));
            if deeper.is_empty() {
                value
            } else {
                format!(
                    "get_json_object({value}, {})",
                    literal(&format!("$.{deeper}"), dialect)
                )
            }
        }
        (_, SqlDialect::Athena) => path.to_ascii_lowercase(),
        (_, SqlDialect::Spark) => path.to_string(),
    }
}

/// `expression` against a pattern: ASCII case ignored, an empty value the same as none.
fn pattern(expression: &str, p: &Pattern, dialect: SqlDialect) -> String {
    let like = |value: String| {
        like(
            &format!("lower({expression})"),
            &value.to_ascii_lowercase(),
            dialect,
        )
    };
    match p {
        Pattern::Any => format!("coalesce({expression}, '') <> ''"),
        Pattern::Exact(v) => format!(
            "lower({expression}) = {}",
            literal(&v.to_ascii_lowercase(), dialect)
        ),
        Pattern::Prefix(v) => like(format!("{}%", like_literal(v))),
        Pattern::Suffix(v) => like(format!("%{}", like_literal(v))),
        Pattern::Contains(v) => like(format!("%{}%", like_literal(v))),
    }
}

/// `expression LIKE pattern`, a backslash escaping the wildcards [`like_literal`] escaped.
pub fn like(expression: &str, pattern: &str, dialect: SqlDialect) -> String {
    format!(
        "{expression} LIKE {} ESCAPE {}",
        literal(pattern, dialect),
        literal("\\", dialect)
    )
}

/// `v` with LIKE's wildcards and its escape character escaped.
pub fn like_literal(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `v` as a string literal of the dialect. Trino doubles quotes and takes backslashes as
/// they are; Spark's parser reads backslash escapes (and would join `'it''s'` into `its`),
/// so there both are escaped with a backslash.
pub fn literal(v: &str, dialect: SqlDialect) -> String {
    match dialect {
        SqlDialect::Athena => format!("'{}'", v.replace('\'', "''")),
        SqlDialect::Spark => format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}

fn time_condition(key: &Key, span: TimeSpan, dialect: SqlDialect) -> String {
    let (time, at) = match dialect {
        SqlDialect::Athena => (
            "from_iso8601_timestamp(eventtime)",
            Box::new(|ms: i64| {
                format!(
                    "from_iso8601_timestamp('{}')",
                    Timestamp::from_unix_millis(ms)
                )
            }) as Box<dyn Fn(i64) -> String>,
        ),
        SqlDialect::Spark => (
            "eventTime",
            Box::new(|ms: i64| format!("timestamp_millis({ms})")) as Box<dyn Fn(i64) -> String>,
        ),
    };
    match key {
        Key::From => format!("{time} >= {}", at(span.start)),
        Key::To => format!("{time} <= {}", at(span.end)),
        Key::After => format!("{time} > {}", at(span.end)),
        Key::Before => format!("{time} < {}", at(span.start)),
        _ => format!("{time} BETWEEN {} AND {}", at(span.start), at(span.end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(filter: &str, dialect: SqlDialect) -> Result<String, NotExpressible> {
        filter_condition(&Filter::parse(filter).unwrap(), dialect)
    }

    #[test]
    fn athena_reads_the_documented_table() {
        assert_eq!(
            sql(
                "eventSource:iam.amazonaws.com -readOnly:true errorCode:AccessDenied*",
                SqlDialect::Athena
            )
            .unwrap(),
            "lower(eventsource) = 'iam.amazonaws.com'\n  AND NOT coalesce(lower(readonly) = 'true', false)\n  AND lower(errorcode) LIKE 'accessdenied%' ESCAPE '\\'"
        );
        assert_eq!(
            sql("eventName:A eventName:B ip:10.0.0.0/8", SqlDialect::Athena).unwrap(),
            "(lower(eventname) = 'a' OR lower(eventname) = 'b')\n  AND contains('10.0.0.0/8', try_cast(sourceipaddress AS ipaddress))"
        );
        assert_eq!(
            sql(
                "requestParameters.bucketName:\"it's_100%\"",
                SqlDialect::Athena
            )
            .unwrap(),
            "lower(json_extract_scalar(requestparameters, '$.bucketName')) = 'it''s_100%'"
        );
        assert_eq!(
            sql("time:2024-03-01 error:*", SqlDialect::Athena).unwrap(),
            "from_iso8601_timestamp(eventtime) BETWEEN from_iso8601_timestamp('2024-03-01T00:00:00Z') AND from_iso8601_timestamp('2024-03-01T23:59:59.999Z')\n  AND (coalesce(errorcode, '') <> '' OR coalesce(errormessage, '') <> '')"
        );
    }

    #[test]
    fn spark_reads_the_parquet_export() {
        assert_eq!(
            sql(
                "userIdentity.type:IAMUser requestParameters.bucketName:*logs* responseElements.credentials.accessKeyId:ASIA*",
                SqlDialect::Spark
            )
            .unwrap(),
            "lower(userIdentity.type) = 'iamuser'\n  AND lower(element_at(requestParameters, 'bucketName')) LIKE '%logs%' ESCAPE '\\\\'\n  AND lower(get_json_object(element_at(responseElements, 'credentials'), '$.accessKeyId')) LIKE 'asia%' ESCAPE '\\\\'"
        );
        assert_eq!(
            sql("readOnly:false after:2024-03-01 resourceType:AWS::S3::Object", SqlDialect::Spark).unwrap(),
            "readOnly = false\n  AND eventTime > timestamp_millis(1709337599999)\n  AND exists(resources, r -> lower(r.type) = 'aws::s3::object')"
        );
        assert_eq!(sql("", SqlDialect::Spark).unwrap(), "TRUE");
        // Spark reads backslash escapes in literals and joins 'a''b' into "ab".
        assert_eq!(
            sql(r#"requestParameters.key:"it's\\a_b*""#, SqlDialect::Spark).unwrap(),
            r"lower(element_at(requestParameters, 'key')) LIKE 'it\'s\\\\a\\_b%' ESCAPE '\\'"
        );
        assert_eq!(
            filter_query(&Filter::parse("eventID:e1").unwrap(), SqlDialect::Spark).unwrap(),
            "SELECT *\nFROM events\nWHERE lower(eventID) = 'e1'"
        );
    }

    #[test]
    fn the_readme_shows_the_athena_table_as_it_is_here() {
        let readme = include_str!("../../../README.md");
        assert!(readme.contains(ATHENA_TABLE_DDL.trim_end()));
    }

    #[test]
    fn what_cannot_be_answered_the_same_way_is_refused_by_name() {
        for (filter, dialect, term) in [
            (
                "eventName:A \"some text\"",
                SqlDialect::Athena,
                "\"some text\"",
            ),
            ("user:alice", SqlDialect::Spark, "user:alice"),
            (
                "-integrity:verified",
                SqlDialect::Athena,
                "integrity:verified",
            ),
            ("mfa:false", SqlDialect::Athena, "mfa:false"),
            (
                "ip:10.0.0.0/8",
                SqlDialect::Spark,
                "sourceIPAddress:10.0.0.0/8",
            ),
            (
                "resource:my-bucket",
                SqlDialect::Spark,
                "resource:my-bucket",
            ),
        ] {
            let e = sql(filter, dialect).unwrap_err();
            assert_eq!(e.term, term, "{filter}");
            assert!(!e.reason.is_empty());
        }
    }
}
