//! Anomalies computed by Trailscope (labelled so), beside the real CloudTrail Insights events
//! found in the files: Insights-style call and error rates, each with a chart of its baseline
//! band and window, and behaviour anomalies per principal, key and address with their evidence.
//! One list, most important first (the core's score), rendered a page of cards at a time so
//! opening the view stays fast however many there are.

use leptos::prelude::*;
use trailscope_detect::anomaly::behaviour::BehaviourAnomaly;
use trailscope_detect::anomaly::{Attributions, Direction, SeriesPoint, TopValue};
use trailscope_protocol::{AnomalyView, InsightView};

use crate::download::save_text;
use crate::format::{count, plural, time_millis};
use crate::state::{AppState, Tab};
use crate::worker_client;

const W: f64 = 760.0;
const H: f64 = 150.0;
const PAD: f64 = 30.0;
/// Cards rendered at first and per "Show more".
const PAGE: usize = 10;
/// Cards added per animation frame (a card with its chart takes a few milliseconds).
const CARDS_PER_FRAME: usize = 1;

/// One card of the ranked list.
#[derive(Clone)]
enum Card {
    Rate(AnomalyView),
    Behaviour(BehaviourAnomaly),
}

impl Card {
    fn score(&self) -> f64 {
        match self {
            Card::Rate(a) => a.anomaly.score,
            Card::Behaviour(b) => b.score,
        }
    }
}

