//! Where files arrive: drag and drop (files and folders) and two pickers.

use leptos::ev::DragEvent;
use leptos::html::Input;
use leptos::prelude::*;

use super::WorkspaceBar;
use crate::dropped::{entries_of, named_files, walk};
use crate::state::AppState;
use crate::worker_client;

/// The drop zone with its "Choose files" and "Choose folder" pickers.
#[component]
pub fn DropZone(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let hovering = RwSignal::new(false);
    let folder_input = NodeRef::<Input>::new();
    // `webkitdirectory` is not a standard attribute, so it is set on the element directly.
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        hovering.set(false);
        let Some(transfer) = ev.data_transfer() else {
            return;
        };
        let (entries, plain) = entries_of(&transfer);
        if !plain.is_empty() {
            worker_client::load(state, plain.into_iter().map(|f| (f.name(), f)).collect());
            return;
        }
        leptos::task::spawn_local(async move {
            match walk(entries).await {
                Ok(files) => worker_client::load(state, files),
                Err(e) => state.error.set(Some(e)),
            }
        });
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        worker_client::load(state, named_files(input.files()));
        input.set_value("");
    };
    let busy = move || state.loading.get().is_some() || !state.ready.get();
    view! {
        <section
            class="drop-zone"
            class:hovering=move || hovering.get()
            class:compact=move || state.totals.with(|t| t.is_some())
            data-testid="drop-zone"
            on:dragover=move |ev: DragEvent| {
                ev.prevent_default();
                hovering.set(true);
            }
            on:dragleave=move |_| hovering.set(false)
            on:drop=on_drop
        >
            <p class="drop-title">{move || if state.totals.with(|t| t.is_some()) {
                "Add files: drop more here, or"
            } else {
                "Drop CloudTrail files, folders or ZIP archives here"
            }}</p>
            <p class="drop-hint">
                "S3 log files (.json.gz), digest and Insights files, Event history CSV and JSON, "
                "lookup-events output, CloudWatch Logs and EventBridge exports. "
                "Everything is read in this browser; nothing is uploaded."
            </p>
            <div class="pickers">
                <label class="button">
                    "Choose files"
                    <input type="file" multiple data-testid="file-input" on:change=on_pick disabled=busy />
                </label>
                <label class="button secondary">
                    "Choose folder"
                    <input type="file" multiple data-testid="folder-input" node_ref=folder_input on:change=on_pick disabled=busy />
                </label>
            </div>
            <WorkspaceBar state=state />
            <label class="verify-only" title="For trails too large to load: log files are hashed for integrity verification, their events are not read">
                <input
                    type="checkbox"
                    data-testid="verify-only"
                    prop:checked=move || state.verify_only.get()
                    on:change=move |ev| state.verify_only.set(event_target_checked(&ev))
                    disabled=busy
                />
                // Once events are loaded the zone is one line: the title says the rest.
                {move || if state.totals.with(|t| t.is_some()) {
                    " Verify only (hash, do not read events)"
                } else {
                    " Verify only: hash gzip log files without reading their events (much faster for large trails)"
                }}
            </label>
        </section>
    }
}
