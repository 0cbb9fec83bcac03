//! The workspace kept in this browser: the choice to keep it, the offer to restore it, and
//! deleting it (which asks first).

use leptos::prelude::*;
use trailscope_protocol::WorkspaceStatus;

use crate::format;
use crate::state::AppState;
use crate::worker_client;

/// What the confirmation, when shown, will do: delete and keep keeping, or delete and stop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deleting {
    AndKeep,
    AndStop,
}

/// The "Keep this workspace" bar under the drop zone.
#[component]
pub fn WorkspaceBar(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let confirming = RwSignal::new(None::<Deleting>);
    let status = move || state.workspace.get();
    let keeping = move || {
        state.workspace.with(|w| {
            w.as_ref()
                .map_or_else(worker_client::keep_wanted, |w| w.keeping)
        })
    };
    let page_empty = move || state.files.with(Vec::is_empty) && state.loading.get().is_none();
    // Once events are loaded the bar sits in the drop zone's single line: short texts.
    let compact = move || state.totals.with(|t| t.is_some());
    let busy = move || state.loading.get().is_some() || !state.ready.get();
    let has_kept = |w: &WorkspaceStatus| w.keeping && (w.events > 0 || w.files > 0);
    let restorable = move || status().filter(|w| has_kept(w) && !w.restored && page_empty());
    let on_keep = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if input.checked() {
            confirming.set(None);
            worker_client::set_keep(state, true, false);
        } else {
            // Stopping deletes what is kept, so it asks first; until then the box stays ticked.
            input.set_checked(true);
            confirming.set(Some(Deleting::AndStop));
        }
    };
    // "Delete": asks first (the banner's and the status line's are the same button).
    let delete_button = move |class: &'static str, text: &'static str| {
        view! {
            <button
                class=class
                data-testid="workspace-clear"
                on:click=move |_| confirming.set(Some(Deleting::AndKeep))
            >
                {text}
            </button>
        }
    };
    let confirm = move |_| {
        let Some(what) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        worker_client::set_keep(state, what == Deleting::AndKeep, true);
    };
    view! {
        <section
            class="workspace-bar"
            data-testid="workspace-bar"
            aria-label="Workspace kept in this browser"
            data-keeping=move || keeping().to_string()
            data-kept-events=move || status().map_or(0, |w| w.events)
            data-restored=move || status().is_some_and(|w| w.restored).to_string()
        >
            <label class="workspace-keep" title="Loaded events, the view and the case are kept in this browser's private storage (never uploaded), so a reload can restore them without the files">
                <input
                    type="checkbox"
                    data-testid="workspace-keep"
                    prop:checked=keeping
                    on:change=on_keep
                    disabled=busy
                />
                {move || if compact() {
                    " Keep in this browser"
                } else {
                    " Keep this workspace in this browser (events, view, case), so reopening the page can restore it"
                }}
            </label>
            {move || restorable().map(|w| {
                let saved = w
                    .saved_at_millis
                    .map(|ms| {
                        // To the second: when it was kept, not a timestamp to compare.
                        let seconds = (ms / 1000.0).floor() as i64 * 1000;
                        format!(", saved {}", format::local_time_millis(seconds))
                    })
                    .unwrap_or_default();
                view! {
                    <div class="workspace-restore" data-testid="workspace-restore-banner" role="region" aria-label="Restore the kept workspace">
                        <span>
                            {format!(
                                "Kept in this browser: {} from {}{saved} ({}).",
                                format::plural(w.events, "event", "events"),
                                format::plural(w.files, "file", "files"),
                                format::bytes(w.bytes),
                            )}
                        </span>
                        <button
                            class="button"
                            data-testid="workspace-restore"
                            on:click=move |_| worker_client::restore_workspace(state)
                            disabled=busy
                        >
                            "Restore workspace"
                        </button>
                        {delete_button("button secondary", "Delete it…")}
                    </div>
                }
            })}
            {move || status().filter(|w| has_kept(w) && restorable().is_none()).map(|w| view! {
                <span class="workspace-status" data-testid="workspace-status">
                    {format!(
                        "{} kept ({})",
                        format::plural(w.events, "event", "events"),
                        format::bytes(w.bytes),
                    )}
                    " "
                    {delete_button("link", "Delete…")}
                </span>
            })}
            {move || confirming.get().map(|what| view! {
                <div class="workspace-confirm" data-testid="workspace-confirm" role="group" aria-label="Confirm deleting the kept workspace">
                    <span>{match what {
                        Deleting::AndKeep => "Delete the workspace kept in this browser? What is loaded now stays on the page.",
                        Deleting::AndStop => "Stop keeping the workspace and delete what this browser kept? What is loaded now stays on the page.",
                    }}</span>
                    <button class="button" data-testid="workspace-clear-confirm" on:click=confirm>"Delete"</button>
                    <button class="button secondary" data-testid="workspace-clear-cancel" on:click=move |_| confirming.set(None)>"Keep it"</button>
                </div>
            })}
            <p class="workspace-live" role="status" aria-live="polite" data-testid="workspace-live">
                {move || state.restoring.get().map(|_| "Restoring the kept workspace…".to_string()).or_else(|| status().and_then(|w| {
                    w.restored.then(|| format!(
                        "Restored {} from this browser{}.",
                        format::plural(w.events, "event", "events"),
                        w.restore_millis.map(|ms| format!(" in {}", format::millis(ms))).unwrap_or_default(),
                    ))
                }))}
            </p>
            {move || status().filter(|w| w.restored).map(|_| view! {
                <p class="workspace-note" data-testid="workspace-restored">
                    "These events come from the workspace kept in this browser, not from the files: their integrity cannot be proven from it. To verify, clear and drop the original log and digest files again."
                </p>
            })}
            {move || status().filter(|w| w.keeping && w.not_kept_events > 0).map(|w| view! {
                <p class="workspace-note" data-testid="workspace-not-kept">
                    {format!(
                        "The {} on the page were loaded before keeping began, so nothing is kept until the page is cleared: clear, then drop the files again to keep them.",
                        format::plural(w.not_kept_events, "event", "events"),
                    )}
                </p>
            })}
            {move || status().and_then(|w| w.problem).map(|problem| view! {
                <p class="workspace-problem error" data-testid="workspace-problem" role="alert">{problem}</p>
            })}
        </section>
    }
}
