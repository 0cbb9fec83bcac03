//! The SQL tab: a query editor with the table's columns and sample queries beside it, the answer
//! as a sortable table that renders only the rows in view, a chart of it, and downloads. The
//! engine runs in its own worker (`worker_client::sql`), started when this tab first opens.
//!
//! Only the editor's shell is a Leptos view. The lists and the answer are drawn by the plain DOM
//! calls of `draw_*`, with one click handler per area reading `data-*` attributes: the page's
//! first load may grow by 50 KB for SQL, and the same widgets as nested views measured 100 KB of
//! wasm (each view is its own generic code). Text goes in with `set_text_content` only, never
//! as HTML, so an answer's values cannot inject markup.

use leptos::prelude::*;
use trailscope_protocol::{SqlFileFormat, SqlSort};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlTextAreaElement};

use crate::format::{count, millis, plural};
use crate::state::{AppState, SqlFailure, SqlPhase, SqlResult};
use crate::worker_client;

/// Height of one result row in pixels (the stylesheet's `.sql-result td` height).
const ROW_HEIGHT: f64 = 26.0;
/// Rows drawn beyond those in view, above and below.
const OVERSCAN: usize = 10;
/// Height of the result's scrolling area (the stylesheet's `.sql-result-scroll`).
const VIEW_HEIGHT: f64 = 420.0;
/// Bars a chart draws at most.
const CHART_BARS: usize = 25;

/// What the last drawing showed, so a change redraws only its own part.
#[derive(Clone, Default, PartialEq)]
struct Drawn {
    /// Columns and samples listed.
    lists: usize,
    /// The answer drawn.
    answer: Option<DrawnAnswer>,
}

/// An answer as drawn: its request, its sort, whether a download was running.
#[derive(Clone, Copy, PartialEq)]
struct DrawnAnswer {
    request: u32,
    sort: Option<(usize, bool)>,
    downloading: bool,
}

