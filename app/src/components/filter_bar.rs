//! The filter bar: the filter language typed and read back, the error pointing at the offending
//! term, the time the query took, saved views and exports.

use leptos::prelude::*;

use crate::format::millis;
use crate::saved_views::{self, SavedView, PRESETS};
use crate::state::AppState;
use crate::worker_client;

/// The filter bar.
#[component]
pub fn FilterBar(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let draft = RwSignal::new(state.filter.get_untracked());
    // The applied filter changes from clicks elsewhere (facets, cells): show it.
    Effect::new(move |_| draft.set(state.filter.get()));
    let apply = move || {
        state.filter.set(draft.get_untracked());
        worker_client::run_query(state);
    };
    let saved = RwSignal::new(saved_views::load());
    let save_current = move |_| {
        let filter = state.filter.get_untracked();
        if filter.trim().is_empty() {
            return;
        }
        let name = web_sys::window().and_then(|w| {
            w.prompt_with_message_and_default("Name this view", &filter)
                .ok()
                .flatten()
        });
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            saved.update(|s| s.push(SavedView { name, filter }));
            if let Err(e) = saved.with_untracked(|s| saved_views::store(s)) {
                state.error.set(Some(format!("The view is not saved: {e}")));
            }
        }
    };
    view! {
        <section class="filter-bar" data-testid="filter-bar">
            <form
                class="filter-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    apply();
                }
            >
                <input
                    type="search"
                    class="filter-input"
                    class:invalid=move || state.query_error.with(|e| e.is_some())
                    data-testid="filter-input"
                    placeholder="eventSource:iam.amazonaws.com -readOnly:true errorCode:AccessDenied*   (Enter to apply)"
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                <button class="button" type="submit" data-testid="filter-apply">"Filter"</button>
                <button
                    class="button secondary"
                    type="button"
                    data-testid="filter-clear"
                    on:click=move |_| {
                        draft.set(String::new());
                        apply();
                    }
                >
                    "Clear"
                </button>
                <span
                    class="muted query-time"
                    data-testid="query-time"
                    data-generation=move || state.query.with(|q| q.as_ref().map(|q| q.generation))
                >
                    {move || state.query.with(|q| q.as_ref().map(|q| format!("{} in the worker", millis(q.elapsed_ms))))}
                </span>
            </form>
            {move || state.query_error.get().map(|e| {
                let text = state.filter.get_untracked();
                let before = text.get(..e.start).unwrap_or_default().to_string();
                let bad = text.get(e.start..e.end).unwrap_or_default().to_string();
                let after = text.get(e.end..).unwrap_or_default().to_string();
                view! {
                    <p class="filter-error" data-testid="filter-error" data-start=e.start data-end=e.end role="alert">
                        <span class="mono">{before}<mark>{if bad.is_empty() { " ".to_string() } else { bad }}</mark>{after}</span>
                        <br />
                        {e.message.clone()}
                    </p>
                }
            })}
            <div class="saved-views" data-testid="saved-views">
                <span class="muted">"Views: "</span>
                {PRESETS.iter().map(|(name, filter)| {
                    let filter = *filter;
                    view! {
                        <button
                            class="chip"
                            data-testid="saved-view"
                            title=filter
                            on:click=move |_| {
                                state.filter.set(filter.to_string());
                                worker_client::run_query(state);
                            }
                        >
                            {*name}
                        </button>
                    }
                }).collect_view()}
                {move || saved.get().into_iter().enumerate().map(|(i, view)| {
                    let filter = view.filter.clone();
                    view! {
                        <span class="chip user-view">
                            <button
                                class="link"
                                data-testid="user-view"
                                title=view.filter.clone()
                                on:click=move |_| {
                                    state.filter.set(filter.clone());
                                    worker_client::run_query(state);
                                }
                            >
                                {view.name.clone()}
                            </button>
                            <button
                                class="link remove"
                                title="Forget this view"
                                on:click=move |_| {
                                    saved.update(|s| { if i < s.len() { s.remove(i); } });
                                    if let Err(e) = saved.with_untracked(|s| saved_views::store(s)) {
                state.error.set(Some(format!("The view is not saved: {e}")));
            }
                                }
                            >
                                "×"
                            </button>
                        </span>
                    }
                }).collect_view()}
                <button class="chip save" data-testid="save-view" on:click=save_current>"+ Save this view"</button>
            </div>
        </section>
    }
}
