//! Behaviour anomalies per principal, access key and source IP, over every event (data events
//! included): volumes far above the entity's own history and its peers', first use of an API,
//! service, region, user agent or IP by a principal, and sensitive calls on a resource the
//! principal had (almost) never touched with them. CloudTrail Insights models only write
//! management calls and error rates; an exfiltration through `GetObject` or `Decrypt` is
//! invisible to it. The model and its limits are in ANOMALIES.md.
//!
//! Everything is computed from the store's dictionary columns, except the resource of a
//! sensitive call, which is read from the record (few rows: sensitive writes are rare).

use hashbrown::{HashMap, HashSet};
use serde::{Deserialize, Serialize};
use trailscope_model::Timestamp;
use trailscope_store::{Field, Store};

use super::poisson::upper_tail;
use super::score::{api_sensitivity, privilege, surprise};
use super::TopValue;

const HOUR: i64 = 3_600_000;

/// Who or what behaved unusually.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    /// `userIdentity.arn` (a user, a role session, the root user).
    Principal,
    /// `userIdentity.accessKeyId`.
    AccessKey,
    /// `sourceIPAddress` (addresses only, not AWS service names).
    SourceIp,
}

impl EntityKind {
    /// The CloudTrail path of the entity's field (for filters that open its events).
    pub const fn path(self) -> &'static str {
        match self {
            EntityKind::Principal => "userIdentity.arn",
            EntityKind::AccessKey => "userIdentity.accessKeyId",
            EntityKind::SourceIp => "sourceIPAddress",
        }
    }

    fn field(self) -> Field {
        match self {
            EntityKind::Principal => Field::PrincipalArn,
            EntityKind::AccessKey => Field::AccessKeyId,
            EntityKind::SourceIp => Field::SourceIp,
        }
    }

    /// How people call it (`access key`).
    pub const fn label(self) -> &'static str {
        match self {
            EntityKind::Principal => "principal",
            EntityKind::AccessKey => "access key",
            EntityKind::SourceIp => "address",
        }
    }

    const ALL: [EntityKind; 3] = [
        EntityKind::Principal,
        EntityKind::AccessKey,
        EntityKind::SourceIp,
    ];
}

/// An entity and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRef {
    /// What it is.
    pub kind: EntityKind,
    /// Its value (an ARN, a key id, an address).
    pub value: String,
}

/// Which behaviour anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BehaviourKind {
    /// Calls of an API far above the entity's own history and its peers'.
    Volume,
    /// A principal used an API, service, region, user agent or IP for the first time.
    FirstUse,
    /// A sensitive call on a resource the principal had not touched with it before.
    RareResource,
}

impl BehaviourKind {
    /// How people call it (`First use`).
    pub const fn label(self) -> &'static str {
        match self {
            BehaviourKind::Volume => "Volume",
            BehaviourKind::FirstUse => "First use",
            BehaviourKind::RareResource => "Rare resource",
        }
    }
}

/// What a first use was of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Dimension {
    /// `eventSource:eventName`.
    Api,
    /// `eventSource`.
    Service,
    /// `awsRegion`.
    Region,
    /// The user agent's product (`aws-cli`, `Boto3`, `python-requests`).
    UserAgent,
    /// `sourceIPAddress`.
    SourceIp,
    /// The resource of a sensitive call (`PutBucketPolicy on finance-data`).
    Resource,
}

impl Dimension {
    /// How people call it (`user agent`).
    pub const fn label(self) -> &'static str {
        match self {
            Dimension::Api => "API",
            Dimension::Service => "service",
            Dimension::Region => "region",
            Dimension::UserAgent => "user agent",
            Dimension::SourceIp => "address",
            Dimension::Resource => "resource",
        }
    }
}

/// Something a principal did for the first time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Novelty {
    /// What is new.
    pub dimension: Dimension,
    /// The new value.
    pub value: String,
    /// When it was first seen (unix millis).
    pub first_millis: i64,
    /// Events with it in the anomaly's window.
    pub events: u64,
}

/// One API's volume in a volume anomaly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiVolume {
    /// `eventSource`.
    pub event_source: String,
    /// `eventName`.
    pub event_name: String,
    /// Calls in the window.
    pub count: u64,
    /// The entity's usual calls of it per active hour before the window.
    pub usual_per_hour: f64,
    /// The entity's own busiest hour of it before the window.
    pub own_peak_per_hour: u64,
    /// The median, over other entities of the same kind, of their busiest hour of it.
    pub peer_peak_per_hour: f64,
    /// Poisson tail probability of the count under the expectation.
    pub probability: f64,
}

/// One behaviour anomaly, with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourAnomaly {
    /// Always true: Trailscope computed this.
    pub computed_by_trailscope: bool,
    /// Which kind.
    pub kind: BehaviourKind,
    /// The entity.
    pub entity: EntityRef,
    /// The same events seen as other entities (the key and the address of a user's burst).
    pub also: Vec<EntityRef>,
    /// `userIdentity.type` of the window's main caller.
    pub identity_type: String,
    /// Window start (unix millis).
    pub start_millis: i64,
    /// Window end (exclusive).
    pub end_millis: i64,
    /// Events of the entity in the window that the anomaly is about.
    pub events: u64,
    /// Volume anomalies: the APIs and their baselines.
    pub volumes: Vec<ApiVolume>,
    /// First uses and rare resources: what was new (at most 20 per dimension).
    pub novelties: Vec<Novelty>,
    /// New values beyond those listed.
    pub novelties_omitted: u64,
    /// Events of the entity before the window (its history).
    pub history_events: u64,
    /// Hours with events of the entity before the window.
    pub history_hours: u64,
    /// Top source addresses in the window.
    pub top_source_ips: Vec<TopValue>,
    /// Top user agents in the window.
    pub top_user_agents: Vec<TopValue>,
    /// Top APIs (`source:name`) in the window.
    pub top_apis: Vec<TopValue>,
    /// One sentence saying what happened.
    pub summary: String,
    /// Rank among all anomalies (higher first): surprise × privilege × sensitivity.
    pub score: f64,
    /// Field tests that, with the window, select the anomaly's events.
    pub filter_terms: Vec<FilterTerm>,
}

/// A field and the value it must have (the page turns these into filter terms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterTerm {
    /// A CloudTrail path (`userIdentity.arn`).
    pub field: String,
    /// The value.
    pub value: String,
}

impl FilterTerm {
    fn new(field: &str, value: &str) -> FilterTerm {
        FilterTerm {
            field: field.to_string(),
            value: value.to_string(),
        }
    }
}

