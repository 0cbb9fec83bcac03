//! The page's requests to the store worker (queries, windows, exports, detection, verification,
//! trusted keys).

use crate::state::AppState;
use leptos::prelude::*;
use trailscope_protocol::{Request, RequestId, TrustedKeyList};

use super::*;

/// Rows asked for per window.
pub(super) const FACET_VALUES: usize = 8;

/// Applies the current filter: count, facets, timeline and the first rows.
pub fn run_query(state: AppState) {
    let id = next_id();
    state.query_request.set(Some(id));
    let order = if state.oldest_first.get_untracked() {
        trailscope_query::Order::OldestFirst
    } else {
        trailscope_query::Order::NewestFirst
    };
    send(&Request::Query {
        id,
        query: trailscope_query::QueryRequest {
            filter: state.filter.get_untracked(),
            order,
            sort: state.sort.get_untracked(),
            offset: 0,
            limit: 0,
            facet_limit: FACET_VALUES,
        },
    });
    save_view(state);
}

/// Adds a term to the filter and applies it.
pub fn add_filter_term(state: AppState, term: &str) {
    state
        .filter
        .update(|f| *f = trailscope_query::edit::with_term(f, term));
    run_query(state);
}

/// Asks for rows `offset..offset + limit` of the current selection (once per window).
pub fn request_window(state: AppState, offset: u64, limit: u64) {
    if state
        .window_request
        .get_untracked()
        .is_some_and(|(_, at)| at == offset)
    {
        return;
    }
    let id = next_id();
    state.window_request.set(Some((id, offset)));
    send(&Request::Window {
        id,
        offset,
        limit: u32::try_from(limit).unwrap_or(u32::MAX),
        columns: crate::columns::record_ids(&state.columns.get_untracked()),
    });
}

/// Opens an event in the detail view.
pub fn open_event(row: u32) {
    send(&Request::Record { id: next_id(), row });
}

/// Opens the event with this `eventID` in the Events view's detail.
pub fn open_event_id(state: AppState, event_id: String) {
    state.tab.set(crate::state::Tab::Events);
    send(&Request::FindEvent {
        id: next_id(),
        event_id,
    });
}

/// Asks for `limit` values of one facet containing `search`, under the filter of the result
/// on screen; the answer arrives in `state.facet_values` under the returned id.
pub fn request_facet_values(state: AppState, field: &str, search: &str, limit: u64) -> RequestId {
    let id = next_id();
    send(&Request::FacetValues {
        id,
        filter: state
            .query
            .with_untracked(|q| q.as_ref().map(|q| q.filter.clone()).unwrap_or_default()),
        field: field.to_string(),
        search: search.to_string(),
        limit,
    });
    id
}

/// Exports the current selection; a CSV with `table_columns` has the table's columns (in its
/// order, record columns included) instead of the console's.
pub fn request_export(
    state: AppState,
    format: trailscope_query::ExportFormat,
    table_columns: bool,
) {
    let id = next_id();
    EXPORT_CHUNKS.with(|c| c.borrow_mut().clear());
    state.export.set(crate::state::ExportState {
        id: Some(id),
        done: 0,
        total: state
            .query
            .with_untracked(|q| q.as_ref().map_or(0, |q| q.total)),
        parquet: false,
    });
    let columns = if table_columns {
        state.columns.get_untracked()
    } else {
        Vec::new()
    };
    send(&Request::Export {
        id,
        format,
        columns,
    });
}

/// Runs the detection rules and the anomaly model.
pub fn request_detect(state: AppState) {
    let id = next_id();
    state.detecting.set(Some(id));
    send(&Request::Detect {
        id,
        options: trailscope_protocol::DetectOptions {
            rule_files: state.rule_files.get_untracked(),
            business_hours: Some(state.business_hours.get_untracked()),
            only: state.rules_only.get_untracked(),
            exclude: state.rules_excluded.get_untracked(),
        },
    });
}

/// Asks for the original JSON of an event.
pub fn request_record(row: u32) {
    send(&Request::Record { id: next_id(), row });
}

/// What to verify: the page's choices in the Verify view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VerifyChoices {
    /// Only digests from this time (RFC 3339 or a date); empty for no limit.
    pub start: String,
    /// Only digests up to this time.
    pub end: String,
    /// aws-cli's exact verdicts.
    pub aws_cli_compat: bool,
    /// The case reference printed on the report.
    pub case: String,
    /// The analyst printed on the report.
    pub analyst: String,
}

/// Verifies the integrity of everything loaded.
pub fn request_verify(state: AppState, choices: &VerifyChoices) {
    state.verify_choices.set(choices.clone());
    let id = next_id();
    state.verifying.set(Some(id));
    state.verify_error.set(None);
    let checked_at = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let given = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    send(&Request::Verify {
        id,
        start: given(&choices.start),
        end: given(&choices.end),
        aws_cli_compat: choices.aws_cli_compat,
        checked_at,
        case: choices.case.trim().to_string(),
        analyst: choices.analyst.trim().to_string(),
    });
}

/// Where the trusted keys are remembered: this tab's session storage, so they survive a
/// reload but not the browser session, and never leave the browser.
pub(super) const TRUSTED_KEYS_STORAGE: &str = "trailscope.trusted-keys";

/// Makes `lists` the trusted public keys (replacing any given before), remembers them for the
/// session and re-verifies what is loaded.
pub fn set_trusted_keys(state: AppState, lists: Vec<TrustedKeyList>) {
    let saved = serde_json::to_string(&lists)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            web_sys::window()
                .and_then(|w| w.session_storage().ok().flatten())
                .ok_or_else(|| "this browser has no session storage".to_string())?
                .set_item(TRUSTED_KEYS_STORAGE, &json)
                .map_err(|_| {
                    "the browser refused to store them (storage full or disabled)".to_string()
                })
        });
    if let Err(why) = saved {
        state.error.set(Some(format!(
            "The trusted keys are used but not remembered after a reload: {why}."
        )));
    }
    state.trusted_lists.set(lists.clone());
    send(&Request::SetTrustedKeys {
        id: next_id(),
        lists,
    });
}

/// The trusted keys remembered for this session, sent to the worker at start.
pub(super) fn restore_trusted_keys(state: AppState) {
    let lists: Vec<TrustedKeyList> = web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item(TRUSTED_KEYS_STORAGE).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    if !lists.is_empty() {
        state.trusted_lists.set(lists.clone());
        send(&Request::SetTrustedKeys {
            id: next_id(),
            lists,
        });
    }
}
