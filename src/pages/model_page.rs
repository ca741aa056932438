//! One model's overview: its fields and card, the primary version, its aliases and how each
//! metric moved across versions.

use crate::api::models::{ModelView, get_model};
use crate::api::versions::{ModelOverview, get_model_overview};
use crate::components::file_tree::format_bytes;
use crate::components::layout::use_current_user;
use crate::components::metric_chart::MetricCharts;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::domain::download::ModelDownloads;
use crate::domain::model::{Model, Role};
use crate::domain::text::counted;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ModelPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let model = Resource::new(name, get_model);
    let overview = Resource::new(name, get_model_overview);
    let user = use_current_user();
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                match (model.await, overview.await) {
                    (Ok(view), Ok(overview)) => view! { <ModelDetails view overview /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => {
                        load_error_view(error, signed_in, "Model not found")
                    }
                }
            })}
        </Suspense>
    }
}

/// What the card's front matter says, as fields: the license (linking to the models under the
/// same license), datasets, languages, and the card's own tags and metrics.
#[component]
fn CardFields(model: Model) -> impl IntoView {
    let card = model.card_metadata;
    let license = card.license.clone().map(|l| {
        let href = format!("/models?license={}", crate::components::file_tree::encode_component(&l));
        view! {
            <div data-testid="card-license">
                <dt class="text-slate-500">"License"</dt>
                <dd><a href=href class="link font-mono" title="Models under this license">{l.clone()}</a></dd>
            </div>
        }
    });
    let list = |label: &'static str, testid: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| {
            view! {
                <div data-testid=testid>
                    <dt class="text-slate-500">{label}</dt>
                    <dd class="flex flex-wrap gap-1">
                        {items.into_iter().map(|i| view! { <span class="tag">{i}</span> }).collect_view()}
                    </dd>
                </div>
            }
        })
    };
    view! {
        {license}
        {list("Datasets", "card-datasets", card.datasets)}
        {list("Language", "card-language", card.language)}
        {list("Card tags", "card-tags", card.tags)}
        {list("Card metrics", "card-metrics", card.metrics)}
    }
}

/// How many class labels the overview lists before it says how many more there are.
const SHOWN_LABELS: usize = 50;

