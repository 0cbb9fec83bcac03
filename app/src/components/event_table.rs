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
    let columns = move || state.columns.with(|ids| columns::visible(ids));
    let chooser_open = RwSignal::new(false);
    // The column whose header is being dragged to a new place.
    let dragging = RwSignal::new(None::<String>);
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
                            // From a column's sort, back to time as it was.
                            if state.sort.get_untracked().is_some() {
                                state.sort.set(None);
                            } else {
                                state.oldest_first.update(|v| *v = !*v);
                            }
                            worker_client::run_query(state);
                        }
                    >
                        {move || match state.sort.get() {
                            Some(_) => "Sort by time",
                            None if state.oldest_first.get() => "Time ↑ oldest first",
                            None => "Time ↓ newest first",
                        }}
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
                style=move || {
                    // Wide enough for every column at its width: past the panel it scrolls.
                    let cols = columns();
                    let px: u32 = state.column_widths.with(|w| cols.iter().map(|c| {
                        w.iter().find(|(id, _)| *id == c.id).map_or(columns::DEFAULT_WIDTH_PX, |(_, px)| *px)
                    }).sum());
                    format!("--columns: {}; min-width: max(100%, {px}px)", cols.len())
                }>
            <div class="grid-head" role="row" aria-rowindex="1">
                {move || {
                    let cols = columns();
                    let count = cols.len();
                    cols.into_iter().enumerate().map(|(at, c)| view! { <ColumnHeader column=c at=at count=count dragging=dragging state=state /> }).collect_view()
                }}
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