/// Tunables (defaults in ANOMALIES.md).
#[derive(Clone, Debug, PartialEq)]
pub struct BehaviourOptions {
    /// Calls of one API in one hour needed for a volume anomaly.
    pub min_volume: u64,
    /// The hour's calls must be at least this many times the expectation.
    pub volume_ratio: f64,
    /// And this improbable under it (Poisson tail).
    pub alpha: f64,
    /// Evidence: hours with events of the entity before the window.
    pub min_history_hours: u64,
    /// Peers' busiest hours count in the expectation once this many other entities of the same
    /// kind call the API.
    pub min_peers: usize,
    /// First uses count only after the principal's first event is this old...
    pub min_history_span_millis: i64,
    /// ...and it has had this many events.
    pub min_history_events: u64,
    /// First-use windows below this score are not reported (a new read API or a new address
    /// alone is everyday life).
    pub min_first_use_score: f64,
    /// A sensitive call on a new resource is rare while the principal had used it on at most
    /// this many resources before.
    pub max_known_resources: usize,
    /// Records read to find resources of sensitive calls, at most.
    pub max_records_read: usize,
}

impl Default for BehaviourOptions {
    fn default() -> Self {
        BehaviourOptions {
            min_volume: 100,
            volume_ratio: 10.0,
            alpha: 1e-6,
            min_history_hours: 6,
            min_peers: 3,
            min_history_span_millis: 24 * HOUR,
            min_history_events: 20,
            min_first_use_score: 2.0,
            max_known_resources: 3,
            max_records_read: 50_000,
        }
    }
}

/// Codes of one row, read once.
#[derive(Clone, Copy)]
struct RowCodes {
    hour: i64,
    millis: i64,
    source: u32,
    name: u32,
    region: u32,
    agent: u32,
    entity: [u32; 3],
}

/// The store's rows with a time, as codes, with entity codes zeroed where they are no entity
/// (an AWS service name in `sourceIPAddress`).
fn row_codes(store: &Store) -> Vec<(u32, RowCodes)> {
    let col = |f: Field| store.column(f).codes();
    let (source, name, region, agent) = (
        col(Field::EventSource),
        col(Field::EventName),
        col(Field::AwsRegion),
        col(Field::UserAgent),
    );
    let ip_col = store.column(Field::SourceIp);
    let is_address: Vec<bool> = (0..=ip_col.distinct() as u32)
        .map(|c| {
            ip_col
                .value(c)
                .is_some_and(|v| v.parse::<std::net::IpAddr>().is_ok())
        })
        .collect();
    let entity_cols = EntityKind::ALL.map(|k| col(k.field()));
    let at = |c: &[u32], r: usize| c.get(r).copied().unwrap_or(0);
    (0..store.len())
        .filter(|&r| !store.is_insight(r))
        .filter_map(|r| {
            let millis = store.time_at(r)?.unix_millis();
            let mut entity = entity_cols.map(|c| at(c, r));
            if !is_address.get(entity[2] as usize).copied().unwrap_or(false) {
                entity[2] = 0;
            }
            Some((
                r as u32,
                RowCodes {
                    hour: millis.div_euclid(HOUR),
                    millis,
                    source: at(source, r),
                    name: at(name, r),
                    region: at(region, r),
                    agent: at(agent, r),
                    entity,
                },
            ))
        })
        .collect()
}

/// Finds behaviour anomalies, highest score first.
pub fn detect_behaviour(store: &Store, options: &BehaviourOptions) -> Vec<BehaviourAnomaly> {
    let mut run = BehaviourRun::new(options.clone());
    loop {
        if let Some(found) = run.step(store) {
            return found;
        }
    }
}

/// Rows a stepped pass of a [`BehaviourRun`] goes through in one step: under 0.1 s natively.
const ROWS_PER_STEP: usize = 100_000;

/// Anomalies a step fills from their evidence at most: about as long as [`ROWS_PER_STEP`] rows.
const ANOMALIES_PER_STEP: usize = 10_000;

/// The behaviour model one step at a time. The page's store worker answers the user's queries
/// between steps: run in one go, the model kept a filter typed after a 5,000,000-event load
/// waiting for seconds. The passes whose cost grows fastest go 100,000 rows (or 10,000
/// anomalies) a step. Some steps are still one pass over every row: reading
/// the rows' codes, grouping them by entity or principal, the volume windows and the fold, each
/// under 0.7 s natively at 5,000,000 events. The result equals [`detect_behaviour`]'s, which
/// runs the same steps in a loop.
pub struct BehaviourRun {
    options: BehaviourOptions,
    rows: Vec<(u32, RowCodes)>,
    volume_counts: Option<VolumeCounts>,
    volumes: Vec<BehaviourAnomaly>,
    first_uses: Option<FirstUses>,
    firsts: Vec<BehaviourAnomaly>,
    evidence: Option<Evidence>,
    next: RunStep,
    rows_per_step: usize,
    anomalies_per_step: usize,
}

/// What a [`BehaviourRun`] does next, in order (a step that goes through rows repeats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStep {
    /// Reads every row's codes.
    Rows,
    /// Hourly volumes per entity and API: counts some rows per step, then finds the windows.
    Volumes,
    /// Groups rows by principal, then reads the resources of sensitive calls, the calls among
    /// some rows per step.
    FirstUseResources,
    /// A principal's first uses, some principals per step.
    FirstUses,
    /// Top values and history of the volume anomalies, some rows per step.
    VolumeEvidence,
    /// Top values of the first uses, some rows per step.
    FirstUseEvidence,
    /// Folds first uses into the volume bursts they belong to, and sorts.
    Fold,
    /// Nothing left: the anomalies were returned.
    Done,
}

impl BehaviourRun {
    /// A run that has done no step yet.
    pub fn new(options: BehaviourOptions) -> BehaviourRun {
        BehaviourRun::with_step_sizes(options, ROWS_PER_STEP, ANOMALIES_PER_STEP)
    }

    /// A run whose steps go through at most `rows` rows or fill `anomalies` anomalies (at
    /// least one each).
    pub fn with_step_sizes(
        options: BehaviourOptions,
        rows: usize,
        anomalies: usize,
    ) -> BehaviourRun {
        BehaviourRun {
            rows_per_step: rows.max(1),
            anomalies_per_step: anomalies.max(1),
            options,
            rows: Vec::new(),
            volume_counts: None,
            volumes: Vec::new(),
            first_uses: None,
            firsts: Vec::new(),
            evidence: None,
            next: RunStep::Rows,
        }
    }

    /// The step the next [`BehaviourRun::step`] does (for time accounting).
    pub fn next_step(&self) -> RunStep {
        self.next
    }