/// The SQL tab.
#[component]
pub fn SqlPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let sql = state.sql;
    // The worker starts when the tab first shows, and takes the events again after each load.
    Effect::new(move |_| {
        state.loads.track();
        state.totals.track();
        worker_client::open_sql(state);
    });
    let host = NodeRef::<leptos::html::Section>::new();
    let part = move |name: &str| -> Option<Element> {
        host.get_untracked()?
            .query_selector(&format!("[data-part={name}]"))
            .ok()
            .flatten()
    };
    // The editor follows the text (a sample, an inserted column, a link).
    Effect::new(move |_| {
        let text = sql.text.get();
        if let Some(area) = part("editor").and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok()) {
            if area.value() != text {
                area.set_value(&text);
            }
        }
    });
    Effect::new(move |drawn: Option<Drawn>| {
        host.track();
        let mut drawn = drawn.unwrap_or_default();
        sql.view.with(|view| {
            if let Some(status) = part("status") {
                status.set_text_content(Some(&status_text(&view.phase)));
                match view.phase {
                    SqlPhase::Ready {
                        records_outside_wasm_bytes,
                        ..
                    } => attr(
                        &status,
                        "data-records-outside-wasm-bytes",
                        &records_outside_wasm_bytes.to_string(),
                    ),
                    _ => {
                        let _ = status.remove_attribute("data-records-outside-wasm-bytes");
                    }
                }
            }
            if let Some(run) = part("run") {
                toggle(&run, "disabled", view.running.is_some());
            }
            if let Some(cancel) = part("cancel") {
                toggle(
                    &cancel,
                    "hidden",
                    view.running.is_none() && view.downloading.is_none(),
                );
            }
            if let Some(error) = part("error") {
                draw_failure(&error, view.failure.as_ref(), &sql.text.get_untracked());
            }
            let lists = view.columns.len() + view.samples.len();
            if drawn.lists != lists {
                if let Some(host) = part("lists") {
                    draw_lists(&host, &view.columns, &view.samples);
                    drawn.lists = lists;
                }
            }
            let answer = view.result.as_ref().map(|r| DrawnAnswer {
                request: r.request.0,
                sort: view.sort,
                downloading: view.downloading.is_some(),
            });
            if drawn.answer != answer {
                if let (Some(host), Some(table), Some(scroller)) =
                    (part("answer"), part("table"), part("scroller"))
                {
                    draw_answer(&host, view.result.as_deref(), view.downloading.is_some());
                    draw_table(&table, view.result.as_deref(), view.sort, 0.0);
                    toggle(&scroller, "hidden", view.result.is_none());
                    scroller.set_scroll_top(0);
                    drawn.answer = answer;
                }
            }
        });
        drawn
    });

    let run = move || {
        let text = sql.text.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        sql.view.update(|v| v.sort = None);
        worker_client::save_view(state);
        worker_client::run_sql(state, text, None);
    };
    // Inserts `text` at the editor's cursor, as clicking a column does.
    let insert = move |text: &str| {
        let Some(area) = part("editor").and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok())
        else {
            return;
        };
        let value = area.value();
        let at = area
            .selection_start()
            .ok()
            .flatten()
            .map_or(value.len(), |s| s as usize);
        // selectionStart counts UTF-16 units; step back to a char boundary of the Rust string.
        let mut at = at.min(value.len());
        while !value.is_char_boundary(at) {
            at -= 1;
        }
        sql.text
            .set(format!("{}{text}{}", &value[..at], &value[at..]));
        let _ = area.focus();
    };
    let on_click = move |e: leptos::ev::MouseEvent| {
        let Some(target) = clicked(&e) else { return };
        let attribute = |name: &str| target.get_attribute(name);
        let ran = sql
            .view
            .with_untracked(|v| v.result.as_ref().map(|r| r.sql.clone()));
        if let Some(action) = attribute("data-action") {
            match action.as_str() {
                "run" => run(),
                _ => worker_client::cancel_sql(state),
            }
        } else if let Some(path) = attribute("data-insert") {
            insert(&path);
        } else if let Some(index) = attribute("data-sample") {
            let text = sql.view.with_untracked(|v| {
                index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| v.samples.get(i))
                    .map(|s| s.sql.clone())
            });
            if let Some(text) = text {
                sql.text.set(text);
            }
        } else if let (Some(format), Some(ran)) = (attribute("data-download"), ran.clone()) {
            let format = match format.as_str() {
                "csv" => SqlFileFormat::Csv,
                "json" => SqlFileFormat::Json,
                _ => SqlFileFormat::Parquet,
            };
            worker_client::download_sql(state, ran, format);
        } else if let (Some(column), Some(ran)) = (attribute("data-sort"), ran) {
            let Ok(column) = column.parse::<u32>() else {
                return;
            };
            // Ascending first, then the other way on each click.
            let descending = sql
                .view
                .with_untracked(|v| v.sort.is_some_and(|(c, d)| c == column as usize && !d));
            sql.view
                .update(|v| v.sort = Some((column as usize, descending)));
            worker_client::run_sql(state, ran, Some(SqlSort { column, descending }));
        } else if let Some(event_id) = attribute("data-open") {
            worker_client::open_event_id(state, event_id);
        } else if attribute("data-open-all").is_some() {
            let ids = sql.view.with_untracked(|v| {
                v.result
                    .as_ref()
                    .map(|r| r.table.event_ids.clone())
                    .unwrap_or_default()
            });
            let (filter, _) = trailscope_query::edit::event_ids_filter(&ids);
            if !filter.is_empty() {
                state.filter.set(filter);
                state.tab.set(crate::state::Tab::Events);
                worker_client::run_query(state);
            }
        }
    };

    view! {
        <section class="sql-panel" data-testid="sql-panel" aria-labelledby="sql-heading" node_ref=host
            on:click=on_click
            on:input=move |e| {
                if let Some(area) = e.target().and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok()) {
                    sql.text.set(area.value());
                }
            }
            on:keydown=move |e: leptos::ev::KeyboardEvent| {
                // Ctrl+Enter (⌘+Enter) runs, as in Lake's and Athena's editors.
                if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                    e.prevent_default();
                    run();
                }
            }>
            <h2 id="sql-heading" class="visually-hidden">"SQL"</h2>
            <p class="muted" data-testid="sql-status" data-part="status" role="status" aria-live="polite"></p>
            <label for="sql-editor" class="sql-label">"Query (CloudTrail Lake's SQL; Ctrl+Enter runs)"</label>
            <textarea id="sql-editor" class="sql-editor" data-testid="sql-editor" data-part="editor" spellcheck="false" rows="9"
                placeholder="SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC"></textarea>
            <div class="sql-actions">
                <button type="button" class="button" data-testid="sql-run" data-part="run" data-action="run">"Run"</button>
                <button type="button" class="button secondary" data-testid="sql-cancel" data-part="cancel" data-action="cancel" hidden>"Cancel"</button>
            </div>
            <div data-part="error"></div>
            <div data-part="lists"></div>
            <div class="sql-answer" data-part="answer">
                <div class="sql-result-scroll" data-testid="sql-result" data-part="scroller" tabindex="0" aria-label="Query answer" hidden
                    on:scroll=move |e| {
                        let top = f64::from(event_target::<Element>(&e).scroll_top());
                        if let Some(table) = part("table") {
                            sql.view.with_untracked(|v| draw_rows(&table, v.result.as_deref(), top));
                        }
                    }>
                    <table class="sql-result" data-part="table"></table>
                </div>
            </div>
        </section>
    }
}