/// A column's header: a button that sorts by the column (time: flips newest/oldest first; a
/// field: ascending, then descending), with `aria-sort` saying how the table is sorted.
#[component]
fn ColumnHeader(
    column: Column,
    /// Its place among the columns, and how many there are.
    at: usize,
    count: usize,
    /// The column being dragged, shared by the headers.
    dragging: RwSignal<Option<String>>,
    state: AppState,
) -> impl IntoView {
    let id = column.id.clone();
    let style_id = id.clone();
    let style = move || {
        state
            .column_widths
            .with(|w| columns::width_style(w, &style_id))
    };
    let resizing = RwSignal::new(false);
    let move_to = move |id: &str, to: usize| {
        state
            .columns
            .update(|ids| *ids = columns::moved(ids, id, to));
        worker_client::save_view(state);
    };
    let (drag_id, drop_id, key_id) = (id.clone(), id.clone(), id.clone());
    let on_dragstart = move |ev: leptos::ev::DragEvent| {
        // A drag that starts on the resize handle resizes; it does not move the column.
        if resizing.get_untracked() {
            ev.prevent_default();
            return;
        }
        if let Some(dt) = ev.data_transfer() {
            let _ = dt.set_data("text/plain", &drag_id);
            dt.set_effect_allowed("move");
        }
        dragging.set(Some(drag_id.clone()));
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        if dragging.get_untracked().is_some() {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(moving) = dragging.get_untracked() {
            if moving != drop_id {
                move_to(&moving, at);
            }
        }
        dragging.set(None);
    };
    // Alt+←/→ on a header moves its column: the keyboard's way to reorder.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if !ev.alt_key() {
            return;
        }
        let to = match ev.key().as_str() {
            "ArrowLeft" if at > 0 => at - 1,
            "ArrowRight" if at + 1 < count => at + 1,
            _ => return,
        };
        ev.prevent_default();
        move_to(&key_id, to);
        // Focus follows the moved column's header.
        let selector = format!(
            "[data-column-id=\"{}\"] button, [data-column-id=\"{}\"] .col-resize",
            css_escape(&key_id),
            css_escape(&key_id)
        );
        gloo_timers::callback::Timeout::new(0, move || {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(&selector).ok().flatten())
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = el.focus();
            }
        })
        .forget();
    };
    let handle = view! { <ResizeHandle id=id.clone() title=column.title.clone() testkey=column.key resizing=resizing state=state /> };
    let field: Option<String> = if column.key == "time" {
        Some("eventTime".to_string())
    } else {
        column
            .field
            .clone()
            .filter(|f| column.extra.is_none() && trailscope_query::Sorting::sortable(f))
    };
    let class = format!("cell col-{}", column.key);
    let Some(field) = field else {
        return view! {
            <div
                class=class
                role="columnheader"
                title=format!("{}: drag to move; Alt+←/→ moves it from its resize handle", column.title)
                data-column-id=id.clone()
                draggable="true"
                style=style
                on:dragstart=on_dragstart
                on:dragover=on_dragover
                on:drop=on_drop
                on:dragend=move |_| dragging.set(None)
                on:keydown=on_keydown
            >
                <span class="header-text">{column.title.clone()}</span>
                {handle}
            </div>
        }
        .into_any();
    };
    let is_time = column.key == "time";
    let sort_field = field.clone();
    // `Some(descending)` when the table is sorted by this column.
    let sorted = Signal::derive(move || {
        if is_time {
            state
                .sort
                .with(|s| s.is_none())
                .then(|| !state.oldest_first.get())
        } else {
            state.sort.with(|s| {
                s.as_ref()
                    .filter(|s| s.field == sort_field)
                    .map(|s| s.descending)
            })
        }
    });
    let on_click = move |_| {
        if is_time {
            if state.sort.get_untracked().is_some() {
                state.sort.set(None);
            } else {
                state.oldest_first.update(|v| *v = !*v);
            }
        } else {
            let descending = sorted.get() == Some(false);
            state.sort.set(Some(trailscope_query::SortBy {
                field: field.clone(),
                descending,
            }));
        }
        worker_client::run_query(state);
    };
    let sort_title = format!(
        "Sort by {}; drag to move the column, or Alt+←/→",
        column.title
    );
    view! {
        <div
            class=class
            role="columnheader"
            data-column-id=id.clone()
            draggable="true"
            style=style
            on:dragstart=on_dragstart
            on:dragover=on_dragover
            on:drop=on_drop
            on:dragend=move |_| dragging.set(None)
            on:keydown=on_keydown
            aria-sort=move || match sorted.get() {
                Some(true) => "descending",
                Some(false) => "ascending",
                None => "none",
            }
        >
            <button
                class="sort-header"
                class:sorted=move || sorted.get().is_some()
                data-testid=format!("sort-{}", column.key)
                title=sort_title
                aria-keyshortcuts="Alt+ArrowLeft Alt+ArrowRight"
                on:click=on_click
            >
                {column.title}
                <span class="sort-mark" aria-hidden="true">
                    {move || match sorted.get() {
                        Some(true) => " ▼",
                        Some(false) => " ▲",
                        None => "",
                    }}
                </span>
            </button>
            {handle}
        </div>
    }
    .into_any()
}

