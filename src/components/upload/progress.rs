//! The picked files (path, size, remove) and, once the upload runs, each file's progress bar,
//! its cancel button and its error, plus the total progress with the sending speed.

use super::file_picker::remove_file;
use super::{FileStatus, UploadPhase, UploadState, format_bytes};
use leptos::prelude::*;

/// `value`/`max` of a `<progress>` (it needs a positive max).
fn bar(sent: u64, size: u64) -> (String, String) {
    (sent.min(size).to_string(), size.max(1).to_string())
}

#[component]
pub fn FileList(
    state: UploadState,
    /// Called with a file id to stop that file during the upload.
    on_cancel: Callback<u64>,
) -> impl IntoView {
    let editing =
        Signal::derive(move || state.phase.with(|p| !p.is_busy() && p.version().is_none()));
    let empty = move || state.files.with(Vec::is_empty);
    let summary = move || {
        state.files.with(|files| {
            let count = files.len();
            let total: u64 = files.iter().map(|f| f.size).sum();
            (
                format!("{count} file{}", if count == 1 { "" } else { "s" }),
                format_bytes(total),
            )
        })
    };
    view! {
        <Show
            when=move || !empty()
            fallback=|| view! { <p class="mt-3 text-sm text-slate-500">"No files picked yet."</p> }
        >
            <table class="mt-3 w-full text-left text-sm">
                <caption class="sr-only">"Files to upload"</caption>
                <thead class="border-b border-slate-200 text-slate-500">
                    <tr>
                        <th scope="col" class="py-2 pr-3 font-medium">"Path"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Size"</th>
                        <th scope="col" class="py-2 pr-3 font-medium">"Status"</th>
                        <th scope="col" class="py-2 font-medium">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    // Keyed rows: progress updates change attributes, never replace the row
                    // (a focused Cancel button keeps its focus).
                    <For each=move || state.files.get() key=|f| f.id let(file)>
                        <FileRow state id=file.id path=file.path editing on_cancel />
                    </For>
                </tbody>
                <tfoot class="border-t border-slate-200 text-slate-600">
                    <tr>
                        <td class="py-2 pr-3">{move || summary().0}</td>
                        <td class="py-2 pr-3">{move || summary().1}</td>
                        <td></td>
                        <td></td>
                    </tr>
                </tfoot>
            </table>
        </Show>
    }
}

#[component]
fn FileRow(
    state: UploadState,
    id: u64,
    path: String,
    editing: Signal<bool>,
    on_cancel: Callback<u64>,
) -> impl IntoView {
    let file = Memo::new(move |_| {
        state
            .files
            .with(|files| files.iter().find(|f| f.id == id).cloned())
    });
    let size = move || file.with(|f| f.as_ref().map_or(0, |f| f.size));
    let status = Memo::new(move |_| {
        file.with(|f| {
            f.as_ref()
                .map_or(FileStatus::Canceled, |f| f.status.clone())
        })
    });
    let progress = move || file.with(|f| f.as_ref().map_or((0, 0), |f| (f.sent, f.size)));
    let progress_label = format!("Progress of {path}");
    let remove_label = format!("Remove {path}");
    let cancel_label = format!("Cancel {path}");
    let status_view = move || match status.get() {
        FileStatus::Waiting if editing.get() => {
            view! { <span class="text-slate-500">"Ready"</span> }.into_any()
        }
        s @ (FileStatus::Waiting | FileStatus::Uploading | FileStatus::Done) => view! {
            <div class="flex items-center gap-2">
                <progress
                    class="h-2 w-32"
                    aria-label=progress_label.clone()
                    value=move || bar(progress().0, progress().1).0
                    max=move || bar(progress().0, progress().1).1
                ></progress>
                <span class="text-xs text-slate-600">{s.label()}</span>
            </div>
        }
        .into_any(),
        FileStatus::Failed(e) => view! {
            <div role="alert" class="text-red-700">
                <p class="font-medium">{e.error_msg}</p>
                <p class="text-xs">{e.solution_msg}</p>
            </div>
        }
        .into_any(),
        FileStatus::Canceled => view! { <span class="text-slate-500">"Canceled"</span> }.into_any(),
    };
    let action = move || {
        if editing.get() {
            Some(
                view! {
                    <button
                        type="button"
                        class="btn-danger"
                        aria-label=remove_label.clone()
                        on:click=move |_| remove_file(state, id)
                    >
                        "Remove"
                    </button>
                }
                .into_any(),
            )
        } else if matches!(status.get(), FileStatus::Waiting | FileStatus::Uploading) {
            Some(
                view! {
                    <button
                        type="button"
                        class="btn-danger"
                        aria-label=cancel_label.clone()
                        on:click=move |_| on_cancel.run(id)
                    >
                        "Cancel"
                    </button>
                }
                .into_any(),
            )
        } else {
            None
        }
    };
    view! {
        <tr class="border-b border-slate-100 align-top">
            <td class="py-2 pr-3 font-mono break-all">{path.clone()}</td>
            <td class="py-2 pr-3 whitespace-nowrap">{move || format_bytes(size())}</td>
            <td class="py-2 pr-3">{status_view}</td>
            <td class="py-2 text-right">{action}</td>
        </tr>
    }
}

