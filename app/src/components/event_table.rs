//! The event table: virtualized, so a million rows scroll smoothly. Only the rows in view (and a
//! margin) exist in the page; the store worker sends them window by window.

use leptos::prelude::*;
use trailscope_query::EventRow;

use crate::columns::{self, Column};
use crate::format::count;
use crate::state::AppState;
use crate::worker_client;

/// Height of one row in pixels (fixed, so a row's position is its index times this).
const ROW_PX: f64 = 30.0;
/// Height of the scrolling area.
const VIEW_PX: f64 = 560.0;
/// Browsers cap an element's height (Chromium near 33.5 million px): past this the scroll
/// position maps to rows proportionally.
const MAX_SCROLL_PX: f64 = 15_000_000.0;
/// Rows built beyond the visible ones on each side.
const OVERSCAN_ROWS: u64 = 4;
/// Rows fetched beyond the visible ones on each side.
const MARGIN_ROWS: u64 = 60;

/// The event table with its column chooser.
#[component]
pub fn EventTable(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0.0f64);
    // The keyboard's row (arrows move it, Enter opens its event), an index into the result.
    let cursor = RwSignal::new(None::<u64>);
    let body = NodeRef::<leptos::html::Div>::new();
    let total = move || state.query.with(|q| q.as_ref().map_or(0, |q| q.total));
    let scale = move || {
        let full = total() as f64 * ROW_PX;
        if full > MAX_SCROLL_PX {
            full / MAX_SCROLL_PX
        } else {
            1.0
        }
    };
    let first_row = move || (scroll_top.get() * scale() / ROW_PX).floor().max(0.0) as u64;
    // Fetch the window around the visible rows whenever they leave the one held.
    Effect::new(move |_| {
        let first = first_row();
        let visible = (VIEW_PX / ROW_PX).ceil() as u64;
        let held = state
            .window
            .with(|w| (w.offset, w.rows.len() as u64, w.generation));
        let generation = state.query.with(|q| q.as_ref().map_or(0, |q| q.generation));
        let want_start = first.saturating_sub(MARGIN_ROWS);
        let want_end = (first + visible + MARGIN_ROWS).min(total());
        let covered = held.2 == generation && held.0 <= first && first + visible <= held.0 + held.1
            || total() == 0;
        if !covered {
            worker_client::request_window(state, want_start, want_end - want_start);
        }
    });
    let columns = move || {
        state.columns.with(|ids| {
            ids.iter()
                .filter_map(|id| columns::by_id(id))
                .copied()
                .collect::<Vec<Column>>()
        })
    };
    let chooser_open = RwSignal::new(false);
    let chooser_toggle = NodeRef::<leptos::html::Button>::new();
    // A new result starts the keyboard at its first row again.
    Effect::new(move |_| {
        state.query.with(|q| q.as_ref().map(|q| q.generation));
        cursor.set(None);
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let total = total();
        if total == 0 {
            return;
        }
        let page = (VIEW_PX / ROW_PX).floor() as u64 - 1;
        let at = cursor.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => at.map_or(0, |i| (i + 1).min(total - 1)),
            "ArrowUp" => at.map_or(0, |i| i.saturating_sub(1)),
            "PageDown" => at.map_or(0, |i| (i + page).min(total - 1)),
            "PageUp" => at.map_or(0, |i| i.saturating_sub(page)),
            "Home" => 0,
            "End" => total - 1,
            "Enter" | " " => {
                ev.prevent_default();
                let row = at.and_then(|i| {
                    state.window.with_untracked(|w| {
                        i.checked_sub(w.offset)
                            .and_then(|k| w.rows.get(k as usize))
                            .map(|r| r.row)
                    })
                });
                if let Some(row) = row {
                    worker_client::open_event(row);
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        cursor.set(Some(next));
        // Scroll so the row is in view (positions map through `scale` past the height cap).
        if let Some(el) = body.get_untracked() {
            let first = scroll_top.get_untracked() * scale() / ROW_PX;
            let visible = VIEW_PX / ROW_PX - 1.0;
            let index = next as f64;
            let top = if index < first {
                Some(index * ROW_PX / scale())
            } else if index > first + visible - 1.0 {
                Some((index - visible + 1.0) * ROW_PX / scale())
            } else {
                None
            };
            if let Some(top) = top {
                el.set_scroll_top(top.max(0.0) as i32);
                scroll_top.set(top.max(0.0));
            }
        }
    };
    view! {
        <section class="events" data-testid="events">
            <div class="table-head">
                <h2>
                    "Events "
                    <span class="muted" data-testid="result-count" role="status" aria-live="polite">
                        {move || state.query.with(|q| q.as_ref().map(|q| {
                            if q.total == q.events {
                                count(q.total)
                            } else {
                                format!("{} of {}", count(q.total), count(q.events))
                            }
                        }))}
                    </span>
                </h2>
                <div class="pager">
                    <button
                        class="button secondary"
                        data-testid="order-toggle"
                        title="Sort by time"
                        on:click=move |_| {
                            state.oldest_first.update(|v| *v = !*v);
                            worker_client::run_query(state);
                        }
                    >
                        {move || if state.oldest_first.get() { "Time ↑ oldest first" } else { "Time ↓ newest first" }}
                    </button>
                    <button
                        class="button secondary"
                        data-testid="column-chooser-toggle"
                        aria-expanded=move || chooser_open.get().to_string()
                        node_ref=chooser_toggle
                        on:click=move |_| chooser_open.update(|o| *o = !*o)
                    >
                        "Columns"
                    </button>
                </div>
            </div>
            <Show when=move || chooser_open.get()>
                // Escape closes the chooser and returns to its button.
                <div on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        ev.stop_propagation();
                        chooser_open.set(false);
                        if let Some(toggle) = chooser_toggle.get_untracked() {
                            let _ = toggle.focus();
                        }
                    }
                }>
                    <ColumnChooser state=state />
                </div>
            </Show>
            <div class="grid" role="grid" aria-label="Events" aria-rowcount=move || total() + 1
                style=move || format!("--columns: {}", columns().len())>
            <div class="grid-head" role="row" aria-rowindex="1">
                {move || columns().into_iter().map(|c| view! {
                    <div class=format!("cell col-{}", c.id) role="columnheader">{c.title}</div>
                }).collect_view()}
            </div>
            <div
                class="grid-body"
                id="events-table"
                data-testid="event-table"
                role="rowgroup"
                tabindex="0"
                aria-label="Events: arrows move, Enter opens"
                aria-activedescendant=move || cursor.get().map(|i| format!("event-row-{i}"))
                node_ref=body
                on:keydown=on_key
                style=format!("height: {VIEW_PX}px")
                on:scroll=move |ev| {
                    let el: web_sys::Element = event_target(&ev);
                    scroll_top.set(f64::from(el.scroll_top()));
                }
            >
                <div class="grid-spacer" style=move || format!("height: {}px", (total() as f64 * ROW_PX).min(MAX_SCROLL_PX))>
                    {move || {
                        let cols = columns();
                        let top = scroll_top.get();
                        let exact = top * scale() / ROW_PX;
                        // Only the rows in view (and a few beyond) are built: the window holds
                        // more so that scrolling rarely waits for the worker, but building all
                        // of it took longer than a frame.
                        let shown = exact.floor().max(0.0) as u64;
                        let from = shown.saturating_sub(OVERSCAN_ROWS);
                        let to = shown + (VIEW_PX / ROW_PX).ceil() as u64 + OVERSCAN_ROWS;
                        // Rows of an older query never show under the new one's count (a
                        // filter matching nothing must leave an empty table, not the last
                        // result): the window must be this query's, and within its total.
                        let (generation, total) = state.query.with(|q| q.as_ref().map_or((0, 0), |q| (q.generation, q.total)));
                        let to = to.min(total);
                        state.window.with(|w| {
                            if w.generation != generation {
                                return ().into_any();
                            }
                            w.rows.iter().enumerate().filter(|(i, _)| (from..to).contains(&(w.offset + *i as u64))).map(|(i, row)| {
                                let index = w.offset + i as u64;
                                let y = top + (index as f64 - exact) * ROW_PX;
                                let current = cursor.get() == Some(index);
                                view! { <Row row=row.clone() index=index y=y columns=cols.clone() state=state current=current /> }
                            }).collect_view().into_any()
                        })
                    }}
                </div>
            </div>
            </div>
            <Show when=move || total() == 0 && state.query.with(|q| q.is_some())>
                <p class="empty" data-testid="no-results">"No event matches this filter."</p>
                {move || state.query.with(|q| q.as_ref().and_then(|q| q.suggestion.clone())).map(|s| {
                    let filter = s.filter.clone();
                    view! {
                        <p class="suggestion" data-testid="filter-suggestion">
                            {format!("Values are matched whole. {} would match {}: ", s.term, crate::format::plural(s.total, "event", "events"))}
                            <button class="link" data-testid="filter-suggestion-apply" on:click=move |_| {
                                state.filter.set(filter.clone());
                                worker_client::run_query(state);
                            }>
                                {format!("search {} instead", s.term)}
                            </button>
                        </p>
                    }
                })}
            </Show>
        </section>
    }
}

