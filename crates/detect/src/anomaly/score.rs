//! How much an anomaly matters, so the view can open with the few that do: a score that
//! multiplies how surprising it is, how privileged the principal is and how sensitive the APIs
//! are. The weights are judgement, written down in ANOMALIES.md; the ranking tests hold them to
//! the planted attacks of the generated trails.

use super::Anomaly;
use trailscope_store::Store;

/// Surprise of a count against its expectation: the order of magnitude of the ratio plus a
/// share of the tail probability's, so a thousand-fold rise outranks a three-fold one and an
/// improbable one a merely large one. Always at least 1.
pub(crate) fn surprise(observed: f64, expected: f64, probability: f64) -> f64 {
    let ratio = observed / expected.max(0.1);
    let tail = -probability.max(1e-300).log10();
    1.0 + ratio.max(1.0).log10() + tail.min(60.0) / 20.0
}

/// How much the principal can do, read from `userIdentity.type` and its ARN: the root user
/// most, administrators next (roles whose name says so), then IAM users, roles, and AWS
/// services least.
pub(crate) fn privilege(identity_type: &str, arn: &str) -> f64 {
    let lower = arn.to_ascii_lowercase();
    let admin_like = ["admin", "organizationaccountaccessrole", "poweruser"]
        .iter()
        .any(|w| lower.contains(w));
    match identity_type {
        "Root" => 3.0,
        _ if lower.ends_with(":root") => 3.0,
        _ if admin_like => 2.0,
        "IAMUser" => 1.5,
        "AssumedRole" | "Role" | "FederatedUser" | "IdentityCenterUser" | "SAMLUser" => 1.2,
        "AWSService" | "AWSAccount" => 0.5,
        _ if lower.contains(":user/") => 1.5,
        _ if lower.contains(":assumed-role/") => 1.2,
        _ => 1.0,
    }
}

/// How sensitive an API is: changes to identities, logging, keys and resource policies most;
/// reading secrets and data (in volume) next; other writes; reads and listings least.
pub(crate) fn api_sensitivity(source: &str, name: &str) -> f64 {
    let service = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    const CRITICAL: [&str; 34] = [
        "CreateAccessKey",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "AttachUserPolicy",
        "AttachRolePolicy",
        "AttachGroupPolicy",
        "PutUserPolicy",
        "PutRolePolicy",
        "PutGroupPolicy",
        "CreatePolicyVersion",
        "SetDefaultPolicyVersion",
        "UpdateAssumeRolePolicy",
        "AddUserToGroup",
        "CreateUser",
        "DeactivateMFADevice",
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
        "PutEventSelectors",
        "StopConfigurationRecorder",
        "DeleteDetector",
        "DisableKey",
        "ScheduleKeyDeletion",
        "PutKeyPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutBucketEncryption",
        "ModifySnapshotAttribute",
        "ModifyImageAttribute",
        "DeleteFlowLogs",
        "LeaveOrganization",
    ];
    if CRITICAL.contains(&name) {
        return 3.0;
    }
    match (service, name) {
        ("secretsmanager", "GetSecretValue") | ("ssm", "GetParameter" | "GetParameters") => 2.5,
        ("s3", "DeleteObject" | "DeleteObjects" | "PutBucketLifecycle") => 2.5,
        ("kms", "Decrypt" | "GenerateDataKey" | "ReEncrypt" | "CreateGrant") => 2.0,
        ("s3", "GetObject" | "CopyObject") => 2.0,
        ("sts", "AssumeRole" | "GetSessionToken" | "GetFederationToken") => 1.5,
        ("ec2", "RunInstances" | "CreateKeyPair" | "ImportKeyPair") => 1.5,
        ("signin", "ConsoleLogin") => 1.5,
        (_, n)
            if ["List", "Describe", "Get", "Head", "Lookup"]
                .iter()
                .any(|p| n.starts_with(p)) =>
        {
            0.7
        }
        _ => 1.2,
    }
}

/// The identity type an ARN implies, for callers known only by ARN.
fn type_of_arn(arn: &str) -> &'static str {
    if arn.ends_with(":root") {
        "Root"
    } else if arn.contains(":user/") {
        "IAMUser"
    } else if arn.contains(":assumed-role/") {
        "AssumedRole"
    } else {
        ""
    }
}

/// The score of a call-rate or error-rate anomaly: its surprise, the privilege of its main
/// caller and the API's sensitivity (failing calls count half: they did not happen).
pub(crate) fn rate_anomaly(_store: &Store, a: &Anomaly) -> f64 {
    let expected = a.baseline_average * f64::from(a.duration_minutes.max(1));
    let caller = a
        .insight
        .user_identity_arns
        .first()
        .map_or("", |t| t.value.as_str());
    let failing = if a.error_code.is_some() { 0.5 } else { 1.0 };
    surprise(a.insight_count as f64, expected, a.probability)
        * privilege(type_of_arn(caller), caller)
        * api_sensitivity(&a.event_source, &a.event_name)
        * failing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_order_what_matters() {
        assert!(
            privilege("Root", "arn:aws:iam::1:root")
                > privilege("IAMUser", "arn:aws:iam::1:user/a")
        );
        assert!(
            privilege("AssumedRole", "arn:aws:sts::1:assumed-role/AdminRole/x")
                > privilege("IAMUser", "arn:aws:iam::1:user/a")
        );
        assert!(privilege("AWSService", "") < 1.0);
        assert_eq!(api_sensitivity("iam.amazonaws.com", "CreateAccessKey"), 3.0);
        assert!(
            api_sensitivity("s3.amazonaws.com", "GetObject")
                > api_sensitivity("s3.amazonaws.com", "ListBuckets")
        );
        assert!(api_sensitivity("ec2.amazonaws.com", "DescribeInstances") < 1.0);
        assert!(surprise(1000.0, 5.0, 1e-200) > surprise(15.0, 5.0, 1e-3));
        assert!(surprise(1.0, 5.0, 1.0) >= 1.0);
    }
}
