//! What an event acted on: the `resources[]` CloudTrail lists, and the names and identifiers in
//! its request (and the identifiers its response created), so that `resource:i-0abc` finds the
//! `TerminateInstances` that targeted the instance even though CloudTrail's log files give
//! most management events no `resources[]` at all.
//!
//! CloudTrail has no field for "the target", and each service names its parameters its own way,
//! so the request's targets are read by naming convention, which AWS's APIs follow closely:
//! top-level request parameters whose names end in `Arn`, `ARN`, `Id`, `Ids`, `Name`, `Names`
//! or `Identifier` (`roleArn`, `instanceId`, `bucketName`, `functionName`,
//! `dBInstanceIdentifier`), the object `key` of S3, a `queueUrl`, and the items of EC2's
//! `...Set.items[]` lists (`instancesSet.items[].instanceId`), in the request and the response.
//! A few names that fit the pattern but are not targets are left out (`roleSessionName`,
//! `externalId`, ...).

use serde_json::Value as Json;

/// Endings of parameter names that hold a target.
const TARGET_SUFFIXES: &[&str] = &["Arn", "ARN", "Id", "Ids", "Name", "Names", "Identifier"];

/// Parameter names that are targets without the usual ending.
const TARGET_NAMES: &[&str] = &["key", "queueUrl", "name", "trailName", "Bucket", "Key"];

/// Parameter names that end like a target but are not one: who is calling or how, not what.
const NOT_TARGETS: &[&str] = &[
    "roleSessionName",
    "externalId",
    "clientRequestId",
    "requestId",
    "clientToken",
    "regionName",
    "availabilityZoneId",
    "serialNumber",
    "tokenCode",
    "sourceIdentity",
    "userAgentName",
];

/// The resources of `record`: ARNs from `resources[]` first, then the request's and the
/// response's targets (see the module's notes), each once, in that order.
pub fn targets(record: &Json) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |value: &str| {
        if !value.is_empty() && !out.iter().any(|v| v == value) {
            out.push(value.to_string());
        }
    };
    if let Some(Json::Array(resources)) = record.get("resources") {
        for arn in resources
            .iter()
            .filter_map(|r| r.get("ARN").and_then(Json::as_str))
        {
            push(arn);
        }
    }
    for part in ["requestParameters", "responseElements"] {
        let Some(Json::Object(params)) = record.get(part) else {
            continue;
        };
        let from_request = part == "requestParameters";
        for (name, value) in params {
            if name.ends_with("Set") {
                // EC2's lists: `instancesSet: {items: [{instanceId: ...}, ...]}`.
                let items = value.get("items").and_then(Json::as_array);
                for item in items.into_iter().flatten() {
                    for (inner, v) in item.as_object().into_iter().flatten() {
                        if is_identifier(inner) {
                            strings(v, &mut push);
                        }
                    }
                }
            } else if from_request && is_target(name) {
                strings(value, &mut push);
            }
        }
    }
    out
}

/// A parameter name that holds a target.
fn is_target(name: &str) -> bool {
    !NOT_TARGETS.contains(&name)
        && (TARGET_NAMES.contains(&name) || TARGET_SUFFIXES.iter().any(|s| name.ends_with(s)))
}

/// An identifier inside an EC2 list item (`instanceId`, `volumeId`), not its other fields.
fn is_identifier(name: &str) -> bool {
    !NOT_TARGETS.contains(&name) && (name.ends_with("Id") || name.ends_with("Arn"))
}

/// A string, or the strings of an array of them.
fn strings(value: &Json, push: &mut impl FnMut(&str)) {
    match value {
        Json::String(s) => push(s),
        Json::Array(items) => items.iter().filter_map(Json::as_str).for_each(push),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(json: &str) -> Vec<String> {
        targets(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn targets_come_from_resources_the_request_and_created_ids() {
        assert_eq!(
            of(
                r#"{"eventName":"TerminateInstances","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0abc"},{"instanceId":"i-0def"}]},"force":true},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0abc","currentState":{"code":32}}]}}}"#
            ),
            ["i-0abc", "i-0def"]
        );
        assert_eq!(
            of(
                r#"{"resources":[{"ARN":"arn:aws:s3:::logs/a.txt","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::logs"}],"requestParameters":{"bucketName":"logs","key":"a.txt","Host":"logs.s3.amazonaws.com"}}"#
            ),
            [
                "arn:aws:s3:::logs/a.txt",
                "arn:aws:s3:::logs",
                "logs",
                "a.txt"
            ]
        );
        assert_eq!(
            of(
                r#"{"requestParameters":{"roleArn":"arn:aws:iam::1:role/r","roleSessionName":"me","externalId":"x","durationSeconds":900}}"#
            ),
            ["arn:aws:iam::1:role/r"]
        );
        assert_eq!(
            of(
                r#"{"requestParameters":{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess","groupIds":["sg-1","sg-2"]}}"#
            ),
            // In the order of the parameters' names.
            [
                "sg-1",
                "sg-2",
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "bob"
            ]
        );
        assert!(of(r#"{"requestParameters":null,"responseElements":"x"}"#).is_empty());
        assert!(of(r#"{"eventName":"ConsoleLogin"}"#).is_empty());
        // The response's own names are not targets (a CreateUser's response describes the
        // user the request named); only its created lists are.
        assert_eq!(
            of(
                r#"{"requestParameters":{"userName":"carol"},"responseElements":{"user":{"userName":"carol","arn":"arn:aws:iam::1:user/carol","userId":"AIDA"}}}"#
            ),
            ["carol"]
        );
    }
}
