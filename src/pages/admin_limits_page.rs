//! Admin console, limits: what the server enforces, as `GET /api/v1/limits` reports it.

use crate::api::admin::get_limits;
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::file_tree::format_bytes;
use crate::components::forms::PageError;
use crate::components::layout::RequireAdmin;
use crate::domain::error::ApiError;
use leptos::prelude::*;
use leptos_meta::Title;

/// What each limit means, for people; a limit not listed here is shown by its key.
fn describe_limit(key: &str) -> (&str, &'static str) {
    match key {
        "max_upload_bytes" => (
            "Largest upload",
            "One request uploading a version's files, or one file.",
        ),
        "max_files_per_version" => ("Files per version", ""),
        "max_json_bytes" => (
            "Largest JSON request",
            "Any request body other than an upload.",
        ),
        "max_path_bytes" => ("Longest file path", "In bytes, once UTF-8 encoded."),
        "max_path_depth" => ("Deepest file path", "Folders a file path may go down."),
        "max_metrics_per_version" => ("Metrics per version", ""),
        "max_version_metadata_bytes" => {
            ("Version metadata", "The key/value metadata of one version.")
        }
        "max_tags" => ("Tags per model or version", ""),
        "max_page_size" => ("Longest list page", "The largest 'limit' a list accepts."),
        other => (other, ""),
    }
}

#[component]
pub fn AdminLimitsPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so it is fetched once per page view.
    let limits = Resource::new(|| (), |_| get_limits());
    view! {
        <Title text="Limits · Admin" />
        <RequireAdmin>
            <AdminNav current=AdminSection::Limits />
            <Limits limits />
        </RequireAdmin>
    }
}

#[component]
fn Limits(limits: Resource<Result<serde_json::Value, ApiError>>) -> impl IntoView {
    view! {
        <h1 class="page-title">"Limits"</h1>
        <p class="mb-4 text-sm text-slate-600">
            "Set when the server starts (see "
            <code>"modelyard serve --help"</code>
            "); scripts read them from "
            <code>"GET /api/v1/limits"</code>
            "."
        </p>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading limits…"</p> }>
            {move || Suspend::new(async move {
                match limits.await {
                    Ok(limits) => {
                        let rows: Vec<(String, serde_json::Value)> = limits
                            .as_object()
                            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default();
                        view! {
                            <dl class="grid gap-x-6 gap-y-4 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-2" aria-label="Limits">
                                {rows
                                    .into_iter()
                                    .map(|(key, value)| {
                                        let (label, help) = describe_limit(&key);
                                        let label = label.to_owned();
                                        let shown = match value.as_i64() {
                                            Some(n) if key.ends_with("_bytes") => format!("{} ({n} bytes)", format_bytes(n)),
                                            Some(n) => n.to_string(),
                                            None => value.to_string(),
                                        };
                                        view! {
                                            <div data-limit=key>
                                                <dt class="text-slate-500">{label}</dt>
                                                <dd class="font-medium">{shown}</dd>
                                                {(!help.is_empty()).then(|| view! { <dd class="text-xs text-slate-500">{help}</dd> })}
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </dl>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
