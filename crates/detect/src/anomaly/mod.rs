//! Trailscope's own Insights-like anomalies: unusual per-minute API call rates and error rates.
//!
//! These are computed by Trailscope from the loaded events (not by CloudTrail Insights); they
//! have the shape of CloudTrail Insights events so both can be shown alike. The statistical model
//! is described in ANOMALIES.md: each minute's count is compared with the mean rate of the
//! preceding seven days (Poisson), unusual minutes are merged into windows and a window is kept
//! when its total is improbable under the baseline.

pub mod behaviour;
mod poisson;
pub(crate) mod score;
mod series;

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Store};

use poisson::{lower_tail, upper_tail};
use series::{collect, covered_between, keys_of, Series, SeriesKey, MINUTE};

/// What an anomaly measures (CloudTrail Insights' names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum InsightType {
    /// Write management API calls per minute.
    ApiCallRateInsight,
    /// Calls failing with one error code per minute.
    ApiErrorRateInsight,
}

impl InsightType {
    /// CloudTrail Insights' name for it.
    pub fn name(self) -> &'static str {
        match self {
            InsightType::ApiCallRateInsight => "ApiCallRateInsight",
            InsightType::ApiErrorRateInsight => "ApiErrorRateInsight",
        }
    }
}

/// Whether the rate rose or fell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// More than usual.
    Burst,
    /// Fewer than usual.
    Drop,
}

impl Direction {
    /// Its name as serialized (`burst`, `drop`).
    pub fn name(self) -> &'static str {
        match self {
            Direction::Burst => "burst",
            Direction::Drop => "drop",
        }
    }
}

/// Tunables of the model (the defaults are documented in ANOMALIES.md).
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyOptions {
    /// Baseline length before each minute (minutes); CloudTrail Insights uses 7 days.
    pub baseline_minutes: i64,
    /// Minutes of baseline data needed before a minute is judged at all.
    pub min_baseline_minutes: u64,
    /// A minute is unusual when its count is at least `ratio` times the baseline mean (bursts)
    /// or at most the mean divided by `ratio` (drops).
    pub ratio: f64,
    /// Bursts: events needed in an unusual minute.
    pub min_minute_count: u64,
    /// Bursts: events needed in a window.
    pub min_window_count: u64,
    /// Drops: baseline mean (per minute) needed for a drop to be judged.
    pub min_drop_rate: f64,
    /// A window is kept when its total has at most this Poisson tail probability.
    pub alpha: f64,
    /// Unusual minutes at most this far apart join one window (2: one usual minute between).
    pub merge_gap_minutes: i64,
    /// Minutes in which the series itself had events, needed before its per-active-minute rate
    /// is trusted as the reference (see ANOMALIES.md, "Periodic and bursty series").
    pub min_active_minutes: u64,
    /// Drops are judged only for series active in at least this share of the covered baseline
    /// minutes: a periodic series is quiet between its runs by design.
    pub min_drop_activity: f64,
}

impl Default for AnomalyOptions {
    fn default() -> Self {
        AnomalyOptions {
            baseline_minutes: 7 * 24 * 60,
            min_baseline_minutes: 360,
            ratio: 3.0,
            min_minute_count: 3,
            min_window_count: 10,
            min_drop_rate: 5.0,
            alpha: 1e-6,
            merge_gap_minutes: 2,
            min_active_minutes: 10,
            min_drop_activity: 0.8,
        }
    }
}

/// A value and how often it occurred.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopValue {
    /// The value.
    pub value: String,
    /// Events with it.
    pub count: u64,
}

/// The most frequent callers, agents and error codes of a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributions {
    /// Top five `userIdentity.arn`.
    pub user_identity_arns: Vec<TopValue>,
    /// Top five `userAgent`.
    pub user_agents: Vec<TopValue>,
    /// Top five `errorCode`.
    pub error_codes: Vec<TopValue>,
}

/// One window of an anomaly: the same API and cause can be unusual several times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Occurrence {
    /// First minute (unix millis).
    pub start_millis: i64,
    /// End (exclusive, unix millis).
    pub end_millis: i64,
    /// Events in the window.
    pub count: u64,
    /// Mean events per minute the window was judged against.
    pub expected_per_minute: f64,
    /// Poisson tail probability of the window's total.
    pub probability: f64,
}

