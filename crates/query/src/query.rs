//! The page's one call: a filter's count, facets, timeline and first page of rows, as plain data.

use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Store, Tri};

use crate::eval::Groups;
use crate::facets::{facets as facets_of, Facet};
use crate::filter::{Filter, Pattern, Test, Value};
use crate::histogram::{histogram, Histogram};
use crate::key::Key;
use crate::parse::ParseError;
use trailscope_store::RowSet;

/// Which end of time rows start from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Newest first, as the console lists events (events without a time last).
    #[default]
    NewestFirst,
    /// Oldest first (events without a time first).
    OldestFirst,
}

/// What the page asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryRequest {
    /// The filter expression (empty: every event).
    pub filter: String,
    /// Row order.
    pub order: Order,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return.
    pub limit: usize,
    /// Values listed per facet.
    pub facet_limit: usize,
}

impl Default for QueryRequest {
    fn default() -> Self {
        QueryRequest {
            filter: String::new(),
            order: Order::NewestFirst,
            offset: 0,
            limit: 100,
            facet_limit: 10,
        }
    }
}

/// One event as the table shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    /// The row's index in the store (for the detail view: `Store::raw`).
    pub row: u32,
    /// `eventTime`, milliseconds since the epoch.
    pub time: Option<i64>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// The caller as people read it.
    pub user: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// `errorCode`, or `errorMessage` when there is no code.
    pub error: Option<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `readOnly`.
    pub read_only: Option<bool>,
    /// The integrity of the event's file (`verified`, `failed`, ...), once verified.
    pub integrity: Option<String>,
    /// Whether another file holds a different copy of this event.
    #[serde(default)]
    pub conflict: bool,
    /// `userIdentity.type`.
    pub identity_type: Option<String>,
    /// `userIdentity.accessKeyId`.
    pub access_key_id: Option<String>,
    /// `userIdentity.arn`.
    pub principal_arn: Option<String>,
    /// `recipientAccountId`, else the caller's account.
    pub account: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `eventType`.
    pub event_type: Option<String>,
    /// `eventCategory`.
    pub event_category: Option<String>,
}

impl EventRow {
    /// The table row for store row `row`.
    pub fn new(store: &Store, row: u32) -> Self {
        let r = row as usize;
        let get = |field: Field| store.value(field, r).map(str::to_string);
        EventRow {
            row,
            time: store.time_at(r).map(|t| t.unix_millis()),
            event_name: get(Field::EventName),
            event_source: get(Field::EventSource),
            user: get(Field::User),
            source_ip: get(Field::SourceIp),
            region: get(Field::AwsRegion),
            error: get(Field::ErrorCode).or_else(|| get(Field::ErrorMessage)),
            event_id: store.event_id(r).map(str::to_string),
            read_only: match store.read_only(r) {
                Tri::Unknown => None,
                t => t.to_option(),
            },
            integrity: store.integrity(r).map(|i| i.as_str().to_string()),
            conflict: store.has_conflict(r),
            identity_type: get(Field::IdentityType),
            access_key_id: get(Field::AccessKeyId),
            principal_arn: get(Field::PrincipalArn),
            account: get(Field::Account),
            user_agent: get(Field::UserAgent),
            event_type: get(Field::EventType),
            event_category: get(Field::EventCategory),
        }
    }
}

/// What the page shows for a filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// The filter in canonical form.
    pub filter: String,
    /// Events the filter selects.
    pub total: u64,
    /// Events in the store.
    pub events: u64,
    /// The requested page of rows.
    pub rows: Vec<EventRow>,
    /// One facet per string column, then `readOnly`, `mfa`, `error`, `integrity`.
    pub facets: Vec<Facet>,
    /// The selected events over time.
    pub histogram: Histogram,
    /// When nothing matches because a value was written whole where its start was meant
    /// (`eventName:Create`), the filter with that value as a prefix, and what it would match.
    #[serde(default)]
    pub suggestion: Option<Suggestion>,
}

