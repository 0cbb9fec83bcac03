//! Value pickers: the most common values of each field under the current filter, with counts.
//! Click a value to filter on it, shift-click to exclude it; the values the filter uses are marked
//! and a second click takes them away.

use leptos::prelude::*;
use trailscope_query::edit::{self, TermUse};
use trailscope_query::Facet;

use crate::format::count;
use crate::state::AppState;
use crate::worker_client;

/// Fields shown first, in this order; the rest follow as the worker lists them.
const FIRST: &[&str] = &[
    "eventName",
    "eventSource",
    "user",
    "errorCode",
    "error",
    "readOnly",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userIdentity.type",
    "integrity",
];

/// The facet sidebar.
#[component]
pub fn FacetsPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let source = crate::state::deferred(Vec::new(), move || {
        state
            .query
            .with(|q| q.as_ref().map(|q| q.facets.clone()).unwrap_or_default())
    });
    let facets = move || {
        source.with(|facets| {
            let mut facets: Vec<Facet> = facets.clone();
            facets.retain(|f| !f.values.is_empty());
            facets.sort_by_key(|f| {
                FIRST
                    .iter()
                    .position(|x| *x == f.field)
                    .unwrap_or(FIRST.len())
            });
            facets
        })
    };
    view! {
        <aside class="facets" data-testid="facets">
            <For each=facets key=|f| (f.field.clone(), f.values.iter().map(|v| (v.value.clone(), v.count)).collect::<Vec<_>>(), f.other, f.filtered) let:facet>
                <FacetBox facet=facet state=state />
            </For>
            <ResourcesFacet state=state />
        </aside>
    }
}

/// Values the resources facet lists first.
const RESOURCES_LISTED: u64 = 10;

/// What the selected events acted on (instances, buckets and keys, ARNs). Nothing stores it as
/// a column, so it is counted from the records on request, for the current filter only.
#[component]
fn ResourcesFacet(state: AppState) -> impl IntoView {
    let asked = RwSignal::new(None::<trailscope_protocol::RequestId>);
    let answer = RwSignal::new(None::<Result<Facet, String>>);
    // A new result (another filter, another load) makes the last count stale.
    Effect::new(move |_| {
        state.query.with(|q| q.as_ref().map(|q| q.generation));
        asked.set(None);
        answer.set(None);
    });
    Effect::new(move |_| {
        let reply = state.facet_values.with(|r| r.clone());
        if let Some((id, facet)) = reply {
            if asked.get_untracked() == Some(id) {
                answer.set(Some(Ok(facet)));
            }
        }
    });
    Effect::new(move |_| {
        let refused = state.facet_refused.with(|r| r.clone());
        if let Some((id, reason)) = refused {
            if asked.get_untracked() == Some(id) {
                answer.set(Some(Err(reason)));
            }
        }
    });
    let count = move |_| {
        answer.set(None);
        asked.set(Some(worker_client::request_facet_values(
            state,
            "resource",
            "",
            RESOURCES_LISTED,
        )));
    };
    let selected = move || state.query.with(|q| q.as_ref().map_or(0, |q| q.total));
    view! {
        <Show when=move || { selected() != 0 }>
            <div class="resources-facet" data-testid="resources-facet">
                {move || match answer.get() {
                    Some(Ok(facet)) => view! { <FacetBox facet=facet state=state /> }.into_any(),
                    Some(Err(reason)) => view! {
                        <div class="facet">
                            <h3>"Resources"</h3>
                            <p class="muted small" data-testid="resources-facet-error" role="status">{reason}</p>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="facet">
                        <h3>"Resources"</h3>
                        <p class="muted small">"What these events acted on: instances, buckets and keys, ARNs."</p>
                        <button
                            class="link"
                            data-testid="resources-facet-count"
                            on:click=count
                            disabled=move || asked.get().is_some()
                        >
                            {move || if asked.get().is_some() { "Counting…" } else { "Count them" }}
                        </button>
                        </div>
                    }.into_any(),
                }}
            </div>
        </Show>
    }
}

/// Values asked for by "Show more", and added by each further press.
const MORE_STEP: u64 = 50;