/// One anomaly, in the shape of a CloudTrail Insights event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    /// Always true: Trailscope computed this, CloudTrail did not.
    pub computed_by_trailscope: bool,
    /// What was measured.
    pub insight_type: InsightType,
    /// Up or down.
    pub direction: Direction,
    /// `eventSource` of the API.
    pub event_source: String,
    /// `eventName` of the API.
    pub event_name: String,
    /// `awsRegion`.
    pub aws_region: String,
    /// For error rates: the error code.
    pub error_code: Option<String>,
    /// First minute of the window (unix millis).
    pub start_millis: i64,
    /// End of the window (exclusive, unix millis).
    pub end_millis: i64,
    /// Window length.
    pub duration_minutes: u32,
    /// Baseline mean events per minute.
    pub baseline_average: f64,
    /// Mean events per minute in the window.
    pub insight_average: f64,
    /// Events in the window.
    pub insight_count: u64,
    /// Minutes of data the baseline had (before the window, up to 7 days).
    pub baseline_duration_minutes: u64,
    /// The baseline covers less than the configured 7 days.
    pub baseline_short: bool,
    /// Poisson tail probability of the window's total under the baseline.
    pub probability: f64,
    /// Top values in the window.
    pub insight: Attributions,
    /// Top values in the baseline.
    pub baseline: Attributions,
    /// Every unusual window of this API and cause, oldest first (start and end above span
    /// them all; counts and probability are the total and the smallest).
    pub occurrences: Vec<Occurrence>,
    /// Rank among all anomalies (higher first): surprise × privilege × sensitivity.
    pub score: f64,
}

/// One minute of a chart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// The minute (unix millis).
    pub minute_millis: i64,
    /// Events in it.
    pub count: u64,
    /// Baseline mean per minute (`None`: too little baseline data, or a gap in the logs).
    pub baseline: Option<f64>,
    /// Lower edge of the usual band (mean / ratio).
    pub band_low: Option<f64>,
    /// Upper edge of the usual band (mean × ratio, at least the minimum burst count).
    pub band_high: Option<f64>,
    /// Inside the anomaly's window.
    pub in_window: bool,
}

/// Minutes in a day.
const DAY_MINUTES: i64 = 24 * 60;

struct Baseline<'a> {
    series: &'a Series,
    /// The series' distinct minutes (sorted).
    active: Vec<i64>,
    covered: &'a [i64],
    options: &'a AnomalyOptions,
}

/// What a minute is compared with.
#[derive(Clone, Copy, Debug)]
struct Reference {
    /// Events per covered minute of the baseline.
    mean: f64,
    /// Events per minute in which the series had events, once enough such minutes exist: for a
    /// periodic series (a delivery every five minutes) this is the size of one run, so a run is
    /// not a burst.
    active_mean: Option<f64>,
    /// Events per covered minute at the same time of day on the preceding days (an hour
    /// around it), once that covers at least an hour: a daily batch at 02:00 is usual at 02:00.
    time_of_day_mean: Option<f64>,
    /// Share of covered baseline minutes in which the series had events.
    activity: f64,
    /// Covered baseline minutes.
    span: u64,
}

impl Reference {
    /// The rate a busy minute is judged against.
    fn burst_rate(&self) -> f64 {
        [self.active_mean, self.time_of_day_mean]
            .into_iter()
            .flatten()
            .fold(self.mean, f64::max)
    }
}

impl<'a> Baseline<'a> {
    fn new(series: &'a Series, covered: &'a [i64], options: &'a AnomalyOptions) -> Self {
        let mut active = series.minutes.clone();
        active.dedup();
        Baseline {
            series,
            active,
            covered,
            options,
        }
    }

    /// Baseline mean at `minute` and the covered minutes it rests on, if enough.
    fn mean(&self, minute: i64) -> Option<(f64, u64)> {
        self.reference(minute).map(|r| (r.mean, r.span))
    }

    fn reference(&self, minute: i64) -> Option<Reference> {
        let from = minute - self.options.baseline_minutes;
        let span = covered_between(self.covered, from, minute);
        if span < self.options.min_baseline_minutes.max(1) {
            return None;
        }
        let events = self.series.count(from, minute) as f64;
        let active = covered_between(&self.active, from, minute);
        // The same half hour either side of this minute on each preceding day of the baseline.
        let (mut day_events, mut day_span) = (0u64, 0u64);
        let mut day = DAY_MINUTES;
        while day <= self.options.baseline_minutes {
            let (a, b) = (minute - day - 30, minute - day + 30);
            day_events += self.series.count(a, b);
            day_span += covered_between(self.covered, a, b);
            day += DAY_MINUTES;
        }
        Some(Reference {
            mean: events / span as f64,
            active_mean: (active >= self.options.min_active_minutes.max(1))
                .then(|| events / active as f64),
            time_of_day_mean: (day_span >= 60).then(|| day_events as f64 / day_span as f64),
            activity: active as f64 / span as f64,
            span,
        })
    }

