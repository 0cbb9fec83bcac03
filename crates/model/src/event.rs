//! The event model: one CloudTrail record's fields, however the record arrived.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::lenient::{Flag, Lenient, LenientList, Text};
use crate::time::{TimeQuality, Timestamp};

/// The CloudTrail fields of one record, borrowed from the input where possible.
///
/// Field names follow the CloudTrail record reference; every field is optional because real
/// exports omit, redact or retype any of them. Envelope fields (EventBridge `detail`, lookup-events
/// `CloudTrailEvent`, CloudWatch Logs `message`, ...) are read in the same pass so that unwrapping
/// costs nothing for plain records.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventRecord<'a> {
    #[serde(borrow)]
    /// `eventVersion`.
    pub event_version: Text<'a>,
    #[serde(borrow, rename = "eventID")]
    /// `eventID`: unique per event (shared by copies of the same event in different exports).
    pub event_id: Text<'a>,
    #[serde(borrow)]
    /// `eventTime`, as written.
    pub event_time: Text<'a>,
    #[serde(borrow)]
    /// `eventName`: the API action, e.g. `CreateUser`.
    pub event_name: Text<'a>,
    #[serde(borrow)]
    /// `eventSource`: the service endpoint, e.g. `iam.amazonaws.com`.
    pub event_source: Text<'a>,
    #[serde(borrow)]
    /// `awsRegion`.
    pub aws_region: Text<'a>,
    #[serde(borrow, rename = "sourceIPAddress")]
    /// `sourceIPAddress`: an IP address or a service name.
    pub source_ip_address: Text<'a>,
    #[serde(borrow)]
    /// `userAgent`.
    pub user_agent: Text<'a>,
    #[serde(borrow)]
    /// `errorCode`.
    pub error_code: Text<'a>,
    #[serde(borrow)]
    /// `errorMessage`.
    pub error_message: Text<'a>,
    /// `readOnly`.
    pub read_only: Flag,
    #[serde(borrow)]
    /// `eventType`: `AwsApiCall`, `AwsServiceEvent`, `AwsConsoleSignIn`, `AwsCloudTrailInsight`, ...
    pub event_type: Text<'a>,
    #[serde(borrow)]
    /// `eventCategory`: `Management`, `Data`, `Insight`, `NetworkActivity`.
    pub event_category: Text<'a>,
    /// `managementEvent`.
    pub management_event: Flag,
    #[serde(borrow)]
    /// `recipientAccountId`: the account that received the event.
    pub recipient_account_id: Text<'a>,
    #[serde(borrow, rename = "requestID")]
    /// `requestID`.
    pub request_id: Text<'a>,
    #[serde(borrow, rename = "sharedEventID")]
    /// `sharedEventID`: links copies of a cross-account event.
    pub shared_event_id: Text<'a>,
    #[serde(borrow)]
    /// `vpcEndpointId`.
    pub vpc_endpoint_id: Text<'a>,
    #[serde(borrow)]
    /// `userIdentity`.
    pub user_identity: Lenient<UserIdentity<'a>>,
    #[serde(borrow)]
    /// `resources`.
    pub resources: LenientList<Resource<'a>>,
    #[serde(borrow)]
    /// `additionalEventData` (only the parts the model reads).
    pub additional_event_data: Lenient<AdditionalEventData<'a>>,
    #[serde(borrow)]
    /// `insightDetails`: present on CloudTrail Insights events only.
    pub insight_details: Lenient<InsightDetails<'a>>,

    // Envelope and export fields, read in the same pass.
    #[serde(borrow, rename = "@timestamp")]
    pub(crate) logstash_timestamp: Text<'a>,
    #[serde(borrow)]
    pub(crate) detail: Option<&'a RawValue>,
    #[serde(borrow, rename = "detail-type")]
    pub(crate) detail_type: Text<'a>,
    #[serde(borrow)]
    pub(crate) time: Text<'a>,
    #[serde(borrow, rename = "CloudTrailEvent")]
    pub(crate) cloudtrail_event: Text<'a>,
    #[serde(borrow, rename = "EventId")]
    pub(crate) lookup_event_id: Text<'a>,
    #[serde(borrow, rename = "EventName")]
    pub(crate) lookup_event_name: Text<'a>,
    #[serde(borrow, rename = "EventSource")]
    pub(crate) lookup_event_source: Text<'a>,
    #[serde(borrow, rename = "EventTime")]
    pub(crate) lookup_event_time: Text<'a>,
    #[serde(borrow, rename = "Username")]
    pub(crate) lookup_username: Text<'a>,
    #[serde(borrow, rename = "AccessKeyId")]
    pub(crate) lookup_access_key_id: Text<'a>,
    #[serde(rename = "ReadOnly")]
    pub(crate) lookup_read_only: Flag,
    #[serde(borrow)]
    pub(crate) message: Text<'a>,
    #[serde(borrow)]
    pub(crate) timestamp: Text<'a>,
    #[serde(borrow, rename = "Records")]
    pub(crate) nested_records: Option<&'a RawValue>,
    #[serde(borrow, rename = "logEvents")]
    pub(crate) nested_log_events: Option<&'a RawValue>,
    #[serde(borrow, rename = "Events")]
    pub(crate) nested_lookup_events: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) events: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) data: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) digest_s3_object: Text<'a>,
    #[serde(borrow)]
    pub(crate) digest_end_time: Text<'a>,
    #[serde(borrow)]
    pub(crate) log_files: Option<&'a RawValue>,
    #[serde(borrow, rename = "PublicKeyList")]
    pub(crate) public_key_list: Option<&'a RawValue>,
    #[serde(borrow, rename = "Metadata")]
    pub(crate) metadata: Option<&'a RawValue>,
}

