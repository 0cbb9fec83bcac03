//! Up to five events side by side, field by field, with the fields that differ marked.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;

use crate::format::plural;
use crate::state::AppState;
use crate::worker_client;

/// The comparison of the pinned events.
#[component]
pub fn ComparePanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let only_differences = RwSignal::new(true);
    view! {
        <Show when=move || state.compare.with(|c| !c.is_empty())>
            <section class="compare" data-testid="compare">
                <div class="table-head">
                    <h2>{move || format!("Compare {}", plural(state.compare.with(Vec::len) as u64, "event", "events"))}</h2>
                    <div class="pager">
                        <label>
                            <input type="checkbox" prop:checked=move || only_differences.get() on:change=move |ev| only_differences.set(event_target_checked(&ev)) />
                            " Only fields that differ"
                        </label>
                        <button class="button secondary" data-testid="compare-clear" on:click=move |_| {
                            state.compare.set(Vec::new());
                            worker_client::save_view(state);
                        }>"Clear"</button>
                    </div>
                </div>
                <div class="scroll">
                    {move || state.compare.with(|events| {
                        let flat: Vec<BTreeMap<String, String>> = events
                            .iter()
                            .map(|(_, json)| flatten(&serde_json::from_str(json).unwrap_or(Value::Null)))
                            .collect();
                        // Columns are named by what the event is, not by its store row.
                        let titles: Vec<String> = flat.iter().map(column_title).collect();
                        let mut paths: Vec<&String> = flat.iter().flat_map(|f| f.keys()).collect();
                        paths.sort();
                        paths.dedup();
                        let rows: Vec<(String, Vec<String>, bool)> = paths
                            .into_iter()
                            .map(|p| {
                                let values: Vec<String> = flat.iter().map(|f| f.get(p).cloned().unwrap_or_default()).collect();
                                let differs = values.iter().any(|v| Some(v) != values.first());
                                (p.clone(), values, differs)
                            })
                            .filter(|(_, _, differs)| !only_differences.get() || *differs)
                            .collect();
                        view! {
                            <table class="compare-table" data-testid="compare-table">
                                <thead><tr><th>"Field"</th>{titles.into_iter().map(|title| view! { <th data-testid="compare-title">{title}</th> }).collect_view()}</tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|(path, values, differs)| { let attr = path.clone(); view! {
                                        <tr class:differs=differs data-testid="compare-row" data-path=attr>
                                            <td class="mono">{path}</td>
                                            {values.into_iter().map(|v| view! { <td class="wrap">{v}</td> }).collect_view()}
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        }
                    })}
                </div>
            </section>
        </Show>
    }
}

/// A compare column's title: the event's name and time, as the table shows them.
fn column_title(fields: &BTreeMap<String, String>) -> String {
    let get = |path: &str| fields.get(path).map(String::as_str).unwrap_or("");
    match (get("eventName"), get("eventTime")) {
        ("", "") => format!("Event {}", get("eventID")),
        (name, "") => name.to_string(),
        ("", time) => time.to_string(),
        (name, time) => format!("{name} at {time}"),
    }
}

/// Every leaf of a record by its dot path (array elements by index).
fn flatten(value: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, path: String, out: &mut BTreeMap<String, String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                walk(v, join(k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, join(&i.to_string()), out);
            }
        }
        Value::String(s) => {
            out.insert(path, s.clone());
        }
        Value::Null => {
            out.insert(path, "null".into());
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}
