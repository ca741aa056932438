//! Datasets: the ones the caller can see (search and page in the address) and the upload form.
//! Uploading is a plain multipart post to `/datasets`, with or without JavaScript; it lands on
//! the new dataset's page, or comes back here with `?error=&solution=&field=`.

use crate::api::datasets::list_datasets;
use crate::components::data_table::{Column, DataTable, timestamp};
use crate::components::file_tree::format_bytes;
use crate::components::forms::{ErrorAlert, FieldMessage, PageError, refused_upload};
use crate::components::layout::RequireUser;
use crate::components::pager::{ListSearch, pager, searched_list_href, use_list_place};
use crate::domain::dataset::{Dataset, MAX_DATASET_NAME_CHARS};
use crate::domain::paging::Page;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let (search, offset) = use_list_place();
    let datasets = Resource::new(
        move || (search.get(), offset.get()),
        |(search, offset)| list_datasets(search, offset),
    );
    view! {
        <Title text="Datasets" />
        <RequireUser>
            <h1 class="page-title">"Datasets"</h1>
            <p class="mb-6 text-sm text-slate-600">
                "CSV files used as the training or holdout data of model versions. The first row names the columns; each column's type is worked out from its values. You see the datasets you uploaded and those used by models you can see."
            </p>
            <UploadForm />
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading datasets…"</p> }>
                {move || Suspend::new(async move {
                    match datasets.await {
                        Ok(page) => view! { <DatasetList page search=search.get_untracked() /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </RequireUser>
    }
}

/// A plain form: the browser streams the file to the server in every case.
#[component]
fn UploadForm() -> impl IntoView {
    let (error, field) = refused_upload();
    let message_for = move |name: &'static str| {
        Signal::derive(move || {
            (field.get() == name)
                .then(|| error.get().map(|e| e.error_msg))
                .flatten()
        })
    };
    let invalid = move |name: &'static str| move || (field.get() == name).then_some("true");
    let general = move || {
        error
            .get()
            .filter(|_| !matches!(field.get().as_str(), "file" | "name"))
            .map(|error| view! { <ErrorAlert error /> })
    };
    // The solution goes with an inline message too.
    let solution = move || {
        error
            .get()
            .filter(|_| matches!(field.get().as_str(), "file" | "name"))
            .map(|e| view! { <p class="mt-1 text-sm text-slate-700">{e.solution_msg}</p> })
    };
    view! {
        <section class="card mb-8" aria-labelledby="upload-heading">
            <h2 id="upload-heading" class="mb-3 text-lg font-semibold">"Upload a dataset"</h2>
            {general}
            // The name comes first so a bad one is refused before the file is sent.
            <form method="post" action="/datasets" enctype="multipart/form-data" class="flex flex-wrap items-start gap-4">
                <div class="min-w-[12rem] grow">
                    <label for="dataset-name" class="label">"Name"</label>
                    <input
                        id="dataset-name"
                        name="name"
                        class="input"
                        maxlength=MAX_DATASET_NAME_CHARS.to_string()
                        placeholder="the file name without .csv"
                        aria-describedby="dataset-name-error"
                        aria-invalid=invalid("name")
                    />
                    <FieldMessage id="dataset-name-error" message=message_for("name") />
                </div>
                <div class="min-w-[12rem] grow">
                    <label for="dataset-file" class="label">"CSV file"</label>
                    <input
                        id="dataset-file"
                        name="file"
                        type="file"
                        accept=".csv,text/csv"
                        required
                        class="input"
                        aria-describedby="dataset-file-error"
                        aria-invalid=invalid("file")
                    />
                    <FieldMessage id="dataset-file-error" message=message_for("file") />
                    {solution}
                </div>
                <button type="submit" class="btn-primary mt-6">"Upload dataset"</button>
            </form>
        </section>
    }
}

/// The cells of a column of numbers.
const NUMBER: &str = "px-4 py-2 text-right tabular-nums";

#[component]
fn DatasetList(page: Page<Dataset>, search: String) -> impl IntoView {
    let search_form = view! {
        <ListSearch action="/datasets" id="dataset-search" label="Search datasets" placeholder="Name" value=search.clone() class="mb-4" />
    };
    if page.total_count == 0 {
        let empty = if search.is_empty() {
            "No datasets yet. Upload a CSV file above."
        } else {
            "No datasets match your search."
        };
        return view! {
            {search_form}
            <p class="empty">{empty}</p>
        }
        .into_any();
    }
    let nav = pager(&page, move |offset| {
        searched_list_href("/datasets", &search, offset)
    });
    let columns = vec![
        Column::new("Name", "px-4 py-2 font-medium break-all"),
        Column::new("Rows", NUMBER).right(),
        Column::new("Columns", NUMBER).right(),
        Column::new("Size", NUMBER).right(),
        Column::new("Uploaded by", "px-4 py-2"),
        Column::new("Uploaded", "px-4 py-2 text-slate-600"),
    ];
    let rows = page
        .data
        .into_iter()
        .map(|d| {
            vec![
                view! { <a href=format!("/datasets/{}", d.id) class="link">{d.name.clone()}</a> }
                    .into_any(),
                d.row_count.into_any(),
                d.columns.len().into_any(),
                format_bytes(i64::try_from(d.size).unwrap_or(i64::MAX)).into_any(),
                d.created_by.into_any(),
                timestamp(d.created_at, "%Y-%m-%d %H:%M"),
            ]
        })
        .collect();
    view! {
        {search_form}
        <DataTable label="Datasets" columns rows />
        {nav}
    }
    .into_any()
}