    /// Does the next step over `store`, which must be the store every earlier step saw; returns
    /// the anomalies, highest score first, after the last step (and nothing on later calls).
    pub fn step(&mut self, store: &Store) -> Option<Vec<BehaviourAnomaly>> {
        let o = &self.options;
        match self.next {
            RunStep::Rows => {
                self.rows = row_codes(store);
                self.next = RunStep::Volumes;
            }
            RunStep::Volumes => {
                let counts = self
                    .volume_counts
                    .get_or_insert_with(|| VolumeCounts::new(store, &self.rows));
                if counts.advance(&self.rows, o, self.rows_per_step) {
                    if let Some(counts) = self.volume_counts.take() {
                        self.volumes = volumes(store, counts, o);
                    }
                    self.next = RunStep::FirstUseResources;
                }
            }
            RunStep::FirstUseResources => {
                let pass = self
                    .first_uses
                    .get_or_insert_with(|| FirstUses::new(store, &self.rows));
                if pass.read_resources(store, o, self.rows_per_step) {
                    self.next = RunStep::FirstUses;
                }
            }
            RunStep::FirstUses => {
                let pass = self
                    .first_uses
                    .get_or_insert_with(|| FirstUses::new(store, &self.rows));
                if pass.advance(store, &self.rows, o, self.rows_per_step) {
                    self.firsts = self.first_uses.take().map(|f| f.out).unwrap_or_default();
                    self.next = RunStep::VolumeEvidence;
                }
            }
            RunStep::VolumeEvidence | RunStep::FirstUseEvidence => {
                let volume = self.next == RunStep::VolumeEvidence;
                let anomalies = if volume {
                    &mut self.volumes
                } else {
                    &mut self.firsts
                };
                let pass = self
                    .evidence
                    .get_or_insert_with(|| Evidence::new(store, anomalies));
                let done = if pass.next_row >= self.rows.len() {
                    pass.fill(store, anomalies, self.anomalies_per_step)
                } else {
                    pass.advance(store, &self.rows, anomalies, self.rows_per_step);
                    false
                };
                if done {
                    self.evidence = None;
                    if volume {
                        self.next = RunStep::FirstUseEvidence;
                    } else {
                        self.rows = Vec::new();
                        self.next = RunStep::Fold;
                    }
                }
            }
            RunStep::Fold => {
                self.next = RunStep::Done;
                return Some(fold(
                    std::mem::take(&mut self.volumes),
                    std::mem::take(&mut self.firsts),
                ));
            }
            RunStep::Done => {}
        }
        None
    }
}

/// The volume anomalies with each first use folded into its principal's burst in the same
/// hours, or added; highest score first.
fn fold(mut out: Vec<BehaviourAnomaly>, firsts: Vec<BehaviourAnomaly>) -> Vec<BehaviourAnomaly> {
    // A principal's first uses during its own volume burst are one incident: one card. The
    // volume cards of each principal, in order, found by its value: a trail with many first
    // uses and many bursts would otherwise compare every pair (tens of seconds at millions of
    // events).
    let mut volumes_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, a) in out.iter().enumerate() {
        if a.kind != BehaviourKind::Volume {
            continue;
        }
        let principals: HashSet<&str> = std::iter::once(&a.entity)
            .chain(&a.also)
            .filter(|e| e.kind == EntityKind::Principal)
            .map(|e| e.value.as_str())
            .collect();
        for principal in principals {
            volumes_of
                .entry(principal.to_string())
                .or_default()
                .push(index);
        }
    }
    for first in firsts {
        let near = |a: &BehaviourAnomaly| {
            first.start_millis < a.end_millis + HOUR && a.start_millis < first.end_millis + HOUR
        };
        let volume = volumes_of
            .get(first.entity.value.as_str())
            .and_then(|indexes| {
                indexes
                    .iter()
                    .copied()
                    .find(|&i| out.get(i).is_some_and(near))
            });
        match volume.and_then(|i| out.get_mut(i)) {
            Some(volume) => {
                volume.score += first.score;
                let list: Vec<&str> = first.novelties.iter().map(|n| n.value.as_str()).collect();
                volume.summary = format!(
                    "{} First uses in the same hours: {}.",
                    volume.summary,
                    list.join(", ")
                );
                volume.novelties.extend(first.novelties);
                volume.novelties_omitted += first.novelties_omitted;
            }
            None => out.push(first),
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.start_millis.cmp(&b.start_millis))
    });
    out
}

fn text(store: &Store, field: Field, code: u32) -> String {
    store.column(field).value(code).unwrap_or("").to_string()
}

fn when(millis: i64) -> String {
    Timestamp::from_unix_millis(millis).to_rfc3339()
}

/// A volume window of one entity and API.
struct VolumeWindow {
    api: (u32, u32),
    start_hour: i64,
    end_hour: i64,
    count: u64,
    usual: f64,
    own_peak: u64,
    peer: f64,
    expected: f64,
    probability: f64,
}

/// Calls per (kind, entity, api): the volume model's series key.
type VolumeKey = (u8, u32, u32, u32);

/// The volume model's counts, in steps of rows: at millions of events over months nearly every
/// (entity, API, hour) is its own entry, and counting them took seconds in one go.
struct VolumeCounts {
    /// Events per entity code, per entity kind.
    totals: [Vec<u32>; 3],
    /// Calls per (kind, entity, api) and hour, of entities with enough events in all.
    per_hour: HashMap<(VolumeKey, i64), u32>,
    /// The rows before it are counted.
    next_row: usize,
    /// Once every row is counted: the hours not yet moved to `series` and `active`.
    grouping: Option<hashbrown::hash_map::IntoIter<(VolumeKey, i64), u32>>,
    /// Each key's (hour, calls), and each entity's active hours (unsorted until the end).
    series: HashMap<VolumeKey, Vec<(i64, u32)>>,
    active: HashMap<(u8, u32), Vec<i64>>,
}

impl VolumeCounts {
    /// Counts each entity's events. Only entities with enough events in all can have a volume
    /// anomaly: they are counted in dense arrays (dictionary codes are 0..distinct) before
    /// hashing anything, so a trail of a million one-off addresses costs three array passes,
    /// not a million hash entries.
    fn new(store: &Store, rows: &[(u32, RowCodes)]) -> VolumeCounts {
        let mut totals: [Vec<u32>; 3] =
            EntityKind::ALL.map(|k| vec![0u32; store.column(k.field()).distinct() + 1]);
        for (_, c) in rows {
            for (k, &e) in c.entity.iter().enumerate() {
                if let Some(n) = totals.get_mut(k).and_then(|t| t.get_mut(e as usize)) {
                    *n += 1;
                }
            }
        }
        VolumeCounts {
            totals,
            per_hour: HashMap::new(),
            next_row: 0,
            grouping: None,
            series: HashMap::new(),
            active: HashMap::new(),
        }
    }