fn status_text(phase: &SqlPhase) -> String {
    match phase {
        SqlPhase::Idle | SqlPhase::Starting => "Loading the SQL engine…".to_string(),
        SqlPhase::HandingOver => "Handing the events to the SQL engine…".to_string(),
        SqlPhase::Ready {
            events, millis: ms, ..
        } => format!(
            "{} ready to query (SQL engine ready in {}). One table: any name in FROM means the loaded events.",
            plural(*events, "event", "events"),
            millis(*ms)
        ),
        SqlPhase::Failed(message) => message.clone(),
    }
}

/// Sets or removes a boolean attribute.
fn toggle(el: &Element, name: &str, on: bool) {
    if on {
        attr(el, name, "");
    } else {
        let _ = el.remove_attribute(name);
    }
}

/// The query's error, pointing at the line and column when the engine knows them.
fn draw_failure(host: &Element, failure: Option<&SqlFailure>, text: &str) {
    host.set_text_content(None);
    let (Some(doc), Some(f)) = (document(), failure) else {
        return;
    };
    let Some(alert) = element(&doc, "div", "sql-error", None) else {
        return;
    };
    attr(&alert, "role", "alert");
    attr(&alert, "data-testid", "sql-error");
    let at = match (f.line, f.column) {
        (Some(l), Some(c)) => {
            attr(&alert, "data-line", &l.to_string());
            attr(&alert, "data-column", &c.to_string());
            format!("Line {l}, column {c}: ")
        }
        _ => String::new(),
    };
    if let Some(p) = element(&doc, "p", "", Some(&format!("{at}{}", f.message))) {
        append(&alert, &p);
    }
    let pointer = f.line.zip(f.column).and_then(|(l, c)| {
        let line = text.lines().nth(l.saturating_sub(1) as usize)?;
        Some(format!(
            "{line}\n{}^",
            " ".repeat(c.saturating_sub(1) as usize)
        ))
    });
    if let Some(pre) = pointer.and_then(|p| element(&doc, "pre", "sql-pointer", Some(&p))) {
        append(&alert, &pre);
    }
    append(host, &alert);
}

/// The element a click landed on, or the nearest one above it that carries an action.
fn clicked(e: &leptos::ev::MouseEvent) -> Option<Element> {
    let target: Element = e.target()?.dyn_into().ok()?;
    target
        .closest(
            "[data-action],[data-insert],[data-sample],[data-download],[data-sort],[data-open],[data-open-all]",
        )
        .ok()
        .flatten()
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// A new element with a class and text.
fn element(doc: &Document, tag: &str, class: &str, text: Option<&str>) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    if !class.is_empty() {
        el.set_class_name(class);
    }
    if let Some(text) = text {
        el.set_text_content(Some(text));
    }
    Some(el)
}

