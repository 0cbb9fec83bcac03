//! The timeline above the table: selected events over time, split by read/write or by error.
//! Drag across it to filter on that time range.

use leptos::prelude::*;
use trailscope_query::Histogram;

use crate::format::{count, local_time_millis, plural, time_millis, time_ticks};
use crate::state::AppState;
use crate::worker_client;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 64.0;

/// What the bars' colours split.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Split {
    ReadWrite,
    Errors,
}

/// The timeline.
#[component]
pub fn Timeline(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let split = RwSignal::new(Split::ReadWrite);
    let log_scale = RwSignal::new(false);
    let local = RwSignal::new(false);
    let drag = RwSignal::new(None::<(f64, f64)>);
    // The keyboard's range, in buckets: the arrows move its end, Shift+arrows stretch it,
    // Enter filters on it, Escape drops it.
    let keys = RwSignal::new(None::<(usize, usize)>);
    let at = move |ms: i64| {
        if local.get() {
            local_time_millis(ms)
        } else {
            time_millis(ms)
        }
    };
    let source = crate::state::deferred(None, move || {
        state
            .query
            .with(|q| q.as_ref().map(|q| q.histogram.clone()))
    });
    let histogram = move || source.get();
    let svg_x = |ev: &leptos::ev::MouseEvent| -> Option<f64> {
        let target: web_sys::Element = event_target(ev);
        let svg = target.closest("svg").ok().flatten()?;
        let rect = svg.get_bounding_client_rect();
        Some(((f64::from(ev.client_x()) - rect.left()) / rect.width() * WIDTH).clamp(0.0, WIDTH))
    };
    let finish = move |h: &Histogram, a: f64, b: f64| {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        if b - a < 3.0 || h.buckets.is_empty() {
            return;
        }
        let bar = WIDTH / h.buckets.len() as f64;
        let first = h.buckets.first().map_or(0, |b| b.start);
        let start = first + ((a / bar).floor() as i64) * h.step;
        let end = first + ((b / bar).ceil() as i64) * h.step;
        let term = trailscope_query::edit::time_term(start, end - 1);
        let filter = trailscope_query::edit::replace_time(&state.filter.get_untracked(), &term);
        state.filter.set(filter);
        worker_client::run_query(state);
    };
    view! {
        <Show when=move || histogram().is_some_and(|h| !h.buckets.is_empty())>
            <section class="timeline" data-testid="timeline">
                <div class="table-head">
                    <span class="muted" data-testid="timeline-range">
                        {move || histogram().map(|h| {
                            let first = h.buckets.first().map_or(0, |b| b.start);
                            let last = h.buckets.last().map_or(0, |b| b.start + h.step);
                            format!("{} to {} · one bar is {}", at(first), at(last), step_name(h.step))
                        })}
                    </span>
                    <div class="pager">
                        <label class="toggle"><input type="checkbox" data-testid="timeline-log" prop:checked=move || log_scale.get() on:change=move |ev| log_scale.set(event_target_checked(&ev)) />" Log scale"</label>
                        <label class="toggle"><input type="checkbox" data-testid="timeline-local" prop:checked=move || local.get() on:change=move |ev| local.set(event_target_checked(&ev)) />" Local time"</label>
                        <button class="button secondary" class:active=move || split.get() == Split::ReadWrite aria-pressed=move || (split.get() == Split::ReadWrite).to_string() data-testid="split-read-write" on:click=move |_| split.set(Split::ReadWrite)>"Read / write"</button>
                        <button class="button secondary" class:active=move || split.get() == Split::Errors aria-pressed=move || (split.get() == Split::Errors).to_string() data-testid="split-errors" on:click=move |_| split.set(Split::Errors)>"Errors"</button>
                    </div>
                </div>
                <div class="timeline-legend" data-testid="timeline-legend">
                    {move || {
                        let (a, b) = match split.get() {
                            Split::ReadWrite => (("read", "Read"), ("write", "Write")),
                            Split::Errors => (("ok", "No error"), ("error", "Error")),
                        };
                        view! {
                            <span><i class=format!("swatch {}", a.0)></i>{a.1}</span>
                            <span><i class=format!("swatch {}", b.0)></i>{b.1}</span>
                        }
                    }}
                    // The hint shares the legend's line, so the chart costs the table no row.
                    <span class="timeline-hint">"Drag across the bars (or focus the chart, Shift+arrows, Enter) to filter on a time range; hover a bar for its counts."</span>
                </div>
                <div class="timeline-plot">
                <div class="timeline-y" aria-hidden="true">
                    <span data-testid="timeline-y-max">{move || histogram().map(|h| count(h.buckets.iter().map(|b| b.count).max().unwrap_or(0)))}</span>
                    <span>"0"</span>
                </div>
                <svg
                    tabindex="0"
                    role="img"
                    aria-label=move || histogram().map(|h| {
                        let total: u64 = h.buckets.iter().map(|b| b.count).sum();
                        let busiest = h.buckets.iter().max_by_key(|b| b.count);
                        format!(
                            "Timeline of {} in {} bars of {}{}. Arrows move, Shift+arrows select a range, Enter filters on it.",
                            plural(total, "event", "events"),
                            h.buckets.len(),
                            step_name(h.step),
                            busiest.map(|b| format!("; the busiest starts {} with {}", at(b.start), count(b.count))).unwrap_or_default()
                        )
                    })
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        let Some(h) = histogram() else { return };
                        let n = h.buckets.len();
                        if n == 0 { return; }
                        let (anchor, end) = keys.get_untracked().unwrap_or((0, 0));
                        let moved = match ev.key().as_str() {
                            "ArrowRight" => Some((end + 1).min(n - 1)),
                            "ArrowLeft" => Some(end.saturating_sub(1)),
                            "Home" => Some(0),
                            "End" => Some(n - 1),
                            "Enter" => {
                                ev.prevent_default();
                                if keys.get_untracked().is_some() {
                                    let bar = WIDTH / n as f64;
                                    let (a, b) = (anchor.min(end), anchor.max(end));
                                    finish(&h, a as f64 * bar + 0.01, (b + 1) as f64 * bar - 0.01);
                                    keys.set(None);
                                }
                                None
                            }
                            "Escape" => { keys.set(None); None }
                            _ => None,
                        };
                        if let Some(next) = moved {
                            ev.prevent_default();
                            let anchor = if ev.shift_key() && keys.get_untracked().is_some() { anchor } else { next };
                            keys.set(Some((anchor, next)));
                        }
                    }
                    viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                    preserveAspectRatio="none"
                    class="timeline-chart"
                    data-testid="timeline-chart"
                    on:mousedown=move |ev| { ev.prevent_default(); if let Some(x) = svg_x(&ev) { drag.set(Some((x, x))); } }
                    on:mousemove=move |ev| { if let (Some((a, _)), Some(x)) = (drag.get_untracked(), svg_x(&ev)) { drag.set(Some((a, x))); } }
                    on:mouseup=move |_| {
                        if let (Some((a, b)), Some(h)) = (drag.get_untracked(), histogram()) { finish(&h, a, b); }
                        drag.set(None);
                    }
                    on:mouseleave=move |_| drag.set(None)
                >
                    {move || histogram().map(|h| ticks(&h).into_iter().map(|(x, _)| view! {
                        <line class="tick" x1=x x2=x y1="0" y2=HEIGHT></line>
                    }).collect_view())}
                    {move || histogram().map(|h| bars(&h, split.get(), log_scale.get()))}
                    {move || keys.get().zip(histogram()).map(|((a, b), h)| {
                        let bar = WIDTH / h.buckets.len().max(1) as f64;
                        let (a, b) = (a.min(b), a.max(b));
                        view! { <rect class="selection" data-testid="timeline-key-range" x=a as f64 * bar y="0" width=(b - a + 1) as f64 * bar height=HEIGHT></rect> }
                    })}
                    {move || drag.get().map(|(a, b)| view! {
                        <rect class="selection" x=a.min(b) y="0" width=(a - b).abs() height=HEIGHT></rect>
                    })}
                </svg>
                </div>
                <div class="timeline-axis" data-testid="timeline-axis" aria-hidden="true">
                    {move || histogram().map(|h| {
                        let ticks = ticks(&h);
                        // Short labels: the date only when the ticks span days, seconds only
                        // below a minute; the zone is in the range above.
                        let labels: Vec<String> = ticks.iter().map(|(_, t)| at(*t)).collect();
                        let one_day = labels.iter().all(|l| l.get(..10) == labels.first().and_then(|f| f.get(..10)));
                        let seconds = ticks.windows(2).any(|w| matches!(w, [a, b] if (b.1 - a.1) % 60_000 != 0));
                        ticks.into_iter().zip(labels).map(|((x, _), label)| {
                            let end = if seconds { 19 } else { 16 };
                            let start = if one_day { 11 } else { 0 };
                            let text = label.get(start..end).unwrap_or(&label).to_string();
                            view! {
                                <span data-testid="timeline-tick" style=format!("left: {:.2}%", x / WIDTH * 100.0)>{text}</span>
                            }
                        }).collect_view()
                    })}
                </div>
            </section>
        </Show>
    }
}

