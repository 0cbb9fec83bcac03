//! The Verify view: log file integrity of what was loaded, as `aws cloudtrail validate-logs`
//! would judge it, with what aws-cli misses, and a report to keep.

use leptos::prelude::*;
use trailscope_protocol::{TimeRange, VerifyRow, VerifyView};

use crate::download::save_text;
use crate::format::{count, plural};
use crate::state::AppState;
use crate::worker_client::{self, VerifyChoices};

/// Rows of the per-file table shown at once.
const SHOWN_ROWS: usize = 500;

/// The Verify view.
#[component]
pub fn VerifyPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let aws_cli = RwSignal::new(state.verify_choices.get_untracked().aws_cli_compat);
    let case = RwSignal::new(state.verify_choices.get_untracked().case);
    let analyst = RwSignal::new(state.verify_choices.get_untracked().analyst);
    let run = move || {
        worker_client::request_verify(
            state,
            &VerifyChoices {
                start: start.get_untracked(),
                end: end.get_untracked(),
                aws_cli_compat: aws_cli.get_untracked(),
                case: case.get_untracked(),
                analyst: analyst.get_untracked(),
            },
        );
    };
    let no_trusted_keys = move || state.trusted_keys.with(Vec::is_empty);
    let inputs = move || state.totals.with(|t| t.as_ref().map(|t| t.integrity));
    view! {
        <Show when=move || state.totals.with(|t| t.is_some()) && state.loading.get().is_none()>
            <section class="verify" data-testid="verify-panel">
                <div class="table-head">
                    <h2>"Integrity"</h2>
                    <span class="muted" data-testid="verify-inputs">
                        {move || inputs().map(|i| format!(
                            "{} · {} · {} · {}",
                            plural(i.digests, "digest file", "digest files"),
                            plural(i.logs, "file hashed", "files hashed"),
                            plural(state.trusted_keys.with(Vec::len) as u64, "trusted key", "trusted keys"),
                            plural(i.signature_files, "signature file", "signature files"),
                        ))}
                    </span>
                </div>
                <Show when=move || inputs().is_some_and(|i| i.digests == 0)>
                    <p class="hint" data-testid="verify-hint">
                        "To check that these logs are intact, add the trail's digest files (the "
                        <code>"CloudTrail-Digest"</code>
                        " folders under "
                        <code>"AWSLogs/"</code>
                        ") and give the output of "
                        <code>"aws cloudtrail list-public-keys"</code>
                        " as trusted keys. Digest signatures come from the chain itself, or from a file mapping each digest's S3 key to its "
                        <code>"x-amz-meta-signature"</code>
                        "."
                    </p>
                </Show>
                <Show when=move || no_trusted_keys() && inputs().is_some_and(|i| i.digests > 0)>
                    <div class="hint needs-keys" data-testid="verify-needs-keys" role="note">
                        <p>
                            <strong>"Nothing is verified without trusted keys."</strong>
                            " Get CloudTrail's public keys from AWS and give them under "
                            <em>"Trusted public keys"</em>
                            " above (a file or a paste):"
                        </p>
                        <pre class="mono" data-testid="verify-keys-command">{move || {
                            state.verify.with(|v| v.as_ref().and_then(|v| v.list_keys_command.clone()))
                                .unwrap_or_else(|| "aws cloudtrail list-public-keys --start-time <first digest time> --end-time <last digest time> --region <trail region>".into())
                        }}</pre>
                    </div>
                </Show>
                <form
                    class="verify-controls"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        run();
                    }
                >
                    <label>
                        "From "
                        <input
                            type="text"
                            placeholder="2024-02-28T20:00:00Z"
                            data-testid="verify-start"
                            prop:value=move || start.get()
                            on:input=move |ev| start.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        "To "
                        <input
                            type="text"
                            placeholder="any time"
                            data-testid="verify-end"
                            prop:value=move || end.get()
                            on:input=move |ev| end.set(event_target_value(&ev))
                        />
                    </label>
                    <label title="Judge exactly as aws-cli does: a digest without a signature file fails, nothing is taken from the chain">
                        <input
                            type="checkbox"
                            data-testid="verify-aws-cli"
                            prop:checked=move || aws_cli.get()
                            on:change=move |ev| aws_cli.set(event_target_checked(&ev))
                        />
                        " aws-cli verdicts"
                    </label>
                    <label title="Printed under the verdict of the reports (optional)">
                        "Case "
                        <input
                            type="text"
                            placeholder="optional"
                            size="14"
                            data-testid="verify-case"
                            prop:value=move || case.get()
                            on:input=move |ev| case.set(event_target_value(&ev))
                        />
                    </label>
                    <label title="Printed under the verdict of the reports (optional)">
                        "Analyst "
                        <input
                            type="text"
                            placeholder="optional"
                            size="14"
                            data-testid="verify-analyst"
                            prop:value=move || analyst.get()
                            on:input=move |ev| analyst.set(event_target_value(&ev))
                        />
                    </label>
                    <button
                        class="button"
                        type="submit"
                        data-testid="verify-run"
                        disabled=move || state.verifying.get().is_some()
                    >
                        {move || if state.verifying.get().is_some() { "Verifying…" } else { "Verify" }}
                    </button>
                </form>
                <Show when=move || state.verify_error.get().is_some()>
                    <p class="error-banner" data-testid="verify-error" role="alert">
                        {move || state.verify_error.get()}
                    </p>
                </Show>
                {move || state.verify.get().map(|view| view! { <Report view=view /> })}
            </section>
        </Show>
    }
}