    fn is_covered(&self, minute: i64) -> bool {
        self.covered.binary_search(&minute).is_ok()
    }
}

/// Finds call-rate and error-rate anomalies in `store`, oldest first.
pub fn detect_anomalies(store: &Store, options: &AnomalyOptions) -> Vec<Anomaly> {
    let (all, covered) = collect(store);
    let mut keys: Vec<&SeriesKey> = all.keys().collect();
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let Some(series) = all.get(key) else { continue };
        let base = Baseline::new(series, &covered, options);
        for (direction, minutes) in unusual_minutes(&base) {
            let windows: Vec<Anomaly> = merge(&minutes, options.merge_gap_minutes)
                .into_iter()
                .filter_map(|window| judge(store, key, &base, direction, window))
                .collect();
            out.extend(merge_repeats(windows));
        }
    }
    for a in &mut out {
        a.score = score::rate_anomaly(store, a);
    }
    out.sort_by(|a, b| (a.start_millis, &a.event_name).cmp(&(b.start_millis, &b.event_name)));
    out
}

/// Repeated windows of one API and cause as one anomaly: the first window's description, every
/// window an occurrence, totals over all of them.
fn merge_repeats(mut windows: Vec<Anomaly>) -> Option<Anomaly> {
    if windows.is_empty() {
        return None;
    }
    let mut merged = windows.remove(0);
    for w in windows {
        merged.end_millis = w.end_millis;
        merged.duration_minutes = merged.duration_minutes.saturating_add(w.duration_minutes);
        merged.insight_count += w.insight_count;
        merged.probability = merged.probability.min(w.probability);
        merged.occurrences.extend(w.occurrences);
    }
    let minutes: f64 = f64::from(merged.duration_minutes.max(1));
    merged.insight_average = merged.insight_count as f64 / minutes;
    Some(merged)
}

/// The series' unusual minutes, per direction.
fn unusual_minutes(base: &Baseline<'_>) -> Vec<(Direction, Vec<i64>)> {
    let o = base.options;
    let s = base.series;
    let mut high = Vec::new();
    let mut distinct: Vec<i64> = s.minutes.clone();
    distinct.dedup();
    for &m in &distinct {
        let c = s.count(m, m + 1);
        if c < o.min_minute_count {
            continue;
        }
        if let Some(r) = base.reference(m) {
            if c as f64 >= o.ratio * r.burst_rate() {
                high.push(m);
            }
        }
    }
    let mut low = Vec::new();
    // Drops need a busy series; walk the covered minutes from its first event until a baseline
    // after its last event could no longer be busy.
    if s.minutes.len() as f64 >= o.min_drop_rate * o.min_baseline_minutes as f64 {
        let (first, last) = (
            s.minutes.first().copied().unwrap_or(0),
            s.minutes.last().copied().unwrap_or(0),
        );
        let from = base.covered.partition_point(|&m| m < first);
        let to = base
            .covered
            .partition_point(|&m| m <= last + o.baseline_minutes);
        for &m in base.covered.get(from..to).unwrap_or_default() {
            if let Some(r) = base.reference(m) {
                if r.mean >= o.min_drop_rate
                    && r.activity >= o.min_drop_activity
                    && (s.count(m, m + 1) as f64) <= r.mean / o.ratio
                {
                    low.push(m);
                }
            }
        }
    }
    vec![(Direction::Burst, high), (Direction::Drop, low)]
}

/// Runs of minutes at most `gap` apart, as `(first, last)`.
fn merge(minutes: &[i64], gap: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &m in minutes {
        match out.last_mut() {
            Some((_, last)) if m - *last <= gap.max(1) => *last = m,
            _ => out.push((m, m)),
        }
    }
    out
}

