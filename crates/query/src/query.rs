//! The page's one call: a filter's count, facets, timeline and first page of rows, as plain data.

use serde::{Deserialize, Serialize};
use trailscope_store::{Field, Store, Tri};

use crate::eval::Groups;
use crate::facets::{facets as facets_of, Facet};
use crate::filter::{Filter, Pattern, Test, Value};
use crate::histogram::{histogram, Histogram};
use crate::key::Key;
use crate::parse::{ParseError, ParseErrorKind};
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

/// A column the rows are sorted by, as the table's header asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortBy {
    /// The field, as the filter language names it (`eventName`, `user`, `ip`, ...).
    pub field: String,
    /// Largest value first (rows without a value stay last either way).
    pub descending: bool,
}

/// How the rows of a result are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sorting {
    /// By time.
    Time(Order),
    /// By a string column's value, then time; rows without a value last.
    Column {
        /// The column.
        field: Field,
        /// Largest value (and, among equals, newest) first.
        descending: bool,
    },
}

impl From<Order> for Sorting {
    fn from(order: Order) -> Self {
        Sorting::Time(order)
    }
}

impl Sorting {
    /// Whether the table can be sorted by `field` (the store's columns and time, by any of
    /// their names).
    pub fn sortable(field: &str) -> bool {
        matches!(Key::from_name(field), Some(Key::Column(_)))
            || Key::from_name(field).is_some_and(|k| k.is_time())
    }

    /// The sorting a request asks for: its column when it names one, else its time order.
    /// A field that is not one of the store's columns (only those are held sorted) is refused
    /// with its name, never quietly read as time.
    pub fn of(request: &QueryRequest) -> Result<Sorting, ParseError> {
        let Some(sort) = &request.sort else {
            return Ok(Sorting::Time(request.order));
        };
        match Key::from_name(&sort.field) {
            Some(Key::Column(field)) => Ok(Sorting::Column {
                field,
                descending: sort.descending,
            }),
            Some(key) if key.is_time() => Ok(Sorting::Time(if sort.descending {
                Order::NewestFirst
            } else {
                Order::OldestFirst
            })),
            _ => Err(ParseError {
                kind: ParseErrorKind::BadSort,
                start: 0,
                end: 0,
                message: format!(
                    "the table cannot be sorted by {:?}: sort by time or by one of its columns",
                    sort.field
                ),
            }),
        }
    }
}

/// What the page asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryRequest {
    /// The filter expression (empty: every event).
    pub filter: String,
    /// Row order by time (when `sort` is not given).
    pub order: Order,
    /// Sort by a column instead of time.
    pub sort: Option<SortBy>,
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
            sort: None,
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
    /// The values of the columns read from the record that were asked for, in the order asked
    /// ([`crate::columns::rows_with`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Vec<String>>,
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
            extra: Vec::new(),
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
    let sorting = Sorting::of(request)?;
    let restricted = within.is_some();
    let groups = Groups::evaluate(store, &filter, true, within);
    let selection = groups.selection_without(None);
    let facets = facets_of(store, &groups, &selection, request.facet_limit);
    let histogram = histogram(store, &selection);
    let page = page(store, &selection, sorting, request.offset, request.limit);
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

/// `limit` rows of `selection` after skipping `offset`, in the given order.
pub fn page(
    store: &mut Store,
    selection: &RowSet,
    sorting: impl Into<Sorting>,
    offset: usize,
    limit: usize,
) -> Vec<u32> {
    let selected = |r: &&u32| selection.contains(**r as usize);
    let take = |rows: &mut dyn Iterator<Item = &u32>| -> Vec<u32> {
        rows.filter(selected)
            .skip(offset)
            .take(limit)
            .copied()
            .collect()
    };
    match sorting.into() {
        Sorting::Time(Order::OldestFirst) => take(&mut store.time_order().iter()),
        Sorting::Time(Order::NewestFirst) => take(&mut store.time_order().iter().rev()),
        Sorting::Column { field, descending } => {
            let order = store.column_order(field);
            let (with_value, without) = order.rows.split_at(order.with_value);
            if descending {
                // Rows without a value stay last, newest first like the rest.
                take(&mut with_value.iter().rev().chain(without.iter().rev()))
            } else {
                take(&mut with_value.iter().chain(without))
            }
        }
    }
}

/// Every row of `selection`, in the given order (for exports).
pub fn ordered(store: &mut Store, selection: &RowSet, sorting: impl Into<Sorting>) -> Vec<u32> {
    page(store, selection, sorting, 0, usize::MAX)
}
