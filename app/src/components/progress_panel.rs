//! The load in progress: files and bytes done, events so far, and the way to stop it.

use leptos::prelude::*;

use crate::format::{bytes, count};
use crate::state::AppState;
use crate::worker_client;

/// Progress of the current load, with a Cancel button. Hidden when nothing is loading.
#[component]
pub fn ProgressPanel(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let fraction = move || {
        let p = state.progress.get();
        if p.bytes_total == 0 {
            0.0
        } else {
            p.bytes_done as f64 / p.bytes_total as f64
        }
    };
    view! {
        <Show when=move || state.loading.get().is_some()>
            <section class="progress" data-testid="load-progress">
                <div
                    class="bar"
                    role="progressbar"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || format!("{:.0}", fraction() * 100.0)
                    data-testid="progress-bar"
                >
                    <div class="fill" style:width=move || format!("{:.1}%", fraction() * 100.0)></div>
                </div>
                <p data-testid="progress-text">
                    {move || {
                        let p = state.progress.get();
                        format!(
                            "{} of {} files, {} of {}, {} events so far",
                            count(p.files_done), count(p.files_total), bytes(p.bytes_done),
                            bytes(p.bytes_total), count(p.events)
                        )
                    }}
                </p>
                <button
                    class="button secondary"
                    data-testid="cancel-load"
                    disabled=move || state.cancelling.get()
                    on:click=move |_| worker_client::cancel(state)
                >
                    {move || if state.cancelling.get() { "Cancelling…" } else { "Cancel" }}
                </button>
            </section>
        </Show>
    }
}