/// `insightDetails` of a CloudTrail Insights event: which API the insight is about.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InsightDetails<'a> {
    #[serde(borrow)]
    /// `Start` or `End`.
    pub state: Text<'a>,
    #[serde(borrow)]
    /// The service of the API.
    pub event_source: Text<'a>,
    #[serde(borrow)]
    /// The API.
    pub event_name: Text<'a>,
    #[serde(borrow)]
    /// `ApiCallRateInsight` or `ApiErrorRateInsight`.
    pub insight_type: Text<'a>,
    #[serde(borrow)]
    /// For error-rate insights: the error code.
    pub error_code: Text<'a>,
}

/// `userIdentity`: who made the request.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    /// `Root`, `IAMUser`, `AssumedRole`, `Role`, `FederatedUser`, `AWSAccount`, `AWSService`,
    /// `IdentityCenterUser`, `Directory`, `Unknown`, ...
    pub identity_type: Text<'a>,
    #[serde(borrow)]
    /// `principalId`.
    pub principal_id: Text<'a>,
    #[serde(borrow)]
    /// `arn`.
    pub arn: Text<'a>,
    #[serde(borrow)]
    /// `accountId`.
    pub account_id: Text<'a>,
    #[serde(borrow)]
    /// `accessKeyId`: `AKIA…` long-term, `ASIA…` temporary.
    pub access_key_id: Text<'a>,
    #[serde(borrow)]
    /// `userName`.
    pub user_name: Text<'a>,
    #[serde(borrow)]
    /// `invokedBy`: the service that made the call on the principal's behalf.
    pub invoked_by: Text<'a>,
    #[serde(borrow)]
    /// `identityProvider` (federated and web identity users).
    pub identity_provider: Text<'a>,
    #[serde(borrow)]
    /// `sessionContext`.
    pub session_context: Lenient<SessionContext<'a>>,
    #[serde(borrow)]
    /// `onBehalfOf`: the IAM Identity Center user behind the session.
    pub on_behalf_of: Lenient<OnBehalfOf<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow)]
    /// The role or user whose credentials created the session.
    pub session_issuer: Lenient<SessionIssuer<'a>>,
    /// Session attributes.
    pub attributes: Lenient<SessionAttributes>,
    #[serde(borrow)]
    /// `sourceIdentity`.
    pub source_identity: Text<'a>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(borrow, rename = "type")]
    /// `Role`, `IAMUser`, `Root`.
    pub issuer_type: Text<'a>,
    #[serde(borrow)]
    /// `arn`.
    pub arn: Text<'a>,
    #[serde(borrow)]
    /// `userName`: the role or user name.
    pub user_name: Text<'a>,
    #[serde(borrow)]
    /// `accountId`.
    pub account_id: Text<'a>,
}