    /// Counts the next `max_rows` rows' calls per hour, then groups as many hours by key;
    /// returns whether every hour is grouped.
    fn advance(&mut self, rows: &[(u32, RowCodes)], o: &BehaviourOptions, max_rows: usize) -> bool {
        if self.next_row >= rows.len() {
            let grouping = self
                .grouping
                .get_or_insert_with(|| std::mem::take(&mut self.per_hour).into_iter());
            for ((key, hour), n) in grouping.by_ref().take(max_rows) {
                self.series.entry(key).or_default().push((hour, n));
                self.active.entry((key.0, key.1)).or_default().push(hour);
            }
            return grouping.len() == 0;
        }
        let start = self.next_row.min(rows.len());
        let end = start.saturating_add(max_rows).min(rows.len());
        self.next_row = end;
        let totals = &self.totals;
        let busy = |k: usize, e: u32| {
            e != 0
                && totals
                    .get(k)
                    .and_then(|t| t.get(e as usize))
                    .is_some_and(|&n| u64::from(n) >= o.min_volume)
        };
        for (_, c) in rows.get(start..end).unwrap_or_default() {
            for (k, &e) in c.entity.iter().enumerate() {
                if busy(k, e) {
                    *self
                        .per_hour
                        .entry(((k as u8, e, c.source, c.name), c.hour))
                        .or_default() += 1;
                }
            }
        }
        false
    }
}

/// The volume anomalies from the counts of every row.
fn volumes(store: &Store, counts: VolumeCounts, o: &BehaviourOptions) -> Vec<BehaviourAnomaly> {
    type Key = VolumeKey;
    let VolumeCounts {
        mut series,
        mut active,
        ..
    } = counts;
    for hours in active.values_mut() {
        hours.sort_unstable();
        hours.dedup();
    }
    // Each entity's busiest hour per (kind, api), for peers.
    let mut peaks: HashMap<(u8, u32, u32), Vec<u32>> = HashMap::new();
    for (key, hours) in &mut series {
        hours.sort_unstable();
        let peak = hours.iter().map(|h| h.1).max().unwrap_or(0);
        peaks.entry((key.0, key.2, key.3)).or_default().push(peak);
    }
    for list in peaks.values_mut() {
        list.sort_unstable();
    }
    let mut windows: HashMap<(u8, u32), Vec<VolumeWindow>> = HashMap::new();
    let mut keys: Vec<&Key> = series.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let Some(hours) = series.get(key) else {
            continue;
        };
        if hours.iter().all(|h| u64::from(h.1) < o.min_volume) {
            continue;
        }
        let entity_hours = active.get(&(key.0, key.1)).map_or(&[][..], Vec::as_slice);
        let peer_list = peaks
            .get(&(key.0, key.2, key.3))
            .map_or(&[][..], Vec::as_slice);
        let peers = peer_list.len().saturating_sub(1);
        let peer = if peers >= o.min_peers {
            f64::from(peer_list.get(peer_list.len() / 2).copied().unwrap_or(0))
        } else {
            0.0
        };
        let (mut sum, mut own_peak) = (0u64, 0u64);
        let mut open: Option<VolumeWindow> = None;
        for &(hour, n) in hours {
            let n = u64::from(n);
            if let Some(w) = open.as_mut() {
                if hour <= w.end_hour + 1 && n as f64 >= o.volume_ratio * w.expected {
                    w.end_hour = hour;
                    w.count += n;
                    sum += n;
                    own_peak = own_peak.max(n);
                    continue;
                }
                if let Some(w) = open.take() {
                    windows.entry((key.0, key.1)).or_default().push(w);
                }
            }
            let history_hours = entity_hours.partition_point(|&h| h < hour) as u64;
            // Peers alone are no evidence: a new batch job reads more than people do.
            let evidence = history_hours >= o.min_history_hours;
            let usual = if history_hours > 0 {
                sum as f64 / history_hours as f64
            } else {
                0.0
            };
            let expected = usual.max(own_peak as f64).max(peer).max(1.0);
            let probability = upper_tail(n, expected);
            if evidence
                && n >= o.min_volume
                && n as f64 >= o.volume_ratio * expected
                && probability <= o.alpha
            {
                open = Some(VolumeWindow {
                    api: (key.2, key.3),
                    start_hour: hour,
                    end_hour: hour,
                    count: n,
                    usual,
                    own_peak,
                    peer,
                    expected,
                    probability,
                });
            }
            // Every hour joins the history, flagged or not: what recurs becomes usual (the
            // nightly backup), and a window's later hours are judged by the window's start.
            sum += n;
            own_peak = own_peak.max(n);
        }
        if let Some(w) = open {
            windows.entry((key.0, key.1)).or_default().push(w);
        }
    }
    // One anomaly per entity and overlapping windows; the same events seen as another entity
    // kind (a user's key, its address) join the first as `also`.
    let mut entities: Vec<(u8, u32)> = windows.keys().copied().collect();
    entities.sort_unstable();
    let mut out: Vec<BehaviourAnomaly> = Vec::new();
    for entity in entities {
        let Some(mut list) = windows.remove(&entity) else {
            continue;
        };
        list.sort_by_key(|w| (w.start_hour, w.api));
        let kind = EntityKind::ALL
            .get(usize::from(entity.0))
            .copied()
            .unwrap_or(EntityKind::Principal);
        let value = text(store, kind.field(), entity.1);
        let mut groups: Vec<Vec<VolumeWindow>> = Vec::new();
        for w in list {
            match groups.last_mut() {
                Some(g) if g.iter().any(|x| w.start_hour <= x.end_hour + 1) => g.push(w),
                _ => groups.push(vec![w]),
            }
        }
        for group in groups {
            let anomaly = volume_anomaly(store, kind, &value, group);
            if let Some(same) = out.iter_mut().find(|a| same_events(a, &anomaly)) {
                same.also.push(anomaly.entity);
            } else {
                out.push(anomaly);
            }
        }
    }
    out
}

/// Whether two volume anomalies are the same burst seen through two entity kinds.
fn same_events(a: &BehaviourAnomaly, b: &BehaviourAnomaly) -> bool {
    fn apis(x: &BehaviourAnomaly) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = x
            .volumes
            .iter()
            .map(|v| (v.event_source.as_str(), v.event_name.as_str()))
            .collect();
        v.sort_unstable();
        v
    }
    a.kind == BehaviourKind::Volume
        && a.entity.kind != b.entity.kind
        && a.start_millis < b.end_millis
        && b.start_millis < a.end_millis
        && apis(a) == apis(b)
        && (a.events as f64 - b.events as f64).abs() <= 0.1 * a.events.max(b.events) as f64
}