#[component]
fn Row(
    row: EventRow,
    index: u64,
    y: f64,
    columns: Vec<Column>,
    state: AppState,
    /// The keyboard's row.
    current: bool,
) -> impl IntoView {
    let id = row.row;
    let selected = move || {
        state
            .record
            .with(|r| r.as_ref().is_some_and(|r| r.row == id))
    };
    let write = row.read_only == Some(false);
    let error = row.error.is_some();
    let cells = columns
        .iter()
        .map(|c| {
            let (text, value) = columns::cell(c, &row);
            let field = c.field;
            let class = format!("cell col-{}", c.id);
            let testid = format!("cell-{}", c.id);
            let badge = match c.id {
                "read-write" if !text.is_empty() => Some(if write { "badge write" } else { "badge read" }),
                "error" if !text.is_empty() => Some("badge error"),
                "integrity" if !text.is_empty() => Some(integrity_class(value.as_deref().unwrap_or_default())),
                _ => None,
            };
            let filterable = field.is_some() && value.is_some();
            let on_click = move |ev: leptos::ev::MouseEvent| {
                if let (Some(field), Some(value)) = (field, value.as_ref()) {
                    ev.stop_propagation();
                    let term = trailscope_query::edit::term(field, value, ev.shift_key() || ev.alt_key());
                    worker_client::add_filter_term(state, &term);
                }
            };
            let title = if filterable {
                format!("{text}\nClick to filter on this value, shift-click to exclude it")
            } else {
                text.clone()
            };
            view! {
                <div class=class data-testid=testid title=title role="gridcell">
                    {if text.is_empty() {
                        view! { <span class="muted">"—"</span> }.into_any()
                    } else if let Some(badge) = badge {
                        view! { <span class=format!("{badge} value") class:filterable=filterable on:click=on_click>{text}</span> }.into_any()
                    } else {
                        view! { <span class="value" class:filterable=filterable on:click=on_click>{text}</span> }.into_any()
                    }}
                </div>
            }
        })
        .collect_view();
    view! {
        <div
            class="grid-row"
            class:cursor=current
            role="row"
            id=format!("event-row-{index}")
            aria-rowindex=index + 2
            aria-selected=move || selected().to_string()
            data-testid="result-row"
            data-row=id
            data-index=index
            data-event-id=row.event_id.clone().unwrap_or_default()
            class:selected=selected
            class:write=write
            class:failed=error
            style=format!("top: {y}px")
            on:click=move |_| worker_client::open_event(id)
        >
            {cells}
        </div>
    }
}

