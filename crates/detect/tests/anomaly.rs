//! Anomalies on generated per-minute series with known bursts and drops, and on flat noise.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use trailscope_detect::anomaly::{
    anomaly_series, detect_anomalies, AnomalyOptions, Direction, InsightType,
};
use trailscope_model::{ingest_bytes, Limits, Timestamp};
use trailscope_store::Store;

const START_MINUTE: i64 = 28_400_000; // 2023-12-30T06:40:00Z
const MINUTE: i64 = 60_000;

/// A small deterministic generator (xorshift) with Poisson draws (Knuth's method; means < 60).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, self.unit());
        while p > limit {
            k += 1;
            p *= self.unit();
        }
        k
    }
}

/// Builds records minute by minute.
struct Trail {
    records: Vec<String>,
}

impl Trail {
    fn new() -> Self {
        Trail {
            records: Vec::new(),
        }
    }

    /// `n` events in minute `m` (relative to the start), spread over its seconds.
    fn add(
        &mut self,
        m: i64,
        n: u32,
        name: &str,
        read_only: bool,
        error: Option<&str>,
        user: &str,
    ) {
        for i in 0..n {
            let millis = (START_MINUTE + m) * MINUTE + i64::from(i) * 59_000 / i64::from(n.max(1));
            let error = error
                .map(|e| format!(r#","errorCode":"{e}""#))
                .unwrap_or_default();
            self.records.push(format!(
                r#"{{"eventVersion":"1.09","eventID":"e{}","eventTime":"{}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","readOnly":{read_only},"managementEvent":true,"userAgent":"agent-{user}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/{user}"}}{error}}}"#,
                self.records.len(),
                Timestamp::from_unix_millis(millis).to_rfc3339(),
            ));
        }
    }

    /// One read-only event per minute, so every minute counts as covered by logs.
    fn filler(&mut self, minutes: i64) {
        for m in 0..minutes {
            self.add(m, 1, "DescribeInstances", true, None, "monitor");
        }
    }

    fn store(&self) -> Store {
        let text = format!(r#"{{"Records":[{}]}}"#, self.records.join(","));
        let mut store = Store::new();
        store.load("gen.json", |b| {
            ingest_bytes(text.as_bytes(), Limits::default(), b)
        });
        assert_eq!(store.len(), self.records.len());
        store
    }
}

fn minute_of(millis: i64) -> i64 {
    millis / MINUTE - START_MINUTE
}

#[test]
fn finds_a_burst_within_a_minute_with_its_callers() {
    let mut rng = Rng(7);
    let mut trail = Trail::new();
    let days = 3 * 1440;
    trail.filler(days);
    let (burst_from, burst_to) = (days - 300, days - 288); // 12 minutes
    for m in 0..days {
        trail.add(m, rng.poisson(4.0), "RunInstances", false, None, "alice");
        if (burst_from..burst_to).contains(&m) {
            trail.add(m, 36, "RunInstances", false, None, "mallory");
        }
    }
    let store = trail.store();
    let options = AnomalyOptions::default();
    let found = detect_anomalies(&store, &options);
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = &found[0];
    assert_eq!(
        (a.insight_type, a.direction),
        (InsightType::ApiCallRateInsight, Direction::Burst)
    );
    assert_eq!(
        (
            a.event_source.as_str(),
            a.event_name.as_str(),
            a.aws_region.as_str()
        ),
        ("ec2.amazonaws.com", "RunInstances", "us-east-1")
    );
    assert!(
        (minute_of(a.start_millis) - burst_from).abs() <= 1,
        "start {}",
        minute_of(a.start_millis)
    );
    assert!(
        (minute_of(a.end_millis) - burst_to).abs() <= 1,
        "end {}",
        minute_of(a.end_millis)
    );
    assert!(
        (a.baseline_average - 4.0).abs() < 0.3,
        "{}",
        a.baseline_average
    );
    assert!(a.insight_average > 30.0);
    // Less than 7 days of data before the window: the baseline is flagged short.
    assert!(a.baseline_short);
    assert!(
        a.baseline_duration_minutes >= 3 * 1440 - 320 && a.baseline_duration_minutes < 3 * 1440
    );
    assert_eq!(
        a.insight.user_identity_arns[0].value,
        "arn:aws:iam::123456789012:user/mallory"
    );
    assert_eq!(
        a.baseline.user_identity_arns[0].value,
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(a.insight.user_agents[0].value, "agent-mallory");
    assert!(a.computed_by_trailscope);

    let points = anomaly_series(&store, a, &options, 30);
    assert_eq!(points.len() as u32, a.duration_minutes + 60);
    assert_eq!(
        points.iter().filter(|p| p.in_window).count() as u32,
        a.duration_minutes
    );
    let inside = points.iter().find(|p| p.in_window).unwrap();
    assert!(inside.count >= 36 && inside.band_high.unwrap() < inside.count as f64);
    assert!(points.iter().all(|p| p.baseline.is_some()));
}

#[test]
fn finds_a_drop_within_a_minute() {
    let mut rng = Rng(11);
    let mut trail = Trail::new();
    let minutes = 1440;
    trail.filler(minutes);
    let (drop_from, drop_to) = (1000, 1015);
    for m in 0..minutes {
        let mean = if (drop_from..drop_to).contains(&m) {
            0.5
        } else {
            20.0
        };
        trail.add(m, rng.poisson(mean), "PutObjectAcl", false, None, "app");
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = &found[0];
    assert_eq!(a.direction, Direction::Drop);
    assert!(
        (minute_of(a.start_millis) - drop_from).abs() <= 1,
        "start {}",
        minute_of(a.start_millis)
    );
    assert!(
        (minute_of(a.end_millis) - drop_to).abs() <= 1,
        "end {}",
        minute_of(a.end_millis)
    );
    assert!(a.insight_average < 2.0 && a.baseline_average > 18.0);
}

#[test]
fn flat_poisson_noise_gives_nothing() {
    let mut rng = Rng(3);
    let mut trail = Trail::new();
    let minutes = 2 * 1440;
    trail.filler(minutes);
    for m in 0..minutes {
        trail.add(m, rng.poisson(0.3), "CreateUser", false, None, "a");
        trail.add(m, rng.poisson(3.0), "RunInstances", false, None, "b");
        trail.add(m, rng.poisson(25.0), "PutObjectAcl", false, None, "c");
        trail.add(
            m,
            rng.poisson(2.0),
            "AttachRolePolicy",
            false,
            Some("AccessDenied"),
            "d",
        );
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn error_rate_burst_names_the_error_code_and_full_week_baseline() {
    let mut rng = Rng(5);
    let mut trail = Trail::new();
    let minutes = 8 * 1440;
    trail.filler(minutes);
    let (from, to) = (minutes - 100, minutes - 95);
    for m in 0..minutes {
        trail.add(
            m,
            rng.poisson(0.2),
            "GetSecretValue",
            true,
            Some("AccessDenied"),
            "svc",
        );
        if (from..to).contains(&m) {
            trail.add(
                m,
                25,
                "GetSecretValue",
                true,
                Some("AccessDenied"),
                "intruder",
            );
        }
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = &found[0];
    assert_eq!(a.insight_type, InsightType::ApiErrorRateInsight);
    assert_eq!(a.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(a.insight.error_codes[0].value, "AccessDenied");
    assert!(
        (minute_of(a.start_millis) - from).abs() <= 1 && (minute_of(a.end_millis) - to).abs() <= 1
    );
    assert!(!a.baseline_short);
    assert_eq!(a.baseline_duration_minutes, 7 * 1440);
}

#[test]
fn repeated_bursts_of_one_api_are_one_anomaly_with_its_windows() {
    let mut rng = Rng(11);
    let mut trail = Trail::new();
    let days = 4 * 1440;
    trail.filler(days);
    let bursts: Vec<i64> = (0..5).map(|i| 2 * 1440 + i * 300).collect();
    for m in 0..days {
        trail.add(m, rng.poisson(4.0), "RunInstances", false, None, "alice");
        if bursts.iter().any(|&b| (b..b + 8).contains(&m)) {
            trail.add(m, 40, "RunInstances", false, None, "mallory");
        }
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = &found[0];
    assert_eq!(a.occurrences.len(), 5);
    for (o, &b) in a.occurrences.iter().zip(&bursts) {
        assert!(
            (minute_of(o.start_millis) - b).abs() <= 1,
            "{}",
            minute_of(o.start_millis)
        );
        assert!(o.count >= 8 * 40);
    }
    assert_eq!(
        a.insight_count,
        a.occurrences.iter().map(|o| o.count).sum::<u64>()
    );
    assert_eq!(
        minute_of(a.start_millis),
        minute_of(a.occurrences[0].start_millis)
    );
    assert!(a.score > 0.0);
}

#[test]
fn a_periodic_series_is_judged_by_the_size_of_its_runs() {
    // 30 calls every fifth minute, day and night: each run is 5x the per-minute mean, but it
    // is the series' normal run. Only a run far larger than usual is a burst.
    let mut trail = Trail::new();
    let days = 3 * 1440;
    trail.filler(days);
    let big = 2 * 1440 + 500;
    for m in (0..days).step_by(5) {
        let n = if m == big { 300 } else { 30 };
        trail.add(m, n, "PutObject", false, Some("AccessDenied"), "shipper");
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    let errors: Vec<_> = found
        .iter()
        .filter(|a| a.insight_type == InsightType::ApiErrorRateInsight)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].occurrences.len(), 1);
    assert_eq!(minute_of(errors[0].start_millis), big);
    // And no drops between runs.
    assert!(found.iter().all(|a| a.direction == Direction::Burst));
}

#[test]
fn a_daily_batch_is_usual_at_its_hour_after_the_first_day() {
    // One call a minute around the clock, and a batch of 30 a minute from 02:00 to 02:30 every
    // day for four days: the first night has no same-hour history (and too little history at
    // all); later nights match their hour and raise nothing.
    let mut trail = Trail::new();
    let days = 4 * 1440;
    let mut rng = Rng(5);
    for m in 0..days {
        let of_day = (START_MINUTE + m).rem_euclid(1440);
        let batch = (120..150).contains(&of_day);
        trail.add(
            m,
            if batch { 30 } else { rng.poisson(1.0).max(1) },
            "PutObject",
            false,
            None,
            "batch",
        );
    }
    let found = detect_anomalies(&trail.store(), &AnomalyOptions::default());
    assert!(
        found.iter().all(|a| a
            .occurrences
            .iter()
            .all(|o| o.start_millis / MINUTE - START_MINUTE < 1440)),
        "{found:#?}"
    );
}
