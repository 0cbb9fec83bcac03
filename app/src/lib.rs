//! The Trailscope page: a thin Leptos UI over the core crates. All reading, parsing and indexing
//! happens in the Web Worker ([`worker`]); the page only sends requests through [`worker_client`]
//! and renders what comes back.
#![deny(unsafe_code)]

pub mod case_store;
pub mod columns;
pub mod components;
pub mod download;
pub mod dropped;
pub mod format;
pub mod saved_views;
pub mod state;
pub mod url_state;
pub mod worker;
pub mod worker_client;

// The modules' unit tests run in headless Chromium (wasm-bindgen-test), as the app's other
// tests do: the app is built for wasm32 only.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[cfg(test)]
mod browser_tests;

use leptos::prelude::*;

use crate::components::{
    AnomaliesPanel, CasePanel, ComparePanel, DetailPanel, DropZone, EventTable, ExportBar,
    FacetsPanel, FileList, FilterBar, FindingsPanel, LoadNote, ProgressPanel, SqlPanel, Summary,
    TabFullBanner, Timeline, TrustedKeys, VerifyPanel,
};
use crate::state::{AppState, Tab};

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    worker_client::restore_view(state);
    worker_client::start(state);
    let table_ready = state::deferred(false, move || state.query.with(|q| q.is_some()));
    // Keys for the whole page: `/` goes to the filter (as in Kibana, GitHub and Gmail) unless
    // one is typing; Escape closes the event detail.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.has_attribute("contenteditable")
            });
        match ev.key().as_str() {
            "/" if !typing && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() => {
                let filter = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| {
                        d.query_selector("[data-testid=filter-input]")
                            .ok()
                            .flatten()
                    })
                    .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok());
                if let Some(filter) = filter {
                    ev.prevent_default();
                    if state.tab.get_untracked() != Tab::Events {
                        state.tab.set(Tab::Events);
                    }
                    let _ = filter.focus();
                }
            }
            "Escape" if state.record.with_untracked(Option::is_some) => {
                state.record.set(None);
                worker_client::save_view(state);
                // Back to the table the event was opened from.
                if let Some(table) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("events-table"))
                    .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
                {
                    let _ = table.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
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
            <ProgressPanel
                progress=state.progress
                loading=Signal::derive(move || state.loading.with(Option::is_some))
                cancelling=state.cancelling
                on_cancel=Callback::new(move |()| worker_client::cancel(state))
            />
            <Summary totals=state.totals />
            <TabFullBanner last_load=state.last_load />
            // One line: the trusted keys (folded) and what the load read.
            <div class="keys-and-note">
                <TrustedKeys state=state />
                <LoadNote totals=state.totals last_load=state.last_load />
            </div>
            {move || state.verify.with(|v| v.as_ref().map(|v| {
                let overall = v.overall.clone();
                let invalid = overall == "not_intact" && !v.signatures_missing_only;
                let text = format!("Integrity: {}", v.headline);
                view! {
                    <p
                        class="integrity-banner"
                        class:invalid=invalid
                        class:unproven=overall != "intact" && !invalid
                        data-testid="integrity-banner"
                        data-invalid=invalid.to_string()
                        data-overall=overall
                        role="status"
                    >
                        {text}
                        " "
                        <button class="link" on:click=move |_| { state.tab.set(Tab::Integrity); worker_client::save_view(state); }>"See the report"</button>
                        // Without keys nothing can be proven: the way to give them, one click
                        // away (their section stays folded so the events show after a load).
                        {(state.trusted_keys.with(Vec::is_empty) && overall != "nothing_to_verify").then(|| view! {
                            <button class="link" data-testid="give-trusted-keys" on:click=move |_| {
                                if let Some(keys) = web_sys::window()
                                    .and_then(|w| w.document())
                                    .and_then(|d| d.query_selector("[data-testid=trusted-keys]").ok().flatten())
                                {
                                    let _ = keys.set_attribute("open", "");
                                    keys.scroll_into_view();
                                }
                            }>"Give the trusted keys"</button>
                        })}
                    </p>
                }
            }))}
            // A case kept from an earlier visit can be read before any file is dropped again.
            <Show when=move || state.totals.with(|t| t.is_some()) || state.case.with(|c| !c.items.is_empty())>
                <nav class="tabs" data-testid="tabs" role="tablist" aria-label="Views">
                    <TabButton state=state tab=Tab::Events label="Events" />
                    <TabButton state=state tab=Tab::Findings label="Findings" />
                    <TabButton state=state tab=Tab::Anomalies label="Anomalies" />
                    <TabButton state=state tab=Tab::Integrity label="Integrity" />
                    <TabButton state=state tab=Tab::Sql label="SQL" />
                    <TabButton state=state tab=Tab::Case label="Case" />
                </nav>
            </Show>
            <div class="tab-body" class:hidden=move || state.tab.get() != Tab::Events role="tabpanel" aria-labelledby="tab-events">
                <Show when=move || state.query.with(|q| q.is_some())>
                    <FilterBar state=state />
                    <Timeline state=state />
                </Show>
                // Built a task after the filter bar, so no single task builds the whole view.
                <Show when=move || table_ready.get()>
                    <div class="workspace">
                        // The facets hold many buttons: keyboard users skip them to the table.
                        <a class="skip-link" href="#events-table" data-testid="skip-to-table"
                            on:click=move |ev: leptos::ev::MouseEvent| {
                                ev.prevent_default();
                                if let Some(table) = web_sys::window()
                                    .and_then(|w| w.document())
                                    .and_then(|d| d.get_element_by_id("events-table"))
                                    .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
                                {
                                    let _ = table.focus();
                                }
                            }
                        >"Skip to the events table"</a>
                        <FacetsPanel state=state />
                        <div class="main-column">
                            <EventTable state=state />
                            <ExportBar state=state />
                            <ComparePanel state=state />
                        </div>
                        <DetailPanel state=state />
                    </div>
                </Show>
            </div>
            // Findings and anomaly charts are only built while their tab is open: each is
            // hundreds of elements the events view does not need.
            <Show when=move || state.tab.get() == Tab::Findings>
                <div class="tab-body" role="tabpanel" aria-labelledby="tab-findings">
                    <FindingsPanel state=state />
                </div>
            </Show>
            <Show when=move || state.tab.get() == Tab::Anomalies>
                <div class="tab-body" role="tabpanel" aria-labelledby="tab-anomalies">
                    <AnomaliesPanel state=state />
                </div>
            </Show>
            <div class="tab-body" class:hidden=move || state.tab.get() != Tab::Integrity role="tabpanel" aria-labelledby="tab-integrity">
                <VerifyPanel state=state />
            </div>
            // The SQL engine is its own module and worker, fetched when this tab first opens.
            <Show when=move || state.tab.get() == Tab::Sql>
                <div class="tab-body" role="tabpanel" aria-labelledby="tab-sql">
                    <SqlPanel state=state />
                </div>
            </Show>
            <Show when=move || state.tab.get() == Tab::Case>
                <div class="tab-body" role="tabpanel" aria-labelledby="tab-case">
                    <CasePanel state=state />
                </div>
            </Show>
            <FileList files=state.files />
        </main>
    }
}

