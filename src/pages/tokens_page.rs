//! The caller's API tokens: create (the secret is shown once), list, revoke.

use crate::api::identity::{CreateToken, RevokeToken, TokensView, list_tokens};
use crate::components::forms::{FieldMessage, FormError, PageError, field_error, kept_input};
use crate::components::layout::RequireUser;
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
                            <TokenTable tokens=view.tokens revoke />
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
fn TokenTable(tokens: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="empty mt-6">"You have no API tokens yet."</p> }.into_any();
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>, none: &'static str| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| none.to_owned())
    };
    view! {
        <table class="mt-6 w-full rounded-lg border border-slate-200 bg-white text-left text-sm">
            <thead class="bg-slate-100 text-slate-600">
                <tr>
                    <th scope="col" class="px-4 py-2">"Name"</th>
                    <th scope="col" class="px-4 py-2">"Starts with"</th>
                    <th scope="col" class="px-4 py-2">"Created"</th>
                    <th scope="col" class="px-4 py-2">"Expires"</th>
                    <th scope="col" class="px-4 py-2">"Last used"</th>
                    <th scope="col" class="px-4 py-2"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {tokens
                    .into_iter()
                    .map(|t| {
                        view! {
                            <tr class="border-t border-slate-100">
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
                                                <button type="submit" class="btn-danger" title=format!("Revoke {}", t.name)>
                                                    "Revoke"
                                                </button>
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
    }
    .into_any()
}
