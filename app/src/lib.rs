//! The Trailscope page: a thin Leptos UI over the core crates. All reading, parsing and indexing
//! happens in the Web Worker ([`worker`]); the page only sends requests through [`worker_client`]
//! and renders what comes back.
#![deny(unsafe_code)]

pub mod components;
pub mod download;
pub mod dropped;
pub mod format;
pub mod state;
pub mod worker;
pub mod worker_client;

use leptos::prelude::*;

use crate::components::{
    DropZone, EventTable, FileList, ProgressPanel, RecordPanel, Summary, VerifyPanel,
};
use crate::state::AppState;

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    worker_client::start(state);
    view! {
        <header class="top">
            <h1>"Trailscope"</h1>
            <p class="tagline">"CloudTrail files in, answers out. Entirely in your browser."</p>
            <Show when=move || !state.files.with(|f| f.is_empty()) && state.loading.get().is_none()>
                <button class="button secondary" data-testid="clear-all" on:click=move |_| worker_client::reset()>
                    "Clear"
                </button>
            </Show>
        </header>
        <main>
            // A machine-readable status for headless tests: `data-state` and `data-loads`.
            <div
                hidden
                data-testid="load-state"
                data-state=move || {
                    if !state.ready.get() { "starting" } else if state.loading.get().is_some() { "loading" } else { "idle" }
                }
                data-loads=move || state.loads.get()
            ></div>
            <Show when=move || state.error.get().is_some()>
                <p class="error-banner" data-testid="error-banner" role="alert">
                    {move || state.error.get()}
                    <button class="link" on:click=move |_| state.error.set(None)>"Dismiss"</button>
                </p>
            </Show>
            <DropZone state=state />
            <ProgressPanel state=state />
            <Summary state=state />
            <VerifyPanel state=state />
            <div class="workspace">
                <div class="main-column">
                    <FileList state=state />
                    <EventTable state=state />
                </div>
                <RecordPanel state=state />
            </div>
        </main>
    }
}
