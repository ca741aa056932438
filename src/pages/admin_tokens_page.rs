//! Admin console, API tokens: every user's tokens, newest first, and revoking any of them.

use crate::api::admin::list_all_tokens;
use crate::api::identity::RevokeToken;
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::forms::{FormError, PageError};
use crate::components::layout::RequireAdmin;
use crate::components::pager::pager;
use crate::domain::error::ApiError;
use crate::domain::identity::TokenInfo;
use crate::domain::paging::Page;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminTokensPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so each is made (and fetched) once per page view.
    let query = use_query_map();
    let offset = move || {
        query.with(|q| {
            q.get("offset")
                .and_then(|o| o.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (offset(), revoke.version().get()),
        |(offset, _)| list_all_tokens(offset),
    );
    view! {
        <Title text="API tokens · Admin" />
        <RequireAdmin>
            <AdminNav current=AdminSection::Tokens />
            <Tokens tokens revoke />
        </RequireAdmin>
    }
}

#[component]
fn Tokens(
    tokens: Resource<Result<Page<TokenInfo>, ApiError>>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    view! {
        <h1 class="page-title">"API tokens"</h1>
        <p class="mb-4 text-sm text-slate-600">
            "Every user's tokens. Revoking one stops it working at once; its owner can make a new one."
        </p>
        <FormError result=revoke.value().into() />
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(page) => view! { <TokenTable page revoke /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenTable(page: Page<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if page.data.is_empty() {
        return view! { <p class="empty">"Nobody has an API token yet."</p> }.into_any();
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>, none: &'static str| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| none.to_owned())
    };
    let pages = pager(&page, |offset| format!("/admin/tokens?offset={offset}"));
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-left text-sm" aria-label="API tokens">
                <thead class="bg-slate-100 text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-2">"Owner"</th>
                        <th scope="col" class="px-4 py-2">"Name"</th>
                        <th scope="col" class="px-4 py-2">"Starts with"</th>
                        <th scope="col" class="px-4 py-2">"Created"</th>
                        <th scope="col" class="px-4 py-2">"Expires"</th>
                        <th scope="col" class="px-4 py-2">"Last used"</th>
                        <th scope="col" class="px-4 py-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .data
                        .into_iter()
                        .map(|t| {
                            let owner = t.username.clone().unwrap_or_default();
                            let label = format!("Revoke {} of {owner}", t.name);
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="px-4 py-2 font-mono">{owner.clone()}</td>
                                    <td class="px-4 py-2 font-medium">{t.name.clone()}</td>
                                    <td class="px-4 py-2 font-mono">{format!("{}…", t.prefix)}</td>
                                    <td class="px-4 py-2">{when(Some(t.created_at), "")}</td>
                                    <td class="px-4 py-2">{when(t.expires_at, "Never")}</td>
                                    <td class="px-4 py-2">{when(t.last_used_at, "Never")}</td>
                                    <td class="px-4 py-2 text-right">
                                        {if t.revoked {
                                            view! { <span class="text-slate-500">"Revoked"</span> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=t.id.clone() />
                                                    <button type="submit" class="btn-danger" aria-label=label>"Revoke"</button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {pages}
    }
    .into_any()
}
