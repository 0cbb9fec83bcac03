//! The view in the URL fragment: saved on every change, restored from a link once the same files
//! are loaded, with the events it names reopened.

use crate::state::AppState;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use trailscope_protocol::Request;

use super::*;

thread_local! {
    /// `eventID`s a link asked to open (the detail view first, then the comparison).
    pub(super) static PENDING_EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    pub(super) static OPENING_LINKED: Cell<bool> = const { Cell::new(false) };
}

/// Records the view in the URL.
pub fn save_view(state: AppState) {
    let columns = state.columns.get_untracked();
    let view = crate::url_state::ViewState {
        filter: state.filter.get_untracked(),
        oldest_first: state.oldest_first.get_untracked(),
        sort: state.sort.get_untracked().map(|s| (s.field, s.descending)),
        columns: if columns == crate::columns::default_ids() {
            Vec::new()
        } else {
            columns
        },
        event: state
            .record
            .with_untracked(|r| r.as_ref().and_then(|r| event_id_of(&r.json))),
        compare: state
            .compare
            .with_untracked(|c| c.iter().filter_map(|(_, json)| event_id_of(json)).collect()),
        tab: match state.tab.get_untracked() {
            crate::state::Tab::Events => String::new(),
            tab => tab.id().to_string(),
        },
        sql: state.sql.text.get_untracked(),
    };
    crate::url_state::replace(&view);
    remember_view(state);
}

pub(super) fn event_id_of(json: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()?
        .get("eventID")?
        .as_str()
        .map(str::to_string)
}

/// Restores the view a link carries (called once, at start).
pub fn restore_view(state: AppState) {
    let view = crate::url_state::current();
    state.filter.set(view.filter);
    state.oldest_first.set(view.oldest_first);
    state.sort.set(
        view.sort
            .map(|(field, descending)| trailscope_query::SortBy { field, descending }),
    );
    if !view.columns.is_empty() {
        state.columns.set(view.columns);
    }
    state.tab.set(crate::state::Tab::from_id(&view.tab));
    state.sql.text.set(view.sql);
    PENDING_EVENTS.with(|p| {
        *p.borrow_mut() = view.event.into_iter().chain(view.compare).collect();
    });
}

/// Asks for the next event a link named, if any is left.
pub(super) fn open_linked_events() {
    let next = PENDING_EVENTS.with(|p| {
        let mut p = p.borrow_mut();
        (!p.is_empty()).then(|| p.remove(0))
    });
    OPENING_LINKED.with(|o| o.set(next.is_some()));
    if let Some(event_id) = next {
        send(&Request::FindEvent {
            id: next_id(),
            event_id,
        });
    }
}
