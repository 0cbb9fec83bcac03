//! The string fields the store keeps as columns, named after CloudTrail's own JSON paths.

/// A dictionary-encoded string column of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `eventName` (for Insights events, the API of the insight).
    EventName,
    /// `eventSource`.
    EventSource,
    /// `awsRegion`.
    AwsRegion,
    /// `sourceIPAddress`.
    SourceIp,
    /// The caller as people read it.
    User,
    /// `userIdentity.type`.
    IdentityType,
    /// `userIdentity.arn`.
    PrincipalArn,
    /// `userIdentity.accessKeyId`.
    AccessKeyId,
    /// `userIdentity.sessionContext.sessionIssuer.arn`.
    SessionIssuer,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    Account,
    /// `errorCode`.
    ErrorCode,
    /// `errorMessage`.
    ErrorMessage,
    /// `userAgent`.
    UserAgent,
    /// `eventType`.
    EventType,
    /// `eventCategory`.
    EventCategory,
}

/// Number of [`Field`]s.
pub const FIELD_COUNT: usize = 15;

impl Field {
    /// Every field, in column order.
    pub const ALL: [Field; FIELD_COUNT] = [
        Field::EventName,
        Field::EventSource,
        Field::AwsRegion,
        Field::SourceIp,
        Field::User,
        Field::IdentityType,
        Field::PrincipalArn,
        Field::AccessKeyId,
        Field::SessionIssuer,
        Field::Account,
        Field::ErrorCode,
        Field::ErrorMessage,
        Field::UserAgent,
        Field::EventType,
        Field::EventCategory,
    ];

    /// The column index.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// CloudTrail's JSON path for the field (what the filter language and exports call it).
    pub const fn path(self) -> &'static str {
        match self {
            Field::EventName => "eventName",
            Field::EventSource => "eventSource",
            Field::AwsRegion => "awsRegion",
            Field::SourceIp => "sourceIPAddress",
            Field::User => "user",
            Field::IdentityType => "userIdentity.type",
            Field::PrincipalArn => "userIdentity.arn",
            Field::AccessKeyId => "userIdentity.accessKeyId",
            Field::SessionIssuer => "userIdentity.sessionContext.sessionIssuer.arn",
            Field::Account => "recipientAccountId",
            Field::ErrorCode => "errorCode",
            Field::ErrorMessage => "errorMessage",
            Field::UserAgent => "userAgent",
            Field::EventType => "eventType",
            Field::EventCategory => "eventCategory",
        }
    }
}
