//! Picking files: without JavaScript a plain multiple file input (the browser sends base names
//! only); hydrated, a drop zone for files and whole folders plus "Choose files" and "Choose
//! folder" buttons, keeping each file's path relative to what was picked.

use super::UploadState;
use leptos::ev::{DragEvent, Event};
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn FilePicker(
    state: UploadState,
    hydrated: Signal<bool>,
    /// `aria-invalid` for the plain input, when the last no-JS post failed on a file.
    invalid: Signal<bool>,
) -> impl IntoView {
    move || {
        if hydrated.get() {
            view! { <DropZone state /> }.into_any()
        } else {
            view! {
                <div>
                    <label for="file" class="label">"Files"</label>
                    <input
                        id="file"
                        type="file"
                        name="file"
                        multiple
                        class="input"
                        aria-describedby="file-help"
                        aria-invalid=move || invalid.get().then_some("true")
                    />
                    <p id="file-help" class="mt-1 text-xs text-slate-500">
                        "Without JavaScript, files are stored under their own names (folders are not kept)."
                    </p>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn DropZone(state: UploadState) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let files_input = NodeRef::<html::Input>::new();
    let folder_input = NodeRef::<html::Input>::new();
    let busy = Signal::derive(move || state.phase.with(|p| p.is_busy()));
    let zone_class = move || {
        let base = "flex flex-col items-center justify-center gap-3 rounded-lg border-2 border-dashed p-6 text-center text-sm";
        if dragging.get() {
            format!("{base} border-indigo-500 bg-indigo-50")
        } else {
            format!("{base} border-slate-300 bg-slate-50")
        }
    };
    view! {
        <div>
            <div
                class=zone_class
                role="group"
                aria-labelledby="files-heading"
                aria-describedby="drop-help"
                on:dragenter=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragover=move |ev: DragEvent| ev.prevent_default()
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(false);
                    if !busy.get_untracked() {
                        dropped(state, &ev);
                    }
                }
            >
                <p id="drop-help" class="text-slate-600">
                    "Drop files or a whole folder here; folders keep their structure."
                </p>
                <div class="flex flex-wrap justify-center gap-3">
                    <button
                        type="button"
                        class="btn-secondary"
                        disabled=busy
                        on:click=move |_| {
                            if let Some(input) = files_input.get() {
                                input.click();
                            }
                        }
                    >
                        "Choose files"
                    </button>
                    <button
                        type="button"
                        class="btn-secondary"
                        disabled=busy
                        on:click=move |_| {
                            if let Some(input) = folder_input.get() {
                                input.click();
                            }
                        }
                    >
                        "Choose folder"
                    </button>
                </div>
                // No `name`: the hydrated page sends files itself, one request each. Hidden from
                // assistive technology: the buttons above are the controls.
                <input
                    node_ref=files_input
                    type="file"
                    multiple
                    class="sr-only"
                    tabindex="-1"
                    aria-hidden="true"
                    on:change=move |ev| picked(state, &ev)
                />
                <input
                    node_ref=folder_input
                    type="file"
                    multiple
                    prop:webkitdirectory=true
                    class="sr-only"
                    tabindex="-1"
                    aria-hidden="true"
                    on:change=move |ev| picked(state, &ev)
                />
            </div>
            <RejectedPaths state />
        </div>
    }
}

/// Why some picked files were left out.
#[component]
fn RejectedPaths(state: UploadState) -> impl IntoView {
    move || {
        let rejected = state.rejected.get();
        (!rejected.is_empty()).then(|| {
            view! {
                <div role="alert" class="notice-error mt-2">
                    <p class="font-medium">"Some files were left out:"</p>
                    <ul class="mt-1 list-disc pl-5">
                        {rejected.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
fn picked(state: UploadState, ev: &Event) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let files = super::browser::files_from_input(&input);
    add_files(state, files, Vec::new());
    // Picking the same file again must fire `change` again.
    input.set_value("");
}

#[cfg(not(feature = "hydrate"))]
fn picked(_: UploadState, _: &Event) {}

#[cfg(feature = "hydrate")]
fn dropped(state: UploadState, ev: &DragEvent) {
    let Some(data) = ev.data_transfer() else {
        return;
    };
    let (entries, loose) = super::browser::entries_from_drop(&data);
    leptos::task::spawn_local(async move {
        let (mut files, errors) = super::browser::walk_entries(entries).await;
        files.extend(loose.into_iter().map(|f| (f.name(), f)));
        add_files(state, files, errors);
    });
}

#[cfg(not(feature = "hydrate"))]
fn dropped(_: UploadState, _: &DragEvent) {}

/// Adds picked files under their checked paths; a path picked again replaces the earlier file.
#[cfg(feature = "hydrate")]
fn add_files(state: UploadState, picked: Vec<(String, web_sys::File)>, mut rejected: Vec<String>) {
    use super::{FileStatus, PickedFile, check_picked_path};
    for (raw, file) in picked {
        let path = match check_picked_path(&raw) {
            Ok(path) => path,
            Err(message) => {
                rejected.push(message);
                continue;
            }
        };
        // Sizes come as f64 from JS, whole numbers far below 2^53.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = file.size().max(0.0) as u64;
        let existing = state
            .files
            .with_untracked(|files| files.iter().find(|f| f.path == path).map(|f| f.id));
        let id = existing.unwrap_or_else(|| {
            let mut id = 0;
            state.handles.update_value(|h| {
                h.next_id += 1;
                id = h.next_id;
            });
            id
        });
        state.handles.update_value(|h| {
            h.files.insert(id, file);
        });
        let entry = PickedFile {
            id,
            path,
            size,
            sent: 0,
            status: FileStatus::Waiting,
        };
        state
            .files
            .update(|files| match files.iter_mut().find(|f| f.id == id) {
                Some(f) => *f = entry,
                None => files.push(entry),
            });
    }
    state.rejected.set(rejected);
}

/// Takes a picked file off the list before the upload starts.
pub fn remove_file(state: UploadState, id: u64) {
    state.files.update(|files| files.retain(|f| f.id != id));
    #[cfg(feature = "hydrate")]
    state.handles.update_value(|h| {
        h.files.remove(&id);
    });
}
