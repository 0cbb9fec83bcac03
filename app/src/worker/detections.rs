//! The store worker's detections: the built-in rules and the user's (Trailscope rules or Sigma)
//! over every loaded event, the anomaly model, and the Insights events found in the files.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use trailscope_detect::anomaly::behaviour::{BehaviourOptions, BehaviourRun};
use trailscope_detect::anomaly::{anomaly_series, detect_anomalies, Anomaly, AnomalyOptions};
use trailscope_detect::{
    findings_csv, findings_json, insight_events, parse_rules, sigma::parse_sigma, ClockOffset,
    RuleSet,
};
use trailscope_protocol::{
    AnomalyView, DetectOptions, DetectView, FindingView, RequestId, Response,
};
use trailscope_query::RowSet;
use trailscope_store::Store;

use super::queries::QueryState;
use super::store_host::StoreHost;
use super::{now_millis, post_json_or_objects};

/// Minutes of series shown either side of an anomaly window.
const CHART_PADDING_MINUTES: i64 = 90;
/// Anomalies sent to the page (most unusual first).
const MAX_ANOMALIES: usize = 200;

/// A detection run between its rules and its last anomaly model. The models take seconds at
/// millions of events; run in one task they kept the user's queries waiting (13.5 s for the
/// first filter after a 5,000,000-event load). The rate model runs as one step, the behaviour
/// model as the steps of a [`BehaviourRun`], and the worker answers what the page asked in
/// between.
pub(crate) struct DetectJob {
    id: RequestId,
    /// What the run was asked with (to start it again).
    options: DetectOptions,
    /// The rules' results, ready to post.
    view: DetectView,
    /// The rate model's anomalies, once it ran.
    rate: Option<(Vec<Anomaly>, Vec<AnomalyView>)>,
    behaviour: BehaviourRun,
    /// Time spent in the anomaly models' steps (not in the queries between them).
    anomalies_millis: f64,
    /// The store the run started on; anything else means it changed under the run.
    events: usize,
}

impl DetectJob {
    /// The request this run answers.
    pub(crate) fn into_request(self) -> (RequestId, DetectOptions) {
        (self.id, self.options)
    }
}

/// Runs the rules at once (a `finding:` filter term needs their rows), and starts the anomaly
/// models, which [`continue_detection`] steps through.
pub(crate) fn start_detection(
    host: &Rc<RefCell<StoreHost>>,
    id: RequestId,
    options: &DetectOptions,
) {
    {
        let mut h = host.borrow_mut();
        let (store, queries, job) = h.detection_parts();
        *job = Some(rules(store, queries, id, options));
    }
    schedule_steps(host.clone(), id);
}

/// The channel a worker posts its detection steps through: `next` takes a run's id, the other
/// port does that run's step. Both ports are held here for the worker's life (a port nothing
/// holds may be collected, and the steps would then stop without a word).
struct StepChannel {
    _steps: web_sys::MessagePort,
    next: web_sys::MessagePort,
}

thread_local! {
    /// Made on the first run, then kept: one channel and one closure, never one per run.
    /// `None` where this worker could not make a channel.
    static STEP_CHANNEL: std::cell::OnceCell<Option<StepChannel>> =
        const { std::cell::OnceCell::new() };
}

/// What the step channel carries to ask for a step of the free-text index (detection runs'
/// ids are never negative).
const TEXT_INDEX_STEP: f64 = -1.0;
/// Rows the free-text index takes per step (tens of milliseconds in the page).
const TEXT_INDEX_ROWS_PER_STEP: usize = 16_384;