/// The whole upload: one bar over every file still counted, the speed, and what is happening.
#[component]
pub fn TotalProgress(state: UploadState) -> impl IntoView {
    let message = move || {
        let phase = state.phase.get();
        let (done, count) = state.files.with(|files| {
            let counted: Vec<_> = files.iter().filter(|f| f.status.counts()).collect();
            (
                counted
                    .iter()
                    .filter(|f| f.status == FileStatus::Done)
                    .count(),
                counted.len(),
            )
        });
        match phase {
            UploadPhase::Editing => String::new(),
            UploadPhase::Creating => "Creating the draft version…".to_owned(),
            UploadPhase::Uploading { version } => {
                format!("Uploading files to draft version {version}: {done} of {count} done.")
            }
            UploadPhase::Incomplete { version } => format!(
                "Draft version {version} is incomplete: {done} of {count} files are in. Retry the failed files, or cancel the upload to delete the draft."
            ),
            UploadPhase::Publishing { version } => format!("Publishing version {version}…"),
            UploadPhase::Canceling => "Canceling the upload…".to_owned(),
            UploadPhase::Canceled { model_deleted: false } => {
                "Upload canceled: the draft version was deleted, no version was added.".to_owned()
            }
            UploadPhase::Canceled { model_deleted: true } => {
                "Upload canceled. The draft was the model's only version, so the server deleted the model with it.".to_owned()
            }
            UploadPhase::Finished { version } => format!("Version {version} is ready. Opening it…"),
        }
    };
    let shows_bar = move || {
        state
            .phase
            .with(|p| p.version().is_some() || *p == UploadPhase::Creating)
            && state.files.with(|f| !f.is_empty())
    };
    let totals = Memo::new(move |_| state.totals());
    let summary = move || {
        let (sent, total) = totals.get();
        let speed = state
            .bytes_per_second
            .get()
            .map(|bps| {
                // A displayed rate: whole bytes are plenty.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let bps = bps.max(0.0) as u64;
                format!(" · {}/s", format_bytes(bps))
            })
            .unwrap_or_default();
        format!("{} of {}{speed}", format_bytes(sent), format_bytes(total))
    };
    view! {
        <div class="space-y-2">
            // One bar for the whole upload; its attributes follow the bytes sent.
            <Show when=shows_bar>
                <div>
                    <progress
                        class="h-3 w-full"
                        aria-label="Total progress"
                        value=move || bar(totals.get().0, totals.get().1).0
                        max=move || bar(totals.get().0, totals.get().1).1
                    ></progress>
                    <p class="text-xs text-slate-600">{summary}</p>
                </div>
            </Show>
            <p role="status" aria-live="polite" class="text-sm text-slate-700">{message}</p>
        </div>
    }
}