fn judge(
    store: &Store,
    key: &SeriesKey,
    base: &Baseline<'_>,
    direction: Direction,
    (first, last): (i64, i64),
) -> Option<Anomaly> {
    let o = base.options;
    let (mut total, mut expected, mut minutes) = (0u64, 0.0f64, 0u32);
    for m in first..=last {
        if !base.is_covered(m) {
            continue;
        }
        let r = base.reference(m)?;
        total += base.series.count(m, m + 1);
        expected += match direction {
            Direction::Burst => r.burst_rate(),
            Direction::Drop => r.mean,
        };
        minutes += 1;
    }
    let probability = match direction {
        Direction::Burst if total >= o.min_window_count => upper_tail(total, expected),
        Direction::Drop => lower_tail(total, expected),
        Direction::Burst => return None,
    };
    if probability > o.alpha || minutes == 0 {
        return None;
    }
    let (baseline_average, baseline_span) = base.mean(first)?;
    let text = |f: Field, code: u32| store.column(f).value(code).unwrap_or("").to_string();
    let window_rows = base.series.rows_in(first, last + 1);
    let baseline_rows = base.series.rows_in(first - o.baseline_minutes, first);
    Some(Anomaly {
        computed_by_trailscope: true,
        insight_type: key.kind,
        direction,
        event_source: text(Field::EventSource, key.source),
        event_name: text(Field::EventName, key.name),
        aws_region: text(Field::AwsRegion, key.region),
        error_code: (key.error != 0).then(|| text(Field::ErrorCode, key.error)),
        start_millis: first * MINUTE,
        end_millis: (last + 1) * MINUTE,
        duration_minutes: u32::try_from(last + 1 - first).unwrap_or(u32::MAX),
        baseline_average,
        insight_average: total as f64 / f64::from(minutes),
        insight_count: total,
        baseline_duration_minutes: baseline_span,
        baseline_short: (baseline_span as i64) < o.baseline_minutes,
        probability,
        insight: attributions(store, window_rows),
        baseline: attributions(store, baseline_rows),
        occurrences: vec![Occurrence {
            start_millis: first * MINUTE,
            end_millis: (last + 1) * MINUTE,
            count: total,
            expected_per_minute: expected / f64::from(minutes),
            probability,
        }],
        score: 0.0,
    })
}

/// Top five values of the caller ARN, user agent and error code among `rows`.
fn attributions(store: &Store, rows: &[u32]) -> Attributions {
    let top = |field: Field| {
        let codes = store.column(field).codes();
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for &r in rows {
            let code = codes.get(r as usize).copied().unwrap_or(0);
            if code != 0 {
                *counts.entry(code).or_default() += 1;
            }
        }
        let mut list: Vec<(u32, u64)> = counts.into_iter().collect();
        list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list.into_iter()
            .take(5)
            .map(|(code, count)| TopValue {
                value: store.column(field).value(code).unwrap_or("").to_string(),
                count,
            })
            .collect()
    };
    Attributions {
        user_identity_arns: top(Field::PrincipalArn),
        user_agents: top(Field::UserAgent),
        error_codes: top(Field::ErrorCode),
    }
}

/// The per-minute series of `anomaly`'s API from `padding` minutes before its least probable
/// window to `padding` minutes after, with the baseline band, for charts.
pub fn anomaly_series(
    store: &Store,
    anomaly: &Anomaly,
    options: &AnomalyOptions,
    padding: i64,
) -> Vec<SeriesPoint> {
    let code = |f: Field, v: &str| -> Option<u32> { store.column(f).code_of(v) };
    let key = (|| {
        Some(SeriesKey {
            kind: anomaly.insight_type,
            region: code(Field::AwsRegion, &anomaly.aws_region)?,
            source: code(Field::EventSource, &anomaly.event_source)?,
            name: code(Field::EventName, &anomaly.event_name)?,
            error: match &anomaly.error_code {
                Some(e) => code(Field::ErrorCode, e)?,
                None => 0,
            },
        })
    })();
    let Some(key) = key else { return Vec::new() };
    let mut events: Vec<(i64, u32)> = Vec::new();
    let mut covered: Vec<i64> = Vec::new();
    for row in 0..store.len() {
        let Some(t) = store.time_at(row) else {
            continue;
        };
        let minute = t.unix_millis().div_euclid(MINUTE);
        covered.push(minute);
        if keys_of(store, row).contains(&Some(key)) {
            events.push((minute, row as u32));
        }
    }
    covered.sort_unstable();
    covered.dedup();
    events.sort_unstable();
    let (minutes, rows) = events.into_iter().unzip();
    let series = Series { minutes, rows };
    let base = Baseline::new(&series, &covered, options);
    // The chart shows the least probable window (an anomaly may have many).
    let (first, end) = anomaly
        .occurrences
        .iter()
        .min_by(|a, b| a.probability.total_cmp(&b.probability))
        .map_or((anomaly.start_millis, anomaly.end_millis), |o| {
            (o.start_millis, o.end_millis)
        });
    let (first, end) = (first / MINUTE, end / MINUTE);
    (first - padding..end + padding)
        .map(|m| {
            let mean = base
                .is_covered(m)
                .then(|| base.reference(m))
                .flatten()
                .map(|r| r.burst_rate());
            SeriesPoint {
                minute_millis: m * MINUTE,
                count: series.count(m, m + 1),
                baseline: mean,
                band_low: mean.map(|x| x / options.ratio),
                band_high: mean.map(|x| (x * options.ratio).max(options.min_minute_count as f64)),
                in_window: (first..end).contains(&m),
            }
        })
        .collect()
}