fn volume_anomaly(
    store: &Store,
    kind: EntityKind,
    value: &str,
    group: Vec<VolumeWindow>,
) -> BehaviourAnomaly {
    let start = group.iter().map(|w| w.start_hour).min().unwrap_or(0);
    let end = group.iter().map(|w| w.end_hour).max().unwrap_or(0) + 1;
    let volumes: Vec<ApiVolume> = group
        .iter()
        .map(|w| ApiVolume {
            event_source: text(store, Field::EventSource, w.api.0),
            event_name: text(store, Field::EventName, w.api.1),
            count: w.count,
            usual_per_hour: w.usual,
            own_peak_per_hour: w.own_peak,
            peer_peak_per_hour: w.peer,
            probability: w.probability,
        })
        .collect();
    let events: u64 = group.iter().map(|w| w.count).sum();
    let score = group
        .iter()
        .zip(&volumes)
        .map(|(w, v)| {
            let hours = (w.end_hour - w.start_hour + 1) as f64;
            surprise(w.count as f64, w.expected * hours, w.probability)
                * api_sensitivity(&v.event_source, &v.event_name)
        })
        .fold(0.0, f64::max);
    let apis: Vec<String> = volumes
        .iter()
        .map(|v| {
            format!(
                "{} {} calls of {} (usually {:.1} per active hour, own peak {}, peers' peak {:.0})",
                v.count,
                v.event_name,
                v.event_source.trim_end_matches(".amazonaws.com"),
                v.usual_per_hour,
                v.own_peak_per_hour,
                v.peer_peak_per_hour
            )
        })
        .collect();
    let mut filter_terms = vec![FilterTerm::new(kind.path(), value)];
    if let [only] = volumes.as_slice() {
        filter_terms.push(FilterTerm::new("eventName", &only.event_name));
    }
    BehaviourAnomaly {
        computed_by_trailscope: true,
        kind: BehaviourKind::Volume,
        entity: EntityRef {
            kind,
            value: value.to_string(),
        },
        also: Vec::new(),
        identity_type: String::new(),
        start_millis: start * HOUR,
        end_millis: end * HOUR,
        events,
        summary: format!(
            "{value} made {} between {} and {}.",
            apis.join("; "),
            when(start * HOUR),
            when(end * HOUR)
        ),
        volumes,
        novelties: Vec::new(),
        novelties_omitted: 0,
        history_events: 0,
        history_hours: 0,
        top_source_ips: Vec::new(),
        top_user_agents: Vec::new(),
        top_apis: Vec::new(),
        score,
        filter_terms,
    }
}

/// The product of a user agent (`aws-cli/2.15.30 Python/3.11` → `aws-cli`): versions change
/// every week, tools do not.
fn agent_product(agent: &str) -> &str {
    let first = agent.split([' ', '/', '(']).next().unwrap_or(agent);
    if first.is_empty() {
        agent
    } else {
        first
    }
}

/// Record fields that name the resource of a sensitive call, in order of preference.
const RESOURCE_PATHS: [&[&str]; 11] = [
    &["requestParameters", "bucketName"],
    &["requestParameters", "userName"],
    &["requestParameters", "roleName"],
    &["requestParameters", "groupName"],
    &["requestParameters", "policyArn"],
    &["requestParameters", "keyId"],
    &["requestParameters", "name"],
    &["requestParameters", "trailName"],
    &["requestParameters", "snapshotId"],
    &["requestParameters", "imageId"],
    &["requestParameters", "detectorId"],
];

/// The resources of `rows` (sensitive calls), reading each record block once.
fn resources_of(store: &Store, rows: &[usize]) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    store.records().with_records(rows, |row, bytes| {
        if let Some(resource) = serde_json::from_slice(bytes)
            .ok()
            .and_then(|r| resource_in(&r))
        {
            out.insert(row as u32, resource);
        }
    });
    out
}

fn resource_in(record: &serde_json::Value) -> Option<String> {
    for path in RESOURCE_PATHS {
        let value = path.iter().try_fold(record, |v, k| v.get(k));
        if let Some(s) = value.and_then(serde_json::Value::as_str) {
            return Some(s.to_string());
        }
    }
    record
        .get("resources")?
        .get(0)?
        .get("ARN")?
        .as_str()
        .map(str::to_string)
}

/// A novelty being collected: its dimension, value, first time, events, weight.
struct Seen {
    dimension: Dimension,
    value: String,
    first_millis: i64,
    events: u64,
    weight: f64,
}

/// First uses listed per dimension in one card, at most (the rest are counted).
const MAX_LISTED_PER_DIMENSION: usize = 20;

/// The novelties of one principal close in time (each within an hour of the previous).
struct Window {
    items: Vec<Seen>,
    index: HashMap<(Dimension, String), usize>,
    span: (i64, i64),
    kind: BehaviourKind,
    /// Events and active hours of the principal before the window.
    history: (u64, u64),
}

impl Window {
    fn new(at: i64, kind: BehaviourKind, history: (u64, u64)) -> Window {
        Window {
            items: Vec::new(),
            index: HashMap::new(),
            span: (at, at),
            kind,
            history,
        }
    }

    fn add(&mut self, seen: Seen) {
        let key = (seen.dimension, seen.value.clone());
        match self.index.get(&key).and_then(|&i| self.items.get_mut(i)) {
            Some(s) => s.events += 1,
            None => {
                self.index.insert(key, self.items.len());
                self.items.push(seen);
            }
        }
    }
}

/// How often a principal meets new values of each dimension once its history is mature: a
/// principal that shows a new address every few calls (a service behind a fleet, a phone on
/// mobile networks) gains nothing by one more, while the first new address in months matters.
/// Counted over the whole history: a stable principal meets few new values in its first day
/// (a handful of APIs, one address), a churning one meets new ones all along.
#[derive(Default)]
struct Churn {
    events: u64,
    novel: [u64; 6],
}

impl Churn {
    fn slot(dimension: Dimension) -> usize {
        dimension as usize
    }

    /// The share of a novelty's weight still earned in `dimension`.
    fn factor(&self, dimension: Dimension) -> f64 {
        if self.events < 50 {
            return 1.0;
        }
        let novel = self.novel.get(Self::slot(dimension)).copied().unwrap_or(0);
        (1.0 - 20.0 * novel as f64 / self.events as f64).max(0.0)
    }

    fn count(&mut self, dimension: Dimension) {
        if let Some(n) = self.novel.get_mut(Self::slot(dimension)) {
            *n += 1;
        }
    }
}

/// A principal's first uses, found principal by principal in steps of about
/// [`ROWS_PER_STEP`] rows.
struct FirstUses {
    by_principal: HashMap<u32, Vec<usize>>,
    /// The rounds reading the resources of sensitive calls.
    resources: ResourceRounds,
    /// The resource of each sensitive call read from its record.
    resource_at: HashMap<u32, String>,
    /// The principals in order; those from `next` on are still to go through.
    principals: Vec<u32>,
    next: usize,
    out: Vec<BehaviourAnomaly>,
}

/// The sensitive calls whose resources are read, round by round.
struct ResourceRounds {
    /// Per principal and API: its calls' rows in time order, whether it is the root user's
    /// (all read), the resources seen, and how many calls are read.
    pending: Vec<(Vec<u32>, bool, HashSet<String>, usize)>,
    /// Calls of each pair the next round reads.
    chunk: usize,
    /// The round under way: its rows in order, how many are read, what they held.
    wanted: Vec<usize>,
    read_upto: usize,
    read: HashMap<u32, String>,
}