fn attr(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// A button (a link's look unless `class` says otherwise) with an action attribute.
fn action_button(
    doc: &Document,
    class: &str,
    text: &str,
    action: (&str, &str),
    testid: &str,
) -> Option<Element> {
    let button = element(doc, "button", class, Some(text))?;
    attr(&button, "type", "button");
    attr(&button, action.0, action.1);
    attr(&button, "data-testid", testid);
    Some(button)
}

/// The sample queries and the table's columns (a click on a column inserts its path).
fn draw_lists(
    host: &Element,
    columns: &[trailscope_protocol::SqlColumn],
    samples: &[trailscope_protocol::SqlSample],
) {
    let Some(doc) = document() else { return };
    host.set_text_content(None);
    let Some(box_) = element(&doc, "div", "sql-lists", None) else {
        return;
    };
    if let Some(details) = element(&doc, "details", "sql-samples", None) {
        attr(&details, "data-testid", "sql-samples");
        attr(&details, "open", "");
        if let Some(summary) = element(&doc, "summary", "", Some("Sample queries")) {
            append(&details, &summary);
        }
        if let Some(list) = element(&doc, "ul", "", None) {
            for (i, sample) in samples.iter().enumerate() {
                let item = element(&doc, "li", "", None);
                let button = action_button(
                    &doc,
                    "link",
                    &sample.title,
                    ("data-sample", &i.to_string()),
                    "sql-sample",
                );
                if let (Some(item), Some(button)) = (item, button) {
                    append(&item, &button);
                    append(&list, &item);
                }
            }
            append(&details, &list);
        }
        append(&box_, &details);
    }
    if let Some(aside) = element(&doc, "aside", "sql-columns", None) {
        attr(&aside, "data-testid", "sql-schema");
        attr(&aside, "aria-label", "Columns of the events table");
        if let Some(h) = element(&doc, "h3", "", Some("Columns (click to insert)")) {
            append(&aside, &h);
        }
        if let Some(list) = element(&doc, "ul", "", None) {
            for column in columns {
                let item = element(&doc, "li", "", None);
                let button = action_button(
                    &doc,
                    "link sql-column",
                    &column.path,
                    ("data-insert", &column.path),
                    "sql-column",
                );
                let kind = element(&doc, "span", "muted", Some(&format!(" {}", column.kind)));
                if let (Some(item), Some(button), Some(kind)) = (item, button, kind) {
                    append(&item, &button);
                    append(&item, &kind);
                    append(&list, &item);
                }
            }
            append(&aside, &list);
        }
        append(&box_, &aside);
    }
    append(host, &box_);
}

/// The answer's summary, downloads and chart (above the table).
fn draw_answer(host: &Element, result: Option<&SqlResult>, downloading: bool) {
    let Some(doc) = document() else { return };
    // Everything but the table's scrolling area, which is the view's own.
    while let Some(first) = host.first_element_child() {
        if first.get_attribute("data-testid").as_deref() == Some("sql-result") {
            break;
        }
        first.remove();
    }
    let Some(result) = result else { return };
    let table = &result.table;
    let shown = table.shown_rows;
    let text = if shown < table.total_rows {
        format!(
            "{} (the first {} shown; the downloads have them all) in {} ({} in the engine)",
            plural(table.total_rows, "row", "rows"),
            count(shown),
            millis(result.total_millis),
            millis(result.engine_millis)
        )
    } else {
        format!(
            "{} in {} ({} in the engine)",
            plural(table.total_rows, "row", "rows"),
            millis(result.total_millis),
            millis(result.engine_millis)
        )
    };
    let mut parts = Vec::new();
    if let Some(summary) = element(&doc, "p", "sql-answer-summary", Some(&text)) {
        attr(&summary, "data-testid", "sql-summary");
        attr(&summary, "role", "status");
        attr(&summary, "data-total-rows", &table.total_rows.to_string());
        attr(
            &summary,
            "data-engine-millis",
            &format!("{:.1}", result.engine_millis),
        );
        attr(
            &summary,
            "data-total-millis",
            &format!("{:.1}", result.total_millis),
        );
        parts.push(summary);
    }
    if let Some(downloads) = element(&doc, "div", "sql-downloads", None) {
        if let Some(label) = element(&doc, "span", "muted", Some("Download the answer: ")) {
            append(&downloads, &label);
        }
        for (format, label) in [("csv", "CSV"), ("json", "JSON"), ("parquet", "Parquet")] {
            let testid = format!("sql-download-{format}");
            if let Some(button) = action_button(
                &doc,
                "button secondary",
                label,
                ("data-download", format),
                &testid,
            ) {
                if downloading {
                    attr(&button, "disabled", "");
                }
                append(&downloads, &button);
            }
        }
        parts.push(downloads);
    }
    if let Some(open) = open_all_button(&doc, table) {
        parts.push(open);
    }
    if let Some(chart) = draw_chart(&doc, result) {
        parts.push(chart);
    }
    let first = host.first_element_child();
    for part in parts {
        let _ = host.insert_before(&part, first.as_ref().map(|f| f.as_ref()));
    }
}

/// "Open these events" when the answer has event IDs: the Events view filtered to exactly them
/// (the first [`trailscope_protocol::SQL_EVENT_IDS`], said so when there are more rows).
fn open_all_button(doc: &Document, table: &trailscope_protocol::SqlTable) -> Option<Element> {
    let (_, left_out) = trailscope_query::edit::event_ids_filter(&table.event_ids);
    let ids = table
        .event_ids
        .len()
        .checked_sub(left_out)
        .filter(|n| *n > 0)?;
    let label = if (ids as u64) < table.total_rows {
        format!(
            "Open the first {} in Events",
            plural(ids as u64, "event", "events")
        )
    } else {
        format!(
            "Open these {} in Events",
            plural(ids as u64, "event", "events")
        )
    };
    let row = element(doc, "div", "sql-open-all", None)?;
    let button = action_button(
        doc,
        "button secondary",
        &label,
        ("data-open-all", ""),
        "sql-open-events",
    )?;
    attr(&button, "data-events", &ids.to_string());
    append(&row, &button);
    if left_out > 0 {
        let note = format!(
            " ({} left out: an ID with a * at an end cannot be matched exactly)",
            count(left_out as u64)
        );
        if let Some(note) = element(doc, "span", "muted", Some(&note)) {
            append(&row, &note);
        }
    }
    Some(row)
}

/// Bars of the first numeric column by the first column (a line when the first column is a
/// time); its text alternative says what it shows. None when no column after the first is a
/// number.
fn draw_chart(doc: &Document, result: &SqlResult) -> Option<Element> {
    let table = &result.table;
    let numeric = |t: &String| {
        ["Int", "UInt", "Float", "Decimal"]
            .iter()
            .any(|p| t.starts_with(p))
    };
    let value_column = table.types.iter().skip(1).position(numeric)? + 1;
    let label = table.columns.first()?;
    let value_name = table.columns.get(value_column)?;
    let rows = rows_of(result);
    let points: Vec<(String, f64)> = (0..rows.length())
        .filter_map(|i| {
            let row = rows.get(i);
            let name = cell(&row, 0).unwrap_or_else(|| "(null)".into());
            let value = js_sys::Number::parse_float(&cell(&row, value_column as u32)?);
            value.is_finite().then_some((name, value))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let is_time = table
        .types
        .first()
        .is_some_and(|t| t.starts_with("Timestamp") || t.starts_with("Date"));
    let max = points
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let figure = element(doc, "figure", "sql-chart", None)?;
    attr(&figure, "data-testid", "sql-chart");
    attr(&figure, "role", "img");
    let description = if is_time {
        let first = points.first().map_or("", |p| p.0.as_str());
        let last = points.last().map_or("", |p| p.0.as_str());
        format!(
            "Line chart of {value_name} over {label}, {} points from {first} to {last}, at most {}",
            points.len(),
            number(max)
        )
    } else {
        format!(
            "Bar chart of {value_name} by {label}, the first {} of {}",
            points.len().min(CHART_BARS),
            plural(table.shown_rows, "row", "rows")
        )
    };
    attr(&figure, "aria-label", &description);
    if is_time {
        let svg = doc
            .create_element_ns(Some("http://www.w3.org/2000/svg"), "svg")
            .ok()?;
        let (width, height) = (800.0, 160.0);
        attr(&svg, "class", "sql-line");
        attr(&svg, "viewBox", &format!("0 0 {width} {height}"));
        attr(&svg, "preserveAspectRatio", "none");
        attr(&svg, "aria-hidden", "true");
        let step = if points.len() > 1 {
            width / (points.len() - 1) as f64
        } else {
            0.0
        };
        let line: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, v))| format!("{:.1},{:.1}", i as f64 * step, height - v / max * height))
            .collect();
        let polyline = doc
            .create_element_ns(Some("http://www.w3.org/2000/svg"), "polyline")
            .ok()?;
        attr(&polyline, "points", &line.join(" "));
        attr(&polyline, "fill", "none");
        attr(&polyline, "stroke", "currentColor");
        attr(&polyline, "stroke-width", "2");
        append(&svg, &polyline);
        append(&figure, &svg);
    } else {
        let bars = element(doc, "div", "sql-bars", None)?;
        attr(&bars, "aria-hidden", "true");
        for (name, value) in points.iter().take(CHART_BARS) {
            let row = element(doc, "div", "sql-bar-row", None)?;
            let label = element(doc, "span", "sql-bar-label", Some(name))?;
            attr(&label, "title", name);
            let track = element(doc, "span", "sql-bar-track", None)?;
            let bar = element(doc, "span", "sql-bar", None)?;
            attr(
                &bar,
                "style",
                &format!("width: {:.2}%", value / max * 100.0),
            );
            append(&track, &bar);
            let shown = element(doc, "span", "sql-bar-value num", Some(&number(*value)))?;
            append(&row, &label);
            append(&row, &track);
            append(&row, &shown);
            append(&bars, &row);
        }
        append(&figure, &bars);
    }
    let caption = element(doc, "figcaption", "muted", Some(&description))?;
    append(&figure, &caption);
    Some(figure)
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 && value >= 0.0 {
        count(value as u64)
    } else {
        format!("{value:.3}")
    }
}

