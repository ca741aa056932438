//! Uploading a new version of a model. One form serves both worlds: without JavaScript it is a
//! plain multipart post to `/models/{name}/upload` (fields that decide the number and the
//! inherited files come before the file input, as the server requires); hydrated, it creates a
//! draft through the REST API, sends files one request each with progress, and publishes when
//! they are all in. A failed plain post comes back here with `?error=&solution=&field=`.

use crate::api::models::get_model;
use crate::api::versions::{list_model_versions, list_version_file_paths};
use crate::components::forms::{ErrorAlert, PageError, RefusedUpload, textarea_text};
use crate::components::layout::RequireUser;
use crate::components::upload::file_picker::FilePicker;
use crate::components::upload::metrics_editor::{MetricRow, MetricsEditor};
use crate::components::upload::progress::{FileList, TotalProgress};
use crate::components::upload::{UploadPhase, UploadState};
use crate::domain::error::ApiError;
use crate::domain::model::Role;
use crate::domain::version::{Registration, Version, VersionState};
use crate::domain::version_number::{Bump, VersionNumber};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most versions offered as a base.
const BASE_CHOICES: i64 = 200;

/// What the form needs of each version: its number and where it stands. The island's props
/// travel in the page, and decoding a whole `Version` would cost the browser bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct BaseChoice {
    version: String,
    state: VersionState,
    registration: Registration,
}

impl From<Version> for BaseChoice {
    fn from(v: Version) -> Self {
        BaseChoice {
            version: v.version,
            state: v.state,
            registration: v.registration,
        }
    }
}

#[component]
pub fn UploadPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let model = Resource::new(name, get_model);
    let versions = Resource::new(name, |name| list_model_versions(name, 0, BASE_CHOICES));
    view! {
        <RequireUser>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let model = match model.await {
                        Ok(view) => view.model,
                        Err(error) => {
                            return view! { <Title text="Model not found" /> <PageError error /> }
                                .into_any();
                        }
                    };
                    let versions = match versions.await {
                        Ok(page) => page.data.into_iter().map(BaseChoice::from).collect::<Vec<_>>(),
                        Err(error) => return view! { <PageError error /> }.into_any(),
                    };
                    if model.role < Some(Role::Editor) {
                        let error = ApiError::forbidden("add versions to this model")
                            .with_status(403);
                        return view! { <Title text="Upload a version" /> <PageError error /> }
                            .into_any();
                    }
                    let name = model.name.clone();
                    let refused = RefusedUpload::from_page();
                    let base_version = use_query_map()
                        .with_untracked(|q| q.get("base_version").unwrap_or_default());
                    view! {
                        <Title text=format!("Upload a version of {name}") />
                        <nav aria-label="Breadcrumb" class="mb-2 text-sm">
                            <a href=format!("/models/{name}") class="link">{name.clone()}</a>
                        </nav>
                        <h1 class="page-title break-all">"Upload a new version"</h1>
                        <p class="mb-6 text-sm text-slate-600">
                            "Files, metrics and where the version came from. It starts as a draft; publishing freezes its files."
                        </p>
                        <UploadForm model=name versions refused base_version />
                    }
                    .into_any()
                })}
            </Suspense>
        </RequireUser>
    }
}

