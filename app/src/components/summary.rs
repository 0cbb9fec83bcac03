//! The totals an auditor reads first: how many events, over what time, from which accounts.

use leptos::prelude::*;

use crate::format::{bytes, count, millis, plural};
use trailscope_protocol::TotalsView;

use crate::state::LoadSummary;

/// Totals over everything loaded.
#[component]
pub fn Summary(
    /// Totals after the last load (`None` until one ends).
    #[prop(into)]
    totals: Signal<Option<TotalsView>>,
) -> impl IntoView {
    view! {
        <Show when=move || totals.with(Option::is_some)>
            {move || {
                let t = totals.get().unwrap_or_default();
                let span = match (&t.first_event_time, &t.last_event_time) {
                    (Some(a), Some(b)) => crate::format::time_span(a, b),
                    _ => "no event has a time".to_string(),
                };
                if t.events == 0 && t.hashed_only_files > 0 {
                    // A verify-only load reads no events: a page of zeros would read as an
                    // empty trail.
                    return view! {
                        <section class="summary" data-testid="summary" data-mode="verify-only">
                            <p class="verify-only-note" data-testid="verify-only-summary">
                                {format!(
                                    "Verify-only load: {} hashed and {} read for verification; their events were not loaded. See the Integrity tab for the verdict, or load the files again without \"Verify only\" to read their events.",
                                    plural(t.hashed_only_files, "log file", "log files"),
                                    plural(t.integrity.digests, "digest", "digests"),
                                )}
                                {(t.failed_files > 0).then(|| view! {
                                    <span class="failed-note" data-testid="failed-count">
                                        {format!(" {} failed.", plural(t.failed_files, "file", "files"))}
                                    </span>
                                })}
                            </p>
                        </section>
                    }.into_any();
                }
                view! {
                    <section class="summary" data-testid="summary">
                        <div class="stat">
                            <span class="value" data-testid="event-count">{count(t.events)}</span>
                            <span class="label">{if t.events == 1 { "event" } else { "events" }}</span>
                        </div>
                        <div class="stat">
                            <span class="value" data-testid="duplicate-count">{count(t.duplicates)}</span>
                            <span class="label">{if t.duplicates == 1 { "duplicate merged" } else { "duplicates merged" }}</span>
                        </div>
                        {(t.conflicts > 0).then(|| view! {
                            <div class="stat conflict" role="alert">
                                <span class="value bad" data-testid="conflict-count">{count(t.conflicts)}</span>
                                <span class="label">
                                    {if t.conflicts == 1 { "event with conflicting copies" } else { "events with conflicting copies" }}
                                    " ("
                                    <code>"conflict:true"</code>
                                    ")"
                                </span>
                            </div>
                        })}
                        <div class="stat">
                            <span class="value" data-testid="file-count">{count(t.files)}</span>
                            <span class="label">
                                {if t.files == 1 { "file" } else { "files" }}
                                {(t.failed_files > 0).then(|| view! {
                                    <span class="failed-note" data-testid="failed-count">
                                        {format!(" · {} failed", count(t.failed_files))}
                                    </span>
                                })}
                                {(t.not_cloudtrail_files > 0).then(|| view! {
                                    <span data-testid="not-cloudtrail-count">
                                        {format!(" · {} not CloudTrail", count(t.not_cloudtrail_files))}
                                    </span>
                                })}
                            </span>
                        </div>
                        <div class="stat wide">
                            <span class="value small" data-testid="time-span" title=span.clone()>{span.clone()}</span>
                            <span class="label">
                                "time span (UTC)"
                                {(t.events_without_time > 0).then(|| format!(" · {} without a time", plural(t.events_without_time, "event", "events")))}
                            </span>
                        </div>
                        <div class="stat wide">
                            <span class="value small" data-testid="account-list" data-count=t.accounts.len() title=t.accounts.join(", ")>
                                {list(&t.accounts)}
                            </span>
                            <span class="label" data-testid="account-count">{plural(t.accounts.len() as u64, "account", "accounts")}</span>
                        </div>
                        <div class="stat wide">
                            <span class="value small" data-testid="region-list" data-count=t.regions.len() title=t.regions.join(", ")>
                                {list(&t.regions)}
                            </span>
                            <span class="label" data-testid="region-count">{plural(t.regions.len() as u64, "region", "regions")}</span>
                        </div>
                    </section>
                }.into_any()
            }}
        </Show>
    }
}

fn list(values: &[String]) -> String {
    const SHOWN: usize = 6;
    if values.is_empty() {
        return "none".into();
    }
    let mut s = values
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        s.push_str(&format!(" and {} more", values.len() - SHOWN));
    }
    s
}