/// Of an API (source and name codes), how sensitive it is; computed once per API.
fn sensitivity_by_api(store: &Store) -> impl FnMut(&RowCodes) -> f64 + '_ {
    let sources = store.column(Field::EventSource);
    let names = store.column(Field::EventName);
    let mut sensitivity: HashMap<(u32, u32), f64> = HashMap::new();
    move |c: &RowCodes| {
        *sensitivity.entry((c.source, c.name)).or_insert_with(|| {
            api_sensitivity(
                sources.value(c.source).unwrap_or(""),
                names.value(c.name).unwrap_or(""),
            )
        })
    }
}

impl FirstUses {
    /// Groups the rows by principal and lists the sensitive calls whose resources are read.
    fn new(store: &Store, rows: &[(u32, RowCodes)]) -> FirstUses {
        let mut by_principal: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, (_, c)) in rows.iter().enumerate() {
            if c.entity[0] != 0 {
                by_principal.entry(c.entity[0]).or_default().push(i);
            }
        }
        let mut sensitive_of = sensitivity_by_api(store);
        // The resources of sensitive calls (identity, logging, key and policy changes), from their
        // records. Per principal and API only the first calls matter: once it has used the API on
        // more than `max_known_resources` resources, no further one is rare. So records are read in
        // rounds, each pair's next calls until it has that many, each round one pass over the
        // blocks it needs; the root user's calls are all read (every one matters).
        let mut pairs: HashMap<(u32, u32, u32), Vec<(i64, u32)>> = HashMap::new();
        for (row, c) in rows {
            if c.entity[0] != 0 && sensitive_of(c) >= 3.0 {
                pairs
                    .entry((c.entity[0], c.source, c.name))
                    .or_default()
                    .push((c.millis, *row));
            }
        }
        let root_codes: HashSet<u32> = pairs
            .keys()
            .map(|k| k.0)
            .filter(|&p| {
                store
                    .column(Field::PrincipalArn)
                    .value(p)
                    .is_some_and(|a| a.ends_with(":root"))
            })
            .collect();
        let pending: Vec<(Vec<u32>, bool, HashSet<String>, usize)> = pairs
            .into_iter()
            .map(|(key, mut calls)| {
                calls.sort_unstable();
                let root = root_codes.contains(&key.0);
                (
                    calls.into_iter().map(|c| c.1).collect(),
                    root,
                    HashSet::new(),
                    0,
                )
            })
            .collect();
        let mut principals: Vec<u32> = by_principal.keys().copied().collect();
        principals.sort_unstable();
        FirstUses {
            by_principal,
            resources: ResourceRounds {
                pending,
                chunk: 8,
                wanted: Vec::new(),
                read_upto: 0,
                read: HashMap::new(),
            },
            resource_at: HashMap::new(),
            principals,
            next: 0,
            out: Vec::new(),
        }
    }

    /// Reads the resources of the sensitive calls in rounds: each pair's next calls until it
    /// has more than `max_known_resources`, each round one pass over the blocks it needs. A step
    /// reads the round's calls among at most `max_rows` rows (the blocks holding them); returns
    /// whether every round is done.
    fn read_resources(&mut self, store: &Store, o: &BehaviourOptions, max_rows: usize) -> bool {
        let rounds = &mut self.resources;
        if rounds.wanted.is_empty() {
            if rounds.pending.is_empty() || self.resource_at.len() >= o.max_records_read {
                return true;
            }
            let chunk = rounds.chunk;
            rounds.wanted = rounds
                .pending
                .iter()
                .flat_map(|(calls, root, _, at)| {
                    let take = if *root { calls.len() } else { chunk };
                    calls.iter().skip(*at).take(take).map(|&r| r as usize)
                })
                .collect();
            if rounds.wanted.is_empty() {
                return true;
            }
            rounds.wanted.sort_unstable();
            rounds.read_upto = 0;
            rounds.read.clear();
        }
        let left = rounds.wanted.get(rounds.read_upto..).unwrap_or_default();
        let window_end = left.first().map_or(0, |&r| r.saturating_add(max_rows));
        let upto = rounds.read_upto + left.partition_point(|&r| r < window_end);
        let batch = rounds
            .wanted
            .get(rounds.read_upto..upto)
            .unwrap_or_default();
        rounds.read.extend(resources_of(store, batch));
        rounds.read_upto = upto;
        if rounds.read_upto < rounds.wanted.len() {
            return false;
        }
        // The round is read: each pair takes what its calls held.
        let (chunk, read) = (rounds.chunk, &rounds.read);
        for (calls, root, distinct, at) in &mut rounds.pending {
            let take = if *root { calls.len() } else { chunk };
            for row in calls.iter().skip(*at).take(take) {
                if let Some(r) = read.get(row) {
                    distinct.insert(r.clone());
                    self.resource_at.insert(*row, r.clone());
                }
            }
            *at = if *root || distinct.len() > o.max_known_resources {
                calls.len()
            } else {
                *at + take
            };
        }
        rounds.pending.retain(|(calls, _, _, at)| *at < calls.len());
        rounds.chunk *= 2;
        rounds.wanted.clear();
        false
    }

    /// Goes through the next principals, about `max_rows` of their rows; returns whether every
    /// principal is done.
    fn advance(
        &mut self,
        store: &Store,
        rows: &[(u32, RowCodes)],
        o: &BehaviourOptions,
        max_rows: usize,
    ) -> bool {
        let agents = store.column(Field::UserAgent);
        let products_of: Vec<&str> = (0..=agents.distinct() as u32)
            .map(|c| agents.value(c).map(agent_product).unwrap_or(""))
            .collect();
        let sources = store.column(Field::EventSource);
        let names = store.column(Field::EventName);
        let types = store.column(Field::IdentityType);
        let mut sensitive_of = sensitivity_by_api(store);
        let mut rows_done = 0usize;
        while rows_done < max_rows {
            let Some(&principal) = self.principals.get(self.next) else {
                break;
            };
            self.next += 1;
            let Some(mut list) = self.by_principal.remove(&principal) else {
                continue;
            };
            rows_done += list.len();
            list.sort_by_key(|&i| rows.get(i).map_or(0, |r| r.1.millis));
            let arn = text(store, Field::PrincipalArn, principal);
            let Some(&(first_row, first)) = list.first().and_then(|&i| rows.get(i)) else {
                continue;
            };
            let identity_type = types
                .codes()
                .get(first_row as usize)
                .and_then(|&c| types.value(c))
                .unwrap_or("")
                .to_string();
            let rank = privilege(&identity_type, &arn);
            let root = rank >= 3.0;
            let t0 = first.millis;
            let mut apis: HashSet<(u32, u32)> = HashSet::new();
            let mut services: HashSet<u32> = HashSet::new();
            let mut regions: HashSet<u32> = HashSet::new();
            let mut products: HashSet<&str> = HashSet::new();
            let mut ips: HashSet<u32> = HashSet::new();
            let mut resources: HashMap<(u32, u32), HashSet<String>> = HashMap::new();
            let mut churn = Churn::default();
            let mut window: Option<Window> = None;
            let mut hours_seen: HashSet<i64> = HashSet::new();
            let flush = |window: Option<Window>, out: &mut Vec<BehaviourAnomaly>| {
                let Some(w) = window else { return };
                let novelty: f64 = w.items.iter().map(|s| s.weight).sum::<f64>().min(12.0);
                let depth = 1.0 + (w.history.0.max(1) as f64).log10() / 4.0;
                let score = novelty * rank * depth;
                if score >= o.min_first_use_score {
                    out.push(first_use_anomaly(&arn, &identity_type, score, w));
                }
            };
            for (n, &i) in list.iter().enumerate() {
                let Some(&(row, c)) = rows.get(i) else {
                    continue;
                };
                let product = products_of.get(c.agent as usize).copied().unwrap_or("");
                let mature =
                    c.millis - t0 >= o.min_history_span_millis && n as u64 >= o.min_history_events;
                let sensitive = sensitive_of(&c);
                let api_text = || {
                    format!(
                        "{}:{}",
                        sources
                            .value(c.source)
                            .unwrap_or("")
                            .trim_end_matches(".amazonaws.com"),
                        names.value(c.name).unwrap_or("")
                    )
                };
                let new_api = apis.insert((c.source, c.name));
                let new_service = services.insert(c.source);
                let new_region = c.region != 0 && regions.insert(c.region);
                let new_product = !product.is_empty() && products.insert(product);
                let new_ip = c.entity[2] != 0 && ips.insert(c.entity[2]);
                // A sensitive call's resource, read from the record, while it can still be rare.
                let mut resource_note = None;
                if let Some(resource) = (sensitive >= 3.0)
                    .then(|| self.resource_at.get(&row))
                    .flatten()
                {
                    let known = resources.entry((c.source, c.name)).or_default();
                    if !known.contains(resource) && (mature || root) {
                        resource_note = Some((resource.clone(), known.len()));
                    }
                    if known.len() <= o.max_known_resources {
                        known.insert(resource.clone());
                    }
                }
                let mut found: Vec<Seen> = Vec::new();
                let mut kind = BehaviourKind::FirstUse;
                if mature || (root && sensitive >= 3.0) {
                    let mut push = |dimension: Dimension, value: String, weight: f64| {
                        found.push(Seen {
                            dimension,
                            value,
                            first_millis: c.millis,
                            events: 1,
                            weight: weight * churn.factor(dimension),
                        })
                    };
                    if new_api {
                        push(Dimension::Api, api_text(), sensitive);
                    }
                    if mature {
                        if new_service {
                            push(
                                Dimension::Service,
                                text(store, Field::EventSource, c.source),
                                1.0,
                            );
                        }
                        if new_region {
                            push(
                                Dimension::Region,
                                text(store, Field::AwsRegion, c.region),
                                2.0,
                            );
                        }
                        if new_product {
                            push(Dimension::UserAgent, product.to_string(), 0.7);
                        }
                        if new_ip {
                            push(
                                Dimension::SourceIp,
                                text(store, Field::SourceIp, c.entity[2]),
                                0.5,
                            );
                        }
                    }
                    if let Some((resource, known)) = resource_note {
                        let value = format!("{} on {resource}", api_text());
                        if new_api || root {
                            push(Dimension::Resource, value, 0.5 * sensitive);
                        } else if (1..=o.max_known_resources).contains(&known) {
                            kind = BehaviourKind::RareResource;
                            push(Dimension::Resource, value, sensitive);
                        }
                    }
                }
                churn.events += 1;
                for (new, dimension) in [
                    (new_api, Dimension::Api),
                    (new_service, Dimension::Service),
                    (new_region, Dimension::Region),
                    (new_product, Dimension::UserAgent),
                    (new_ip, Dimension::SourceIp),
                ] {
                    if new {
                        churn.count(dimension);
                    }
                }
                let history = (n as u64, hours_seen.len() as u64);
                hours_seen.insert(c.hour);
                let open = window.as_ref().is_some_and(|w| c.millis - w.span.1 <= HOUR);
                if found.is_empty() {
                    if let (true, Some(w)) = (open, window.as_mut()) {
                        // Repeats of an API new in the open window count as its events.
                        let key = (Dimension::Api, api_text());
                        if let Some(s) = w.index.get(&key).and_then(|&i| w.items.get_mut(i)) {
                            s.events += 1;
                        }
                    }
                    continue;
                }
                let joins = open
                    && window
                        .as_ref()
                        .is_some_and(|w| kind == w.kind || kind == BehaviourKind::FirstUse);
                if !joins {
                    flush(window.take(), &mut self.out);
                    window = Some(Window::new(c.millis, kind, history));
                }
                if let Some(w) = window.as_mut() {
                    w.span.1 = c.millis;
                    for f in found {
                        w.add(f);
                    }
                }
            }
            flush(window.take(), &mut self.out);
        }
        self.next >= self.principals.len()
    }
}

