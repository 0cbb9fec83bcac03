//! The original JSON of the event the user clicked.

use leptos::prelude::*;

use crate::state::AppState;

/// A side panel with one event's record, as it was read.
#[component]
pub fn RecordPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    view! {
        <Show when=move || state.record.with(|r| r.is_some())>
            <aside class="record" data-testid="record-panel">
                <div class="record-head">
                    <h2>"Event record"</h2>
                    <button class="button secondary" data-testid="record-close" on:click=move |_| state.record.set(None)>
                        "Close"
                    </button>
                </div>
                <pre data-testid="record-json">{move || state.record.with(|r| r.as_ref().map(|(_, json)| pretty(json)))}</pre>
            </aside>
        </Show>
    }
}

/// Pretty-prints with the browser's JSON, which keeps the record's key order.
fn pretty(json: &str) -> String {
    js_sys::JSON::parse(json)
        .ok()
        .and_then(|v| {
            js_sys::JSON::stringify_with_replacer_and_space(
                &v,
                &wasm_bindgen::JsValue::NULL,
                &2.into(),
            )
            .ok()
        })
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| json.to_string())
}