/// Which rows the per-file table shows.
#[derive(Clone, Copy, PartialEq)]
enum RowFilter {
    All,
    Problems,
}

#[component]
fn Report(view: std::sync::Arc<VerifyView>) -> impl IntoView {
    let d = view.digests;
    let b = view.backfill_digests;
    let l = view.logs;
    let (dv, di, du) = (
        d.valid + b.valid,
        d.invalid + b.invalid,
        d.unverifiable + b.unverifiable,
    );
    let (lv, li, lu) = (l.valid, l.invalid, l.unverifiable);
    // `data-verdict` keeps the values users' tests know; `data-overall` is the finer verdict.
    let verdict = match view.overall.as_str() {
        "intact" => "intact",
        "not_intact" => "invalid",
        _ => "incomplete",
    };
    // Colour: a run whose only fault is signatures aws-cli was not given reads as unproven
    // (amber), not as tampering; `data-verdict` stays aws-cli's.
    let class = if view.signatures_missing_only {
        "incomplete"
    } else {
        verdict
    };
    let overall = view.overall.clone();
    let headline = view.headline.clone();
    let ranges = |r: &[TimeRange]| {
        if r.is_empty() {
            "none".to_string()
        } else {
            r.iter()
                .map(|r| format!("{} to {}", r.start, r.end))
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let covered = ranges(&view.covered);
    let gaps = ranges(&view.gaps);
    let evidence_keys = view.evidence_key_lists.clone();
    let json = view.json.clone();
    let html = view.html.clone();
    let download_error = RwSignal::new(None::<String>);
    let filter = RwSignal::new(if view.has_invalid {
        RowFilter::Problems
    } else {
        RowFilter::All
    });
    let rows = StoredValue::new(view.rows.clone());
    let shown = move || {
        rows.with_value(|rows| {
            let wanted: Vec<VerifyRow> = rows
                .iter()
                .filter(|r| filter.get() == RowFilter::All || r.status != "valid")
                .take(SHOWN_ROWS)
                .cloned()
                .collect();
            wanted
        })
    };
    let total_rows = rows.with_value(Vec::len);
    let problem_rows = rows.with_value(|r| r.iter().filter(|r| r.status != "valid").count());
    view! {
        <div
            class=format!("verify-summary {class}")
            data-testid="verify-summary"
            data-verdict=verdict
            data-overall=overall
            data-mode=view.mode.clone()
            data-digests-valid=dv
            data-digests-invalid=di
            data-digests-unverifiable=du
            data-logs-valid=lv
            data-logs-invalid=li
            data-logs-unverified=lu
            data-logs-not-covered=view.logs_not_covered
        >
            <p class="headline" data-testid="verify-headline">{headline}</p>
            {(!view.case.is_empty() || !view.analyst.is_empty()).then(|| {
                let parts: Vec<String> = [("Case", &view.case), ("Analyst", &view.analyst)]
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                view! { <p class="muted" data-testid="verify-case-line">{parts.join(" · ")}</p> }
            })}
            <div class="verify-stats">
                <Stat label="Digests" valid=dv invalid=di third=du third_label="unverifiable" />
                <Stat label="Log files" valid=lv invalid=li third=lu third_label="unverified" />
                <div class="stat">
                    <span class="value" data-testid="verify-not-covered">{count(view.logs_not_covered)}</span>
                    <span class="label">"log files named by no digest"</span>
                </div>
            </div>
            <dl class="verify-facts">
                <dt>"Time covered by valid digests"</dt>
                <dd data-testid="verify-covered">{covered}</dd>
                <dt>"Gaps between digests"</dt>
                <dd data-testid="verify-gaps">{gaps}</dd>
                <dt>"Newest digest ends"</dt>
                <dd data-testid="verify-newest">
                    {view.newest_digest_end.clone().unwrap_or_else(|| "no digest".into())}
                    " (a deleted newest digest leaves no other trace: compare with when the trail last delivered)"
                </dd>
                <dt>"Trails"</dt>
                <dd>{if view.trails.is_empty() { "none".to_string() } else { view.trails.join(", ") }}</dd>
                <dt>"Keys that verified digests"</dt>
                <dd class="mono">{if view.keys_used.is_empty() { "none".to_string() } else { view.keys_used.join(", ") }}</dd>
                {(!evidence_keys.is_empty()).then(|| view! {
                    <dt>"Key lists found among the files (not trusted, not used)"</dt>
                    <dd data-testid="verify-evidence-keys">
                        {evidence_keys.iter().map(|l| format!("{} ({})", l.path, l.fingerprints.join(", "))).collect::<Vec<_>>().join("; ")}
                    </dd>
                })}
            </dl>
            <div class="downloads">
                <button
                    class="button secondary"
                    data-testid="verify-download-json"
                    on:click=move |_| download_error.set(save_text("trailscope-verification.json", "application/json", &json).err())
                >
                    "Download JSON report"
                </button>
                <button
                    class="button secondary"
                    data-testid="verify-download-html"
                    on:click=move |_| download_error.set(save_text("trailscope-verification.html", "text/html", &html).err())
                >
                    "Download printable report"
                </button>
                {move || download_error.get().map(|e| view! { <span class="failed-note">{e}</span> })}
            </div>
        </div>
        {(!view.findings.is_empty()).then(|| view! {
            <h3>"Findings aws-cli does not report"</h3>
            <ul class="findings" data-testid="verify-findings">
                {view.findings.iter().cloned().map(|f| {
                    let (kind, severity, message) = (f.kind, f.severity, f.message);
                    let (kind_attr, severity_attr, badge) = (kind.clone(), severity.clone(), format!("badge {severity}"));
                    view! {
                    <li data-testid="verify-finding" data-kind=kind_attr data-severity=severity_attr>
                        <span class=badge>{severity}</span>
                        " "
                        <span class="mono muted">{kind}</span>
                        " "
                        {message}
                    </li>
                }}).collect_view()}
            </ul>
        })}
        {(!view.notices.is_empty()).then(|| view! {
            <ul class="notices" data-testid="verify-notices">
                {view.notices.iter().cloned().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        })}
        <div class="table-head">
            <h3>"Per file"</h3>
            <div class="pager">
                <button
                    class="button secondary"
                    data-testid="verify-show-all"
                    class:active=move || filter.get() == RowFilter::All
                    on:click=move |_| filter.set(RowFilter::All)
                >
                    {format!("All ({})", count(total_rows as u64))}
                </button>
                <button
                    class="button secondary"
                    data-testid="verify-show-problems"
                    class:active=move || filter.get() == RowFilter::Problems
                    on:click=move |_| filter.set(RowFilter::Problems)
                >
                    {format!("Not valid ({})", count(problem_rows as u64))}
                </button>
            </div>
        </div>
        <div class="scroll">
            <table class="verify-table" data-testid="verify-table">
                <thead>
                    <tr><th>"Type"</th><th>"S3 object"</th><th>"Verdict (aws-cli's words)"</th></tr>
                </thead>
                <tbody>
                    <For each=shown key=|r| (r.s3_uri.clone(), r.verdict.clone()) let:row>
                        <tr data-testid="verify-row" data-status=row.status.clone() data-object=row.object.clone()>
                            <td>{if row.backfill { "backfill digest".to_string() } else { row.object.clone() }}</td>
                            <td class="mono">{row.s3_uri.clone()}</td>
                            <td>
                                <span class=format!("badge {}", row.status)>{row.verdict.clone()}</span>
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
        <p class="footnote">
            {move || {
                let n = match filter.get() { RowFilter::All => total_rows, RowFilter::Problems => problem_rows };
                (n > SHOWN_ROWS).then(|| format!("Showing the first {SHOWN_ROWS} of {}; the reports list every file.", count(n as u64)))
            }}
        </p>
    }
}

#[component]
fn Stat(
    label: &'static str,
    valid: u64,
    invalid: u64,
    third: u64,
    third_label: &'static str,
) -> impl IntoView {
    view! {
        <div class="stat" data-testid=format!("verify-stat-{}", label.to_lowercase().replace(' ', "-"))>
            <span class="value">
                <span class="ok">{count(valid)}</span>
                " / "
                <span class:bad=invalid != 0>{count(invalid)}</span>
                " / "
                <span class:warn=third != 0>{count(third)}</span>
            </span>
            <span class="label">{format!("{label}: valid / invalid / {third_label}")}</span>
        </div>
    }
}