fn first_use_anomaly(arn: &str, identity_type: &str, score: f64, w: Window) -> BehaviourAnomaly {
    let (kind, (start, last), (history_events, history_hours)) = (w.kind, w.span, w.history);
    let mut listed: HashMap<Dimension, usize> = HashMap::new();
    let mut omitted = 0u64;
    let mut novelties: Vec<Novelty> = Vec::new();
    for s in w.items {
        let n = listed.entry(s.dimension).or_default();
        if *n >= MAX_LISTED_PER_DIMENSION {
            omitted += 1;
            continue;
        }
        *n += 1;
        novelties.push(Novelty {
            dimension: s.dimension,
            value: s.value,
            first_millis: s.first_millis,
            events: s.events,
        });
    }
    let mut list: Vec<String> = novelties
        .iter()
        .map(|n| format!("{} {}", n.dimension.label(), n.value))
        .collect();
    if omitted > 0 {
        list.push(format!("and {omitted} more"));
    }
    let summary = match kind {
        BehaviourKind::RareResource => format!(
            "{arn} made a sensitive call on a resource it had not touched with that call before: {}.",
            list.join(", ")
        ),
        _ if history_events < 20 => format!(
            "{arn} ({identity_type}) made sensitive calls with almost no earlier activity in the loaded events ({history_events} {}): {}.",
            if history_events == 1 { "event" } else { "events" },
            list.join(", ")
        ),
        _ => format!(
            "{arn} used for the first time, after {history_events} events over {history_hours} active hours: {}.",
            list.join(", ")
        ),
    };
    BehaviourAnomaly {
        computed_by_trailscope: true,
        kind,
        entity: EntityRef {
            kind: EntityKind::Principal,
            value: arn.to_string(),
        },
        also: Vec::new(),
        identity_type: identity_type.to_string(),
        start_millis: start,
        end_millis: last + 1,
        events: novelties.iter().map(|n| n.events).max().unwrap_or(0),
        volumes: Vec::new(),
        novelties,
        novelties_omitted: omitted,
        history_events,
        history_hours,
        top_source_ips: Vec::new(),
        top_user_agents: Vec::new(),
        top_apis: Vec::new(),
        summary,
        score,
        filter_terms: vec![FilterTerm::new(EntityKind::Principal.path(), arn)],
    }
}

