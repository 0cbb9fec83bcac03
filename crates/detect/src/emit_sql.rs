//! Detection rules compiled to SQL, for trails that outgrow one machine: the same rule, run by
//! Athena over the CloudTrail table AWS documents or by Spark SQL over the Parquet export (or
//! raw logs read into the same view), selects the events the engine here selects.
//!
//! A plain rule is a `WHERE`; a counting rule becomes two window functions (how many matching
//! events start a window at each event, then whether any window that holds the event reached
//! the count); a first-sighting rule becomes two `row_number()`s (the first event of each
//! value in each history, except the history's first event). Each field test keeps the
//! engine's meaning: exact and case-sensitive unless the rule ignores case, an empty string
//! tested like a value, a missing field never equal to anything and `NOT` of a missing field
//! true (SQL's unknown is folded to false in every test). What SQL cannot answer the same way
//! (Trailscope's derived `user`, address ranges in Spark, paths Athena's table does not have)
//! is refused with the reason, never answered differently.
//!
//! Written here because it is the rule language's meaning; no crate compiles "these rules" to
//! SQL. The dialect's own pieces (literals, LIKE, the filter language's paths) are shared with
//! the filter's compiler in `trailscope_query::emit_sql`.

use trailscope_query::emit_sql::{like, like_literal, literal, path_expression, SqlDialect};

use crate::condition::{Cmp, Condition, Match, Operator};
use crate::rule::Rule;
use crate::time::{BusinessHours, ClockOffset, DayOfWeek};

/// A rule that SQL over those tables cannot answer as the engine does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule}: {reason}")]
pub struct RuleNotExpressible {
    /// The rule's id.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// The rule as one query returning the events it finds, every column of the table, plus the
/// helper columns of counting and first-sighting rules (prefixed `ts_`).
pub fn rule_query(rule: &Rule, dialect: SqlDialect) -> Result<String, RuleNotExpressible> {
    let refuse = |reason: String| RuleNotExpressible {
        rule: rule.id.clone(),
        reason,
    };
    let hours = rule.hours();
    // Insights events are not API calls and match no rule (as in the engine).
    let not_insight = match dialect {
        SqlDialect::Athena => "coalesce(eventtype, '') <> 'AwsCloudTrailInsight'",
        SqlDialect::Spark => {
            "insightDetails IS NULL AND coalesce(eventType, '') <> 'AwsCloudTrailInsight'"
        }
    };
    let condition = format!(
        "{not_insight}\n  AND {}",
        condition(&rule.condition, &hours, dialect).map_err(refuse)?
    );
    let table = dialect.table();
    let millis = millis(dialect);
    if let Some(threshold) = &rule.threshold {
        let group = match &threshold.group_by {
            Some(path) => key_expression(path, dialect).map_err(refuse)?,
            None => "1".to_string(),
        };
        let window = i64::from(threshold.window_seconds) * 1000;
        let need = threshold.count.max(1);
        // Events starting a window of `need`, then each event inside such a window: the
        // engine's bursts, with ties in time counted together as its sorted scan counts them.
        // Events without a time are not counted.
        return Ok(format!(
            "WITH ts_matched AS (\n  SELECT *, {group} AS ts_group, {millis} AS ts_millis\n  FROM {table}\n  WHERE {condition}\n    AND {millis} IS NOT NULL\n), ts_counted AS (\n  SELECT *, count(*) OVER (PARTITION BY ts_group ORDER BY ts_millis RANGE BETWEEN CURRENT ROW AND {window} FOLLOWING) AS ts_in_window\n  FROM ts_matched\n), ts_marked AS (\n  SELECT *, max(CASE WHEN ts_in_window >= {need} THEN 1 ELSE 0 END) OVER (PARTITION BY ts_group ORDER BY ts_millis RANGE BETWEEN {window} PRECEDING AND CURRENT ROW) AS ts_in_burst\n  FROM ts_counted\n)\nSELECT *\nFROM ts_marked\nWHERE ts_in_burst = 1"
        ));
    }
    if let Some(new_value) = &rule.new_value {
        let value = key_expression(&new_value.field, dialect).map_err(refuse)?;
        let per = match &new_value.per {
            Some(path) => key_expression(path, dialect).map_err(refuse)?,
            None => "1".to_string(),
        };
        let id = if dialect == SqlDialect::Athena {
            "eventid"
        } else {
            "eventID"
        };
        // Events without a value are not part of any history, and, as for counting, events
        // without a time are not placed in one (the engine skips both).
        return Ok(format!(
            "WITH ts_matched AS (\n  SELECT *, {per} AS ts_per, {value} AS ts_value, {millis} AS ts_millis\n  FROM {table}\n  WHERE {condition}\n    AND {millis} IS NOT NULL\n    AND {value} IS NOT NULL\n), ts_ranked AS (\n  SELECT *,\n    row_number() OVER (PARTITION BY ts_per, ts_value ORDER BY ts_millis, {id}) AS ts_nth_of_value,\n    row_number() OVER (PARTITION BY ts_per ORDER BY ts_millis, {id}) AS ts_nth_in_history\n  FROM ts_matched\n)\nSELECT *\nFROM ts_ranked\nWHERE ts_nth_of_value = 1 AND ts_nth_in_history > 1"
        ));
    }
    Ok(format!("SELECT *\nFROM {table}\nWHERE {condition}"))
}

/// The event's time in unix milliseconds.
fn millis(dialect: SqlDialect) -> &'static str {
    match dialect {
        SqlDialect::Athena => {
            "CAST(floor(to_unixtime(from_iso8601_timestamp(eventtime)) * 1000) AS bigint)"
        }
        SqlDialect::Spark => "unix_millis(eventTime)",
    }
}