/// The edge of a column's header: dragged (or moved with ←/→ once focused) it sets the
/// column's width, which every row then keeps.
#[component]
fn ResizeHandle(
    id: String,
    title: String,
    testkey: &'static str,
    /// Set while the pointer drags the handle (so the header does not start a move).
    resizing: RwSignal<bool>,
    state: AppState,
) -> impl IntoView {
    let handle = NodeRef::<leptos::html::Span>::new();
    // Where the drag started: the pointer's x and the column's width then.
    let start = RwSignal::new(None::<(i32, f64)>);
    let (id_move, id_key, id_now) = (id.clone(), id.clone(), id.clone());
    let current_width = move || -> f64 {
        handle
            .get_untracked()
            .and_then(|h| h.parent_element())
            .map_or(f64::from(columns::DEFAULT_WIDTH_PX), |cell| {
                cell.get_bounding_client_rect().width()
            })
    };
    let set_width = move |id: &str, px: f64| {
        let px = px.round().clamp(
            f64::from(columns::MIN_WIDTH_PX),
            f64::from(columns::MAX_WIDTH_PX),
        ) as u32;
        state
            .column_widths
            .update(|w| match w.iter_mut().find(|(i, _)| i == id) {
                Some(slot) => slot.1 = px,
                None => w.push((id.to_string(), px)),
            });
        state
            .column_widths
            .with_untracked(|w| columns::keep_widths(w));
    };
    // The width as laid out, read once the handle is in the page (a separator that can be
    // focused must say its value); a width the user set wins.
    let measured = RwSignal::new(columns::DEFAULT_WIDTH_PX);
    Effect::new(move |_| {
        if handle.get().is_some() {
            measured.set(current_width().round() as u32);
        }
    });
    let width_now = move || {
        state
            .column_widths
            .with(|w| w.iter().find(|(i, _)| *i == id_now).map(|(_, px)| *px))
            .unwrap_or_else(|| measured.get())
    };
    view! {
        <span
            class="col-resize"
            node_ref=handle
            role="separator"
            aria-orientation="vertical"
            aria-label=format!("Width of the {title} column: ← and → change it, Alt+← and Alt+→ move the column")
            aria-valuenow=move || width_now().to_string()
            aria-valuemin=columns::MIN_WIDTH_PX.to_string()
            aria-valuemax="2000"
            tabindex="0"
            data-testid=format!("col-resize-{testkey}")
            on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                ev.stop_propagation();
                resizing.set(true);
                start.set(Some((ev.client_x(), current_width())));
                if let Some(h) = handle.get_untracked() {
                    let _ = h.set_pointer_capture(ev.pointer_id());
                }
            }
            on:pointermove=move |ev: leptos::ev::PointerEvent| {
                if let Some((x0, w0)) = start.get_untracked() {
                    set_width(&id_move, w0 + f64::from(ev.client_x() - x0));
                }
            }
            on:pointerup=move |_| {
                start.set(None);
                resizing.set(false);
            }
            on:pointercancel=move |_| {
                start.set(None);
                resizing.set(false);
            }
            on:click=move |ev: leptos::ev::MouseEvent| ev.stop_propagation()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.alt_key() {
                    return;
                }
                let step = match ev.key().as_str() {
                    "ArrowLeft" => -16.0,
                    "ArrowRight" => 16.0,
                    _ => return,
                };
                ev.prevent_default();
                ev.stop_propagation();
                set_width(&id_key, current_width() + step);
            }
        ></span>
    }
}

