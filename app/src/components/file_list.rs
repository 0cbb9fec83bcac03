//! Every file read, with its kind, its events and whether it loaded; failed files first.

use leptos::prelude::*;
use trailscope_protocol::{FileRow, FileStatus};

use crate::format::count;

/// Rows shown before "Show all".
const SHOWN_ROWS: usize = 200;

/// The file list.
#[component]
pub fn FileList(
    /// Every file read so far, in load order.
    #[prop(into)]
    files: Signal<Vec<FileRow>>,
) -> impl IntoView {
    let show_all = RwSignal::new(false);
    // Failed files first, so a problem is never below the fold; then load order. Only the rows
    // on screen are cloned: a load of ten thousand files updates this list many times.
    let visible = move || {
        let limit = if show_all.get() {
            usize::MAX
        } else {
            SHOWN_ROWS
        };
        files.with(|files| {
            let failed = files.iter().filter(|f| f.status == FileStatus::Failed);
            let others = files.iter().filter(|f| f.status != FileStatus::Failed);
            failed
                .chain(others)
                .take(limit)
                .cloned()
                .collect::<Vec<FileRow>>()
        })
    };
    let total = move || files.with(Vec::len);
    view! {
        <Show when=move || files.with(|f| !f.is_empty())>
            <section class="files">
                <h2>
                    "Files "
                    <span class="muted">
                        {move || files.with(|f| {
                            let failed = f.iter().filter(|r| r.status == FileStatus::Failed).count();
                            let warned = f.iter().filter(|r| r.status == FileStatus::Warning).count();
                            let foreign = f.iter().filter(|r| r.status == FileStatus::NotCloudTrail).count();
                            let mut s = format!("{} read", count(f.len() as u64));
                            if failed > 0 { s.push_str(&format!(", {} failed", count(failed as u64))); }
                            if warned > 0 { s.push_str(&format!(", {} with notes", count(warned as u64))); }
                            if foreign > 0 { s.push_str(&format!(", {} not CloudTrail", count(foreign as u64))); }
                            s
                        })}
                    </span>
                </h2>
                <div class="file-scroll" tabindex="0" role="region" aria-label="Loaded files">
                <table class="file-table" data-testid="file-list">
                    <thead>
                        <tr><th>"File"</th><th>"Kind"</th><th class="num">"Events"</th><th>"Status"</th></tr>
                    </thead>
                    <tbody>
                        <For each=visible key=|row| row.index let:row>
                            <FileRowView row=row />
                        </For>
                    </tbody>
                </table>
                </div>
                <Show when=move || !show_all.get() && (total() > SHOWN_ROWS)>
                    <button class="button secondary" data-testid="show-all-files" on:click=move |_| show_all.set(true)>
                        {move || format!("Show all {} files", count(total() as u64))}
                    </button>
                </Show>
            </section>
        </Show>
    }
}

#[component]
fn FileRowView(row: FileRow) -> impl IntoView {
    let status_text = match (&row.status, &row.error) {
        (FileStatus::Failed, Some(e)) => format!("Failed: {e}"),
        (FileStatus::Failed, None) => "Failed".to_string(),
        (FileStatus::NotCloudTrail, Some(e)) => format!("Not CloudTrail data, ignored: {e}"),
        (FileStatus::NotCloudTrail, None) => "Not CloudTrail data, ignored".to_string(),
        (FileStatus::Warning, _) => "Loaded with notes".to_string(),
        (FileStatus::Loaded, _) if row.duplicates > 0 => {
            format!("Loaded ({} already loaded)", count(row.duplicates))
        }
        (FileStatus::Loaded, _) => "Loaded".to_string(),
    };
    let notes = row.notes.clone();
    view! {
        <tr data-testid="file-row" data-status=row.status.id() data-kind=row.kind.clone() class=format!("status-{}", row.status.id())>
            <td class="path" data-testid="file-path" title=row.path.clone()>{row.path.clone()}</td>
            <td data-testid="file-kind">{row.kind_label.clone()}</td>
            <td class="num" data-testid="file-events">{count(row.events)}</td>
            <td data-testid="file-status">
                <span class="status">{status_text}</span>
                {(!notes.is_empty()).then(|| view! {
                    <ul class="notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                })}
            </td>
        </tr>
    }
}
