//! The load in progress: files and bytes done, events so far, and the way to stop it.

use leptos::prelude::*;

use crate::format::{bytes, count, plural};
use trailscope_protocol::LoadProgress;

/// Progress of the current load, with a Cancel button. Hidden when nothing is loading.
#[component]
pub fn ProgressPanel(
    /// Progress of the current load.
    #[prop(into)]
    progress: Signal<LoadProgress>,
    /// A load is in progress.
    #[prop(into)]
    loading: Signal<bool>,
    /// A cancel was asked for and not yet honoured.
    #[prop(into)]
    cancelling: Signal<bool>,
    /// Stops the load.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let fraction = move || {
        let p = progress.get();
        if p.bytes_total == 0 {
            0.0
        } else {
            p.bytes_done as f64 / p.bytes_total as f64
        }
    };
    view! {
        <Show when=move || loading.get()>
            <section class="progress" data-testid="load-progress">
                <div
                    class="bar"
                    role="progressbar"
                    aria-label="Loading the files"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || format!("{:.0}", fraction() * 100.0)
                    data-testid="progress-bar"
                >
                    <div class="fill" style:width=move || format!("{:.1}%", fraction() * 100.0)></div>
                </div>
                <p data-testid="progress-text" role="status" aria-live="polite">
                    {move || {
                        let p = progress.get();
                        if p.bytes_total == 0 {
                            // The sizes are not known until the files are listed.
                            format!("Listing the files… {} found so far", count(p.files_total))
                        } else {
                            format!(
                                "{} of {}, {} of {}, {} so far",
                                count(p.files_done), plural(p.files_total, "file", "files"), bytes(p.bytes_done),
                                bytes(p.bytes_total), plural(p.events, "event", "events")
                            )
                        }
                    }}
                </p>
                <button
                    class="button secondary"
                    data-testid="cancel-load"
                    disabled=move || cancelling.get()
                    on:click=move |_| on_cancel.run(())
                >
                    {move || if cancelling.get() { "Cancelling…" } else { "Cancel" }}
                </button>
            </section>
        </Show>
    }
}
