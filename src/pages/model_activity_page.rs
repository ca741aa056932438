//! What happened to a model, for its owners: every recorded change (who, what, when), or just
//! its promotion history: alias moves and primary-version changes as a timeline.

use crate::api::access::list_audit_events;
use crate::api::models::get_model;
use crate::components::audit_log::{AuditTable, PromotionTimeline};
use crate::components::forms::PageError;
use crate::components::layout::use_current_user;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::components::pager::{pager, use_list_place};
use crate::domain::audit::{AuditQuery, PROMOTION_ACTIONS};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const PAGE_SIZE: i64 = 50;

#[component]
pub fn ModelActivityPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let promotions = move || query.with(|q| q.get("view").as_deref() == Some("promotions"));
    let (_, offset) = use_list_place();
    let offset = move || offset.get().max(0);
    let model = Resource::new(name, get_model);
    let events = Resource::new(
        move || (name(), promotions(), offset()),
        |(name, promotions, offset)| {
            list_audit_events(AuditQuery {
                model: Some(name),
                action: promotions.then(|| PROMOTION_ACTIONS.to_owned()),
                offset: Some(offset),
                limit: Some(PAGE_SIZE),
                ..AuditQuery::default()
            })
        },
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading activity…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                let model = match model.await {
                    Ok(view) => view.model,
                    Err(error) => return load_error_view(error, signed_in, "Model not found"),
                };
                let promotions = promotions();
                let base = format!("/models/{}/activity", model.name);
                let body = match events.await {
                    Ok(page) => {
                        let view_param = if promotions { "view=promotions&" } else { "" };
                        let href_base = base.clone();
                        let pages = pager(&page, move |offset| format!("{href_base}?{view_param}offset={offset}"));
                        let list = if promotions {
                            view! { <PromotionTimeline events=page.data /> }.into_any()
                        } else {
                            view! { <AuditTable events=page.data empty="Nothing has been recorded for this model yet." /> }.into_any()
                        };
                        view! { {list} {pages} }.into_any()
                    }
                    Err(error) if error.is(crate::domain::error::codes::NOT_AUTHENTICATED) => {
                        return load_error_view(error, signed_in, "Model not found");
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                };
                let switch = move |href: String, label: &'static str, current: bool| {
                    view! {
                        <a
                            href=href
                            aria-current=current.then_some("page")
                            class="rounded-md px-3 py-1 text-sm font-medium"
                            class=(["bg-indigo-600", "text-white"], current)
                            class=(["bg-white", "text-slate-700", "border", "border-slate-300"], !current)
                        >
                            {label}
                        </a>
                    }
                };
                view! {
                    <Title text=format!("Activity · {}", model.name) />
                    <ModelHeader model=model.clone() tab=ModelTab::Activity />
                    <nav aria-label="Activity views" class="mb-4 flex gap-2">
                        {switch(base.clone(), "All events", !promotions)}
                        {switch(format!("{base}?view=promotions"), "Promotion history", promotions)}
                    </nav>
                    {body}
                }
                    .into_any()
            })}
        </Transition>
    }
}
