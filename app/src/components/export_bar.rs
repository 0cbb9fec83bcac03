//! Export the filtered events: the console's CSV or one with the table's columns, CloudTrail
//! JSON, one record per line, or Parquet.

use leptos::prelude::*;
use trailscope_query::ExportFormat;

use crate::format::{count, plural};
use crate::state::AppState;
use crate::worker_client;

/// Export buttons with a progress bar.
#[component]
pub fn ExportBar(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let busy = move || state.export.with(|e| e.id.is_some());
    let button = move |format: ExportFormat, label: &'static str, testid: &'static str| {
        let (table, title) = match testid {
            "export-csv-columns" => (
                true,
                "CSV with the table's columns, in its order (path columns included)",
            ),
            "export-csv" => (
                false,
                "CSV in the columns of the CloudTrail console's Event history",
            ),
            _ => (false, ""),
        };
        view! {
            <button
                class="button secondary"
                data-testid=testid
                title=title
                disabled=move || busy() || state.query.with(|q| q.as_ref().is_none_or(|q| q.total == 0))
                on:click=move |_| worker_client::request_export(state, format, table)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="export-bar" data-testid="export-bar">
            <span class="muted">"Export the filtered events: "</span>
            {button(ExportFormat::Csv, "CSV", "export-csv")}
            {button(ExportFormat::Csv, "CSV (table columns)", "export-csv-columns")}
            {button(ExportFormat::Json, "JSON", "export-json")}
            {button(ExportFormat::Ndjson, "NDJSON", "export-ndjson")}
            <button
                class="button secondary"
                data-testid="export-parquet"
                title="One Parquet file with the SQL table's schema (starts the SQL engine the first time)"
                disabled=move || busy() || state.query.with(|q| q.as_ref().is_none_or(|q| q.total == 0))
                on:click=move |_| worker_client::download_events_parquet(state)
            >
                "Parquet"
            </button>
            {move || state.last_manifest.get().map(|m| {
                let title = format!("{}: the filter, the order, this export's SHA-256 and each source file with its SHA-256 and integrity", m.name);
                view! {
                    <button
                        class="button secondary"
                        data-testid="export-manifest"
                        title=title
                        on:click=move |_| {
                            if let Err(e) = crate::download::save_text(&m.name, "application/json", &m.json) {
                                state.error.set(Some(e));
                            }
                        }
                    >
                        "Manifest of the last export"
                    </button>
                }
            })}
            <Show when=busy>
                {move || state.export.with(|e| {
                    if e.parquet {
                        return view! {
                            <span class="export-progress" data-testid="export-progress" role="status">
                                {format!("Writing {} as Parquet…", plural(e.total, "event", "events"))}
                            </span>
                        }.into_any();
                    }
                    let pct = if e.total == 0 { 0.0 } else { e.done as f64 / e.total as f64 * 100.0 };
                    view! {
                        <span class="export-progress" data-testid="export-progress">
                            <span class="progress-track"><span class="fill" style=format!("width: {pct:.1}%")></span></span>
                            {format!(" {} of {}", count(e.done), plural(e.total, "event", "events"))}
                        </span>
                    }.into_any()
                })}
            </Show>
        </div>
    }
}
