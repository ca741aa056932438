//! The models list: search, ordering and paging, all in the address so any view can be linked.

use crate::api::models::list_models;
use crate::components::data_table::{Column, DataTable, no_value, timestamp};
use crate::components::forms::PageError;
use crate::components::layout::use_current_user;
use crate::components::model_tabs::is_signed_in;
use crate::components::pager::pager_nav;
use crate::domain::model::{Model, ModelOrder, ModelQuery};
use crate::domain::paging::Page;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// How many models a page of the list shows unless the address says otherwise.
const PAGE_SIZE: i64 = 20;

#[component]
pub fn ModelsPage() -> impl IntoView {
    let query = use_query_map();
    let model_query = Memo::new(move |_| {
        query.with(|q| {
            let number = |key: &str| q.get(key).and_then(|v| v.parse::<i64>().ok());
            ModelQuery {
                search: q.get("search").filter(|s| !s.trim().is_empty()),
                order_by: q.get("order_by").filter(|s| !s.is_empty()),
                tag: q.get("tag").filter(|s| !s.is_empty()),
                target_type: None,
                license: q.get("license").filter(|s| !s.is_empty()),
                offset: number("offset"),
                limit: number("limit").or(Some(PAGE_SIZE)),
            }
        })
    });
    let models = Resource::new(move || model_query.get(), list_models);
    let user = use_current_user();

    // Visitors who are not signed in browse the public models; creating one needs an account.
    view! {
        <Title text="Models" />
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading models…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                let list = match models.await {
                    Ok(page) => {
                        let searching = model_query.get_untracked().search.is_some();
                        view! { <ModelTable page searching signed_in /> }.into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                };
                view! {
                    <div class="flex items-center justify-between">
                        <h1 class="page-title">"Models"</h1>
                        {if signed_in {
                            view! { <a href="/models/new" class="btn-primary">"New model"</a> }.into_any()
                        } else {
                            view! {
                                <p class="text-sm text-slate-600">
                                    "Public models. "
                                    <a href="/login" class="link">"Sign in"</a>
                                    " to see the models shared with you."
                                </p>
                            }
                            .into_any()
                        }}
                    </div>
                    <SearchForm query=model_query />
                    {list}
                }
            })}
        </Transition>
    }
}

/// A plain GET form: the results are a page of their own, with or without JavaScript.
#[component]
fn SearchForm(query: Memo<ModelQuery>) -> impl IntoView {
    let current = query.get_untracked();
    let search = current.search.clone().unwrap_or_default();
    let order = current
        .order_by
        .clone()
        .unwrap_or_else(|| ModelOrder::default().as_str().to_owned());
    let limit = current.limit.filter(|l| *l != PAGE_SIZE);
    view! {
        <form method="get" action="/models" role="search" class="my-6 flex flex-wrap items-end gap-3">
            <div class="grow">
                <label for="search" class="label">"Search models"</label>
                <input
                    id="search"
                    name="search"
                    type="search"
                    class="input"
                    placeholder="Name, description or tag"
                    value=search
                />
            </div>
            <div>
                <label for="order_by" class="label">"Order by"</label>
                <select id="order_by" name="order_by" class="input">
                    {ModelOrder::ALL
                        .into_iter()
                        .map(|o| {
                            view! {
                                <option value=o.as_str() selected=order == o.as_str()>
                                    {o.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {limit.map(|l| view! { <input type="hidden" name="limit" value=l.to_string() /> })}
            {current.license.clone().map(|l| view! { <input type="hidden" name="license" value=l /> })}
            <button type="submit" class="btn-secondary">"Search"</button>
        </form>
        {current.license.clone().map(|license| {
            let mut without = current.clone();
            without.license = None;
            without.offset = None;
            let href = list_href(&without);
            view! {
                <p class="-mt-3 mb-4 text-sm text-slate-700" data-testid="license-filter">
                    "License: "
                    <span class="tag font-mono">{license}</span>
                    " "
                    <a href=href class="link">"Show every license"</a>
                </p>
            }
        })}
    }
}

#[component]
fn ModelTable(page: Page<Model>, searching: bool, signed_in: bool) -> impl IntoView {
    if page.total_count == 0 {
        return if searching {
            view! {
                <p class="empty">"No models match your search. Try fewer or other words."</p>
            }
            .into_any()
        } else if !signed_in {
            view! {
                <div class="empty">
                    <p>"No public models yet."</p>
                    <a href="/login" class="link">"Sign in to see yours"</a>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="empty">
                    <p>"No models yet."</p>
                    <a href="/models/new" class="link">"Create the first model"</a>
                </div>
            }
            .into_any()
        };
    }
    let summary = format!(
        "Showing {}–{} of {}",
        page.offset + 1,
        page.offset + page.count,
        page.total_count
    );
    let columns = vec![
        Column::new("Name", "px-4 py-2 font-medium"),
        Column::new("Description", "max-w-xs truncate px-4 py-2 text-slate-600"),
        Column::new("Target", "px-4 py-2"),
        Column::new("Tags", "px-4 py-2"),
        Column::new("License", "px-4 py-2 font-mono text-xs"),
        Column::new("Primary", "px-4 py-2 font-mono"),
        Column::new("Versions", "px-4 py-2 text-right tabular-nums").right(),
        Column::new("Updated", "px-4 py-2 text-slate-600"),
    ];
    let rows = page.data.into_iter().map(model_cells).collect();
    view! {
        <DataTable columns rows />
        {pager_nav(summary, page.previous, page.next)}
    }
    .into_any()
}

fn model_cells(m: Model) -> Vec<AnyView> {
    let name = view! { <a href=format!("/models/{}", m.name) class="link">{m.name.clone()}</a> };
    let tags = m
        .tags
        .iter()
        .map(|t| view! { <span class="tag">{t.clone()}</span> })
        .collect_view();
    let license = match m.license.clone() {
        Some(l) => {
            let href = list_href(&ModelQuery {
                license: Some(l.clone()),
                ..ModelQuery::default()
            });
            view! { <a href=href class="link" title=format!("Models licensed {l}")>{l.clone()}</a> }
                .into_any()
        }
        None => no_value(),
    };
    let primary = match m.primary_version.clone() {
        Some(v) => view! { <a href=format!("/models/{}/versions/{v}", m.name) class="link">{v.clone()}</a> }
            .into_any(),
        None => no_value(),
    };
    vec![
        name.into_any(),
        crate::domain::text::markdown_to_plain(&m.description).into_any(),
        m.target_type.map(|t| t.label()).unwrap_or("—").into_any(),
        tags.into_any(),
        license,
        primary,
        m.version_count.into_any(),
        timestamp(m.updated_at, "%Y-%m-%d %H:%M"),
    ]
}

/// The list's address for a query (search, order and license; paging starts over).
fn list_href(query: &ModelQuery) -> String {
    let mut pairs: Vec<String> = Vec::new();
    let mut push = |key: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.push(format!(
                "{key}={}",
                crate::components::file_tree::encode_component(v)
            ));
        }
    };
    push("search", &query.search);
    push("order_by", &query.order_by);
    push("tag", &query.tag);
    push("license", &query.license);
    if pairs.is_empty() {
        "/models".to_owned()
    } else {
        format!("/models?{}", pairs.join("&"))
    }
}