/// A condition as a SQL boolean that is never NULL, so `NOT` means what the engine's `not`
/// means.
fn condition(c: &Condition, hours: &BusinessHours, dialect: SqlDialect) -> Result<String, String> {
    let join = |parts: &[Condition], op: &str, empty: &str| -> Result<String, String> {
        if parts.is_empty() {
            return Ok(empty.to_string());
        }
        let parts = parts
            .iter()
            .map(|p| condition(p, hours, dialect))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(op)))
    };
    match c {
        Condition::All(parts) => join(parts, " AND ", "TRUE"),
        Condition::Any(parts) => join(parts, " OR ", "FALSE"),
        Condition::Not(part) => Ok(format!("NOT ({})", condition(part, hours, dialect)?)),
        Condition::Match(m) => leaf(m, hours, dialect),
    }
}

/// Where a rule's field path is read from.
enum Place {
    /// One value (NULL when missing).
    Scalar(String),
    /// `resources[].<field>`: any element may match.
    Resources(String),
    /// A struct column of Athena's table (`useridentity.sessioncontext`): present or not.
    Struct(String),
}

/// The struct columns of Athena's table, lower-cased.
const ATHENA_STRUCTS: &[&str] = &[
    "useridentity",
    "useridentity.onbehalfof",
    "useridentity.sessioncontext",
    "useridentity.sessioncontext.attributes",
    "useridentity.sessioncontext.sessionissuer",
    "useridentity.sessioncontext.webidfederationdata",
    "addendum",
    "tlsdetails",
];

/// The Athena table's columns (AWS's documented DDL), lower-cased, structs with dots.
const ATHENA_COLUMNS: &[&str] = &[
    "eventversion",
    "useridentity.type",
    "useridentity.principalid",
    "useridentity.arn",
    "useridentity.accountid",
    "useridentity.invokedby",
    "useridentity.accesskeyid",
    "useridentity.username",
    "useridentity.onbehalfof.userid",
    "useridentity.onbehalfof.identitystorearn",
    "useridentity.sessioncontext.attributes.mfaauthenticated",
    "useridentity.sessioncontext.attributes.creationdate",
    "useridentity.sessioncontext.sessionissuer.type",
    "useridentity.sessioncontext.sessionissuer.principalid",
    "useridentity.sessioncontext.sessionissuer.arn",
    "useridentity.sessioncontext.sessionissuer.accountid",
    "useridentity.sessioncontext.sessionissuer.username",
    "useridentity.sessioncontext.ec2roledelivery",
    "useridentity.sessioncontext.webidfederationdata.federatedprovider",
    "eventtime",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "serviceeventdetails",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestid",
    "eventid",
    "eventtype",
    "apiversion",
    "readonly",
    "recipientaccountid",
    "sharedeventid",
    "vpcendpointid",
    "vpcendpointaccountid",
    "eventcategory",
    "addendum.reason",
    "addendum.updatedfields",
    "addendum.originalrequestid",
    "addendum.originaleventid",
    "sessioncredentialfromconsole",
    "edgedevicedetails",
    "tlsdetails.tlsversion",
    "tlsdetails.ciphersuite",
    "tlsdetails.clientprovidedhostheader",
];

