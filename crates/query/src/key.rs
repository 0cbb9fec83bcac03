//! What a term filters on: field names and aliases, and the canonical name each prints as.

use trailscope_store::Field;

/// What a `field:value` term looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A string column of the store (`eventName`, `user`, `sourceIPAddress`, ...).
    Column(Field),
    /// `eventID`.
    EventId,
    /// `readOnly`: `true` or `false`.
    ReadOnly,
    /// `mfa`: whether the caller used MFA, `true` or `false`.
    Mfa,
    /// `error`: `errorCode` or `errorMessage`.
    Error,
    /// `integrity`: what verification said about the event's file.
    Integrity,
    /// `conflict`: whether another file holds a different copy of the event, `true` or `false`.
    Conflict,
    /// `resource`: an ARN in `resources[]`, or the name at its end.
    Resource,
    /// `resourceType`: a type in `resources[]`.
    ResourceType,
    /// Any other path into the record, in dot notation (`requestParameters.bucketName`).
    Path(String),
    /// `from:T`: at or after the start of `T`.
    From,
    /// `to:T`: at or before the end of `T`.
    To,
    /// `after:T`: after the end of `T`.
    After,
    /// `before:T`: before the start of `T`.
    Before,
    /// `time:T` or `time:T1..T2`: within the span.
    Time,
}

/// Names that are not JSON paths, or that are shorter ways to write one. Matched without regard
/// to case.
const ALIASES: &[(&str, Key)] = &[
    ("name", Key::Column(Field::EventName)),
    ("source", Key::Column(Field::EventSource)),
    ("region", Key::Column(Field::AwsRegion)),
    ("ip", Key::Column(Field::SourceIp)),
    ("user", Key::Column(Field::User)),
    ("type", Key::Column(Field::IdentityType)),
    ("arn", Key::Column(Field::PrincipalArn)),
    ("accessKey", Key::Column(Field::AccessKeyId)),
    ("sessionIssuer", Key::Column(Field::SessionIssuer)),
    ("account", Key::Column(Field::Account)),
    ("eventID", Key::EventId),
    ("readOnly", Key::ReadOnly),
    ("mfa", Key::Mfa),
    ("error", Key::Error),
    ("integrity", Key::Integrity),
    ("conflict", Key::Conflict),
    ("resource", Key::Resource),
    ("resourceName", Key::Resource),
    ("resources.ARN", Key::Resource),
    ("resourceType", Key::ResourceType),
    ("resources.type", Key::ResourceType),
    ("from", Key::From),
    ("to", Key::To),
    ("after", Key::After),
    ("before", Key::Before),
    ("time", Key::Time),
    ("eventTime", Key::Time),
];

/// Top-level keys of a CloudTrail record (and of the envelopes the model unwraps). A path must
/// start with one of them, so that a typo (`evntName:x`) is an error rather than a filter that
/// silently matches nothing.
const RECORD_KEYS: &[&str] = &[
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "annotation",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "serviceEventDetails",
    "eventCategory",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
    "insightDetails",
    "networkActivityErrorDetails",
];

impl Key {
    /// The key a field name denotes: an alias, a column's JSON path, or another record path.
    /// `None` when the name is not one the record can have.
    pub fn from_name(name: &str) -> Option<Key> {
        if let Some((_, key)) = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(name)) {
            return Some(key.clone());
        }
        if let Some(field) = Field::ALL
            .iter()
            .find(|f| f.path().eq_ignore_ascii_case(name))
        {
            return Some(Key::Column(*field));
        }
        let (head, rest) = match name.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (name, None),
        };
        let head = RECORD_KEYS.iter().find(|k| k.eq_ignore_ascii_case(head))?;
        let valid = rest.is_none_or(|r| r.split('.').all(valid_segment));
        valid.then(|| match rest {
            Some(r) => Key::Path(format!("{head}.{r}")),
            None => Key::Path((*head).to_string()),
        })
    }

    /// The name the key prints as in the canonical form: the CloudTrail path where there is
    /// one, else the pseudo-field's name.
    pub fn name(&self) -> &str {
        match self {
            Key::Column(f) => f.path(),
            Key::EventId => "eventID",
            Key::ReadOnly => "readOnly",
            Key::Mfa => "mfa",
            Key::Error => "error",
            Key::Integrity => "integrity",
            Key::Conflict => "conflict",
            Key::Resource => "resource",
            Key::ResourceType => "resourceType",
            Key::Path(p) => p,
            Key::From => "from",
            Key::To => "to",
            Key::After => "after",
            Key::Before => "before",
            Key::Time => "time",
        }
    }

    /// Whether the key takes a time.
    pub fn is_time(&self) -> bool {
        matches!(
            self,
            Key::From | Key::To | Key::After | Key::Before | Key::Time
        )
    }

    /// The only values the key takes, when they are few and fixed (`readOnly:true|false`,
    /// `integrity:verified|...`): what the filter box offers for them.
    pub fn fixed_values(&self) -> Option<&'static [&'static str]> {
        match self {
            Key::ReadOnly | Key::Mfa | Key::Conflict => Some(&["true", "false"]),
            Key::Integrity => Some(&["verified", "failed", "unverified", "not_covered", "unknown"]),
            _ => None,
        }
    }

    /// Whether the store lists the key's values with their counts (its facet's values).
    pub fn lists_values(&self) -> bool {
        matches!(self, Key::Column(_))
    }

    /// Whether evaluating the key needs the original records (slow: they are compressed).
    pub fn reads_records(&self) -> bool {
        matches!(self, Key::Resource | Key::ResourceType | Key::Path(_))
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '$'))
}

