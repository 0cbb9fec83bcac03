//! What kind of CloudTrail file something is, decided from its content, never its name.

use std::fmt;

use crate::event::Envelope;
use crate::split::Container;

/// The kinds of input Trailscope recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileKind {
    /// A CloudTrail log file as delivered to S3: `{"Records":[...]}`, gzip or plain.
    CloudTrailLog,
    /// A CloudTrail digest file (integrity validation).
    Digest,
    /// A CloudTrail Insights file: `{"Records":[...]}` of Insights events.
    Insights,
    /// The console's Event history CSV download.
    EventHistoryCsv,
    /// `aws cloudtrail lookup-events` output (or lookup entries, one per line).
    LookupEvents,
    /// CloudWatch Logs: `filter-log-events` output, subscription payloads or exported lines.
    CloudWatchLogs,
    /// EventBridge events whose `detail` is a CloudTrail record.
    EventBridge,
    /// One CloudTrail event per line (CloudTrail Lake, Logstash, jq exports).
    Ndjson,
    /// A JSON array of CloudTrail events.
    JsonArray,
    /// A single CloudTrail event as a JSON object.
    JsonEvent,
    /// `aws cloudtrail list-public-keys` output: the keys digests are verified with.
    PublicKeys,
    /// Digest signatures: `{key: signature}`, S3 metadata, or `aws s3api head-object` output.
    DigestSignatures,
    /// A ZIP archive (its entries are listed as files of their own).
    Zip,
    /// A gzip file only hashed for verification, its events not read (the page's verify-only
    /// mode for trails too large to load).
    HashedOnly,
    /// Not recognised (only ever reported with an error).
    Unknown,
}

/// Whether a file's name is one CloudTrail gives its own files (`..._CloudTrail_...`,
/// `..._CloudTrail-Digest_...`, `..._CloudTrail-Insight_...`): such a file that holds no event
/// is damaged or replaced, never a mere helper file.
pub fn has_cloudtrail_file_name(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    [
        "_CloudTrail_",
        "_CloudTrail-Digest_",
        "_CloudTrail-Insight_",
    ]
    .iter()
    .any(|marker| name.contains(marker))
}

impl FileKind {
    /// A stable identifier, used in `--json` output and `data-kind` attributes.
    pub fn id(self) -> &'static str {
        match self {
            FileKind::CloudTrailLog => "cloudtrail_log",
            FileKind::Digest => "cloudtrail_digest",
            FileKind::Insights => "cloudtrail_insights",
            FileKind::EventHistoryCsv => "event_history_csv",
            FileKind::LookupEvents => "lookup_events",
            FileKind::CloudWatchLogs => "cloudwatch_logs",
            FileKind::EventBridge => "eventbridge",
            FileKind::Ndjson => "ndjson",
            FileKind::JsonArray => "json_array",
            FileKind::JsonEvent => "json_event",
            FileKind::PublicKeys => "cloudtrail_public_keys",
            FileKind::DigestSignatures => "digest_signatures",
            FileKind::Zip => "zip",
            FileKind::HashedOnly => "hashed_only",
            FileKind::Unknown => "unknown",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::CloudTrailLog => "CloudTrail log file",
            FileKind::Digest => "CloudTrail digest file",
            FileKind::Insights => "CloudTrail Insights file",
            FileKind::EventHistoryCsv => "Event history CSV",
            FileKind::LookupEvents => "lookup-events output",
            FileKind::CloudWatchLogs => "CloudWatch Logs export",
            FileKind::EventBridge => "EventBridge events",
            FileKind::Ndjson => "one event per line",
            FileKind::JsonArray => "JSON array of events",
            FileKind::JsonEvent => "single event",
            FileKind::PublicKeys => "CloudTrail public keys",
            FileKind::DigestSignatures => "digest signatures",
            FileKind::Zip => "ZIP archive",
            FileKind::HashedOnly => "hashed only (events not read)",
            FileKind::Unknown => "unrecognised",
        }
    }

    /// The kind with this [`FileKind::id`].
    pub fn from_id(id: &str) -> Option<Self> {
        ALL_KINDS.iter().copied().find(|k| k.id() == id)
    }
}

/// Every kind, in display order.
pub const ALL_KINDS: [FileKind; 15] = [
    FileKind::CloudTrailLog,
    FileKind::Digest,
    FileKind::Insights,
    FileKind::EventHistoryCsv,
    FileKind::LookupEvents,
    FileKind::CloudWatchLogs,
    FileKind::EventBridge,
    FileKind::Ndjson,
    FileKind::JsonArray,
    FileKind::JsonEvent,
    FileKind::PublicKeys,
    FileKind::DigestSignatures,
    FileKind::Zip,
    FileKind::HashedOnly,
    FileKind::Unknown,
];

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Watches a file's structure and events and names its kind at the end.
#[derive(Debug, Default)]
pub(crate) struct KindTracker {
    container: Option<Container>,
    top_objects: u64,
    digest: bool,
    public_keys: bool,
    signatures: bool,
    csv: bool,
    cloudwatch_export: bool,
    events: u64,
    insights: u64,
    envelopes: [u64; 5],
}

