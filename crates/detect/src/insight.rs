//! Real CloudTrail Insights events in the store, with their `insightDetails` read for charts.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trailscope_store::Store;

/// One CloudTrail Insights event (written by CloudTrail, unlike [`crate::anomaly::Anomaly`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InsightEvent {
    /// Store row.
    pub row: u32,
    /// `eventTime` (unix millis).
    pub time_millis: Option<i64>,
    /// `insightDetails.state`: `Start` or `End`.
    pub state: Option<String>,
    /// `insightDetails.insightType`.
    pub insight_type: Option<String>,
    /// `insightDetails.eventSource`.
    pub event_source: Option<String>,
    /// `insightDetails.eventName`.
    pub event_name: Option<String>,
    /// `insightDetails.errorCode` (error-rate insights).
    pub error_code: Option<String>,
    /// `insightDetails.insightContext.statistics.baseline.average`.
    pub baseline_average: Option<f64>,
    /// `insightDetails.insightContext.statistics.insight.average`.
    pub insight_average: Option<f64>,
    /// `...statistics.insightDuration` (minutes).
    pub insight_duration: Option<f64>,
    /// `...statistics.baselineDuration` (minutes).
    pub baseline_duration: Option<f64>,
    /// The whole `insightDetails` object (attributions included).
    pub details: Value,
}

/// The Insights events of `store`, in row order.
pub fn insight_events(store: &Store) -> Vec<InsightEvent> {
    let rows: Vec<usize> = (0..store.len()).filter(|&r| store.is_insight(r)).collect();
    let mut out = Vec::with_capacity(rows.len());
    store.records().with_records(&rows, |row, bytes| {
        let record: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
        let details = record.get("insightDetails").cloned().unwrap_or(Value::Null);
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        let stats = details
            .pointer("/insightContext/statistics")
            .cloned()
            .unwrap_or(Value::Null);
        let number = |path: &str| stats.pointer(path).and_then(Value::as_f64);
        out.push(InsightEvent {
            row: row as u32,
            time_millis: store.time_at(row).map(|t| t.unix_millis()),
            state: text(&details, "state"),
            insight_type: text(&details, "insightType"),
            event_source: text(&details, "eventSource"),
            event_name: text(&details, "eventName"),
            error_code: text(&details, "errorCode"),
            baseline_average: number("/baseline/average"),
            insight_average: number("/insight/average"),
            insight_duration: number("/insightDuration"),
            baseline_duration: number("/baselineDuration"),
            details,
        });
    });
    out.sort_by_key(|e| e.row);
    out
}
