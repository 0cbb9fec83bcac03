//! Behaviour anomalies and the ranking on a generated week with planted attacks: the planted
//! exfiltration, privilege escalation and root bucket-policy change come first, and the busy,
//! periodic and bursty-by-design traffic around them raises no card of its own above them (the
//! periodic failing process none at all).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use trailscope_detect::anomaly::behaviour::{
    detect_behaviour, BehaviourKind, BehaviourOptions, Dimension, EntityKind,
};
use trailscope_detect::anomaly::{detect_anomalies, AnomalyOptions};
use trailscope_model::{ingest_bytes, Limits};
use trailscope_store::Store;
use trailscope_testgen::attack_scenario;

fn store_of(records: &[String]) -> Store {
    let text = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let mut store = Store::new();
    store.load("scenario.json", |b| {
        ingest_bytes(text.as_bytes(), Limits::default(), b)
    });
    assert_eq!(store.len(), records.len());
    store
}

#[test]
fn the_planted_attacks_rank_first_and_the_noise_stays_below() {
    let scenario = attack_scenario(1);
    let store = store_of(&scenario.records);
    let found = detect_behaviour(&store, &BehaviourOptions::default());
    for (i, a) in found.iter().enumerate().take(8) {
        eprintln!("{i}: {:.1} {:?} {}", a.score, a.kind, a.summary);
    }
    let planted: Vec<&str> = scenario
        .planted
        .iter()
        .map(|p| p.principal.as_str())
        .collect();
    let about = |a: &trailscope_detect::anomaly::behaviour::BehaviourAnomaly, who: &str| {
        a.entity.value == who || a.also.iter().any(|e| e.value == who)
    };
    // Exactly one card per planted attack, and they are the top three.
    let top: Vec<&str> = found
        .iter()
        .take(planted.len())
        .map(|a| {
            *planted
                .iter()
                .find(|p| about(a, p))
                .unwrap_or_else(|| panic!("an unplanted card ranks in the top: {}", a.summary))
        })
        .collect();
    let mut sorted = top.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        planted.len(),
        "each attack once in the top: {top:?}"
    );

    // The exfiltration: one card, carol's GetObject and Decrypt volume with her key and the
    // new address, and the first use of KMS folded in.
    let exfil = found
        .iter()
        .find(|a| about(a, &scenario.planted[0].principal))
        .unwrap();
    assert_eq!(exfil.kind, BehaviourKind::Volume);
    let mut apis: Vec<(&str, u64)> = exfil
        .volumes
        .iter()
        .map(|v| (v.event_name.as_str(), v.count))
        .collect();
    apis.sort_unstable();
    assert_eq!(apis, [("Decrypt", 300), ("GetObject", 1200)]);
    assert!(exfil.also.iter().any(|e| e.kind == EntityKind::AccessKey));
    assert_eq!(exfil.top_source_ips[0].value, "198.51.100.66");
    assert!(exfil
        .novelties
        .iter()
        .any(|n| n.dimension == Dimension::Api && n.value == "kms:Decrypt"));
    assert!((exfil.start_millis..exfil.end_millis).contains(&scenario.planted[0].start_millis));

    // The escalation: dave's first uses of four sensitive IAM calls, in one card.
    let esc = found
        .iter()
        .find(|a| about(a, &scenario.planted[1].principal))
        .unwrap();
    assert_eq!(esc.kind, BehaviourKind::FirstUse);
    let new_apis: Vec<&str> = esc
        .novelties
        .iter()
        .filter(|n| n.dimension == Dimension::Api)
        .map(|n| n.value.as_str())
        .collect();
    for api in [
        "iam:CreatePolicyVersion",
        "iam:AttachUserPolicy",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
    ] {
        assert!(new_apis.contains(&api), "{api} in {new_apis:?}");
    }

    // The root user's bucket policy, with the bucket named.
    let root = found
        .iter()
        .find(|a| about(a, &scenario.planted[2].principal))
        .unwrap();
    assert!(root
        .novelties
        .iter()
        .any(|n| n.dimension == Dimension::Resource
            && n.value == "s3:PutBucketPolicy on finance-data"));

    // The nightly backup (3,000 reads at 02:00 every night) is bursty by design: after its
    // first night (too little history to judge) it raises nothing.
    assert!(
        !found
            .iter()
            .any(|a| about(a, &scenario.backup_principal) && a.kind == BehaviourKind::Volume),
        "backup flagged"
    );
    // The periodic failing process raises no behaviour card at all.
    assert!(!found.iter().any(|a| about(a, &scenario.periodic_principal)));
}

#[test]
fn the_periodic_failing_process_is_not_an_error_rate_anomaly_per_period() {
    let scenario = attack_scenario(1);
    let store = store_of(&scenario.records);
    let anomalies = detect_anomalies(&store, &AnomalyOptions::default());
    for a in &anomalies {
        eprintln!(
            "{:?} {} {} {:?} windows {} score {:.1}",
            a.insight_type,
            a.event_name,
            a.insight_count,
            a.error_code,
            a.occurrences.len(),
            a.score
        );
    }
    let shipper: Vec<_> = anomalies
        .iter()
        .filter(|a| a.error_code.as_deref() == Some("AccessDenied") && a.event_name == "PutObject")
        .collect();
    assert!(
        shipper.len() <= 1,
        "one card at most, not one per period: {}",
        shipper.len()
    );
}

/// The page runs the model in small steps between queries; the steps' sizes must not change
/// what it finds. Tiny steps make every stepped pass (principals, evidence rows, filling the
/// anomalies) take many steps over the planted week.
#[test]
fn small_steps_find_what_one_pass_finds() {
    use trailscope_detect::anomaly::behaviour::{BehaviourRun, RunStep};
    let scenario = attack_scenario(1);
    let store = store_of(&scenario.records);
    let whole = detect_behaviour(&store, &BehaviourOptions::default());
    assert!(whole.len() >= 3, "the planted attacks are found");
    let mut run = BehaviourRun::with_step_sizes(BehaviourOptions::default(), 97, 2);
    let mut steps = 0usize;
    let mut first_use_steps = 0usize;
    let stepped = loop {
        if run.next_step() == RunStep::FirstUses {
            first_use_steps += 1;
        }
        steps += 1;
        if let Some(found) = run.step(&store) {
            break found;
        }
        assert_ne!(
            run.next_step(),
            RunStep::Done,
            "the run ended without a result"
        );
        assert!(steps < 1_000_000, "the run does not end");
    };
    assert_eq!(run.next_step(), RunStep::Done);
    assert!(
        run.step(&store).is_none(),
        "a finished run returns nothing more"
    );
    assert!(
        first_use_steps > 1 && steps > store.len() / 97,
        "the passes took many steps ({first_use_steps} for first uses, {steps} in all)"
    );
    let (stepped, whole) = (
        serde_json::to_string(&stepped).unwrap(),
        serde_json::to_string(&whole).unwrap(),
    );
    let differ = stepped
        .bytes()
        .zip(whole.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(stepped.len().min(whole.len()));
    assert!(
        stepped == whole,
        "the stepped run differs from byte {differ}: {:?} against {:?}",
        stepped.get(differ.saturating_sub(80)..(differ + 80).min(stepped.len())),
        whole.get(differ.saturating_sub(80)..(differ + 80).min(whole.len()))
    );
}