/// Round times within the histogram's span, each with its x in the chart.
fn ticks(h: &Histogram) -> Vec<(f64, i64)> {
    let first = h.buckets.first().map_or(0, |b| b.start);
    let last = h.buckets.last().map_or(0, |b| b.start + h.step);
    let span = (last - first).max(1) as f64;
    time_ticks(first, last, 6)
        .into_iter()
        .map(|t| ((t - first) as f64 / span * WIDTH, t))
        .collect()
}

fn bars(h: &Histogram, split: Split, log_scale: bool) -> impl IntoView {
    let n = h.buckets.len().max(1) as f64;
    let bar = WIDTH / n;
    let most = h.buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    // On a log scale a bucket of 1 stays visible beside one of 100,000.
    let scale = move |c: u64| {
        let f = if log_scale {
            (c as f64).ln_1p() / most.ln_1p()
        } else {
            c as f64 / most
        };
        f * (HEIGHT - 4.0)
    };
    h.buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = i as f64 * bar;
            let (lower, lower_class, upper_class) = match split {
                Split::ReadWrite => (b.write, "write", "read"),
                Split::Errors => (b.errors, "error", "ok"),
            };
            let total_h = scale(b.count);
            let lower_h = scale(lower);
            let tip = format!(
                "{}\n{} · {} read · {} write · {}",
                time_millis(b.start),
                plural(b.count, "event", "events"),
                count(b.read),
                count(b.write),
                plural(b.errors, "error", "errors")
            );
            view! {
                <g data-testid="timeline-bar" data-start=b.start data-count=b.count>
                    <title>{tip}</title>
                    <rect class=format!("bar {upper_class}") x=x + 0.5 y=HEIGHT - total_h width=(bar - 1.0).max(0.5) height=(total_h - lower_h).max(0.0)></rect>
                    <rect class=format!("bar {lower_class}") x=x + 0.5 y=HEIGHT - lower_h width=(bar - 1.0).max(0.5) height=lower_h></rect>
                </g>
            }
        })
        .collect_view()
}

fn step_name(step: i64) -> String {
    const MIN: i64 = 60_000;
    match step {
        s if s < MIN => format!("{} s", s / 1000),
        s if s < 60 * MIN => format!("{} min", s / MIN),
        s if s < 24 * 60 * MIN => format!("{} h", s / (60 * MIN)),
        s => format!("{} days", s / (24 * 60 * MIN)),
    }
}
