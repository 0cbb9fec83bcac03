//! One of every message of every channel, with payloads computed by the core crates from a small
//! trail (a real query result, a real verification report, real detections), for the round-trip
//! tests: through `serde_json` natively (below) and through `serde-wasm-bindgen` in the browser
//! (`app/tests/ui.rs`). The `*_kind` functions match without a wildcard, so a new message does
//! not compile until it has a name here, and the coverage tests then fail until it has a sample.
// Test support: a failure to build a sample is a bug in the sample, to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use trailscope_detect::anomaly::behaviour::{
    detect_behaviour, ApiVolume, BehaviourAnomaly, BehaviourKind, BehaviourOptions, Dimension,
    EntityKind, EntityRef, FilterTerm, Novelty,
};
use trailscope_detect::anomaly::{
    detect_anomalies, Anomaly, AnomalyOptions, Attributions, Direction, InsightType, Occurrence,
    SeriesPoint, TopValue,
};
use trailscope_model::{ingest_bytes, Limits};
use trailscope_query::{run_query, ExportFormat, Filter, QueryRequest};
use trailscope_store::Store;

use crate::*;

/// Every message, grouped by channel.
pub struct Samples {
    /// Page → store worker.
    pub requests: Vec<Request>,
    /// Store worker → page.
    pub responses: Vec<Response>,
    /// Page → worker, first message.
    pub roles: Vec<Role>,
    /// Page → parser.
    pub parse_requests: Vec<ParseRequest>,
    /// Parser → page.
    pub parse_events: Vec<ParseEvent>,
    /// Parser → store worker.
    pub parsed: Vec<Parsed>,
    /// Page → SQL worker.
    pub sql_requests: Vec<SqlRequest>,
    /// SQL worker → page.
    pub sql_replies: Vec<SqlReply>,
}

/// The name of a SQL request's variant.
pub fn sql_request_kind(r: &SqlRequest) -> &'static str {
    match r {
        SqlRequest::Attach { .. } => "Attach",
        SqlRequest::Run { .. } => "Run",
        SqlRequest::Download { .. } => "Download",
        SqlRequest::DownloadEvents { .. } => "DownloadEvents",
    }
}

/// Every SQL request variant's name.
pub const SQL_REQUEST_KINDS: [&str; 4] = ["Attach", "Run", "Download", "DownloadEvents"];

/// The name of a SQL reply's variant.
pub fn sql_reply_kind(r: &SqlReply) -> &'static str {
    match r {
        SqlReply::Started { .. } => "Started",
        SqlReply::Loaded { .. } => "Loaded",
        SqlReply::LoadFailed { .. } => "LoadFailed",
        SqlReply::Rows { .. } => "Rows",
        SqlReply::Failed { .. } => "Failed",
        SqlReply::File { .. } => "File",
    }
}

/// Every SQL reply variant's name.
pub const SQL_REPLY_KINDS: [&str; 6] =
    ["Started", "Loaded", "LoadFailed", "Rows", "Failed", "File"];

/// The name of a request's variant.
pub fn request_kind(r: &Request) -> &'static str {
    match r {
        Request::BeginLoad { .. } => "BeginLoad",
        Request::Cancel { .. } => "Cancel",
        Request::Record { .. } => "Record",
        Request::ExportEvents { .. } => "ExportEvents",
        Request::ExportSelection { .. } => "ExportSelection",
        Request::Verify { .. } => "Verify",
        Request::SetTrustedKeys { .. } => "SetTrustedKeys",
        Request::Query { .. } => "Query",
        Request::FacetValues { .. } => "FacetValues",
        Request::Window { .. } => "Window",
        Request::FindEvent { .. } => "FindEvent",
        Request::Export { .. } => "Export",
        Request::Detect { .. } => "Detect",
        Request::Reset { .. } => "Reset",
        Request::Workspace { .. } => "Workspace",
        Request::RestoreWorkspace { .. } => "RestoreWorkspace",
    }
}

