//! The Case view: the events pinned from the event detail, with tags and notes, exported as
//! one self-contained HTML file or as JSON (which opens here again). The case itself, its
//! rules and its renderings are the core's (`trailscope_query::case`).

use leptos::prelude::*;
use trailscope_query::case::{Case, CaseItem, CaseSource};

use crate::download::save_text;
use crate::format::plural;
use crate::state::{AppState, OpenRecord, Tab};
use crate::worker_client;

/// Changes the case and keeps it in the browser, saying so when the browser refuses.
pub fn update_case(state: AppState, change: impl FnOnce(&mut Case)) {
    state.case.update(change);
    let kept = state.case.with_untracked(crate::case_store::store);
    state.case_error.set(kept.err());
}

/// Pins the open event to the case (or takes it out), with the filter that found it.
pub fn toggle_pin(state: AppState, open: &OpenRecord, event_id: &str) {
    if state.case.with_untracked(|c| c.contains(event_id)) {
        let id = event_id.to_string();
        update_case(state, move |c| c.unpin(&id));
        return;
    }
    let source = CaseSource {
        path: open.file.clone(),
        sha256: open.file_sha256.clone(),
        integrity: open
            .integrity
            .clone()
            .unwrap_or_else(|| trailscope_query::manifest::NOT_CHECKED.to_string()),
    };
    let found_with = state
        .query
        .with_untracked(|q| q.as_ref().map(|q| q.filter.clone()))
        .unwrap_or_default();
    let now = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let item = CaseItem::from_record(
        &open.json,
        open.user.as_deref().unwrap_or_default(),
        source,
        &found_with,
        &now,
    );
    let mut refused = None;
    update_case(state, |c| refused = c.pin(item).err());
    if let Some(e) = refused {
        state.case_error.set(Some(e.to_string()));
    }
}

/// The Case view.
#[component]
pub fn CasePanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let confirm_clear = RwSignal::new(false);
    let now = || {
        js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default()
    };
    let tool = format!("Trailscope {} (web)", env!("CARGO_PKG_VERSION"));
    let file_name = move |ext: &str| {
        let title = state.case.with(|c| c.title.clone());
        let slug: String = title
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .take(60)
            .collect();
        let slug = slug.trim_matches('-');
        if slug.is_empty() {
            format!("trailscope-case.{ext}")
        } else {
            format!("trailscope-case-{slug}.{ext}")
        }
    };
    let export_html = move |_| {
        let html = state.case.with_untracked(|c| c.to_html(&now(), &tool));
        if let Err(e) = save_text(&file_name("html"), "text/html", &html) {
            state.case_error.set(Some(e));
        }
    };
    let export_json = move |_| {
        let json = state.case.with_untracked(Case::to_json);
        if let Err(e) = save_text(&file_name("json"), "application/json", &json) {
            state.case_error.set(Some(e));
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let name = file.name();
        let text = wasm_bindgen_futures::JsFuture::from(file.text());
        leptos::task::spawn_local(async move {
            let read = text
                .await
                .ok()
                .and_then(|t| t.as_string())
                .ok_or_else(|| format!("{name}: the browser could not read the file"));
            match read.and_then(|t| Case::from_file_json(&t).map_err(|e| format!("{name}: {e}"))) {
                Ok(case) => update_case(state, move |c| *c = case),
                Err(e) => state.case_error.set(Some(e)),
            }
        });
    };
    let count = move || state.case.with(|c| c.items.len());
    view! {
        <section class="case" data-testid="case-panel">
            <div class="table-head">
                <h2>"Case"</h2>
                <span class="muted" data-testid="case-count" data-count=move || count().to_string()>
                    {move || plural(count() as u64, "event pinned", "events pinned")}
                    " · kept in this browser only"
                </span>
            </div>
            <Show when=move || state.case_error.get().is_some()>
                <p class="error-banner" data-testid="case-error" role="alert">{move || state.case_error.get()}</p>
            </Show>
            <div class="case-fields">
                <label>
                    "Case "
                    <input
                        type="text"
                        data-testid="case-title"
                        placeholder="IR-2024-017"
                        prop:value=move || state.case.with(|c| c.title.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            update_case(state, move |c| c.title = v);
                        }
                    />
                </label>
                <label>
                    "Analyst "
                    <input
                        type="text"
                        data-testid="case-analyst"
                        prop:value=move || state.case.with(|c| c.analyst.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            update_case(state, move |c| c.analyst = v);
                        }
                    />
                </label>
            </div>
            <label class="case-notes">
                "Notes on the case"
                <textarea
                    data-testid="case-notes"
                    rows="3"
                    prop:value=move || state.case.with(|c| c.notes.clone())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        update_case(state, move |c| c.notes = v);
                    }
                ></textarea>
            </label>
            <Show
                when=move || count() != 0
                fallback=|| view! {
                    <p class="empty" data-testid="case-empty">
                        "No event is pinned yet: open an event and press " <strong>"Add to case"</strong> "."
                    </p>
                }
            >
                <table class="case-items" data-testid="case-items">
                    <thead><tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Evidence"</th>
                        <th scope="col">"Tags"</th>
                        <th scope="col">"Note"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For
                            each=move || state.case.with(|c| c.items.iter().map(|i| i.event_id.clone()).collect::<Vec<_>>())
                            key=|id| id.clone()
                            let:id
                        >
                            <CaseRow state=state event_id=id />
                        </For>
                    </tbody>
                </table>
            </Show>
            <div class="downloads">
                <button class="button secondary" data-testid="case-export-html" disabled=move || count() == 0 on:click=export_html>
                    "Export as HTML"
                </button>
                <button class="button secondary" data-testid="case-export-json" disabled=move || count() == 0 on:click=export_json>
                    "Export as JSON"
                </button>
                <label class="button secondary">
                    "Open a case (JSON)"
                    <input type="file" accept=".json,application/json" data-testid="case-import" on:change=import />
                </label>
                <Show
                    when=move || confirm_clear.get()
                    fallback=move || view! {
                        <button class="button secondary" data-testid="case-clear" disabled=move || count() == 0 on:click=move |_| confirm_clear.set(true)>
                            "Clear the case"
                        </button>
                    }
                >
                    <span role="alert" class="confirm">
                        {move || format!("Remove all {} and their notes from this browser? ", plural(count() as u64, "pinned event", "pinned events"))}
                        <button class="button" data-testid="case-clear-confirm" on:click=move |_| {
                            update_case(state, |c| *c = Case::new());
                            confirm_clear.set(false);
                        }>"Clear"</button>
                        <button class="button secondary" data-testid="case-clear-cancel" on:click=move |_| confirm_clear.set(false)>"Keep"</button>
                    </span>
                </Show>
            </div>
        </section>
    }
}