/// `userIdentity.sessionContext.attributes`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionAttributes {
    /// `mfaAuthenticated`, written as the string `"true"`/`"false"`.
    pub mfa_authenticated: Flag,
}

/// `userIdentity.onBehalfOf`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OnBehalfOf<'a> {
    #[serde(borrow)]
    /// The Identity Center user ID.
    pub user_id: Text<'a>,
    #[serde(borrow)]
    /// The identity store.
    pub identity_store_arn: Text<'a>,
}

/// One entry of `resources`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    #[serde(borrow, rename = "ARN")]
    /// The resource ARN.
    pub arn: Text<'a>,
    #[serde(borrow, rename = "accountId")]
    /// The owning account.
    pub account_id: Text<'a>,
    #[serde(borrow, rename = "type")]
    /// `AWS::S3::Bucket`, ...
    pub resource_type: Text<'a>,
}

/// The parts of `additionalEventData` the model reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdditionalEventData<'a> {
    #[serde(borrow, rename = "MFAUsed")]
    /// `Yes`/`No` on console sign-ins.
    pub mfa_used: Text<'a>,
}

/// How a record reached us, for the file list and the detail view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// A bare CloudTrail record.
    Direct,
    /// An EventBridge (CloudWatch Events) event whose `detail` is the record.
    EventBridge,
    /// A lookup-events (or console JSON) entry whose `CloudTrailEvent` string is the record.
    LookupEvents,
    /// A CloudWatch Logs event whose `message` is the record.
    CloudWatchLogs,
    /// A row of the console's Event history CSV.
    EventHistoryCsv,
}

/// Which field an event's time was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// `eventTime`.
    EventTime,
    /// An envelope's time (lookup-events `EventTime`, EventBridge `time`, CloudWatch `timestamp`).
    Envelope,
    /// Logstash's `@timestamp` (the record had no `eventTime`).
    LogstashTimestamp,
}

/// An event's resolved time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTime {
    /// The instant, UTC.
    pub at: Timestamp,
    /// How exact it is.
    pub quality: TimeQuality,
    /// Where it came from.
    pub source: TimeSource,
}

/// One event as handed to an [`crate::EventSink`]: the record's fields, its exact JSON, and what
/// ingest worked out about it.
#[derive(Debug)]
pub struct Event<'a> {
    /// The CloudTrail fields.
    pub record: EventRecord<'a>,
    /// The record's JSON exactly as it appears in the input (the unescaped `CloudTrailEvent`
    /// string for lookup-events; a JSON rendering of the row for CSV).
    pub raw: &'a str,
    /// The event time, or `None` when the record has no usable time.
    pub time: Option<EventTime>,
    /// How the record was wrapped.
    pub envelope: Envelope,
}