/// The form, an island: hydrated, it sends the files itself with progress. It runs without the
/// router, so the page hands it what the address says (`refused`, `base_version`).
#[cfg_attr(any(feature = "ssr", feature = "bundle-upload"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "bundle-upload")), component)]
fn UploadForm(
    /// The model's name.
    model: String,
    /// Its newest versions, the highest number first.
    versions: Vec<BaseChoice>,
    refused: RefusedUpload,
    /// The version to start from, if the address names one.
    base_version: String,
) -> impl IntoView {
    crate::components::island_scripts::note_island(
        crate::components::island_scripts::Bundle::Upload,
    );
    let state = UploadState::new(model.clone());
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration: from here on the page sends the files.
    Effect::new(move |_| hydrated.set(true));
    let hydrated: Signal<bool> = hydrated.into();
    let metric_rows = RwSignal::new(Vec::<MetricRow>::new());
    let publish = RwSignal::new(false);
    let RefusedUpload {
        error: query_error,
        field: error_field,
        ..
    } = refused.clone();
    let kept = {
        let refused = Arc::new(refused);
        move |field: &str| refused.kept(field)
    };
    let error_field = StoredValue::new(error_field);
    let invalid = move |names: &'static [&'static str]| {
        let flag = error_field.with_value(|f| {
            !f.is_empty()
                && names.iter().any(|n| {
                    f == n || f.starts_with(&format!("{n}.")) || n.starts_with(&format!("{f}."))
                })
        });
        Signal::derive(move || flag)
    };
    let aria_invalid = move |names: &'static [&'static str]| {
        let flag = invalid(names);
        move || flag.get().then_some("true")
    };

    let initial_base = base_version;
    let base = RwSignal::new(initial_base.clone());

    // The server numbers a new version after the highest number taken, by any version: one
    // that is pending or failed is never `latest`, but keeps its number.
    let highest = versions.first().and_then(|v| {
        VersionNumber::parse(&v.version)
            .ok()
            .map(|number| (number, v.registration))
    });
    let latest = highest.map(|(number, _)| number);
    let kept_bump = Bump::parse(&kept("bump")).unwrap_or_default();
    let bump = RwSignal::new(kept_bump);
    let next_number = move || VersionNumber::next(latest, bump.get()).to_string();

    let name = model.clone();
    let action = format!("/models/{name}/upload");
    let get_action = action.clone();

    // The island has no router: the finished upload opens the version's page as a new page.
    #[cfg(feature = "hydrate")]
    let navigate = |url: &str| {
        let _ = window().location().assign(url);
    };
    let on_submit = move |ev: SubmitEvent| {
        #[cfg(feature = "hydrate")]
        submit(state, &ev, metric_rows, navigate);
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, metric_rows);
    };
    let on_cancel_file = Callback::new(move |id: u64| {
        #[cfg(feature = "hydrate")]
        crate::components::upload::transfer::cancel_file(state, id);
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    });
    // Kept in a (Copy) stored value so the retry handler stays Copy in both builds.
    let on_retry = move |_| {
        #[cfg(feature = "hydrate")]
        crate::components::upload::transfer::retry_failed(state, publish.get_untracked(), navigate);
    };
    let on_cancel_upload = move |_| {
        #[cfg(feature = "hydrate")]
        crate::components::upload::transfer::cancel_upload(state);
    };
    let busy = Signal::derive(move || state.phase.with(UploadPhase::is_busy));
    let has_draft = Signal::derive(move || {
        state
            .phase
            .with(|p| p.version().is_some() && !matches!(p, UploadPhase::Finished { .. }))
    });
    let incomplete = Signal::derive(move || {
        state
            .phase
            .with(|p| matches!(p, UploadPhase::Incomplete { .. }))
    });
    let version_options = versions
        .iter()
        .map(|v| {
            let label = format!("{} ({})", v.version, v.state.as_str());
            let value = v.version.clone();
            let selected = value == initial_base;
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    let has_versions = !versions.is_empty();

    view! {
        <div id="upload-error">
            {query_error.map(|error| view! {
                <ErrorAlert error />
                <p class="notice" role="status">
                    "Your entries are filled in again. Files cannot be kept when a form is refused: choose them again."
                </p>
            })}
            {move || state.error.get().map(|error| view! { <ErrorAlert error /> })}
        </div>
        <form
            method="post"
            enctype="multipart/form-data"
            action=action
            class="card space-y-8"
            on:submit=on_submit
        >
            <fieldset aria-invalid=aria_invalid(&["bump"])>
                <legend class="label">"Version number"</legend>
                <div class="flex flex-wrap gap-4">
                    {Bump::ALL
                        .into_iter()
                        .map(|b| {
                            let id = format!("bump-{}", b.as_str());
                            let input_id = id.clone();
                            let number = VersionNumber::next(latest, b).to_string();
                            let label = match b {
                                Bump::Major => "Major",
                                Bump::Minor => "Minor",
                                Bump::Patch => "Patch",
                            };
                            view! {
                                <label for=id class="flex items-center gap-2 text-sm">
                                    <input
                                        id=input_id
                                        type="radio"
                                        name="bump"
                                        value=b.as_str()
                                        checked=b == kept_bump
                                        on:change=move |_| bump.set(b)
                                    />
                                    {format!("{label} ({number})")}
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <p class="mt-2 text-sm text-slate-600" aria-live="polite">
                    {move || match highest {
                        Some((l, Registration::Ready)) => format!("The latest version is {l}; this one will be {}.", next_number()),
                        Some((l, unfinished)) => format!(
                            "The highest number so far is {l} ({}); this one will be {}.",
                            unfinished.as_str(),
                            next_number()
                        ),
                        None => "This is the model's first version: it will be 0.1.0.".to_owned(),
                    }}
                </p>
            </fieldset>

            <div>
                <label for="base_version" class="label">"Start from version"</label>
                <div class="flex flex-wrap items-center gap-3">
                    <select
                        id="base_version"
                        name="base_version"
                        class="input max-w-xs"
                        aria-describedby="base-help"
                        aria-invalid=aria_invalid(&["base_version"])
                        disabled=move || !has_versions || busy.get()
                        on:change=move |ev| base.set(event_target_value(&ev))
                    >
                        <option value="" selected=initial_base.is_empty()>"None: start empty"</option>
                        {version_options}
                    </select>
                    // Without JavaScript the base version's files are listed after a reload.
                    <Show when=move || !hydrated.get() && has_versions>
                        <button
                            type="submit"
                            class="btn-secondary"
                            formmethod="get"
                            formaction=get_action.clone()
                            formnovalidate
                        >
                            "Show its files"
                        </button>
                    </Show>
                </div>
                <p id="base-help" class="mt-1 text-xs text-slate-500">
                    "The new version keeps that version's files; remove some below, and uploaded files add to or replace them."
                </p>
                <BaseFiles model=name.clone() base invalid=invalid(&["delete_paths"]) />
            </div>

            <section class="space-y-2">
                <h2 id="files-heading" class="text-lg font-semibold">"Files"</h2>
                <FilePicker state hydrated invalid=invalid(&["path", "file"]) />
                <Show when=move || hydrated.get()>
                    <FileList state on_cancel=on_cancel_file />
                </Show>
            </section>

            <section class="space-y-4">
                <h2 id="details-heading" class="text-lg font-semibold">"Details"</h2>
                <div>
                    <label for="description" class="label">"Description"</label>
                    <textarea id="description" name="description" rows="2" class="input" aria-invalid=aria_invalid(&["description"])>{textarea_text(&kept("description"))}</textarea>
                </div>
                <div>
                    <label for="tags" class="label">"Tags"</label>
                    <input id="tags" name="tags" class="input" placeholder="comma-separated, e.g. baseline, xgboost" aria-invalid=aria_invalid(&["tags"]) value=kept("tags") />
                </div>
                <MetricsEditor rows=metric_rows kept=kept("metrics") hydrated invalid=invalid(&["metrics"]) />
            </section>

            <fieldset class="space-y-4">
                <legend class="text-lg font-semibold">"Framework"</legend>
                <div class="grid gap-4 sm:grid-cols-3">
                    <TextField id="framework.library_name" label="Library" placeholder="e.g. scikit-learn" value=kept("framework.library_name") invalid=invalid(&["framework.library_name"]) />
                    <TextField id="framework.pipeline_tag" label="Pipeline tag" placeholder="e.g. tabular-classification" value=kept("framework.pipeline_tag") invalid=invalid(&["framework.pipeline_tag"]) />
                    <TextField id="framework.base_model" label="Base model" placeholder="e.g. bert-base-uncased" value=kept("framework.base_model") invalid=invalid(&["framework.base_model"]) />
                </div>
            </fieldset>

            <fieldset class="space-y-4">
                <legend class="text-lg font-semibold">"Environment"</legend>
                <TextField id="environment.python_version" label="Python version" placeholder="e.g. 3.11" value=kept("environment.python_version") invalid=invalid(&["environment.python_version"]) />
                <div>
                    <label for="environment.pip_packages" class="label">"Pip packages"</label>
                    <textarea
                        id="environment.pip_packages"
                        name="environment.pip_packages"
                        rows="3"
                        class="input font-mono"
                        placeholder="one per line, e.g. scikit-learn==1.5.0"
                        aria-describedby="pip-help"
                        aria-invalid=aria_invalid(&["environment.pip_packages", "environment"])
                    >{textarea_text(&kept("environment.pip_packages"))}</textarea>
                    <p id="pip-help" class="mt-1 text-xs text-slate-500">
                        "A requirements.txt among the files is read too."
                    </p>
                </div>
            </fieldset>

            <fieldset class="space-y-4">
                <legend class="text-lg font-semibold">"Source"</legend>
                <div class="grid gap-4 sm:grid-cols-2">
                    <TextField id="source_uri" label="Source URI" placeholder="e.g. s3://bucket/run-42/" value=kept("source_uri") invalid=invalid(&["source_uri"]) />
                    <TextField id="run_id" label="Run ID" placeholder="e.g. an MLflow run id" value=kept("run_id") invalid=invalid(&["run_id"]) />
                    <TextField id="git.commit_url" label="Commit URL" placeholder="https://…" value=kept("git.commit_url") invalid=invalid(&["git.commit_url"]) />
                    <TextField id="git.ref_name" label="Branch or tag" placeholder="e.g. main" value=kept("git.ref_name") invalid=invalid(&["git.ref_name"]) />
                    <TextField id="git.main_branch_commit_sha" label="Main branch commit" placeholder="SHA" value=kept("git.main_branch_commit_sha") invalid=invalid(&["git.main_branch_commit_sha"]) />
                    <TextField id="git.pull_request_commit_sha" label="Pull request commit" placeholder="SHA" value=kept("git.pull_request_commit_sha") invalid=invalid(&["git.pull_request_commit_sha"]) />
                </div>
            </fieldset>

            <div>
                <label class="flex items-center gap-2 text-sm">
                    <input
                        type="checkbox"
                        name="publish"
                        checked=!kept("publish").is_empty()
                        value="on"
                        aria-describedby="publish-help"
                        on:change=move |ev| publish.set(event_target_checked(&ev))
                    />
                    "Publish right away"
                </label>
                <p id="publish-help" class="mt-1 text-xs text-slate-500">
                    "A published version's files can no longer change. Unticked, it stays a draft you can still add files to."
                </p>
            </div>

            <TotalProgress state />

            <div class="flex flex-wrap gap-3">
                <button type="submit" class="btn-primary" disabled=busy>"Upload version"</button>
                <Show when=move || incomplete.get()>
                    <button type="button" class="btn-secondary" on:click=on_retry>"Retry failed files"</button>
                </Show>
                <Show
                    when=move || busy.get() || has_draft.get()
                    fallback={
                        let model_href = format!("/models/{name}");
                        move || view! { <a href=model_href.clone() class="btn-secondary">"Cancel"</a> }
                    }
                >
                    <button
                        type="button"
                        class="btn-danger"
                        disabled=move || state.phase.with(|p| *p == UploadPhase::Canceling)
                        on:click=on_cancel_upload
                    >
                        "Cancel upload"
                    </button>
                </Show>
            </div>
        </form>
    }
}

/// One labelled text input whose `name` is its `id` (the flat field name the server reads).
#[component]
fn TextField(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    /// What was typed before a plain post of the form was refused.
    value: String,
    invalid: Signal<bool>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id class="label">{label}</label>
            <input
                id=id
                name=id
                class="input"
                placeholder=placeholder
                aria-invalid=move || invalid.get().then_some("true")
                value=value
            />
        </div>
    }
}

/// The chosen base version's files, each with a "Remove" box (`delete_paths`).
#[component]
fn BaseFiles(model: String, base: RwSignal<String>, invalid: Signal<bool>) -> impl IntoView {
    let files = Resource::new(
        move || base.get(),
        move |base| {
            let model = model.clone();
            async move {
                if base.is_empty() {
                    Ok(None)
                } else {
                    list_version_file_paths(model, base.clone())
                        .await
                        .map(|paths| Some((base, paths)))
                }
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="mt-2 text-sm text-slate-500">"Loading its files…"</p> }>
            {move || Suspend::new(async move {
                match files.await {
                    Ok(None) => ().into_any(),
                    Ok(Some((version, paths))) if paths.is_empty() => view! {
                        <p class="mt-2 text-sm text-slate-500">
                            {format!("Version {version} has no files.")}
                        </p>
                    }
                    .into_any(),
                    Ok(Some((version, paths))) => view! {
                        <fieldset class="mt-3 rounded-md border border-slate-200 p-3" aria-invalid=move || invalid.get().then_some("true")>
                            <legend class="px-1 text-sm font-medium text-slate-700">
                                {format!("Files of {version}: tick the ones to leave out")}
                            </legend>
                            <ul class="space-y-1 text-sm">
                                {paths
                                    .into_iter()
                                    .map(|path| {
                                        let label = format!("Remove {path}");
                                        view! {
                                            <li class="flex items-center justify-between gap-3">
                                                <span class="font-mono break-all">{path.clone()}</span>
                                                <label class="flex items-center gap-1 text-red-700">
                                                    <input type="checkbox" name="delete_paths" value=path aria-label=label />
                                                    "Remove"
                                                </label>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </fieldset>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorAlert error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Hydrated submit: read the form with the same field rules as the server, add the metric rows,
/// and run the upload instead of posting the form.
#[cfg(feature = "hydrate")]
fn submit(
    state: UploadState,
    ev: &SubmitEvent,
    metric_rows: RwSignal<Vec<MetricRow>>,
    navigate: impl Fn(&str) + Clone + 'static,
) {
    use crate::components::upload::metrics_editor::rows_to_metrics;
    use crate::components::upload::transfer::{Submission, start_upload};
    use crate::domain::version::NewVersion;
    use crate::domain::version_form::apply_text_field;
    use wasm_bindgen::JsCast;

    // The "Show its files" button reloads the page with GET; let it.
    let submitter = ev
        .submitter()
        .and_then(|s| s.get_attribute("formmethod"))
        .unwrap_or_default();
    if submitter.eq_ignore_ascii_case("get") {
        return;
    }
    ev.prevent_default();
    if state.phase.get_untracked().is_busy() {
        return;
    }
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let Ok(data) = web_sys::FormData::new_with_form(&form) else {
        return;
    };
    let mut new = NewVersion::default();
    let mut publish = false;
    let entries = js_sys::try_iter(&data).ok().flatten();
    for entry in entries.into_iter().flatten().flatten() {
        let pair: js_sys::Array = entry.unchecked_into();
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            // File parts: the hydrated page sends files itself.
            continue;
        };
        if name == "publish" {
            publish = value == "on";
            continue;
        }
        if let Err(e) = apply_text_field(&mut new, &name, value) {
            state.error.set(Some(e));
            return;
        }
    }
    match metric_rows.with_untracked(|rows| rows_to_metrics(rows)) {
        Ok(metrics) if metrics.is_empty() => {}
        Ok(metrics) => new.metrics = Some(metrics),
        Err(e) => {
            state.error.set(Some(e));
            return;
        }
    }
    // Created as a draft: files go in first, publishing comes last.
    new.publish = Some(false);
    let version_json = match serde_json::to_string(&new) {
        Ok(json) => json,
        Err(_) => {
            state.error.set(Some(ApiError::internal()));
            return;
        }
    };
    start_upload(
        state,
        Submission {
            version_json,
            publish,
        },
        navigate,
    );
}
