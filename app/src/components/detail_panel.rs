//! The event detail: who did what as people read it, the resources, related events, and the
//! original record (pretty, copyable).

use leptos::prelude::*;
use serde_json::Value;

use trailscope_query::related::{
    identity_facts, lookup, related_filters, resources_of, value_text,
};

use crate::state::AppState;
use crate::worker_client;

/// Largest number of events pinned for comparison (as the console allows).
pub const MAX_COMPARE: usize = 5;

/// The detail panel for the event the user opened.
#[component]
pub fn DetailPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    view! {
        <Show when=move || state.record.with(|r| r.is_some())>
            {move || state.record.get().map(|open| view! { <Detail open=open state=state /> })}
        </Show>
    }
}

#[component]
fn Detail(open: crate::state::OpenRecord, state: AppState) -> impl IntoView {
    let for_case = open.clone();
    let crate::state::OpenRecord {
        row,
        json,
        file,
        integrity,
        copies,
        ..
    } = open;
    let integrity_text = integrity
        .as_deref()
        .map_or("not verified", crate::columns::integrity_label)
        .to_string();
    let record: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let text = |path: &str| lookup(&record, path).and_then(value_text);
    let facts = identity_facts(&record);
    let resources = resources_of(&record);
    let time = text("eventTime");
    let pretty = pretty(&json);
    let copied = RwSignal::new(None::<bool>);
    let copy_text = pretty.clone();
    let pinned = move || state.compare.with(|c| c.iter().any(|(r, _)| *r == row));
    let json_for_pin = json.clone();
    let related = related_filters(&record, time.as_deref());
    let event_id = text("eventID");
    let id_for_case = event_id.clone();
    let in_case = Signal::derive(move || {
        id_for_case
            .as_deref()
            .is_some_and(|id| state.case.with(|c| c.contains(id)))
    });
    view! {
        <aside class="record" data-testid="record-panel" data-row=row>
            <div class="record-head">
                <h2>{text("eventName").unwrap_or_else(|| "Event".into())}</h2>
                <div class="pager">
                    <button
                        class="button secondary"
                        data-testid="compare-pin"
                        disabled=move || !pinned() && state.compare.with(|c| c.len() >= MAX_COMPARE)
                        on:click=move |_| {
                            let json = json_for_pin.clone();
                            state.compare.update(|c| {
                                if let Some(i) = c.iter().position(|(r, _)| *r == row) {
                                    c.remove(i);
                                } else if c.len() < MAX_COMPARE {
                                    c.push((row, json));
                                }
                            });
                            worker_client::save_view(state);
                        }
                    >
                        {move || if pinned() { "Unpin" } else { "Compare" }}
                    </button>
                    <button
                        class="button secondary"
                        data-testid="case-pin"
                        aria-pressed=move || in_case.get().to_string()
                        title="Pin this event to the case, with the filter that found it (see the Case view)"
                        disabled=event_id.is_none()
                        on:click=move |_| {
                            if let Some(id) = &event_id {
                                crate::components::toggle_pin(state, &for_case, id);
                            }
                        }
                    >
                        {move || if in_case.get() { "In the case ✓" } else { "Add to case" }}
                    </button>
                    <button class="button secondary" data-testid="record-close" on:click=move |_| {
                        state.record.set(None);
                        worker_client::save_view(state);
                    }>
                        "Close"
                    </button>
                </div>
            </div>
            <dl class="facts" data-testid="record-facts">
                <dt>"Time"</dt><dd>{time.clone().unwrap_or_else(|| "no time".into())}</dd>
                <dt>"Source"</dt><dd>{text("eventSource")}</dd>
                <dt>"Region"</dt><dd>{text("awsRegion")}</dd>
                <dt>"Account"</dt><dd>{text("recipientAccountId").or_else(|| text("userIdentity.accountId"))}</dd>
                <dt>"Source IP"</dt><dd>{text("sourceIPAddress")}</dd>
                <dt>"User agent"</dt><dd class="wrap">{text("userAgent")}</dd>
                {facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="wrap" data-testid="identity-fact">{v}</dd> }).collect_view()}
                {text("errorCode").or_else(|| text("errorMessage")).map(|e| view! {
                    <dt>"Error"</dt><dd><span class="badge error">{e}</span>{text("errorMessage").filter(|_| text("errorCode").is_some()).map(|m| format!(" {m}"))}</dd>
                })}
                <dt>"Read only"</dt><dd>{text("readOnly")}</dd>
                <dt>"Event ID"</dt><dd class="mono">{text("eventID")}</dd>
                <dt>"Request ID"</dt><dd class="mono">{text("requestID")}</dd>
                <dt>"File"</dt><dd class="mono wrap" data-testid="record-file">{file}</dd>
                <dt>"File integrity"</dt>
                <dd data-testid="record-integrity" data-integrity=integrity.clone().unwrap_or_default()>{integrity_text}</dd>
            </dl>
            {(!copies.is_empty()).then(|| view! { <Copies copies=copies /> })}
            {(!resources.is_empty()).then(|| view! {
                <h3>"Resources"</h3>
                <ul class="resources" data-testid="record-resources">
                    {resources.into_iter().map(|(kind, arn)| view! { <li><span class="muted">{kind}</span>" "<span class="mono">{arn}</span></li> }).collect_view()}
                </ul>
            })}
            {(!related.is_empty()).then(|| view! {
                <h3>"Related events"</h3>
                <ul class="related" data-testid="related">
                    {related.into_iter().map(|(label, filter)| {
                        let f = filter.clone();
                        view! {
                            <li>
                                <button class="link" data-testid="related-link" title=filter.clone() on:click=move |_| {
                                    state.filter.set(f.clone());
                                    worker_client::run_query(state);
                                }>{label}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <div class="record-head">
                <h3>"Original record"</h3>
                <button class="button secondary" data-testid="record-copy" on:click=move |_| {
                    let Some(w) = web_sys::window() else { return };
                    let written = wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(&copy_text));
                    leptos::task::spawn_local(async move {
                        // The clipboard can be refused (permissions, an unfocused page): say so.
                        copied.set(Some(written.await.is_ok()));
                    });
                }>{move || match copied.get() {
                    Some(true) => "Copied",
                    Some(false) => "Copy failed: select the text below",
                    None => "Copy JSON",
                }}</button>
            </div>
            <pre data-testid="record-json" tabindex="0" aria-label="The original JSON">{pretty}</pre>
        </aside>
    }
}

/// Every copy of an event whose files disagree: which file, its integrity, and how it differs
/// from the copy the table shows.
#[component]
fn Copies(copies: Vec<trailscope_protocol::EventCopyView>) -> impl IntoView {
    let count = copies.len();
    view! {
        <section class="copies" data-testid="event-copies" role="alert">
            <h3>{format!("Conflicting copies ({count})")}</h3>
            <p class="hint">
                "Files disagree on this event (same eventID, time, name and source, other content). The copy from the file verification vouches for most is the one used everywhere; every copy is kept."
            </p>
            <ul>
                {copies.into_iter().map(|c| {
                    let integrity = c.integrity.as_deref().map_or("not verified", crate::columns::integrity_label);
                    view! {
                        <li data-testid="event-copy" data-shown=c.shown.to_string() data-integrity=c.integrity.clone().unwrap_or_default()>
                            <span class="mono wrap">{c.file.clone()}</span>
                            " · "
                            <span class=if c.integrity.as_deref() == Some("verified") { "badge ok" } else { "badge warn" }>{integrity}</span>
                            {c.shown.then(|| view! { " · " <strong>"shown"</strong> })}
                            {(!c.differences.is_empty()).then(|| view! {
                                <table class="differences" data-testid="event-copy-differences">
                                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Shown copy"</th><th scope="col">"This copy"</th></tr></thead>
                                    <tbody>
                                        {c.differences.into_iter().map(|d| {
                                            let path = d.path.clone();
                                            view! {
                                            <tr data-testid="event-copy-difference" data-path=path>
                                                <td class="mono">{d.path}</td>
                                                <td class="mono wrap">{d.shown.unwrap_or_else(|| "(absent)".into())}</td>
                                                <td class="mono wrap">{d.this.unwrap_or_else(|| "(absent)".into())}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
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