impl<'a> EventRecord<'a> {
    /// The identity block, if any.
    pub fn identity(&self) -> Option<&UserIdentity<'a>> {
        self.user_identity.as_ref()
    }

    /// Whether this is a CloudTrail Insights event.
    pub fn is_insight(&self) -> bool {
        self.insight_details.0.is_some() || self.event_type.as_str() == Some("AwsCloudTrailInsight")
    }

    /// The API the event is about: `eventName`, or for an Insights event the API of its insight.
    pub fn api_name(&self) -> Option<&str> {
        self.event_name.non_empty().or_else(|| {
            self.insight_details
                .as_ref()
                .and_then(|d| d.event_name.non_empty())
        })
    }

    /// The service the event is about: `eventSource`, or for an Insights event its insight's.
    pub fn api_source(&self) -> Option<&str> {
        self.event_source.non_empty().or_else(|| {
            self.insight_details
                .as_ref()
                .and_then(|d| d.event_source.non_empty())
        })
    }

    /// The account the event belongs to: `recipientAccountId`, else the caller's account.
    pub fn account_id(&self) -> Option<&str> {
        self.recipient_account_id
            .non_empty()
            .or_else(|| self.identity().and_then(|id| id.account_id.non_empty()))
    }

    /// Whether the caller used MFA: `MFAUsed` on console sign-ins, else the session attribute.
    pub fn mfa_used(&self) -> Option<bool> {
        let sign_in = self
            .additional_event_data
            .as_ref()
            .and_then(|d| d.mfa_used.as_str())
            .and_then(crate::lenient::parse_flag);
        sign_in.or_else(|| {
            self.identity()
                .and_then(|id| id.session_context.as_ref())
                .and_then(|ctx| ctx.attributes.as_ref())
                .and_then(|a| a.mfa_authenticated.0)
        })
    }

    /// The session issuer, if the caller used temporary credentials.
    pub fn session_issuer(&self) -> Option<&SessionIssuer<'a>> {
        self.identity()
            .and_then(|id| id.session_context.as_ref())
            .and_then(|ctx| ctx.session_issuer.as_ref())
    }

    /// The caller as people read it: the user name, `role/session` for assumed roles, `root`,
    /// the service for AWS service calls, the Identity Center user behind a session.
    pub fn user_display(&self) -> Option<Cow<'_, str>> {
        let id = self.identity()?;
        let kind = id.identity_type.as_str().unwrap_or("");
        match kind {
            "Root" => return Some(Cow::Borrowed("root")),
            "AWSService" => return id.invoked_by.non_empty().map(Cow::Borrowed),
            "AssumedRole" | "Role" => {
                if let Some(arn) = id.arn.non_empty() {
                    // arn:aws:sts::123456789012:assumed-role/RoleName/session
                    if let Some((_, rest)) = arn.split_once(":assumed-role/") {
                        return Some(Cow::Borrowed(rest));
                    }
                }
                if let Some(name) = self.session_issuer().and_then(|s| s.user_name.non_empty()) {
                    return Some(Cow::Borrowed(name));
                }
            }
            "IdentityCenterUser" => {
                if let Some(user) = id.on_behalf_of.as_ref().and_then(|o| o.user_id.non_empty()) {
                    return Some(Cow::Owned(format!("Identity Center user {user}")));
                }
            }
            "FederatedUser" => {
                if let Some(arn) = id.arn.non_empty() {
                    if let Some((_, rest)) = arn.split_once(":federated-user/") {
                        return Some(Cow::Borrowed(rest));
                    }
                }
            }
            _ => {}
        }
        if let Some(name) = id.user_name.non_empty() {
            return Some(Cow::Borrowed(name));
        }
        if let Some(arn) = id.arn.non_empty() {
            return Some(Cow::Borrowed(arn.rsplit('/').next().unwrap_or(arn)));
        }
        id.principal_id
            .non_empty()
            .or(id.account_id.non_empty())
            .map(Cow::Borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> EventRecord<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn names_the_caller_as_people_read_it() {
        let cases = [
            (
                r#"{"userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/alice"}}"#,
                Some("alice"),
            ),
            (
                r#"{"userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}"#,
                Some("root"),
            ),
            (
                r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob"}}"#,
                Some("Admin/bob"),
            ),
            (
                r#"{"userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"}}"#,
                Some("lambda.amazonaws.com"),
            ),
            (
                r#"{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}}"#,
                Some("Identity Center user u-1"),
            ),
            (
                r#"{"userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/carol"}}"#,
                Some("carol"),
            ),
            (
                r#"{"userIdentity":{"type":"AWSAccount","principalId":"AIDA","accountId":"222"}}"#,
                Some("AIDA"),
            ),
            (r#"{"userIdentity":"..."}"#, None),
            (r#"{}"#, None),
        ];
        for (json, expected) in cases {
            assert_eq!(record(json).user_display().as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn reads_mfa_from_sign_in_or_session() {
        assert_eq!(
            record(r#"{"additionalEventData":{"MFAUsed":"No"}}"#).mfa_used(),
            Some(false)
        );
        let session =
            r#"{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}}"#;
        assert_eq!(record(session).mfa_used(), Some(true));
        assert_eq!(record("{}").mfa_used(), None);
    }

    #[test]
    fn tolerates_retyped_fields() {
        let r = record(
            r#"{"eventTime":"...","readOnly":"true","errorCode":403,"userIdentity":{"type":"...","sessionContext":[]},"resources":"x"}"#,
        );
        assert_eq!(r.read_only.0, Some(true));
        assert_eq!(r.error_code.as_str(), Some("403"));
        assert!(r.resources.0.is_empty());
    }
}