#[component]
fn CaseRow(state: AppState, event_id: String) -> impl IntoView {
    let item = state
        .case
        .with_untracked(|c| c.items.iter().find(|i| i.event_id == event_id).cloned())
        .unwrap_or_default();
    let integrity = item.source.integrity.clone();
    let badge = if integrity == "verified" {
        "badge ok"
    } else if integrity == "failed" {
        "badge error"
    } else {
        "badge warn"
    };
    let label = if integrity == trailscope_query::manifest::NOT_CHECKED {
        "not verified"
    } else {
        crate::columns::integrity_label(&integrity)
    };
    let (id_tags, id_note, id_open, id_remove) = (
        event_id.clone(),
        event_id.clone(),
        event_id.clone(),
        event_id.clone(),
    );
    view! {
        <tr data-testid="case-item" data-event-id=event_id.clone() data-integrity=integrity.clone()>
            <td>
                <div class="mono small">{item.event_time.clone()}</div>
                <strong>{item.event_name.clone()}</strong>
                <div class="muted small">{item.principal.clone()}</div>
                {(!item.found_with.is_empty()).then(|| view! {
                    <div class="muted small">"found with " <code>{item.found_with.clone()}</code></div>
                })}
            </td>
            <td>
                <span class=badge>{label}</span>
                <div class="mono small wrap">{item.source.path.clone()}</div>
            </td>
            <td>
                <input
                    type="text"
                    data-testid="case-item-tags"
                    aria-label=format!("Tags of {event_id}")
                    placeholder="persistence, exfil"
                    prop:value=item.tags.join(", ")
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let id = id_tags.clone();
                        update_case(state, move |c| c.set_tags(&id, &v));
                    }
                />
            </td>
            <td>
                <textarea
                    data-testid="case-item-note"
                    aria-label=format!("Note on {event_id}")
                    rows="2"
                    prop:value=item.note.clone()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let id = id_note.clone();
                        update_case(state, move |c| c.set_note(&id, &v));
                    }
                ></textarea>
            </td>
            <td class="actions">
                <button class="link" data-testid="case-item-open" on:click=move |_| {
                    state.filter.set(trailscope_query::edit::term("eventID", &id_open, false));
                    state.tab.set(Tab::Events);
                    worker_client::run_query(state);
                }>"Show"</button>
                <button class="link" data-testid="case-item-remove" on:click=move |_| {
                    let id = id_remove.clone();
                    update_case(state, move |c| c.unpin(&id));
                }>"Remove"</button>
            </td>
        </tr>
    }
}