impl KindTracker {
    pub(crate) fn saw_container(&mut self, container: Container) {
        self.container.get_or_insert(container);
    }

    pub(crate) fn saw_top_object(&mut self) {
        self.top_objects += 1;
    }

    pub(crate) fn saw_digest(&mut self) {
        self.digest = true;
    }

    pub(crate) fn saw_cloudwatch_export(&mut self) {
        self.cloudwatch_export = true;
    }

    pub(crate) fn saw_public_keys(&mut self) {
        self.public_keys = true;
    }

    pub(crate) fn saw_signatures(&mut self) {
        self.signatures = true;
    }

    /// An integrity input (digest, keys, signatures) rather than events.
    pub(crate) fn is_integrity_input(&self) -> bool {
        self.events == 0 && (self.digest || self.public_keys || self.signatures)
    }

    pub(crate) fn saw_csv(&mut self) {
        self.csv = true;
    }

    pub(crate) fn saw_event(&mut self, envelope: Envelope, insight: bool) {
        self.events += 1;
        self.insights += u64::from(insight);
        let slot = match envelope {
            Envelope::Direct => 0,
            Envelope::EventBridge => 1,
            Envelope::LookupEvents => 2,
            Envelope::CloudWatchLogs => 3,
            Envelope::EventHistoryCsv => 4,
        };
        if let Some(n) = self.envelopes.get_mut(slot) {
            *n += 1;
        }
    }

    /// The envelope most events came in (`Direct` when there are none; ties go to the first).
    fn dominant_envelope(&self) -> Envelope {
        let order = [
            Envelope::Direct,
            Envelope::EventBridge,
            Envelope::LookupEvents,
            Envelope::CloudWatchLogs,
            Envelope::EventHistoryCsv,
        ];
        order
            .into_iter()
            .zip(self.envelopes)
            .rev()
            .max_by_key(|(_, n)| *n)
            .map_or(Envelope::Direct, |(e, _)| e)
    }

    pub(crate) fn kind(&self) -> FileKind {
        if self.csv {
            return FileKind::EventHistoryCsv;
        }
        if self.cloudwatch_export {
            return FileKind::CloudWatchLogs;
        }
        if self.digest && self.events == 0 {
            return FileKind::Digest;
        }
        if self.public_keys && self.events == 0 {
            return FileKind::PublicKeys;
        }
        if self.signatures && self.events == 0 {
            return FileKind::DigestSignatures;
        }
        let by_envelope = |direct: FileKind| match self.dominant_envelope() {
            Envelope::EventBridge => FileKind::EventBridge,
            Envelope::LookupEvents => FileKind::LookupEvents,
            Envelope::CloudWatchLogs => FileKind::CloudWatchLogs,
            Envelope::EventHistoryCsv => FileKind::EventHistoryCsv,
            Envelope::Direct => direct,
        };
        match self.container {
            Some(Container::Member("Records"))
                if self.events > 0 && self.insights == self.events =>
            {
                FileKind::Insights
            }
            Some(Container::Member("Records")) => FileKind::CloudTrailLog,
            Some(Container::Member("Events")) => FileKind::LookupEvents,
            Some(Container::Member(_)) => FileKind::CloudWatchLogs,
            Some(Container::TopArray) if self.top_objects == 0 => by_envelope(FileKind::JsonArray),
            _ if self.top_objects > 1 => by_envelope(FileKind::Ndjson),
            _ if self.top_objects == 1 => by_envelope(FileKind::JsonEvent),
            _ => by_envelope(FileKind::Unknown),
        }
    }
}

#[cfg(test)]
mod all_kinds_tests {
    use super::*;

    /// A new kind missing from [`ALL_KINDS`] would read back as Unknown in the page (kinds
    /// cross the wire by id). The match has no wildcard, so a new variant does not compile here
    /// until it is counted.
    #[test]
    fn all_kinds_lists_every_kind_once_and_ids_round_trip() {
        let variants = |kind: FileKind| match kind {
            FileKind::CloudTrailLog
            | FileKind::Digest
            | FileKind::Insights
            | FileKind::EventHistoryCsv
            | FileKind::LookupEvents
            | FileKind::CloudWatchLogs
            | FileKind::EventBridge
            | FileKind::Ndjson
            | FileKind::JsonArray
            | FileKind::JsonEvent
            | FileKind::PublicKeys
            | FileKind::DigestSignatures
            | FileKind::Zip
            | FileKind::HashedOnly
            | FileKind::Unknown => 15,
        };
        assert_eq!(ALL_KINDS.len(), variants(FileKind::Unknown));
        let ids: std::collections::HashSet<_> = ALL_KINDS.iter().map(|k| k.id()).collect();
        assert_eq!(ids.len(), ALL_KINDS.len(), "ids are distinct");
        for kind in ALL_KINDS {
            assert_eq!(FileKind::from_id(kind.id()), Some(kind));
        }
    }
}
