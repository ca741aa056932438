//! One version: what it is (badges, fqn), its files with previews, how to fetch it, and what it
//! was built from (metrics, dependencies, framework, environment, git, metadata).

use crate::api::models::get_model;
use crate::api::versions::{
    FilePreview, PREVIEW_BYTES, PromoteModelVersion, PublishModelVersion, get_model_version,
    preview_file,
};
use crate::components::copy_button::CopyButton;
use crate::components::data_table::{Column, DataTable};
use crate::components::feature_impact_panel::FeatureImpactPanel;
use crate::components::file_tree::{FileTree, encode_component, format_bytes};
use crate::components::forms::{ErrorAlert, FormError};
use crate::components::layout::use_current_user;
use crate::components::metric_chart::format_value;
use crate::components::model_tabs::{is_signed_in, load_error_view};
use crate::components::training_data::TrainingDataSection;
use crate::components::version_badges::VersionBadges;
use crate::domain::model::{Model, Role};
use crate::domain::signature::SignatureSource;
use crate::domain::version::{Version, VersionState};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[derive(Clone, Copy)]
struct VersionActions {
    publish: ServerAction<PublishModelVersion>,
    promote: ServerAction<PromoteModelVersion>,
}

#[component]
pub fn VersionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let number = move || params.with(|p| p.get("version").unwrap_or_default());
    // A memo, so other query parameters (a chart's "show all") do not redraw the whole page.
    let file = Memo::new(move |_| query.with(|q| q.get("file").filter(|f| !f.is_empty())));
    let actions = VersionActions {
        publish: ServerAction::new(),
        promote: ServerAction::new(),
    };
    let changes = move || {
        (
            actions.publish.version().get(),
            actions.promote.version().get(),
        )
    };
    let model = Resource::new(move || (name(), changes()), |(name, _)| get_model(name));
    let version = Resource::new(
        move || (name(), number(), changes()),
        |(name, number, _)| get_model_version(name, number),
    );
    let preview = Resource::new(
        move || (name(), number(), file.get()),
        |(name, number, file)| async move {
            match file {
                Some(path) => preview_file(name, number, path).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading version…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                match (model.await, version.await) {
                    (Ok(view), Ok(version)) => {
                        let selected = file.get();
                        view! { <VersionDetails model=view.model version actions selected preview /> }.into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => {
                        load_error_view(error, signed_in, "Version not found")
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn VersionDetails(
    model: Model,
    version: Version,
    actions: VersionActions,
    selected: Option<String>,
    preview: Resource<Result<Option<FilePreview>, crate::domain::error::ApiError>>,
) -> impl IntoView {
    let m = model.name.clone();
    let v = version.version.clone();
    let base = format!("/models/{m}/versions/{v}");
    let page_href = base.clone();
    let preview_href = Callback::new(move |path: String| {
        format!("{page_href}?file={}#preview", encode_component(&path))
    });
    let can_edit = model.role >= Some(Role::Editor);
    let publish = (can_edit && version.state == VersionState::Draft).then(|| {
        let fields = hidden_fields(&m, &v);
        view! {
            <ActionForm action=actions.publish>
                {fields}
                <button type="submit" class="btn-secondary">"Publish"</button>
            </ActionForm>
        }
    });
    // Choosing the primary version is the Owner's.
    let is_owner = model.role >= Some(Role::Owner);
    let promote = (is_owner && version.can_be_primary() && !version.is_primary).then(|| {
        let fields = hidden_fields(&m, &v);
        view! {
            <ActionForm action=actions.promote>
                {fields}
                <button type="submit" class="btn-secondary">"Promote to primary"</button>
            </ActionForm>
        }
    });
    let published = version
        .published_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "Not yet (draft)".to_owned());
    view! {
        <Title text=version.fqn.clone() />
        <p class="mb-1 text-sm text-slate-500">
            <a href="/models" class="link">"Models"</a>
            " / "
            <a href=format!("/models/{m}") class="link">{m.clone()}</a>
            " / "
            <a href=format!("/models/{m}/versions") class="link">"Versions"</a>
            " /"
        </p>
        <div class="mb-6 flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="page-title mb-1 break-all font-mono">{version.fqn.clone()}</h1>
                <VersionBadges version=version.clone() />
                {version.aliases.iter().map(|a| view! { <span class="tag font-mono">{a.clone()}</span> }).collect_view()}
                {(!version.description.is_empty()).then(|| view! { <p class="mt-2 text-slate-700">{version.description.clone()}</p> })}
            </div>
            <div class="flex flex-wrap items-start gap-2">
                <a href=format!("/api/v1/models/{m}/versions/{v}/download") download=format!("{m}-{v}.zip") class="btn-primary">
                    "Download zip"
                </a>
                {publish}
                {promote}
                <a href=format!("/models/{m}/compare?b={v}") class="btn-secondary">"Compare with…"</a>
            </div>
        </div>
        <FormError result=actions.publish.value().into() />
        <FormError result=actions.promote.value().into() />
        <dl class="mb-6 grid gap-x-6 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-4">
            <div>
                <dt class="text-slate-500">"Created"</dt>
                <dd>{format!("{} by {}", version.created_at.format("%Y-%m-%d %H:%M UTC"), version.created_by)}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Published"</dt>
                <dd>{published}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Files"</dt>
                <dd>{format!("{} · {}", crate::domain::text::counted(version.file_count, "file", "files"), format_bytes(version.total_size))}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Based on"</dt>
                <dd>{version.base_version.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            </div>
            <div data-testid="version-downloads">
                <dt class="text-slate-500">"Downloads"</dt>
                <dd>
                    {crate::domain::text::counted(version.download_count, "download", "downloads")}
                    <span class="block text-xs text-slate-500">{crate::domain::download::last_download_text(version.last_download_at)}</span>
                </dd>
            </div>
            {(!version.tags.is_empty()).then(|| view! {
                <div class="sm:col-span-4">
                    <dt class="text-slate-500">"Tags"</dt>
                    <dd>{version.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</dd>
                </div>
            })}
        </dl>
        <section class="mb-8" aria-labelledby="files-heading">
            <h2 id="files-heading" class="mb-3 text-lg font-semibold">"Files"</h2>
            <div class="grid gap-4 lg:grid-cols-2">
                <FileTree model=m.clone() version=v.clone() files=version.files.clone() selected=selected.clone() preview_href />
                <FilePreviewPanel selected preview base />
            </div>
        </section>
        <TrainingDataSection model=model.clone() version=version.clone() />
        <UsageSection version=version.clone() />
        <SignatureSection version=version.clone() />
        <MetricsSection version=version.clone() />
        <FeatureImpactPanel model=m.clone() version=v.clone() can_edit />
        <DependenciesSection version=version.clone() />
        <BuildSection version=version.clone() />
        <MetadataSection version />
    }
}

#[component]
fn FilePreviewPanel(
    selected: Option<String>,
    preview: Resource<Result<Option<FilePreview>, crate::domain::error::ApiError>>,
    base: String,
) -> impl IntoView {
    let Some(path) = selected else {
        return view! {
            <div id="preview" class="rounded-lg border border-dashed border-slate-300 p-4 text-sm text-slate-600">
                "Choose a file to preview its beginning."
            </div>
        }
        .into_any();
    };
    view! {
        <section id="preview" class="min-w-0 rounded-lg border border-slate-200 bg-white" aria-labelledby="preview-heading">
            <div class="flex items-center justify-between gap-2 border-b border-slate-200 px-3 py-2">
                <h3 id="preview-heading" class="break-all font-mono text-sm font-medium">{format!("Preview of {path}")}</h3>
                <a href=base class="link shrink-0 text-sm">"Close"</a>
            </div>
            <Suspense fallback=|| view! { <p class="p-3 text-sm text-slate-500">"Loading preview…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(Some(FilePreview { text: Some(text), truncated, .. })) => view! {
                            <pre class="max-h-[32rem] overflow-auto p-3 font-mono text-xs" tabindex="0" aria-label="File contents">{text}</pre>
                            {truncated.then(|| view! {
                                <p class="border-t border-slate-200 px-3 py-2 text-xs text-slate-600">
                                    {format!("Truncated: only the first {} are shown. Download the file to see all of it.", format_bytes(PREVIEW_BYTES as i64))}
                                </p>
                            })}
                        }
                        .into_any(),
                        Ok(Some(FilePreview { text: None, .. })) => view! {
                            <p class="p-3 text-sm text-slate-600">"Binary file: it cannot be shown as text. Download it instead."</p>
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <div class="p-3"><ErrorAlert error /></div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn UsageSection(version: Version) -> impl IntoView {
    let snippet = version.usage_snippet;
    view! {
        <section class="mb-8" aria-labelledby="usage-heading">
            <h2 id="usage-heading" class="mb-1 text-lg font-semibold">"Use this version"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "Set " <code>"MODELYARD_TOKEN"</code> " to an " <a href="/settings/tokens" class="link">"API token"</a> " first."
            </p>
            <div class="grid gap-4 lg:grid-cols-2">
                <Snippet title="curl" text=snippet.curl />
                <Snippet title="Python" text=snippet.python />
            </div>
        </section>
    }
}

#[component]
fn Snippet(title: &'static str, text: String) -> impl IntoView {
    let heading_id = format!("snippet-{}", title.to_lowercase());
    let labelled_by = heading_id.clone();
    view! {
        <figure class="min-w-0 rounded-lg border border-slate-200 bg-white" aria-labelledby=labelled_by>
            <figcaption class="flex items-center justify-between border-b border-slate-200 px-3 py-2">
                <span id=heading_id class="text-sm font-medium">{title}</span>
                <CopyButton text=text.clone() label=format!("Copy {title} snippet") />
            </figcaption>
            <pre class="whitespace-pre-wrap break-words p-3 font-mono text-xs" data-testid=format!("usage-{}", title.to_lowercase())>{text}</pre>
        </figure>
    }
}

/// The model's inputs and outputs, as its MLmodel file or ONNX graph declares them.
#[component]
fn SignatureSection(version: Version) -> impl IntoView {
    let note = version
        .signature_note
        .clone()
        .map(|note| view! { <p class="mb-2 text-sm text-amber-800" role="note">{note}</p> });
    let body = match version.signature {
        None => view! {
            <p class="empty">
                "No signature: no MLmodel file or ONNX model of this version declares its inputs and outputs."
            </p>
        }
        .into_any(),
        Some(signature) => {
            let source = match signature.source {
                SignatureSource::Mlmodel => "Read from the MLmodel file.",
                SignatureSource::Onnx => "Read from the ONNX graph.",
            };
            let rows = signature
                .inputs
                .iter()
                .map(|f| ("input", f))
                .chain(signature.outputs.iter().map(|f| ("output", f)))
                .map(|(side, f)| {
                    let name = f.name.clone().unwrap_or_else(|| "(unnamed)".to_owned());
                    let r#type = if f.optional {
                        format!("{} (optional)", f.r#type)
                    } else {
                        f.r#type.clone()
                    };
                    let shape = Some(f.shape_text())
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "—".to_owned());
                    vec![side.into_any(), name.into_any(), r#type.into_any(), shape.into_any()]
                })
                .collect();
            let columns = vec![
                Column::new("Kind", "px-4 py-2"),
                Column::new("Name", "break-all px-4 py-2 font-mono font-medium").names_rows(),
                Column::new("Type", "px-4 py-2 font-mono"),
                Column::new("Shape", "px-4 py-2 font-mono"),
            ];
            view! {
                <p class="mb-2 text-sm text-slate-600">{source}</p>
                <DataTable label="Signature" columns rows />
            }
            .into_any()
        }
    };
    view! {
        <section class="mb-8" aria-labelledby="signature-heading">
            <h2 id="signature-heading" class="mb-3 text-lg font-semibold">"Signature"</h2>
            {note}
            {body}
        </section>
    }
}

#[component]
fn MetricsSection(version: Version) -> impl IntoView {
    let columns = vec![
        Column::new("Metric", "px-4 py-2 font-medium").names_rows(),
        Column::new("Value", "px-4 py-2 text-right font-mono").right(),
        Column::new("Step", "px-4 py-2 text-right").right(),
    ];
    let rows = version
        .metrics
        .iter()
        .map(|metric| {
            let step = metric.step.map(|s| s.to_string());
            vec![
                metric.key.clone().into_any(),
                // The value in full, on hovering the rounded one.
                view! { <span title=metric.value.to_string()>{format_value(metric.value)}</span> }
                    .into_any(),
                step.unwrap_or_else(|| "—".to_owned()).into_any(),
            ]
        })
        .collect();
    let empty = view! { <p class="empty">"No metrics were recorded for this version."</p> };
    view! {
        <section class="mb-8" aria-labelledby="metrics-heading">
            <h2 id="metrics-heading" class="mb-3 text-lg font-semibold">"Metrics"</h2>
            <DataTable columns rows empty=empty.into_any() />
        </section>
    }
}

#[component]
fn DependenciesSection(version: Version) -> impl IntoView {
    let empty = version.dependencies.is_empty() && version.unparsed_dependencies.is_empty();
    let source = |s: crate::domain::requirements::DependencySource| match s {
        crate::domain::requirements::DependencySource::Requirements => "requirements.txt",
        crate::domain::requirements::DependencySource::PipPackages => "pip packages",
    };
    let dependency_columns = vec![
        Column::new("Package", "px-4 py-2 font-mono font-medium").names_rows(),
        Column::new("Extras", "px-4 py-2 font-mono"),
        Column::new("Constraints", "px-4 py-2 font-mono"),
        Column::new("Marker", "px-4 py-2 font-mono text-xs"),
        Column::new("Source", "px-4 py-2 text-slate-600"),
    ];
    let dependency_rows: Vec<Vec<AnyView>> = version
        .dependencies
        .iter()
        .map(|d| {
            let constraints = if d.constraints.is_empty() {
                "any version".to_owned()
            } else {
                d.constraints
                    .iter()
                    .map(|c| format!("{}{}", c.constraint_type, c.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                // The line it was read from, on hovering the name.
                view! { <span title=d.line.clone()>{d.package_name.clone()}</span> }.into_any(),
                d.extras.join(", ").into_any(),
                constraints.into_any(),
                d.marker.clone().unwrap_or_default().into_any(),
                format!("{} line {}", source(d.source), d.line_number).into_any(),
            ]
        })
        .collect();
    view! {
        <section class="mb-8" aria-labelledby="dependencies-heading">
            <h2 id="dependencies-heading" class="mb-3 text-lg font-semibold">"Dependencies"</h2>
            {empty.then(|| view! {
                <p class="empty">"No dependencies: add a requirements.txt or environment pip packages to the version."</p>
            })}
            {(!version.dependencies.is_empty()).then(|| view! {
                <DataTable label="Dependencies" columns=dependency_columns rows=dependency_rows />
            })}
            {(!version.unparsed_dependencies.is_empty()).then(|| view! {
                <div class="mt-4 rounded-lg border border-amber-200 bg-amber-50 p-4">
                    <h3 class="mb-2 text-sm font-semibold text-amber-900">"Lines that could not be read"</h3>
                    <ul class="space-y-1 text-sm">
                        {version.unparsed_dependencies.iter().map(|u| view! {
                            <li>
                                <span class="text-slate-600">{format!("{} line {}: ", source(u.source), u.line_number)}</span>
                                <code class="font-mono">{u.line.clone()}</code>
                                <span class="text-amber-900">{format!(" — {}", u.reason)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

fn row(label: &'static str, value: Option<String>) -> impl IntoView {
    view! {
        <dt class="text-slate-500">{label}</dt>
        <dd class="break-all font-mono">{value.filter(|v| !v.is_empty()).unwrap_or_else(|| "—".to_owned())}</dd>
    }
}

#[component]
fn BuildSection(version: Version) -> impl IntoView {
    let f = version.framework;
    let e = version.environment;
    let g = version.git;
    // Only web addresses become links; anything else is shown as text.
    let commit = g
        .commit_url
        .clone()
        .filter(|u| crate::domain::version::is_web_url(u));
    view! {
        <section class="mb-8 grid gap-4 lg:grid-cols-2" aria-label="How it was built">
            <div class="card p-4">
                <h2 class="mb-3 text-lg font-semibold">"Framework and environment"</h2>
                <dl class="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                    {row("Library", f.library_name)}
                    {row("Pipeline tag", f.pipeline_tag)}
                    {row("Base model", f.base_model)}
                    {row("Python", e.python_version)}
                    {row("Pip packages", Some(e.pip_packages.join(", ")))}
                </dl>
            </div>
            <div class="card p-4">
                <h2 class="mb-3 text-lg font-semibold">"Source"</h2>
                <dl class="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                    <dt class="text-slate-500">"Commit"</dt>
                    <dd class="break-all">
                        {match (commit, g.commit_url.clone()) {
                            (Some(url), _) => {
                                let text = url.clone();
                                view! { <a href=url class="link" rel="noopener noreferrer" target="_blank">{text}</a> }.into_any()
                            }
                            (None, Some(text)) => view! { <span class="font-mono">{text}</span> }.into_any(),
                            (None, None) => view! { <span>"—"</span> }.into_any(),
                        }}
                    </dd>
                    {row("Main branch SHA", g.main_branch_commit_sha)}
                    {row("Pull request SHA", g.pull_request_commit_sha)}
                    {row("Ref", g.ref_name)}
                    {row("Source URI", Some(version.source_uri))}
                    {row("Run id", Some(version.run_id))}
                </dl>
            </div>
        </section>
    }
}

#[component]
fn MetadataSection(version: Version) -> impl IntoView {
    let json = serde_json::to_string_pretty(&version.metadata).unwrap_or_default();
    view! {
        <section class="mb-8" aria-labelledby="metadata-heading">
            <h2 id="metadata-heading" class="mb-3 text-lg font-semibold">"Metadata"</h2>
            {if version.metadata.is_empty() {
                view! { <p class="empty">"No metadata."</p> }.into_any()
            } else {
                view! { <pre class="overflow-x-auto rounded-lg bg-slate-900 p-4 font-mono text-xs text-slate-100" tabindex="0">{json}</pre> }.into_any()
            }}
        </section>
    }
}

fn hidden_fields(model: &str, version: &str) -> impl IntoView + use<> {
    view! {
        <input type="hidden" name="model" value=model.to_owned() />
        <input type="hidden" name="version" value=version.to_owned() />
    }
}