/// What the last load read, how long it took and the memory it holds, on one line beside the
/// trusted keys (kept out of the summary cards so that the table's rows show above the fold).
#[component]
pub fn LoadNote(
    /// Totals of the store.
    #[prop(into)]
    totals: Signal<Option<TotalsView>>,
    /// The last load.
    #[prop(into)]
    last_load: Signal<Option<LoadSummary>>,
) -> impl IntoView {
    move || {
        let t = totals.get()?;
        let last = last_load.get();
        let elapsed = last.as_ref().map(|l| l.elapsed_millis.round() as u64);
        let shown_stages = last
            .as_ref()
            .filter(|l| !l.restored && l.stages.parsing > 0.0)
            .map(|l| l.stages);
        let stages_title = shown_stages.map(|s| stages_text(&s).trim().to_string());
        let stages = shown_stages.map(|s| stages_view(&s));
        let verify_only = t.events == 0 && t.hashed_only_files > 0;
        let text = last.map(|l| {
            if verify_only {
                return format!(
                    "Read {} in {}.",
                    bytes(t.text_bytes),
                    millis(l.elapsed_millis)
                );
            }
            if l.restored {
                return format!(
                    "Restored from this browser in {} (the files held {} of JSON). {}",
                    millis(l.elapsed_millis),
                    bytes(t.text_bytes),
                    memory_text(&t)
                );
            }
            let how = if l.cancelled {
                format!(
                    "Loading was cancelled; {} not read. ",
                    plural(l.not_read.len() as u64, "file was", "files were")
                )
            } else {
                String::new()
            };
            format!(
                "{how}Read {} of JSON in {}. {}",
                bytes(t.text_bytes),
                millis(l.elapsed_millis),
                memory_text(&t)
            )
        });
        Some(view! {
            <p
                class="footnote load-note"
                data-testid="load-note"
                data-text-bytes=t.text_bytes
                data-records-bytes=t.records_bytes
                data-records-outside-wasm-bytes=t.records_spilled_bytes
                data-elapsed-ms=elapsed
                title=stages_title
            >
                {text}
                {stages}
            </p>
        })
    }
}

/// The store's memory, and where its records are: past a size they are kept outside the store
/// worker's WebAssembly memory, whose 4 GiB would otherwise cap what a tab holds.
fn memory_text(t: &TotalsView) -> String {
    let outside = if t.records_spilled_bytes > 0 {
        format!(
            " ({} of them outside WebAssembly memory)",
            bytes(t.records_spilled_bytes)
        )
    } else {
        String::new()
    };
    format!(
        "Memory: {} of columns, {} of compressed records{outside}.",
        bytes(t.store_bytes),
        bytes(t.records_bytes)
    )
}

/// Where the workers' time went during the load: what a slow load spent its time on. The figures
/// are also attributes, in whole milliseconds, for benchmarks and users' own tests.
fn stages_view(stages: &trailscope_protocol::LoadStages) -> impl IntoView {
    let ms = |v: f64| v.round() as u64;
    let text = stages_text(stages);
    // Hidden: a line this long would push the table's first rows below the fold at 1280x720.
    // The load note shows it on hover (its title); tests and benchmarks read the attributes.
    view! {
        <span
            hidden=true
            data-testid="load-stages"
            data-parsing-ms=ms(stages.parsing)
            data-reading-ms=ms(stages.reading)
            data-hashing-ms=ms(stages.hashing)
            data-sending-ms=ms(stages.sending)
            data-merging-ms=ms(stages.merging)
            data-keeping-ms=ms(stages.keeping)
            data-ordering-ms=ms(stages.ordering)
        >
            {text}
        </span>
    }
}

/// The stages as a sentence.
fn stages_text(stages: &trailscope_protocol::LoadStages) -> String {
    // Keeping is only done when the user asked to keep the workspace.
    let keeping = if stages.keeping >= 1.0 {
        format!(", {} keeping the workspace", millis(stages.keeping))
    } else {
        String::new()
    };
    format!(
        " Where the time went (on each worker's clock, parsers summed): parsers {} parsing, {} \
         waiting for file reads, {} waiting for the browser's SHA-256, {} sending to the store; \
         store {} merging{keeping}, {} ordering by time.",
        millis(stages.parsing),
        millis(stages.reading),
        millis(stages.hashing),
        millis(stages.sending),
        millis(stages.merging),
        millis(stages.ordering)
    )
}

/// Says, where nobody can miss it, that the tab filled up: how many events it holds, how many
/// files it refused (each listed with the reason), and where a trail this large goes instead.
/// The events on screen are then not the whole trail, and a screenshot must not suggest so.
#[component]
pub fn TabFullBanner(
    /// The last load.
    #[prop(into)]
    last_load: Signal<Option<LoadSummary>>,
) -> impl IntoView {
    move || {
        let full = last_load.get()?.tab_full?;
        let text =
            format!(
            "This tab is full: it holds {} and did not load {} more {} (marked in the file list). \
             Its store reached {} MiB, near what a browser gives one tab. The events shown are not \
             the whole trail. Load fewer files at a time (a region or a day), or use the \
             trailscope CLI, which reads trails of any size: ",
            plural(full.events, "event", "events"),
            count(full.files_refused),
            if full.files_refused == 1 { "file" } else { "files" },
            count(full.ceiling_mib),
        );
        Some(view! {
            <p class="error-banner tab-full" role="alert" data-testid="tab-full" data-events=full.events data-files-refused=full.files_refused>
                {text}
                <code>"trailscope export --format parquet --out DIR FILES..."</code>
                " then "
                <code>"trailscope sql DIR"</code>
                "."
            </p>
        })
    }
}