#[component]
fn TabButton(state: AppState, tab: Tab, label: &'static str) -> impl IntoView {
    let badge = move || match tab {
        Tab::Findings => state.detect.with(|d| {
            d.as_ref()
                .map(|d| d.findings.iter().filter(|f| f.events > 0).count())
                .filter(|n| *n > 0)
                .map(|n| n.to_string())
        }),
        Tab::Anomalies => state.detect.with(|d| {
            d.as_ref()
                .map(|d| d.anomalies.len() + d.behaviour.len() + d.insights.len())
                .filter(|n| *n > 0)
                .map(|n| n.to_string())
        }),
        Tab::Integrity => state.verify.with(|v| {
            v.as_ref().map(|v| {
                match v.overall.as_str() {
                    "intact" => "✓",
                    "not_intact" if v.signatures_missing_only => "not proven",
                    "not_intact" => "invalid",
                    _ => "not proven",
                }
                .to_string()
            })
        }),
        Tab::Events => state.query.with(|q| {
            q.as_ref()
                .filter(|q| q.events > 0)
                .map(|q| crate::format::count(q.total))
        }),
        Tab::Sql => None,
        Tab::Case => state
            .case
            .with(|c| (!c.items.is_empty()).then(|| c.items.len().to_string())),
    };
    view! {
        <button
            class="tab"
            class:active=move || state.tab.get() == tab
            role="tab"
            id=format!("tab-{}", tab.id())
            aria-selected=move || (state.tab.get() == tab).to_string()
            data-testid=format!("tab-{}", tab.id())
            on:click=move |_| {
                state.tab.set(tab);
                worker_client::save_view(state);
            }
        >
            {label}
            {move || badge().map(|b| view! { <span class="tab-badge">{b}</span> })}
        </button>
    }
}