thread_local! {
    /// Whether a step of the free-text index is posted (one at a time).
    static TEXT_INDEX_POSTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Builds the free-text index ([`trailscope_store::text`]) over rows not yet in it, in steps
/// through the step channel, so the page's requests are answered in between. Called after
/// each message the worker handles; does nothing while a step is posted, while a load merges,
/// or when every row is indexed. Until it is done, free text reads the rows past the index.
pub(crate) fn schedule_text_index(host: &Rc<RefCell<StoreHost>>) {
    if TEXT_INDEX_POSTED.get() || host.borrow_mut().store_to_index().is_none() {
        return;
    }
    let posted = STEP_CHANNEL.with(|channel| {
        channel
            .get_or_init(|| step_channel(host.clone()))
            .as_ref()
            .is_some_and(|channel| {
                channel
                    .next
                    .post_message(&JsValue::from(TEXT_INDEX_STEP))
                    .is_ok()
            })
    });
    // Without a channel the index is not built: free text reads the records, as before it.
    TEXT_INDEX_POSTED.set(posted);
}

/// Does one step of the free-text index; returns whether rows are left.
fn continue_text_index(host: &Rc<RefCell<StoreHost>>) -> bool {
    let mut h = host.borrow_mut();
    h.store_to_index()
        .is_some_and(|store| !store.index_text(TEXT_INDEX_ROWS_PER_STEP))
}

/// Runs the steps of run `id`, each in a task of its own, through a channel to this worker: a
/// message to itself queues each step behind the page's messages already waiting (a zero
/// timeout's task may be taken before them). A message names its run, so one left over from a
/// run that a newer one replaced does nothing.
fn schedule_steps(host: Rc<RefCell<StoreHost>>, id: RequestId) {
    let posted = STEP_CHANNEL.with(|channel| {
        channel
            .get_or_init(|| step_channel(host.clone()))
            .as_ref()
            .is_some_and(|channel| channel.next.post_message(&JsValue::from(id.0)).is_ok())
    });
    if !posted {
        // No channel: the rest runs at once, as before steps existed.
        while continue_detection(&host, id) {}
    }
}

/// The worker's step channel: a message carrying a run's id does that run's next step, then
/// posts itself again while steps are left.
fn step_channel(host: Rc<RefCell<StoreHost>>) -> Option<StepChannel> {
    let channel = web_sys::MessageChannel::new().ok()?;
    let (steps, next) = (channel.port1(), channel.port2());
    let next_for_step = next.clone();
    let step =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
            let Some(number) = message.data().as_f64() else {
                return;
            };
            if number < 0.0 {
                let more = continue_text_index(&host)
                    && next_for_step.post_message(&message.data()).is_ok();
                TEXT_INDEX_POSTED.set(more);
                return;
            }
            let id = RequestId(number as u32);
            if continue_detection(&host, id) && next_for_step.post_message(&message.data()).is_err()
            {
                while continue_detection(&host, id) {}
            }
        });
    steps.set_onmessage(Some(step.as_ref().unchecked_ref()));
    // Kept for the worker's life, as the channel is.
    step.forget();
    Some(StepChannel {
        _steps: steps,
        next,
    })
}

/// Does one step of run `id`; posts the results after the last. Returns whether steps are
/// left. A newer run, a load, a restore or a clear (which drop the job) end it; a verification
/// that changes rows starts the job again with the same id, which the steps already scheduled
/// for it then carry on too.
fn continue_detection(host: &Rc<RefCell<StoreHost>>, id: RequestId) -> bool {
    let mut h = host.borrow_mut();
    let (store, _, slot) = h.detection_parts();
    let Some(job) = slot.as_mut().filter(|job| job.id == id) else {
        return false;
    };
    if job.events != store.len() {
        *slot = None;
        return false;
    }
    let started = now_millis();
    let anomaly_options = AnomalyOptions::default();
    let Some(rate) = &job.rate else {
        let mut anomalies = detect_anomalies(store, &anomaly_options);
        anomalies.sort_by(|a, b| b.score.total_cmp(&a.score));
        anomalies.truncate(MAX_ANOMALIES);
        let views = anomalies
            .iter()
            .map(|a| anomaly_view(store, a, &anomaly_options))
            .collect();
        job.rate = Some((anomalies, views));
        job.anomalies_millis += now_millis() - started;
        return true;
    };
    let Some(mut behaviour) = job.behaviour.step(store) else {
        job.anomalies_millis += now_millis() - started;
        return true;
    };
    behaviour.truncate(MAX_ANOMALIES);
    let anomalies_json = serde_json::to_string_pretty(&serde_json::json!({
        "anomalies": rate.0,
        "behaviour": behaviour,
    }))
    .unwrap_or_default();
    job.anomalies_millis += now_millis() - started;
    let Some(job) = slot.take() else {
        return false;
    };
    let mut view = job.view;
    view.anomalies = job.rate.map(|(_, views)| views).unwrap_or_default();
    view.behaviour = behaviour;
    view.anomalies_json = anomalies_json;
    view.anomalies_millis = job.anomalies_millis;
    post_json_or_objects(&Response::Detected {
        id,
        view: Box::new(view),
    });
    false
}