/// The table's header (a button per column sorts by it) and body.
fn draw_table(table: &Element, result: Option<&SqlResult>, sort: Option<(usize, bool)>, top: f64) {
    let Some(doc) = document() else { return };
    table.set_text_content(None);
    let Some(result) = result else { return };
    attr(
        table,
        "aria-rowcount",
        &(result.table.shown_rows + 1).to_string(),
    );
    let (Some(head), Some(row)) = (
        element(&doc, "thead", "", None),
        element(&doc, "tr", "", None),
    ) else {
        return;
    };
    if event_column(result).is_some() {
        if let Some(th) = element(&doc, "th", "", None) {
            if let Some(hidden) = element(&doc, "span", "visually-hidden", Some("Open the event")) {
                append(&th, &hidden);
            }
            append(&row, &th);
        }
    }
    for (index, name) in result.table.columns.iter().enumerate() {
        let state = sort.filter(|(c, _)| *c == index).map(|(_, d)| d);
        let (aria, arrow) = match state {
            Some(true) => ("descending", " ▼"),
            Some(false) => ("ascending", " ▲"),
            None => ("none", ""),
        };
        let Some(th) = element(&doc, "th", "", None) else {
            continue;
        };
        attr(&th, "scope", "col");
        attr(&th, "aria-sort", aria);
        if let Some(button) = action_button(
            &doc,
            "sql-sort",
            &format!("{name}{arrow}"),
            ("data-sort", &index.to_string()),
            "sql-sort",
        ) {
            attr(&button, "title", "Sort by this column");
            append(&th, &button);
        }
        append(&row, &th);
    }
    append(&head, &row);
    append(table, &head);
    if let Some(body) = element(&doc, "tbody", "", None) {
        append(table, &body);
    }
    draw_rows(table, Some(result), top);
}