/// What one anomaly's evidence pass counts.
#[derive(Default)]
struct Tally {
    ips: HashMap<u32, u64>,
    agents: HashMap<u32, u64>,
    apis: HashMap<(u32, u32), u64>,
    types: HashMap<u32, u64>,
    arns: HashMap<u32, u64>,
    before: u64,
    hours: HashSet<i64>,
}

/// Each anomaly's top values in its window, the principal's type and, for volume anomalies,
/// the history and the privilege-weighted score: one pass over the rows for all anomalies, in
/// steps of rows.
struct Evidence {
    /// (entity kind, code) → the anomalies about it.
    about: HashMap<(usize, u32), Vec<usize>>,
    tallies: Vec<Tally>,
    /// The rows before it are counted.
    next_row: usize,
    /// The anomalies before it are filled from the counts.
    filled: usize,
}

impl Evidence {
    fn new(store: &Store, anomalies: &[BehaviourAnomaly]) -> Evidence {
        let mut about: HashMap<(usize, u32), Vec<usize>> = HashMap::new();
        for (i, a) in anomalies.iter().enumerate() {
            let col = store.column(a.entity.kind.field());
            let code = col.code_of(&a.entity.value);
            let k = EntityKind::ALL
                .iter()
                .position(|&x| x == a.entity.kind)
                .unwrap_or(0);
            if let Some(code) = code {
                about.entry((k, code)).or_default().push(i);
            }
        }
        Evidence {
            about,
            tallies: anomalies.iter().map(|_| Tally::default()).collect(),
            next_row: 0,
            filled: 0,
        }
    }

    /// Counts the next `max_rows` rows; returns whether every row is counted.
    fn advance(
        &mut self,
        store: &Store,
        rows: &[(u32, RowCodes)],
        anomalies: &[BehaviourAnomaly],
        max_rows: usize,
    ) -> bool {
        let start = self.next_row.min(rows.len());
        let end = start.saturating_add(max_rows).min(rows.len());
        self.next_row = end;
        if self.about.is_empty() {
            self.next_row = rows.len();
            return true;
        }
        let type_codes = store.column(Field::IdentityType).codes();
        for &(row, c) in rows.get(start..end).unwrap_or_default() {
            for (k, &code) in c.entity.iter().enumerate() {
                let Some(list) = (code != 0).then(|| self.about.get(&(k, code))).flatten() else {
                    continue;
                };
                for &i in list {
                    let (Some(a), Some(t)) = (anomalies.get(i), self.tallies.get_mut(i)) else {
                        continue;
                    };
                    if c.millis < a.start_millis {
                        t.before += 1;
                        t.hours.insert(c.hour);
                    } else if c.millis < a.end_millis {
                        *t.ips.entry(c.entity[2]).or_default() += 1;
                        *t.agents.entry(c.agent).or_default() += 1;
                        *t.apis.entry((c.source, c.name)).or_default() += 1;
                        *t.arns.entry(c.entity[0]).or_default() += 1;
                        let ty = type_codes.get(row as usize).copied().unwrap_or(0);
                        *t.types.entry(ty).or_default() += 1;
                    }
                }
            }
        }
        self.next_row >= rows.len()
    }

    /// Fills the next `max` anomalies from the counts, once every row is counted; returns
    /// whether every anomaly is filled.
    fn fill(&mut self, store: &Store, anomalies: &mut [BehaviourAnomaly], max: usize) -> bool {
        if self.about.is_empty() {
            return true;
        }
        let start = self.filled.min(anomalies.len());
        let end = start.saturating_add(max).min(anomalies.len());
        self.filled = end;
        let tallies = self
            .tallies
            .get_mut(start..end)
            .unwrap_or_default()
            .iter_mut()
            .map(std::mem::take);
        for (a, t) in anomalies
            .get_mut(start..end)
            .unwrap_or_default()
            .iter_mut()
            .zip(tallies)
        {
            let top = |m: HashMap<u32, u64>, f: Field| -> Vec<TopValue> {
                let mut v: Vec<(u32, u64)> = m.into_iter().filter(|e| e.0 != 0).collect();
                v.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
                v.into_iter()
                    .take(5)
                    .map(|(c, count)| TopValue {
                        value: text(store, f, c),
                        count,
                    })
                    .collect()
            };
            let window_events: u64 = t.apis.values().sum();
            let mut api_list: Vec<((u32, u32), u64)> = t.apis.into_iter().collect();
            api_list.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            a.top_apis = api_list
                .into_iter()
                .take(5)
                .map(|((s, n), count)| TopValue {
                    value: format!(
                        "{}:{}",
                        text(store, Field::EventSource, s).trim_end_matches(".amazonaws.com"),
                        text(store, Field::EventName, n)
                    ),
                    count,
                })
                .collect();
            a.top_source_ips = top(t.ips, Field::SourceIp);
            a.top_user_agents = top(t.agents, Field::UserAgent);
            let main_arn = top(t.arns, Field::PrincipalArn)
                .first()
                .map(|v| v.value.clone())
                .unwrap_or_default();
            if a.identity_type.is_empty() {
                a.identity_type = top(t.types, Field::IdentityType)
                    .first()
                    .map(|v| v.value.clone())
                    .unwrap_or_default();
            }
            if a.kind != BehaviourKind::Volume {
                // The principal's events in the window, not only the new ones.
                a.events = window_events.max(a.events);
            }
            if a.kind == BehaviourKind::Volume {
                a.history_events = t.before;
                a.history_hours = t.hours.len() as u64;
                a.score *= privilege(&a.identity_type, &main_arn);
            }
        }
        self.filled >= anomalies.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_products_drop_versions() {
        assert_eq!(
            agent_product("aws-cli/2.15.30 Python/3.11.8 Linux"),
            "aws-cli"
        );
        assert_eq!(agent_product("Boto3/1.34.1 md/Botocore#1.34.1"), "Boto3");
        assert_eq!(
            agent_product("console.amazonaws.com"),
            "console.amazonaws.com"
        );
        assert_eq!(agent_product("[S3Console/0.4]"), "[S3Console");
    }
}
