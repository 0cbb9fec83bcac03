//! The workspace kept in this browser: the user's choice to keep it (local storage), the view
//! kept beside it, and the requests that keep, restore and delete it. The store worker owns the
//! journal itself (`worker::workspace`).

use crate::state::AppState;
use leptos::prelude::*;
use trailscope_protocol::Request;

use super::*;

/// Local storage: "1" while the user wants the workspace kept.
const KEEP_KEY: &str = "trailscope.workspace.keep";
/// Local storage: the view (URL fragment) of the kept workspace.
const VIEW_KEY: &str = "trailscope.workspace.view";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Whether the user asked to keep the workspace (in an earlier visit or this one).
pub fn keep_wanted() -> bool {
    storage()
        .and_then(|s| s.get_item(KEEP_KEY).ok().flatten())
        .is_some_and(|v| v == "1")
}

/// Keeps the workspace from now on, or stops keeping it; `delete` empties what is kept.
pub fn set_keep(state: AppState, keep: bool, delete: bool) {
    if let Some(storage) = storage() {
        let _ = if keep {
            storage.set_item(KEEP_KEY, "1")
        } else {
            storage.remove_item(KEEP_KEY)
        };
        if delete || !keep {
            let _ = storage.remove_item(VIEW_KEY);
        }
    }
    if keep {
        remember_view(state);
    }
    send(&Request::Workspace {
        id: next_id(),
        keep,
        delete,
    });
}

/// Asks the store worker to open the kept workspace (at start, when the user keeps one).
pub(super) fn open_if_wanted() {
    if keep_wanted() {
        send(&Request::Workspace {
            id: next_id(),
            keep: true,
            delete: false,
        });
    }
}

/// Keeps the view beside the workspace, so a restore in a fresh tab opens where the user was.
pub(super) fn remember_view(state: AppState) {
    let keeping = state
        .workspace
        .with_untracked(|w| w.as_ref().is_some_and(|w| w.keeping));
    if !keeping {
        return;
    }
    let fragment = crate::url_state::current().to_fragment();
    if let Some(storage) = storage() {
        let _ = storage.set_item(VIEW_KEY, &fragment);
    }
}

/// Rebuilds the loaded events from the kept workspace, answered like a load.
pub fn restore_workspace(state: AppState) {
    if state.loading.get_untracked().is_some() || !state.ready.get_untracked() {
        return;
    }
    // A link's own view wins; otherwise the view kept with the workspace comes back.
    if crate::url_state::current().to_fragment().is_empty() {
        if let Some(saved) = storage().and_then(|s| s.get_item(VIEW_KEY).ok().flatten()) {
            crate::url_state::replace(&crate::url_state::ViewState::from_fragment(&saved));
            restore_view(state);
        }
    }
    let id = next_id();
    state.restoring.set(Some(id));
    state.loading.set(Some(id));
    state.last_load.set(None);
    send(&Request::RestoreWorkspace { id });
}
