//! The timeline above the table: selected events over time, split by read/write or by error.
//! Drag across it to filter on that time range.

use leptos::prelude::*;
use trailscope_query::Histogram;

use crate::format::{count, plural, time_millis};
use crate::state::AppState;
use crate::worker_client;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 110.0;

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
    let drag = RwSignal::new(None::<(f64, f64)>);
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
                            format!("{} to {} · one bar is {}", time_millis(first), time_millis(last), step_name(h.step))
                        })}
                    </span>
                    <div class="pager">
                        <button class="button secondary" class:active=move || split.get() == Split::ReadWrite data-testid="split-read-write" on:click=move |_| split.set(Split::ReadWrite)>"Read / write"</button>
                        <button class="button secondary" class:active=move || split.get() == Split::Errors data-testid="split-errors" on:click=move |_| split.set(Split::Errors)>"Errors"</button>
                    </div>
                </div>
                <svg
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
                    {move || histogram().map(|h| bars(&h, split.get()))}
                    {move || drag.get().map(|(a, b)| view! {
                        <rect class="selection" x=a.min(b) y="0" width=(a - b).abs() height=HEIGHT></rect>
                    })}
                </svg>
                <p class="muted small">"Drag across the timeline to filter on a time range."</p>
            </section>
        </Show>
    }
}

fn bars(h: &Histogram, split: Split) -> impl IntoView {
    let n = h.buckets.len().max(1) as f64;
    let bar = WIDTH / n;
    let most = h.buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let scale = |c: u64| c as f64 / most * (HEIGHT - 4.0);
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
