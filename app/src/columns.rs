//! The event table's columns: what each shows and which filter term a click on it adds.

use trailscope_query::EventRow;

/// A column of the event table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Stable id (in links and `data-testid="cell-<id>"`).
    pub id: &'static str,
    /// Header text.
    pub title: &'static str,
    /// The filter language's field for this column, if a click on a cell can filter by it.
    pub field: Option<&'static str>,
    /// Shown when the user has not chosen.
    pub default: bool,
}

/// Every column, in display order.
pub const COLUMNS: &[Column] = &[
    col("time", "Time (UTC)", None, true),
    col("event-name", "Event name", Some("eventName"), true),
    col("event-source", "Event source", Some("eventSource"), true),
    col("user", "User", Some("user"), true),
    col(
        "identity-type",
        "Identity type",
        Some("userIdentity.type"),
        false,
    ),
    col(
        "access-key",
        "Access key",
        Some("userIdentity.accessKeyId"),
        false,
    ),
    col(
        "principal",
        "Principal ARN",
        Some("userIdentity.arn"),
        false,
    ),
    col("source-ip", "Source IP", Some("sourceIPAddress"), true),
    col("region", "Region", Some("awsRegion"), true),
    col("account", "Account", Some("recipientAccountId"), false),
    col("read-write", "Read/write", Some("readOnly"), true),
    col("error", "Error", Some("errorCode"), true),
    col("user-agent", "User agent", Some("userAgent"), false),
    col("event-type", "Event type", Some("eventType"), false),
    col("category", "Category", Some("eventCategory"), false),
    col("integrity", "Integrity", Some("integrity"), true),
];

const fn col(
    id: &'static str,
    title: &'static str,
    field: Option<&'static str>,
    default: bool,
) -> Column {
    Column {
        id,
        title,
        field,
        default,
    }
}

/// The column with this id.
pub fn by_id(id: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.id == id)
}

/// The default columns' ids.
pub fn default_ids() -> Vec<String> {
    COLUMNS
        .iter()
        .filter(|c| c.default)
        .map(|c| c.id.to_string())
        .collect()
}

/// What a cell shows, and the value a click filters on (the raw value, not the display).
pub fn cell(column: &Column, row: &EventRow) -> (String, Option<String>) {
    let text = |v: &Option<String>| (v.clone().unwrap_or_default(), v.clone());
    match column.id {
        "time" => (
            row.time
                .map(crate::format::time_millis)
                .unwrap_or_else(|| "no time".into()),
            None,
        ),
        "event-name" => text(&row.event_name),
        "event-source" => text(&row.event_source),
        "user" => text(&row.user),
        "identity-type" => text(&row.identity_type),
        "access-key" => text(&row.access_key_id),
        "principal" => text(&row.principal_arn),
        "source-ip" => text(&row.source_ip),
        "region" => text(&row.region),
        "account" => text(&row.account),
        "read-write" => match row.read_only {
            Some(true) => ("read".into(), Some("true".into())),
            Some(false) => ("write".into(), Some("false".into())),
            None => (String::new(), None),
        },
        "error" => text(&row.error),
        "user-agent" => text(&row.user_agent),
        "event-type" => text(&row.event_type),
        "category" => text(&row.event_category),
        // An event whose files disagree says so first: the copy shown is one of several.
        "integrity" => match (row.integrity.as_deref(), row.conflict) {
            (Some(raw), true) => (
                format!("{} · conflict", integrity_label(raw)),
                Some(raw.to_string()),
            ),
            (None, true) => ("conflict".into(), None),
            (Some(raw), false) => (integrity_label(raw).to_string(), Some(raw.to_string())),
            (None, false) => (String::new(), None),
        },
        _ => (String::new(), None),
    }
}

/// How an integrity status reads in the table.
pub fn integrity_label(raw: &str) -> &'static str {
    match raw {
        "verified" => "verified",
        "failed" => "file failed",
        "unverified" => "unverified",
        "not_covered" => "not covered",
        _ => "unknown",
    }
}