/// Every request variant's name.
pub const REQUEST_KINDS: [&str; 16] = [
    "BeginLoad",
    "Cancel",
    "Record",
    "ExportEvents",
    "ExportSelection",
    "Verify",
    "SetTrustedKeys",
    "Query",
    "FacetValues",
    "Window",
    "FindEvent",
    "Export",
    "Detect",
    "Reset",
    "Workspace",
    "RestoreWorkspace",
];

/// The name of a response's variant.
pub fn response_kind(r: &Response) -> &'static str {
    match r {
        Response::Ready => "Ready",
        Response::Progress { .. } => "Progress",
        Response::FilesDone { .. } => "FilesDone",
        Response::LoadDone { .. } => "LoadDone",
        Response::Record { .. } => "Record",
        Response::Verified { .. } => "Verified",
        Response::TrustedKeysSet { .. } => "TrustedKeysSet",
        Response::Queried { .. } => "Queried",
        Response::FacetValues { .. } => "FacetValues",
        Response::FacetRefused { .. } => "FacetRefused",
        Response::QueryFailed { .. } => "QueryFailed",
        Response::Window { .. } => "Window",
        Response::ExportChunk { .. } => "ExportChunk",
        Response::ExportDone { .. } => "ExportDone",
        Response::SelectionManifest { .. } => "SelectionManifest",
        Response::Detected { .. } => "Detected",
        Response::ResetDone { .. } => "ResetDone",
        Response::WorkspaceStatus { .. } => "WorkspaceStatus",
        Response::Failed { .. } => "Failed",
    }
}

/// Every response variant's name.
pub const RESPONSE_KINDS: [&str; 19] = [
    "Ready",
    "Progress",
    "FilesDone",
    "LoadDone",
    "Record",
    "Verified",
    "TrustedKeysSet",
    "Queried",
    "FacetValues",
    "FacetRefused",
    "QueryFailed",
    "Window",
    "ExportChunk",
    "ExportDone",
    "SelectionManifest",
    "Detected",
    "ResetDone",
    "WorkspaceStatus",
    "Failed",
];

const TRAIL: &str = r#"{"Records":[
{"eventVersion":"1.09","eventID":"e1","eventTime":"2024-03-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE"},"requestParameters":{"userName":"admin-backup"}},
{"eventVersion":"1.09","eventID":"e2","eventTime":"2024-03-01T10:01:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","readOnly":true,"errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave"}},
{"eventVersion":"1.09","eventID":"e3","eventTime":"2024-03-01T10:02:00.5+02:00","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}
]}"#;

/// A store of [`TRAIL`].
fn store() -> Store {
    let mut store = Store::new();
    store.load(
        "AWSLogs/111122223333/CloudTrail/us-east-1/sample.json",
        |b| ingest_bytes(TRAIL.as_bytes(), Limits::default(), b),
    );
    store
}

