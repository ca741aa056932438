//! Admin console, audit log: every recorded change, filtered by actor, model, action and time,
//! paged. The filters are a plain GET form, so any view of the log can be linked.

use crate::api::access::list_audit_events;
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::audit_log::AuditTable;
use crate::components::forms::PageError;
use crate::components::layout::RequireAdmin;
use crate::components::pager::pager;
use crate::domain::audit::{AuditEvent, AuditQuery, PROMOTION_ACTIONS};
use crate::domain::error::ApiError;
use crate::domain::paging::Page;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const PAGE_SIZE: i64 = 50;

/// Action filters offered in the form: whole families, or one action.
const ACTION_CHOICES: &[(&str, &str)] = &[
    ("", "Any action"),
    ("model", "Models"),
    ("version", "Versions"),
    ("file", "Files"),
    (
        PROMOTION_ACTIONS,
        "Promotions (aliases and primary versions)",
    ),
    ("access", "Sharing"),
    ("user", "Users"),
    ("team", "Teams"),
    ("token", "API tokens"),
];

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so each is made (and fetched) once per page view.
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| {
            let text = |key: &str| q.get(key).filter(|v| !v.trim().is_empty());
            AuditQuery {
                model: text("model"),
                actor: text("actor"),
                action: text("action"),
                since: text("since"),
                until: text("until"),
                offset: q.get("offset").and_then(|o| o.parse::<i64>().ok()),
                limit: Some(PAGE_SIZE),
            }
        })
    });
    let events = Resource::new(move || filters.get(), list_audit_events);
    view! {
        <Title text="Audit log · Admin" />
        <RequireAdmin>
            <AdminNav current=AdminSection::Audit />
            <AuditLog filters events />
        </RequireAdmin>
    }
}

#[component]
fn AuditLog(
    filters: Memo<AuditQuery>,
    events: Resource<Result<Page<AuditEvent>, ApiError>>,
) -> impl IntoView {
    let current = filters.get_untracked();
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let chosen_action = value(&current.action);
    view! {
        <h1 class="page-title">"Audit log"</h1>
        <form method="get" action="/admin/audit" class="card mb-6 grid gap-4 sm:grid-cols-3" aria-label="Filter events">
            <div>
                <label for="audit-actor" class="label">"Actor"</label>
                <input id="audit-actor" name="actor" class="input" placeholder="username" value=value(&current.actor) />
            </div>
            <div>
                <label for="audit-model" class="label">"Model"</label>
                <input id="audit-model" name="model" class="input" placeholder="model name" value=value(&current.model) />
            </div>
            <div>
                <label for="audit-action" class="label">"Action"</label>
                <select id="audit-action" name="action" class="input">
                    {ACTION_CHOICES
                        .iter()
                        .map(|(v, label)| view! { <option value=*v selected=*v == chosen_action>{*label}</option> })
                        .collect_view()}
                    // A filter typed into the address that the list does not offer stays chosen.
                    {(!chosen_action.is_empty() && !ACTION_CHOICES.iter().any(|(v, _)| *v == chosen_action))
                        .then(|| view! { <option value=chosen_action.clone() selected=true>{chosen_action.clone()}</option> })}
                </select>
            </div>
            <div>
                <label for="audit-since" class="label">"From"</label>
                <input id="audit-since" name="since" type="date" class="input" value=value(&current.since) />
            </div>
            <div>
                <label for="audit-until" class="label">"Before"</label>
                <input id="audit-until" name="until" type="date" class="input" value=value(&current.until) />
            </div>
            <div class="flex items-end gap-2">
                <button type="submit" class="btn-primary">"Filter"</button>
                <a href="/admin/audit" class="btn-secondary">"Clear"</a>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => {
                        let filters = filters.get_untracked();
                        let pages = pager(&page, move |offset| {
                            format!("/admin/audit?{}", filters.to_query_string(offset, PAGE_SIZE))
                        });
                        view! {
                            <AuditTable events=page.data show_model=true empty="No events match these filters." />
                            {pages}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
