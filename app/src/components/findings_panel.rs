//! The Findings view: every detection rule with its hit count, severity and ATT&CK tactics;
//! open a rule to see its events; load more rules (Trailscope's format or Sigma); export.

use leptos::prelude::*;
use trailscope_protocol::FindingView;

use trailscope_detect::ClockOffset;

use crate::download::save_text;
use crate::format::{millis, plural};
use crate::state::{AppState, Tab};
use crate::worker_client;

/// The Findings view.
#[component]
pub fn FindingsPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let show_all = RwSignal::new(false);
    // Why the last export could not be saved, shown beside the buttons.
    let download_error = RwSignal::new(None::<String>);
    let on_rules = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(files) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        leptos::task::spawn_local(async move {
            for file in files {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default();
                state.rule_files.update(|r| {
                    r.push(trailscope_protocol::RuleFile {
                        name: file.name(),
                        text,
                    })
                });
            }
            worker_client::request_detect(state);
        });
    };
    let hours_input = move |which: usize| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            state.business_hours.update(|h| match which {
                0 => h.start_hour = value.parse().unwrap_or(h.start_hour).min(23),
                1 => h.end_hour = value.parse().unwrap_or(h.end_hour).clamp(1, 24),
                _ => {
                    h.utc_offset_minutes = value
                        .parse::<ClockOffset>()
                        .map_or(h.utc_offset_minutes, ClockOffset::minutes)
                }
            });
        }
    };
    view! {
        <section class="findings-view" data-testid="findings-view">
            <div class="table-head">
                <h2>"Findings"</h2>
                <span class="muted" data-testid="detect-time">
                    {move || state.detect.with(|d| d.as_ref().map(|d| format!(
                        "{} over {} in {} (anomaly models: {})",
                        plural(d.findings.len() as u64, "rule", "rules"), plural(d.events, "event", "events"),
                        millis(d.rules_millis), millis(d.anomalies_millis)
                    )))}
                </span>
            </div>
            <div class="detect-controls">
                <label class="button secondary">
                    "Load rules (YAML, JSON or Sigma)"
                    <input type="file" multiple accept=".yml,.yaml,.json" data-testid="rules-input" on:change=on_rules />
                </label>
                <label>
                    "Business hours "
                    <input type="number" min="0" max="23" class="small-input" data-testid="hours-start" prop:value=move || state.business_hours.get().start_hour on:change=hours_input(0) />
                    " to "
                    <input type="number" min="1" max="24" class="small-input" data-testid="hours-end" prop:value=move || state.business_hours.get().end_hour on:change=hours_input(1) />
                    " at UTC"
                    <input type="text" class="small-input" placeholder="+00:00" data-testid="hours-offset" prop:value=move || offset_text(state.business_hours.get().utc_offset_minutes) on:change=hours_input(2) />
                </label>
                <button class="button" data-testid="detect-run" disabled=move || state.detecting.get().is_some() on:click=move |_| worker_client::request_detect(state)>
                    {move || if state.detecting.get().is_some() { "Running…" } else { "Run again" }}
                </button>
                <label>
                    <input type="checkbox" prop:checked=move || show_all.get() on:change=move |ev| show_all.set(event_target_checked(&ev)) />
                    " Show rules without hits"
                </label>
                {move || state.detect.get().map(|d| {
                    let (json, csv) = (d.findings_json.clone(), d.findings_csv.clone());
                    view! {
                        <button class="button secondary" data-testid="findings-json" on:click=move |_| download_error.set(save_text("trailscope-findings.json", "application/json", &json).err())>"Export JSON"</button>
                        <button class="button secondary" data-testid="findings-csv" on:click=move |_| download_error.set(save_text("trailscope-findings.csv", "text/csv", &csv).err())>"Export CSV"</button>
                    }
                })}
                {move || download_error.get().map(|e| view! { <span class="failed-note" role="alert" data-testid="download-error">{format!("Cannot save the file: {e}")}</span> })}
            </div>
            {move || state.detect.with(|d| d.as_ref().map(|d| d.rule_errors.clone())).filter(|e| !e.is_empty()).map(|errors| view! {
                <ul class="error-banner" data-testid="rule-errors">
                    {errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                </ul>
            })}
            <div class="detect-controls" data-testid="rule-choice">
                <label>
                    "Run only "
                    <input type="text" class="rule-input" placeholder="all rules (or ids: cis-4.1 cis-4.3)" data-testid="rules-only"
                        prop:value=move || state.rules_only.get().join(" ")
                        on:change=move |ev| {
                            let ids = event_target_value(&ev).split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_string).collect();
                            state.rules_only.set(ids);
                            worker_client::request_detect(state);
                        } />
                </label>
                {move || state.rules_excluded.with(|ex| (!ex.is_empty()).then(|| view! {
                    <span class="small" data-testid="rules-excluded">
                        "Turned off: "
                        {ex.iter().cloned().map(|id| {
                            let label = format!("Turn {id} back on");
                            let back = id.clone();
                            view! {
                                <button class="chip" aria-label=label data-testid="rule-back-on" on:click=move |_| {
                                    state.rules_excluded.update(|e| e.retain(|x| x != &back));
                                    worker_client::request_detect(state);
                                }>{id}" ×"</button>
                            }
                        }).collect_view()}
                    </span>
                }))}
            </div>
            {move || state.rule_files.with(|r| (!r.is_empty()).then(|| view! {
                <p class="muted small" data-testid="rule-files">
                    {format!("Your rule files: {}", r.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "))}
                    " "
                    <button class="link" on:click=move |_| { state.rule_files.set(Vec::new()); worker_client::request_detect(state); }>"Forget them"</button>
                </p>
            }))}
            <table class="findings-table">
                <thead><tr><th>"Severity"</th><th>"Rule"</th><th>"Title"</th><th>"Tactics"</th><th>"Events"</th><th><span class="visually-hidden">"Run"</span></th></tr></thead>
                <tbody>
                    {move || state.detect.with(|d| d.as_ref().map(|d| {
                        d.findings.iter().filter(|f| show_all.get() || f.events > 0).cloned().map(|f| view! { <FindingRow finding=f state=state /> }).collect_view()
                    }))}
                </tbody>
            </table>
            <Show when=move || state.detect.with(|d| d.as_ref().is_some_and(|d| d.findings.iter().all(|f| f.events == 0)))>
                <p class="empty" data-testid="no-findings">"No rule matched any loaded event."</p>
            </Show>
        </section>
    }
}

#[component]
fn FindingRow(finding: FindingView, state: AppState) -> impl IntoView {
    let rule = finding.rule.clone();
    let off = finding.rule.clone();
    let open = move |_| {
        state.filter.set(format!("finding:{rule}"));
        state.tab.set(Tab::Events);
        worker_client::run_query(state);
    };
    let aliases = finding.aliases.join(", ");
    let tip = format!(
        "{}\n{}\n{}",
        finding.description,
        finding.references.join("\n"),
        if finding.origin == "built-in" {
            String::new()
        } else {
            format!("from {}", finding.origin)
        }
    );
    view! {
        <tr data-testid="finding-row" data-rule=finding.rule.clone() data-events=finding.events data-severity=finding.severity.clone() title=tip>
            <td><span class=format!("badge {}", finding.severity)>{finding.severity.clone()}</span></td>
            <td class="mono">
                {finding.rule.clone()}
                {(!aliases.is_empty()).then(|| view! { <div class="muted small">{aliases}</div> })}
            </td>
            <td>
                {finding.title.clone()}
                <Spread spread=finding.spread.clone() />
                <About finding=finding.clone() />
            </td>
            <td class="small">{finding.tactics.join(", ")}</td>
            <td>
                {if finding.events > 0 {
                    view! { <button class="link" data-testid="finding-open" on:click=open>{plural(finding.events, "event", "events")}</button> }.into_any()
                } else {
                    view! { <span class="muted">"0"</span> }.into_any()
                }}
            </td>
            <td>
                <button class="link small" data-testid="finding-exclude" aria-label=format!("Turn off {}", finding.rule) on:click=move |_| {
                    let id = off.clone();
                    state.rules_excluded.update(|e| if !e.contains(&id) { e.push(id) });
                    worker_client::request_detect(state);
                }>"Turn off"</button>
            </td>
        </tr>
    }
}

/// When a finding's events happened and who made them from where, under its title.
#[component]
fn Spread(spread: trailscope_detect::Spread) -> impl IntoView {
    let tops = |list: &[trailscope_detect::ValueCount]| {
        list.iter()
            .map(|v| format!("{} ({})", v.value, v.events))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let when = match (&spread.first_seen, &spread.last_seen) {
        (Some(first), Some(last)) => Some(crate::format::time_span(first, last)),
        _ => None,
    };
    view! {
        <div
            class="muted small finding-spread"
            data-testid="finding-spread"
            data-first-seen=spread.first_seen.clone().unwrap_or_default()
            data-last-seen=spread.last_seen.clone().unwrap_or_default()
        >
            {when.map(|w| view! { <span>{format!("{w} UTC")}</span> })}
            {(!spread.top_principals.is_empty()).then(|| view! {
                <span data-testid="finding-principals">{format!(" · by {}", tops(&spread.top_principals))}</span>
            })}
            {(!spread.top_source_ips.is_empty()).then(|| view! {
                <span data-testid="finding-ips">{format!(" · from {}", tops(&spread.top_source_ips))}</span>
            })}
        </div>
    }
}

/// What the rule finds and what to do about a match, folded under the title so the table stays
/// one line per rule; the references are links.
#[component]
fn About(finding: FindingView) -> impl IntoView {
    let remediation = finding.remediation.clone();
    view! {
        <details class="finding-about small" data-testid="finding-about">
            <summary>"What it finds, what to do"</summary>
            <p data-testid="finding-description">{finding.description.clone()}</p>
            {if remediation.is_empty() {
                view! { <p class="muted" data-testid="finding-remediation" data-empty="true">"This rule gives no remediation."</p> }.into_any()
            } else {
                view! { <p data-testid="finding-remediation"><strong>"What to do: "</strong>{remediation}</p> }.into_any()
            }}
            {(!finding.references.is_empty()).then(|| view! {
                <ul class="finding-references">
                    {finding.references.iter().map(|r| view! {
                        <li><a href=r.clone() target="_blank" rel="noopener noreferrer">{r.clone()}</a></li>
                    }).collect_view()}
                </ul>
            })}
        </details>
    }
}

/// The offset as the core writes it (`+02:00`); the core's parsing reads it back.
fn offset_text(minutes: i32) -> String {
    ClockOffset::from_minutes(minutes)
        .unwrap_or(ClockOffset::UTC)
        .to_string()
}