/// Every name a term can start with (aliases, the columns' paths, the record's top-level
/// keys), each once without regard to case, in that order.
fn known_names() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<String> = Vec::new();
    ALIASES
        .iter()
        .map(|(a, _)| *a)
        .chain(Field::ALL.iter().map(|f| f.path()))
        .chain(RECORD_KEYS.iter().copied())
        .filter(move |n| {
            let lower = n.to_ascii_lowercase();
            let new = !seen.contains(&lower);
            seen.push(lower);
            new
        })
}

/// Field names for a name being typed (the filter box's autocomplete): names starting with
/// `prefix` first, then names containing it, without regard to case; at most `limit`.
pub fn field_name_completions(prefix: &str, limit: usize) -> Vec<&'static str> {
    let prefix = prefix.to_ascii_lowercase();
    let (mut starting, mut containing): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for name in known_names() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(&prefix) {
            starting.push(name);
        } else if lower.contains(&prefix) {
            containing.push(name);
        }
    }
    starting.append(&mut containing);
    starting.truncate(limit);
    starting
}

/// The known name closest to `name`, to suggest when it is not known.
pub(crate) fn suggestion(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let names = ALIASES
        .iter()
        .map(|(a, _)| *a)
        .chain(Field::ALL.iter().map(|f| f.path()))
        .chain(RECORD_KEYS.iter().copied());
    names
        .map(|n| (edit_distance(&lower, &n.to_ascii_lowercase()), n))
        .filter(|&(d, n)| d <= 2.max(n.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let best = [
                prev.get(j + 1).map_or(usize::MAX, |v| v + 1),
                cur.get(j).map_or(usize::MAX, |v| v + 1),
                prev.get(j)
                    .map_or(usize::MAX, |v| v + usize::from(ca != *cb)),
            ];
            cur.push(best.into_iter().min().unwrap_or(usize::MAX));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn completions_start_with_the_prefix_then_contain_it() {
        let names = super::field_name_completions("even", 50);
        assert_eq!(names.first(), Some(&"eventID"));
        assert!(names.contains(&"eventName") && names.contains(&"eventSource"));
        assert!(names
            .iter()
            .all(|n| n.to_ascii_lowercase().contains("even")));
        // `sessionIssuer` (an alias) contains "issuer" but does not start with it.
        let issuer = super::field_name_completions("ISSUER", 10);
        assert!(issuer.contains(&"sessionIssuer"), "{issuer:?}");
        // Each name once, without regard to case (`eventTime` is an alias and a record key).
        let all = super::field_name_completions("", 1000);
        let mut lower: Vec<String> = all.iter().map(|n| n.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), all.len());
        assert!(
            all.iter().all(|n| super::Key::from_name(n).is_some()),
            "every suggestion reads"
        );
        assert_eq!(super::field_name_completions("e", 3).len(), 3);
        // Every fixed value reads as a filter, and no other key claims fixed values.
        for name in all {
            let key = super::Key::from_name(name).unwrap();
            for value in key.fixed_values().unwrap_or_default() {
                let term = format!("{name}:{value}");
                assert!(crate::Filter::parse(&term).is_ok(), "{term}");
            }
        }
        assert!(super::Key::Column(trailscope_store::Field::User).lists_values());
        assert!(!super::Key::Path("requestParameters.bucketName".into()).lists_values());
    }

    use super::*;

    #[test]
    fn names_resolve_to_keys() {
        assert_eq!(Key::from_name("ip"), Some(Key::Column(Field::SourceIp)));
        assert_eq!(
            Key::from_name("EVENTNAME"),
            Some(Key::Column(Field::EventName))
        );
        assert_eq!(
            Key::from_name("requestparameters.bucketName"),
            Some(Key::Path("requestParameters.bucketName".into()))
        );
        assert_eq!(Key::from_name("resourceName"), Some(Key::Resource));
        assert_eq!(Key::from_name("evntName"), None);
        assert_eq!(Key::from_name("requestParameters..x"), None);
        assert_eq!(suggestion("evntName"), Some("eventName"));
        assert_eq!(suggestion("zzzzzzzz"), None);
    }

    #[test]
    fn every_alias_prints_as_a_name_that_reads_back() {
        for (alias, key) in ALIASES {
            assert_eq!(Key::from_name(key.name()).as_ref(), Some(key), "{alias}");
        }
        for field in Field::ALL {
            assert_eq!(Key::from_name(field.path()), Some(Key::Column(field)));
        }
    }
}