/// The column holding event IDs, if the answer has one.
fn event_column(result: &SqlResult) -> Option<usize> {
    result
        .table
        .columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("eventid"))
}

/// The rows in view (and a few around them), between two spacers that keep the scroll height
/// of all rows.
fn draw_rows(table: &Element, result: Option<&SqlResult>, top: f64) {
    let (Some(doc), Some(result)) = (document(), result) else {
        return;
    };
    let Ok(Some(body)) = table.query_selector("tbody") else {
        return;
    };
    body.set_text_content(None);
    let rows = rows_of(result);
    let count = rows.length() as usize;
    let first = ((top / ROW_HEIGHT) as usize)
        .saturating_sub(OVERSCAN)
        .min(count);
    let last = (first + (VIEW_HEIGHT / ROW_HEIGHT) as usize + 2 * OVERSCAN).min(count);
    let event_column = event_column(result);
    let span = (result.table.columns.len() + usize::from(event_column.is_some())).to_string();
    let spacer = |height: f64| -> Option<Element> {
        let tr = element(&doc, "tr", "sql-spacer", None)?;
        attr(&tr, "aria-hidden", "true");
        attr(&tr, "style", &format!("height: {height}px"));
        let td = element(&doc, "td", "", None)?;
        attr(&td, "colspan", &span);
        append(&tr, &td);
        Some(tr)
    };
    if let Some(s) = spacer(first as f64 * ROW_HEIGHT) {
        append(&body, &s);
    }
    for index in first..last {
        let row = rows.get(index as u32);
        let Some(tr) = element(&doc, "tr", "", None) else {
            continue;
        };
        attr(&tr, "aria-rowindex", &(index + 2).to_string());
        if let Some(column) = event_column {
            if let Some(td) = element(&doc, "td", "", None) {
                if let Some(id) = cell(&row, column as u32) {
                    if let Some(button) =
                        action_button(&doc, "link", "Open", ("data-open", &id), "sql-open-event")
                    {
                        attr(&button, "aria-label", &format!("Open event {id}"));
                        append(&td, &button);
                    }
                }
                append(&tr, &td);
            }
        }
        for column in 0..result.table.columns.len() as u32 {
            let td = match cell(&row, column) {
                Some(text) => {
                    element(&doc, "td", "", Some(&text)).inspect(|td| attr(td, "title", &text))
                }
                None => element(&doc, "td", "muted", Some("null")),
            };
            if let Some(td) = td {
                append(&tr, &td);
            }
        }
        append(&body, &tr);
    }
    if let Some(s) = spacer((count - last) as f64 * ROW_HEIGHT) {
        append(&body, &s);
    }
}

thread_local! {
    /// The rows of the answer on screen, parsed once by the browser: (its request, its rows).
    static ROWS: std::cell::RefCell<(u32, js_sys::Array)> =
        std::cell::RefCell::new((0, js_sys::Array::new()));
}

/// The answer's rows as a JS array of arrays, parsed from its JSON text on first use.
fn rows_of(result: &SqlResult) -> js_sys::Array {
    let key = result.request.0;
    ROWS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != key {
            let parsed = js_sys::JSON::parse(&result.table.rows_json)
                .ok()
                .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
                .unwrap_or_default();
            *cache = (key, parsed);
        }
        cache.1.clone()
    })
}

/// A cell of a row of [`rows_of`]: its text, or None for null.
fn cell(row: &wasm_bindgen::JsValue, column: u32) -> Option<String> {
    row.dyn_ref::<js_sys::Array>()?.get(column).as_string()
}
