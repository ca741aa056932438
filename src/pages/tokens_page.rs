//! The caller's API tokens: create (the secret is shown once), list, revoke.

use crate::api::identity::{CreateToken, RevokeToken, TokensView, list_tokens};
use crate::components::forms::{FieldMessage, FormError, PageError, field_error, kept_input};
use crate::components::layout::RequireUser;
use crate::components::token_table::TokenTable;
use crate::domain::error::ApiError;
use crate::domain::identity::{CreatedToken, TokenInfo};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    // Created here, outside the sign-in guard's suspense, so the list is fetched once per page
    // view: fetching it takes the one-time secret kept for a form post without JavaScript.
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    view! {
        <Title text="API tokens" />
        <RequireUser>
            <Tokens create revoke tokens />
        </RequireUser>
    }
}

#[component]
fn Tokens(
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    tokens: Resource<Result<TokensView, ApiError>>,
) -> impl IntoView {
    let created: Signal<_> = create.value().into();
    view! {
        <h1 class="page-title">"API tokens"</h1>
        <p class="mb-6 text-sm text-slate-600">
            "Scripts and CI pipelines use a token as "
            <code>"Authorization: Bearer <token>"</code>
            ". A token acts as you; revoke it when it is no longer needed. To change the password you sign in with, go to "
            <a href="/settings/password" class="link">"Change password"</a>
            "."
        </p>
        <FormError result=created inline_fields=&["name", "expires_in_days"] />
        <ActionForm action=create attr:class="card flex flex-wrap items-end gap-4">
            <div class="grow">
                <label for="token-name" class="label">"Token name"</label>
                <input id="token-name" name="name" class="input" required maxlength="64" placeholder="e.g. ci-pipeline" aria-describedby="token-name-error" value=kept_input(CreateToken::PATH, "name") />
                <FieldMessage id="token-name-error" message=field_error(created, "name") />
            </div>
            <div>
                <label for="token-days" class="label">"Expires in days"</label>
                <input id="token-days" name="expires_in_days" class="input" inputmode="numeric" placeholder="never" aria-describedby="token-days-error" value=kept_input(CreateToken::PATH, "expires_in_days") />
                <FieldMessage id="token-days-error" message=field_error(created, "expires_in_days") />
            </div>
            <button type="submit" class="btn-primary mb-6">"Create token"</button>
        </ActionForm>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(view) => {
                        // With JavaScript the secret comes back from the action; without it, the
                        // server keeps it for this one page view.
                        let fresh = match created.get() {
                            Some(Ok(token)) => Some(token),
                            _ => view.fresh,
                        };
                        view! {
                            {fresh.map(|token| view! { <NewTokenSecret token /> })}
                            <OwnTokens tokens=view.tokens revoke />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewTokenSecret(token: CreatedToken) -> impl IntoView {
    view! {
        <div role="status" class="my-6 rounded-lg border border-emerald-200 bg-emerald-50 p-4">
            <p class="font-medium text-emerald-900">
                {format!("Token '{}' created. Copy this token now; it will not be shown again.", token.name)}
            </p>
            <code data-testid="new-token" class="mt-2 block select-all break-all rounded bg-white p-2 font-mono text-sm">
                {token.token}
            </code>
        </div>
    }
}

#[component]
fn OwnTokens(tokens: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty mt-6">"You have no API tokens yet."</p> }.into_any();
    }
    view! { <TokenTable tokens revoke class="mt-6" /> }.into_any()
}