/// `text` as a CSS string's content (column ids hold `.`, `:` and whatever a path holds).
fn css_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
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
    let filter_on = move |field: Option<String>, value: Option<String>| {
        move |ev: leptos::ev::MouseEvent| {
            if let (Some(field), Some(value)) = (field.as_deref(), value.as_deref()) {
                ev.stop_propagation();
                let term =
                    trailscope_query::edit::term(field, value, ev.shift_key() || ev.alt_key());
                worker_client::add_filter_term(state, &term);
            }
        }
    };
    let cells = columns
        .iter()
        .map(|c| {
            let class = format!("cell col-{}", c.key);
            let testid = format!("cell-{}", c.key);
            let style = {
                let id = c.id.clone();
                move || state.column_widths.with(|w| columns::width_style(w, &id))
            };
            // A column read from the record: each of its values filters on its own.
            if let Some(at) = c.extra {
                let values = row.extra.get(at).cloned().unwrap_or_default();
                let title = values.join("\n");
                let field = c.field.clone();
                return view! {
                    <div class=class data-testid=testid title=title role="gridcell" style=style>
                        {if values.is_empty() {
                            view! { <span class="muted">"—"</span> }.into_any()
                        } else {
                            values.into_iter().enumerate().map(|(i, value)| view! {
                                {(i > 0).then_some(", ")}
                                <span class="value filterable" on:click=filter_on(field.clone(), Some(value.clone()))>{value.clone()}</span>
                            }).collect_view().into_any()
                        }}
                    </div>
                }
                .into_any();
            }
            let (text, value) = columns::cell(c, &row);
            let badge = match c.key {
                "read-write" if !text.is_empty() => Some(if write { "badge write" } else { "badge read" }),
                "error" if !text.is_empty() => Some("badge error"),
                "integrity" if !text.is_empty() => Some(integrity_class(value.as_deref().unwrap_or_default())),
                _ => None,
            };
            let filterable = c.field.is_some() && value.is_some();
            let on_click = filter_on(c.field.clone(), value);
            let title = if filterable {
                format!("{text}\nClick to filter on this value, shift-click to exclude it")
            } else {
                text.clone()
            };
            view! {
                <div class=class data-testid=testid title=title role="gridcell" style=style>
                    {if text.is_empty() {
                        view! { <span class="muted">"—"</span> }.into_any()
                    } else if let Some(badge) = badge {
                        view! { <span class=format!("{badge} value") class:filterable=filterable on:click=on_click>{text}</span> }.into_any()
                    } else {
                        view! { <span class="value" class:filterable=filterable on:click=on_click>{text}</span> }.into_any()
                    }}
                </div>
            }
            .into_any()
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

/// Applies a change of columns: saved in the link, and, when the record columns changed, the
/// rows asked for again with their values.
fn columns_changed(state: AppState, before: &[String]) {
    let after = state.columns.get_untracked();
    worker_client::save_view(state);
    if columns::record_ids(before) != columns::record_ids(&after) {
        worker_client::run_query(state);
    }
}

#[component]
fn ColumnChooser(state: AppState) -> impl IntoView {
    // Built-in columns keep the table's order; path columns follow, in the order added.
    let set_built_in = move |id: &'static str, on: bool| {
        let before = state.columns.get_untracked();
        state.columns.update(|cols| {
            cols.retain(|x| x != id);
            if on {
                let order = |x: &String| {
                    columns::COLUMNS
                        .iter()
                        .position(|c| c.id == x.as_str())
                        .unwrap_or(columns::COLUMNS.len())
                };
                cols.push(id.to_string());
                cols.sort_by_key(order);
            }
        });
        columns_changed(state, &before);
    };
    let path = RwSignal::new(String::new());
    let path_error = RwSignal::new(None::<String>);
    let add_path = move || {
        let typed = path.get_untracked().trim().to_string();
        if typed.is_empty() {
            return;
        }
        let id = format!("{}{typed}", columns::PATH_PREFIX);
        match trailscope_query::columns::ColumnKind::of(&id) {
            Ok(_) => {
                let before = state.columns.get_untracked();
                state.columns.update(|cols| {
                    if !cols.contains(&id) {
                        cols.push(id.clone());
                    }
                });
                path.set(String::new());
                path_error.set(None);
                columns_changed(state, &before);
            }
            Err(e) => path_error.set(Some(e)),
        }
    };
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
                            on:change=move |ev| set_built_in(id, event_target_checked(&ev))
                        />
                        " "
                        {c.title}
                    </label>
                }
            }).collect_view()}
            {move || state.columns.get().into_iter().filter(|id| id.starts_with(columns::PATH_PREFIX)).map(|id| {
                let title = id.trim_start_matches(columns::PATH_PREFIX).to_string();
                let remove = id.clone();
                view! {
                    <label class="path-column">
                        <input
                            type="checkbox"
                            checked
                            data-testid="column-path"
                            data-path=title.clone()
                            on:change=move |_| {
                                let before = state.columns.get_untracked();
                                state.columns.update(|cols| cols.retain(|x| *x != remove));
                                columns_changed(state, &before);
                            }
                        />
                        " "
                        <span class="mono">{title}</span>
                    </label>
                }
            }).collect_view()}
            <form
                class="add-column"
                on:submit=move |ev| {
                    ev.prevent_default();
                    add_path();
                }
            >
                <label>
                    "Any field: "
                    <input
                        type="text"
                        class="mono"
                        data-testid="column-path-input"
                        placeholder="requestParameters.bucketName"
                        spellcheck="false"
                        prop:value=move || path.get()
                        on:input=move |ev| path.set(event_target_value(&ev))
                    />
                </label>
                <button class="button secondary" type="submit" data-testid="column-path-add">"Add column"</button>
                {move || path_error.get().map(|e| view! {
                    <span class="filter-error" role="alert" data-testid="column-path-error">{e}</span>
                })}
            </form>
            <button class="button secondary" on:click=move |_| {
                let before = state.columns.get_untracked();
                state.columns.set(columns::default_ids());
                columns_changed(state, &before);
            }>"Default columns"</button>
        </div>
    }
}