/// The Anomalies view.
#[component]
pub fn AnomaliesPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    // Why the last export could not be saved, shown beside the button.
    let download_error = RwSignal::new(None::<String>);
    // Cards asked for ("Show more" adds a page), and cards rendered so far: rendering follows
    // one card per animation frame, so no frame holds the page for long however many
    // charts a page has.
    let shown = RwSignal::new(PAGE);
    let rendered = RwSignal::new(0usize);
    // A card to scroll to once it is rendered (an overview mark far down the list).
    let scroll_target = RwSignal::new(None::<usize>);
    Effect::new(move |_| {
        let want = shown.get();
        let have = rendered.get();
        if have < want {
            request_animation_frame(move || rendered.set((have + CARDS_PER_FRAME).min(want)));
        }
        if let Some(target) = scroll_target.get().filter(|&t| t < have) {
            scroll_target.set(None);
            request_animation_frame(move || scroll_to(target));
        }
    });
    view! {
        <section class="anomalies-view" data-testid="anomalies-view">
            <div class="table-head">
                <h2>"Anomalies " <span class="muted small">"computed by Trailscope; not CloudTrail Insights"</span></h2>
                {move || state.detect.get().map(|d| {
                    let json = d.anomalies_json.clone();
                    view! { <button class="button secondary" data-testid="anomalies-json" on:click=move |_| download_error.set(save_text("trailscope-anomalies.json", "application/json", &json).err())>"Export JSON"</button> }
                })}
                {move || download_error.get().map(|e| view! { <span class="failed-note" role="alert" data-testid="download-error">{format!("Cannot save the file: {e}")}</span> })}
            </div>
            <p class="muted small">
                "Most important first: a score of surprise × the principal's privilege × the APIs' sensitivity. Rates: per API (and error code), each minute against the preceding 7 days, repeats of one API and cause merged into one card. Behaviour: per principal, access key and address, volumes far above their own history and peers', first uses after a settled history, and sensitive calls on resources rarely touched."
            </p>
            {move || state.detect.get().map(|d| {
                let mut cards: Vec<Card> = d.anomalies.iter().cloned().map(Card::Rate)
                    .chain(d.behaviour.iter().cloned().map(Card::Behaviour))
                    .collect();
                cards.sort_by(|a, b| b.score().total_cmp(&a.score()));
                let total = cards.len();
                let listed = cards.clone();
                let visible = move || -> Vec<(usize, Card)> {
                    listed.iter().take(rendered.get().min(shown.get())).cloned().enumerate().collect()
                };
                let card_view = move |(i, card): (usize, Card)| match card {
                    Card::Rate(a) => view! { <AnomalyCard index=i anomaly=a state=state /> }.into_any(),
                    Card::Behaviour(b) => view! { <BehaviourCard index=i anomaly=b state=state /> }.into_any(),
                };
                view! {
                    <Overview cards=cards.clone() insights=d.insights.clone() shown=shown scroll_target=scroll_target state=state />
                    {(total == 0).then(|| view! { <p class="empty" data-testid="no-anomalies">"No anomaly in the loaded events."</p> })}
                    <div class="anomaly-list" data-testid="anomaly-list">
                        <For each=visible key=|(i, _)| *i children=card_view />
                    </div>
                    {move || (shown.get() < total).then(|| view! {
                        <button class="button secondary" data-testid="anomalies-more" on:click=move |_| shown.update(|n| *n += PAGE)>
                            {format!("Show {} more of {}", PAGE.min(total - shown.get()), total - shown.get())}
                        </button>
                    })}
                }
            })}
            {move || state.detect.get().map(|d| view! {
                {(!d.insights.is_empty()).then(|| view! {
                    <h3>"CloudTrail Insights events in the files"</h3>
                    <table class="findings-table" data-testid="insight-events">
                        <thead><tr><th>"Time"</th><th>"State"</th><th>"Type"</th><th>"API"</th><th>"Error"</th><th>"Baseline avg"</th><th>"Insight avg"</th></tr></thead>
                        <tbody>
                            {d.insights.iter().cloned().map(|i| view! {
                                <tr data-testid="insight-row" on:click=move |_| worker_client::open_event(i.row)>
                                    <td>{i.time_millis.map(time_millis)}</td>
                                    <td>{i.state}</td>
                                    <td>{i.insight_type}</td>
                                    <td>{format!("{} {}", i.event_source.unwrap_or_default(), i.event_name.unwrap_or_default())}</td>
                                    <td>{i.error_code}</td>
                                    <td>{i.baseline_average.map(|v| format!("{v:.2}"))}</td>
                                    <td>{i.insight_average.map(|v| format!("{v:.2}"))}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            })}
        </section>
    }
}

/// Every anomaly (and real Insights event) on one time axis; a mark scrolls to its card
/// (rendering the cards up to it first).
#[component]
fn Overview(
    cards: Vec<Card>,
    insights: Vec<InsightView>,
    shown: RwSignal<usize>,
    scroll_target: RwSignal<Option<usize>>,
    state: AppState,
) -> impl IntoView {
    let span_of = |c: &Card| match c {
        Card::Rate(a) => (a.anomaly.start_millis, a.anomaly.end_millis),
        Card::Behaviour(b) => (b.start_millis, b.end_millis),
    };
    let times: Vec<i64> = cards
        .iter()
        .flat_map(|c| {
            let (a, b) = span_of(c);
            [a, b]
        })
        .chain(insights.iter().filter_map(|i| i.time_millis))
        .chain(state.totals.with_untracked(|t| {
            t.as_ref()
                .map(|t| {
                    [&t.first_event_time, &t.last_event_time]
                        .into_iter()
                        .flatten()
                        .filter_map(|s| trailscope_model::Timestamp::parse_rfc3339(s))
                        .map(|t| t.unix_millis())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }))
        .collect();
    let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) else {
        return ().into_any();
    };
    let span = (hi - lo).max(60_000) as f64;
    let x = move |t: i64| PAD + (t - lo) as f64 / span * (W - 2.0 * PAD);
    let label = format!(
        "{} between {} and {}",
        plural(cards.len() as u64, "anomaly", "anomalies"),
        time_millis(lo),
        time_millis(hi)
    );
    let go = move |i: usize| {
        // Render the cards up to it (one per frame); the list scrolls once it exists.
        scroll_target.set(Some(i));
        shown.update(|n| *n = (*n).max((i / PAGE + 1) * PAGE));
    };
    view! {
        <svg class="overview" viewBox=format!("0 0 {W} 60") data-testid="anomaly-overview" role="img" aria-label=label>
            <line x1=PAD y1="40" x2=W - PAD y2="40" class="axis"></line>
            <text x=PAD y="56" class="tick">{time_millis(lo)}</text>
            <text x=W - PAD y="56" class="tick" text-anchor="end">{time_millis(hi)}</text>
            {cards.into_iter().enumerate().map(|(i, card)| {
                let (start, end) = span_of(&card);
                let (x1, x2) = (x(start), x(end).max(x(start) + 3.0));
                let (class, tip) = match &card {
                    Card::Rate(view) => {
                        let a = &view.anomaly;
                        (
                            format!("mark {}", a.direction.name()),
                            format!("{} {} {} ({}), {}", a.direction.name(), a.event_source, a.event_name, a.error_code.clone().unwrap_or_default(), time_millis(a.start_millis)),
                        )
                    }
                    Card::Behaviour(b) => (
                        "mark behaviour".to_string(),
                        format!("{}, {}", b.entity.value, time_millis(b.start_millis)),
                    ),
                };
                view! {
                    <rect class=class x=x1 y=14.0 + (i % 3) as f64 * 8.0 width=x2 - x1 height="7" on:click=move |_| go(i)><title>{tip}</title></rect>
                }
            }).collect_view()}
            {insights.into_iter().filter_map(|i| i.time_millis.map(|t| (t, i))).map(|(t, i)| view! {
                <circle class="insight-mark" cx=x(t) cy="40" r="4"><title>{format!("CloudTrail Insights: {} {} {}", i.state.unwrap_or_default(), i.event_source.unwrap_or_default(), i.event_name.unwrap_or_default())}</title></circle>
            }).collect_view()}
        </svg>
    }
    .into_any()
}

/// The filter selecting an anomaly's events: its fields and its window (`end` exclusive).
fn events_filter(fields: &[(&str, &str)], start: i64, end: i64) -> String {
    fields
        .iter()
        .map(|(field, value)| trailscope_query::edit::term(field, value, false))
        .chain(std::iter::once(trailscope_query::edit::time_term(
            start,
            end - 1,
        )))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shows the events `filter` selects in the Events view.
fn open_events(state: AppState, filter: &str) {
    state.filter.set(filter.to_string());
    state.tab.set(Tab::Events);
    worker_client::run_query(state);
}

fn scroll_to(index: usize) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("anomaly-{index}")))
    {
        el.scroll_into_view();
    }
}

#[component]
fn AnomalyCard(index: usize, anomaly: AnomalyView, state: AppState) -> impl IntoView {
    let AnomalyView { anomaly: a, series } = anomaly;
    let windows = a.occurrences.len();
    let mut fields = vec![
        ("eventSource", a.event_source.as_str()),
        ("eventName", a.event_name.as_str()),
        ("awsRegion", a.aws_region.as_str()),
    ];
    if let Some(code) = &a.error_code {
        fields.push(("errorCode", code.as_str()));
    }
    let filter = events_filter(&fields, a.start_millis, a.end_millis);
    let open = move |_| open_events(state, &filter);
    let title = format!(
        "{} of {} {} in {}{}",
        match a.direction {
            Direction::Burst => "Burst",
            Direction::Drop => "Drop",
        },
        a.event_source,
        a.event_name,
        a.aws_region,
        a.error_code
            .as_ref()
            .map(|c| format!(" failing with {c}"))
            .unwrap_or_default()
    );
    view! {
        <article class="anomaly" id=format!("anomaly-{index}") data-testid="anomaly-row" data-direction=a.direction.name() data-type=a.insight_type.name() data-windows=windows>
            <header>
                <span class="score muted small" data-testid="anomaly-score">{format!("score {:.1}", a.score)}</span>
                <h3>{title}</h3>
                <span class="muted small">
                    {if windows > 1 {
                        format!("{} · {} windows between {} and {} ({} min in all) · {:.2}/min vs baseline {:.2}/min · p = {:.1e} (least likely window, charted)",
                            a.insight_type.name(), windows, time_millis(a.start_millis), time_millis(a.end_millis), a.duration_minutes,
                            a.insight_average, a.baseline_average, a.probability)
                    } else {
                        format!("{} · {} to {} ({} min) · {:.2}/min vs baseline {:.2}/min · p = {:.1e}",
                            a.insight_type.name(), time_millis(a.start_millis), time_millis(a.end_millis), a.duration_minutes,
                            a.insight_average, a.baseline_average, a.probability)
                    }}
                    {a.baseline_short.then(|| format!(" · baseline only {} of the 7 days", duration(a.baseline_duration_minutes)))}
                </span>
            </header>
            <Chart series=series window=(a.start_millis, a.end_millis) on_window=open.clone() />
            <div class="tops">
                <Tops title="In the window" lists=a.insight.clone() />
                <Tops title="In the baseline" lists=a.baseline.clone() />
            </div>
            <button class="link" data-testid="anomaly-open" on:click=open>"Show these events"</button>
        </article>
    }
}

/// A behaviour anomaly: what happened in one sentence, its evidence, and its events.
#[component]
fn BehaviourCard(index: usize, anomaly: BehaviourAnomaly, state: AppState) -> impl IntoView {
    let b = anomaly;
    let fields: Vec<(&str, &str)> = b
        .filter_terms
        .iter()
        .map(|t| (t.field.as_str(), t.value.as_str()))
        .collect();
    let filter = events_filter(&fields, b.start_millis, b.end_millis);
    let open = move |_| open_events(state, &filter);
    let kind = b.kind.label();
    let also = b
        .also
        .iter()
        .map(|e| format!("{} {}", e.kind.label(), e.value))
        .collect::<Vec<_>>()
        .join(", ");
    let tops = [
        ("APIs", b.top_apis.clone()),
        ("User agents", b.top_user_agents.clone()),
        ("Source addresses", b.top_source_ips.clone()),
    ];
    view! {
        <article class="anomaly behaviour" id=format!("anomaly-{index}") data-testid="behaviour-row" data-kind=kind data-entity=b.entity.value.clone()>
            <header>
                <span class="score muted small" data-testid="anomaly-score">{format!("score {:.1}", b.score)}</span>
                <h3><span class="kind badge">{kind}</span>{format!("{} {}", b.entity.kind.label(), b.entity.value)}</h3>
                <span class="muted small">
                    {format!("{} to {} · {} · {} · history: {} over {} active hours",
                        time_millis(b.start_millis), time_millis(b.end_millis - 1), plural(b.events, "event", "events"),
                        if b.identity_type.is_empty() { "identity type unknown" } else { b.identity_type.as_str() },
                        plural(b.history_events, "event", "events"), b.history_hours)}
                    {(!also.is_empty()).then(|| format!(" · also seen as {also}"))}
                </span>
            </header>
            <p data-testid="behaviour-summary">{b.summary.clone()}</p>
            {(!b.volumes.is_empty()).then(|| view! {
                <table class="volumes" data-testid="behaviour-volumes">
                    <thead><tr><th>"API"</th><th>"Calls"</th><th>"Usual per active hour"</th><th>"Own busiest hour"</th><th>"Peers' busiest hour"</th></tr></thead>
                    <tbody>
                        {b.volumes.iter().map(|v| view! {
                            <tr>
                                <td>{format!("{} {}", v.event_source.trim_end_matches(".amazonaws.com"), v.event_name)}</td>
                                <td>{count(v.count)}</td>
                                <td>{format!("{:.1}", v.usual_per_hour)}</td>
                                <td>{count(v.own_peak_per_hour)}</td>
                                <td>{format!("{:.0}", v.peer_peak_per_hour)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!b.novelties.is_empty()).then(|| view! {
                <ul class="novelties" data-testid="behaviour-novelties">
                    {b.novelties.iter().map(|n| view! {
                        <li>{format!("New {}: {} (first at {}, {})", n.dimension.label(), n.value, time_millis(n.first_millis), plural(n.events, "event", "events"))}</li>
                    }).collect_view()}
                    {(b.novelties_omitted > 0).then(|| view! { <li class="muted">{format!("and {} more", count(b.novelties_omitted))}</li> })}
                </ul>
            })}
            <div class="tops">
                <TopsOf title="In the window" lists=tops />
            </div>
            <button class="link" data-testid="anomaly-open" on:click=open>"Show these events"</button>
        </article>
    }
}

#[component]
fn Chart(
    /// Per-minute points.
    series: Vec<SeriesPoint>,
    /// The anomaly's window (unix millis, end exclusive).
    window: (i64, i64),
    on_window: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let points = series;
    let (Some(first), Some(last)) = (points.first().copied(), points.last().copied()) else {
        return ().into_any();
    };
    let t0 = first.minute_millis;
    let span = (last.minute_millis - t0).max(60_000) as f64;
    let top = points
        .iter()
        .map(|p| (p.count as f64).max(p.band_high.unwrap_or(0.0)))
        .fold(1.0f64, f64::max)
        * 1.1;
    let x = move |t: i64| PAD + (t - t0) as f64 / span * (W - 2.0 * PAD);
    let y = move |v: f64| H - PAD + 8.0 - v / top * (H - PAD);
    let line: String = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.minute_millis), y(p.count as f64)))
        .collect::<Vec<_>>()
        .join(" ");
    let band_high: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| p.band_high.map(|b| (x(p.minute_millis), y(b))))
        .collect();
    let band_low: Vec<(f64, f64)> = points
        .iter()
        .rev()
        .filter_map(|p| p.band_low.map(|b| (x(p.minute_millis), y(b.max(0.0)))))
        .collect();
    let band: String = band_high
        .iter()
        .chain(band_low.iter())
        .map(|(a, b)| format!("{a:.1},{b:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let baseline: String = points
        .iter()
        .filter_map(|p| {
            p.baseline
                .map(|b| format!("{:.1},{:.1}", x(p.minute_millis), y(b)))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let (wx1, wx2) = (x(window.0), x(window.1));
    view! {
        <svg class="anomaly-chart" viewBox=format!("0 0 {W} {H}") data-testid="anomaly-chart">
            <rect class="window" x=wx1 y="0" width=(wx2 - wx1).max(2.0) height=H - PAD + 8.0 on:click=on_window>
                <title>"Anomaly window: click to show its events"</title>
            </rect>
            <polygon class="band" points=band></polygon>
            <polyline class="baseline" points=baseline></polyline>
            <polyline class="rate" points=line></polyline>
            {points.iter().map(|p| view! {
                <circle class="point" cx=x(p.minute_millis) cy=y(p.count as f64) r="2.2">
                    <title>{format!("{}: {}{}", time_millis(p.minute_millis), plural(p.count, "call", "calls"), p.baseline.map(|b| format!(" (baseline {b:.2})")).unwrap_or_default())}</title>
                </circle>
            }).collect_view()}
            <line class="axis" x1=PAD y1=H - PAD + 8.0 x2=W - PAD y2=H - PAD + 8.0></line>
            <text class="tick" x=PAD y=H - 4.0>{time_millis(t0)}</text>
            <text class="tick" x=W - PAD y=H - 4.0 text-anchor="end">{time_millis(last.minute_millis)}</text>
            <text class="tick" x="2" y="12">{format!("{:.0}/min", top)}</text>
        </svg>
    }
    .into_any()
}

#[component]
fn Tops(title: &'static str, lists: Attributions) -> impl IntoView {
    let lists = [
        ("User ARNs", lists.user_identity_arns),
        ("User agents", lists.user_agents),
        ("Error codes", lists.error_codes),
    ];
    view! { <TopsOf title=title lists=lists /> }
}

/// Top lists, each under its label.
#[component]
fn TopsOf(title: &'static str, lists: [(&'static str, Vec<TopValue>); 3]) -> impl IntoView {
    let list = |name: &'static str, values: Vec<TopValue>| {
        (!values.is_empty()).then(|| view! {
            <div>
                <span class="muted small">{name}</span>
                <ol>{values.into_iter().map(|t| view! { <li><span class="wrap">{t.value}</span>" "<span class="muted">{count(t.count)}</span></li> }).collect_view()}</ol>
            </div>
        })
    };
    view! {
        <div class="top-lists">
            <h4>{title}</h4>
            {lists.into_iter().map(|(name, values)| list(name, values)).collect_view()}
        </div>
    }
}

fn duration(minutes: u64) -> String {
    if minutes >= 24 * 60 {
        format!("{:.1} days", minutes as f64 / 1440.0)
    } else if minutes >= 60 {
        format!("{:.1} h", minutes as f64 / 60.0)
    } else {
        format!("{minutes} min")
    }
}
