//! The filter bar: the filter language typed and read back (with autocomplete of field names,
//! values and past filters, a syntax sheet, and the active conditions as removable chips), the
//! error pointing at the offending term, the time the query took, saved views and exports.

use leptos::prelude::*;
use trailscope_protocol::RequestId;
use trailscope_query::edit::{self, Completing};
use trailscope_query::Key;

use crate::format::{count, millis};
use crate::saved_views::{self, SavedView, PRESETS};
use crate::state::AppState;
use crate::worker_client;

/// Suggestions listed at most.
const SUGGESTIONS: usize = 8;

/// One line of the autocomplete list.
#[derive(Clone, Debug, PartialEq)]
enum Suggestion {
    /// A field name (completed with its colon).
    Field(&'static str),
    /// A value of the field being typed, with its count under the filter when known.
    Value(String, Option<u64>),
    /// A filter applied before (replaces the whole text and applies it).
    Past(String),
}

/// Where the autocomplete stands: what is being completed and what is offered.
#[derive(Clone, Debug, Default)]
struct Offer {
    completing: Option<Completing>,
    items: Vec<Suggestion>,
    /// The keyboard's item.
    active: Option<usize>,
    /// The values request whose reply fills `items`.
    waiting: Option<RequestId>,
}

/// The byte offset of UTF-16 position `utf16` of `text` (the input's selection is in UTF-16
/// units, the filter language's offsets in bytes).
fn byte_offset(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (at, c) in text.char_indices() {
        if units >= utf16 {
            return at;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 position of byte offset `byte` of `text`.
fn utf16_offset(text: &str, byte: usize) -> u32 {
    text.get(..byte).unwrap_or(text).encode_utf16().count() as u32
}

/// The filter bar.
#[component]
pub fn FilterBar(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let draft = RwSignal::new(state.filter.get_untracked());
    // The applied filter changes from clicks elsewhere (facets, cells): show it.
    Effect::new(move |_| draft.set(state.filter.get()));
    let history = RwSignal::new(saved_views::history());
    let offer = RwSignal::new(Offer::default());
    let input = NodeRef::<leptos::html::Input>::new();
    let help_open = RwSignal::new(false);
    let apply = move || {
        let filter = draft.get_untracked();
        offer.set(Offer::default());
        state.filter.set(filter.clone());
        worker_client::run_query(state);
        match saved_views::remember(&filter) {
            Ok(list) => history.set(list),
            Err(e) => state
                .error
                .set(Some(format!("The filter is not kept in the history: {e}"))),
        }
    };
    // What to offer for the text and the cursor in the box.
    let refresh = move || {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        let cursor = byte_offset(&text, el.selection_start().ok().flatten().unwrap_or(0));
        let mut next = Offer::default();
        if text.trim().is_empty() {
            next.items = history
                .get_untracked()
                .into_iter()
                .take(SUGGESTIONS)
                .map(Suggestion::Past)
                .collect();
        } else {
            match edit::completing(&text, cursor) {
                Some(Completing::Field { ref prefix, .. }) => {
                    next.items = trailscope_query::field_name_completions(prefix, SUGGESTIONS)
                        .into_iter()
                        .filter(|name| !name.eq_ignore_ascii_case(prefix))
                        .map(Suggestion::Field)
                        .collect();
                }
                Some(Completing::Value {
                    ref field,
                    ref prefix,
                    ..
                }) => match Key::from_name(field) {
                    Some(key) if key.fixed_values().is_some() => {
                        next.items = key
                            .fixed_values()
                            .unwrap_or_default()
                            .iter()
                            .filter(|v| {
                                v.starts_with(&prefix.to_ascii_lowercase())
                                    && **v != prefix.as_str()
                            })
                            .map(|v| Suggestion::Value(v.to_string(), None))
                            .collect();
                    }
                    Some(key)
                        if key.lists_values() && state.query.with_untracked(|q| q.is_some()) =>
                    {
                        next.waiting = Some(worker_client::request_facet_values(
                            state,
                            field,
                            prefix,
                            SUGGESTIONS as u64,
                        ));
                    }
                    _ => {}
                },
                None => {}
            }
            next.completing = edit::completing(&text, cursor);
        }
        offer.set(next);
    };
    // A field's values arrive from the store worker, counted under the filter on screen.
    Effect::new(move |_| {
        let Some((id, facet)) = state.facet_values.get() else {
            return;
        };
        if offer.with_untracked(|o| o.waiting) != Some(id) {
            return;
        }
        let typed = offer.with_untracked(|o| match &o.completing {
            Some(Completing::Value { prefix, .. }) => prefix.clone(),
            _ => String::new(),
        });
        offer.update(|o| {
            o.waiting = None;
            o.items = facet
                .values
                .into_iter()
                .filter(|v| v.value != typed)
                .map(|v| Suggestion::Value(v.value, Some(v.count)))
                .collect();
            o.active = None;
        });
    });
    let accept = move |index: usize| {
        let Some(chosen) = offer.with_untracked(|o| o.items.get(index).cloned()) else {
            return;
        };
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        let completed = match (&chosen, offer.with_untracked(|o| o.completing.clone())) {
            (Suggestion::Past(filter), _) => {
                draft.set(filter.clone());
                el.set_value(filter);
                apply();
                return;
            }
            (Suggestion::Field(name), Some(c)) => edit::complete(&text, &c, name),
            (Suggestion::Value(value, _), Some(c)) => edit::complete(&text, &c, value),
            _ => return,
        };
        let (text, cursor) = completed;
        draft.set(text.clone());
        el.set_value(&text);
        let at = utf16_offset(&text, cursor);
        let _ = el.set_selection_range(at, at);
        let _ = el.focus();
        // A completed name goes on to its values.
        refresh();
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let items = offer.with_untracked(|o| o.items.len());
        let active = offer.with_untracked(|o| o.active);
        match ev.key().as_str() {
            // Down in a box with nothing offered opens the list (the history when empty).
            "ArrowDown" if items == 0 => {
                ev.prevent_default();
                refresh();
            }
            "ArrowUp" if items == 0 => {}
            "ArrowDown" => {
                ev.prevent_default();
                offer.update(|o| o.active = Some(active.map_or(0, |i| (i + 1) % items)));
            }
            "ArrowUp" => {
                ev.prevent_default();
                offer.update(|o| {
                    o.active = Some(active.map_or(items - 1, |i| (i + items - 1) % items))
                });
            }
            "Enter" | "Tab" if items > 0 && active.is_some() => {
                ev.prevent_default();
                if let Some(i) = active {
                    accept(i);
                }
            }
            "Escape" if items > 0 || help_open.get_untracked() => {
                ev.prevent_default();
                ev.stop_propagation();
                offer.set(Offer::default());
                help_open.set(false);
            }
            _ => {}
        }
    };
    let listed = move || offer.with(|o| !o.items.is_empty());
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
                <div class="filter-combo">
                    <input
                        type="search"
                        class="filter-input"
                        class:invalid=move || state.query_error.with(|e| e.is_some())
                        data-testid="filter-input"
                        aria-label="Filter events (press / to come here)"
                        role="combobox"
                        aria-autocomplete="list"
                        aria-expanded=move || listed().to_string()
                        aria-controls="filter-autocomplete"
                        aria-activedescendant=move || offer.with(|o| o.active.map(|i| format!("filter-autocomplete-{i}")))
                        placeholder="eventSource:iam.amazonaws.com -readOnly:true errorCode:AccessDenied*   (Enter to apply)"
                        spellcheck="false"
                        autocomplete="off"
                        node_ref=input
                        prop:value=move || draft.get()
                        on:input=move |ev| {
                            draft.set(event_target_value(&ev));
                            refresh();
                        }
                        on:click=move |_| refresh()
                        on:keydown=on_key
                        on:blur=move |_| offer.set(Offer::default())
                    />
                    <ul
                        class="filter-autocomplete"
                        id="filter-autocomplete"
                        role="listbox"
                        aria-label="Suggestions"
                        data-testid="filter-autocomplete"
                        hidden=move || !listed()
                    >
                        {move || offer.with(|o| o.items.iter().enumerate().map(|(i, item)| {
                            let active = o.active == Some(i);
                            let (kind, text, extra) = match item {
                                Suggestion::Field(name) => ("field", format!("{name}:"), String::new()),
                                Suggestion::Value(value, n) => ("value", value.clone(), n.map(count).unwrap_or_default()),
                                Suggestion::Past(filter) => ("past", filter.clone(), "earlier".to_string()),
                            };
                            let value = text.clone();
                            view! {
                                <li
                                    role="option"
                                    id=format!("filter-autocomplete-{i}")
                                    class=format!("option {kind}")
                                    class:active=active
                                    aria-selected=active.to_string()
                                    data-testid="filter-autocomplete-option"
                                    data-kind=kind
                                    data-value=value
                                    // Taking the option before the box loses focus (a click would
                                    // come after the blur that closes the list).
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        accept(i);
                                    }
                                >
                                    <span class="mono">{text}</span>
                                    <span class="muted">{extra}</span>
                                </li>
                            }
                        }).collect_view())}
                    </ul>
                </div>
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
                <button
                    class="button secondary"
                    type="button"
                    data-testid="filter-help-toggle"
                    aria-expanded=move || help_open.get().to_string()
                    aria-controls="filter-help"
                    on:click=move |_| help_open.update(|o| *o = !*o)
                >
                    "Syntax"
                </button>
                <span
                    class="muted query-time"
                    data-testid="query-time"
                    data-generation=move || state.query.with(|q| q.as_ref().map(|q| q.generation))
                    data-text-indexed=move || state.query.with(|q| q.as_ref().map(|q| q.text_indexed))
                >
                    {move || state.query.with(|q| q.as_ref().map(|q| format!("{} in the worker", millis(q.elapsed_ms))))}
                </span>
                // Free text reads the records of rows the index does not cover yet: said, so a
                // slow first search right after a load is not a mystery.
                {move || state.query.with(|q| q.as_ref().filter(|q| q.text_indexed < q.events).map(|q| {
                    let percent = q.text_indexed.saturating_mul(100) / q.events.max(1);
                    let (text, title) = if q.text_index_halted {
                        (
                            format!("· text index stopped at {percent}% (memory)"),
                            "The tab's memory has no room to index the rest: free text reads those events' records, which is slower",
                        )
                    } else {
                        (
                            format!("· indexing text {percent}%"),
                            "Free text is indexed in the background after a load; until it is done, free text also reads the records not yet indexed, which is slower",
                        )
                    };
                    view! {
                        <span
                            class="muted"
                            data-testid="text-index-progress"
                            data-halted=q.text_index_halted.to_string()
                            title=title
                        >
                            {text}
                        </span>
                    }
                }))}
            </form>
            <Show when=move || help_open.get()>
                <SyntaxSheet />
            </Show>
            <Chips state=state />
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

/// The active conditions of the applied filter, each removable on its own.
#[component]
fn Chips(state: AppState) -> impl IntoView {
    view! {
        {move || {
            let filter = state.filter.get();
            let chips: Vec<(String, bool)> = edit::chips(&filter)
                .into_iter()
                .map(|c| (c.text.to_string(), c.excluded))
                .collect();
            (!chips.is_empty()).then(|| view! {
                <ul class="filter-chips" data-testid="filter-chips" aria-label="Conditions of the filter">
                    {chips.into_iter().enumerate().map(|(i, (text, excluded))| view! {
                        <li class="filter-chip" class:excluded=excluded data-testid="filter-chip" data-excluded=excluded.to_string()>
                            <span class="mono" title=text.clone()>{text.clone()}</span>
                            <button
                                class="link remove"
                                data-testid="filter-chip-remove"
                                aria-label=format!("Remove {text}")
                                title="Remove this condition"
                                on:click=move |_| {
                                    let rest = edit::without_chip(&state.filter.get_untracked(), i);
                                    state.filter.set(rest);
                                    worker_client::run_query(state);
                                }
                            >
                                "×"
                            </button>
                        </li>
                    }).collect_view()}
                </ul>
            })
        }}
    }
}

/// The filter language on one card.
#[component]
fn SyntaxSheet() -> impl IntoView {
    const ROWS: &[(&str, &str)] = &[
        (
            "eventName:DeleteBucket",
            "a field's value, whole, without regard to case",
        ),
        (
            "eventName:Delete*   *Bucket   *Policy*",
            "starts with, ends with, contains",
        ),
        ("-readOnly:true   NOT readOnly:true", "excludes"),
        (
            "eventName:(A OR B)   eventName:A,B   eventName:A OR eventName:B",
            "either value (terms on one field are alternatives)",
        ),
        (
            "user:alice errorCode:AccessDenied*",
            "every term holds (AND may be written)",
        ),
        (
            "user:\"Jo Admin\"",
            "quotes keep spaces, commas and parentheses in a value",
        ),
        ("ip:10.0.0.0/8   ip:2001:db8::/32", "an address range"),
        (
            "time:2024-03-01..2024-03-02   from:2024-03-01T10:00Z   before:2024-03",
            "a time span (UTC)",
        ),
        (
            "requestParameters.bucketName:logs-*",
            "any path into the record",
        ),
        (
            "resource:i-0abc*   resourceType:AWS::S3::Bucket",
            "the resources an event names",
        ),
        (
            "error:*   mfa:false   integrity:failed",
            "any error, console logins without MFA, events from files that failed verification",
        ),
        (
            "finding:cis-4.3",
            "the events a detection rule matched (here: root account usage)",
        ),
        ("AccessDenied", "free text anywhere in the record"),
    ];
    view! {
        <div class="filter-help" id="filter-help" data-testid="filter-help">
            <table>
                <caption>"The filter language (typing, or ↓ in the box, lists fields, values and past filters)"</caption>
                <tbody>
                    {ROWS.iter().map(|(example, meaning)| view! {
                        <tr><td class="mono">{*example}</td><td>{*meaning}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">
                "Fields: "
                <span class="mono">{trailscope_query::field_name_completions("", 200).join(" ")}</span>
            </p>
        </div>
    }
}
