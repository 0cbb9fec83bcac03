//! Value pickers: the most common values of each field under the current filter, with counts.
//! Click a value to filter on it, shift-click to exclude it.

use leptos::prelude::*;
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
        </aside>
    }
}

#[component]
fn FacetBox(facet: Facet, state: AppState) -> impl IntoView {
    let field = facet.field.clone();
    let most = facet.values.first().map_or(1, |v| v.count.max(1));
    view! {
        <div class="facet" data-testid="facet" data-field=field.clone() class:filtered=facet.filtered>
            <h3>{label(&field)}</h3>
            <ul>
                {facet.values.into_iter().map(|v| {
                    let term = v.term.clone();
                    let width = (v.count as f64 / most as f64 * 100.0).max(1.0);
                    view! {
                        <li
                            data-testid="facet-value"
                            data-value=v.value.clone()
                            data-count=v.count
                            title=format!("{}\nClick to filter, shift-click to exclude", v.term)
                            on:click=move |ev: leptos::ev::MouseEvent| {
                                let term = if ev.shift_key() || ev.alt_key() { format!("-{term}") } else { term.clone() };
                                worker_client::add_filter_term(state, &term);
                            }
                        >
                            <span class="bar" style=format!("width: {width:.1}%")></span>
                            <span class="facet-name">{v.value.clone()}</span>
                            <span class="facet-count">{count(v.count)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(facet.other > 0).then(|| view! { <p class="muted small">{format!("{} more", count(facet.other))}</p> })}
        </div>
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
        other => other.to_string(),
    }
}
