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
    // Saving names the view in a field of the page (not the browser's `prompt()`, which blocks
    // the page and cannot be styled or tested).
    let naming = RwSignal::new(None::<String>);
    let save_named = move || {
        let filter = state.filter.get_untracked();
        let Some(name) = naming.get_untracked() else {
            return;
        };
        let name = name.trim().to_string();
        if name.is_empty() || filter.trim().is_empty() {
            return;
        }
        saved.update(|s| s.push(SavedView { name, filter }));
        naming.set(None);
        if let Err(e) = saved.with_untracked(|s| saved_views::store(s)) {
            state.error.set(Some(format!("The view is not saved: {e}")));
        }
    };
    // A view's button is marked while the filter is exactly that view's.
    let is_current = move |filter: &str| state.filter.with(|f| f.trim() == filter.trim());
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
                    aria-label="Filter events (press / to come here)"
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
                            class:active=move || is_current(filter)
                            aria-pressed=move || is_current(filter).to_string()
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
                    let current = {
                        let filter = view.filter.clone();
                        Memo::new(move |_| is_current(&filter))
                    };
                    view! {
                        <span class="chip user-view" class:active=move || current.get()>
                            <button
                                class="link"
                                aria-pressed=move || current.get().to_string()
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
                                aria-label=format!("Forget the view {}", view.name)
                            >
                                "×"
                            </button>
                        </span>
                    }
                }).collect_view()}
                {move || match naming.get() {
                    None => view! {
                        <button
                            class="chip save"
                            data-testid="save-view"
                            disabled=move || state.filter.with(|f| f.trim().is_empty())
                            title="Save the current filter under a name (kept in this browser)"
                            on:click=move |_| naming.set(Some(state.filter.get_untracked()))
                        >"+ Save this view"</button>
                    }.into_any(),
                    Some(name) => view! {
                        <form
                            class="save-view-form"
                            data-testid="save-view-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                save_named();
                            }
                        >
                            <label>
                                <span class="visually-hidden">"Name of the view"</span>
                                <input
                                    type="text"
                                    data-testid="save-view-name"
                                    prop:value=name
                                    autofocus
                                    on:input=move |ev| naming.set(Some(event_target_value(&ev)))
                                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                        if ev.key() == "Escape" {
                                            naming.set(None);
                                        }
                                    }
                                />
                            </label>
                            <button class="chip" type="submit" data-testid="save-view-confirm">"Save"</button>
                            <button class="chip" type="button" on:click=move |_| naming.set(None)>"Cancel"</button>
                        </form>
                    }.into_any(),
                }}
            </div>
        </section>
    }
}
