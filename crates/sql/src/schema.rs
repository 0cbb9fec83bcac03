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
