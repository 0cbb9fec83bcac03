//! The events table's schema: CloudTrail Lake's event schema, so a Lake query pastes verbatim.
//!
//! As in Lake, `requestParameters`, `responseElements`, `additionalEventData` and
//! `serviceEventDetails` are `map<string, string>`: a top-level string stays a string, any other
//! value is its compact JSON text (`element_at(requestParameters, 'bucketName')`, and
//! `json_extract_scalar` reads nested values). `eventTime` is a UTC timestamp (milliseconds).
//! Fields CloudTrail adds that Lake's schema does not list stay readable in `eventJson`, the
//! whole record as CloudTrail wrote it.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// The name every `FROM` resolves to.
pub const TABLE: &str = "events";

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn structure(name: &str, fields: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(fields)), true)
}

/// `map<string, string>`, with Arrow's conventional entry names.
pub fn string_map() -> DataType {
    DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("key", DataType::Utf8, false),
                text("value"),
            ])),
            false,
        )),
        false,
    )
}

fn map(name: &str) -> Field {
    Field::new(name, string_map(), true)
}

fn session_issuer() -> Field {
    structure(
        "sessionIssuer",
        vec![
            text("type"),
            text("principalId"),
            text("arn"),
            text("accountId"),
            text("userName"),
        ],
    )
}

fn user_identity() -> Field {
    structure(
        "userIdentity",
        vec![
            text("type"),
            text("principalId"),
            text("arn"),
            text("accountId"),
            text("accessKeyId"),
            text("userName"),
            structure(
                "sessionContext",
                vec![
                    structure(
                        "attributes",
                        vec![text("creationDate"), text("mfaAuthenticated")],
                    ),
                    session_issuer(),
                    structure(
                        "webIdFederationData",
                        vec![text("federatedProvider"), map("attributes")],
                    ),
                    text("sourceIdentity"),
                    text("ec2RoleDelivery"),
                    text("ec2IssuedInVPC"),
                ],
            ),
            text("invokedBy"),
            text("identityProvider"),
            text("credentialId"),
            structure("onBehalfOf", vec![text("userId"), text("identityStoreArn")]),
        ],
    )
}

fn resources() -> Field {
    Field::new(
        "resources",
        DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(Fields::from(vec![
                text("accountId"),
                text("type"),
                text("ARN"),
            ])),
            true,
        ))),
        true,
    )
}

fn insight_details() -> Field {
    structure(
        "insightDetails",
        vec![
            text("state"),
            text("eventSource"),
            text("eventName"),
            text("insightType"),
            text("errorCode"),
            // Statistics and attributions, as JSON text (`json_extract_scalar` reads them).
            text("insightContext"),
        ],
    )
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        text("eventVersion"),
        user_identity(),
        Field::new(
            "eventTime",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        text("eventSource"),
        text("eventName"),
        text("awsRegion"),
        text("sourceIPAddress"),
        text("userAgent"),
        text("errorCode"),
        text("errorMessage"),
        map("requestParameters"),
        map("responseElements"),
        map("additionalEventData"),
        text("requestID"),
        text("eventID"),
        Field::new("readOnly", DataType::Boolean, true),
        resources(),
        text("eventType"),
        text("apiVersion"),
        Field::new("managementEvent", DataType::Boolean, true),
        text("recipientAccountId"),
        text("sharedEventID"),
        text("annotation"),
        text("vpcEndpointId"),
        text("vpcEndpointAccountId"),
        map("serviceEventDetails"),
        structure(
            "addendum",
            vec![
                text("reason"),
                text("updatedFields"),
                text("originalRequestID"),
                text("originalEventID"),
            ],
        ),
        text("sessionCredentialFromConsole"),
        text("edgeDeviceDetails"),
        structure(
            "tlsDetails",
            vec![
                text("tlsVersion"),
                text("cipherSuite"),
                text("clientProvidedHostHeader"),
            ],
        ),
        insight_details(),
        text("eventCategory"),
        text("eventJson"),
    ]))
});

/// The events table's schema.
pub fn lake_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Every column of [`lake_schema`] as the path a query writes (`userIdentity.sessionContext.
/// sessionIssuer.arn`) and a short type (`string`, `timestamp`, `map<string,string>`,
/// `array<struct>`, `boolean`, ...): what the page lists beside the editor.
pub fn column_paths() -> Vec<(String, String)> {
    fn walk(prefix: &str, field: &Field, out: &mut Vec<(String, String)>) {
        let path = if prefix.is_empty() {
            field.name().clone()
        } else {
            format!("{prefix}.{}", field.name())
        };
        match field.data_type() {
            DataType::Struct(children) => {
                for child in children {
                    walk(&path, child, out);
                }
            }
            other => out.push((path, short_type(other))),
        }
    }
    let mut out = Vec::new();
    for field in lake_schema().fields() {
        walk("", field, &mut out);
    }
    out
}

fn short_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int32 | DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Timestamp(..) => "timestamp".into(),
        DataType::Map(..) => "map<string,string>".into(),
        DataType::List(item) | DataType::LargeList(item) => match item.data_type() {
            DataType::Struct(_) => "array<struct>".into(),
            other => format!("array<{}>", short_type(other)),
        },
        other => other.to_string().to_lowercase(),
    }
}

/// Sample queries for the usual questions, as a Lake user writes them (each runs in the
/// tests): a title and the query.
pub const SAMPLE_QUERIES: &[(&str, &str)] = &[
    (
        "Most frequent API calls",
        "SELECT eventName, count(*) AS calls\nFROM $EDS_ID\nGROUP BY 1\nORDER BY 2 DESC\nLIMIT 25",
    ),
    (
        "Errors by API and code",
        "SELECT eventSource, eventName, errorCode, count(*) AS failures\nFROM $EDS_ID\nWHERE errorCode IS NOT NULL\nGROUP BY 1, 2, 3\nORDER BY failures DESC",
    ),
    (
        "Console sign-ins",
        "SELECT eventTime, userIdentity.arn, sourceIPAddress,\n       element_at(responseElements, 'ConsoleLogin') AS result\nFROM $EDS_ID\nWHERE eventName = 'ConsoleLogin'\nORDER BY eventTime",
    ),
    (
        "Who used the root user",
        "SELECT eventTime, eventName, sourceIPAddress, userAgent, eventID\nFROM $EDS_ID\nWHERE userIdentity.type = 'Root'\nORDER BY eventTime",
    ),
    (
        "Calls per hour",
        "SELECT date_trunc('hour', eventTime) AS hour, count(*) AS calls\nFROM $EDS_ID\nGROUP BY 1\nORDER BY 1",
    ),
    (
        "S3 objects read, by bucket",
        "SELECT element_at(requestParameters, 'bucketName') AS bucket, count(*) AS reads,\n       approx_distinct(element_at(requestParameters, 'key')) AS objects\nFROM $EDS_ID\nWHERE eventName = 'GetObject'\nGROUP BY 1\nORDER BY reads DESC",
    ),
    (
        "IAM changes",
        "SELECT eventTime, eventName, userIdentity.arn AS who,\n       json_extract_scalar(eventJson, '$.requestParameters.userName') AS user_name, eventID\nFROM $EDS_ID\nWHERE eventSource = 'iam.amazonaws.com' AND readOnly = false\nORDER BY eventTime",
    ),
    (
        "Access denied by principal",
        "SELECT userIdentity.arn AS principal, count(*) AS denied\nFROM $EDS_ID\nWHERE errorCode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')\nGROUP BY 1\nORDER BY denied DESC",
    ),
];
