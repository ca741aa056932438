//! One dataset: its size, its columns with their inferred types and statistics, its first rows,
//! the versions that use it, and (for its uploader and admins) Delete.

use crate::api::datasets::{DeleteDataset, get_dataset};
use crate::components::data_table::{Column as TableColumn, DataTable};
use crate::components::file_tree::format_bytes;
use crate::components::forms::{FormError, PageError};
use crate::components::layout::{RequireUser, use_current_user};
use crate::components::metric_chart::format_value;
use crate::domain::dataset::{Column, DatasetDetail};
use crate::domain::identity::Me;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    // Made outside the sign-in guard's suspense, so it is made once per page view.
    let delete = ServerAction::<DeleteDataset>::new();
    let dataset = Resource::new(id, get_dataset);
    view! {
        <RequireUser>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading dataset…"</p> }>
                {move || Suspend::new(async move {
                    let me = match use_current_user() {
                        Some(user) => user.await.ok().flatten(),
                        None => None,
                    };
                    match dataset.await {
                        Ok(detail) => view! { <DatasetDetails detail delete me /> }.into_any(),
                        Err(error) => view! {
                            <Title text="Dataset not found" />
                            <h1 class="page-title">"Dataset not found"</h1>
                            <PageError error />
                            <a href="/datasets" class="mt-6 inline-block link">"Go to datasets"</a>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </RequireUser>
    }
}

#[component]
fn DatasetDetails(
    detail: DatasetDetail,
    delete: ServerAction<DeleteDataset>,
    me: Option<Me>,
) -> impl IntoView {
    let DatasetDetail { dataset, used_by } = detail;
    let may_delete = me.is_some_and(|me| me.is_admin || me.username == dataset.created_by);
    let delete_section = may_delete.then(|| {
        let id = dataset.id.clone();
        let name = dataset.name.clone();
        view! {
            <details class="mt-2">
                <summary class="btn-danger cursor-pointer list-none">"Delete this dataset…"</summary>
                <div class="mt-3">
                    <p class="mb-3 text-sm text-slate-700">
                        "A dataset that versions use as training or holdout data cannot be deleted. This cannot be undone."
                    </p>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="btn-danger">{format!("Delete {name} permanently")}</button>
                    </ActionForm>
                </div>
            </details>
        }
    });
    let uploaded = format!(
        "{} by {}",
        dataset.created_at.format("%Y-%m-%d %H:%M UTC"),
        dataset.created_by
    );
    let preview = dataset.preview.clone().unwrap_or_default();
    let names: Vec<String> = dataset.columns.iter().map(|c| c.name.clone()).collect();
    view! {
        <Title text=format!("{} · Datasets", dataset.name) />
        <p class="mb-1 text-sm text-slate-500">
            <a href="/datasets" class="link">"Datasets"</a>
            " /"
        </p>
        <div class="mb-6 flex flex-wrap items-start justify-between gap-4">
            <h1 class="page-title mb-0 break-all">{dataset.name.clone()}</h1>
            <div>{delete_section}</div>
        </div>
        <FormError result=delete.value().into() />
        <dl class="mb-8 grid gap-x-6 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-4">
            <div>
                <dt class="text-slate-500">"Rows"</dt>
                <dd data-testid="dataset-rows" class="tabular-nums">{dataset.row_count}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Columns"</dt>
                <dd class="tabular-nums">{dataset.columns.len()}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Size"</dt>
                <dd>{format_bytes(i64::try_from(dataset.size).unwrap_or(i64::MAX))}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Uploaded"</dt>
                <dd>{uploaded}</dd>
            </div>
            <div class="sm:col-span-4">
                <dt class="text-slate-500">"SHA-256"</dt>
                <dd class="break-all font-mono text-xs">{dataset.sha256.clone()}</dd>
            </div>
        </dl>
        <UsedBy used_by />
        <ColumnsTable columns=dataset.columns />
        <PreviewTable names preview row_count=dataset.row_count />
    }
}

#[component]
fn UsedBy(used_by: Vec<crate::domain::dataset::DatasetUse>) -> impl IntoView {
    view! {
        <section class="mb-8" aria-labelledby="used-by-heading">
            <h2 id="used-by-heading" class="mb-3 text-lg font-semibold">"Used by"</h2>
            {if used_by.is_empty() {
                view! { <p class="empty">"No version you can see uses this dataset."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-1 text-sm">
                        {used_by
                            .into_iter()
                            .map(|u| {
                                let role = match (u.training, u.holdout) {
                                    (true, true) => "training and holdout data",
                                    (false, true) => "holdout data",
                                    _ => "training data",
                                };
                                let href = format!("/models/{}/versions/{}", u.model, u.version);
                                view! {
                                    <li>
                                        <a href=href class="link font-mono">{format!("{}:{}", u.model, u.version)}</a>
                                        <span class="text-slate-600">{format!(" — {role}")}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

fn number(value: Option<f64>) -> String {
    value.map(format_value).unwrap_or_else(|| "—".to_owned())
}

#[component]
fn ColumnsTable(columns: Vec<Column>) -> impl IntoView {
    const COUNT: &str = "px-4 py-2 text-right tabular-nums";
    const VALUE: &str = "px-4 py-2 text-right font-mono";
    let headings = vec![
        TableColumn::new("Column", "px-4 py-2 font-mono font-medium break-all").names_rows(),
        TableColumn::new("Type", "px-4 py-2"),
        TableColumn::new("Missing", COUNT).right(),
        TableColumn::new("Distinct", COUNT).right(),
        TableColumn::new("Min", VALUE).right(),
        TableColumn::new("Max", VALUE).right(),
        TableColumn::new("Mean", VALUE).right(),
    ];
    let rows = columns
        .into_iter()
        .map(|c| {
            let distinct = c
                .distinct_count
                .map(|d| d.to_string())
                .unwrap_or_else(|| "many".to_owned());
            vec![
                c.name.into_any(),
                c.column_type.as_str().into_any(),
                c.missing_count.into_any(),
                distinct.into_any(),
                number(c.min).into_any(),
                number(c.max).into_any(),
                number(c.mean).into_any(),
            ]
        })
        .collect();
    view! {
        <section class="mb-8" aria-labelledby="columns-heading">
            <h2 id="columns-heading" class="mb-3 text-lg font-semibold">"Columns"</h2>
            <DataTable label="Columns" columns=headings rows />
        </section>
    }
}

#[component]
fn PreviewTable(names: Vec<String>, preview: Vec<Vec<String>>, row_count: u64) -> impl IntoView {
    let caption = format!("The first {} of {row_count} rows.", preview.len());
    view! {
        <section class="mb-8" aria-labelledby="preview-heading">
            <h2 id="preview-heading" class="mb-1 text-lg font-semibold">"Preview"</h2>
            <p class="mb-3 text-sm text-slate-600">{caption}</p>
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white" tabindex="0">
                <table class="w-full text-left text-xs" aria-label="Preview">
                    <thead class="bg-slate-100 text-slate-600">
                        <tr>
                            {names
                                .into_iter()
                                .map(|n| view! { <th scope="col" class="whitespace-nowrap px-3 py-2 font-mono">{n}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {preview
                            .into_iter()
                            .map(|row| {
                                view! {
                                    <tr class="border-t border-slate-100">
                                        {row
                                            .into_iter()
                                            .map(|cell| view! { <td class="whitespace-nowrap px-3 py-1 font-mono">{cell}</td> })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