/// A filter to try instead of one that matched nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The whole filter, in canonical form, with the one term changed.
    pub filter: String,
    /// The changed term as it now reads (`eventName:Create*`).
    pub term: String,
    /// Events it selects.
    pub total: u64,
}

/// For a filter that selects nothing: the first positive whole-value term on a column whose
/// value, read as a prefix, would select something (the other terms unchanged).
pub fn wildcard_suggestion(store: &Store, filter: &Filter) -> Option<Suggestion> {
    filter.terms.iter().enumerate().find_map(|(i, term)| {
        let Test::Field(key @ Key::Column(_), Value::Pattern(Pattern::Exact(value))) = &term.test
        else {
            return None;
        };
        if term.negated {
            return None;
        }
        let mut wider = filter.clone();
        let changed = wider.terms.get_mut(i)?;
        changed.test = Test::Field(key.clone(), Value::Pattern(Pattern::Prefix(value.clone())));
        let term = changed.to_string();
        let total = crate::eval::matches(store, &wider).len() as u64;
        (total > 0).then(|| Suggestion {
            filter: wider.to_string(),
            term,
            total,
        })
    })
}

/// Runs a request: parses the filter, evaluates it, counts facets, builds the timeline and
/// the page of rows. Takes the store mutably only for its time order, built once after loads.
pub fn run_query(store: &mut Store, request: &QueryRequest) -> Result<QueryResponse, ParseError> {
    run_query_within(store, request, None).map(|(response, _)| response)
}

/// [`run_query`] restricted to `within` (rows a detection rule matched, say): the count, the
/// facets, the timeline and the rows all lie inside it. Also returns the selection, for later
/// pages and exports.
pub fn run_query_within(
    store: &mut Store,
    request: &QueryRequest,
    within: Option<RowSet>,
) -> Result<(QueryResponse, RowSet), ParseError> {
    let filter = Filter::parse(&request.filter)?;
    let restricted = within.is_some();
    let groups = Groups::evaluate(store, &filter, true, within);
    let selection = groups.selection_without(None);
    let facets = facets_of(store, &groups, &selection, request.facet_limit);
    let histogram = histogram(store, &selection);
    let page = page(
        store,
        &selection,
        request.order,
        request.offset,
        request.limit,
    );
    let suggestion = if selection.is_empty() && !restricted {
        wildcard_suggestion(store, &filter)
    } else {
        None
    };
    let response = QueryResponse {
        filter: filter.to_string(),
        suggestion,
        total: selection.len() as u64,
        events: store.len() as u64,
        rows: page.into_iter().map(|r| EventRow::new(store, r)).collect(),
        facets,
        histogram,
    };
    Ok((response, selection))
}

/// The facets of `filter` (see [`crate::facets`] for what each counts).
pub fn facets(store: &Store, filter: &Filter, limit: usize) -> Vec<Facet> {
    let groups = Groups::evaluate(store, filter, true, None);
    let selection = groups.selection_without(None);
    facets_of(store, &groups, &selection, limit)
}

/// `limit` rows of `selection` after skipping `offset`, in time order.
pub fn page(
    store: &mut Store,
    selection: &RowSet,
    order: Order,
    offset: usize,
    limit: usize,
) -> Vec<u32> {
    let sorted = store.time_order();
    let selected = |r: &&u32| selection.contains(**r as usize);
    match order {
        Order::OldestFirst => sorted
            .iter()
            .filter(selected)
            .skip(offset)
            .take(limit)
            .copied()
            .collect(),
        Order::NewestFirst => sorted
            .iter()
            .rev()
            .filter(selected)
            .skip(offset)
            .take(limit)
            .copied()
            .collect(),
    }
}

/// Every row of `selection`, in time order (for exports).
pub fn ordered(store: &mut Store, selection: &RowSet, order: Order) -> Vec<u32> {
    page(store, selection, order, 0, usize::MAX)
}
