//! Admin console, API tokens: every user's tokens, newest first, and revoking any of them.

use crate::api::admin::list_all_tokens;
use crate::api::identity::RevokeToken;
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::forms::{FormError, PageError};
use crate::components::layout::RequireAdmin;
use crate::components::pager::{pager, use_list_place};
use crate::components::token_table::TokenTable;
use crate::domain::error::ApiError;
use crate::domain::identity::TokenInfo;
use crate::domain::paging::Page;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminTokensPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so each is made (and fetched) once per page view.
    let (_, offset) = use_list_place();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (offset.get(), revoke.version().get()),
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
                    Ok(page) => view! { <AllTokens page revoke /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AllTokens(page: Page<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if page.data.is_empty() {
        return view! { <p class="empty">"Nobody has an API token yet."</p> }.into_any();
    }
    let pages = pager(&page, |offset| format!("/admin/tokens?offset={offset}"));
    view! {
        <TokenTable tokens=page.data revoke with_owners=true />
        {pages}
    }
    .into_any()
}
