//! The trust anchor of verification: the public keys the user supplies as trusted, apart from
//! the files being checked. Key lists among the dropped files are never used to verify.

use leptos::prelude::*;
use trailscope_protocol::TrustedKeyList;
use wasm_bindgen_futures::JsFuture;

use crate::state::AppState;
use crate::worker_client;

/// The labelled input for the trusted keys (a file or a paste), and the keys in use with their
/// fingerprint, region and validity.
#[component]
pub fn TrustedKeys(
    /// The page state.
    state: AppState,
) -> impl IntoView {
    let paste = RwSignal::new(String::new());
    let region = RwSignal::new(String::new());
    let read_error = RwSignal::new(None::<String>);
    let region_given =
        move || Some(region.get_untracked().trim().to_string()).filter(|r| !r.is_empty());
    let add = move |more: Vec<TrustedKeyList>| {
        let mut lists = state.trusted_lists.get_untracked();
        lists.extend(more);
        worker_client::set_trusted_keys(state, lists);
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(files) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        let region = region_given();
        leptos::task::spawn_local(async move {
            let mut lists = Vec::new();
            for file in files {
                // Key lists are kilobytes; anything larger is not one.
                if file.size() > trailscope_verify::MAX_KEY_FILE_BYTES as f64 {
                    read_error.set(Some(format!("{}: too large to be a key list", file.name())));
                    continue;
                }
                match JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                {
                    Some(text) => lists.push(TrustedKeyList {
                        name: file.name(),
                        text,
                        region: region.clone(),
                    }),
                    None => read_error.set(Some(format!("{}: cannot be read", file.name()))),
                }
            }
            if !lists.is_empty() {
                read_error.set(None);
                add(lists);
            }
        });
    };
    let on_paste = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = paste.get_untracked();
        if text.trim().is_empty() {
            read_error.set(Some(
                "Paste the output of aws cloudtrail list-public-keys first.".into(),
            ));
            return;
        }
        read_error.set(None);
        paste.set(String::new());
        add(vec![TrustedKeyList {
            name: "pasted".into(),
            text,
            region: region_given(),
        }]);
    };
    let count = move || state.trusted_keys.with(Vec::len);
    let summary = move || match count() {
        0 => "Trusted public keys: none given, so nothing can be verified".to_string(),
        1 => "Trusted public keys: 1 key".to_string(),
        n => format!("Trusted public keys: {n} keys"),
    };
    view! {
            <details
                class="trusted-keys"
                data-testid="trusted-keys"
                data-keys=count
    >
                <summary data-testid="trusted-keys-summary">{summary}</summary>
                <p class="hint">
                    "The trust anchor of integrity verification: the output of "
                    <code>"aws cloudtrail list-public-keys"</code>
                    ", fetched from AWS (not from the bucket being checked). Key lists found among the dropped files are never used: whoever could write the bucket could have put them there. The keys are kept for this browser session only."
                </p>
                <div class="trusted-keys-inputs">
                    <label class="button secondary">
                        "Choose key file"
                        <input
                            type="file"
                            multiple
                            accept=".json,application/json,text/plain"
                            data-testid="trusted-keys-file"
                            aria-label="Trusted public keys: the output of aws cloudtrail list-public-keys"
                            on:change=on_file
                        />
                    </label>
                    <label>
                        "Region these keys are for (optional) "
                        <input
                            type="text"
                            placeholder="any region"
                            size="14"
                            data-testid="trusted-keys-region"
                            prop:value=move || region.get()
                            on:input=move |ev| region.set(event_target_value(&ev))
                        />
                    </label>
                </div>
                <form class="trusted-keys-paste" on:submit=on_paste>
                    <label for="trusted-keys-text">"Or paste the command's output:"</label>
                    <textarea
                        id="trusted-keys-text"
                        rows="3"
                        spellcheck="false"
                        placeholder="{\"PublicKeyList\": [ ... ]}"
                        data-testid="trusted-keys-paste"
                        prop:value=move || paste.get()
                        on:input=move |ev| paste.set(event_target_value(&ev))
                    ></textarea>
                    <div class="row">
                        <button class="button" type="submit" data-testid="trusted-keys-apply">"Trust these keys"</button>
                        <button
                            class="button secondary"
                            type="button"
                            data-testid="trusted-keys-clear"
                            disabled=move || state.trusted_lists.with(Vec::is_empty)
                            on:click=move |_| worker_client::set_trusted_keys(state, Vec::new())
                        >
                            "Forget all trusted keys"
                        </button>
                    </div>
                </form>
                {move || read_error.get().map(|e| view! { <p class="failed-note" role="alert" data-testid="trusted-keys-error">{e}</p> })}
                {move || {
                    let problems = state.trusted_key_problems.get();
                    (!problems.is_empty()).then(|| view! {
                        <ul class="failed-note" role="alert" data-testid="trusted-keys-problems">
                            {problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                        </ul>
                    })
                }}
                <Show when=move || count() != 0>
                    <table class="trusted-keys-table" data-testid="trusted-keys-table">
                        <caption class="visually-hidden">"Trusted public keys"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Fingerprint"</th>
                                <th scope="col">"Region"</th>
                                <th scope="col">"Valid from"</th>
                                <th scope="col">"Valid to"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || state.trusted_keys.get().into_iter().map(|k| {
                                let status = match k.status.as_str() {
                                    "trusted" => "trusted",
                                    "fingerprint_mismatch" => "not trusted: its fingerprint is not the MD5 of its value",
                                    "ambiguous" => "not trusted: another key has the same fingerprint",
                                    _ => "not trusted: not an RSA public key",
                                };
                                let region = match (&k.region, k.regions_used.is_empty()) {
                                    (Some(r), _) => r.clone(),
                                    (None, false) => format!("any (used for {})", k.regions_used.join(", ")),
                                    (None, true) => "any".to_string(),
                                };
                                view! {
                                    <tr data-testid="trusted-key-row" data-fingerprint=k.fingerprint.clone() data-status=k.status.clone()>
                                        <td class="mono">{k.fingerprint.clone()}</td>
                                        <td>{region}</td>
                                        <td class="mono">{k.valid_from.clone().unwrap_or_else(|| "not given".into())}</td>
                                        <td class="mono">{k.valid_to.clone().unwrap_or_else(|| "not given".into())}</td>
                                        <td class:bad=k.status != "trusted">{status}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </Show>
            </details>
        }
}