fn integrity_class(status: &str) -> &'static str {
    match status {
        "verified" => "badge valid",
        "failed" => "badge invalid",
        "unverified" => "badge unverifiable",
        _ => "badge muted-badge",
    }
}

#[component]
fn ColumnChooser(state: AppState) -> impl IntoView {
    view! {
        <div class="column-chooser" data-testid="column-chooser">
            {columns::COLUMNS.iter().map(|c| {
                let id = c.id;
                let checked = move || state.columns.with(|cols| cols.iter().any(|x| x == id));
                view! {
                    <label>
                        <input
                            type="checkbox"
                            data-testid=format!("column-{id}")
                            prop:checked=checked
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                state.columns.update(|cols| {
                                    cols.retain(|x| x != id);
                                    if on {
                                        // Keep the table's order, not the order of clicks.
                                        let order = |x: &String| columns::COLUMNS.iter().position(|c| c.id == x.as_str());
                                        cols.push(id.to_string());
                                        cols.sort_by_key(order);
                                    }
                                });
                                worker_client::save_view(state);
                            }
                        />
                        " "
                        {c.title}
                    </label>
                }
            }).collect_view()}
            <button class="button secondary" on:click=move |_| {
                state.columns.set(columns::default_ids());
                worker_client::save_view(state);
            }>"Default columns"</button>
        </div>
    }
}