/// Top-level text columns of the Spark view (the export's schema) that hold the record's
/// value unchanged, read as columns so Parquet can skip what a query does not need.
const SPARK_TEXT_COLUMNS: &[&str] = &[
    "eventVersion",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
];

/// Where `path` is read from, as text.
fn place(path: &str, dialect: SqlDialect) -> Result<Place, String> {
    let athena = dialect == SqlDialect::Athena;
    if path == "user" {
        return Err("user is Trailscope's reading of the identity (user name, role and session); test userIdentity.arn or userIdentity.userName instead".into());
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    if head == "resources" {
        if rest.is_empty() || rest.contains('.') {
            return Err(format!("{path}: resources[] holds ARN, accountId and type"));
        }
        return Ok(Place::Resources(if athena {
            format!("r.{}", rest.to_ascii_lowercase())
        } else {
            format!("r.{rest}")
        }));
    }
    if !rest.is_empty()
        && trailscope_query::emit_sql::JSON_TEXT
            .iter()
            .any(|c| c.eq_ignore_ascii_case(head))
    {
        return Ok(Place::Scalar(path_expression(path, dialect)));
    }
    Ok(Place::Scalar(match (path, dialect) {
        ("readOnly", SqlDialect::Spark) => "CAST(readOnly AS string)".into(),
        ("managementEvent", SqlDialect::Spark) => "CAST(managementEvent AS string)".into(),
        ("readOnly", SqlDialect::Athena) => "lower(readonly)".into(),
        (_, SqlDialect::Athena) if ATHENA_STRUCTS.contains(&path.to_ascii_lowercase().as_str()) => {
            return Ok(Place::Struct(path.to_ascii_lowercase()))
        }
        (_, SqlDialect::Athena) => {
            let lower = path.to_ascii_lowercase();
            if !ATHENA_COLUMNS.contains(&lower.as_str()) {
                return Err(format!(
                    "{path} is not a column of the CloudTrail table AWS documents for Athena"
                ));
            }
            lower
        }
        // The table's top-level text columns hold the record's value as it is.
        (_, SqlDialect::Spark) if SPARK_TEXT_COLUMNS.contains(&path) => path.to_string(),
        // Every other field as CloudTrail wrote it: the export keeps the record in eventJson.
        (_, SqlDialect::Spark) => format!(
            "get_json_object(eventJson, {})",
            literal(&format!("$.{path}"), dialect)
        ),
    }))
}

/// A grouping or history key: one value per event.
fn key_expression(path: &str, dialect: SqlDialect) -> Result<String, String> {
    match place(path, dialect)? {
        Place::Scalar(expression) => Ok(format!("nullif({expression}, '')")),
        Place::Resources(_) => Err(format!(
            "{path}: an event has several resources, so it cannot key a count or a history in SQL"
        )),
        Place::Struct(_) => Err(format!(
            "{path} is a struct in Athena's table: a count or a history needs a value"
        )),
    }
}

/// One field test, never NULL.
fn leaf(m: &Match, hours: &BusinessHours, dialect: SqlDialect) -> Result<String, String> {
    let time_test = matches!(
        m.op,
        Operator::Before(_)
            | Operator::After(_)
            | Operator::HourBetween { .. }
            | Operator::DayOfWeek { .. }
            | Operator::BusinessHours(_)
    );
    if time_test {
        if m.field != "eventTime" {
            return Err(format!(
                "{}: time tests are expressed on eventTime only",
                m.field
            ));
        }
        return Ok(time(&m.op, hours, dialect));
    }
    let (value, resources) = match place(&m.field, dialect)? {
        Place::Scalar(v) => (v, false),
        Place::Resources(v) => (v, true),
        // A struct is present when it is there at all (the engine: any object is present).
        Place::Struct(v) => {
            return match m.op {
                Operator::Exists(true) | Operator::IsNull(false) => Ok(format!("{v} IS NOT NULL")),
                Operator::Exists(false) | Operator::IsNull(true) => Ok(format!("{v} IS NULL")),
                _ => Err(format!(
                    "{}: a struct in Athena's table; test one of its fields",
                    m.field
                )),
            }
        }
    };
    let present = |v: &str| format!("coalesce({v}, '') <> ''");
    let test = |v: &str| -> Result<String, String> { value_test(m, v, dialect) };
    Ok(match (&m.op, resources) {
        (Operator::Exists(want), false) => {
            if *want {
                present(&value)
            } else {
                format!("NOT ({})", present(&value))
            }
        }
        (Operator::IsNull(null), false) => {
            if *null {
                format!("{value} IS NULL")
            } else {
                format!("{value} IS NOT NULL")
            }
        }
        (Operator::Exists(want), true) => {
            let any = any_resource(&present(&value), dialect);
            if *want {
                any
            } else {
                format!("NOT {any}")
            }
        }
        (Operator::IsNull(null), true) => {
            let any_value = any_resource(&format!("{value} IS NOT NULL"), dialect);
            if *null {
                format!("NOT {any_value}")
            } else {
                any_value
            }
        }
        (_, false) => format!("coalesce({}, false)", test(&value)?),
        (_, true) => any_resource(&test(&value)?, dialect),
    })
}

/// Whether any element of `resources` passes `test` (written over `r`); false without any.
fn any_resource(test: &str, dialect: SqlDialect) -> String {
    match dialect {
        SqlDialect::Athena => {
            format!("coalesce(any_match(resources, r -> coalesce({test}, false)), false)")
        }
        SqlDialect::Spark => {
            format!("coalesce(exists(resources, r -> coalesce({test}, false)), false)")
        }
    }
}

/// A test of a value's text (`v` is NULL when missing).
fn value_test(m: &Match, v: &str, dialect: SqlDialect) -> Result<String, String> {
    let ignore_case = m.ignore_case;
    let subject = if ignore_case {
        format!("lower({v})")
    } else {
        v.to_string()
    };
    let value = |x: &String| {
        if ignore_case {
            x.to_lowercase()
        } else {
            x.clone()
        }
    };
    let any = |tests: Vec<String>| {
        if tests.len() == 1 {
            tests.concat()
        } else {
            format!("({})", tests.join(" OR "))
        }
    };
    let likes = |values: &[String], shape: fn(&str) -> String| {
        any(values
            .iter()
            .map(|x| like(&subject, &shape(&like_literal(&value(x))), dialect))
            .collect())
    };
    Ok(match &m.op {
        Operator::Equals(values) => {
            let list: Vec<String> = values.iter().map(|x| literal(&value(x), dialect)).collect();
            match list.as_slice() {
                [one] => format!("{subject} = {one}"),
                _ => format!("{subject} IN ({})", list.join(", ")),
            }
        }
        Operator::Prefix(values) => likes(values, |x| format!("{x}%")),
        Operator::Suffix(values) => likes(values, |x| format!("%{x}")),
        Operator::Contains(values) => likes(values, |x| format!("%{x}%")),
        Operator::Regex(pattern) => {
            let pattern = if ignore_case {
                format!("(?i){pattern}")
            } else {
                pattern.clone()
            };
            match dialect {
                SqlDialect::Athena => format!("regexp_like({v}, {})", literal(&pattern, dialect)),
                SqlDialect::Spark => format!("{v} RLIKE {}", literal(&pattern, dialect)),
            }
        }
        Operator::Cidr(ranges) => match dialect {
            SqlDialect::Athena => any(ranges
                .iter()
                .map(|r| format!("contains('{r}', try_cast({v} AS ipaddress))"))
                .collect()),
            SqlDialect::Spark => {
                return Err(format!("{}: Spark SQL has no address-range test", m.field))
            }
        },
        Operator::FieldRef(other) => {
            let Place::Scalar(theirs) = place(other, dialect)? else {
                return Err(format!(
                    "{other}: a field reference to resources[] is not expressible"
                ));
            };
            if ignore_case {
                format!("lower({v}) = lower({theirs})")
            } else {
                format!("{v} = {theirs}")
            }
        }
        Operator::Number(cmp, x) => {
            let op = match cmp {
                Cmp::Gt => ">",
                Cmp::Gte => ">=",
                Cmp::Lt => "<",
                Cmp::Lte => "<=",
            };
            format!("try_cast(trim({v}) AS double) {op} {x:?}")
        }
        Operator::Exists(_)
        | Operator::IsNull(_)
        | Operator::Before(_)
        | Operator::After(_)
        | Operator::HourBetween { .. }
        | Operator::DayOfWeek { .. }
        | Operator::BusinessHours(_) => {
            return Err(format!("{}: not a test of a value's text", m.field))
        }
    })
}

/// A time test on the event's time, in integer arithmetic on unix milliseconds, so neither
/// engine's session time zone changes the answer.
fn time(op: &Operator, hours: &BusinessHours, dialect: SqlDialect) -> String {
    let t = millis(dialect);
    let local = |offset: ClockOffset| {
        let shift = i64::from(offset.minutes()) * 60_000;
        if shift == 0 {
            t.to_string()
        } else {
            format!("({t} + {shift})")
        }
    };
    let hour = |offset| {
        format!(
            "CAST(floor(({} % 86400000 + 86400000) % 86400000 / 3600000) AS integer)",
            local(offset)
        )
    };
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday = 0.
    let weekday = |offset| {
        format!(
            "CAST((floor({} / 86400000) % 7 + 10) % 7 AS integer)",
            local(offset)
        )
    };
    let hour_in = |offset, from: u8, to: u8| match from.cmp(&to) {
        std::cmp::Ordering::Less => format!("({} BETWEEN {from} AND {})", hour(offset), to - 1),
        std::cmp::Ordering::Greater => {
            format!("({h} >= {from} OR {h} < {to})", h = hour(offset))
        }
        std::cmp::Ordering::Equal => "TRUE".to_string(),
    };
    let days_in = |days: &[DayOfWeek], offset| {
        let list: Vec<String> = days
            .iter()
            .map(|d| {
                DayOfWeek::ALL
                    .iter()
                    .position(|x| x == d)
                    .unwrap_or(0)
                    .to_string()
            })
            .collect();
        if list.is_empty() {
            "FALSE".to_string()
        } else {
            format!("{} IN ({})", weekday(offset), list.join(", "))
        }
    };
    let test = match op {
        Operator::Before(x) => format!("{t} < {x}"),
        Operator::After(x) => format!("{t} >= {x}"),
        Operator::HourBetween { from, to, offset } => hour_in(*offset, *from, *to),
        Operator::DayOfWeek { days, offset } => days_in(days, *offset),
        Operator::BusinessHours(within) => {
            let inside = format!(
                "({} AND {})",
                days_in(&hours.days, hours.utc_offset),
                hour_in(
                    hours.utc_offset,
                    hours.start_hour,
                    hours.end_hour.min(24) % 24
                )
            );
            if *within {
                inside
            } else {
                format!("NOT {inside}")
            }
        }
        _ => "FALSE".to_string(),
    };
    format!("coalesce({test}, false)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::parse_rules;

    fn sql(yaml: &str, dialect: SqlDialect) -> Result<String, RuleNotExpressible> {
        let rules = parse_rules(yaml).unwrap();
        rule_query(&rules[0], dialect)
    }

    const NOT_INSIGHT_SPARK: &str =
        "insightDetails IS NULL AND coalesce(eventType, '') <> 'AwsCloudTrailInsight'";

    #[test]
    fn a_plain_rule_is_a_where_in_both_dialects() {
        let rule = "id: r\ntitle: T\nseverity: low\ncondition:\n  all:\n    - {field: eventName, in: [StopLogging, DeleteTrail]}\n    - {field: userAgent, contains: \"it's_50%\", ignore_case: true}\n    - not: {field: userIdentity.invokedBy, exists: true}\n    - {field: requestParameters.name, prefix: a}\n";
        assert_eq!(
            sql(rule, SqlDialect::Spark).unwrap(),
            format!(
                "SELECT *\nFROM events\nWHERE {NOT_INSIGHT_SPARK}\n  AND (coalesce(eventName IN ('StopLogging', 'DeleteTrail'), false) AND coalesce(lower(userAgent) LIKE '%it\\'s\\\\_50\\\\%%' ESCAPE '\\\\', false) AND NOT (coalesce(get_json_object(eventJson, '$.userIdentity.invokedBy'), '') <> '') AND coalesce(element_at(requestParameters, 'name') LIKE 'a%' ESCAPE '\\\\', false))"
            )
        );
        assert_eq!(
            sql(rule, SqlDialect::Athena).unwrap(),
            "SELECT *\nFROM cloudtrail_logs\nWHERE coalesce(eventtype, '') <> 'AwsCloudTrailInsight'\n  AND (coalesce(eventname IN ('StopLogging', 'DeleteTrail'), false) AND coalesce(lower(useragent) LIKE '%it''s\\_50\\%%' ESCAPE '\\', false) AND NOT (coalesce(useridentity.invokedby, '') <> '') AND coalesce(json_extract_scalar(requestparameters, '$.name') LIKE 'a%' ESCAPE '\\', false))"
        );
    }

    #[test]
    fn counting_rules_become_two_windows() {
        let rule = "id: burst\ntitle: T\nseverity: low\ncondition: {field: eventName, equals: ConsoleLogin}\nthreshold: {count: 10, window_seconds: 300, group_by: sourceIPAddress}\n";
        let spark = sql(rule, SqlDialect::Spark).unwrap();
        for part in [
            "nullif(sourceIPAddress, '') AS ts_group, unix_millis(eventTime) AS ts_millis",
            "AND unix_millis(eventTime) IS NOT NULL",
            "count(*) OVER (PARTITION BY ts_group ORDER BY ts_millis RANGE BETWEEN CURRENT ROW AND 300000 FOLLOWING) AS ts_in_window",
            "max(CASE WHEN ts_in_window >= 10 THEN 1 ELSE 0 END) OVER (PARTITION BY ts_group ORDER BY ts_millis RANGE BETWEEN 300000 PRECEDING AND CURRENT ROW) AS ts_in_burst",
            "WHERE ts_in_burst = 1",
        ] {
            assert!(spark.contains(part), "{part}\n{spark}");
        }
        let athena = sql(rule, SqlDialect::Athena).unwrap();
        assert!(athena.contains("CAST(floor(to_unixtime(from_iso8601_timestamp(eventtime)) * 1000) AS bigint) AS ts_millis"), "{athena}");
        assert!(athena.contains("FROM cloudtrail_logs"), "{athena}");
    }

    #[test]
    fn first_sighting_rules_rank_values_within_histories() {
        let rule = "id: new\ntitle: T\nseverity: low\ncondition: {field: eventName, equals: ConsoleLogin}\nnew_value: {field: sourceIPAddress, per: userIdentity.arn}\n";
        let athena = sql(rule, SqlDialect::Athena).unwrap();
        for part in [
            "nullif(useridentity.arn, '') AS ts_per, nullif(sourceipaddress, '') AS ts_value",
            "AND nullif(sourceipaddress, '') IS NOT NULL",
            "row_number() OVER (PARTITION BY ts_per, ts_value ORDER BY ts_millis, eventid) AS ts_nth_of_value",
            "row_number() OVER (PARTITION BY ts_per ORDER BY ts_millis, eventid) AS ts_nth_in_history",
            "WHERE ts_nth_of_value = 1 AND ts_nth_in_history > 1",
        ] {
            assert!(athena.contains(part), "{part}\n{athena}");
        }
    }

    #[test]
    fn time_tests_are_integer_arithmetic_in_the_rules_zone() {
        let rule = "id: t\ntitle: T\nseverity: low\ncondition:\n  all:\n    - {field: eventTime, hour_between: [22, 6], utc_offset: '+02:00'}\n    - {field: eventTime, weekday_in: [sat, sun], utc_offset: '-05:00'}\n";
        let spark = sql(rule, SqlDialect::Spark).unwrap();
        assert!(spark.contains("CAST(floor(((unix_millis(eventTime) + 7200000) % 86400000 + 86400000) % 86400000 / 3600000) AS integer) >= 22 OR"), "{spark}");
        assert!(spark.contains("CAST((floor((unix_millis(eventTime) + -18000000) / 86400000) % 7 + 10) % 7 AS integer) IN (5, 6)"), "{spark}");
    }

    #[test]
    fn what_sql_cannot_answer_the_same_way_is_refused_with_the_reason() {
        for (rule, dialect, reason) in [
            ("condition: {field: user, equals: alice}", SqlDialect::Spark, "Trailscope's reading"),
            ("condition: {field: sourceIPAddress, cidr: [10.0.0.0/8]}", SqlDialect::Spark, "address-range"),
            ("condition: {field: userIdentity.sessionContext.foo, equals: x}", SqlDialect::Athena, "not a column"),
            ("condition: {field: requestID, after: '2024-01-01T00:00:00Z'}", SqlDialect::Spark, "eventTime only"),
            ("condition: {field: eventName, equals: X}\nthreshold: {count: 2, window_seconds: 9, group_by: resources.ARN}", SqlDialect::Spark, "several resources"),
        ] {
            let text = format!("id: r\ntitle: T\nseverity: low\n{rule}\n");
            let e = sql(&text, dialect).unwrap_err();
            assert_eq!(e.rule, "r");
            assert!(e.reason.contains(reason), "{rule}: {}", e.reason);
        }
        // An address range is a test Athena has.
        let athena = sql("id: r\ntitle: T\nseverity: low\ncondition: {field: sourceIPAddress, cidr: [10.0.0.0/8]}\n", SqlDialect::Athena).unwrap();
        assert!(
            athena.contains("contains('10.0.0.0/8', try_cast(sourceipaddress AS ipaddress))"),
            "{athena}"
        );
    }

    /// Every column path of `ddl` (`useridentity.sessioncontext.attributes.creationdate`).
    fn ddl_paths(ddl: &str) -> Vec<String> {
        let body = ddl
            .split_once("(\n")
            .unwrap()
            .1
            .split_once("\n)\n")
            .unwrap()
            .0;
        let mut stack: Vec<(String, usize)> = Vec::new();
        let mut paths = Vec::new();
        for line in body.lines() {
            let line = line.trim();
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let mut path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
            path.push(&name);
            paths.push(path.join("."));
            let opens = line.matches('<').count();
            let closes = line.matches('>').count();
            if opens > closes {
                stack.push((name, opens - closes));
            }
            let mut remaining = closes.saturating_sub(opens);
            while remaining > 0 {
                let (_, depth) = stack.last_mut().unwrap();
                if *depth <= remaining {
                    remaining -= *depth;
                    stack.pop();
                } else {
                    *depth -= remaining;
                    remaining = 0;
                }
            }
        }
        paths
    }

    #[test]
    fn athenas_columns_are_those_of_the_documented_table() {
        let paths = ddl_paths(trailscope_query::emit_sql::ATHENA_TABLE_DDL);
        assert!(paths.contains(&"useridentity.sessioncontext.sessionissuer.arn".to_string()));
        assert!(paths.contains(&"tlsdetails.clientprovidedhostheader".to_string()));
        for column in ATHENA_COLUMNS.iter().chain(ATHENA_STRUCTS) {
            assert!(
                paths.iter().any(|p| p == column),
                "{column} not in {paths:?}"
            );
        }
    }

    #[test]
    fn every_builtin_rule_is_expressible_in_both_dialects() {
        for rule in crate::builtin_rules() {
            for dialect in [SqlDialect::Athena, SqlDialect::Spark] {
                assert!(
                    rule_query(&rule, dialect).is_ok(),
                    "{} {dialect:?}",
                    rule.id
                );
            }
        }
    }
}