/// Runs every rule, keeps each rule's rows for `finding:` filter terms, and returns the run
/// with the rules' results, the anomaly models still to run.
fn rules(
    store: &Store,
    queries: &mut QueryState,
    id: RequestId,
    options: &DetectOptions,
) -> DetectJob {
    let mut set = RuleSet::builtin();
    let mut origins: Vec<String> = vec!["built-in".into(); set.rules().len()];
    let mut rule_errors = Vec::new();
    for trailscope_protocol::RuleFile { name, text } in &options.rule_files {
        let rules = if looks_like_sigma(text) {
            parse_sigma(text)
                .map(|r| vec![r])
                .map_err(|e| e.to_string())
        } else {
            parse_rules(text).map_err(|e| e.to_string())
        };
        match rules.and_then(|rules| {
            let n = rules.len();
            set.extend(rules).map(|()| n).map_err(|e| e.to_string())
        }) {
            Ok(n) => origins.extend(std::iter::repeat_n(name.clone(), n)),
            Err(e) => rule_errors.push(format!("{name}: {e}")),
        }
    }
    if let Some(hours) = options.business_hours {
        let (start, end) = (hours.start_hour, hours.end_hour);
        let offset = ClockOffset::from_minutes(hours.utc_offset_minutes);
        if let Err(e) = set.set_business_hours(start, end, offset) {
            rule_errors.push(format!("business hours {start}-{end}: {e}"));
        }
    }
    if !options.only.is_empty() || !options.exclude.is_empty() {
        let all = set.rules().to_vec();
        match std::mem::take(&mut set).select(&options.only, &options.exclude) {
            Ok(chosen) => {
                origins = chosen
                    .rules()
                    .iter()
                    .map(|r| {
                        all.iter()
                            .position(|x| x.id == r.id)
                            .and_then(|i| origins.get(i).cloned())
                            .unwrap_or_default()
                    })
                    .collect();
                set = chosen;
            }
            Err(e) => {
                rule_errors.push(format!("choosing rules: {e}; every rule runs"));
                set = RuleSet::new(all).unwrap_or_default();
            }
        }
    }
    let started = now_millis();
    let matches = set.evaluate(store);
    let rules_millis = now_millis() - started;

    queries.findings.clear();
    let mut findings = Vec::with_capacity(matches.len());
    for m in &matches {
        let Some(rule) = set.rules().get(m.rule) else {
            continue;
        };
        let mut rows = RowSet::empty(store.len());
        for &r in &m.rows {
            rows.insert(r as usize);
        }
        for name in std::iter::once(&rule.id).chain(&rule.aliases) {
            queries
                .findings
                .insert(name.to_ascii_lowercase(), rows.clone());
        }
        findings.push((
            rule.severity,
            FindingView {
                rule: rule.id.clone(),
                aliases: rule.aliases.clone(),
                title: rule.title.clone(),
                description: rule.description.clone(),
                remediation: rule.remediation.clone(),
                severity: rule.severity.as_str().to_string(),
                tactics: rule
                    .tactics
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect(),
                references: rule.references.clone(),
                events: m.rows.len() as u64,
                origin: origins.get(m.rule).cloned().unwrap_or_default(),
                spread: trailscope_detect::spread(store, &m.rows),
            },
        ));
    }
    // Matched rules first, most severe first (the core's order of severities); then by id.
    findings.sort_by(|(sa, a), (sb, b)| {
        (b.events > 0)
            .cmp(&(a.events > 0))
            .then(sb.cmp(sa))
            .then(a.rule.cmp(&b.rule))
    });
    let findings: Vec<FindingView> = findings.into_iter().map(|(_, f)| f).collect();
    let exported = trailscope_detect::findings(&set, &matches, store);

    DetectJob {
        id,
        options: options.clone(),
        view: DetectView {
            findings,
            anomalies: Vec::new(),
            behaviour: Vec::new(),
            insights: insight_events(store),
            rule_errors,
            findings_json: findings_json(&exported),
            findings_csv: findings_csv(&exported),
            anomalies_json: String::new(),
            rules_millis,
            anomalies_millis: 0.0,
            events: store.len() as u64,
        },
        rate: None,
        behaviour: BehaviourRun::new(BehaviourOptions::default()),
        anomalies_millis: 0.0,
        events: store.len(),
    }
}

/// Sigma rules have a `detection` map and a `logsource`; Trailscope rules have neither.
fn looks_like_sigma(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("detection:"))
        && text.lines().any(|l| l.starts_with("logsource:"))
}

fn anomaly_view(store: &Store, a: &Anomaly, options: &AnomalyOptions) -> AnomalyView {
    AnomalyView {
        anomaly: a.clone(),
        series: anomaly_series(store, a, options, CHART_PADDING_MINUTES),
    }
}
