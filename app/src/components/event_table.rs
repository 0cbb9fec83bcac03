//! The events, a page at a time, in time order.

use leptos::prelude::*;
use trailscope_protocol::RowData;

use crate::format::count;
use crate::state::{AppState, PAGE_ROWS};
use crate::worker_client;

/// The event table with its pager.
#[component]
pub fn EventTable(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let go = move |offset: u64| worker_client::request_page(state, offset);
    let page = state.page;
    view! {
        <Show when=move || page.with(|p| p.total > 0)>
            <section class="events">
                <div class="table-head">
                    <h2>"Events"</h2>
                    <div class="pager" data-testid="pager">
                        <button
                            class="button secondary"
                            data-testid="order-toggle"
                            on:click=move |_| {
                                state.newest_first.update(|v| *v = !*v);
                                go(0);
                            }
                        >
                            {move || if state.newest_first.get() { "Newest first" } else { "Oldest first" }}
                        </button>
                        <button
                            class="button secondary"
                            data-testid="page-prev"
                            disabled=move || page.with(|p| p.offset == 0)
                            on:click=move |_| go(page.with_untracked(|p| p.offset.saturating_sub(PAGE_ROWS as u64)))
                        >
                            "Previous"
                        </button>
                        <span data-testid="page-range">
                            {move || page.with(|p| {
                                let last = p.offset + p.rows.len() as u64;
                                format!("{}–{} of {}", count(p.offset + 1), count(last), count(p.total))
                            })}
                        </span>
                        <button
                            class="button secondary"
                            data-testid="page-next"
                            disabled=move || page.with(|p| p.offset + p.rows.len() as u64 >= p.total)
                            on:click=move |_| go(page.with_untracked(|p| p.offset + PAGE_ROWS as u64))
                        >
                            "Next"
                        </button>
                    </div>
                </div>
                <table class="event-table" data-testid="event-table">
                    <thead>
                        <tr>
                            <th>"Time (UTC)"</th><th>"Event name"</th><th>"Event source"</th><th>"User"</th>
                            <th>"Source IP"</th><th>"Region"</th><th>"Error"</th><th>"Integrity"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || page.get().rows key=|r| r.row let:row>
                            <EventRow row=row state=state />
                        </For>
                    </tbody>
                </table>
            </section>
        </Show>
    }
}

#[component]
fn EventRow(row: RowData, state: AppState) -> impl IntoView {
    let id = row.row;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    let selected = move || {
        state
            .record
            .with(|r| r.as_ref().is_some_and(|(row, _)| *row == id))
    };
    let write = row.read_only == Some(false);
    let integrity = row.integrity.clone().unwrap_or_default();
    view! {
        <tr
            data-testid="event-row"
            data-row=id
            class:selected=selected
            class:write=write
            on:click=move |_| worker_client::request_record(id)
        >
            <td class="time" data-testid="cell-time">{dash(row.time.map(|t| t.replace('T', " ").replace('Z', "")))}</td>
            <td data-testid="cell-event-name">{dash(row.event_name)}</td>
            <td class="muted" data-testid="cell-event-source">{dash(row.event_source)}</td>
            <td data-testid="cell-user">{dash(row.user)}</td>
            <td class="mono" data-testid="cell-source-ip">{dash(row.source_ip)}</td>
            <td data-testid="cell-region">{dash(row.region)}</td>
            <td data-testid="cell-error">
                {row.error.map(|e| view! { <span class="badge error">{e}</span> })}
            </td>
            <td data-testid="cell-integrity" data-integrity=integrity>
                {row.integrity.map(|i| {
                    let (class, label) = integrity_badge(&i);
                    view! { <span class=format!("badge {class}")>{label}</span> }
                })}
            </td>
        </tr>
    }
}

/// How an event's integrity reads in the table.
fn integrity_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "verified" => ("valid", "verified"),
        "failed" => ("invalid", "file failed"),
        "unverified" => ("unverifiable", "unverified"),
        _ => ("muted-badge", "not covered"),
    }
}