/// Builds the samples.
pub fn samples() -> Samples {
    let mut store = store();
    let id = RequestId(7);
    let query = QueryRequest {
        filter: "eventSource:iam.amazonaws.com".into(),
        ..QueryRequest::default()
    };
    let result = run_query(&mut store, &QueryRequest::default()).expect("the sample query reads");
    let bad = Filter::parse("eventName:").expect_err("an empty value is an error");
    let file = store.files().first().expect("the sample file loaded");
    let file_row = crate::file_row(0, file);
    let summary = crate::summary_to_wire(&file.summary);
    let report = trailscope_verify::verify(
        &trailscope_verify::VerifyInputs::default(),
        &trailscope_verify::Options::default(),
    );
    let run = trailscope_verify::RunInfo {
        tool: "trailscope 0.1.0".into(),
        checked_at: "2024-03-02T00:00:00Z".into(),
        window: Some(("2024-03-01".into(), "2024-03-02".into())),
        mode: "strict".into(),
        inputs: Vec::new(),
        keys: vec![("0123abcd".into(), true)],
        case: "IR-2024-017".into(),
        analyst: "A. Analyst".into(),
    };
    let verified = crate::verify_view(&report, &run);
    let rules = trailscope_detect::RuleSet::builtin();
    let matches = rules.evaluate(&store);
    let findings = trailscope_detect::findings(&rules, &matches, &store);
    let anomalies = detect_anomalies(&store, &AnomalyOptions::default());
    let mut behaviour = detect_behaviour(&store, &BehaviourOptions::default());
    behaviour.push(BehaviourAnomaly {
        computed_by_trailscope: true,
        kind: BehaviourKind::Volume,
        entity: EntityRef {
            kind: EntityKind::AccessKey,
            value: "AKIAEXAMPLE".into(),
        },
        also: vec![EntityRef {
            kind: EntityKind::SourceIp,
            value: "203.0.113.9".into(),
        }],
        identity_type: "IAMUser".into(),
        start_millis: 1_709_287_200_000,
        end_millis: 1_709_290_800_000,
        events: 1500,
        volumes: vec![ApiVolume {
            event_source: "s3.amazonaws.com".into(),
            event_name: "GetObject".into(),
            count: 1200,
            usual_per_hour: 1.5,
            own_peak_per_hour: 3,
            peer_peak_per_hour: 2.0,
            probability: 1e-300,
        }],
        novelties: vec![Novelty {
            dimension: Dimension::SourceIp,
            value: "198.51.100.66".into(),
            first_millis: 1_709_287_200_000,
            events: 1500,
        }],
        novelties_omitted: 2,
        history_events: 1389,
        history_hours: 52,
        top_source_ips: vec![TopValue {
            value: "198.51.100.66".into(),
            count: 1500,
        }],
        top_user_agents: Vec::new(),
        top_apis: Vec::new(),
        summary: "a sample".into(),
        score: 29.25,
        filter_terms: vec![FilterTerm {
            field: "userIdentity.accessKeyId".into(),
            value: "AKIAEXAMPLE".into(),
        }],
    });
    let detected = DetectView {
        findings: vec![FindingView {
            rule: "cis-4.5".into(),
            aliases: vec!["cis-v6-5.5".into()],
            title: "CloudTrail configuration changes".into(),
            description: "Trails created, updated or deleted.".into(),
            remediation: "Check that every trail is still logging.".into(),
            severity: "high".into(),
            tactics: vec!["defense-evasion".into()],
            references: vec!["https://www.cisecurity.org/".into()],
            events: 1,
            origin: "built-in".into(),
            spread: trailscope_detect::Spread {
                first_seen: Some("2024-02-28T12:00:00Z".into()),
                last_seen: Some("2024-02-28T12:00:00Z".into()),
                top_principals: vec![trailscope_detect::ValueCount {
                    value: "alice".into(),
                    events: 1,
                }],
                top_source_ips: Vec::new(),
            },
        }],
        anomalies: vec![AnomalyView {
            anomaly: Anomaly {
                computed_by_trailscope: true,
                insight_type: InsightType::ApiErrorRateInsight,
                direction: Direction::Burst,
                event_source: "ec2.amazonaws.com".into(),
                event_name: "RunInstances".into(),
                aws_region: "us-east-1".into(),
                error_code: Some("AccessDenied".into()),
                start_millis: 1_709_287_200_000,
                end_millis: 1_709_287_500_000,
                duration_minutes: 5,
                baseline_average: 2.25,
                insight_average: 40.5,
                insight_count: 202,
                baseline_duration_minutes: 540,
                baseline_short: true,
                probability: 3.5e-120,
                insight: Attributions {
                    user_identity_arns: vec![TopValue {
                        value: "arn:aws:iam::111122223333:user/ci".into(),
                        count: 200,
                    }],
                    ..Attributions::default()
                },
                baseline: Attributions::default(),
                occurrences: vec![Occurrence {
                    start_millis: 1_709_287_200_000,
                    end_millis: 1_709_287_500_000,
                    count: 202,
                    expected_per_minute: 2.25,
                    probability: 3.5e-120,
                }],
                score: 12.5,
            },
            series: vec![SeriesPoint {
                minute_millis: 1_709_287_200_000,
                count: 40,
                baseline: Some(2.25),
                band_low: Some(0.75),
                band_high: None,
                in_window: true,
            }],
        }],
        behaviour,
        insights: vec![InsightView {
            row: 2,
            time_millis: Some(1_709_287_320_000),
            state: Some("Start".into()),
            insight_type: Some("ApiCallRateInsight".into()),
            event_source: Some("ec2.amazonaws.com".into()),
            event_name: Some("RunInstances".into()),
            error_code: None,
            baseline_average: Some(0.5),
            insight_average: Some(12.25),
            insight_duration: Some(5.0),
            baseline_duration: Some(540.0),
            details: serde_json::json!({"state": "Start", "insightContext": {"statistics": {"baseline": {"average": 0.5}}}}),
        }],
        rule_errors: vec!["mine.yml: rule x: bad regex".into()],
        findings_json: trailscope_detect::findings_json(&findings),
        findings_csv: trailscope_detect::findings_csv(&findings),
        anomalies_json: format!("{} anomalies", anomalies.len()),
        rules_millis: 12.5,
        anomalies_millis: 3.25,
        events: store.len() as u64,
    };
    let requests = vec![
        Request::BeginLoad {
            id,
            total_files: 3,
            ceiling_mib: Some(512),
            records_in_wasm_mib: Some(0),
        },
        Request::Cancel { id, withheld: 1 },
        Request::Record { id, row: 2 },
        Request::ExportEvents { id },
        Request::ExportSelection { id },
        Request::Verify {
            id,
            start: Some("2024-03-01".into()),
            end: None,
            aws_cli_compat: true,
            checked_at: "2024-03-02T00:00:00Z".into(),
            case: "IR-2024-017".into(),
            analyst: "A. Analyst".into(),
        },
        Request::SetTrustedKeys {
            id,
            lists: vec![TrustedKeyList {
                name: "keys.json".into(),
                text: r#"{"PublicKeyList":[]}"#.into(),
                region: Some("us-east-1".into()),
            }],
        },
        Request::Query { id, query },
        Request::FacetValues {
            id,
            filter: "-readOnly:true".into(),
            field: "sourceIPAddress".into(),
            search: "203.".into(),
            limit: 100,
        },
        Request::Window {
            id,
            offset: 100,
            limit: 50,
            columns: vec![
                "resources".into(),
                "path:requestParameters.bucketName".into(),
            ],
        },
        Request::FindEvent {
            id,
            event_id: "e1".into(),
        },
        Request::Export {
            id,
            format: ExportFormat::Csv,
            columns: vec!["time".into(), "path:requestParameters.bucketName".into()],
        },
        Request::Detect {
            id,
            options: DetectOptions {
                rule_files: vec![RuleFile {
                    name: "mine.yml".into(),
                    text:
                        "id: x\ntitle: X\nseverity: low\ncondition: {field: eventName, equals: X}\n"
                            .into(),
                }],
                business_hours: Some(BusinessHours {
                    start_hour: 9,
                    end_hour: 17,
                    utc_offset_minutes: -300,
                }),
                only: vec!["cis-4.1".into()],
                exclude: vec!["cis-4.2".into()],
            },
        },
        Request::Reset { id },
        Request::Workspace {
            id,
            keep: true,
            delete: false,
        },
        Request::RestoreWorkspace { id },
    ];
    let responses = vec![
        Response::Ready,
        Response::Progress {
            id,
            files_done: 2,
            events: 3,
        },
        Response::FilesDone {
            id,
            files: vec![file_row.clone()],
        },
        Response::LoadDone {
            id,
            cancelled: false,
            not_read: vec!["big.json.gz".into()],
            totals: Box::new(TotalsView {
                events: 3,
                first_event_time: Some("2024-03-01T08:02:00.500Z".into()),
                records_spilled_bytes: 1 << 20,
                ..TotalsView::default()
            }),
            elapsed_millis: 12.75,
            tab_full: Some(TabFull {
                events: 3,
                files_refused: 1,
                ceiling_mib: 512,
            }),
            stages: LoadStages {
                reading: 3.0,
                parsing: 80.5,
                hashing: 6.0,
                sending: 4.0,
                merging: 20.25,
                keeping: 0.0,
                ordering: 1.5,
            },
        },
        Response::Record {
            id,
            row: 0,
            json: store.raw(0).unwrap_or_default(),
            file: file_row.path.clone(),
            file_sha256: Some("ab".repeat(32)),
            user: Some("alice".into()),
            integrity: Some("verified".into()),
            copies: vec![EventCopyView::default()],
        },
        Response::Verified {
            id,
            view: Box::new(verified),
        },
        Response::TrustedKeysSet {
            id,
            keys: vec![TrustedKeyView {
                fingerprint: "0123abcd".into(),
                ..TrustedKeyView::default()
            }],
            problems: vec!["bad.json: not a key list".into()],
        },
        Response::Queried {
            id,
            result: Box::new(result.clone()),
            elapsed_millis: 2.5,
            text_indexed: 3,
            text_index_halted: false,
        },
        Response::FacetValues {
            id,
            facet: result
                .facets
                .first()
                .cloned()
                .unwrap_or_else(|| trailscope_query::Facet {
                    field: "eventName".into(),
                    values: Vec::new(),
                    other: 0,
                    absent: 0,
                    filtered: false,
                }),
        },
        Response::FacetRefused {
            id,
            reason: format!(
                "{} events are selected: narrow the filter to at most {} events to count what they acted on",
                trailscope_query::RESOURCE_FACET_MAX_EVENTS + 1,
                trailscope_query::RESOURCE_FACET_MAX_EVENTS
            ),
        },
        Response::QueryFailed { id, error: bad },
        Response::Window {
            id,
            offset: 0,
            // Rows with the values of record columns (one with two values, one with none).
            rows: result
                .rows
                .iter()
                .cloned()
                .map(|mut row| {
                    row.extra = vec![vec!["i-0abc".into(), "i-0def".into()], Vec::new()];
                    row
                })
                .collect(),
        },
        Response::ExportChunk {
            id,
            bytes: serde_bytes::ByteBuf::from(b"eventTime,eventName\n".to_vec()),
            done: 1,
            total: 3,
        },
        Response::ExportDone {
            id,
            name: "trailscope-events.csv".into(),
            mime: "text/csv".into(),
            manifest: "{\"manifest\":\"trailscope-export-manifest/1\"}".into(),
        },
        Response::SelectionManifest {
            id,
            manifest: "{\"manifest\":\"trailscope-export-manifest/1\",\"outputs\":[]}".into(),
        },
        Response::Detected {
            id,
            view: Box::new(detected),
        },
        Response::ResetDone { id },
        Response::WorkspaceStatus {
            id,
            status: crate::WorkspaceStatus {
                keeping: true,
                events: 3,
                files: 1,
                saved_at_millis: Some(1_709_287_200_000.0),
                bytes: 4_096,
                uncommitted_bytes: 12,
                not_kept_events: 0,
                restored: true,
                restore_millis: Some(41.5),
                problem: Some("another tab keeps this workspace".into()),
            },
        },
        Response::Failed {
            id,
            message: "cannot verify while loading".into(),
        },
    ];
    let parsed = vec![Parsed {
        load: id,
        files: vec![ParsedFile {
            input: 0,
            path: file_row.path.clone(),
            summary,
            rows: 3,
            discard: false,
            streamed: true,
            log_hash: Some(LogHashWire {
                sha256: "ab".repeat(32),
                read: "trailer_missing".into(),
                reason: None,
                trailing: true,
                bytes: 1024,
            }),
            kept: Some(serde_bytes::ByteBuf::from(vec![1, 2, 3])),
            stored_sha256: Some("cd".repeat(32)),
        }],
        inputs_done: vec![InputDone {
            input: 0,
            path: "sample.json".into(),
            read: true,
        }],
        chunk_of: Some(FileChunk {
            input: 1,
            path: "big.json.gz".into(),
        }),
        stages: LoadStages {
            reading: 1.5,
            parsing: 40.25,
            sending: 2.0,
            ..LoadStages::default()
        },
    }];
    Samples {
        requests,
        responses,
        roles: vec![Role::Store, Role::Parser { index: 1 }],
        parse_requests: vec![
            ParseRequest::Parse {
                load: id,
                inputs: vec![PackedInput {
                    number: 0,
                    path: "sample.json".into(),
                    size: TRAIL.len() as u64,
                }],
                hash_only: true,
            },
            ParseRequest::Cancel { load: id },
        ],
        parse_events: vec![
            ParseEvent::Ready { parser: 0 },
            ParseEvent::Progress {
                load: id,
                parser: 1,
                bytes_done: 10,
                bytes_total: 20,
            },
        ],
        parsed,
        sql_requests: vec![
            SqlRequest::Attach {
                snapshot: 2,
                records_in_wasm_mib: Some(0),
            },
            SqlRequest::Run {
                id,
                sql: "SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1".into(),
                sort: Some(SqlSort {
                    column: 1,
                    descending: true,
                }),
            },
            SqlRequest::Download {
                id,
                sql: "SELECT * FROM events".into(),
                format: SqlFileFormat::Parquet,
            },
            SqlRequest::DownloadEvents { id },
        ],
        sql_replies: vec![
            SqlReply::Started {
                columns: vec![SqlColumn {
                    path: "userIdentity.arn".into(),
                    kind: "string".into(),
                }],
                samples: vec![SqlSample {
                    title: "Most frequent API calls".into(),
                    sql: "SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1".into(),
                }],
            },
            SqlReply::Loaded {
                snapshot: 2,
                events: store.len() as u64,
                millis: 12.5,
                records_outside_wasm_bytes: 4096,
            },
            SqlReply::LoadFailed {
                snapshot: 2,
                message: "damaged event batch: bad magic".into(),
            },
            SqlReply::Rows {
                id,
                table: SqlTable {
                    columns: vec!["eventID".into(), "errorCode".into()],
                    types: vec!["Utf8".into(), "Utf8".into()],
                    rows_json: serde_json::to_string(
                        &(0..store.len())
                            .map(|row| {
                                [
                                    store.event_id(row),
                                    store.value(trailscope_store::Field::ErrorCode, row),
                                ]
                            })
                            .collect::<Vec<_>>(),
                    )
                    .expect("rows as JSON"),
                    shown_rows: store.len() as u64,
                    total_rows: store.len() as u64,
                    event_ids: vec!["e1".into(), "e2".into(), "e3".into()],
                },
                millis: 3.5,
            },
            SqlReply::Failed {
                id,
                message: "Schema error: No field named nosuchcolumn".into(),
                line: Some(2),
                column: Some(7),
            },
            SqlReply::File {
                id,
                format: SqlFileFormat::Parquet,
                size: 4096,
                sha256: Some(
                    "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9".into(),
                ),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
        let text = serde_json::to_string(value).expect("serializes");
        let back: T = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(&back, value, "{text}");
    }

    #[test]
    fn every_message_round_trips_through_json() {
        let s = samples();
        s.requests.iter().for_each(round_trip);
        s.responses.iter().for_each(round_trip);
        s.roles.iter().for_each(round_trip);
        s.parse_requests.iter().for_each(round_trip);
        s.parse_events.iter().for_each(round_trip);
        s.parsed.iter().for_each(round_trip);
        s.sql_requests.iter().for_each(round_trip);
        s.sql_replies.iter().for_each(round_trip);
    }

    #[test]
    fn the_samples_cover_every_variant() {
        let s = samples();
        let requests: Vec<&str> = s.requests.iter().map(request_kind).collect();
        assert_eq!(requests, REQUEST_KINDS);
        let responses: Vec<&str> = s.responses.iter().map(response_kind).collect();
        assert_eq!(responses, RESPONSE_KINDS);
        assert_eq!(s.roles.len(), 2);
        assert_eq!(s.parse_requests.len(), 2);
        assert_eq!(s.parse_events.len(), 2);
        let sql_requests: Vec<&str> = s.sql_requests.iter().map(sql_request_kind).collect();
        assert_eq!(sql_requests, SQL_REQUEST_KINDS);
        let sql_replies: Vec<&str> = s.sql_replies.iter().map(sql_reply_kind).collect();
        assert_eq!(sql_replies, SQL_REPLY_KINDS);
    }

    #[test]
    fn the_samples_carry_computed_payloads() {
        let s = samples();
        let queried = s
            .responses
            .iter()
            .find_map(|r| match r {
                Response::Queried { result, .. } => Some(result),
                _ => None,
            })
            .expect("a query result");
        assert_eq!((queried.total, queried.rows.len()), (3, 3));
        assert!(!queried.facets.is_empty());
    }
}
