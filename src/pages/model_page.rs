//! One model: its fields and its card.

use crate::api::models::{ModelView, get_model};
use crate::components::forms::PageError;
use crate::components::layout::use_current_user;
use crate::domain::model::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ModelPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let model = Resource::new(name, get_model);
    let user = use_current_user();
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = match user {
                    Some(u) => matches!(u.await, Ok(Some(_))),
                    None => false,
                };
                match model.await {
                    Ok(view) => view! { <ModelDetails view /> }.into_any(),
                    // A visitor who is not signed in may simply lack access: ask them to sign in.
                    Err(_) if !signed_in => view! { <Redirect path="/login" /> }.into_any(),
                    Err(error) => view! { <Title text="Model not found" /> <PageError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ModelDetails(view: ModelView) -> impl IntoView {
    let m = view.model;
    let can_edit = m.role >= Some(Role::Editor);
    let edit_href = format!("/models/{}/edit", m.name);
    view! {
        <Title text=m.name.clone() />
        <div class="flex items-start justify-between gap-4">
            <div>
                <h1 class="page-title break-all">{m.name.clone()}</h1>
                <p class="text-slate-700">{m.description.clone()}</p>
            </div>
            {can_edit.then(|| view! { <a href=edit_href class="btn-secondary">"Edit"</a> })}
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
            <div>
                <dt class="text-slate-500">"Versions"</dt>
                <dd>{m.version_count}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Created"</dt>
                <dd>{format!("{} by {}", m.created_at.format("%Y-%m-%d %H:%M UTC"), m.created_by)}</dd>
            </div>
            <div>
                <dt class="text-slate-500">"Updated"</dt>
                <dd>{m.updated_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
            </div>
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
        <section class="mt-8" aria-labelledby="card-heading">
            <h2 id="card-heading" class="mb-3 text-lg font-semibold">"Model card"</h2>
            {if m.readme.trim().is_empty() {
                view! { <p class="empty">"This model has no card yet."</p> }.into_any()
            } else {
                // Rendered and sanitized on the server.
                view! { <article class="prose card" data-testid="model-card" inner_html=view.readme_html /> }.into_any()
            }}
        </section>
    }
}