#[component]
fn FacetBox(facet: Facet, state: AppState) -> impl IntoView {
    let field = facet.field.clone();
    let shown = facet.values.len() as u64;
    let has_tail = facet.other > 0;
    // The long tail: "Show more" and the search box ask the worker for this facet's values
    // under the same filter; its answer replaces the list here.
    let more = RwSignal::new(None::<Facet>);
    let search = RwSignal::new(String::new());
    let asked = RwSignal::new(None::<trailscope_protocol::RequestId>);
    Effect::new(move |_| {
        let reply = state.facet_values.with(|r| r.clone());
        if let Some((id, facet)) = reply {
            if asked.get_untracked() == Some(id) {
                more.set(Some(facet));
            }
        }
    });
    let ask = {
        let field = field.clone();
        move |limit: u64| {
            let id =
                worker_client::request_facet_values(state, &field, &search.get_untracked(), limit);
            asked.set(Some(id));
        }
    };
    let initial = facet.clone();
    let current = move || more.get().unwrap_or_else(|| initial.clone());
    let show_more = {
        let ask = ask.clone();
        move |_| {
            let now = more.with_untracked(|m| m.as_ref().map_or(shown, |m| m.values.len() as u64));
            ask(now + MORE_STEP);
        }
    };
    let on_search = {
        let ask = ask.clone();
        move |ev: leptos::ev::Event| {
            search.set(event_target_value(&ev));
            let now = more.with_untracked(|m| m.as_ref().map_or(shown, |m| m.values.len() as u64));
            ask(now.max(shown).max(MORE_STEP.min(shown.max(1))));
        }
    };
    let heading = label(&field);
    view! {
        <div class="facet" data-testid="facet" data-field=field.clone() class:filtered=facet.filtered>
            <h3>{heading.clone()}</h3>
            {has_tail.then(|| view! {
                <input
                    type="search"
                    class="facet-search"
                    data-testid="facet-search"
                    aria-label=format!("Search the values of {heading}")
                    placeholder="Search values"
                    spellcheck="false"
                    autocomplete="off"
                    on:input=on_search
                />
            })}
            {move || {
                let facet = current();
                let most = facet.values.first().map_or(1, |v| v.count.max(1));
                let other = facet.other;
                let empty = facet.values.is_empty();
                view! {
                    <ul>
                        {facet.values.into_iter().map(|v| view! { <FacetItem value=v most=most state=state /> }).collect_view()}
                    </ul>
                    {empty.then(|| view! { <p class="muted small" data-testid="facet-none">"No value matches"</p> })}
                    {(other > 0).then(|| view! {
                        <p class="muted small facet-rest">
                            <span data-testid="facet-other">{format!("{} with other values", crate::format::plural(other, "event", "events"))}</span>
                            " "
                            <button class="link" data-testid="facet-more" on:click=show_more.clone()>"Show more"</button>
                        </p>
                    })}
                }
            }}
        </div>
    }
}

/// One value of a facet: click filters on it, shift-click excludes it; marked when used.
#[component]
fn FacetItem(value: trailscope_query::FacetValue, most: u64, state: AppState) -> impl IntoView {
    let v = value;
    let term = v.term.clone();
    let term_for_use = v.term.clone();
    // Whether the filter selects or excludes this value: marked, so an excluded
    // value listed with its full count never reads as part of the result.
    let used = Memo::new(move |_| state.filter.with(|f| edit::term_use(f, &term_for_use)));
    let mark = move || match used.get() {
        Some(TermUse::Selected) => "selected",
        Some(TermUse::Excluded) => "excluded",
        None => "",
    };
    let width = (v.count as f64 / most as f64 * 100.0).max(1.0);
    let value = v.value.clone();
    view! {
        <li
            data-testid="facet-value"
            data-value=v.value.clone()
            data-count=v.count
            data-use=mark
            class=mark
        >
            <button
                class="facet-button"
                aria-pressed=move || used.get().is_some().to_string()
                title=move || match used.get() {
                    Some(TermUse::Selected) => format!("{term}\nSelected: click to remove, shift-click to exclude instead"),
                    Some(TermUse::Excluded) => format!("{term}\nExcluded: shift-click to remove, click to select instead"),
                    None => format!("{term}\nClick to filter, shift-click to exclude"),
                }
                on:click={
                    let term = v.term.clone();
                    move |ev: leptos::ev::MouseEvent| {
                        let exclude = ev.shift_key() || ev.alt_key();
                        let next = state.filter.with_untracked(|f| toggled(f, &term, exclude));
                        state.filter.set(next);
                        worker_client::run_query(state);
                    }
                }
            >
                <span class="bar" style=format!("width: {width:.1}%")></span>
                <span class="facet-mark" aria-hidden="true">{move || match used.get() {
                    Some(TermUse::Selected) => "✓ ",
                    Some(TermUse::Excluded) => "− ",
                    None => "",
                }}</span>
                <span class="facet-name">{value}</span>
                <span class="visually-hidden">{move || match used.get() {
                    Some(TermUse::Selected) => " (selected)",
                    Some(TermUse::Excluded) => " (excluded)",
                    None => "",
                }}</span>
                <span class="facet-count">{count(v.count)}</span>
            </button>
        </li>
    }
}

/// The filter after a click on a facet value: a click selects it (shift-click excludes it), and
/// clicking again the way it is used takes the term away.
fn toggled(filter: &str, term: &str, exclude: bool) -> String {
    let used = edit::term_use(filter, term);
    let rest = edit::without_term(filter, term);
    match (used, exclude) {
        (Some(TermUse::Selected), false) | (Some(TermUse::Excluded), true) => rest,
        (_, true) => edit::with_term(&rest, &format!("-{term}")),
        (_, false) => edit::with_term(&rest, term),
    }
}

/// A heading for a facet's field.
fn label(field: &str) -> String {
    match field {
        "eventName" => "Event name".into(),
        "eventSource" => "Event source".into(),
        "user" => "User".into(),
        "errorCode" => "Error code".into(),
        "errorMessage" => "Error message".into(),
        "error" => "Any error".into(),
        "readOnly" => "Read only".into(),
        "awsRegion" => "Region".into(),
        "recipientAccountId" => "Account".into(),
        "sourceIPAddress" => "Source IP".into(),
        "userIdentity.type" => "Identity type".into(),
        "userIdentity.arn" => "Principal ARN".into(),
        "userIdentity.accessKeyId" => "Access key".into(),
        "userIdentity.sessionContext.sessionIssuer.arn" => "Session issuer".into(),
        "userAgent" => "User agent".into(),
        "eventType" => "Event type".into(),
        "eventCategory" => "Event category".into(),
        "mfa" => "MFA used".into(),
        "integrity" => "Integrity".into(),
        "resource" => "Resources".into(),
        other => other.to_string(),
    }
}
