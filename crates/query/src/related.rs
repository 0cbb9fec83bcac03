//! What one record says, for people reading it: who acted (identity facts), on which resources,
//! and the filters that find the events related to it. The page's detail panel shows these; they
//! live here, beside the filter language they write, so they are tested natively.

use serde_json::Value;

use crate::edit::term;

/// The last part of an ARN (`arn:aws:s3:::bucket/key` → `bucket/key`), for labels.
pub fn short_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// The value at a dot path.
pub fn lookup<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(record, |v, key| v.get(key))
}

/// A value as text: strings as they are, other values as JSON; null is nothing.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The caller as people read it: type, user, role and session, key type, MFA, the service
/// acting for someone, Identity Center user.
pub fn identity_facts(record: &Value) -> Vec<(&'static str, String)> {
    let id = |path: &str| lookup(record, &format!("userIdentity.{path}")).and_then(value_text);
    let mut facts = Vec::new();
    if let Some(t) = id("type") {
        facts.push(("Identity type", t));
    }
    if let Some(name) = id("userName") {
        facts.push(("User name", name));
    }
    if let Some(issuer) = id("sessionContext.sessionIssuer.arn") {
        facts.push(("Role", issuer));
        if let Some(session) = id("arn").and_then(|a| a.rsplit('/').next().map(str::to_string)) {
            facts.push(("Session", session));
        }
    }
    if let Some(arn) = id("arn") {
        facts.push(("Principal", arn));
    }
    if let Some(key) = id("accessKeyId") {
        let kind = if key.starts_with("AKIA") {
            " (long-term key)"
        } else if key.starts_with("ASIA") {
            " (temporary credentials)"
        } else {
            ""
        };
        facts.push(("Access key", format!("{key}{kind}")));
    }
    let mfa = id("sessionContext.attributes.mfaAuthenticated")
        .or_else(|| lookup(record, "additionalEventData.MFAUsed").and_then(value_text));
    if let Some(mfa) = mfa {
        facts.push(("MFA", mfa));
    }
    if let Some(by) = id("invokedBy") {
        facts.push(("Invoked by (service)", by));
    }
    if let Some(source) = id("sessionContext.sourceIdentity") {
        facts.push(("Source identity", source));
    }
    if let Some(user) = id("onBehalfOf.userId") {
        facts.push(("Identity Center user", user));
    }
    facts
}

/// The resources a record names, as (type, ARN).
pub fn resources_of(record: &Value) -> Vec<(String, String)> {
    record
        .get("resources")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|r| {
                    let arn = r.get("ARN").and_then(value_text)?;
                    let kind = r.get("type").and_then(value_text).unwrap_or_default();
                    Some((kind, arn))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Filters for the events related to this one: same principal, access key, request, resource,
/// within an hour either side.
pub fn related_filters(record: &Value, time: Option<&str>) -> Vec<(String, String)> {
    let window = time
        .and_then(trailscope_model::Timestamp::parse_rfc3339)
        .map(|t| {
            let ms = t.unix_millis();
            format!(
                " {}",
                crate::edit::time_term(ms - 3_600_000, ms + 3_600_000)
            )
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let text = |path: &str| lookup(record, path).and_then(value_text);
    if let Some(arn) = text("userIdentity.arn") {
        out.push((
            "Same principal, within an hour".to_string(),
            format!("{}{window}", term("userIdentity.arn", &arn, false)),
        ));
        out.push((
            "Everything this principal did".to_string(),
            term("userIdentity.arn", &arn, false),
        ));
    }
    if let Some(key) = text("userIdentity.accessKeyId") {
        out.push((
            "What this access key did".to_string(),
            term("userIdentity.accessKeyId", &key, false),
        ));
    }
    if let Some(request) = text("requestID") {
        out.push((
            "Same request".to_string(),
            term("requestID", &request, false),
        ));
    }
    for (_, arn) in resources_of(record).into_iter().take(3) {
        out.push((
            format!("Same resource ({}), within an hour", short_arn(&arn)),
            format!("{}{window}", term("resource", &arn, false)),
        ));
        out.push((
            format!("Who changed {}", short_arn(&arn)),
            format!("{} readOnly:false", term("resource", &arn, false)),
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Filter;

    fn record() -> Value {
        serde_json::json!({
            "eventTime": "2024-05-01T12:00:00Z",
            "requestID": "req 1",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                "accessKeyId": "ASIAEXAMPLE",
                "sessionContext": {
                    "sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/Admin"},
                    "attributes": {"mfaAuthenticated": "true"}
                }
            },
            "resources": [{"ARN": "arn:aws:s3:::bucket/a key", "type": "AWS::S3::Object"}]
        })
    }

    #[test]
    fn identity_reads_as_people_say_it() {
        let facts = identity_facts(&record());
        let get = |k: &str| {
            facts
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Role"), Some("arn:aws:iam::123456789012:role/Admin"));
        assert_eq!(get("Session"), Some("alice"));
        assert_eq!(
            get("Access key"),
            Some("ASIAEXAMPLE (temporary credentials)")
        );
        assert_eq!(get("MFA"), Some("true"));
    }

    #[test]
    fn related_filters_all_parse_and_quote_what_needs_it() {
        let record = record();
        let filters = related_filters(&record, Some("2024-05-01T12:00:00Z"));
        assert!(filters.len() >= 5, "{filters:?}");
        for (label, filter) in &filters {
            assert!(Filter::parse(filter).is_ok(), "{label}: {filter}");
        }
        assert!(filters.iter().any(|(_, f)| f == "requestID:\"req 1\""));
        assert!(filters
            .iter()
            .any(|(l, f)| l.contains("bucket/a key") && f.contains("time:2024-05-01T11:00:00")));
        assert_eq!(resources_of(&record).len(), 1);
        assert_eq!(short_arn("arn:aws:s3:::bucket/a key"), "bucket/a key");
    }
}