#[component]
fn ModelDetails(view: ModelView, overview: ModelOverview) -> impl IntoView {
    let m = view.model;
    let can_edit = m.role >= Some(Role::Editor);
    let edit_href = format!("/models/{}/edit", m.name);
    view! {
        <Title text=m.name.clone() />
        <ModelHeader model=m.clone() tab=ModelTab::Overview />
        <div class="grid gap-6 lg:grid-cols-3">
            <PrimaryVersion model=m.clone() overview=overview.clone() />
            <Aliases model=m.clone() />
        </div>
        <dl class="mt-6 grid gap-x-6 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-3">
            <div>
                <dt class="text-slate-500">"Target type"</dt>
                <dd>{m.target_type.map(|t| t.label()).unwrap_or("Not set")}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Target name"</dt>
                <dd>{if m.target_name.is_empty() { "Not set".to_owned() } else { m.target_name.clone() }}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Visibility"</dt>
                <dd>{m.visibility.label()}</dd>
            </div>
            {(!m.class_labels.is_empty()).then(|| view! {
                <div class="sm:col-span-3" data-testid="class-labels">
                    <dt class="text-slate-500">{format!("Class labels ({})", m.class_labels.len())}</dt>
                    <dd class="flex flex-wrap gap-1">
                        {m.class_labels.iter().take(SHOWN_LABELS).map(|l| view! { <span class="tag font-mono">{l.clone()}</span> }).collect_view()}
                        {(m.class_labels.len() > SHOWN_LABELS).then(|| view! {
                            <span class="text-slate-500">{format!("and {} more (Edit shows them all)", m.class_labels.len() - SHOWN_LABELS)}</span>
                        })}
                    </dd>
                </div>
            })}
            <div>
                <dt class="text-slate-500">"Versions"</dt>
                <dd>{m.version_count}</dd>
            </div>
            <RecentDownloads downloads=overview.downloads.clone() all_time=m.download_count />
            <div>
                <dt class="text-slate-500">"Created"</dt>
                <dd>{format!("{} by {}", m.created_at.format("%Y-%m-%d %H:%M UTC"), m.created_by)}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Updated"</dt>
                <dd>{m.updated_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
            </div>
            {m.copied_from.clone().map(|source| view! {
                <div class="sm:col-span-3" data-testid="copied-from">
                    <dt class="text-slate-500">"Copied from"</dt>
                    <dd>
                        <a class="link" href=format!("/models/{}", source.model_name)>{source.model_name.clone()}</a>
                        {format!(", {}", copied_versions(&source.versions))}
                    </dd>
                </div>
            })}
            <CardFields model=m.clone() />
            <div class="sm:col-span-3">
                <dt class="text-slate-500">"Tags"</dt>
                <dd>
                    {if m.tags.is_empty() {
                        view! { <span>"None"</span> }.into_any()
                    } else {
                        m.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view().into_any()
                    }}
                </dd>
            </div>
        </dl>
        <section class="mt-8" aria-labelledby="metrics-heading">
            <h2 id="metrics-heading" class="mb-3 text-lg font-semibold">"Metrics across versions"</h2>
            <MetricCharts series=overview.metrics />
        </section>
        <section class="mt-8" aria-labelledby="card-heading">
            <div class="mb-3 flex items-center justify-between">
                <h2 id="card-heading" class="text-lg font-semibold">"Model card"</h2>
                {can_edit.then(|| view! { <a href=edit_href class="btn-secondary">"Edit"</a> })}
            </div>
            {if m.readme.trim().is_empty() {
                view! { <p class="empty">"This model has no card yet."</p> }.into_any()
            } else {
                // Rendered and sanitized on the server.
                view! { <article class="prose card" data-testid="model-card" inner_html=view.readme_html /> }.into_any()
            }}
        </section>
    }
}

/// The model's downloads of the last days: the number, and one bar per day (plain HTML, so it
/// shows before the WASM loads and costs the browser build nothing).
#[component]
fn RecentDownloads(downloads: ModelDownloads, all_time: i64) -> impl IntoView {
    let busiest = downloads
        .by_day
        .iter()
        .map(|d| d.file + d.zip)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = downloads
        .by_day
        .iter()
        .map(|d| {
            let n = d.file + d.zip;
            // Days without downloads keep a sliver, so the strip reads as a timeline.
            let height = if n == 0 { 4 } else { (n * 100 / busiest).max(12) };
            let title = format!(
                "{}: {}",
                d.day.format("%Y-%m-%d"),
                counted(n, "download", "downloads")
            );
            let color = if n == 0 { "bg-slate-200" } else { "bg-indigo-500" };
            view! {
                <span class=format!("block w-1 rounded-sm {color}") style=format!("height: {height}%") title=title></span>
            }
        })
        .collect_view();
    view! {
        <div data-testid="recent-downloads">
            <dt class="text-slate-500">{format!("Downloads (last {} days)", downloads.days)}</dt>
            <dd>
                <span class="font-medium">{counted(downloads.total, "download", "downloads")}</span>
                <span class="text-xs text-slate-500">{format!(" · {} in all", all_time)}</span>
                <span class="mt-1 flex h-6 items-end gap-px" aria-hidden="true">{bars}</span>
            </dd>
        </div>
    }
}

#[component]
fn PrimaryVersion(model: Model, overview: ModelOverview) -> impl IntoView {
    let body = match overview.primary {
        Some(v) => {
            let href = format!("/models/{}/versions/{}", model.name, v.version);
            let published = v
                .published_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "not published".to_owned());
            view! {
                <p class="text-2xl font-semibold">
                    <a href=href class="link" aria-label=format!("Primary version {}", v.version)>{v.version.clone()}</a>
                </p>
                <dl class="mt-3 grid grid-cols-2 gap-2 text-sm">
                    <dt class="text-slate-500">"Published"</dt>
                    <dd>{published}</dd>
                    <dt class="text-slate-500">"Files"</dt>
                    <dd>{format!("{} · {}", crate::domain::text::counted(v.file_count, "file", "files"), format_bytes(v.total_size))}</dd>
                    <dt class="text-slate-500">"By"</dt>
                    <dd>{v.created_by.clone()}</dd>
                </dl>
            }
            .into_any()
        }
        None if model.version_count == 0 => {
            let can_upload = model.role >= Some(Role::Editor);
            view! {
                <p class="text-sm text-slate-600">"No versions yet."</p>
                {can_upload.then(|| view! {
                    <a href=format!("/models/{}/upload", model.name) class="link text-sm">"Upload the first version"</a>
                })}
            }
            .into_any()
        }
        None => view! {
            <p class="text-sm text-slate-600">
                "No primary version: publish a version, or promote a published one, to make it primary."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card p-4 lg:col-span-1" aria-labelledby="primary-heading">
            <h2 id="primary-heading" class="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">
                "Primary version"
            </h2>
            {body}
        </section>
    }
}

#[component]
fn Aliases(model: Model) -> impl IntoView {
    let settings = format!("/models/{}/settings#aliases", model.name);
    let can_edit = model.role >= Some(Role::Editor);
    let body = if model.aliases.is_empty() {
        let hint = if can_edit {
            "No aliases. Name a version (for example 'production') in Settings."
        } else {
            "No aliases."
        };
        view! { <p class="text-sm text-slate-600">{hint}</p> }.into_any()
    } else {
        view! {
            <ul class="space-y-1 text-sm" aria-label="Aliases">
                {model
                    .aliases
                    .iter()
                    .map(|a| {
                        let href = format!("/models/{}/versions/{}", model.name, a.version);
                        view! {
                            <li class="flex items-center gap-2">
                                <span class="font-mono font-medium">{a.alias.clone()}</span>
                                <span aria-hidden="true" class="text-slate-400">"→"</span>
                                <a href=href class="link">{a.version.clone()}</a>
                                {a.protected.then(|| view! {
                                    <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs text-amber-900">"protected"</span>
                                })}
                                {(!a.version_active).then(|| view! {
                                    <span class="rounded-full bg-red-100 px-2 py-0.5 text-xs text-red-800">"inactive version"</span>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <StaleAliasWarning model=model.clone() can_edit />
        }
        .into_any()
    };
    view! {
        <section class="card p-4 lg:col-span-2" aria-labelledby="aliases-heading">
            <div class="mb-2 flex items-center justify-between">
                <h2 id="aliases-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-500">"Aliases"</h2>
                {can_edit.then(|| view! { <a href=settings class="link text-sm">"Manage aliases"</a> })}
            </div>
            {body}
        </section>
    }
}

/// Aliases on deactivated versions still resolve, so whoever uses them gets a version its team
/// withdrew: say so, and where to move them.
#[component]
fn StaleAliasWarning(model: Model, can_edit: bool) -> impl IntoView {
    let stale: Vec<String> = model
        .aliases
        .iter()
        .filter(|a| !a.version_active)
        .map(|a| format!("'{}' ({})", a.alias, a.version))
        .collect();
    if stale.is_empty() {
        return ().into_any();
    }
    let what = if stale.len() == 1 {
        format!(
            "The alias {} points at an inactive version.",
            stale.join("")
        )
    } else {
        format!(
            "The aliases {} point at inactive versions.",
            stale.join(", ")
        )
    };
    view! {
        <p role="alert" class="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
            {what}
            {if can_edit {
                view! {
                    " "
                    <a href=format!("/models/{}/settings#aliases", model.name) class="link">"Move them in Settings"</a>
                    " or reactivate the version."
                }
                .into_any()
            } else {
                " Ask an editor of the model to move them.".into_any()
            }}
        </p>
    }
    .into_any()
}

/// The versions a copy was made from, in a few words.
fn copied_versions(versions: &[String]) -> String {
    match versions {
        [] => "no versions".to_owned(),
        [one] => format!("version {one}"),
        few if few.len() <= 5 => format!("versions {}", few.join(", ")),
        [first, .., last] => format!("{} versions, {first} to {last}", versions.len()),
    }
}
